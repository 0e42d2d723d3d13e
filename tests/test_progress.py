"""Monthly progress (loaders.progress) against hand-checked figures and a naive, obviously-correct reference.

The reference works on plain dictionaries and ISO text (a month is the first seven characters
of a date), counting for each month the set of units whose event falls in or before it: a
different route from the module's periods, group-bys and cumulative sums.
"""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from loaders.progress import (
    counted_units,
    headline,
    imports_per_hub,
    monthly_progress,
    referencing_month,
    training_month,
)

COLUMNS = ("animator_id", "theme", "region_code", "is_conum", "training_status", "training_date", "first_submitted_at",
           "first_imported_at", "trained_seen_at", "moderation_status")
COUNTS = ("referenced", "in_training", "trained", "conum_referenced", "conum_trained")
# Hand-made: a is referenced for two themes; d is refused; e was trained (December) before
# answering the form (March); b has no answer date, only its first import.
TINY = [
    ("a", "cafe-ia", "53", True, "trained", "2026-01-20", "2026-01-15 10:00", "2026-05-01", "2026-05-01", "validated"),
    ("a", "cyber", "53", True, "in_training", None, "2026-04-02 09:00", "2026-05-01", None, "pending"),
    ("b", "cafe-ia", "53", False, "referenced", None, None, "2026-03-10 08:00", None, "pending"),
    ("c", "cafe-ia", "11", False, "trained", None, "2026-02-01 11:00", "2026-02-03", "2026-04-30 12:00", "validated"),
    ("d", "cafe-ia", "11", True, "trained", "2026-01-02", "2026-01-01 10:00", "2026-05-01", "2026-05-01", "refused"),
    ("e", "cyber", "11", False, "trained", "2025-12-01", "2026-03-15 10:00", "2026-05-01", "2026-05-01", "validated"),
]


def frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(COLUMNS))


def series_of(table: pd.DataFrame, column: str) -> dict[str, int]:
    return {str(month): int(value) for month, value in table[column].items()}


# The naive reference

def naive_month(value: str | None) -> str | None:
    return None if value is None else value[:7]


def naive_calendar(first: str, last: str) -> list[str]:
    year, month = map(int, first.split("-"))
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def naive_progress(rows: list[tuple], theme: str | None, region: str | None) -> dict[str, dict[str, int]]:
    """For each month, how many units (animators for every theme, else records) meet each condition by then."""
    records = [dict(zip(COLUMNS, row)) for row in rows]
    kept = [r for r in records if r["moderation_status"] != "refused" and theme in (None, r["theme"])
            and region in (None, r["region_code"])]

    def referenced(r: dict) -> str | None:
        return naive_month(r["first_submitted_at"] or r["first_imported_at"])

    def trained(r: dict) -> str | None:
        # Counted from the later of the training and the referencing: only referenced people are counted.
        month = naive_month(r["training_date"] or r["trained_seen_at"])
        if r["training_status"] != "trained" or month is None or referenced(r) is None:
            return None
        return max(month, referenced(r))

    def unit(r: dict) -> object:
        return r["animator_id"] if theme is None else (r["animator_id"], r["theme"])

    firsts = [referenced(r) for r in kept if referenced(r)]
    if not firsts:
        return {}
    last = max(firsts + [trained(r) for r in kept if trained(r)])
    conditions = {
        "referenced": lambda r, m: referenced(r) is not None and referenced(r) <= m,
        "in_training": lambda r, m: r["training_status"] == "in_training" and referenced(r) is not None
        and referenced(r) <= m,
        "trained": lambda r, m: trained(r) is not None and trained(r) <= m,
    }
    conditions["conum_referenced"] = lambda r, m: r["is_conum"] and conditions["referenced"](r, m)
    conditions["conum_trained"] = lambda r, m: r["is_conum"] and conditions["trained"](r, m)
    return {month: {name: len({unit(r) for r in kept if holds(r, month)}) for name, holds in conditions.items()}
            for month in naive_calendar(min(firsts), last)}


def assert_matches_reference(rows: list[tuple], theme: str | None, region: str | None) -> None:
    expected = naive_progress(rows, theme, region)
    table = monthly_progress(frame(rows), theme, region)
    assert [str(month) for month in table.index] == list(expected)
    for name in COUNTS:
        assert series_of(table, name) == {month: counts[name] for month, counts in expected.items()}, name
    for share, part, whole in (("conum_share_referenced", "conum_referenced", "referenced"),
                               ("conum_share_trained", "conum_trained", "trained")):
        for month, counts in expected.items():
            value = table.loc[pd.Period(month, "M"), share]
            assert math.isnan(value) if counts[whole] == 0 else value == pytest.approx(counts[part] / counts[whole])


# Hand-checked figures

def test_one_theme_counts_records_month_by_month():
    table = monthly_progress(frame(TINY), "cafe-ia")
    assert [str(month) for month in table.index] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert series_of(table, "referenced") == {"2026-01": 1, "2026-02": 2, "2026-03": 3, "2026-04": 3}
    assert series_of(table, "trained") == {"2026-01": 1, "2026-02": 1, "2026-03": 1, "2026-04": 2}
    assert series_of(table, "in_training") == {"2026-01": 0, "2026-02": 0, "2026-03": 0, "2026-04": 0}
    assert table["conum_share_referenced"].round(3).tolist() == [1.0, 0.5, 0.333, 0.333]
    assert table["conum_share_trained"].tolist() == [1.0, 1.0, 1.0, 0.5]


def test_every_theme_counts_distinct_animators_from_their_earliest_month():
    table = monthly_progress(frame(TINY))
    # a is referenced for two themes but counted once; e, trained in December before answering in March,
    # counts as formé·e from March, when it is referenced.
    assert series_of(table, "referenced") == {"2026-01": 1, "2026-02": 2, "2026-03": 4, "2026-04": 4}
    assert series_of(table, "trained") == {"2026-01": 1, "2026-02": 1, "2026-03": 2, "2026-04": 3}
    assert series_of(table, "in_training") == {"2026-01": 0, "2026-02": 0, "2026-03": 0, "2026-04": 1}
    assert series_of(table, "conum_referenced") == {"2026-01": 1, "2026-02": 1, "2026-03": 1, "2026-04": 1}


def test_region_filter():
    table = monthly_progress(frame(TINY), region="11")
    assert series_of(table, "referenced") == {"2026-02": 1, "2026-03": 2, "2026-04": 2}
    # c is trained in April; e, trained in December, from its referencing in March.
    assert series_of(table, "trained") == {"2026-02": 0, "2026-03": 1, "2026-04": 2}


def test_headline_sentence_and_figures():
    figures = headline(frame(TINY))
    assert figures.sentence() == "En 4 mois : 4 référencé·es, 3 formé·es"
    assert (figures.months, figures.referenced, figures.in_training, figures.trained) == (4, 4, 1, 3)
    assert figures.conum_share_referenced == 0.25 and figures.conum_share_trained == pytest.approx(1 / 3)
    assert headline(frame(TINY), "cyber", "53").sentence() == "En 1 mois : 1 référencé·e, 0 formé·e"


def test_people_trained_before_answering_count_as_trained_from_their_referencing_month():
    # Two people trained in December 2025 answered the form in March 2026; a third, untrained, in January.
    rows = [("a", "cafe-ia", "53", False, "trained", "2025-12-01", "2026-03-15 10:00", None, None, "pending"),
            ("b", "cafe-ia", "53", False, "trained", "2025-12-20", "2026-03-20 10:00", None, None, "pending"),
            ("c", "cafe-ia", "53", False, "referenced", None, "2026-01-10 10:00", None, None, "pending")]
    table = monthly_progress(frame(rows), "cafe-ia")
    assert series_of(table, "referenced") == {"2026-01": 1, "2026-02": 1, "2026-03": 3}
    assert series_of(table, "trained") == {"2026-01": 0, "2026-02": 0, "2026-03": 2}


def assert_cumulative_rule(table: pd.DataFrame, *, one_theme: bool) -> None:
    """Counts never go down, and nobody is counted as en formation or formé·e without being référencé·e."""
    for name in COUNTS:
        assert table[name].is_monotonic_increasing, name
    assert (table["trained"] <= table["referenced"]).all()
    assert (table["in_training"] <= table["referenced"]).all()
    assert (table["conum_trained"] <= table["conum_referenced"]).all()
    if one_theme:  # a record is in training or trained, not both
        assert (table["in_training"] + table["trained"] <= table["referenced"]).all()


@pytest.mark.parametrize("seed", range(40))
def test_cumulative_counts_are_monotone_and_trained_never_exceeds_referenced(seed):
    rows = random_rows(seed)
    for theme in (None, "cafe-ia", "cyber"):
        for region in (None, "11"):
            assert_cumulative_rule(monthly_progress(frame(rows), theme, region), one_theme=theme is not None)


def test_headline_counts_months_inclusively_across_years():
    rows = [("a", "cafe-ia", "53", False, "referenced", None, "2025-11-30 10:00", None, None, "pending"),
            ("b", "cafe-ia", "53", False, "trained", "2026-07-01", "2026-02-01 10:00", None, None, "pending")]
    assert headline(frame(rows)).months == 9  # November 2025 to July 2026, both counted


def test_months_without_events_are_in_the_series():
    rows = [("a", "cafe-ia", "53", False, "referenced", None, "2026-01-15 10:00", None, None, "pending"),
            ("b", "cafe-ia", "53", False, "referenced", None, "2026-04-15 10:00", None, None, "pending")]
    table = monthly_progress(frame(rows), "cafe-ia")
    assert series_of(table, "referenced") == {"2026-01": 1, "2026-02": 1, "2026-03": 1, "2026-04": 2}
    assert math.isnan(table["conum_share_trained"].iloc[0])  # nobody trained: no share


def test_series_runs_to_the_given_month_and_never_stops_before_the_data():
    rows = TINY[:1]
    extended = monthly_progress(frame(rows), until=pd.Period("2026-03", "M"))
    assert [str(m) for m in extended.index] == ["2026-01", "2026-02", "2026-03"]
    assert extended["referenced"].tolist() == [1, 1, 1]
    assert len(monthly_progress(frame(rows), until=pd.Period("2025-06", "M"))) == 1


def test_refused_records_are_left_out_of_every_figure():
    with_refusal = monthly_progress(frame(TINY), "cafe-ia", "11")
    without = monthly_progress(frame([row for row in TINY if row[0] != "d"]), "cafe-ia", "11")
    pd.testing.assert_frame_equal(with_refusal, without)
    refused_only = [row for row in TINY if row[0] == "d"]
    assert monthly_progress(frame(refused_only)).empty
    figures = headline(frame(refused_only))
    assert (figures.months, figures.referenced, figures.trained) == (0, 0, 0)
    assert figures.sentence() == "Aucun référencement pour le moment"


def test_store_types_dates_datetimes_and_missing_values():
    """The store gives ``date`` objects, naive ``datetime`` objects (to the microsecond) and None."""
    records = pd.DataFrame({
        "training_status": ["trained", "trained", "referenced"],
        "training_date": [date(2026, 3, 31), None, None],
        "first_submitted_at": [None, datetime(2026, 1, 31, 23, 59), None],
        "first_imported_at": [datetime(2026, 4, 1, 8, 0, 0, 1), datetime(2026, 4, 1), datetime(2026, 4, 1)],
        "trained_seen_at": [datetime(2026, 4, 1), datetime(2026, 5, 2, 9, 30, 0, 123), None],
    })
    assert [str(m) for m in referencing_month(records)] == ["2026-04", "2026-01", "2026-04"]
    assert [str(m) for m in training_month(records)] == ["2026-03", "2026-05", "NaT"]


def test_units_of_one_theme_are_records():
    assert len(counted_units(frame(TINY), distinct_animators=False)) == len(TINY)
    assert len(counted_units(frame(TINY), distinct_animators=True)) == 5


def test_empty_store():
    empty = frame([])
    assert monthly_progress(empty).empty
    assert headline(empty).months == 0


# Against the naive reference

@pytest.mark.parametrize(("theme", "region"), [(None, None), ("cafe-ia", None), ("cyber", None), (None, "53"),
                                               (None, "11"), ("cafe-ia", "11"), ("cyber", "53")])
def test_tiny_frame_matches_the_reference(theme, region):
    assert_matches_reference(TINY, theme, region)


def random_rows(seed: int) -> list[tuple]:
    """Up to a dozen records over seven months, with missing dates, refusals and multi-theme animators."""
    rng = np.random.default_rng(seed)
    months = ["2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]

    def some_date() -> str | None:
        return None if rng.random() < 0.3 else f"{rng.choice(months)}-{rng.integers(1, 29):02d} 12:00"

    rows = {}
    for _ in range(rng.integers(1, 13)):
        animator = str(rng.choice(list("abcdef")))
        theme = str(rng.choice(["cafe-ia", "cyber"]))
        status = str(rng.choice(["referenced", "in_training", "trained"]))
        rows[(animator, theme)] = (
            animator, theme, "53" if animator in "abc" else "11", animator in "ad", status,
            some_date() if status == "trained" else None, some_date(), f"{rng.choice(months)}-15 08:00",
            some_date() if status == "trained" else None, str(rng.choice(["pending", "validated", "refused"])))
    return list(rows.values())


@pytest.mark.parametrize("seed", range(40))
def test_random_frames_match_the_reference(seed):
    rows = random_rows(seed)
    for theme in (None, "cafe-ia"):
        for region in (None, "11"):
            assert_matches_reference(rows, theme, region)


def at_several_places(rows: list[tuple], seed: int) -> list[tuple]:
    """Each record at one to three places (rows of ``read_animators``): the person's training is the same at
    each, the région and the verdict are the place's own (a refused place, a place in another région)."""
    rng = np.random.default_rng(seed)
    region, moderation = COLUMNS.index("region_code"), COLUMNS.index("moderation_status")
    out = []
    for row in rows:
        out.append(row)
        for _ in range(rng.integers(0, 3)):
            place = list(row)
            place[region] = str(rng.choice(["53", "11"]))
            place[moderation] = str(rng.choice(["pending", "validated", "refused"]))
            out.append(tuple(place))
    return out


def test_a_person_at_three_places_counts_once_per_theme():
    tiny_at_three = [place for row in TINY for place in (row, row, row)]
    for theme in (None, "cafe-ia", "cyber"):
        pd.testing.assert_frame_equal(monthly_progress(frame(tiny_at_three), theme), monthly_progress(frame(TINY), theme))


@pytest.mark.parametrize("seed", range(20))
def test_records_at_several_places_match_the_reference(seed):
    rows = at_several_places(random_rows(seed), seed)
    for theme in (None, "cafe-ia"):
        for region in (None, "11"):
            assert_matches_reference(rows, theme, region)


# Imports per hub

def test_imports_per_hub_and_month():
    batches = pd.DataFrame({
        "batch_id": [4, 3, 2, 1],
        "hub": ["Hub Ouest", "", "Hub Ouest", "Hub Ouest"],
        "imported_at": [datetime(2026, 2, 1, 9), datetime(2026, 1, 30), datetime(2026, 1, 20), datetime(2026, 1, 3)],
        "rows": [7, 3, 5, 10], "accepted_rows": [7, 3, 5, 9], "rejected_rows": [0, 0, 0, 1],
    })
    table = imports_per_hub(batches)
    assert table.assign(month=table["month"].astype(str)).to_dict("records") == [
        {"hub": "", "month": "2026-01", "batches": 1, "rows": 3, "accepted_rows": 3, "rejected_rows": 0},
        {"hub": "Hub Ouest", "month": "2026-01", "batches": 2, "rows": 15, "accepted_rows": 14, "rejected_rows": 1},
        {"hub": "Hub Ouest", "month": "2026-02", "batches": 1, "rows": 7, "accepted_rows": 7, "rejected_rows": 0},
    ]


def test_imports_per_hub_of_an_empty_store():
    assert imports_per_hub(pd.DataFrame()).empty
