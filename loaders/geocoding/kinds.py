"""The named kinds the geocoder decides on: its rules, what a field holds, the sources of rule 3.

Decisions read these kinds, never the French sentences of :mod:`loaders.geocoding.wording`.
"""

from __future__ import annotations

from enum import Enum, IntEnum, StrEnum


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


class OutcomeKind(StrEnum):
    """What a rule says of a row: how it placed it, or why it could not.

    A reading of a postcode and a city written in an address has the kind of that reading
    (the address itself only adds :attr:`ADDRESS_WITHOUT_POSTCODE`).
    """

    NOTHING = "nothing"  # the fields the rule reads are empty
    # Placing kinds.
    INSEE_CODE = "insee_code"  # a commune's or an arrondissement's code, possibly repaired
    FORMER_COMMUNE_CODE = "former_commune_code"  # the code of a former commune: its parent
    COORDINATES = "coordinates"  # a point inside (or about 1 km from) a commune's contour
    COORDINATES_NEAR_CONTOUR = "coordinates_near_contour"  # a point just outside the commune the fields agree on
    ARRONDISSEMENT_LABEL = "arrondissement_label"  # « Paris 11e », « Lyon 3ème »
    EXACT_NAME = "exact_name"  # the name of a commune of the postcode
    FORMER_COMMUNE_NAME = "former_commune_name"  # the name of a former commune: its parent
    APPROXIMATE_NAME = "approximate_name"  # a name close to one of a commune of the postcode
    NAME_IN_DEPARTEMENT = "name_in_departement"  # a postcode unknown or of another commune, a name of its département
    NAME_OUTSIDE_POSTCODE = "name_outside_postcode"  # a name unique in France, of a commune the postcode does not serve
    POSTCODE_ALONE = "postcode_alone"  # a postcode serving one commune, no commune name
    EVIDENCE_MAJORITY = "evidence_majority"  # two sources of rule 3 agree against the third
    UNIQUE_NAME = "unique_name"  # rule 4: a name unique in France
    # Rejecting kinds.
    UNCOVERED_TERRITORY = "uncovered_territory"  # a code of a territory outside the reference
    POSTCODE_IN_INSEE_FIELD = "postcode_in_insee_field"
    UNKNOWN_INSEE_CODE = "unknown_insee_code"
    UNREADABLE_COORDINATES = "unreadable_coordinates"
    COORDINATES_OUTSIDE_COVERAGE = "coordinates_outside_coverage"  # far from every commune of the reference
    COORDINATES_FAR_FROM_FIELDS = "coordinates_far_from_fields"  # a copy error, far from the fields' commune
    COORDINATES_IN_NEIGHBOUR = "coordinates_in_neighbour"  # in another commune near the one the fields agree on
    INVALID_POSTCODE = "invalid_postcode"
    UNKNOWN_POSTCODE_WITHOUT_COMMUNE = "unknown_postcode_without_commune"
    POSTCODE_OF_SEVERAL_COMMUNES = "postcode_of_several_communes"  # and no commune name
    COMMUNE_NOT_IN_POSTCODE = "commune_not_in_postcode"
    UNKNOWN_POSTCODE_AND_COMMUNE = "unknown_postcode_and_commune"
    ADDRESS_WITHOUT_POSTCODE = "address_without_postcode"
    EVIDENCE_SPLIT = "evidence_split"  # no commune has a majority of the sources of rule 3
    HOMONYMS = "homonyms"  # rule 4: several communes have that name
    UNKNOWN_COMMUNE_NAME = "unknown_commune_name"
    NO_LOCATION = "no_location"  # no rule had anything to read



# Coordinates ignored for these reasons are quoted in the reason (and in the note of a row another rule places).
POINT_QUOTING_KINDS = frozenset({
    OutcomeKind.COORDINATES_OUTSIDE_COVERAGE, OutcomeKind.COORDINATES_FAR_FROM_FIELDS,
    OutcomeKind.COORDINATES_IN_NEIGHBOUR,
})


class Relation(IntEnum):
    """How the place given by a rule ranked after the winner relates to the winning place."""

    AGREES = 0
    OTHER_ARRONDISSEMENT = 1
    OTHER_COMMUNE = 2


class NameKind(Enum):
    """What a name of the reference names."""

    COMMUNE = "commune"
    FORMER_COMMUNE = "ancienne commune"  # a commune déléguée or associée
    ARRONDISSEMENT = "arrondissement"


class Precision(StrEnum):
    """Where a placed row's point comes from (the values of the exported ``geocode_precision`` column)."""

    COORDINATES = "coordinates"  # the coordinates given, in the chosen commune
    COMMUNE = "commune"  # the commune's reference point
