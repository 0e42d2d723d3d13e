"""Tests of loaders.safe_files: neutralised cells, and files that read back identically."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders.read import read_bytes, read_table
from loaders.safe_files import (
    cell_text,
    csv_bytes,
    neutralise_cell,
    restore_cell,
    write_csv,
    write_xlsx,
    xlsx_bytes,
)

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")
TRICKY = [
    "=1+1",
    "-3.5",
    "+33 6 00 00 00 00",
    "@x",
    "\tx",
    "\rx",
    "\nx",
    "'=x",
    "''+x",
    "'texte",
    "",
    "01400",
    "NA",
]

# Text built mostly from the characters that matter here.
tricky_text = st.text(alphabet=st.sampled_from(["'", *TRIGGERS, "a", " ", ";", '"']), max_size=8) | st.text()


@given(tricky_text)
def test_restore_undoes_neutralise(value: str) -> None:
    assert restore_cell(neutralise_cell(value)) == value


@given(tricky_text)
def test_neutralised_cells_never_start_with_a_trigger(value: str) -> None:
    assert not neutralise_cell(value).startswith(TRIGGERS)


@given(tricky_text)
def test_neutralise_only_touches_cells_that_need_it(value: str) -> None:
    stripped = value.lstrip("'")
    expected_change = stripped.startswith(TRIGGERS)
    assert (neutralise_cell(value) != value) == expected_change


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("'=x", "''=x"),
        ("''+x", "'''+x"),
        ("'texte", "'texte"),
        ("a=b", "a=b"),
    ],
)
def test_neutralise_examples(value: str, expected: str) -> None:
    assert neutralise_cell(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (np.nan, ""),
        (pd.NA, ""),
        (pd.NaT, ""),
        (True, "oui"),
        (np.bool_(False), "non"),
        (42, "42"),
        (np.int64(7), "7"),
        (2.0, "2"),
        (np.float64(47.098976), "47.098976"),
        (0.1, "0.1"),
        (dt.datetime(2024, 3, 1), "2024-03-01"),
        (pd.Timestamp("2024-03-01 14:30:05"), "2024-03-01 14:30:05"),
        (dt.date(2024, 3, 1), "2024-03-01"),
        (dt.time(9, 5), "09:05:00"),
        (["a", 2, None], "a, 2, "),
        ({"x": "é"}, '{"x": "é"}'),
    ],
)
def test_cell_text(value: object, expected: str) -> None:
    assert cell_text(value) == expected


def sample_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "texte": TRICKY,
            "=entête": [str(i) for i in range(len(TRICKY))],
            "nombre": [1, 2.0, 3.5, -4, np.nan, 2**60, 0, 1e-7, True, False, None, np.int64(5), float("inf")],
        }
    )


def as_written(text: str) -> str:
    """Text as the files hold it: line breaks inside cells become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def expected_cells() -> list[list[str]]:
    frame = sample_frame()
    return [[as_written(cell_text(value)) for value in row] for row in frame.itertuples(index=False)]


def test_csv_bytes_format() -> None:
    data = csv_bytes(sample_frame())
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "texte;'=entête;nombre"
    assert lines[1] == "'=1+1;0;1"
    assert lines[2] == "-3.5;1;2"  # a plain number is no formula (issue 13 §6)


def test_write_csv_reads_back_every_value(tmp_path: Path) -> None:
    path = tmp_path / "sortie.csv"
    write_csv(sample_frame(), path)
    table = read_table(path)
    assert (table.encoding, table.delimiter) == ("utf-8-sig", ";")
    assert list(table.frame.columns) == ["texte", "=entête", "nombre"]
    assert table.frame.to_numpy().tolist() == expected_cells()


def test_write_xlsx_reads_back_every_value(tmp_path: Path) -> None:
    path = tmp_path / "sortie.xlsx"
    write_xlsx(sample_frame(), path)
    table = read_table(path)
    assert list(table.frame.columns) == ["texte", "=entête", "nombre"]
    assert table.frame.to_numpy().tolist() == expected_cells()


def test_xlsx_holds_no_formula_and_keeps_numbers_numeric(tmp_path: Path) -> None:
    path = tmp_path / "sortie.xlsx"
    write_xlsx(sample_frame(), path, sheet_name="Animateurs")
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Animateurs"]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert sheet["A2"].value == "'=1+1"
    assert sheet["B1"].value == "'=entête"
    assert sheet["A1"].font.b
    assert sheet["C4"].value == 3.5
    assert sheet["C4"].data_type == "n"
    # Integers Excel cannot hold exactly are written as text.
    assert sheet["C7"].value == str(2**60)
    assert sheet.freeze_panes == "A2"
    assert 8 <= sheet.column_dimensions["A"].width <= 60


def test_both_formats_drop_what_files_cannot_hold_and_use_lf_line_breaks() -> None:
    cells = ["x\x01y\x0b", "\x00=1+1", "tab\tand\r\nline\rend", "z\ud800\ufffe\uffff"]
    frame = pd.DataFrame({"a": cells, "b": ["1", "2", "3", "4"]}, dtype=object)
    expected = [["xy", "1"], ["=1+1", "2"], ["tab\tand\nline\nend", "3"], ["z", "4"]]
    assert read_bytes(csv_bytes(frame), "a.csv").frame.to_numpy().tolist() == expected
    assert read_bytes(xlsx_bytes(frame), "a.xlsx").frame.to_numpy().tolist() == expected


def test_header_with_another_delimiter_is_quoted() -> None:
    frame = pd.DataFrame({"Nom, prénom": ["Dupont, Jean, Paul"], "Ville": ["Lyon"]})
    lines = csv_bytes(frame).decode("utf-8-sig").split("\r\n")
    assert lines[:2] == ['"Nom, prénom";"Ville"', "Dupont, Jean, Paul;Lyon"]
    table = read_bytes(csv_bytes(frame), "a.csv")
    assert (table.delimiter, list(table.frame.columns)) == (";", ["Nom, prénom", "Ville"])


def test_single_column_is_quoted_everywhere() -> None:
    frame = pd.DataFrame({"adresse": ["1, rue Haute", "a|b\tc"]})
    assert csv_bytes(frame).decode("utf-8-sig") == '"adresse"\r\n"1, rue Haute"\r\n"a|b\tc"\r\n'
    assert read_bytes(csv_bytes(frame), "a.csv").frame["adresse"].tolist() == ["1, rue Haute", "a|b\tc"]


def test_repeated_column_names_are_written() -> None:
    frame = pd.DataFrame([["1", "2"]], columns=["a", "a"])
    assert csv_bytes(frame).decode("utf-8-sig") == "a;a\r\n1;2\r\n"


# Cells of text that files can hold, with the formula triggers and every
# delimiter the reader may detect.
file_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(["'", "=", "+", "-", "@", "\t", "\n", "\r", ";", ",", "|", '"']),
        st.characters(min_codepoint=0x20, exclude_categories=["Cs"], exclude_characters="\ufeff\ufffe\uffff"),
    ),
    max_size=10,
)
header_text = file_text.map(str.strip).filter(bool)


@st.composite
def text_frames(draw: st.DrawFn) -> pd.DataFrame:
    names = draw(st.lists(header_text, min_size=1, max_size=4, unique_by=as_written))
    row = st.lists(file_text, min_size=len(names), max_size=len(names)).filter(any)
    return pd.DataFrame(draw(st.lists(row, min_size=1, max_size=5)), columns=names, dtype=object)


@settings(max_examples=60, deadline=None)
@given(frame=text_frames())
def test_any_text_table_reads_back_identically(frame: pd.DataFrame) -> None:
    for data, name in ((csv_bytes(frame), "a.csv"), (xlsx_bytes(frame), "a.xlsx")):
        table = read_bytes(data, name)
        assert list(table.frame.columns) == [as_written(name) for name in frame.columns]
        expected = [[as_written(cell) for cell in row] for row in frame.to_numpy()]
        assert table.frame.to_numpy().tolist() == expected


def test_xlsx_bytes_is_a_workbook() -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(pd.DataFrame({"a": ["1"]}))))
    assert workbook.sheetnames == ["Données"]
