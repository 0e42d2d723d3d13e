"""The location columns of the loader benchmark's messy export, with the messiness people put in them.

Postcodes and INSEE codes that lost their leading zero, Corsican INSEE codes written ``20xxx``, CEDEX
mentions, arrondissement labels ("Paris 11e"); commune names in capitals or lower case, without accents,
with "St"/"Ste", with the article after the name ("Havre (Le)"), with a one-letter typo; coordinates in
degrees (dot or comma decimals, sometimes swapped) or Lambert-93; and rows whose postcode and commune are
only in the address. ``bench/make_messy_export.py`` builds the rest of the rows and writes the file.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from geo.reference import ReferenceGeography
from scripts.synthetic import (
    abbreviate_saints,
    apply_where,
    arrondissement_label,
    one_letter_typos,
    pick,
    share_mask,
    sometimes,
    street_addresses,
    without_accents,
    without_leading_zero,
)
from scripts.synthetic_places import OVERSEAS_DEPARTEMENTS, points_near, to_lambert93

INSEE_SHARE = 0.315  # about 30 % once the address-only rows are emptied
COORDINATES_SHARE = 0.315  # likewise
ADDRESS_ONLY_SHARE = 0.05
TYPO_SHARE = 0.03
# A one-letter typo in a shorter name is another word, not a typo a reader would fix.
TYPO_MIN_LETTERS = 8
_ARTICLE_FIRST = re.compile(r"^(Le |La |Les |L')(.+)$")


def messy_locations(
    places: pd.DataFrame, reference: ReferenceGeography, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """The location columns of placed rows, with their messiness.

    Parameters
    ----------
    places
        Places from :func:`scripts.synthetic_places.draw_places`, one per row.
    reference
        The reference geography the places were drawn from (contours, for the coordinates).
    rng
        Source of randomness.

    Returns
    -------
    dict
        Column name (``address``, ``postcode``, ``city``, ``insee_code``, ``lat``, ``lon``, ``x``,
        ``y``) -> texts in row order (object dtype), ``""`` where the row leaves the field empty.
    """
    rows = len(places)
    address_only = share_mask(rows, ADDRESS_ONLY_SHARE, rng)
    postcode = _messy_postcodes(places["postcode"].to_numpy(dtype=object), rng)
    city = _messy_cities(places, rng)
    street = np.array(street_addresses(rows, rng), dtype=object)
    full_address = [
        f"{s}, {p} {c}"
        for s, p, c in zip(street, places["postcode"].to_numpy(dtype=object), places["commune"].to_numpy(dtype=object))
    ]
    columns = {
        "address": np.where(address_only, full_address, street).astype(object),
        "postcode": np.where(address_only, "", postcode).astype(object),
        "city": np.where(address_only, "", city).astype(object),
        "insee_code": np.where(address_only, "", _insee_codes(places, rng)).astype(object),
    }
    coordinates = _coordinates(places, reference, rng)
    for name, values in coordinates.items():
        columns[name] = np.where(address_only, "", values).astype(object)
    return columns


def _messy_postcodes(postcodes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Postcodes with a space, a CEDEX mention, or (for codes that read as numbers) a lost leading zero."""
    style = rng.random(len(postcodes))
    postcodes = apply_where(postcodes, style < 0.01, lambda code: f"{code[:2]} {code[2:]}")
    postcodes = apply_where(postcodes, (style >= 0.01) & (style < 0.02), lambda code: code + " CEDEX")
    # A spreadsheet that read the column as numbers dropped the zeros of a whole batch of rows; it kept
    # the text cells above as typed.
    return apply_where(postcodes, (style >= 0.02) & (style < 0.42), without_leading_zero)


def _messy_cities(places: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Commune names as typed, arrondissement labels in Paris, Lyon and Marseille."""
    rows = len(places)
    city = _with_typos(places["commune"].to_numpy(dtype=object), rng)
    city = apply_where(city, share_mask(rows, 0.2, rng), _article_after)
    city = apply_where(city, share_mask(rows, 0.5, rng), abbreviate_saints)
    city = apply_where(city, share_mask(rows, 0.15, rng), without_accents)
    cedex_number = rng.integers(1, 10, size=rows)
    cedex = share_mask(rows, 0.01, rng)
    city[cedex] = [f"{name} CEDEX {number}" for name, number in zip(city[cedex], cedex_number[cedex].tolist())]
    case = rng.random(rows)
    city = apply_where(city, case < 0.25, str.upper)
    city = apply_where(city, case > 0.92, str.lower)
    arrondissement = places["arrondissement_code"].to_numpy(dtype=object)
    labelled = (arrondissement != "") & share_mask(rows, 0.5, rng)
    suffixes = pick(("e", "ème", "eme", "EME", "e arrondissement", "e arr."), rows, rng)
    city[labelled] = [
        arrondissement_label(code, suffix) for code, suffix in zip(arrondissement[labelled], suffixes[labelled])
    ]
    spaced = share_mask(rows, 0.03, rng)
    city[spaced] = [f" {name} " for name in city[spaced]]
    return city


def _with_typos(names: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One letter changed in about :data:`TYPO_SHARE` of the names, after their article."""
    parts = {name: _article_and_rest(name) for name in set(names)}
    article = np.array([parts[name][0] for name in names], dtype=object)
    rest = np.array([parts[name][1] for name in names], dtype=object)
    letters = {text: sum(char.isascii() and char.isalpha() for char in text) for text in set(rest)}
    long_enough = np.array([letters[text] >= TYPO_MIN_LETTERS for text in rest])
    typo = long_enough & share_mask(len(names), TYPO_SHARE / max(long_enough.mean(), 1e-9), rng)
    result = names.copy()
    result[typo] = article[typo] + one_letter_typos(rest[typo], rng)
    return result


def _article_and_rest(name: str) -> tuple[str, str]:
    """``Le Havre`` → (``Le ``, ``Havre``); (``""``, name) without article."""
    match = _ARTICLE_FIRST.match(name)
    return (match[1], match[2]) if match else ("", name)


def _article_after(name: str) -> str:
    """``Le Havre`` → ``Havre (Le)``, as official lists sorted by name write it."""
    match = _ARTICLE_FIRST.match(name)
    return f"{match[2]} ({match[1].strip()})" if match else name


def _insee_codes(places: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """INSEE codes for some rows: arrondissement codes, lost zeros, ``20xxx`` in Corsica, a postcode by mistake."""
    rows = len(places)
    arrondissement = places["arrondissement_code"].to_numpy(dtype=object)
    code = np.where(
        (arrondissement != "") & share_mask(rows, 0.5, rng), arrondissement, places["insee_code"].to_numpy(dtype=object)
    ).astype(object)
    code = apply_where(code, share_mask(rows, 0.4, rng), without_leading_zero)
    code = apply_where(code, share_mask(rows, 0.3, rng), lambda value: re.sub(r"^2[AB]", "20", value))
    code = np.where(share_mask(rows, 0.02, rng), places["postcode"].to_numpy(dtype=object), code)
    return sometimes(code, INSEE_SHARE, rng)


def _coordinates(
    places: pd.DataFrame, reference: ReferenceGeography, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Latitude/longitude or Lambert-93 x/y for some rows, written in several ways."""
    rows = len(places)
    lon, lat = points_near(places, reference, rng, 250.0)
    given = share_mask(rows, COORDINATES_SHARE, rng) & ~np.isnan(lon)
    metropolitan = ~places["departement_code"].isin(OVERSEAS_DEPARTEMENTS).to_numpy()
    style = rng.random(rows)
    comma = given & (style < 0.15)
    swapped = given & (style >= 0.15) & (style < 0.25)
    lambert = given & (style >= 0.25) & (style < 0.45) & metropolitan
    decimals = rng.integers(4, 7, size=rows)
    lat_text = np.array([f"{value:.{d}f}" for value, d in zip(lat.tolist(), decimals.tolist())], dtype=object)
    lon_text = np.array([f"{value:.{d}f}" for value, d in zip(lon.tolist(), decimals.tolist())], dtype=object)
    lat_text, lon_text = np.where(swapped, lon_text, lat_text), np.where(swapped, lat_text, lon_text)
    lat_text = apply_where(lat_text, comma, lambda text: text.replace(".", ","))
    lon_text = apply_where(lon_text, comma, lambda text: text.replace(".", ","))
    in_degrees = given & ~lambert
    x, y = np.full(rows, "", dtype=object), np.full(rows, "", dtype=object)
    projected = to_lambert93(lon[lambert], lat[lambert])
    x[lambert], y[lambert] = ([f"{value:.0f}" for value in axis.tolist()] for axis in projected)
    return {
        "lat": np.where(in_degrees, lat_text, "").astype(object),
        "lon": np.where(in_degrees, lon_text, "").astype(object),
        "x": x,
        "y": y,
    }
