"""Manual geocoding fixes: a hub places a rejected row, and every later import of that row reuses it.

A row is recognised by its *location key*: a digest of what it says about its place (the
:data:`loaders.geocode.LOCATION_FIELDS`, folded so that case, accents and spacing do not
matter). A fix maps a key to a commune; :func:`apply_fixes` writes that commune's INSEE code in
place of the row's own place fields, so the first geocoding rule (the INSEE code) places it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import pandas as pd

from loaders.geocode import LOCATION_FIELDS
from loaders.text import fold

FIX_NOTE = "placée à la main par un hub (correction enregistrée)"


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
    return pd.Series([", ".join(value for value in row if value) for row in fields.itertuples(index=False)],
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
    fixed = location_keys(canonical).isin(set(fixes)) if fixes else pd.Series(False, index=canonical.index)
    if not fixed.any():
        return canonical, fixed
    result = canonical.copy()
    place = [name for name in LOCATION_FIELDS if name in result.columns]
    result.loc[fixed, place] = ""
    result.loc[fixed, "insee_code"] = location_keys(canonical)[fixed].map(fixes)
    return result, fixed


def _place_fields(canonical: pd.DataFrame) -> pd.DataFrame:
    return canonical[[name for name in LOCATION_FIELDS if name in canonical.columns]].fillna("").astype(str)
