"""Offline commune search for the public search box: a commune name or a postcode.

Suggestions come from the reference geography only, nothing leaves the machine. One
entry per commune, plus one per arrondissement of Paris, Lyon and Marseille (found by
its name or its postcode, pointing at its commune's INSEE code and placed inside the
arrondissement). Rules, in order:

* a query of 2 to 5 digits is a postcode: communes whose postcodes start with it,
  most populated first; exactly 5 digits also finds the arrondissement having that
  postcode (before its commune) and the commune having that INSEE code (after the
  postcode matches); a 5-character INSEE code such as ``2A004`` finds its commune;
* any other query is compared to commune names after :func:`core.text.fold`
  (case, accents and punctuation ignored), with ``st``/``ste``/``sts``/``stes``
  read as ``saint``/``sainte``/``saints``/``saintes`` (the last word is also tried as
  typed, since it may be the beginning of a longer word: "st" → "Strasbourg") and
  ``s/`` as ``sur``. Names equal to the query come first, then names starting with
  it, then names with a word starting with it (names are tried with and without
  their article: "Le Mans" and "Mans"); ties go to the most populated commune;
* when these give fewer suggestions than asked, names within a typing error
  (:data:`FUZZY_CUTOFF`, rapidfuzz ``ratio``) complete the list, closest first;
* a name may be followed by its département in brackets, as the suggestions show it:
  « Sainte-Colombe (89) », « Rennes (35) — 35000, 35200, 35700 »; only that
  département's communes then match.

Each commune appears once, under its best entry. The communes a query designates (a name
equal to theirs, their postcode, their INSEE code) are never cut by the limit: the twelve
Sainte-Colombe are all suggested. :meth:`CommuneSearch.lookup` tells a page whether a query
found nothing, one commune, or several among which the person has to choose.
"""

from __future__ import annotations

import bisect
import enum
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from rapidfuzz import fuzz, process

from core.text import fold
from core.vocabulary import SAINT_ABBREVIATIONS
from geo.reference import ReferenceGeography

SUGGESTION_COLUMNS: tuple[str, ...] = ("insee_code", "label", "nom", "departement_code", "lon", "lat")
FUZZY_CUTOFF = 80.0  # "bordaux" → "bordeaux" scores 93, "rene" → "rennes" 80
MAX_QUERY_LENGTH = 100  # the longest commune name has 45 characters
LABEL_POSTCODES = 3
MIN_POSTCODE_DIGITS = 2

# Match tiers, best first. A fuzzy match's tier also holds its distance: FUZZY + 100 - score.
EXACT, PREFIX, WORD_PREFIX, ARRONDISSEMENT_POSTCODE, POSTCODE, INSEE_CODE, POSTCODE_PREFIX, FUZZY = range(8)
DESIGNATING_TIERS: tuple[int, ...] = (EXACT, ARRONDISSEMENT_POSTCODE, POSTCODE, INSEE_CODE)

_SUR = re.compile(r"\bs\s*/", re.IGNORECASE)
# « Nom (dép.) », optionally followed by the postcodes of a suggestion's label: « — 35000, 35200… ».
_DEPARTEMENT_SUFFIX = re.compile(
    r"(?P<name>.*?)\s*\(\s*(?P<departement>\d{2,3}|2[ab])\s*\)\s*(?:[—–-][\d\s,.…]*)?", re.IGNORECASE
)
_INSEE_CODE = re.compile(r"\d[\dab]\d{3}")  # folded: "2a004"
_LAST_CHARACTER = chr(0x10FFFF)


class Found(enum.Enum):
    """What a query found, as far as a page must decide what to show."""

    NOTHING = "nothing"
    ONE = "one"
    SEVERAL = "several"


@dataclass(frozen=True)
class Lookup:
    """The outcome of :meth:`CommuneSearch.lookup`.

    Attributes
    ----------
    found
        Nothing, one commune, or several to choose from.
    candidates
        The suggestions of the query (rows of :meth:`CommuneSearch.suggest`), best first.
    commune
        The commune found, when ``found`` is :attr:`Found.ONE`.
    """

    found: Found
    candidates: pd.DataFrame
    commune: pd.Series | None = None


class CommuneSearch:
    """Suggestions for a commune name or a postcode, built once from the reference geography.

    Parameters
    ----------
    reference
        The reference geography. Building takes well under a second; build once per process.
    """

    def __init__(self, reference: ReferenceGeography) -> None:
        entries = _entries(reference)
        self._suggestions = entries[list(SUGGESTION_COLUMNS)]
        # The commune of every entry, as a number: arrondissements share their commune's.
        self._commune = pd.factorize(entries["insee_code"])[0]
        self._departement = entries["departement_code"].to_numpy(dtype=object)
        # Most populated first, a commune before its own arrondissements, then in INSEE order.
        popularity_order = np.lexsort((entries["is_arrondissement"].to_numpy(), -entries["population"].to_numpy()))
        self._popularity = np.empty(len(entries), dtype=np.int64)
        self._popularity[popularity_order] = np.arange(len(entries))
        self._names = _NameIndex(entries["keys"].tolist())
        self._postcodes = _PostcodeIndex(entries["postcodes"].tolist(), entries["is_arrondissement"].tolist())
        self._entry_of_code = _entry_of_code(reference)
        self._bare_names = entries["bare_name"].tolist()
        self._postcodes_of = entries["postcodes"].tolist()
        self._is_arrondissement = entries["is_arrondissement"].to_numpy(dtype=bool)

    def entries(self) -> pd.DataFrame:
        """Every entry of the index, in its order, with what its rules read (for a copy in a browser).

        Returns
        -------
        pandas.DataFrame
            :data:`SUGGESTION_COLUMNS` plus ``bare_name`` (the name without its article, whose folded form is
            the second name key), ``postcodes`` (a tuple), ``is_arrondissement`` and ``popularity`` (the rank
            that breaks ties between matches of one tier: 0 for the most populated).
        """
        return self._suggestions.assign(bare_name=self._bare_names, postcodes=self._postcodes_of,
                                        is_arrondissement=self._is_arrondissement, popularity=self._popularity)

    def code_entries(self) -> dict[str, int]:
        """The entry that an INSEE code (lower case) finds: communes, arrondissements and former communes."""
        return dict(self._entry_of_code)

    def suggest(self, query: str, limit: int = 8) -> pd.DataFrame:
        """The communes matching ``query``, best first, one row each.

        Parameters
        ----------
        query
            What the person typed: a commune name (or its beginning) or a postcode.
        limit
            At most this many rows, besides the communes that ``query`` designates: a
            positive limit never cuts homonyms (nor the communes of one postcode).

        Returns
        -------
        pandas.DataFrame
            :data:`SUGGESTION_COLUMNS`: ``insee_code``, ``label`` (name, département and
            the first postcodes, such as "Rennes (35) — 35000, 35200, 35700"), ``nom``,
            ``departement_code`` and the reference point ``lon``/``lat``. Empty for a
            blank query or a query matching nothing.
        """
        entries, tiers = self._search(query, completed_to=limit)
        return self._rows(entries[: _kept(tiers, limit)])

    def lookup(self, query: str, chosen: str | None = None, limit: int = 8) -> Lookup:
        """What ``query`` finds: nothing, one commune, or several to choose from.

        Parameters
        ----------
        query
            What the person typed (see :meth:`suggest`).
        chosen
            The INSEE code the person picked among the candidates of an earlier lookup of
            the same query; ignored unless it is one of them.
        limit
            As for :meth:`suggest`.

        Returns
        -------
        Lookup
            :attr:`Found.ONE` when ``chosen`` is a candidate, when the query designates a
            single commune (see :meth:`resolve`) or when a single commune matches at all;
            :attr:`Found.SEVERAL` otherwise, with every candidate (homonyms first).
        """
        entries, tiers = self._search(query, completed_to=limit)
        candidates = self._rows(entries[: _kept(tiers, limit)])
        if candidates.empty:
            return Lookup(Found.NOTHING, candidates)
        if chosen is not None and chosen in set(candidates["insee_code"]):
            return Lookup(Found.ONE, candidates, candidates[candidates["insee_code"] == chosen].iloc[0])
        designated = np.flatnonzero(np.isin(tiers, DESIGNATING_TIERS))
        if len(designated) == 1:
            return Lookup(Found.ONE, candidates, self._rows(entries[designated]).iloc[0])
        if len(candidates) == 1:
            return Lookup(Found.ONE, candidates, candidates.iloc[0])
        return Lookup(Found.SEVERAL, candidates)

    def resolve(self, query: str) -> pd.Series | None:
        """The commune that ``query`` designates unambiguously, else ``None``.

        That is a name equal to exactly one commune's (after folding), a whole postcode
        of a single commune, or an INSEE code. Prefixes and fuzzy matches never resolve.

        Returns
        -------
        pandas.Series | None
            A row of :meth:`suggest`.
        """
        entries, tiers = self._search(query, completed_to=0)
        designated = entries[np.isin(tiers, DESIGNATING_TIERS)]
        if len(designated) != 1:
            return None
        return self._rows(designated).iloc[0]

    def _search(self, query: str, completed_to: int) -> tuple[np.ndarray, np.ndarray]:
        """Matching entries, best first, one per commune (its best entry), with their match tier.

        Fuzzy matches complete name matches when they are fewer than ``completed_to`` communes.
        """
        name, departement = split_departement(query[:MAX_QUERY_LENGTH])
        text = _SUR.sub(" sur ", name)
        if _is_code(text):
            entries, tiers = self._in_departement(*self._code_matches(_compact(text)), departement)
        else:
            entries, tiers = self._name_matches(fold(text), completed_to, departement)
        order = np.lexsort((self._popularity[entries], tiers))
        entries, tiers = entries[order], tiers[order]
        _, first = np.unique(self._commune[entries], return_index=True)
        kept = np.sort(first)
        return entries[kept], tiers[kept]

    def _code_matches(self, code: str) -> tuple[np.ndarray, np.ndarray]:
        if len(code) < MIN_POSTCODE_DIGITS:
            return _no_match()
        entries, tiers = self._postcodes.matches(code)
        if code in self._entry_of_code:
            entries = np.append(entries, self._entry_of_code[code])
            tiers = np.append(tiers, INSEE_CODE)
        return entries, tiers

    def _in_departement(self, entries: np.ndarray, tiers: np.ndarray,
                        departement: str | None) -> tuple[np.ndarray, np.ndarray]:
        """The matches located in ``departement`` (all of them when it is ``None``)."""
        if departement is None:
            return entries, tiers
        inside = self._departement[entries] == departement
        return entries[inside], tiers[inside]

    def _name_matches(self, folded: str, completed_to: int,
                      departement: str | None) -> tuple[np.ndarray, np.ndarray]:
        words = folded.split()
        if not words:
            return _no_match()
        expanded = [SAINT_ABBREVIATIONS.get(word, word) for word in words]
        as_typed_last = " ".join(expanded[:-1] + words[-1:])
        entries, tiers = self._names.matches(as_typed_last)
        if expanded[-1] != words[-1]:
            # "st" may be the start of "Strasbourg" as well as "Saint": both are suggested, but
            # a name equal to "saint" was not typed in full.
            more_entries, more_tiers = self._names.matches(" ".join(expanded))
            entries = np.concatenate([entries, more_entries])
            tiers = np.concatenate([tiers, np.maximum(more_tiers, PREFIX)])
        entries, tiers = self._in_departement(entries, tiers, departement)
        if len(np.unique(self._commune[entries])) < completed_to:
            fuzzy, scores = self._in_departement(*self._names.fuzzy_matches(" ".join(expanded)), departement)
            entries = np.concatenate([entries, fuzzy])
            tiers = np.concatenate([tiers, FUZZY + 100 - scores.astype(np.int64)])
        return entries, tiers

    def _rows(self, entries: np.ndarray) -> pd.DataFrame:
        return self._suggestions.iloc[entries].reset_index(drop=True)


class _NameIndex:
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


class _PostcodeIndex:
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


def _entries(reference: ReferenceGeography) -> pd.DataFrame:
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


def _entry_of_code(reference: ReferenceGeography) -> dict[str, int]:
    """Entry of every INSEE code (lower case, as queries are folded): communes, arrondissements, former communes.

    Entries are numbered as :func:`_entries` lays them out: the communes, then the arrondissements.
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


def split_departement(query: str) -> tuple[str, str | None]:
    """The name and the département of « Nom (dép.) », as suggestions are labelled.

    Examples
    --------
    >>> split_departement("Sainte-Colombe (89)")
    ('Sainte-Colombe', '89')
    >>> split_departement("Ajaccio (2a) — 20000, 20090, 20167"), split_departement("Paris (75) — 75001, 75002…")
    (('Ajaccio', '2A'), ('Paris', '75'))
    >>> split_departement("Rennes"), split_departement("Saint-Denis (Réunion)")
    (('Rennes', None), ('Saint-Denis (Réunion)', None))
    """
    match = _DEPARTEMENT_SUFFIX.fullmatch(query.strip())
    if match is None or not match["name"]:
        return query, None
    return match["name"], match["departement"].upper()


def designation(nom: str, departement: str) -> str:
    """The query that designates one commune: its name and its département (unique in France).

    Examples
    --------
    >>> designation("Sainte-Colombe", "89")
    'Sainte-Colombe (89)'
    """
    return f"{nom} ({departement})"


def _kept(tiers: np.ndarray, limit: int) -> int:
    """How many of the ordered matches to keep: ``limit``, or more to keep every designated commune."""
    if limit <= 0:
        return 0
    return max(limit, int(np.count_nonzero(np.isin(tiers, DESIGNATING_TIERS))))


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


def _is_code(text: str) -> bool:
    """Digits (a postcode, maybe spaced) or a Corsican INSEE code.

    Examples
    --------
    >>> _is_code("35 000"), _is_code("2A004"), _is_code("Paris 15")
    (True, True, False)
    """
    compact = _compact(text)
    return bool(compact) and (compact.isdigit() or _INSEE_CODE.fullmatch(compact) is not None)


def _compact(text: str) -> str:
    """Folded, without spaces: "35 000" → "35000", "2A004" → "2a004"."""
    return fold(text).replace(" ", "")


def _no_match() -> tuple[np.ndarray, np.ndarray]:
    return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
