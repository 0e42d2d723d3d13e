"""The real hub exports load, each with ≥ 97 % of rows on the right commune.

Each test runs on the extracts of tests/fixtures/realdata, then on the whole files of ../shared/realdata
(``realdata`` in conftest.py).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import REAL_EXPORTS as FILES
from conftest import REALDATA_EXTRACTS

from loaders.pipeline import LoadOptions, load_files

EXPECTED = Path(__file__).parent / "fixtures" / "realdata_expected.csv"


@pytest.fixture(scope="module")
def loaded(realdata, gazetteer):
    return {name: load_files([realdata / name], gazetteer, LoadOptions(theme="cafe-ia")) for name in FILES}


@pytest.fixture(scope="module")
def row_column(realdata) -> str:
    """The column of realdata_expected.csv that numbers the rows of the files tested (extract or whole)."""
    return "extract_row" if realdata == REALDATA_EXTRACTS else "source_row"


def placed_rows(result) -> dict[int, str]:
    """Spreadsheet row → INSEE code of the record holding it."""
    placed: dict[int, str] = {}
    for rows, insee in zip(result.records["source_rows"], result.records["insee_code"]):
        for row in rows.split("|"):
            placed[int(row)] = insee
    return placed


@pytest.mark.parametrize("name", FILES)
def test_each_export_places_at_least_97_percent_of_rows(loaded, name, reference):
    result = loaded[name]
    report = result.report()
    assert report["lignes_acceptees"] / report["lignes"] >= 0.97
    placed = placed_rows(result)
    assert len(placed) == report["lignes_acceptees"]
    # Independent evidence: the placed commune serves the row's postcode (when the row has one).
    postcodes = reference.communes["postcodes"]
    rows = result.records[result.records["postcode"].str.fullmatch(r"\d{4,5}")]
    consistent = [pc.zfill(5) in postcodes[insee].split("|") for pc, insee in zip(rows["postcode"], rows["insee_code"])]
    if consistent:
        assert sum(consistent) / len(consistent) >= 0.90


def test_hand_checked_sample(loaded, row_column):
    with EXPECTED.open(encoding="utf-8") as fh:
        sample = list(csv.DictReader(fh, delimiter=";"))
    assert len(sample) >= 25
    placed = {name: placed_rows(result) for name, result in loaded.items()}
    wrong = [(row["file"], row[row_column], placed[row["file"]].get(int(row[row_column])), row["insee_code"])
             for row in sample if placed[row["file"]].get(int(row[row_column])) != row["insee_code"]]
    assert wrong == []


def test_columns_are_detected_without_a_profile(loaded):
    fields = {name: set(loaded[name].files[0].mapping.fields) for name in FILES}
    assert {"x", "y", "address"} <= fields["epernay.json"]
    assert {"coordinates", "lat", "lon", "address"} <= fields["corse.json"]
    assert {"insee_code", "postcode", "city", "lat", "lon"} <= fields["etapes-numerique.json"]
    assert {"postcode", "city", "lat", "lon"} <= fields["hub-lo.json"]
    assert {"postcode", "city", "lat", "lon"} <= fields["la-creuse.json"]
