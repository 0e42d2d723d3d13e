"""Rule 3's readings and rule 4: a postcode and a commune name, the postcode and city of an address, a name alone.

Names are compared on keys (:func:`loaders.geocoding.names.city_name_key`): exactly within the
postcode's communes, then by prefix or approximately, then within the postcode's département.
"""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from loaders.geocoding import wording
from loaders.geocoding.distinct import distinct
from loaders.geocoding.indexes import Indexes
from loaders.geocoding.kinds import NameKind, OutcomeKind
from loaders.geocoding.names import ARRONDISSEMENT_COMMUNES, city_name_key
from loaders.geocoding.outcomes import NameEntry, Outcome, Place, RuleOutcomes
from loaders.geocoding.postcodes import POSTCODE_IN_TEXT, clean_postcode, departement_of_postcode, uncovered_territory

FUZZY_CUTOFF = 85.0

_ADDRESS_SEPARATOR = re.compile(r"[,;\n]")


class CommuneNames(Indexes):
    """Rule 3's readings and rule 4 over the reference's names and postcodes (memoised per text)."""

    def match_postcode_city(self, raw_postcode: str, raw_city: str) -> Outcome:
        """Rule 3, first reading: a postcode and a commune name."""
        if not raw_postcode.strip() and not raw_city.strip():
            return Outcome()
        key = ("pc", raw_postcode, raw_city)
        if key not in self._cache:
            self._cache[key] = self._match_postcode_city(raw_postcode, raw_city)
        return self._cache[key]

    def match_postcode_city_columns(self, postcodes: pd.Series, cities: pd.Series) -> RuleOutcomes:
        """Rule 3 for every row.

        The keys of the rule are computed once per distinct postcode and per
        distinct city, and each distinct pair first goes through
        :meth:`match_keys`, as in :meth:`match_postcode_city`; only the pairs
        that it does not answer need the rule with their texts as written.
        """
        postcode_positions, raw_postcodes = distinct(postcodes.to_numpy(dtype=object))
        city_positions, raw_cities = distinct(cities.to_numpy(dtype=object))
        cleaned = [clean_postcode(raw) for raw in raw_postcodes.tolist()]
        keys = [city_name_key(raw) for raw in raw_cities.tolist()]
        width = max(len(keys), 1)
        pair_positions, pairs = pd.factorize(postcode_positions.astype(np.int64) * width + city_positions)
        outcomes = []
        for pair in pairs.tolist():
            p, c = divmod(pair, width)
            (postcode, postcode_notes), (city_key, city_notes) = cleaned[p], keys[c]
            by_keys = self.match_keys(postcode, city_key)
            outcomes.append(_with_spelling_notes(by_keys, postcode_notes + city_notes) if by_keys
                            else self.match_postcode_city(raw_postcodes[p], raw_cities[c]))
        return RuleOutcomes.interned(outcomes, pair_positions)

    def match_keys(self, postcode: str, city_key: str) -> Outcome | None:
        """What rule 3 says from its keys alone, before any spelling note.

        An arrondissement label, or a name key that is exactly the name of one
        commune of the postcode (its former communes and arrondissements
        included). ``None`` when the answer needs the texts as written: a
        missing or unknown postcode, an approximate name, a reason to give.
        """
        memo = ("keys", postcode, city_key)
        if memo not in self._cache:
            self._cache[memo] = self._match_keys(postcode, city_key)
        return self._cache[memo]

    def _match_keys(self, postcode: str, city_key: str) -> Outcome | None:
        arrondissement = self.arrondissement_from_label(city_key)
        if arrondissement:
            return Outcome(arrondissement, kind=OutcomeKind.ARRONDISSEMENT_LABEL)
        if not postcode or not city_key or uncovered_territory(postcode):
            return None
        hits = self._exact_entries(city_key, postcode)
        return self._from_entries(hits, self.places_by_postcode[postcode], exact=True) if hits else None

    def _exact_entries(self, city_key: str, postcode: str) -> list[NameEntry]:
        """Names of the postcode's communes whose key is exactly ``city_key``."""
        communes = self.communes_by_postcode.get(postcode, frozenset())
        return [e for e in self.names.get(city_key, ()) if e.insee_code in communes]

    def _match_postcode_city(self, raw_postcode: str, raw_city: str) -> Outcome:
        postcode, postcode_notes = clean_postcode(raw_postcode)
        city_key, city_notes = city_name_key(raw_city)
        notes = postcode_notes + city_notes
        by_keys = self.match_keys(postcode, city_key)
        if by_keys:
            return _with_spelling_notes(by_keys, notes)
        if not postcode:
            if raw_postcode.strip():
                return Outcome(reason=wording.invalid_postcode(raw_postcode), kind=OutcomeKind.INVALID_POSTCODE)
            return Outcome()
        territory = uncovered_territory(postcode)
        if territory:
            return Outcome(reason=wording.uncovered_territory(territory), kind=OutcomeKind.UNCOVERED_TERRITORY)
        in_postcode = self.places_by_postcode.get(postcode, ())
        if not city_key:
            return self._postcode_alone(raw_postcode, postcode, in_postcode, notes)
        # A name shared by several communes of the postcode is not approximated within it.
        if in_postcode and not self._exact_entries(city_key, postcode):
            found = self._approximate_in_postcode(city_key, postcode, raw_city)
            if found:
                return Outcome(found.place, notes + found.notes, loose=found.loose, kind=found.kind)
        departement = departement_of_postcode(postcode)
        found = self._name_in_departement(city_key, departement, raw_city)
        if found:
            return Outcome(found.place, notes + (wording.postcode_not_matching(postcode, bool(in_postcode)),)
                           + found.notes, loose=bool(in_postcode) or found.loose,
                           agreed=not in_postcode and not found.loose, kind=OutcomeKind.NAME_IN_DEPARTEMENT)
        unique = self.unique_name(city_key)
        if unique and in_postcode:
            return Outcome(unique, notes + (wording.postcode_not_of(postcode, raw_city),), loose=True,
                           kind=OutcomeKind.NAME_OUTSIDE_POSTCODE)
        if in_postcode:
            names = sorted({self.name_of[p.insee_code] for p in in_postcode})[:6]
            return Outcome(reason=wording.commune_not_in_postcode(raw_city, postcode, names),
                           kind=OutcomeKind.COMMUNE_NOT_IN_POSTCODE)
        return Outcome(reason=wording.unknown_postcode_and_commune(postcode, raw_city),
                       kind=OutcomeKind.UNKNOWN_POSTCODE_AND_COMMUNE)

    def _postcode_alone(
        self, raw: str, postcode: str, in_postcode: tuple[Place, ...], notes: tuple[str, ...]
    ) -> Outcome:
        communes = {p.insee_code for p in in_postcode}
        if len(communes) == 1:
            place = in_postcode[0] if len(in_postcode) == 1 else Place(communes.pop())
            return Outcome(place, notes + (wording.commune_of_postcode(postcode),), kind=OutcomeKind.POSTCODE_ALONE)
        if not in_postcode:
            return Outcome(reason=wording.unknown_postcode_without_commune(raw),
                           kind=OutcomeKind.UNKNOWN_POSTCODE_WITHOUT_COMMUNE)
        return Outcome(reason=wording.postcode_of_several_communes(postcode, len(communes)),
                       kind=OutcomeKind.POSTCODE_OF_SEVERAL_COMMUNES)

    def _approximate_in_postcode(self, city_key: str, postcode: str, raw_city: str) -> Outcome | None:
        """A commune of the postcode whose name starts the text, that the text starts, or close to it."""
        choices = self._names_in_postcode(postcode)
        places = self.places_by_postcode[postcode]
        prefix = self._longest_prefix(city_key, choices) or self._completions(city_key, choices)
        if prefix:
            return self._from_entries(list(prefix), places, approximated=raw_city)
        best = process.extractOne(city_key, list(choices), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if best:
            return self._from_entries(list(choices[best[0]]), places, approximated=raw_city)
        return None

    def _names_in_postcode(self, postcode: str) -> dict[str, tuple[NameEntry, ...]]:
        """Name keys of the postcode's communes, each with its entries."""
        memo = ("names in postcode", postcode)
        if memo not in self._cache:
            keys: dict[str, list[NameEntry]] = defaultdict(list)
            for code in self.communes_by_postcode[postcode]:
                for key, entry in self.keys_by_commune.get(code, ()):
                    keys[key].append(entry)
            self._cache[memo] = {k: tuple(v) for k, v in keys.items()}
        return self._cache[memo]

    def _longest_prefix(self, city_key: str, keys: dict[str, tuple[NameEntry, ...]]) -> tuple[NameEntry, ...]:
        """Entries whose name starts the city text ("saint sulpice le dunois ateliers" → Saint-Sulpice-le-Dunois)."""
        best: tuple[str, tuple[NameEntry, ...]] = ("", ())
        for key, entries in keys.items():
            if city_key.startswith(key + " ") and len(key) > len(best[0]):
                best = (key, entries)
        return best[1]

    def _completions(self, city_key: str, keys: dict[str, tuple[NameEntry, ...]]) -> tuple[NameEntry, ...]:
        """Entries whose name the city text starts ("corbieres" → Corbières-en-Provence), when only one does."""
        found = [entries for key, entries in keys.items() if key.startswith(city_key + " ")]
        return found[0] if len(found) == 1 else ()

    def _name_in_departement(self, city_key: str, departement: str, raw_city: str) -> Outcome | None:
        names = self.names_by_departement.get(departement, {})
        hits = names.get(city_key) or self._longest_prefix(city_key, names)
        fuzzy = city_key not in names
        if not hits:
            best = process.extractOne(city_key, list(names), scorer=fuzz.ratio, score_cutoff=90.0)
            if not best:
                return None
            hits, fuzzy = names[best[0]], True
        return self._from_entries(list(hits), (), approximated=raw_city if fuzzy else None)

    def _from_entries(
        self, entries: list[NameEntry], places: tuple[Place, ...], *, approximated: str | None = None,
        exact: bool = False,
    ) -> Outcome | None:
        """The one commune the entries name (``None`` if several), with a note when former or approximated.

        Its kind: :attr:`OutcomeKind.FORMER_COMMUNE_NAME` when only former communes bear the name, else
        :attr:`OutcomeKind.APPROXIMATE_NAME` when ``approximated`` (the text as written), else
        :attr:`OutcomeKind.EXACT_NAME`.
        """
        communes = {e.insee_code for e in entries}
        if len(communes) != 1:
            return None
        insee = communes.pop()
        arrondissements = {e.arrondissement_code for e in entries if e.arrondissement_code}
        if insee in ARRONDISSEMENT_COMMUNES:
            arrondissements |= {p.arrondissement_code for p in places if p.insee_code == insee}
        place = Place(insee, arrondissements.pop() if len(arrondissements) == 1 else "")
        name = self.name_of[insee]
        former = [e for e in entries if e.kind is NameKind.FORMER_COMMUNE]
        if former and not any(e.kind is NameKind.COMMUNE for e in entries):
            return Outcome(place, (wording.former_commune_name(former[0].label, name),), exact=exact, agreed=exact,
                           kind=OutcomeKind.FORMER_COMMUNE_NAME)
        if approximated is not None:
            return Outcome(place, (wording.approximated(approximated, name),), exact=exact, loose=True, agreed=exact,
                           kind=OutcomeKind.APPROXIMATE_NAME)
        return Outcome(place, exact=exact, agreed=exact, kind=OutcomeKind.EXACT_NAME)

    def match_address(self, raw: str) -> Outcome:
        """Rule 3, second reading: a free-text address holding a postcode followed by the city."""
        if not raw.strip():
            return Outcome()
        key = ("addr", raw)
        if key not in self._cache:
            self._cache[key] = self._match_address(raw)
        return self._cache[key]

    def _match_address(self, raw: str) -> Outcome:
        found = list(POSTCODE_IN_TEXT.finditer(raw))
        if not found:
            return Outcome(reason=wording.address_without_postcode(raw), kind=OutcomeKind.ADDRESS_WITHOUT_POSTCODE)
        first_failure: Outcome | None = None
        for match in reversed(found):
            postcode = match.group(1) + match.group(2)
            after = [s for s in _ADDRESS_SEPARATOR.split(raw[match.end():]) if s.strip()]
            before = [s for s in _ADDRESS_SEPARATOR.split(raw[: match.start()]) if s.strip()][-1:]
            for candidate in after[:3] + before:
                outcome = self.match_postcode_city(postcode, candidate)
                if outcome.place and not outcome.loose:
                    return _read_in_address(outcome)
                if outcome.place and first_failure is None:
                    first_failure = _read_in_address(outcome)
            if first_failure is None:
                first_failure = self.match_postcode_city(postcode, after[0] if after else "")
        if first_failure and first_failure.place:
            return first_failure
        if first_failure is None or first_failure.reason is None:
            return Outcome()
        return Outcome(reason=wording.address_not_placed(raw, first_failure.reason), kind=first_failure.kind)

    def match_name_alone(self, raw_city: str) -> Outcome:
        """Rule 4: a commune name alone, accepted only when unique in France."""
        city_key, notes = city_name_key(raw_city)
        if not city_key:
            return Outcome()
        arrondissement = self.arrondissement_from_label(city_key)
        if arrondissement:
            return Outcome(arrondissement, notes, kind=OutcomeKind.ARRONDISSEMENT_LABEL)
        entries = self.names.get(city_key, ())
        place = self.unique_name(city_key)
        if place:
            return Outcome(place, notes + (wording.UNIQUE_NAME,), kind=OutcomeKind.UNIQUE_NAME)
        if entries:
            count = len({e.insee_code for e in entries})
            return Outcome(reason=wording.homonyms(raw_city, count), kind=OutcomeKind.HOMONYMS)
        return Outcome(reason=wording.unknown_commune_name(raw_city), kind=OutcomeKind.UNKNOWN_COMMUNE_NAME)


def _with_spelling_notes(outcome: Outcome, notes: tuple[str, ...]) -> Outcome:
    """A rule-3 answer found from the keys, with the notes on how the postcode and city were written."""
    return outcome._replace(notes=notes + outcome.notes) if notes else outcome


def _read_in_address(outcome: Outcome) -> Outcome:
    """A postcode and a city written in an address, read as a commune: its place, notes and kind."""
    return Outcome(outcome.place, (wording.READ_IN_ADDRESS,) + outcome.notes, kind=outcome.kind)

