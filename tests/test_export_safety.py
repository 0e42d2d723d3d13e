"""Exports are formula-safe and read back (issue 6 §3, « Exports »).

Every CSV and XLSX file the project writes goes through `loaders.safe_files`:
`csv_bytes` / `write_csv` and `xlsx_bytes` / `write_xlsx`, called by the command
line (``animateurs.csv``, ``rejets.csv``; `python -m carte coverage` and `plan` files),
the pages' download buttons (« Couverture », « Préparer les formations »,
« Pilotage », the importer's ``rejets.csv``) and the demo export script.
`test_no_writer_bypasses_safe_files` keeps it so.

For any table, properties below check that no cell of either file starts with
``=`` ``+`` ``-`` ``@``, tab, CR, LF or NUL unless neutralised by a leading
apostrophe (so no cell starts with one at all), that the workbook holds no
formula, and that `loaders.read.read_bytes` gives back every value, as the
module docstring of `loaders.safe_files` documents: characters XML cannot hold
and lone surrogates removed, line breaks inside cells written as LF, numbers of
a workbook kept to 16 significant digits.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carte.importing import write_outputs
from loaders.pipeline import RECORD_COLUMNS, LoadOptions, load_tables
from loaders.read import read_bytes, read_table
from loaders.report import rejects_csv, rejects_table
from loaders.safe_files import cell_text, csv_bytes, write_csv, write_xlsx, xlsx_bytes

REPO = Path(__file__).resolve().parent.parent
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")
# What `loaders.safe_files` documents it removes: control characters other than tab
# and line breaks, lone surrogates, U+FFFE and U+FFFF.
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Strings that meant harm in some spreadsheet, or that trip quoting and delimiter detection.
CORPUS = [
    "=1+1", "=HYPERLINK(\"http://x\",\"clic\")", "+33 6 00 00 00 00", "-2", "@SUM(A1)", "\t=1", "\r=1", "\n=1",
    "\x00=1", "'=1", "''+1", "'texte", "=cmd|' /C calc'!A0", "a;b", 'a"b', "a,b|c\td", " =1", "\u2028=1", "",
]

text = st.text(
    alphabet=st.one_of(
        st.sampled_from(["'", '"', ";", ",", "|", " ", *TRIGGERS]),
        st.characters(codec="utf-8"),
        st.characters(max_codepoint=0x1F),
        st.characters(categories=["Cs"]),
        st.sampled_from(["\ufeff", "\ufffe", "\uffff", "\x85", "\u2028", "é", "😀"]),
    ),
    max_size=12,
)
# Text starting with a trigger, after some apostrophes or none.
hostile_text = st.one_of(
    text,
    st.tuples(st.sampled_from(["", "'", "''"]), st.sampled_from(TRIGGERS), text).map("".join),
    st.sampled_from(CORPUS),
)
values = st.one_of(
    hostile_text,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.none(),
    st.booleans(),
)


def as_written(value: object) -> str:
    """The text of `value` as the files hold it (see the module docstring)."""
    kept = UNWRITABLE.sub("", cell_text(value))
    return kept.replace("\r\n", "\n").replace("\r", "\n")


def as_in_workbook(value: object) -> str:
    """`as_written`, but a finite float as the 16 significant digits a workbook holds."""
    if isinstance(value, float) and np.isfinite(value):
        return cell_text(float(f"{value:.16g}"))
    return as_written(value)


def is_usable_header(name: str) -> bool:
    """A header `loaders.read` keeps as is: not empty, not padded, no byte order mark."""
    written = as_written(name)
    return bool(written) and written == written.strip() and "\ufeff" not in written


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    """A table of any values, whose rows are not all empty once written (the reader drops those)."""
    names = draw(st.lists(hostile_text.filter(is_usable_header), min_size=1, max_size=4, unique_by=as_written))
    row = st.lists(values, min_size=len(names), max_size=len(names)).filter(
        lambda cells: any(as_written(cell) for cell in cells))
    # Object columns: pandas' own string type cannot hold lone surrogates.
    return pd.DataFrame(draw(st.lists(row, min_size=1, max_size=5)), columns=pd.Index(names, dtype=object),
                        dtype=object)


def expected(frame: pd.DataFrame, written: Callable[[object], str] = as_written) -> tuple[list[str], list[list[str]]]:
    """Header and rows that reading the file back must give."""
    return [as_written(name) for name in frame.columns], [[written(v) for v in row] for row in frame.to_numpy()]


def csv_cells(data: bytes) -> list[str]:
    """Every cell of a CSV file as a spreadsheet splits it on ";"."""
    rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";")
    return [cell for row in rows for cell in row]


def is_plain_number(text: str) -> bool:
    """Naive reference: a decimal number, negative or not, with a point or a French comma, maybe an exponent.

    Spreadsheets read such a cell as a number, never as a formula (issue 13 §6); ``+`` is left out
    (``+33…`` is a phone number, which a spreadsheet would turn into a formula's result).
    """
    if not text or text[0] not in "-0123456789.," or not set(text) <= set("0123456789.,eE+-"):
        return False
    if "." in text and "," in text:
        return False
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def assert_csv_is_safe(data: bytes) -> None:
    assert not [cell for cell in csv_cells(data) if cell.startswith(TRIGGERS) and not is_plain_number(cell)]


def assert_xlsx_is_safe(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [archive.read(name) for name in archive.namelist() if name.startswith("xl/worksheets/")]
    assert not any(re.search(rb"<f[ >/]", sheet) for sheet in sheets), "a cell holds a formula"
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert not [cell.value for cell in cells
                if isinstance(cell.value, str) and cell.value.startswith(TRIGGERS) and not is_plain_number(cell.value)]


def assert_reads_back(data: bytes, name: str, frame: pd.DataFrame) -> None:
    columns, rows = expected(frame, as_in_workbook if name.endswith(".xlsx") else as_written)
    table = read_bytes(data, name)
    assert list(table.frame.columns) == columns
    assert table.frame.to_numpy().tolist() == rows


@settings(max_examples=150, deadline=None)
@given(frame=frames())
def test_csv_export_is_formula_safe_and_reads_back(frame: pd.DataFrame) -> None:
    data = csv_bytes(frame)
    assert_csv_is_safe(data)
    assert_reads_back(data, "export.csv", frame)


@settings(max_examples=150, deadline=None)
@given(frame=frames())
def test_xlsx_export_is_formula_safe_and_reads_back(frame: pd.DataFrame) -> None:
    data = xlsx_bytes(frame, "Export")
    assert_xlsx_is_safe(data)
    assert_reads_back(data, "export.xlsx", frame)


def test_file_writers_write_the_same_bytes(tmp_path: Path) -> None:
    frame = pd.DataFrame({"=nom": CORPUS, "n": range(len(CORPUS))})
    write_csv(frame, tmp_path / "a.csv")
    write_xlsx(frame, tmp_path / "a.xlsx")
    assert (tmp_path / "a.csv").read_bytes() == csv_bytes(frame)
    assert_xlsx_is_safe((tmp_path / "a.xlsx").read_bytes())
    assert read_table(tmp_path / "a.xlsx").frame.to_numpy().tolist() == expected(frame)[1]


# --- The files of an import: animateurs.csv and rejets.csv -----------------------------------------

user_text = st.one_of(st.sampled_from(CORPUS), hostile_text)


@st.composite
def exports(draw: st.DrawFn) -> pd.DataFrame:
    """A hub export whose user fields hold hostile text, its rows placed or not."""
    rows = draw(st.lists(st.tuples(
        user_text, user_text, user_text,
        st.sampled_from([("34000", "Montpellier"), ("51200", "Épernay")]) | st.tuples(user_text, user_text),
    ), min_size=1, max_size=4))
    return pd.DataFrame(
        [[email, structure, name, postcode, city, "Café IA"] for email, structure, name, (postcode, city) in rows],
        columns=["Adresse e-mail", "Nom de votre structure", "Nom", "CP", "Ville", "Thématiques"],
        dtype=object,
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(export=exports())
def test_import_outputs_are_formula_safe_and_read_back(export: pd.DataFrame, gazetteer) -> None:
    table = read_bytes(csv_bytes(export), "export.csv")
    result = load_tables([table], gazetteer, LoadOptions(theme="cafe-ia"))
    with tempfile.TemporaryDirectory() as folder:
        write_outputs(result, Path(folder))
        for name, written in (("animateurs.csv", result.records[list(RECORD_COLUMNS)]),
                              ("rejets.csv", rejects_table(result))):
            data = (Path(folder) / name).read_bytes()
            assert_csv_is_safe(data)
            if written.empty:
                continue
            assert_reads_back(data, name, written)


def test_rejects_file_is_formula_safe_and_reads_back(gazetteer) -> None:
    export = pd.DataFrame({"Nom de votre structure": CORPUS, "CP": "99999", "Ville": CORPUS,
                           "Thématiques": "Café IA"})
    result = load_tables([read_bytes(csv_bytes(export), "export.csv")], gazetteer)
    data = rejects_csv(result)
    assert_csv_is_safe(data)
    back = read_bytes(data, "rejets.csv").frame
    assert back["Nom de votre structure"].tolist() == [as_written(value) for value in CORPUS]


# --- Every writer goes through loaders.safe_files -----------------------------------------------------

# Ways of writing CSV or XLSX files other than loaders.safe_files.
OTHER_WRITERS = re.compile(
    r"\.to_csv\(|\.to_excel\(|csv\.writer\(|csv\.DictWriter\(|ExcelWriter\(|\bWorkbook\(|xlsxwriter|"
    r"\.to_clipboard\("
)


def test_no_writer_bypasses_safe_files() -> None:
    sources = [REPO / "app.py", *(path for folder in ("loaders", "store", "views", "geo", "carte", "scripts")
                                  for path in (REPO / folder).rglob("*.py"))]
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for path in sources if path.name != "safe_files.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if OTHER_WRITERS.search(line)
    ]
    assert offenders == []


def test_numbers_stay_numbers_in_workbooks() -> None:
    frame = pd.DataFrame({"n": [-3, 2.5, np.int64(-7), 2**60, float("-inf")]}, dtype=object)
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(frame)))
    assert [cell.value for (cell,) in workbook.active.iter_rows(min_row=2)] == [-3, 2.5, -7, str(2**60), "'-inf"]


@pytest.mark.parametrize("value", CORPUS)
def test_corpus_cells_are_neutralised_in_both_formats(value: str) -> None:
    frame = pd.DataFrame({"a": [value, "x"], "b": ["y", value]}, dtype=object)
    assert_csv_is_safe(csv_bytes(frame))
    assert_xlsx_is_safe(xlsx_bytes(frame))


# --- Numbers stay numbers (issue 13 §6) ---------------------------------------------------------------

number_like = st.text(alphabet="0123456789.,eE+-", min_size=1, max_size=10)
plain_numbers = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.floats(min_value=-1e6, max_value=1e6).map(lambda x: f"{x:.6f}".replace(".", ",")),
    st.sampled_from(["-0.5", "-12", "1e-3", "-0,5", "-1E5", "-.5", "-5.", "-1e+5"]),
)


@settings(max_examples=300, deadline=None)
@given(value=plain_numbers)
def test_plain_numbers_are_written_as_is(value: str) -> None:
    assert is_plain_number(value)
    assert csv_cells(csv_bytes(pd.DataFrame({"n": [value]}, dtype=object)))[1] == value
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(pd.DataFrame({"n": [value]}, dtype=object))))
    assert workbook.active["A2"].value == value


@settings(max_examples=500, deadline=None)
@given(value=st.one_of(number_like, hostile_text))
def test_cells_starting_with_a_trigger_are_neutralised_unless_plain_numbers(value: str) -> None:
    written = csv_cells(csv_bytes(pd.DataFrame({"n": [value, "x"]}, dtype=object)))[1]
    # Apostrophes before a trigger get one more too, so that reading back removes exactly one.
    if as_written(value).lstrip("'").startswith(TRIGGERS) and not is_plain_number(as_written(value)):
        assert written == "'" + as_written(value)
    else:
        assert written == as_written(value)


def test_negative_coordinates_read_as_numbers_in_pandas() -> None:
    frame = pd.DataFrame({"lon": [-0.567382, 2.35, -1.68], "lat": [44.84, 48.85, 48.11]})
    back = pd.read_csv(io.BytesIO(csv_bytes(frame)), sep=";", encoding="utf-8-sig")
    assert back["lon"].dtype == np.float64
    assert back["lon"].tolist() == [-0.567382, 2.35, -1.68]
