"""The one text normaliser used to compare labels written by people.

Headers, theme labels, yes/no answers and commune names are all compared after
:func:`fold`, so that ``"Adresse e-mail"``, ``"ADRESSE E‑MAIL "`` and
``"adresse_email"`` meet on the same key.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Letters that NFKD does not decompose but that people expect to meet their
# ASCII spelling (the French ligatures first).
_UNDECOMPOSED_LETTERS = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ı": "i"})

# ``\W`` does not contain ``_``: underscores separate words in exported headers.
_SEPARATOR_RUN = re.compile(r"[\W_]+")


class _CombiningMarks(dict):
    """``str.translate`` table deleting combining marks (accents once decomposed), filled as characters are met."""

    def __missing__(self, code: int) -> int | None:
        self[code] = None if unicodedata.combining(chr(code)) else code
        return self[code]


_WITHOUT_COMBINING_MARKS = _CombiningMarks()


@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Reduce a text to a comparison key.

    The key is case-folded, without accents, and every run of characters that
    are not letters or digits (apostrophes, hyphens, underscores, dots, spaces,
    non-breaking spaces...) becomes a single space; the key is stripped.

    Parameters
    ----------
    text
        Any text written by a person or exported by a form tool.

    Returns
    -------
    str
        The comparison key, ``""`` for a text without letters or digits.

    Examples
    --------
    >>> fold("  Adresse e-mail ")
    'adresse e mail'
    >>> fold("L’Haÿ-les-Roses")
    'l hay les roses'
    >>> fold("Cœur_de_ville")
    'coeur de ville'
    """
    folded = text.casefold()
    # Most keys are plain ASCII: skip the Unicode decomposition for them.
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFKD", folded.translate(_UNDECOMPOSED_LETTERS))
        # Compatibility characters (such as "Ⅸ" or "ℌ") decompose to capitals.
        folded = decomposed.translate(_WITHOUT_COMBINING_MARKS).casefold()
    return _SEPARATOR_RUN.sub(" ", folded).strip()
