"""Manual geocoding fixes: a hub places a rejected row, and every later import of that row reuses it.

A row is recognised by its *location key*: a digest of what it says about its place (the
:data:`loaders.geocoding.LOCATION_FIELDS`, folded so that case, accents and spacing do not
matter). A fix maps a key to a commune; :func:`apply_fixes` writes that commune's INSEE code in
place of the row's own place fields, so the first geocoding rule (the INSEE code) places it.

A rejected row keeps only its key and what it said about its place (:func:`location_texts`).
:func:`placing_of` reads that back for the page that places rows: whether a fix can place it at
all (:class:`Placeability`), and what to search for.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from core.text import fold
from loaders.geocoding import LOCATION_FIELDS, UNCOVERED_POSTCODES, UNCOVERED_TERRITORIES

FIX_NOTE = "placée à la main par un hub (correction enregistrée)"
TEXT_SEPARATOR = ", "
# A postcode or an INSEE code (Corsica's 2A/2B), alone or followed by a name (« 34000 Montpellier »).
_CODE = re.compile(r"(?P<code>\d{5}|2[AaBb]\d{3})(?:\s+(?P<rest>.*\D.*))?")
# Words of a street (or a postal box) rather than of a commune name; a house number is recognised apart.
STREET_WORDS = frozenset({
    "rue", "avenue", "av", "boulevard", "bd", "chemin", "impasse", "allee", "place", "route", "quai", "cours",
    "passage", "square", "sentier", "voie", "residence", "lieu", "lotissement", "hameau", "zone", "za", "zi",
    "zac", "parc", "esplanade", "promenade", "faubourg", "bp", "cs", "cedex",
})


class Placeability(enum.Enum):
    """Whether a manual fix may place a rejected row."""

    PLACEABLE = "placeable"
    # Its key is shared by every row without a place: a fix would place all of them there.
    NO_LOCATION = "no_location"
    # A postcode or INSEE code of a territory the reference geography does not hold (Nouvelle-Calédonie…).
    OUTSIDE_REFERENCE = "outside_reference"


@dataclass(frozen=True)
class Placing:
    """What the page that places rejected rows needs to know about one row.

    Attributes
    ----------
    placeability
        Whether a fix may place the row.
    code
        The postcode (else INSEE code) the row gives, ``""`` for none.
    commune
        The commune name the row gives, ``""`` for none (never a street).
    territory
        The territory outside the reference geography, for `Placeability.OUTSIDE_REFERENCE`.
    """

    placeability: Placeability
    code: str = ""
    commune: str = ""
    territory: str = ""

    @property
    def search(self) -> str:
        """What to search for: the postcode and the commune, as far as the row gives them."""
        return " ".join(part for part in (self.code, self.commune) if part)


def location_keys(canonical: pd.DataFrame) -> pd.Series:
    """The location key of every row (32 hex digits; rows without any place field share one key).

    Examples
    --------
    >>> rows = pd.DataFrame({"postcode": ["35000", " 35000"], "city": ["Renne", "RENNE"]})
    >>> keys = location_keys(rows)
    >>> keys[0] == keys[1], len(keys[0])
    (True, 32)
    """
    fields = _place_fields(canonical)
    return pd.Series([hashlib.md5("\x1f".join(map(fold, row)).encode(), usedforsecurity=False).hexdigest()
                      for row in fields.itertuples(index=False)], index=fields.index, dtype=object)


def location_texts(canonical: pd.DataFrame) -> pd.Series:
    """What each row says about its place, for a person: the non-empty place fields, in order.

    Examples
    --------
    >>> location_texts(pd.DataFrame({"postcode": ["35000"], "city": ["Renne"], "address": [""]})).tolist()
    ['35000, Renne']
    """
    fields = _place_fields(canonical)
    return pd.Series([TEXT_SEPARATOR.join(value for value in row if value) for row in fields.itertuples(index=False)],
                     index=fields.index, dtype=object)


def apply_fixes(canonical: pd.DataFrame, fixes: Mapping[str, str]) -> tuple[pd.DataFrame, pd.Series]:
    """Rows with a fix get the fixed INSEE code as their only place field; return them and the mask.

    Examples
    --------
    >>> rows = pd.DataFrame({"insee_code": ["", ""], "postcode": ["35000", "29200"], "city": ["Renne", "Brest"]})
    >>> fixed_rows, fixed = apply_fixes(rows, {location_keys(rows)[0]: "35238"})
    >>> fixed.tolist(), fixed_rows.loc[0, ["insee_code", "postcode", "city"]].tolist()
    ([True, False], ['35238', '', ''])
    """
    # A fix on the key of rows without any place would place every such row, of every file, there.
    usable = set(fixes) - {EMPTY_LOCATION_KEY}
    fixed = location_keys(canonical).isin(usable) if usable else pd.Series(False, index=canonical.index)
    if not fixed.any():
        return canonical, fixed
    result = canonical.copy()
    place = [name for name in LOCATION_FIELDS if name in result.columns]
    result.loc[fixed, place] = ""
    result.loc[fixed, "insee_code"] = location_keys(canonical)[fixed].map(fixes)
    return result, fixed


def placing_of(location_key: str | None, location_text: object) -> Placing:
    """Read back what a rejected row said about its place (:func:`location_texts`), for placing it by hand.

    The fields of the text are in :data:`loaders.geocoding.LOCATION_FIELDS` order, empty ones left
    out: codes first, then the commune, then the address, then coordinates. A missing text (a
    database ``NULL``, read as ``None`` or NaN) is a row without any place.

    Parameters
    ----------
    location_key
        The row's location key (:func:`location_keys`).
    location_text
        The row's location text, possibly missing.

    Returns
    -------
    Placing
        Whether a fix may place the row, and its postcode and commune.

    Examples
    --------
    >>> placing_of("k", "32100, Xyzville, 32 rue de la Gare").search
    '32100 Xyzville'
    >>> placing_of("k", "32100, 32 rue de la Gare").search
    '32100'
    >>> placing_of("k", "Perpète-les-Oies, 21 rue Jules Ferry").search
    'Perpète-les-Oies'
    >>> placing_of("k", "12 rue X, 34000 Montpellier").search
    '34000 Montpellier'
    >>> placing_of("k", "45.000000, -20.000000")
    Placing(placeability=<Placeability.PLACEABLE: 'placeable'>, code='', commune='', territory='')
    >>> placing_of("k", "98800, Nouméa, 45 avenue de la Libération").territory
    'la Nouvelle-Calédonie'
    >>> placing_of(EMPTY_LOCATION_KEY, None).placeability, placing_of("k", float("nan")).search
    (<Placeability.NO_LOCATION: 'no_location'>, '')
    """
    text = location_text if isinstance(location_text, str) else ""
    parts = [part.strip() for part in text.split(TEXT_SEPARATOR.strip()) if part.strip()]
    if location_key == EMPTY_LOCATION_KEY or not parts:
        return Placing(Placeability.NO_LOCATION)
    codes, commune = [], ""
    for part in parts:
        match = _CODE.fullmatch(part)
        if match:
            codes.append(match["code"].upper())
            commune = commune or (match["rest"] or "").strip()
        elif not commune and _is_name(part):
            commune = part
    # The postcode comes after the INSEE code in the text: it is the one a person searches with.
    code = codes[-1] if codes else ""
    territory = next(filter(None, map(_uncovered_territory, codes)), "")
    if territory:
        return Placing(Placeability.OUTSIDE_REFERENCE, code, commune, territory)
    return Placing(Placeability.PLACEABLE, code, commune)


def _is_name(part: str) -> bool:
    """A part of a location text that reads as a commune name: letters, no house number, no street word.

    The COG writes multi-word names with hyphens (« Grande-Synthe »), so a street word standing
    alone (« Grande Rue ») marks a street. The communes named « Rue » or « Place » are taken for streets:
    the row's postcode still finds them.

    Examples
    --------
    >>> [_is_name(p) for p in ("Saint-Malo", "Grande-Synthe", "Le Grand-Bornand", "L'Haÿ-les-Roses")]
    [True, True, True, True]
    >>> [_is_name(p) for p in ("32 rue de la Gare", "Grande Rue", "rue Pasteur", "45.000000", "-20.5", "")]
    [False, False, False, False, False, False]
    """
    if not any(char.isalpha() for char in part) or part.lstrip()[:1].isdigit():
        return False
    return not any(fold(token) in STREET_WORDS for token in part.split())


def _uncovered_territory(code: str) -> str:
    """The territory outside the reference geography that a postcode or INSEE code names, else ``""``."""
    return UNCOVERED_POSTCODES.get(code) or UNCOVERED_TERRITORIES.get(code[:3], "")


def _place_fields(canonical: pd.DataFrame) -> pd.DataFrame:
    # Every place field, absent ones empty: a row's key does not depend on which columns its frame holds.
    return canonical.reindex(columns=list(LOCATION_FIELDS), fill_value="").fillna("").astype(str)


# The key every row without any place field shares (:func:`location_keys`).
EMPTY_LOCATION_KEY: str = location_keys(pd.DataFrame({name: [""] for name in LOCATION_FIELDS}))[0]
