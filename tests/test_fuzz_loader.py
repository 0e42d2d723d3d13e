"""Fuzzing the loader (issue 6 §3): any bytes give a clean French error or a clean report.

Each example goes through the upload entry point, `loaders.read.read_bytes`, then,
if the file reads, through the pipeline, `loaders.pipeline.load_tables`. Either a
`LoaderError` stops it, with a French message naming the file, or the report
accounts for every row of the file: accepted (in the records) or rejected (in the
rejects), never both, never lost.

Inputs are arbitrary bytes, and mutations of a valid export in each format
(CSV, XLSX, JSON): truncated, bytes flipped, inserted or deleted, NUL inserted,
delimiters and line endings changed, slices repeated; for the workbook, its
worksheet or another member is mutated inside a valid archive too.

Budget: the Hypothesis profile ``carte-fuzz-ci`` by default, 50 examples per property,
200 in all (well under a minute); ``CARTE_FUZZ_PROFILE=long`` selects
``carte-fuzz-long``, 2,500 per property, 10,000 in all, which ``make fuzz`` runs.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders._errors import LoaderError
from loaders.pipeline import LoadOptions, load_tables
from loaders.read import read_bytes

PROFILE_ENV = "CARTE_FUZZ_PROFILE"
# Examples per property, for each profile.
BUDGETS = {"ci": 50, "long": 2_500}
for _name, _examples in BUDGETS.items():
    settings.register_profile(f"carte-fuzz-{_name}", max_examples=_examples, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
_profile = os.environ.get(PROFILE_ENV, "ci")
if _profile not in BUDGETS:
    raise pytest.UsageError(f"{PROFILE_ENV} must be one of {sorted(BUDGETS)}, not {_profile!r}")
FUZZ = settings.get_profile(f"carte-fuzz-{_profile}")

ENGLISH = re.compile(r"\b(the|error|invalid|cannot|failed|exception|traceback|unexpected|line)\b", re.IGNORECASE)
HEADER = ["Adresse e-mail", "Prénom", "Nom de votre structure", "CP", "Ville", "Thématiques", "Date de la formation"]
ROWS = [
    ["a@x.fr", "Zoé", "Médiathèque « Le Phare »", "34000", "Montpellier", "Café IA", "12/03/2024"],
    ["b@x.fr", "Jean", 'Tiers-lieu "La Fabrique"; atelier', "51200", "Épernay", "Café IA", ""],
    ["", "Ève", "Espace\nnumérique", "99999", "Nulle-Part", "Café IA", "2024-13-45"],
    ["a@x.fr", "Zoé", "=1+1", "34000", "Montpellier", "Philatélie", "hier"],
]


def csv_seed() -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows([HEADER, *ROWS])
    return buffer.getvalue().encode()


def xlsx_seed() -> bytes:
    workbook = openpyxl.Workbook()
    for row in [HEADER, *ROWS]:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def json_seed(*, ascii_only: bool = False) -> bytes:
    """The rows as a JSON list of objects; with `ascii_only`, accents as ``\\u`` escapes."""
    records = [dict(zip(HEADER, row, strict=True)) for row in ROWS]
    return json.dumps(records, ensure_ascii=ascii_only, indent=1).encode()


CSV_SEED, XLSX_SEED, JSON_SEED = csv_seed(), xlsx_seed(), json_seed()


# --- Mutations ----------------------------------------------------------------------------------


@st.composite
def mutation(draw: st.DrawFn, data: bytes) -> bytes:
    """`data` changed once, in one of the ways files get damaged."""
    size = len(data)
    start = draw(st.integers(0, size))
    end = draw(st.integers(start, size))
    kind = draw(st.sampled_from(["truncate", "flip", "nul", "insert", "delete", "delimiter", "line_end", "repeat"]))
    if kind == "truncate":
        return data[:start]
    if kind == "flip" and start < size:
        return data[:start] + bytes([data[start] ^ draw(st.integers(1, 255))]) + data[start + 1 :]
    if kind == "nul":
        return data[:start] + b"\x00" + data[start:]
    if kind == "insert":
        return data[:start] + draw(st.binary(min_size=1, max_size=16)) + data[start:]
    if kind == "delete":
        return data[:start] + data[end:]
    if kind == "delimiter":
        return data.replace(b";", draw(st.sampled_from([b",", b"\t", b"|", b";;", b"", b'"', b"\n", b"\xe9"])))
    if kind == "line_end":
        return data.replace(b"\r\n", b"\n").replace(b"\n", draw(st.sampled_from([b"\r", b"\n\r", b"\r\r\n", b""])))
    return data[:end] + data[start:end] + data[end:]


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """`data` after one to three mutations."""
    for _ in range(draw(st.integers(1, 3))):
        data = draw(mutation(data))
    return data


@st.composite
def mutated_workbooks(draw: st.DrawFn) -> bytes:
    """The workbook with its archive damaged, or one of its members damaged inside a valid archive."""
    if draw(st.booleans()):
        return draw(mutated(XLSX_SEED))
    with zipfile.ZipFile(io.BytesIO(XLSX_SEED)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    target = draw(st.sampled_from([sheet, sheet, sheet, *sorted(members)]))
    members[target] = draw(mutated(members[target]))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


# --- The property -----------------------------------------------------------------------------


def assert_clean_outcome(data: bytes, name: str, gazetteer) -> None:
    """A French `LoaderError` naming the file, or a report that accounts for every row."""
    try:
        table = read_bytes(data, name)
        result = load_tables([table], gazetteer, LoadOptions(theme="cafe-ia"))
    except LoaderError as error:
        message = str(error)
        assert name in message, message
        assert not ENGLISH.search(message), message
        return
    (report,) = result.files
    rows = set(table.frame.index)
    rejected = result.rejects["source_row"].tolist()
    accepted = {int(row) for rows_of_record in result.records["source_rows"] for row in rows_of_record.split("|")}
    assert report.rows == len(rows)
    assert report.accepted_rows + report.rejected_rows == report.rows
    assert len(rejected) == len(set(rejected)) == report.rejected_rows
    assert accepted.isdisjoint(rejected)
    assert accepted | set(rejected) == rows


names = st.sampled_from(["export.csv", "export.xlsx", "export.json", "export"])


@FUZZ
@given(data=st.one_of(st.binary(max_size=2_000), st.binary(max_size=400).map(lambda tail: b"PK\x03\x04" + tail)),
       name=names)
def test_any_bytes(data: bytes, name: str, gazetteer) -> None:
    assert_clean_outcome(data, name, gazetteer)


@FUZZ
@given(data=st.one_of(mutated(CSV_SEED), mutated(CSV_SEED.decode().encode("cp1252"))), name=names)
def test_mutated_csv(data: bytes, name: str, gazetteer) -> None:
    assert_clean_outcome(data, name, gazetteer)


@FUZZ
@given(data=mutated_workbooks(), name=st.sampled_from(["export.xlsx", "export.csv", "export"]))
def test_mutated_xlsx(data: bytes, name: str, gazetteer) -> None:
    assert_clean_outcome(data, name, gazetteer)


@FUZZ
@given(data=st.one_of(mutated(JSON_SEED), mutated(json_seed(ascii_only=True))),
       name=st.sampled_from(["export.json", "export"]))
def test_mutated_json(data: bytes, name: str, gazetteer) -> None:
    assert_clean_outcome(data, name, gazetteer)


def test_the_seeds_are_valid_exports(gazetteer) -> None:
    for data, name in ((CSV_SEED, "export.csv"), (XLSX_SEED, "export.xlsx"), (JSON_SEED, "export.json")):
        result = load_tables([read_bytes(data, name)], gazetteer, LoadOptions(theme="cafe-ia"))
        assert (result.files[0].accepted_rows, result.files[0].rejected_rows) == (2, 2), name
