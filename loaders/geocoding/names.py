"""Commune names as written in forms, reduced to comparison keys."""

from __future__ import annotations

import re
from functools import lru_cache

from core.text import fold
from core.vocabulary import SAINT_ABBREVIATIONS
from loaders.geocoding import wording
from loaders.geocoding.postcodes import CEDEX

ARTICLE_TOKENS = frozenset({"le", "la", "les", "l", "aux", "las", "los"})
ARRONDISSEMENT_COMMUNES = frozenset({"75056", "69123", "13055"})
ARRONDISSEMENT_CITIES = {"paris": ("75056", "751", 20), "lyon": ("69123", "6938", 9), "marseille": ("13055", "132", 16)}
ARRONDISSEMENT_LABEL = re.compile(
    r"^(paris|lyon|marseille)\s*(\d{1,2})\s*(?:e|eme|er|ere|em|arr|arrondissement)?(?:\s+arr(?:ondissement)?)?$"
)


@lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    """Comparison key of a commune name: folded, St/Ste expanded, leading and trailing articles dropped."""
    tokens = [SAINT_ABBREVIATIONS.get(t, t) for t in fold(name).split()]
    while tokens and tokens[0] in ARTICLE_TOKENS and len(tokens) > 1:
        tokens = tokens[1:]
    while tokens and tokens[-1] in ARTICLE_TOKENS and len(tokens) > 1:
        tokens = tokens[:-1]
    return " ".join(tokens)


@lru_cache(maxsize=1 << 16)
def city_name_key(raw: str) -> tuple[str, tuple[str, ...]]:
    """Key of a city as typed in a form (CEDEX and its number removed)."""
    text = fold(raw)
    notes: tuple[str, ...] = ()
    if CEDEX.search(text):
        text = CEDEX.sub(" ", text)
        notes = (wording.CEDEX_IGNORED,)
    return name_key(text), notes
