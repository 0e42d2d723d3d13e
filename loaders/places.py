"""Places of activity: the identity rule of a place and the mobility of what a form says.

A person (an animator) works at one or more places; a place may host several persons. The rule
that decides whether two lines name the same place is written once, here, and used by the
loader (:mod:`loaders.pipeline`) and by the migration that moved the places of the store out of
the ``animators`` table (``0005``). See docs/data-model.md, « Identity rules ».

Rule
----
A place is identified by its commune (code INSEE, and arrondissement code when the geocoder gave
one), its folded structure name and its folded address, when given:

* folding is :func:`core.text.fold` (case, accents, punctuation and spacing aside);
* in the folded name and address, a few abbreviations of place names are written out as words
  (:data:`WORD_SYNONYMS`: ``st`` → ``saint``, ``ste`` → ``sainte``, ``bd`` → ``boulevard``,
  ``av`` → ``avenue``); nothing else is expanded, acronyms never (« MVC » is not « Maison de la
  Vie Citoyenne »: no list could say which MVC an acronym means);
* a structure name that says there is none (« aucune », « néant », :data:`NO_STRUCTURE`)
  counts as empty.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.text import fold
from loaders.normalize import yes_no

# Folded abbreviations of place names written out, word by word (whole words only).
WORD_SYNONYMS: dict[str, str] = {"st": "saint", "ste": "sainte", "bd": "boulevard", "av": "avenue"}
# Structure names, folded, that say there is none.
NO_STRUCTURE: frozenset[str] = frozenset({"", "aucune", "aucun", "neant", "sans", "sans structure", "sans objet",
                                          "non", "na", "n a", "nc", "non concerne", "non concernee"})
ITINERANT = "itinérant"
FIXED = "fixe"


def place_name_key(text: str) -> str:
    """The comparison key of a structure name or an address.

    Examples
    --------
    >>> place_name_key("MVC St-Étienne") == place_name_key("mvc saint etienne")
    True
    >>> place_name_key("MVC St Etienne") == place_name_key("Maison de la Vie Citoyenne Saint-Étienne")
    False
    >>> place_name_key("12, Bd  Victor-Hugo")
    '12 boulevard victor hugo'
    """
    return " ".join(WORD_SYNONYMS.get(word, word) for word in fold(text).split())


def place_key(insee_code: str, arrondissement_code: str | None, structure: str | None, address: str | None) -> str:
    """What identifies a place, as text (digested by :func:`place_id`)."""
    return _key_text(insee_code, arrondissement_code, _structure_key(place_name_key(structure or "")),
                     place_name_key(address or ""))


def place_id(insee_code: str, arrondissement_code: str | None, structure: str | None, address: str | None) -> str:
    """The stable id of a place (16 hexadecimal digits), the same on every import of the same place.

    Examples
    --------
    >>> a = place_id("42218", None, "Médiathèque Saint-Étienne", "")
    >>> a == place_id("42218", "", "MEDIATHEQUE ST ETIENNE", None)
    True
    >>> a == place_id("42218", None, "Médiathèque Saint-Étienne", "2 rue Balay")
    False
    >>> a == place_id("35238", None, "Médiathèque Saint-Étienne", "")
    False
    """
    return _digest(place_key(insee_code, arrondissement_code, structure, address))


def place_ids(insee_codes: Sequence[str], arrondissement_codes: Sequence[str | None],
              structures: Sequence[str | None], addresses: Sequence[str | None]) -> list[str]:
    """:func:`place_id` of every row: each name folded once per distinct text, each id digested once per place.

    Examples
    --------
    >>> place_ids(["42218", "42218"], [None, ""], ["Médiathèque St-Étienne", "MEDIATHEQUE SAINT ETIENNE"],
    ...           ["", None]) == [place_id("42218", None, "Médiathèque Saint-Étienne", "")] * 2
    True
    """
    structure_keys = [_structure_key(key) for key in _name_keys(structures)]
    keys = [_key_text(*row) for row in zip(insee_codes, arrondissement_codes, structure_keys, _name_keys(addresses))]
    digests = {key: _digest(key) for key in dict.fromkeys(keys)}
    return [digests[key] for key in keys]


def _name_keys(texts: Sequence[str | None]) -> list[str]:
    """:func:`place_name_key` of every text, computed once per distinct text."""
    positions, distinct = pd.factorize(np.array([text or "" for text in texts], dtype=object))
    keys = np.array([place_name_key(text) for text in distinct.tolist()], dtype=object)
    return keys[positions].tolist()


def _structure_key(name_key: str) -> str:
    return "" if name_key in NO_STRUCTURE else name_key


def _key_text(insee_code: str, arrondissement_code: str | None, structure_key: str, address_key: str) -> str:
    return f"place:{insee_code}|{arrondissement_code or ''}|{structure_key}|{address_key}"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def mobility(answers: pd.Series) -> pd.Series:
    """« itinérant », « fixe » or ``None`` (not said) from what a form wrote about a place.

    An answer naming mobility (« itinérant », « mobile », « hors les murs », « bus ») is itinerant,
    one naming a fixed place (« fixe », « sur place ») is fixed; a yes/no answer (to a question
    such as « Itinérant ? ») reads yes as itinerant and no as fixed.

    Examples
    --------
    >>> mobility(pd.Series(["Itinérant", "Lieu fixe", "oui", "Non", "", "peut-être"])).tolist()
    ['itinérant', 'fixe', 'itinérant', 'fixe', None, None]
    """
    positions, distinct = pd.factorize(answers.fillna("").astype(str).to_numpy(dtype=object))
    said = yes_no(pd.Series(distinct, dtype=object)).tolist()
    values = [_mobility_of(fold(text), answer) for text, answer in zip(distinct.tolist(), said)]
    return pd.Series([values[p] for p in positions], index=answers.index, dtype=object)


def _mobility_of(folded: str, answer: object) -> str | None:
    if any(word in folded for word in ("itinerant", "mobile", "hors les murs", "bus", "ambulant")):
        return ITINERANT
    if any(word in folded for word in ("fixe", "sur place", "sedentaire")):
        return FIXED
    if answer is True:
        return ITINERANT
    if answer is False:
        return FIXED
    return None
