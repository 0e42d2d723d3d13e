"""Rule 1: an INSEE code, repaired (lost leading zero, 2A/2B); a postcode or a commune name typed there is told."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from loaders.geocoding import wording
from loaders.geocoding.distinct import distinct
from loaders.geocoding.indexes import Indexes
from loaders.geocoding.kinds import InseeField, OutcomeKind
from loaders.geocoding.names import city_name_key
from loaders.geocoding.outcomes import InseeReading, Outcome, Place, RuleOutcomes
from loaders.geocoding.postcodes import uncovered_territory

_WHITESPACE = re.compile(r"\s")
_FOUR_DIGITS = re.compile(r"\d{4}")
_CORSICAN_AS_NUMBER = re.compile(r"20\d{3}")


class InseeCodes(Indexes):
    """Rule 1 over the reference's commune, arrondissement and former commune codes."""

    def read_insee_field(self, raw: str) -> InseeReading:
        """What the INSEE code field holds, with a lost leading zero or a Corsican code written 20xxx repaired.

        Not memoised: a table reads each distinct value once, and a memo costs more than the reading.
        """
        code = _WHITESPACE.sub("", raw).upper()
        if not code:
            return InseeReading(InseeField.EMPTY)
        notes: list[str] = []
        if _FOUR_DIGITS.fullmatch(code):
            code = "0" + code
            notes.append(wording.zero_restored("code INSEE", raw))
        if _CORSICAN_AS_NUMBER.fullmatch(code) and code not in self.commune_codes:
            corsican = [c for c in ("2A" + code[2:], "2B" + code[2:]) if c in self.commune_codes]
            if len(corsican) == 1:
                notes.append(wording.corsican_insee_code(raw, corsican[0]))
                code = corsican[0]
        if code in self.commune_codes or code in self.alias_of:
            return InseeReading(InseeField.COMMUNE_CODE, code, tuple(notes))
        if uncovered_territory(code):
            return InseeReading(InseeField.UNCOVERED, code)
        if code in self.places_by_postcode:
            return InseeReading(InseeField.POSTCODE, code)
        if self.named_communes(city_name_key(raw)[0]):
            return InseeReading(InseeField.COMMUNE_NAME, code)
        return InseeReading(InseeField.UNKNOWN, code)

    def resolve_insee(self, raw: str, reading: InseeReading | None = None) -> Outcome:
        """Rule 1: an INSEE code, repaired when needed (``reading``: the field read, when the caller has it)."""
        holds, code, notes = reading or self.read_insee_field(raw)
        if holds is InseeField.EMPTY:
            return Outcome()
        if holds is InseeField.COMMUNE_CODE:
            if code in self.commune_codes:
                return Outcome(Place(code), notes, kind=OutcomeKind.INSEE_CODE)
            place = self.alias_of[code]
            if place.arrondissement_code:
                return Outcome(place, notes, kind=OutcomeKind.INSEE_CODE)
            note = wording.former_commune_code(code, self.name_of[place.insee_code], place.insee_code)
            return Outcome(place, (*notes, note), kind=OutcomeKind.FORMER_COMMUNE_CODE)
        if holds is InseeField.UNCOVERED:
            return Outcome(reason=wording.uncovered_territory(uncovered_territory(code)),
                           kind=OutcomeKind.UNCOVERED_TERRITORY)
        if holds is InseeField.POSTCODE:
            return Outcome(reason=wording.postcode_in_insee_field(raw), kind=OutcomeKind.POSTCODE_IN_INSEE_FIELD)
        return Outcome(reason=wording.unknown_insee_code(raw), kind=OutcomeKind.UNKNOWN_INSEE_CODE)


def insee_column(values: pd.Series, gazetteer: InseeCodes) -> tuple[RuleOutcomes, np.ndarray]:
    """Rule 1 on every row, and what each row's INSEE field holds (:class:`InseeField`), once per distinct value."""
    positions, found = distinct(values.to_numpy(dtype=object))
    texts = found.tolist()
    readings = [gazetteer.read_insee_field(text) for text in texts]
    holds = np.fromiter((reading.holds for reading in readings), dtype=np.intp, count=len(readings))
    outcomes = [gazetteer.resolve_insee(text, reading) for text, reading in zip(texts, readings)]
    return RuleOutcomes.interned(outcomes, positions), holds[positions]

