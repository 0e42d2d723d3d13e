"""Progress over time, for the « Pilotage » page: monthly cumulative counts and imports per hub.

Pure functions of the store's tables (no Streamlit), so that the page, a script or a test
computes the same figures.

Definitions
-----------
Every figure leaves out refused records (``moderation_status == "refused"``): a moderator
judged them wrong, so they do not count as referenced.

* The **referencing month** of a record is the month of its ``first_submitted_at`` (its first
  form answer the store saw), else of its ``first_imported_at`` (when the store first saw it):
  answering the form again does not move it.
* The **training month** of a *trained* record is the month of its ``training_date``, else
  of its ``trained_seen_at`` (when the store first saw it trained); other records have none.
* The monthly series are cumulative, from the first referencing month to the last month:
  **référencé·es** counts every record referenced by then, whatever its status now;
  **en formation** counts the records *currently* in training, by referencing month;
  **formé·es** counts the referenced records trained by then, each from the *later* of its
  training month and its referencing month: someone trained in December who answers the form
  in March counts as formé·e from March. Only people the map knows are counted, so, every
  month, formé·es ≤ référencé·es and en formation ≤ référencé·es (for one theme, en formation
  + formé·es ≤ référencé·es: a record is in training or trained, not both), and no count ever
  goes down (tests/test_progress.py checks both on random tables).
* For one theme the units are records (animator × theme); for every theme at once they are
  distinct animators, each counted from the earliest month among their records. The store gives one
  row per place of a record (:func:`store.read_animators`): a person at three places counts
  once, wherever at least one of their places is counted (not refused, in the région asked for).
* The headline « En N mois : X référencé·es, Y formé·es » is the last month of a series
  (:meth:`Headline.of`) and N its length: from the first referencing month to the last month
  with data (a referencing or a training), or to the month asked for when later (the page asks
  for the current month, so its headline and its chart cover the same months), both included:
  January to March is 3 months.

Examples
--------
>>> records = pd.DataFrame({
...     "animator_id": ["a", "b", "b"], "theme": ["cafe-ia", "cafe-ia", "cyber"],
...     "region_code": ["53", "53", "53"], "is_conum": [True, False, False],
...     "training_status": ["trained", "referenced", "trained"],
...     "training_date": ["2026-03-12", None, "2026-02-01"],
...     "first_submitted_at": ["2026-01-05", "2026-02-20", "2026-01-30"],
...     "first_imported_at": ["2026-04-01"] * 3, "trained_seen_at": ["2026-04-01", None, "2026-04-01"],
...     "moderation_status": ["validated", "pending", "pending"],
... })
>>> headline(records).sentence()
'En 3 mois : 2 référencé·es, 2 formé·es'
>>> headline(records, theme="cafe-ia").sentence()
'En 3 mois : 2 référencé·es, 1 formé·e'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.vocabulary import IN_TRAINING, REFUSED, TRAINED

MONTH = "M"
IMPORT_COLUMNS: tuple[str, ...] = ("hub", "month", "batches", "rows", "accepted_rows", "rejected_rows")
# Figures in French: a narrow no-break space between thousands (« 3 000 »), as French typography and
# the fr-FR locale of browsers (Intl.NumberFormat) write them.
THOUSANDS_SEPARATOR = "\u202f"
MONTH_NAMES: tuple[str, ...] = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                                "septembre", "octobre", "novembre", "décembre")
# The abbreviations of the fr-FR locale (CLDR), as « janv. 2026 ».
MONTH_ABBREVIATIONS: tuple[str, ...] = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
                                        "oct.", "nov.", "déc.")


def referencing_month(records: pd.DataFrame) -> pd.Series:
    """Month each record was referenced: of ``first_submitted_at``, else of ``first_imported_at``.

    Parameters
    ----------
    records : pandas.DataFrame
        Records with ``first_submitted_at`` and ``first_imported_at`` (dates, datetimes or ISO 8601 text).

    Returns
    -------
    pandas.Series
        Monthly periods (``NaT`` when both dates are missing), aligned on ``records``.

    Examples
    --------
    >>> records = pd.DataFrame({"first_submitted_at": ["2026-01-31 23:00", None],
    ...                         "first_imported_at": ["2026-03-02", "2026-03-02"]})
    >>> referencing_month(records).astype(str).tolist()
    ['2026-01', '2026-03']
    """
    return _months(records["first_submitted_at"]).fillna(_months(records["first_imported_at"]))


def training_month(records: pd.DataFrame) -> pd.Series:
    """Month each trained record was trained: of ``training_date``, else of ``trained_seen_at``.

    Parameters
    ----------
    records : pandas.DataFrame
        Records with ``training_status``, ``training_date`` and ``trained_seen_at``.

    Returns
    -------
    pandas.Series
        Monthly periods, ``NaT`` for records not trained now, aligned on ``records``.

    Examples
    --------
    >>> records = pd.DataFrame({"training_status": ["trained", "trained", "in_training"],
    ...                         "training_date": ["2025-12-12", None, None],
    ...                         "trained_seen_at": ["2026-03-02", "2026-03-02", "2026-03-02"]})
    >>> [str(month) for month in training_month(records)]
    ['2025-12', '2026-03', 'NaT']
    """
    months = _months(records["training_date"]).fillna(_months(records["trained_seen_at"]))
    return months.where(records["training_status"] == TRAINED)


def _months(column: pd.Series) -> pd.Series:
    # Months, not dates, are filled in: dates (a day) and datetimes (a microsecond) differ in resolution.
    # Text (hand-made tables, files) must be ISO 8601, with or without the time of day.
    return pd.to_datetime(column, format="ISO8601").dt.to_period(MONTH)


def counted_records(records: pd.DataFrame, theme: str | None = None, region: str | None = None) -> pd.DataFrame:
    """The records every figure counts: not refused, of ``theme`` and ``region`` when given.

    Parameters
    ----------
    records : pandas.DataFrame
        Records with ``moderation_status``, ``theme`` and ``region_code``.
    theme : str, optional
        Theme slug; ``None`` keeps every theme.
    region : str, optional
        Région code; ``None`` keeps the whole of France.

    Returns
    -------
    pandas.DataFrame
        The kept rows of ``records``.

    Examples
    --------
    >>> records = pd.DataFrame({"moderation_status": ["validated", "refused", "pending"],
    ...                         "theme": ["cafe-ia", "cafe-ia", "cyber"], "region_code": ["53", "53", "11"]})
    >>> counted_records(records).index.tolist()
    [0, 2]
    >>> counted_records(records, theme="cafe-ia", region="53").index.tolist()
    [0]
    """
    kept = records["moderation_status"] != REFUSED
    if theme is not None:
        kept &= records["theme"] == theme
    if region is not None:
        kept &= records["region_code"] == region
    return records[kept]


def counted_units(records: pd.DataFrame, *, distinct_animators: bool) -> pd.DataFrame:
    """The months from which each unit is counted: a record, or a distinct animator.

    Parameters
    ----------
    records : pandas.DataFrame
        Counted records (see :func:`counted_records`) with ``animator_id``, ``is_conum`` and
        the columns of :func:`referencing_month` and :func:`training_month`.
    distinct_animators : bool
        One unit per animator, with the earliest month among their records (every theme at
        once); else one unit per record (animator × theme, whatever its number of places).

    Returns
    -------
    pandas.DataFrame
        ``referenced_month``, ``in_training_month`` (referencing month of a record in training
        now), ``trained_month`` (the later of the training and referencing months of a record
        trained now) and ``is_conum``, one row per unit.

    Examples
    --------
    >>> records = pd.DataFrame({
    ...     "animator_id": ["a", "a"], "is_conum": [True, True], "training_status": ["in_training", "trained"],
    ...     "first_submitted_at": ["2026-02-01", "2026-01-01"], "first_imported_at": [None, None],
    ...     "training_date": [None, "2026-03-01"], "trained_seen_at": [None, "2026-04-01"]})
    >>> counted_units(records, distinct_animators=True).astype(str).to_dict("records")
    [{'referenced_month': '2026-01', 'in_training_month': '2026-02', 'trained_month': '2026-03', 'is_conum': 'True'}]
    """
    referenced = referencing_month(records)
    trained = training_month(records)
    units = pd.DataFrame({
        "referenced_month": referenced,
        "in_training_month": referenced.where(records["training_status"] == IN_TRAINING),
        # Trained before being referenced: counted from the referencing, so that formé·es ≤ référencé·es.
        "trained_month": trained.where(trained.isna() | (trained >= referenced), referenced),
        "is_conum": records["is_conum"].astype(bool),
    })
    # A record's rows (one per place) share its person, theme, training and dates: one unit for all of them.
    keys = [records["animator_id"].to_numpy()] if distinct_animators else \
        [records["animator_id"].to_numpy(), records["theme"].to_numpy()]
    units = units.groupby(keys).agg(
        {"referenced_month": "min", "in_training_month": "min", "trained_month": "min", "is_conum": "any"})
    return units.reset_index(drop=True)


def monthly_progress(records: pd.DataFrame, theme: str | None = None, region: str | None = None,
                     until: pd.Period | None = None) -> pd.DataFrame:
    """Cumulative référencé·es, en formation and formé·es per month, with the share of Conseillers numériques.

    Parameters
    ----------
    records : pandas.DataFrame
        One row per (animator, theme, place), as :func:`store.read_animators` returns them.
    theme : str, optional
        Theme slug; ``None`` counts distinct animators over every theme.
    region : str, optional
        Région code; ``None`` counts the whole of France.
    until : pandas.Period, optional
        Last month of the series (the current one, say) when later than the last month with data.

    Returns
    -------
    pandas.DataFrame
        Indexed by month (``period[M]``, every month from the first referencing month, months
        without events included); columns ``referenced``, ``in_training``, ``trained``, their
        Conseillers numériques ``conum_referenced`` and ``conum_trained``, and the shares
        ``conum_share_referenced`` and ``conum_share_trained`` (in [0, 1], NaN before any).
        Empty when nothing is referenced.

    Examples
    --------
    >>> records = pd.DataFrame({
    ...     "animator_id": ["a", "b"], "theme": ["cafe-ia"] * 2, "region_code": ["53"] * 2,
    ...     "is_conum": [True, False], "training_status": ["trained", "referenced"],
    ...     "training_date": ["2026-03-12", None], "first_submitted_at": ["2026-01-05", "2026-03-20"],
    ...     "first_imported_at": [None, None], "trained_seen_at": [None, None],
    ...     "moderation_status": ["validated", "pending"]})
    >>> series = monthly_progress(records, "cafe-ia")
    >>> [str(month) for month in series.index]
    ['2026-01', '2026-02', '2026-03']
    >>> series[["referenced", "trained", "conum_share_referenced"]].to_dict("list")
    {'referenced': [1, 1, 2], 'trained': [0, 0, 1], 'conum_share_referenced': [1.0, 1.0, 0.5]}
    """
    counted = counted_records(records, theme, region)
    calendar = _calendar(counted, until)
    units = counted_units(counted, distinct_animators=theme is None)
    conum = units[units["is_conum"]]
    series = pd.DataFrame({
        "referenced": _cumulative(units["referenced_month"], calendar),
        "in_training": _cumulative(units["in_training_month"], calendar),
        "trained": _cumulative(units["trained_month"], calendar),
        "conum_referenced": _cumulative(conum["referenced_month"], calendar),
        "conum_trained": _cumulative(conum["trained_month"], calendar),
    }, index=calendar)
    series["conum_share_referenced"] = _share(series["conum_referenced"], series["referenced"])
    series["conum_share_trained"] = _share(series["conum_trained"], series["trained"])
    return series.rename_axis("month")


def _calendar(counted: pd.DataFrame, until: pd.Period | None) -> pd.PeriodIndex:
    """Every month from the first referencing month to the last month with data (or ``until``)."""
    referenced = referencing_month(counted)
    if referenced.isna().all():
        return pd.PeriodIndex([], freq=MONTH)
    last = pd.concat([referenced, training_month(counted)]).max()
    if until is not None:
        last = max(last, until)
    return pd.period_range(referenced.min(), last, freq=MONTH)


def _cumulative(months: pd.Series, calendar: pd.PeriodIndex) -> pd.Series:
    """How many of ``months`` fall in or before each month of ``calendar``."""
    if calendar.empty:
        return pd.Series(dtype="int64")
    per_month = months.dropna().value_counts()
    return per_month.reindex(calendar, fill_value=0).cumsum().astype("int64")


def _share(part: pd.Series, whole: pd.Series) -> pd.Series:
    return (part / whole.replace(0, np.nan)).astype("float64")


@dataclass(frozen=True)
class Headline:
    """The figures the national team reports: « En N mois : X référencé·es, Y formé·es ».

    Attributes
    ----------
    months
        Months from the first referencing month to the last month with data, both counted
        (January to March is 3 months); 0 when nothing is referenced.
    referenced, in_training, trained
        The cumulative counts at the last month.
    conum_share_referenced, conum_share_trained
        Share of Conseillers numériques among them, in [0, 1] (NaN when there are none).
    """

    months: int
    referenced: int
    in_training: int
    trained: int
    conum_share_referenced: float
    conum_share_trained: float

    @classmethod
    def of(cls, series: pd.DataFrame) -> Headline:
        """The headline of a series of :func:`monthly_progress`: its last month, over its length.

        Examples
        --------
        >>> series = pd.DataFrame({"referenced": [1, 3], "in_training": [0, 1], "trained": [0, 1],
        ...                        "conum_share_referenced": [1.0, 0.5], "conum_share_trained": [np.nan, 1.0]})
        >>> Headline.of(series).sentence()
        'En 2 mois : 3 référencé·es, 1 formé·e'
        """
        if series.empty:
            return cls(0, 0, 0, 0, float("nan"), float("nan"))
        last = series.iloc[-1]
        return cls(len(series), int(last["referenced"]), int(last["in_training"]), int(last["trained"]),
                   float(last["conum_share_referenced"]), float(last["conum_share_trained"]))

    def sentence(self) -> str:
        """The sentence in French, with the French agreement of « formé·e » for one person.

        Examples
        --------
        >>> Headline(9, 1220, 4, 760, 0.5, 0.5).sentence()
        'En 9 mois : 1\\u202f220 référencé·es, 760 formé·es'
        >>> Headline(0, 0, 0, 0, float("nan"), float("nan")).sentence()
        'Aucun référencement pour le moment'
        """
        if self.months == 0:
            return "Aucun référencement pour le moment"
        return (f"En {self.months} mois : {_plural(self.referenced, 'référencé·e')}, "
                f"{_plural(self.trained, 'formé·e')}")


def headline(records: pd.DataFrame, theme: str | None = None, region: str | None = None,
             until: pd.Period | None = None) -> Headline:
    """The headline figures of the selection (see :class:`Headline`).

    Parameters
    ----------
    records, theme, region, until
        As for :func:`monthly_progress`: pass the ``until`` of the chart shown beside the
        headline, so that both cover the same months.

    Returns
    -------
    Headline
        :meth:`Headline.of` the series of :func:`monthly_progress`.
    """
    return Headline.of(monthly_progress(records, theme, region, until))


def french_count(count: int) -> str:
    """A count as French readers write it: thousands apart.

    Examples
    --------
    >>> french_count(1234567)
    '1\u202f234\u202f567'
    """
    return f"{count:,}".replace(",", THOUSANDS_SEPARATOR)


def french_month(month: pd.Period | str) -> str:
    """A month as French readers write it in tables and charts: « janv. 2026 ».

    Examples
    --------
    >>> french_month(pd.Period("2026-08", "M")), french_month("2025-12")
    ('août 2026', 'déc. 2025')
    """
    period = pd.Period(month, MONTH)
    return f"{MONTH_ABBREVIATIONS[period.month - 1]} {period.year}"


def _plural(count: int, noun: str) -> str:
    return f"{french_count(count)} {noun}{'s' if count > 1 else ''}"


def imports_per_hub(batches: pd.DataFrame) -> pd.DataFrame:
    """Imports of each hub per month, with the rows read, accepted and rejected.

    Parameters
    ----------
    batches : pandas.DataFrame
        Import batches, as :func:`store.read_batches` returns them (``hub``,
        ``imported_at``, ``rows``, ``accepted_rows``, ``rejected_rows``).

    Returns
    -------
    pandas.DataFrame
        ``hub`` (``""`` when not given), ``month`` (``period[M]``), ``batches`` (how many
        imports), ``rows``, ``accepted_rows`` and ``rejected_rows``, by hub then month.

    Examples
    --------
    >>> batches = pd.DataFrame({"hub": ["Hub Ouest", "Hub Ouest", "Hub Sud"],
    ...                         "imported_at": ["2026-01-03", "2026-01-20", "2026-02-01"],
    ...                         "rows": [10, 5, 7], "accepted_rows": [9, 5, 7], "rejected_rows": [1, 0, 0]})
    >>> imports_per_hub(batches)
             hub    month  batches  rows  accepted_rows  rejected_rows
    0  Hub Ouest  2026-01        2    15             14              1
    1    Hub Sud  2026-02        1     7              7              0
    """
    if batches.empty:
        return pd.DataFrame(columns=list(IMPORT_COLUMNS))
    months = pd.to_datetime(batches["imported_at"]).dt.to_period(MONTH)
    table = batches.assign(month=months).groupby(["hub", "month"], as_index=False).agg(
        batches=("month", "size"), rows=("rows", "sum"), accepted_rows=("accepted_rows", "sum"),
        rejected_rows=("rejected_rows", "sum"))
    return table[list(IMPORT_COLUMNS)]
