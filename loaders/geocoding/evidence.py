"""Rule 3: the agreement of the evidence (the postcode column, the commune column, the address).

When they point to different communes, two sources that agree beat one that disagrees, and an
even split rejects the row.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from rapidfuzz import fuzz

from loaders.geocoding import wording
from loaders.geocoding.communes import FUZZY_CUTOFF, CommuneNames
from loaders.geocoding.distinct import distinct_rows
from loaders.geocoding.kinds import Agreement, OutcomeKind, Source
from loaders.geocoding.names import city_name_key
from loaders.geocoding.outcomes import (
    UNANIMOUS,
    Blanks,
    Evidence,
    EvidenceReadings,
    Outcome,
    RuleOutcomes,
    Weighing,
    on_distinct_values,
)
from loaders.geocoding.postcodes import POSTCODE_IN_TEXT, clean_postcode, uncovered_territory


class EvidenceWeighing(CommuneNames):
    """Rule 3's vote over the readings of :class:`CommuneNames`."""

    def match_evidence(self, raw_postcode: str, raw_city: str, raw_address: str) -> tuple[Outcome, Outcome, Outcome]:
        """Rule 3 and 4 for one row: the readings of its postcode, commune and address, once weighed.

        Returns
        -------
        tuple of Outcome
            What the postcode + commune reading, the address reading and the
            name alone (rule 4, read only without a postcode) say of the row:
            as read when the evidence agrees, else the weighed outcome in the
            first place and nothing in the others (see :meth:`weigh_evidence`).
        """
        by_name, by_address, by_name_alone = self.read_evidence(raw_postcode, raw_city, raw_address)
        weighing = self.weigh_evidence(raw_postcode, raw_city, raw_address, by_name, by_address)
        if weighing.agreement is Agreement.UNANIMOUS:
            return by_name, by_address, by_name_alone
        return weighing.outcome, Outcome(), Outcome()

    def read_evidence(self, raw_postcode: str, raw_city: str, raw_address: str) -> tuple[Outcome, Outcome, Outcome]:
        """The readings of a row's postcode and commune, of its address, and of its commune name alone (rule 4)."""
        return (self.match_postcode_city(raw_postcode, raw_city), self.match_address(raw_address),
                self.match_name_alone("" if raw_postcode.strip() else raw_city))

    def read_evidence_columns(
        self, postcodes: pd.Series, cities: pd.Series, addresses: pd.Series, *, blanks: Blanks | None = None,
    ) -> EvidenceReadings:
        """:meth:`read_evidence` for every row of a table, once per distinct value (or pair) read.

        ``blanks`` says which postcode and city cells are blank, when the caller knows (else read here).
        """
        blank_postcode = (blanks or Blanks.of(postcodes, cities)).postcode
        return EvidenceReadings(self.match_postcode_city_columns(postcodes, cities),
                                on_distinct_values(addresses, self.match_address),
                                on_distinct_values(cities.where(blank_postcode, ""), self.match_name_alone))

    def weigh_evidence_columns(
        self, postcodes: pd.Series, cities: pd.Series, addresses: pd.Series, readings: Sequence[RuleOutcomes],
        rows: np.ndarray, *, blanks: Blanks | None = None,
    ) -> EvidenceReadings:
        """:meth:`match_evidence` for the ``rows`` of a table, from the readings of every row.

        Only rows where a source may contradict the first reading are weighed
        (an address placed beside another field, or a postcode + commune
        reading that is not an exact match within the postcode), once per
        distinct postcode, city and address; the others keep their readings.
        ``blanks`` says which postcode and city cells are blank, when the caller knows (else read here).
        """
        by_name, by_address, by_name_alone = readings
        name_placed, address_placed = by_name.placed, by_address.placed
        blanks = blanks or Blanks.of(postcodes, cities)
        postcode_given, city_given = ~blanks.postcode, ~blanks.city
        disputed = (address_placed & (name_placed | postcode_given | city_given)
                    | name_placed & postcode_given & city_given & ~by_name.values(lambda o: o.exact, bool))
        tried = np.flatnonzero(disputed & rows)
        # An address that placed nothing weighs nothing: such rows are grouped whatever their street.
        texts = [postcodes.to_numpy(dtype=object)[tried], cities.to_numpy(dtype=object)[tried],
                 np.where(address_placed[tried], addresses.to_numpy(dtype=object)[tried], "")]
        positions, first_rows = distinct_rows(texts) if len(tried) else (tried, tried)
        weighed = [
            self.weigh_evidence(postcode, city, address, by_name.outcomes[by_name.codes[row]],
                                by_address.outcomes[by_address.codes[row]])
            for postcode, city, address, row in zip(*(text[first_rows].tolist() for text in texts),
                                                    tried[first_rows].tolist())
        ]
        changed = np.array([w.agreement is not Agreement.UNANIMOUS for w in weighed], dtype=bool)[positions]
        if not changed.any():
            return EvidenceReadings(*readings)
        outcome = positions[changed]
        return EvidenceReadings(
            by_name.replaced(tried[changed], [w.outcome for w in weighed], outcome),
            by_address.replaced(tried[changed], [Outcome()], np.zeros(len(outcome), dtype=np.intp)),
            by_name_alone.replaced(tried[changed], [Outcome()], np.zeros(len(outcome), dtype=np.intp)))

    def weigh_evidence(
        self, raw_postcode: str, raw_city: str, raw_address: str, by_name: Outcome, by_address: Outcome
    ) -> Weighing:
        """Rule 3: the commune that most of the postcode, commune and address columns designate.

        The candidates are the communes of the postcode + commune reading and
        of the address reading, each supported by the sources that designate it
        (:meth:`_supports`). When every source supports the first candidate,
        the readings stand; else a candidate supported by more than half of
        the sources is retained, with a note naming the source that disagrees,
        and without one the row is rejected.
        """
        places = [o.place for o in (by_name, by_address) if o.place]
        candidates = tuple(dict.fromkeys(place.insee_code for place in places))
        if not candidates:
            return UNANIMOUS
        postcode, city_key = clean_postcode(raw_postcode)[0], city_name_key(raw_city)[0]
        supports = self._supports(postcode, city_key, (by_name, by_address), candidates)
        if all(candidates[0] in supported for supported in supports.values()):
            return UNANIMOUS
        address_postcode = self._address_postcode(raw_address, by_address.place.insee_code) if by_address.place else ""
        evidence = Evidence(postcode, city_key, raw_city.strip(), address_postcode, supports)
        counts = {c: sum(c in supported for supported in supports.values()) for c in candidates}
        best = max(counts.values())
        leaders = [c for c, count in counts.items() if count == best]
        if len(leaders) > 1 or 2 * best <= len(supports):
            return Weighing(Agreement.SPLIT, Outcome(reason=self._split_reason(evidence),
                                                     kind=OutcomeKind.EVIDENCE_SPLIT))
        winner = leaders[0]
        reading = by_address if by_address.place and by_address.place.insee_code == winner else by_name
        # The address may name the arrondissement that the commune column does not, or the other way round.
        place = next((p for p in places if p.insee_code == winner and p.arrondissement_code), reading.place)
        note = self._conflict_note(evidence, winner, candidates[0])
        return Weighing(Agreement.MAJORITY, Outcome(place, (note, *reading.notes), kind=OutcomeKind.EVIDENCE_MAJORITY))

    def _supports(
        self, postcode: str, city_key: str, readings: tuple[Outcome, Outcome], candidates: tuple[str, ...]
    ) -> dict[Source, tuple[str, ...]]:
        """The candidates each source present supports.

        The postcode column supports the communes it serves; the commune column
        the commune its reading found and the communes it names exactly, or
        else those it names approximately (:meth:`names_commune`); the address
        its own reading. A source that designates no commune at all (an unknown
        postcode, a name of no commune) abstains.
        """
        by_name, by_address = readings
        supports: dict[Source, tuple[str, ...]] = {}
        served = self._served(postcode)
        if served:
            supports[Source.POSTCODE] = tuple(c for c in candidates if c in served)
        if city_key:
            exactly = self.named_communes(city_key)
            # The commune its reading found and those it names exactly; else those it names approximately.
            named = tuple(c for c in candidates if by_name.place and by_name.place.insee_code == c or c in exactly) \
                or tuple(c for c in candidates if self.names_commune(city_key, c))
            if named or exactly:
                supports[Source.COMMUNE] = named
        if by_address.place:
            supports[Source.ADDRESS] = (by_address.place.insee_code,)
        return supports

    def _served(self, postcode: str) -> frozenset[str]:
        """The communes a cleaned postcode serves (none for a territory outside the reference)."""
        return frozenset() if uncovered_territory(postcode) else self.communes_by_postcode.get(postcode, frozenset())

    def names_commune(self, city_key: str, insee_code: str) -> bool:
        """Whether a name key names a commune: exactly, followed by other words, or close to one of its names."""
        label = self.arrondissement_from_label(city_key)
        if label:
            return label.insee_code == insee_code
        return any(city_key == key or city_key.startswith(key + " ") or fuzz.ratio(city_key, key) >= FUZZY_CUTOFF
                   for key, _ in self.keys_by_commune.get(insee_code, ()))

    def _address_postcode(self, raw_address: str, insee_code: str) -> str:
        """The postcode of an address that serves the commune it was read as (its last postcode, else)."""
        found = [match.group(1) + match.group(2) for match in POSTCODE_IN_TEXT.finditer(raw_address)]
        serving = [postcode for postcode in found if insee_code in self.communes_by_postcode.get(postcode, ())]
        return (serving or found or [""])[-1]

    def _conflict_note(self, evidence: Evidence, winner: str, first: str) -> str:
        """« code postal 25000 incohérent avec la commune et l'adresse (54320 Maxéville) : Maxéville retenue »."""
        agree = [source for source, supported in evidence.supports.items() if winner in supported]
        disagree = [source for source in evidence.supports if source not in agree]
        address = ""
        if Source.ADDRESS in evidence.supports:
            address = f"{evidence.address_postcode} {self.name_of[evidence.supports[Source.ADDRESS][0]]}"
        return wording.conflict(evidence.postcode, evidence.city, address, agree, disagree, self.name_of[winner],
                                self.name_of[first])

    def _split_reason(self, evidence: Evidence) -> str:
        """Why a row whose evidence is evenly split is rejected: what each source designates."""
        # What a source that supports no candidate designates instead.
        designated = {Source.POSTCODE: tuple(sorted(self._served(evidence.postcode))),
                      Source.COMMUNE: self.named_communes(evidence.city_key)}
        # Four at most: the reason names three, and marks more.
        names = {source: [f"{self.name_of[code]} ({self.departement_of[code]})"
                          for code in (supported or designated[source])[:4]]
                 for source, supported in evidence.supports.items()}
        return wording.split(evidence.postcode, evidence.city, names)
