"""Vectorised parsing of the dates and times written in form answers.

Day first or month first is decided per column (:func:`datetimes`, :func:`dates`), from the
values that can only be read one way; each distinct value is parsed once (see
:mod:`loaders.normalize`). Times are Paris local time, naive.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from core.text import fold
from loaders.normalize import answer_text, map_distinct

PARIS = ZoneInfo("Europe/Paris")

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("janvier", "janv", "jan", "january"),
            ("fevrier", "fevr", "fev", "feb", "february"),
            ("mars", "mar", "march"),
            ("avril", "avr", "apr", "april"),
            ("mai", "may"),
            ("juin", "jun", "june"),
            ("juillet", "juil", "jul", "july"),
            ("aout", "aou", "aug", "august"),
            ("septembre", "sept", "sep", "september"),
            ("octobre", "oct", "october"),
            ("novembre", "nov", "november"),
            ("decembre", "dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_WEEKDAYS = (
    "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
    "|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
)

_TIME = (
    r"(?:[T\s]+(?:à\s*|at\s*)?"
    r"(?P<hour>\d{1,2})(?:[:hH](?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?|[hH])"
    r"\s*(?P<meridiem>[AaPp][Mm])?)?"
    r"\s*(?P<zone>Z|[+-]\d{2}(?::?\d{2})?|UTC|GMT)?"
)
_YEAR_FIRST = re.compile(r"(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})" + _TIME)
_DAY_FIRST = re.compile(r"(?P<leading>\d{1,2})[-/.](?P<middle>\d{1,2})[-/.](?P<year>\d{4}|\d{2})" + _TIME)
_NUMERIC_MONTH_YEAR = re.compile(r"(?P<month>\d{1,2})[-/.](?P<year>\d{4})|(?P<year_first>\d{4})[-/.](?P<month_last>\d{1,2})")
_EXCEL_SERIAL = re.compile(r"\d{5}(?:[.,]\d+)?")
# Matched against the folded text, where "1er mars 2025 à 14h30" is
# "1er mars 2025 a 14h30" and "14:30" is "14 30".
_FOLDED_TIME = (
    r"(?: (?:a |at )?(?P<hour>\d{1,2})(?:h| (?=\d))(?P<minute>\d{2})?"
    r"(?: (?P<second>\d{2})(?: (?P<fraction>\d{1,9}))?)?(?: (?P<meridiem>am|pm))?)?"
)
_TIME_GROUPS = ("hour", "minute", "second", "fraction", "meridiem")
_DAY_MONTH_NAME_YEAR = re.compile(
    rf"(?:le )?(?:(?:{_WEEKDAYS}) )?(?P<day>\d{{1,2}})(?:er)? (?P<month>[a-z]+) (?P<year>\d{{4}})" + _FOLDED_TIME
)
_MONTH_NAME_DAY_YEAR = re.compile(
    rf"(?:(?:{_WEEKDAYS}) )?(?P<month>[a-z]+) (?P<day>\d{{1,2}})(?:st|nd|rd|th)? (?P<year>\d{{4}})"
)
_MONTH_NAME_YEAR = re.compile(r"(?P<month>[a-z]+) (?P<year>\d{4}|\d{2})")

# Excel counts days from 1899-12-30; outside this range a 5-digit number is
# more likely a postcode or an identifier than a date (1954 to 2119).
_EXCEL_EPOCH = datetime(1899, 12, 30)
_EXCEL_SERIAL_RANGE = (20000, 80000)
_YEAR_RANGE = (1900, 2100)
# Two-digit years below this are 20xx: "12/03/25" is in 2025, "01/01/85" in 1985.
_TWO_DIGIT_YEAR_PIVOT = 70


def _full_year(year: str) -> int:
    number = int(year)
    if len(year) > 2:
        return number
    return 2000 + number if number < _TWO_DIGIT_YEAR_PIVOT else 1900 + number


def _build_datetime(year: int, month: int, day: int, clock: time = time()) -> datetime | None:
    if not _YEAR_RANGE[0] <= year <= _YEAR_RANGE[1]:
        return None
    try:
        return datetime.combine(date(year, month, day), clock)
    except ValueError:
        return None


def _time_of_day(
    hour: str | None, minute: str | None, second: str | None, fraction: str | None, meridiem: str | None
) -> time | None:
    if hour is None:
        return time()
    hours = int(hour)
    if meridiem:
        hours = hours % 12 + (12 if meridiem.lower() == "pm" else 0)
    microseconds = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        return time(hours, int(minute or 0), int(second or 0), microseconds)
    except ValueError:
        return None


def _clock(match: re.Match[str]) -> time | None:
    """Read the time of day of a match (midnight if none); ``None`` when it is invalid."""
    return _time_of_day(*match.group(*_TIME_GROUPS))


def _to_paris_local(moment: datetime, zone: str | None) -> datetime:
    """Turn a moment written with a time zone into naive Paris local time."""
    if not zone:
        return moment
    if zone in {"Z", "UTC", "GMT"}:
        offset = timedelta()
    else:
        digits = zone[1:].replace(":", "").ljust(4, "0")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        offset = -offset if zone[0] == "-" else offset
    return moment.replace(tzinfo=timezone(offset)).astimezone(PARIS).replace(tzinfo=None)


def _numeric_datetime(text: str, day_first: bool) -> datetime | None:
    if match := _YEAR_FIRST.fullmatch(text):
        year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
    elif match := _DAY_FIRST.fullmatch(text):
        leading, middle = int(match["leading"]), int(match["middle"])
        day, month = (leading, middle) if day_first else (middle, leading)
        year = _full_year(match["year"])
    else:
        return None
    clock = _clock(match)
    moment = _build_datetime(year, month, day, clock) if clock else None
    return _to_paris_local(moment, match["zone"]) if moment else None


def _numeric_month_year(text: str) -> datetime | None:
    if match := _NUMERIC_MONTH_YEAR.fullmatch(text):
        return _build_datetime(int(match["year"] or match["year_first"]), int(match["month"] or match["month_last"]), 1)
    return None


def _excel_serial(text: str) -> datetime | None:
    if not _EXCEL_SERIAL.fullmatch(text):
        return None
    days = float(text.replace(",", "."))
    if not _EXCEL_SERIAL_RANGE[0] <= days <= _EXCEL_SERIAL_RANGE[1]:
        return None
    # Rounded to the second: the fraction of a day is a binary float.
    return _EXCEL_EPOCH + timedelta(seconds=round(days * 86400))


def _written_datetime(text: str) -> datetime | None:
    key = fold(text)
    if match := _DAY_MONTH_NAME_YEAR.fullmatch(key):
        clock = _clock(match)
    elif match := _MONTH_NAME_DAY_YEAR.fullmatch(key):
        clock = time()  # English dates are read without their time
    elif match := _MONTH_NAME_YEAR.fullmatch(key):
        month = _MONTHS.get(match["month"])
        return _build_datetime(_full_year(match["year"]), month, 1) if month else None
    else:
        return None
    month = _MONTHS.get(match["month"])
    if month is None or clock is None:
        return None
    return _build_datetime(int(match["year"]), month, int(match["day"]), clock)


def parse_datetime(value: str, day_first: bool = True) -> datetime | None:
    """Read a date, with its time of day when given, as naive Paris local time.

    Accepted forms: ``12/03/2025`` (day first, also with ``-`` or ``.`` and
    two-digit years), ``2025-05-20`` and ``2025/05/20``, each optionally
    followed by a time (``17:51``, ``14:16:50.898``, ``14h30``, ``2:05 PM``)
    and a time zone (``Z``, ``+02:00``); ``3 mars 2025``, ``le 1er mars 2025
    à 14h30``, ``lundi 3 mars 2025``, ``March 3, 2025``; a month and a year
    (``mai 2025``, ``mai-25``, ``05/2025``, ``2025-05``), read as the first
    day of the month; Excel serial day numbers from 20000 to 80000
    (``45730``). French month names and abbreviations are read with or
    without accents (``févr.``, ``aout``, ``déc.``).

    A year alone (``2025``) is refused: it would place a date eleven months
    away from the truth on average, and it cannot be told from a count.

    Parameters
    ----------
    value
        One answer.
    day_first
        Read ``03/12/2025`` as 3 December (French usage) rather than
        12 March (United States usage).

    Returns
    -------
    datetime or None
        Midnight for a date without time; a moment with a time zone is
        converted to Europe/Paris, then made naive. ``None`` for an empty,
        unknown or impossible date (``31/02/2025``).
    """
    text = value.strip()
    if not text:
        return None
    return (
        _numeric_datetime(text, day_first)
        or _numeric_month_year(text)
        or _excel_serial(text)
        or _written_datetime(text)
    )


def parse_date(value: str, day_first: bool = True) -> date | None:
    """Read a date; see :func:`parse_datetime` for the accepted forms.

    Returns
    -------
    date or None
        The Paris calendar day, or ``None`` for an empty, unknown or impossible date.
    """
    moment = parse_datetime(value, day_first)
    return moment.date() if moment else None


def _reads_day_first(values: np.ndarray) -> bool:
    """Tell whether the numeric dates of a column put the day first.

    French exports put the day first; a Google Form answered from an account
    in English puts the month first (``3/25/2025``). The column is read month
    first only when some value can only be read that way and none the other way.
    """
    month_first_evidence = False
    for value in values:
        if match := _DAY_FIRST.match(answer_text(value).strip()):
            if int(match["leading"]) > 12:
                return True
            month_first_evidence = month_first_evidence or int(match["middle"]) > 12
    return not month_first_evidence


# Formats of form-tool timestamps, parsed in bulk by pandas before the general parser.
_BULK_TIMESTAMP_FORMATS = {
    True: ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"),
    False: ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"),
}


def _bulk_formats(values: pd.Series, day_first: bool) -> list[str]:
    """The bulk formats that fit a sample of the column, most frequent first (one usually fits all)."""
    sample = values.head(50)
    hits = {fmt: int(pd.to_datetime(sample, format=fmt, errors="coerce").notna().sum())
            for fmt in _BULK_TIMESTAMP_FORMATS[day_first]}
    return sorted((fmt for fmt, count in hits.items() if count), key=hits.get, reverse=True)


def datetimes(series: pd.Series) -> pd.Series:
    """Apply :func:`parse_datetime` to a column (object dtype: datetime or None).

    The order of day and month is decided once for the whole column. Every
    submission has its own timestamp, so the usual formats are parsed in bulk
    first; the rest goes through :func:`parse_datetime`.
    """
    # A column of text needs no conversion cell by cell (answer_text keeps a str as it is).
    texts = series if pd.api.types.infer_dtype(series, skipna=False) == "string" else series.map(answer_text)
    codes, uniques = pd.factorize(texts.str.strip(), use_na_sentinel=False)
    values = pd.Series(uniques.tolist(), dtype=object)
    day_first = _reads_day_first(values.to_numpy())
    parsed = np.full(len(values), None, dtype=object)
    pending = np.ones(len(values), dtype=bool)
    for fmt in _bulk_formats(values, day_first):
        # Zero-padded values are read digit by digit first: the same result as pandas, without its per-value work.
        for read in (_zero_padded_datetimes, _bulk_datetimes):
            waiting = np.flatnonzero(pending)
            found = read(values.to_numpy()[waiting], fmt)
            read_here = pd.notna(found)
            parsed[waiting[read_here]] = found[read_here]
            pending[waiting[read_here]] = False
    parsed[pending] = [parse_datetime(value, day_first) for value in values[pending]]
    return pd.Series(parsed[codes], index=series.index, name=series.name, dtype=object)


def _bulk_datetimes(values: np.ndarray, fmt: str) -> np.ndarray:
    """``pandas.to_datetime`` of the values with ``fmt``: datetime, or ``None`` where it does not fit."""
    bulk = pd.to_datetime(pd.Series(values, dtype=object), format=fmt, errors="coerce")
    found = np.full(len(values), None, dtype=object)
    fits = bulk.notna().to_numpy()
    found[fits] = bulk[fits].dt.to_pydatetime().tolist() if fits.any() else []
    return found


# Width of the fields of the bulk formats when zero-padded.
_FIELD_WIDTHS = {"d": 2, "m": 2, "Y": 4, "H": 2, "M": 2, "S": 2}
_FORMAT_PART = re.compile(r"%(.)|(.)")
# Years that pandas reads in bulk whatever the time resolution it picks (nanoseconds cover 1678 to 2261).
_BULK_YEARS = (1678, 2261)


def _zero_padded_datetimes(values: np.ndarray, fmt: str) -> np.ndarray:
    """Values written exactly as ``fmt`` with zero-padded fields, read digit by digit.

    ``pandas.to_datetime(values, format=fmt)`` reads each value with a regular
    expression; the digits of fixed-width values are read here all at once,
    for the same result. Other values give ``None``: they are left to pandas.
    """
    width, fields, literals = _zero_padded_layout(fmt)
    found = np.full(len(values), None, dtype=object)
    candidates = np.flatnonzero([len(value) == width and value.isascii() for value in values.tolist()])
    if not len(candidates):
        return found
    codes = np.frombuffer("".join(values[candidates].tolist()).encode("ascii"), dtype=np.uint8)
    codes = codes.reshape(len(candidates), width).astype(np.int64)
    digits = np.concatenate([np.arange(start, start + _FIELD_WIDTHS[field]) for field, start in fields.items()])
    well_formed = ((codes[:, digits] >= ord("0")) & (codes[:, digits] <= ord("9"))).all(axis=1)
    well_formed &= (codes[:, list(literals)] == list(literals.values())).all(axis=1)

    def number(field: str) -> np.ndarray:
        if field not in fields:
            return np.zeros(len(codes), dtype=np.int64)
        start, size = fields[field], _FIELD_WIDTHS[field]
        return (codes[:, start:start + size] - ord("0")) @ 10 ** np.arange(size - 1, -1, -1)

    year, month, day, hour, minute, second = (number(field) for field in "YmdHMS")
    valid = (well_formed & (_BULK_YEARS[0] <= year) & (year <= _BULK_YEARS[1]) & (1 <= month) & (month <= 12)
             & (1 <= day) & (hour <= 23) & (minute <= 59) & (second <= 59))
    month_start = ((year - 1970) * 12 + month - 1).astype("M8[M]")
    date_of = month_start.astype("M8[D]") + (day - 1)
    valid &= date_of.astype("M8[M]") == month_start  # no 31 April
    moment = date_of.astype("M8[us]") + ((hour * 60 + minute) * 60 + second).astype("m8[s]")
    found[candidates[valid]] = moment[valid].astype(object)
    return found


def _zero_padded_layout(fmt: str) -> tuple[int, dict[str, int], dict[int, int]]:
    """Width of ``fmt`` zero-padded, start of each field, and code of each literal character by position."""
    width, fields, literals = 0, {}, {}
    for field, literal in _FORMAT_PART.findall(fmt):
        if field:
            fields[field] = width
            width += _FIELD_WIDTHS[field]
        else:
            literals[width] = ord(literal)
            width += 1
    return width, fields, literals


def dates(series: pd.Series) -> pd.Series:
    """Apply :func:`parse_date` to a column (object dtype: date or None).

    The order of day and month is decided once for the whole column.
    """
    day_first = _reads_day_first(pd.unique(series))
    return map_distinct(series, lambda value: parse_date(value, day_first))
