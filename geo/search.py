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
  (:data:`geo.search_index.FUZZY_CUTOFF`, rapidfuzz ``ratio``) complete the list, closest first;
* a name may be followed by its département in brackets, as the suggestions show it:
  « Sainte-Colombe (89) », « Rennes (35) — 35000, 35200, 35700 »; only that
  département's communes then match.

Each commune appears once, under its best entry. The communes a query designates (a name
equal to theirs, their postcode, their INSEE code) are never cut by the limit: the twelve
Sainte-Colombe are all suggested. :meth:`CommuneSearch.lookup` tells a page whether a query
found nothing, one commune, or several among which the person has to choose.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.text import fold
from core.vocabulary import SAINT_ABBREVIATIONS
from geo.reference import ReferenceGeography
from geo.search_index import (
    DESIGNATING_TIERS,
    FUZZY,
    INSEE_CODE,
    PREFIX,
    NameIndex,
    PostcodeIndex,
    entry_of_code,
    search_entries,
)

SUGGESTION_COLUMNS: tuple[str, ...] = ("insee_code", "label", "nom", "departement_code", "lon", "lat")
MAX_QUERY_LENGTH = 100  # the longest commune name has 45 characters
MIN_POSTCODE_DIGITS = 2

_SUR = re.compile(r"\bs\s*/", re.IGNORECASE)
# « Nom (dép.) », optionally followed by the postcodes of a suggestion's label: « — 35000, 35200… ».
_DEPARTEMENT_SUFFIX = re.compile(
    r"(?P<name>.*?)\s*\(\s*(?P<departement>\d{2,3}|2[ab])\s*\)\s*(?:[—–-][\d\s,.…]*)?", re.IGNORECASE
)
_INSEE_CODE = re.compile(r"\d[\dab]\d{3}")  # folded: "2a004"


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
        entries = search_entries(reference)
        self._suggestions = entries[list(SUGGESTION_COLUMNS)]
        # The commune of every entry, as a number: arrondissements share their commune's.
        self._commune = pd.factorize(entries["insee_code"])[0]
        self._departement = entries["departement_code"].to_numpy(dtype=object)
        # Most populated first, a commune before its own arrondissements, then in INSEE order.
        popularity_order = np.lexsort((entries["is_arrondissement"].to_numpy(), -entries["population"].to_numpy()))
        self._popularity = np.empty(len(entries), dtype=np.int64)
        self._popularity[popularity_order] = np.arange(len(entries))
        self._names = NameIndex(entries["keys"].tolist())
        self._postcodes = PostcodeIndex(entries["postcodes"].tolist(), entries["is_arrondissement"].tolist())
        self._entry_of_code = entry_of_code(reference)
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


def _kept(tiers: np.ndarray, limit: int) -> int:
    """How many of the ordered matches to keep: ``limit``, or more to keep every designated commune."""
    if limit <= 0:
        return 0
    return max(limit, int(np.count_nonzero(np.isin(tiers, DESIGNATING_TIERS))))


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
