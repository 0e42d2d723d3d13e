"""The entries of the offline commune search and the sorted indexes it looks up (:mod:`geo.search`).

One entry per commune, then one per arrondissement of Paris, Lyon and Marseille, each with its folded
name keys, its postcodes and its label; names and postcodes are sorted once so that a query is a
bisection. A look-up gives entries and their match tier (best first).
"""

from __future__ import annotations

import bisect

import numpy as np
import pandas as pd
import shapely
from rapidfuzz import fuzz, process

from core.text import fold
from geo.reference import ReferenceGeography

FUZZY_CUTOFF = 80.0  # "bordaux" → "bordeaux" scores 93, "rene" → "rennes" 80
LABEL_POSTCODES = 3

# Match tiers, best first. A fuzzy match's tier also holds its distance: FUZZY + 100 - score.
EXACT, PREFIX, WORD_PREFIX, ARRONDISSEMENT_POSTCODE, POSTCODE, INSEE_CODE, POSTCODE_PREFIX, FUZZY = range(8)
DESIGNATING_TIERS: tuple[int, ...] = (EXACT, ARRONDISSEMENT_POSTCODE, POSTCODE, INSEE_CODE)

_LAST_CHARACTER = chr(0x10FFFF)


class NameIndex:
    """Folded names and their word suffixes, sorted for prefix look-ups by bisection."""

    def __init__(self, keys: list[tuple[str, ...]]) -> None:
        suffixes, entries, starts = [], [], []
        for entry, entry_keys in enumerate(keys):
            for key in entry_keys:
                for start in _word_starts(key):
                    suffixes.append(key[start:])
                    entries.append(entry)
                    starts.append(start)
        order = np.array(sorted(range(len(suffixes)), key=suffixes.__getitem__), dtype=np.int64)
        self._keys = [suffixes[position] for position in order]
        self._entry = np.array(entries, dtype=np.int64)[order]
        self._at_start = np.array(starts, dtype=np.int64)[order] == 0
        self._length = np.array([len(key) for key in self._keys], dtype=np.int64)
        # Whole names by length (then alphabetically), for the fuzzy look-up.
        whole = np.flatnonzero(self._at_start)
        whole = whole[np.argsort(self._length[whole], kind="stable")]
        self._whole_keys = [self._keys[position] for position in whole]
        self._whole_entry = self._entry[whole]
        self._whole_length = self._length[whole]

    def matches(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Entries with a name or a word of their name starting with ``text``, and the tier of each."""
        low = bisect.bisect_left(self._keys, text)
        high = bisect.bisect_left(self._keys, text + _LAST_CHARACTER, lo=low)
        at_start = self._at_start[low:high]
        tiers = np.where(at_start, PREFIX, WORD_PREFIX)
        tiers[at_start & (self._length[low:high] == len(text))] = EXACT
        return self._entry[low:high], tiers

    def fuzzy_matches(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Entries whose whole name scores at least :data:`FUZZY_CUTOFF` against ``text``, and the scores."""
        # ratio = 1 - (edits / total length) cannot reach the cut-off for names much shorter or
        # longer than the query: only the names of a possible length are scored.
        share = FUZZY_CUTOFF / 100
        low = np.searchsorted(self._whole_length, len(text) * share / (2 - share), side="left")
        high = np.searchsorted(self._whole_length, len(text) * (2 - share) / share, side="right")
        scored = process.extract(
            text, self._whole_keys[low:high], scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=None
        )
        positions = np.array([low + position for _, _, position in scored], dtype=np.int64)
        return self._whole_entry[positions], np.array([score for _, score, _ in scored], dtype=float)


class PostcodeIndex:
    """Sorted (postcode, entry) pairs: communes for prefixes, arrondissements for whole postcodes."""

    def __init__(self, postcodes: list[tuple[str, ...]], is_arrondissement: list[bool]) -> None:
        pairs = sorted(
            (postcode, entry, arrondissement)
            for entry, (codes, arrondissement) in enumerate(zip(postcodes, is_arrondissement))
            for postcode in codes
        )
        self._postcodes = [postcode for postcode, _, _ in pairs]
        self._entry = np.array([entry for _, entry, _ in pairs], dtype=np.int64)
        self._is_arrondissement = np.array([arrondissement for _, _, arrondissement in pairs], dtype=bool)

    def matches(self, digits: str) -> tuple[np.ndarray, np.ndarray]:
        """Entries with a postcode starting with ``digits``, and the tier of each."""
        low = bisect.bisect_left(self._postcodes, digits)
        high = bisect.bisect_left(self._postcodes, digits + _LAST_CHARACTER, lo=low)
        entries, arrondissement = self._entry[low:high], self._is_arrondissement[low:high]
        if len(digits) < 5:
            # An arrondissement is only worth showing for its own postcode: a prefix lists communes.
            return entries[~arrondissement], np.full(np.count_nonzero(~arrondissement), POSTCODE_PREFIX)
        return entries, np.where(arrondissement, ARRONDISSEMENT_POSTCODE, POSTCODE)


def search_entries(reference: ReferenceGeography) -> pd.DataFrame:
    """One row per commune then per arrondissement, with the search keys of each."""
    communes = reference.communes
    names, bare_names = communes["nom"].tolist(), communes["nom_sans_article"].tolist()
    commune_rows = pd.DataFrame(
        {
            "insee_code": communes.index.tolist(),
            "nom": names,
            "departement_code": communes["departement_code"].tolist(),
            "lon": communes["lon"].to_numpy(dtype=float),
            "lat": communes["lat"].to_numpy(dtype=float),
            "population": communes["population"].to_numpy(dtype=np.int64),
            "postcodes": [tuple(filter(None, codes.split("|"))) for codes in communes["postcodes"].tolist()],
            "keys": [_name_keys(name, bare) for name, bare in zip(names, bare_names)],
            "bare_name": bare_names,
            "is_arrondissement": False,
        }
    )
    arrondissements = reference.arrondissements
    parents = communes.loc[arrondissements["insee_code"]]
    links = reference.postcodes[reference.postcodes["arrondissement_code"] != ""]
    postcodes_of = links.groupby("arrondissement_code")["postcode"].agg(lambda codes: tuple(sorted(codes)))
    points = shapely.point_on_surface(arrondissements.geometry.to_numpy())
    arrondissement_rows = pd.DataFrame(
        {
            "insee_code": arrondissements["insee_code"].tolist(),
            "nom": arrondissements["nom"].tolist(),
            "departement_code": parents["departement_code"].tolist(),
            "lon": shapely.get_x(points),
            "lat": shapely.get_y(points),
            # The commune's population ranks an arrondissement among other communes.
            "population": parents["population"].to_numpy(dtype=np.int64),
            "postcodes": [postcodes_of.get(code, ()) for code in arrondissements.index],
            "keys": [_name_keys(name, name) for name in arrondissements["nom"].tolist()],
            "bare_name": arrondissements["nom"].tolist(),
            "is_arrondissement": True,
        }
    )
    rows = pd.concat([commune_rows, arrondissement_rows], ignore_index=True)
    rows["label"] = [
        _label(*row) for row in zip(rows["nom"].tolist(), rows["departement_code"].tolist(), rows["postcodes"])
    ]
    return rows


def _name_keys(name: str, bare_name: str) -> tuple[str, ...]:
    """Folded name, and folded name without its article when it has one.

    Examples
    --------
    >>> _name_keys("Le Mans", "Mans"), _name_keys("Orléans", "Orléans")
    (('le mans', 'mans'), ('orleans',))
    """
    # Folding every name once must not evict the keys that loaders keep in fold's shared cache.
    bare_key = fold.__wrapped__(bare_name)
    return (bare_key,) if name == bare_name else (fold.__wrapped__(name), bare_key)


def entry_of_code(reference: ReferenceGeography) -> dict[str, int]:
    """Entry of every INSEE code (lower case, as queries are folded): communes, arrondissements, former communes.

    Entries are numbered as :func:`search_entries` lays them out: the communes, then the arrondissements.
    """
    communes = reference.communes.index.tolist()
    commune_entry = {code: entry for entry, code in enumerate(communes)}
    arrondissement_entry = {
        code: len(communes) + position for position, code in enumerate(reference.arrondissements.index.tolist())
    }
    aliases = reference.aliases
    found = {
        code: commune_entry[parent]
        for code, parent in zip(aliases["alias_code"].tolist(), aliases["insee_code"].tolist())
    }
    found.update(arrondissement_entry)
    # A commune and the commune déléguée of its chef-lieu share a code: the commune wins.
    found.update(commune_entry)
    return {code.lower(): entry for code, entry in found.items()}


def _label(nom: str, departement: str, postcodes: tuple[str, ...]) -> str:
    """Name, département and first postcodes, to tell homonyms apart.

    Examples
    --------
    >>> _label("Saint-Denis", "974", ("97400", "97417", "97490"))
    'Saint-Denis (974) — 97400, 97417, 97490'
    >>> _label("Paris", "75", ("75001", "75002", "75003", "75004"))
    'Paris (75) — 75001, 75002, 75003…'
    >>> _label("Lacs", "36", ())
    'Lacs (36)'
    """
    if not postcodes:
        return designation(nom, departement)
    more = "…" if len(postcodes) > LABEL_POSTCODES else ""
    return f"{designation(nom, departement)} — {', '.join(postcodes[:LABEL_POSTCODES])}{more}"


def designation(nom: str, departement: str) -> str:
    """The query that designates one commune: its name and its département (unique in France).

    Examples
    --------
    >>> designation("Sainte-Colombe", "89")
    'Sainte-Colombe (89)'
    """
    return f"{nom} ({departement})"


def _word_starts(key: str) -> list[int]:
    """Where each word of a folded key starts.

    Examples
    --------
    >>> _word_starts("saint malo de phily")
    [0, 6, 11, 14]
    """
    starts, position = [], 0
    for word in key.split(" "):
        starts.append(position)
        position += len(word) + 1
    return starts
