"""The store's vectorised preparation of an import, each part checked against an obviously-correct reference.

Stored digests must never change from one version to the next (a changed digest sends a
validated record back to « à vérifier »), so the reference is the plain definition: the MD5 of
the ``str()`` of every checked cell, joined by ``\\x1f``.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pandas as pd
import pytest

import store
from loaders import outcomes
from store import CHECKED_FIELDS

TEXTS = ["Médiathèque « Nord »", None, "a\x1fb|c:d", "=1+1"]
INDEX = [4, 0, 2, 1, 3, 5]


def naive_digest(cells) -> str:
    return hashlib.md5("\x1f".join(map(str, cells)).encode()).hexdigest()


def naive_source_rows(records: pd.DataFrame) -> list[tuple[int, str, int]]:
    rows = []
    for position, (source_file, source_rows) in enumerate(zip(records["source_file"], records["source_rows"])):
        for entry in source_rows.split("|"):
            file_name, separator, row = entry.rpartition(":")
            rows.append((position, file_name if separator else source_file, int(row)))
    return rows


@pytest.mark.parametrize("text_dtype", ["str", object])
def test_content_digest_is_the_md5_of_every_checked_cell(text_dtype):
    records = pd.DataFrame({name: pd.Series(TEXTS, dtype=text_dtype) for name in CHECKED_FIELDS}).assign(
        is_conum=[True, False, True, False],
        public_consent=[False, False, True, True],
        lat=[48.1173, np.nan, -0.0, 1e16],
        lon=[-1.6778, 2.5, 0.1 + 0.2, -180.0],
        training_date=[dt.date(2026, 12, 3), None, dt.date(2000, 2, 29), None],
    )
    records.index = [10, 3, 7, 1]
    assert (records["structure"].dtype == object) == (text_dtype is object)
    digests = store.digests._content_hashes(records)
    assert digests.index.tolist() == [10, 3, 7, 1]
    assert digests.tolist() == [naive_digest(cells) for cells in records[list(CHECKED_FIELDS)].itertuples(index=False)]
    assert digests.nunique() == 4


def test_content_digest_of_no_record_is_empty():
    assert store.digests._content_hashes(pd.DataFrame({name: pd.array([], dtype="str") for name in CHECKED_FIELDS})).empty


@pytest.mark.parametrize("text_dtype", ["str", object])
def test_source_rows_reads_every_row_of_every_record(text_dtype):
    records = pd.DataFrame({
        "source_file": pd.Series(["a.csv", "a.csv", "b.csv", "c:d.csv", "a.csv", "e.csv"], dtype=text_dtype,
                                 index=INDEX),
        "source_rows": pd.Series(["2", "3|9", "a.csv:4|b.csv:7", "x:y.csv:5|6", "12|11|10", "ligne\n1.csv:3|e.csv:8"],
                                 dtype=text_dtype, index=INDEX),
    })
    rows = outcomes.source_rows(records)
    assert list(rows.itertuples(index=False, name=None)) == naive_source_rows(records)


def test_kept_rows_tell_winners_from_merged_duplicates():
    records = pd.DataFrame({
        # One row answering two themes wins both records; row 5 lost to row 7 in another file.
        "source_file": ["a.csv", "a.csv", "b.csv"],
        "source_rows": ["2", "2", "a.csv:5|b.csv:7"],
        "winning_file": ["a.csv", "a.csv", "b.csv"],
        "winning_row": [2, 2, 7],
    })
    kept = outcomes.kept_rows(records)
    assert sorted(kept.itertuples(index=False, name=None)) == [
        (0, "a.csv", 2, "accepted"), (2, "a.csv", 5, "merged"), (2, "b.csv", 7, "accepted")]


def test_an_accepted_row_points_to_a_record_it_won_even_when_merged_first_elsewhere():
    """Row 2 lost theme A to row 3, but won theme B: the report shows it with record B's fields."""
    records = pd.DataFrame({
        "source_file": ["a.csv", "a.csv"],
        "source_rows": ["2|3", "2"],
        "winning_file": ["a.csv", "a.csv"],
        "winning_row": [3, 2],
    })
    kept = outcomes.kept_rows(records)
    assert list(kept.itertuples(index=False, name=None)) == [(1, "a.csv", 2, "accepted"), (0, "a.csv", 3, "accepted")]
