"""Vectorised parsing of French form answers.

Each ``parse_*`` function reads one answer; its plural twin (``yes_no``,
``dates``...) reads a whole column. A column of 100,000 answers holds few
distinct values, so the plural functions parse each distinct value once and
spread the results back over the rows.

The column functions accept a Series of text (object or ``str`` dtype);
missing values and ``""`` are empty answers. They return a Series of dtype
``object`` with the same index, holding Python values and ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from typing import TypeVar
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from loaders.text import fold
from loaders.themes import ThemeRegistry

Parsed = TypeVar("Parsed")

PARIS = ZoneInfo("Europe/Paris")

TRAINED = "trained"
IN_TRAINING = "in_training"
REFERENCED = "referenced"

# --------------------------------------------------------------------- columns


def _text(value: object) -> str:
    """Return a cell as text; a missing cell is the empty answer."""
    if isinstance(value, str):
        return value
    return "" if pd.isna(value) else str(value)


def _parse_unique(series: pd.Series, parse: Callable[[str], Parsed]) -> np.ndarray:
    """Parse each distinct value of a column once; return one result per row."""
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    parsed = np.empty(len(uniques), dtype=object)
    # Filled one by one: numpy would unpack list results given all at once.
    # The values are copied to a list first: iterating over an Arrow-backed
    # Index is ten times slower.
    for position, value in enumerate(uniques.tolist()):
        parsed[position] = parse(_text(value))
    return parsed[codes]


def _map_unique(series: pd.Series, parse: Callable[[str], Parsed]) -> pd.Series:
    return pd.Series(_parse_unique(series, parse), index=series.index, name=series.name, dtype=object)


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
    return _map_unique(series, parse_yes_no)


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
    return _map_unique(series, parse_yes_or_named)


# ----------------------------------------------------------------------- dates

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
        if match := _DAY_FIRST.match(_text(value).strip()):
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
    # A column of text needs no conversion cell by cell (_text keeps a str as it is).
    texts = series if pd.api.types.infer_dtype(series, skipna=False) == "string" else series.map(_text)
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
    return _map_unique(series, lambda value: parse_date(value, day_first))


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
    return _map_unique(series, parse_training_status)


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
    pairs = _parse_unique(series, lambda value: _theme_slugs_and_unknown(value, registry))
    # Rows with the same answer get their own lists, so that editing one row
    # cannot change another.
    slugs = pd.Series([list(pair[0]) for pair in pairs], index=series.index, name=series.name, dtype=object)
    unknown = pd.Series([list(pair[1]) for pair in pairs], index=series.index, name=series.name, dtype=object)
    return slugs, unknown
