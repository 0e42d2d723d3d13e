"""Vectorised parsing of French form answers.

Each ``parse_*`` function reads one answer; its plural twin (``yes_no``,
``training_statuses``...) reads a whole column (dates and times: :mod:`loaders.dates`).
A column of 100,000 answers holds few distinct values, so the plural functions parse
each distinct value once and spread the results back over the rows.

The column functions accept a Series of text (object or ``str`` dtype);
missing values and ``""`` are empty answers. They return a Series of dtype
``object`` with the same index, holding Python values and ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pandas as pd

from core.text import fold
from core.vocabulary import IN_TRAINING, REFERENCED, TRAINED
from loaders.themes import ThemeRegistry

Parsed = TypeVar("Parsed")

# --------------------------------------------------------------------- columns


def answer_text(value: object) -> str:
    """Return a cell as text; a missing cell is the empty answer."""
    if isinstance(value, str):
        return value
    return "" if pd.isna(value) else str(value)


def parse_distinct(series: pd.Series, parse: Callable[[str], Parsed]) -> np.ndarray:
    """Parse each distinct value of a column once; return one result per row."""
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    parsed = np.empty(len(uniques), dtype=object)
    # Filled one by one: numpy would unpack list results given all at once.
    # The values are copied to a list first: iterating over an Arrow-backed
    # Index is ten times slower.
    for position, value in enumerate(uniques.tolist()):
        parsed[position] = parse(answer_text(value))
    return parsed[codes]


def map_distinct(series: pd.Series, parse: Callable[[str], Parsed]) -> pd.Series:
    """:func:`parse_distinct` as a Series of Python values (object dtype) on the column's index."""
    return pd.Series(parse_distinct(series, parse), index=series.index, name=series.name, dtype=object)


# ---------------------------------------------------------------------- yes/no

_CHECKED_BOXES = frozenset({"x", "X", "✓", "✔", "☑", "✅", "🗸"})
_UNCHECKED_BOXES = frozenset({"✗", "✘", "❌", "☐"})
# The first clause of an answer decides: "Oui, mais pas mon téléphone" is yes.
_CLAUSE_END = re.compile(r"[,;:.!?()\[\]/\n]")
_NEGATIONS = frozenset(
    {"non", "no", "n", "pas", "ne", "aucun", "aucune", "jamais", "refuse", "refusee", "refus",
     "false", "faux", "0", "nope", "not", "never"}
)
_AFFIRMATIONS = (
    "oui", "o", "yes", "y", "yep", "true", "vrai", "1", "x", "ok", "okay", "d accord", "accord",
    "je suis d accord", "j accepte", "accepte", "acceptee", "j autorise", "autorise", "autorisee",
    "je consens", "consens", "bien sur", "evidemment", "absolument", "tout a fait", "certainement",
    "volontiers", "si", "je souhaite", "souhaite", "je veux bien", "avec plaisir", "favorable",
    "valide", "coche", "checked", "agree", "i agree", "accept", "i accept",
)
# Answers that say nothing, although some contain a negation word.
_NON_ANSWERS = (
    "ne sais pas", "ne sait pas", "sais pas", "nsp", "peut etre", "sans avis", "sans opinion",
    "non renseigne", "non communique", "non applicable", "non precise", "nc", "n a", "na", "nr",
    "nan", "none", "null", "inconnu",
)


def _starts_with_phrase(key: str, phrase: str) -> bool:
    return key == phrase or key.startswith(phrase + " ")


def _contains_phrase(key: str, phrase: str) -> bool:
    return f" {phrase} " in f" {key} "


def _first_clause(text: str) -> str:
    return fold(_CLAUSE_END.split(text, maxsplit=1)[0]) or fold(text)


def parse_yes_no(value: str) -> bool | None:
    """Read a yes/no answer written in French (or English).

    The first clause of the answer decides; in it, a negation word ("non",
    "pas", "ne", "refuse", "aucun"...) makes the answer no, whatever else it
    says; otherwise the answer is yes when it starts with an affirmation
    ("oui", "o", "x", "1", "vrai", "ok", "d'accord", "j'accepte"...).

    Parameters
    ----------
    value
        One answer, such as ``"Oui, j'accepte"`` or ``"Je ne souhaite pas"``.

    Returns
    -------
    bool or None
        ``True`` for yes (a checked box too), ``False`` for no (``"pas encore"``
        too), ``None`` for an empty, unclear or unknown answer.

    Examples
    --------
    >>> parse_yes_no("oui (formé en 2024)"), parse_yes_no("Non merci"), parse_yes_no("Peut-être")
    (True, False, None)
    """
    text = value.strip()
    if text in _CHECKED_BOXES:
        return True
    if text in _UNCHECKED_BOXES:
        return False
    # Looked for in the whole answer: "N/A" is no clause of "N".
    if any(_contains_phrase(fold(text), phrase) for phrase in _NON_ANSWERS):
        return None
    clause = _first_clause(text)
    if _NEGATIONS.intersection(clause.split()):
        return False
    if any(_starts_with_phrase(clause, phrase) for phrase in _AFFIRMATIONS):
        return True
    return None


def yes_no(series: pd.Series) -> pd.Series:
    """Apply :func:`parse_yes_no` to a column (object dtype: True, False or None)."""
    return map_distinct(series, parse_yes_no)


def parse_yes_or_named(value: str) -> bool:
    """Read a field that holds either a yes/no answer or the name of someone.

    Some exports answer "Conseiller numérique ?" with the adviser's name: any
    text that is neither a no nor a non-answer ("NC", "ne sais pas") means yes.

    Examples
    --------
    >>> parse_yes_or_named("Oui"), parse_yes_or_named("Marie Dupont"), parse_yes_or_named("NC")
    (True, True, False)
    """
    answer = parse_yes_no(value)
    if answer is not None:
        return answer
    key = fold(value)
    has_letters = any(c.isalpha() for c in key)
    return has_letters and not any(_contains_phrase(key, phrase) for phrase in _NON_ANSWERS)


def yes_or_named(series: pd.Series) -> pd.Series:
    """Apply :func:`parse_yes_or_named` to a column (object dtype of bool)."""
    return map_distinct(series, parse_yes_or_named)


# ------------------------------------------------------------ training status

# Checked in this order: the first that matches decides.
_WANTS_TRAINING = re.compile(
    r"\b(souhait\w*|interess\w*|voudrai\w*|aimerai\w*|envisag\w*|a former|reference\w*|candidat\w*|volontaire)\b"
)
_IN_TRAINING = re.compile(
    r"\b(en cours|en formation|inscrit\w*|prevue?s?|a venir|planifie\w*|programme\w*|bientot|session)\b"
)
_TRAINED = re.compile(
    r"\b(forme|formee|formes|formees|forme e|certifie\w*|diplome\w*|habilite\w*|suivi\w*|termine\w*"
    r"|valide\w*|acquis\w*|formateur|formatrice)\b"
)


def parse_training_status(value: str) -> str | None:
    """Read whether an animator is trained, in training or only referenced.

    A wish ("souhaite être formé", "intéressé", "référencé") or a negation
    ("non", "pas encore") means ``referenced``; then a planned or running
    training ("en cours", "inscrit", "formation prévue", "à venir") means
    ``in_training``; then a done training ("formé·e", "certifié", "a suivi la
    formation") or a yes means ``trained``.

    Parameters
    ----------
    value
        One answer.

    Returns
    -------
    str or None
        ``"trained"``, ``"in_training"`` or ``"referenced"``; ``None`` for an
        empty or unknown answer.
    """
    if not value.strip():
        return None
    key = fold(value)
    if _WANTS_TRAINING.search(key):
        return REFERENCED
    answer = parse_yes_no(value)
    if answer is False:
        return REFERENCED
    if _IN_TRAINING.search(key):
        return IN_TRAINING
    if answer or _TRAINED.search(key):
        return TRAINED
    return None


def training_statuses(series: pd.Series) -> pd.Series:
    """Apply :func:`parse_training_status` to a column (object dtype: str or None)."""
    return map_distinct(series, parse_training_status)


# ------------------------------------------------------------ multiple choice

# A separator followed by ")" before any "(" is inside parentheses.
_CHOICE_SEPARATOR = re.compile(r"[,;|\r\n](?![^()]*\))")


def split_multi(value: str) -> list[str]:
    """Split the answer of a multiple-choice question into its choices.

    Choices are separated by ``,``, ``;``, ``|`` or line breaks, except inside
    parentheses: ``"Café IA (CNNum, ANCT); Parentalité"`` has two choices.

    Returns
    -------
    list of str
        The stripped, non-empty choices, in answer order.
    """
    return [choice.strip() for choice in _CHOICE_SEPARATOR.split(value) if choice.strip()]


def _theme_slugs_and_unknown(value: str, registry: ThemeRegistry) -> tuple[list[str], list[str]]:
    found: set[str] = set()
    unknown: list[str] = []
    for choice in split_multi(value):
        slug = registry.match(choice)
        if slug:
            found.add(slug)
        elif choice not in unknown:
            unknown.append(choice)
    return [slug for slug in registry.slugs() if slug in found], unknown


def themes(series: pd.Series, registry: ThemeRegistry) -> tuple[pd.Series, pd.Series]:
    """Read the themes named in a multiple-choice column.

    Parameters
    ----------
    series
        Answers such as ``"Café IA, Parentalité numérique"``.
    registry
        The known themes.

    Returns
    -------
    tuple of pandas.Series
        Per row, the list of theme slugs (without duplicates, in registry
        order) and the list of choices that name no theme (in answer order).
    """
    pairs = parse_distinct(series, lambda value: _theme_slugs_and_unknown(value, registry))
    # Rows with the same answer get their own lists, so that editing one row
    # cannot change another.
    slugs = pd.Series([list(pair[0]) for pair in pairs], index=series.index, name=series.name, dtype=object)
    unknown = pd.Series([list(pair[1]) for pair in pairs], index=series.index, name=series.name, dtype=object)
    return slugs, unknown
