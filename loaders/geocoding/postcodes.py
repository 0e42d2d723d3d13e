"""Postcodes as written in forms: cleaned, their département, and the territories the reference leaves out."""

from __future__ import annotations

import re
from functools import lru_cache

from core.text import fold
from loaders.geocoding import wording

UNCOVERED_TERRITORIES = {
    "975": "Saint-Pierre-et-Miquelon",
    "977": "Saint-Barthélemy",
    "978": "Saint-Martin",
    "984": "les Terres australes et antarctiques françaises",
    "986": "Wallis-et-Futuna",
    "987": "la Polynésie française",
    "988": "la Nouvelle-Calédonie",
}
UNCOVERED_POSTCODES = {"97133": "Saint-Barthélemy", "97150": "Saint-Martin"}  # postcodes under Guadeloupe's 971

POSTCODE_IN_TEXT = re.compile(r"(?<![\d])(\d{2})\s?(\d{3})(?![\d])")
CEDEX = re.compile(r"\bcedex\b(\s*\d+)?")
_NOT_DIGIT = re.compile(r"\D")
_TYPED_AS_NUMBER = re.compile(r"[\d\s.]*")
_OVERSEAS_CODE = re.compile(r"9[78]\d{3}")


@lru_cache(maxsize=1 << 16)
def clean_postcode(raw: str) -> tuple[str, tuple[str, ...]]:
    """Digits of a postcode, with a lost leading zero restored; ``""`` if unusable."""
    text = fold(raw)
    text = CEDEX.sub("", text).strip()
    digits = _NOT_DIGIT.sub("", text)
    if len(digits) == 4 and _TYPED_AS_NUMBER.fullmatch(raw.strip()):
        return "0" + digits, (wording.zero_restored("code postal", raw),)
    if len(digits) == 5:
        notes = (wording.CEDEX_IGNORED,) if "cedex" in fold(raw) else ()
        return digits, notes
    return "", ()


def departement_of_postcode(postcode: str) -> str:
    """Most likely département of a postcode (Corsica: 200/201 → 2A, 202/206 → 2B)."""
    if postcode.startswith("97"):
        return postcode[:3]
    if postcode.startswith("20"):
        return "2A" if postcode[2] in "01" else "2B"
    return postcode[:2]


def uncovered_territory(code: str) -> str | None:
    """Territory outside the COG's communes named by an INSEE code or a postcode, if any."""
    if code in UNCOVERED_POSTCODES:
        return UNCOVERED_POSTCODES[code]
    return UNCOVERED_TERRITORIES.get(code[:3]) if _OVERSEAS_CODE.fullmatch(code) else None
