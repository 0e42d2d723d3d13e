"""Recognising a column by its values: coordinates, e-mails and postcodes, for headers that say nothing."""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

_CONTENT_SHARE = 0.8
CONTENT_SAMPLE = 2000
FILLED_PROBE_ROWS = 100  # rows read first to tell whether a column holds values
_DOT_DECIMAL_PAIR = re.compile(r"[(\[]?\s*([-+]?\d{1,3}\.\d+)\s*[,; ]\s*([-+]?\d{1,3}\.\d+)\s*[)\]]?")
_COMMA_DECIMAL_PAIR = re.compile(r"[(\[]?\s*([-+]?\d{1,3},\d+)\s*;\s*([-+]?\d{1,3},\d+)\s*[)\]]?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_POSTCODE = re.compile(r"(0[1-9]|[1-8]\d|9[0-8])\d{3}")


def _looks_like_coordinates(value: str) -> bool:
    match = _DOT_DECIMAL_PAIR.fullmatch(value) or _COMMA_DECIMAL_PAIR.fullmatch(value)
    if not match:
        return False
    latitude, longitude = (float(number.replace(",", ".")) for number in match.groups())
    return abs(latitude) <= 90 and abs(longitude) <= 180


def _looks_like_email(value: str) -> bool:
    return bool(_EMAIL.fullmatch(value))


def _looks_like_postcode(value: str) -> bool:
    return bool(_POSTCODE.fullmatch(value))


# The fields recognisable by their values, each with its test, in the order they are tried.
CONTENT_TESTS = (
    ("coordinates", _looks_like_coordinates),
    ("email", _looks_like_email),
    ("postcode", _looks_like_postcode),
)


def non_empty_values(column: pd.Series) -> list[str]:
    """The first non-empty values of a column, stripped (a sample of `CONTENT_SAMPLE`)."""
    values = (str(value).strip() for value in column.dropna().head(CONTENT_SAMPLE * 2))
    return [value for value in values if value][:CONTENT_SAMPLE]


def mostly(column: pd.Series, looks_like: Callable[[str], bool]) -> bool:
    """Tell whether most non-empty values of a column pass a test."""
    values = non_empty_values(column)
    return bool(values) and sum(map(looks_like, values)) >= _CONTENT_SHARE * len(values)


def has_text(column: pd.Series) -> bool:
    """Tell whether a value of the column holds more than spaces."""
    return bool(column.dropna().astype(str).str.strip().ne("").any())
