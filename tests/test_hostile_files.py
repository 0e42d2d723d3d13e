"""Hostile input files (issue 6 §3): each gives a clear French error or a clean table, never a crash.

Every case goes through the real entry points: `loaders.read.read_bytes` (uploads) and
`loaders.pipeline.load_files` (command line), and the command line itself in a subprocess
for the cases that matter most: exit code 2, a French message, no traceback, and nothing
written to the store when one file of an import is bad.
"""

from __future__ import annotations

import codecs
import gzip
import io
import os
import random
import re
import struct
import subprocess
import sys
import time
import tomllib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_read import xlsx_file

import store
from carte import importing
from carte.failures import EXIT_UNUSABLE
from loaders._errors import (
    ConfigurationError,
    FileTooLargeError,
    LoaderError,
    NotATableError,
    UnreadableFileError,
)
from loaders.pipeline import LoadOptions, load_files
from loaders.read import read_bytes
from loaders.settings import DEFAULT_LIMITS, MAX_UPLOAD_ENV, MEGABYTE, ReadLimits

REPO = Path(__file__).resolve().parent.parent
# Words of an English (library) message: a hub agent's message has none of them.
ENGLISH = re.compile(r"\b(the|error|invalid|cannot|failed|exception|traceback|unexpected|line)\b", re.IGNORECASE)
# A valid export: location and theme columns that the loader recognises.
GOOD_EXPORT = (
    "Adresse e-mail;Nom de votre structure;CP;Ville;Thématiques\n"
    "a@x.fr;Médiathèque;34000;Montpellier;Café IA\n"
    "b@x.fr;Tiers-lieu;51200;Épernay;Café IA\n"
).encode()


def assert_french(error: LoaderError, source: str) -> None:
    """The message names the file, in French, with no English library text."""
    message = str(error)
    assert f"« {source} »" in message
    assert not ENGLISH.search(message), message


def members_of(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        return {name: opened.read(name) for name in opened.namelist()}


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def declare_size(archive: bytes, size: int, member: str | None = None) -> bytes:
    """The archive with the uncompressed size recorded in its central directory replaced.

    Parameters
    ----------
    archive : bytes
        A ZIP archive without comment.
    size : int
        Size to record, in bytes.
    member : str, optional
        The only member to change; all of them by default.
    """
    patched = bytearray(archive)
    end = patched.rindex(b"PK\x05\x06")
    (count,) = struct.unpack_from("<H", patched, end + 10)
    (offset,) = struct.unpack_from("<I", patched, end + 16)
    for _ in range(count):
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", patched, offset + 28)
        name = patched[offset + 46 : offset + 46 + name_length].decode()
        if member in (None, name):
            struct.pack_into("<I", patched, offset + 24, size)
        offset += 46 + name_length + extra_length + comment_length
    return bytes(patched)


def causes(error: BaseException) -> list[BaseException]:
    """The exceptions `error` was raised from or while handling, nearest first."""
    chain = []
    while (error := error.__cause__ or error.__context__) is not None:
        chain.append(error)
    return chain


# --- The hostile corpus -------------------------------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    """A hostile file, and what reading it must give."""

    name: str
    make: Callable[[], bytes]
    error: type[LoaderError]
    match: str


def _sparse_xlsx() -> bytes:
    """Rows holding one cell in column 2,000 only: a few bytes each, padded to 2,000 cells in memory."""
    sheet = ['<?xml version="1.0" encoding="UTF-8"?><worksheet '
             'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
    sheet += [f'<row r="{row}"><c r="BXX{row}"><v>1</v></c></row>' for row in range(1, 6_001)]
    sheet.append("</sheetData></worksheet>")
    members = members_of(xlsx_file([["nom"], ["A"]]))
    members["xl/worksheets/sheet1.xml"] = "".join(sheet).encode()
    return zip_bytes(members)


def _ole() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500)


def random_bytes(size: int) -> bytes:
    return random.Random(6).randbytes(size)


CSV_CASES = [
    # Million-column rows: refused by the column limit before pandas sizes a table on them.
    Hostile("million_delimiters_header", lambda: b";" * 1_000_000 + b"\n1;2\n", FileTooLargeError, "colonnes"),
    Hostile("million_delimiters_row", lambda: b"nom;cp\nA;01400\n" + b";" * 1_000_000 + b"\nB;2\n",
            FileTooLargeError, "1000001 colonnes"),
    Hostile("million_tabs_row", lambda: b"nom\tcp\nA\t01400\n" + b"x\t" * 1_000_000 + b"\n",
            FileTooLargeError, "colonnes"),
    # 2,000 columns of header, then 4 million one-cell lines: 8 billion padded cells.
    Hostile("wide_header_short_lines", lambda: b";" * 1_999 + b"fin\n" + b"x\n" * 4_000_000,
            FileTooLargeError, "cellules"),
    # NUL bytes, binary garbage, files of another kind renamed .csv.
    Hostile("nul_byte", lambda: b"nom;cp\nA;01\x00400\n", UnreadableFileError, "caractères nuls"),
    Hostile("utf16_without_bom", lambda: "nom;cp\nA;01400\n".encode("utf-16-le"), UnreadableFileError,
            "caractères nuls"),
    Hostile("utf16_with_bom", lambda: "nom;cp\nA;01400\n".encode("utf-16"), UnreadableFileError, "UTF-16"),
    Hostile("random_bytes", lambda: random_bytes(65_536), UnreadableFileError, "fichier binaire"),
    Hostile("random_bytes_without_nul",
            lambda: bytes(byte or 0x81 for byte in random_bytes(65_536)), UnreadableFileError, "encodage"),
    Hostile("png", lambda: b"\x89PNG\r\n\x1a\n" + random_bytes(2_000), UnreadableFileError, "image PNG"),
    Hostile("jpeg", lambda: b"\xff\xd8\xff\xe0" + random_bytes(2_000), UnreadableFileError, "image JPEG"),
    Hostile("pdf", lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", UnreadableFileError,
            "document PDF"),
    Hostile("gzip", lambda: gzip.compress(GOOD_EXPORT), UnreadableFileError, "gzip"),
    Hostile("zip_not_a_workbook", lambda: zip_bytes({"notes.txt": GOOD_EXPORT}), UnreadableFileError,
            "classeur Excel"),
    Hostile("old_excel", _ole, UnreadableFileError, "Excel 97-2003"),
    # Invalid UTF-8 in the middle of a UTF-8 file: refused, with its line, never read as Windows-1252.
    Hostile("utf8_with_a_windows_1252_byte",
            lambda: "nom;ville\nCafé;Évry\n".encode() + b"Ren\xe9;Paris\n" + "Zoé;Sète\n".encode(),
            UnreadableFileError, "UTF-8.*ligne 3"),
    Hostile("utf8_with_an_undefined_byte", lambda: "nom;ville\nCafé;Évry\n".encode() + b"A\x81;B\n",
            UnreadableFileError, "UTF-8.*ligne 3"),
    Hostile("utf8_cut_in_a_character", lambda: "nom;ville\nCafé;Évry\nA;Sète".encode()[:-3],
            UnreadableFileError, "UTF-8.*ligne 3"),
    Hostile("utf8_line_counted_with_cr_endings", lambda: "nom;ville\rCafé;Évry\r".encode() + b"Ren\xe9;Paris\r",
            UnreadableFileError, "ligne 3"),
    Hostile("bom_then_windows_1252", lambda: codecs.BOM_UTF8 + b"nom;ville\nCaf\xe9;\xc9vry\n",
            UnreadableFileError, "UTF-8.*ligne 2"),
    Hostile("neither_utf8_nor_windows_1252", lambda: "nom;ville\nCafé;Évry\n".encode("cp1252") + b"A\x8d;B\n",
            UnreadableFileError, "encodage reconnu.*ligne 2"),
    # Broken structure.
    Hostile("unclosed_quote", lambda: b'nom;cp\nA;01400\n"B;02000\nC;03000\n', UnreadableFileError,
            "guillemet.*ligne 3"),
    Hostile("only_delimiters", lambda: b";;;\n;;;\r\n;;;\r", NotATableError, "vides"),
    Hostile("only_blank_lines", lambda: b"\r\n\n\r \t\r\n", NotATableError, "vide"),
    Hostile("header_only", lambda: b"nom;cp\r\n", NotATableError, "aucune ligne de données"),
]
XLSX_CASES = [
    # Sizes recorded in the archive's directory, checked before anything is decompressed.
    Hostile("declared_expanded_size_over_200_mb",
            lambda: declare_size(zip_bytes(members_of(xlsx_file([["nom"], ["A"]]))), 300 * MEGABYTE),
            FileTooLargeError, "décompressé"),
    Hostile("too_many_entries", lambda: zip_bytes({f"xl/media/{i}.bin": b"" for i in range(10_001)}),
            FileTooLargeError, "10001 fichiers internes"),
    Hostile("compression_ratio", lambda: zip_bytes({"xl/worksheets/sheet1.xml": b" " * 30_000_000}),
            FileTooLargeError, "taux de compression"),
    Hostile("sparse_cells", _sparse_xlsx, FileTooLargeError, "cellules"),
    Hostile("truncated_workbook", lambda: xlsx_file([["nom"], ["A"]])[:-300], UnreadableFileError,
            "classeur Excel"),
]


@pytest.mark.parametrize("case", CSV_CASES + XLSX_CASES, ids=lambda case: case.name)
def test_hostile_file_gives_a_french_error(case: Hostile) -> None:
    name = "export.xlsx" if case in XLSX_CASES else "export.csv"
    with pytest.raises(case.error, match=case.match) as caught:
        read_bytes(case.make(), name)
    assert_french(caught.value, name)


@pytest.mark.parametrize("case", CSV_CASES, ids=lambda case: case.name)
def test_hostile_csv_stops_the_pipeline_with_the_same_error(case: Hostile, gazetteer, tmp_path: Path) -> None:
    good = tmp_path / "bon.csv"
    good.write_bytes(GOOD_EXPORT)
    bad = tmp_path / "export.csv"
    bad.write_bytes(case.make())
    with pytest.raises(case.error, match=case.match) as caught:
        load_files([good, bad], gazetteer, LoadOptions(theme="cafe-ia"))
    assert_french(caught.value, "export.csv")


def test_the_good_export_of_these_tests_is_imported(gazetteer, tmp_path: Path) -> None:
    good = tmp_path / "bon.csv"
    good.write_bytes(GOOD_EXPORT)
    result = load_files([good], gazetteer)
    assert result.report()["lignes_acceptees"] == 2


# --- What still reads, and reads right ------------------------------------------------------------


def test_mixed_line_endings_are_read_as_written() -> None:
    data = b'nom;note\r\nA;un\nB;"deux\r\nlignes"\rC;"trois\rlignes\n"\r\nD;quatre'
    table = read_bytes(data, "export.csv")
    assert table.frame.to_dict("index") == {
        2: {"nom": "A", "note": "un"},
        3: {"nom": "B", "note": "deux\r\nlignes"},
        4: {"nom": "C", "note": "trois\rlignes\n"},
        5: {"nom": "D", "note": "quatre"},
    }


def test_windows_1252_file_is_still_read() -> None:
    data = "nom;ville\nCafé;Évry\nCœur;Sète — 5 €\n".encode("cp1252")
    table = read_bytes(data, "export.csv")
    assert table.encoding == "cp1252"
    assert table.frame["ville"].tolist() == ["Évry", "Sète — 5 €"]


def test_windows_1252_file_with_an_accidental_utf8_character_is_still_read() -> None:
    # "É…" is C9 85, a valid UTF-8 character (ʅ); eleven accented letters are not: Windows-1252 wins.
    note = "Café, Été à Sète, Noël, Lœuvre, Hyères, Gérardmer, Orléans"
    data = f"nom;note\nÉTÉ…;{note}\n".encode("cp1252")
    assert read_bytes(data, "export.csv").frame.to_dict("index") == {2: {"nom": "ÉTÉ…", "note": note}}


def test_rows_appended_in_windows_1252_to_a_utf8_file_are_refused() -> None:
    # More Windows-1252 accents than UTF-8 ones: decoding all as Windows-1252 would turn
    # the first rows into « CafÃ© ».
    data = "nom;ville\nCafé;Évry\n".encode() + "Été;Sète\nNoël;Hyères\nLœuvre;Gérardmer\n".encode("cp1252")
    with pytest.raises(UnreadableFileError, match="UTF-8.*ligne 3") as caught:
        read_bytes(data, "export.csv")
    assert_french(caught.value, "export.csv")


def test_workbook_renamed_csv_is_read_as_a_workbook() -> None:
    table = read_bytes(xlsx_file([["nom", "cp"], ["A", "01400"]]), "export.csv")
    assert table.kind == "xlsx"
    assert table.frame.to_dict("index") == {2: {"nom": "A", "cp": "01400"}}


def test_a_million_delimiters_inside_one_cell_are_text() -> None:
    table = read_bytes(b"nom;note\nA;" + b"," * 1_000_000 + b"\n", "export.csv")
    assert table.frame.loc[2, "note"] == "," * 1_000_000


def test_two_thousand_identical_headers_are_named_quickly() -> None:
    started = time.perf_counter()
    table = read_bytes(b";".join([b"nom"] * 2_000) + b"\n" + b";".join([b"A"] * 2_000) + b"\n", "export.csv")
    assert time.perf_counter() - started < 5
    assert list(table.frame.columns[:3]) == ["nom", "nom (2)", "nom (3)"]
    assert table.frame.columns[-1] == "nom (2000)"


def test_a_workbook_expanding_beyond_its_declared_size_is_cut_there() -> None:
    # 50 MB of XML recorded as a few hundred bytes: the check trusts the record, and
    # decompression stops at it (then the checksum fails), so nothing beyond is ever expanded.
    members = members_of(xlsx_file([["nom"], ["A"]]))
    sheet = members["xl/worksheets/sheet1.xml"]
    start = sheet.index(b"<sheetData>") + len(b"<sheetData>")
    members["xl/worksheets/sheet1.xml"] = sheet[:start] + b" " * 50_000_000 + sheet[start:]
    archive = declare_size(zip_bytes(members), len(sheet), "xl/worksheets/sheet1.xml")
    with pytest.raises(UnreadableFileError, match="classeur Excel") as caught:
        read_bytes(archive, "export.xlsx")
    assert isinstance(caught.value.__cause__, zipfile.BadZipFile)


# --- XML attacks inside a workbook (defusedxml) --------------------------------------------------

BILLION_LAUGHS = (
    '<!DOCTYPE lol [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 10))
    + "]>"
)


@pytest.mark.parametrize("member", ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "[Content_Types].xml",
                                    "docProps/core.xml"])
@pytest.mark.parametrize("attack", ["billion_laughs", "external_entity"])
def test_xml_entities_in_any_workbook_part_are_refused(member: str, attack: str, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-6")
    doctype = BILLION_LAUGHS if attack == "billion_laughs" else (
        f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>')
    members = members_of(xlsx_file([["nom"], ["A"]]))
    part = members[member]
    # The document type goes between the XML declaration, if any, and the root element.
    start = part.index(b"?>") + 2 if part.startswith(b"<?xml") else 0
    members[member] = part[:start] + doctype.encode() + part[start:]
    # Declared, not even used: without defusedxml, this workbook would read fine.
    with pytest.raises(UnreadableFileError, match="classeur Excel") as caught:
        read_bytes(zip_bytes(members), "export.xlsx")
    assert any(type(cause).__module__.startswith("defusedxml") for cause in causes(caught.value))
    assert "SECRET" not in str(caught.value)


def test_workbooks_are_not_read_without_defusedxml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("loaders.read.workbook.DEFUSEDXML", False)
    with pytest.raises(ConfigurationError, match="OPENPYXL_DEFUSEDXML") as caught:
        read_bytes(xlsx_file([["nom"], ["A"]]), "export.xlsx")
    assert_french(caught.value, "export.xlsx")


# --- JSON -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "match"),
    [
        # Lists nested in a cell: converting them recursed until Python's limit (RecursionError).
        (b'[{"nom": "A", "tags": ' + b"[" * 900 + b"]" * 900 + b"}]", "imbrication"),
        (b'[{"nom": ' + b'{"a": ' * 900 + b"1" + b"}" * 900 + b"}]", "imbrication"),
        # Characters no database stores: a lone surrogate crashed the pipeline (UnicodeEncodeError).
        (b'[{"nom": "A\\ud800", "cp": "01400"}]', "moitié de caractère"),
        (b'[{"nom\\u0000": "A", "cp": "01400"}]', "caractère nul"),
        (b'[{"nom": "A"}, ' + b"{}, " * 10 + b'{"cp": "01400", "x\\u0000": 1}]', "caractère nul"),
        # 2,000 keys over a million objects: billions of padded cells.
        (b"[" + b", ".join(b'{"k%d": 1}' % i for i in range(2_000)) + b", {}" * 1_000_000 + b"]", "cellules"),
    ],
    ids=["nested_lists", "nested_objects", "lone_surrogate", "nul_in_a_key", "nul_in_a_value", "sparse_keys"],
)
def test_hostile_json_gives_a_french_error(document: bytes, match: str) -> None:
    with pytest.raises(LoaderError, match=match) as caught:
        read_bytes(document, "export.json")
    assert_french(caught.value, "export.json")


def test_escaped_emoji_in_json_are_kept() -> None:
    table = read_bytes(b'[{"nom": "Caf\\u00e9 \\ud83d\\ude00"}]', "export.json")
    assert table.frame.loc[2, "nom"] == "Café 😀"


# --- Size limit -------------------------------------------------------------------------------


def test_loader_limit_matches_the_streamlit_upload_limit() -> None:
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] * MEGABYTE == DEFAULT_LIMITS.max_file_bytes == 20 * MEGABYTE


def test_upload_limit_is_read_from_the_environment_when_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_UPLOAD_ENV, "0,0001")  # 104 bytes
    with pytest.raises(FileTooLargeError, match="limite"):
        read_bytes(GOOD_EXPORT, "export.csv")
    monkeypatch.setenv(MAX_UPLOAD_ENV, "1e400")
    with pytest.raises(ConfigurationError, match=MAX_UPLOAD_ENV):
        read_bytes(GOOD_EXPORT, "export.csv")
    # Limits given by the caller win over the environment.
    assert len(read_bytes(GOOD_EXPORT, "export.csv", limits=ReadLimits()).frame) == 2


# --- Command line and store: no traceback, nothing imported --------------------------------------


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "carte", "import", *args], cwd=REPO, env=environment,
                          capture_output=True, text=True, timeout=120, check=False)


def row_counts(url: str) -> dict[str, int]:
    engine = store.connect(url)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            return {name: conn.execute(sa.text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one() for name in names}
    finally:
        engine.dispose()


def test_cli_refuses_an_import_with_one_bad_file_and_writes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    empty = row_counts(url)
    (tmp_path / "bon.csv").write_bytes(GOOD_EXPORT)
    (tmp_path / "abime.csv").write_bytes(GOOD_EXPORT + b"Ren\xe9;x;34000;Montpellier;Caf\xe9 IA\n")
    done = run_cli(str(tmp_path / "bon.csv"), str(tmp_path / "abime.csv"), "--theme", "cafe-ia", "--db", url,
                   env={"CARTE_DATA_HOME": str(tmp_path / "home")})
    assert done.returncode == EXIT_UNUSABLE
    assert done.stdout == ""
    assert done.stderr.startswith("Erreur : Le fichier « abime.csv » est enregistré en UTF-8")
    assert "Traceback" not in done.stderr
    assert row_counts(url) == empty
    # The same import without the bad file does write: the store was writable all along.
    assert importing.main([str(tmp_path / "bon.csv"), "--theme", "cafe-ia", "--db", url]) == 0
    assert row_counts(url)["import_batches"] == empty["import_batches"] + 1


def test_cli_reports_an_invalid_upload_limit_in_french(tmp_path: Path) -> None:
    (tmp_path / "bon.csv").write_bytes(GOOD_EXPORT)
    done = run_cli(str(tmp_path / "bon.csv"), "--db", f"sqlite:///{tmp_path / 'store.sqlite'}",
                   env={MAX_UPLOAD_ENV: "beaucoup", "CARTE_DATA_HOME": str(tmp_path / "home")})
    assert done.returncode == EXIT_UNUSABLE
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(f"Erreur : La variable d'environnement {MAX_UPLOAD_ENV} vaut « beaucoup »")
