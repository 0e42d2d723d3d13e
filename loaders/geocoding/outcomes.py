"""What the rules say of rows: places, outcomes, and the outcomes of a rule for every row of a table."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np
import pandas as pd

from loaders.geocoding.distinct import blank, distinct
from loaders.geocoding.kinds import Agreement, InseeField, NameKind, OutcomeKind, Source


# Places and outcomes are named tuples: rows are grouped by them, and tuples hash fast.
class Place(NamedTuple):
    """A commune (and, in Paris, Lyon or Marseille, an arrondissement)."""

    insee_code: str
    arrondissement_code: str = ""


class Outcome(NamedTuple):
    """What one rule says of one row: a place with notes, or a reason why not, and its kind.

    Decisions read :attr:`kind` and the flags, never the French of :attr:`notes` and :attr:`reason`.

    The point that placed a row by its coordinates is kept beside the outcomes of
    rule 2 (see :meth:`loaders.geocoding.coordinates.Coordinates.place_coordinates`),
    so that rows placed in one commune by different points share one outcome.
    """

    place: Place | None = None
    notes: tuple[str, ...] = ()
    reason: str | None = None
    exact: bool = False  # the postcode and the exact commune name agree (strong evidence)
    loose: bool = False  # the name was matched approximately, or outside its known postcode (weak evidence)
    # The postcode and the commune column both designate this commune: ``exact``, or a postcode the reference
    # does not know (CEDEX) and the exact name of a commune of its département. Coordinates do not outvote them.
    agreed: bool = False
    kind: OutcomeKind = OutcomeKind.NOTHING
    quoted_point: str = ""  # the point as the reason quotes it, for a kind of POINT_QUOTING_KINDS


class InseeReading(NamedTuple):
    """The INSEE code field of a row as read by rule 1: what it holds, the code repaired, the repairs made."""

    holds: InseeField
    code: str = ""
    notes: tuple[str, ...] = ()


class Weighing(NamedTuple):
    """The decision of rule 3 on the evidence of a row: kept as read, or replaced by ``outcome``."""

    agreement: Agreement
    outcome: Outcome = Outcome()


UNANIMOUS = Weighing(Agreement.UNANIMOUS)


class Blanks(NamedTuple):
    """Whether each postcode and each city cell of a table is blank (read once, asked by several steps)."""

    postcode: np.ndarray
    city: np.ndarray

    @classmethod
    def of(cls, postcodes: pd.Series, cities: pd.Series) -> Blanks:
        """Read from the columns."""
        return cls(blank(postcodes), blank(cities))


class Evidence(NamedTuple):
    """The candidates each source present supports, and what the notes of rule 3 quote of the row."""

    postcode: str  # cleaned
    city_key: str
    city: str  # stripped
    address_postcode: str
    supports: dict[Source, tuple[str, ...]]


@dataclass(frozen=True)
class NameEntry:
    """A name of the reference: of a commune, of a former commune, of an arrondissement."""

    insee_code: str
    arrondissement_code: str
    label: str
    kind: NameKind


@dataclass(frozen=True)
class RuleOutcomes:
    """What one rule says of every row: its outcomes (distinct, unless :meth:`replaced`), and each row's position."""

    outcomes: tuple[Outcome, ...]
    codes: np.ndarray

    @classmethod
    def interned(cls, outcomes: Sequence[Outcome], positions: np.ndarray) -> RuleOutcomes:
        """Make equal outcomes one; row ``i`` says ``outcomes[positions[i]]``."""
        by_value: dict[Outcome, int] = {}
        # Rules memoise their answers, so most outcomes are objects met before: compare each object once.
        by_object: dict[int, int] = {}
        codes = np.array(
            [by_object[key] if (key := id(outcome)) in by_object
             else by_object.setdefault(key, by_value.setdefault(outcome, len(by_value))) for outcome in outcomes],
            dtype=np.intp,
        )
        return cls(tuple(by_value), codes[positions])

    def values(self, read: Callable[[Outcome], object], dtype: type = object) -> np.ndarray:
        """``read`` of each row's outcome, computed once per distinct outcome."""
        return np.array([read(outcome) for outcome in self.outcomes], dtype=dtype)[self.codes]

    @cached_property
    def placed(self) -> np.ndarray:
        """Whether each row's outcome places it (read once: the vote and the decision both need it)."""
        return self.values(lambda outcome: outcome.place is not None, bool)

    def replaced(self, rows: np.ndarray, outcomes: Sequence[Outcome], positions: np.ndarray) -> RuleOutcomes:
        """The same, except that row ``rows[i]`` says ``outcomes[positions[i]]``."""
        codes = self.codes.copy()
        codes[rows] = len(self.outcomes) + positions
        return RuleOutcomes((*self.outcomes, *outcomes), codes)

    def view(self, read: Callable[[Outcome], Hashable]) -> np.ndarray:
        """Per row, a code that two rows share exactly when ``read`` gives equal values of their outcomes."""
        read_values = pd.Series([read(outcome) for outcome in self.outcomes], dtype=object)
        return pd.factorize(read_values, use_na_sentinel=False)[0][self.codes]


class EvidenceReadings(NamedTuple):
    """What the readings of rules 3 and 4 say of every row of a table."""

    postcode_and_commune: RuleOutcomes
    address: RuleOutcomes
    name_alone: RuleOutcomes


def on_distinct_values(values: pd.Series, rule: Callable[[str], Outcome]) -> RuleOutcomes:
    """``rule`` of every row, computed once per distinct value."""
    positions, found = distinct(values.to_numpy(dtype=object))
    return RuleOutcomes.interned([rule(value) for value in found.tolist()], positions)
