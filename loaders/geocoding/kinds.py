"""The named kinds the geocoder decides on: its rules, what a field holds, the sources of rule 3.

Decisions read these kinds, never the French sentences of :mod:`loaders.geocoding.wording`.
"""

from __future__ import annotations

from enum import Enum, IntEnum


class Rule(IntEnum):
    """The readings of a row, in the order the first that places it wins (their rank in a decision)."""

    INSEE_CODE = 0
    COORDINATES = 1
    POSTCODE_AND_COMMUNE = 2  # rule 3, first reading
    ADDRESS = 3  # rule 3, second reading
    NAME_ALONE = 4  # rule 4


class InseeField(IntEnum):
    """What the INSEE code field of a row holds."""

    EMPTY = 0
    COMMUNE_CODE = 1  # a commune, arrondissement or former commune code, possibly repaired
    UNCOVERED = 2  # a code of a territory outside the reference
    POSTCODE = 3
    COMMUNE_NAME = 4  # a known commune name (an export header « commune_insee » holding names)
    UNKNOWN = 5


class Borrowed(IntEnum):
    """What a row's empty postcode or commune field takes from its INSEE code field."""

    NOTHING = 0
    POSTCODE = 1
    COMMUNE = 2


class Source(Enum):
    """The independent evidence weighed by rule 3."""

    POSTCODE = "postcode"  # the postcode column
    COMMUNE = "commune"  # the commune column
    ADDRESS = "address"  # the postcode and city written in the address


class Agreement(Enum):
    """How the evidence of a row agrees (rule 3)."""

    UNANIMOUS = "unanimous"  # no source contradicts the first reading that places the row: it stands
    MAJORITY = "majority"  # two sources agree against a third: their commune is retained, with a note
    SPLIT = "split"  # no commune has more than half of the sources: the row is rejected
