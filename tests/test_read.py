"""Tests of loaders.read: every input format, every kind of bad input."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import random
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import openpyxl.xml
import pytest
from conftest import json_records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders._errors import (
    ConfigurationError,
    FileTooLargeError,
    LoaderError,
    NotATableError,
    UnreadableFileError,
)
from loaders.read import RawTable, read_bytes, read_table
from loaders.safe_files import restore_cell
from loaders.settings import MEGABYTE, ReadLimits, limits_from_env

BOM = b"\xef\xbb\xbf"


def records(table: RawTable) -> dict[int, dict[str, str]]:
    """The frame as {row number: {column: cell}}."""
    return table.frame.to_dict("index")


def assert_all_text(table: RawTable) -> None:
    # pandas 3 would infer its own string dtype: the contract is plain objects.
    assert all(dtype == np.dtype(object) for dtype in table.frame.dtypes)
    assert all(isinstance(cell, str) for column in table.frame.columns for cell in table.frame[column])
    assert all(isinstance(number, int) for number in table.frame.index)


def xlsx_file(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- Encodings ------------------------------------------------------------------


def test_utf8_file_is_read_as_utf8() -> None:
    table = read_bytes("nom;ville\nCafé IA;Besançon\n".encode(), "a.csv")
    assert table.encoding == "utf-8"
    assert records(table) == {2: {"nom": "Café IA", "ville": "Besançon"}}
    assert_all_text(table)


def test_utf8_bom_is_removed_from_the_first_header() -> None:
    table = read_bytes(BOM + "nom;ville\nÉlise;Évry\n".encode(), "a.csv")
    assert table.encoding == "utf-8-sig"
    assert list(table.frame.columns) == ["nom", "ville"]
    assert records(table) == {2: {"nom": "Élise", "ville": "Évry"}}


def test_windows_1252_file_is_read_as_cp1252() -> None:
    data = "nom;tarif\nCœur de ville;5 €\nÉcole;gratuit\n".encode("cp1252")
    table = read_bytes(data, "a.csv")
    assert table.encoding == "cp1252"
    assert records(table) == {
        2: {"nom": "Cœur de ville", "tarif": "5 €"},
        3: {"nom": "École", "tarif": "gratuit"},
    }


@pytest.mark.parametrize(
    "data",
    [
        # 0x81 and 0x8D are neither UTF-8 nor Windows-1252 (only Latin-1 would take them).
        b"nom;ville\nA\x81\x8d;B\n",
        # Valid UTF-8 first, then a byte invalid in UTF-8 and undefined in Windows-1252.
        "nom;ville\nCafé;Évry\n".encode() + b"Caf\xe9\x9d;x\n",
        # A BOM promises UTF-8: the Windows-1252 byte after it is not silently accepted.
        BOM + b"nom;ville\ncaf\xe9;x\n",
    ],
)
def test_undecodable_bytes_are_refused_with_advice(data: bytes) -> None:
    with pytest.raises(UnreadableFileError, match="encodage") as error:
        read_bytes(data, "export.csv")
    assert "CSV UTF-8" in str(error.value)
    assert "export.csv" in str(error.value)


def test_utf8_file_with_a_stray_byte_is_not_read_as_windows_1252() -> None:
    # b"\xe9" is "é" in Windows-1252: decoding the whole file so would give "CafÃ©" on line 2.
    data = "nom;ville\nCafé;Évry\n".encode() + b"Ren\xe9;Paris\n"
    with pytest.raises(UnreadableFileError, match="UTF-8.*ligne 3"):
        read_bytes(data, "a.csv")


def test_undecodable_message_gives_the_line() -> None:
    data = b"a;b\n1;2\n3;4\n" + b"\x81;\x8d\n"
    with pytest.raises(UnreadableFileError, match="ligne 4"):
        read_bytes(data, "a.csv")


def test_utf16_file_is_refused_with_advice() -> None:
    data = "nom\tville\nA\tB\n".encode("utf-16")
    with pytest.raises(UnreadableFileError, match="UTF-16"):
        read_bytes(data, "a.txt")


# --- Delimiters and quoting -----------------------------------------------------


@pytest.mark.parametrize(
    ("delimiter", "text"),
    [
        (";", "nom;adresse;cp\nDupont;1, rue Haute;01400\nMartin;2, rue Basse;75001\n"),
        (",", 'nom,adresse,cp\nDupont,"1, rue Haute",01400\nMartin,"2; rue Basse",75001\n'),
        ("\t", "nom\tadresse\tcp\nDupont\t1, rue Haute\t01400\nMartin\t2; rue Basse\t75001\n"),
        ("|", "nom|adresse|cp\nDupont|1, rue Haute|01400\nMartin|2; rue Basse|75001\n"),
    ],
)
def test_each_delimiter_is_detected(delimiter: str, text: str) -> None:
    table = read_bytes(text.encode(), "a.csv")
    assert table.delimiter == delimiter
    assert list(table.frame.columns) == ["nom", "adresse", "cp"]
    assert table.frame.loc[2, "adresse"] == "1, rue Haute"
    assert table.frame.loc[3, "cp"] == "75001"


def test_comma_in_headers_does_not_beat_semicolon() -> None:
    text = "Nom, prénom;Ville\nDupont, Jean;Paris\nMartin;Lyon\nDurand, Paul, Marie;Nice\n"
    table = read_bytes(text.encode(), "a.csv")
    assert table.delimiter == ";"
    assert list(table.frame.columns) == ["Nom, prénom", "Ville"]


def test_single_column_file_keeps_commas_in_cells() -> None:
    table = read_bytes(b"adresse\n1, rue Haute, Paris\n2 rue Basse\n", "a.csv")
    assert list(table.frame.columns) == ["adresse"]
    assert records(table) == {2: {"adresse": "1, rue Haute, Paris"}, 3: {"adresse": "2 rue Basse"}}


def test_quoted_delimiters_and_multiline_cells_count_as_one_row() -> None:
    text = (
        "nom;adresse;note\n"
        '"Dupont; Jean";"1 rue Haute\nBâtiment B\r\n2e étage";"dit ""le grand"""\n'
        "Martin;2 rue Basse;\n"
    )
    table = read_bytes(text.encode(), "a.csv")
    assert records(table) == {
        2: {
            "nom": "Dupont; Jean",
            "adresse": "1 rue Haute\nBâtiment B\r\n2e étage",
            "note": 'dit "le grand"',
        },
        3: {"nom": "Martin", "adresse": "2 rue Basse", "note": ""},
    }


def test_mixed_line_endings() -> None:
    table = read_bytes(b"a;b\r\n1;2\n3;4\r5;6", "a.csv")
    assert records(table) == {
        2: {"a": "1", "b": "2"},
        3: {"a": "3", "b": "4"},
        4: {"a": "5", "b": "6"},
    }


def test_quoted_cells_tell_semicolons_from_commas() -> None:
    # Read with ",", the header has 3 cells and so has the row; but the quoted "x" would be
    # followed by ";", which well-formed CSV never does: the file is ";"-separated.
    table = read_bytes(b'"x";"a,b,c"\r\n"1";"2,3,4"\r\n', "a.csv")
    assert table.delimiter == ";"
    assert records(table) == {2: {"x": "1", "a,b,c": "2,3,4"}}


def test_unclosed_quote_is_refused_with_its_line() -> None:
    with pytest.raises(UnreadableFileError, match=r"guillemet.*ligne 3"):
        read_bytes(b'a;b\n1;2\n"3;4\n5;6\n', "a.csv")


# --- Values kept as written -----------------------------------------------------


def test_values_are_kept_exactly_as_written() -> None:
    text = "cp;code;x;y;z;w;v\n01400;NA;N/A;  espacé ;nan;1.0;null\n"
    table = read_bytes(text.encode(), "a.csv")
    assert records(table) == {
        2: {"cp": "01400", "code": "NA", "x": "N/A", "y": "  espacé ", "z": "nan", "w": "1.0", "v": "null"}
    }
    assert_all_text(table)


def test_neutralised_cells_are_restored() -> None:
    table = read_bytes(b"a;b\n'=1+1;'abc\n''-2;'@x\n", "a.csv")
    assert records(table) == {2: {"a": "=1+1", "b": "'abc"}, 3: {"a": "'-2", "b": "@x"}}


def test_blank_rows_are_dropped_and_their_numbers_kept() -> None:
    text = 'a;b\n1;2\n\n;\n"";""\n3;4\n;\n\n'
    table = read_bytes(text.encode(), "a.csv")
    assert list(table.frame.index) == [2, 6]
    # Empty rows after the last record close the file: they are not reported.
    assert table.blank_rows == (3, 4, 5)
    assert records(table)[6] == {"a": "3", "b": "4"}


def test_leading_blank_lines_before_the_header() -> None:
    table = read_bytes(b"\n;;\nnom;cp;ville\nA;01400;B\n", "a.csv")
    assert list(table.frame.columns) == ["nom", "cp", "ville"]
    assert records(table) == {4: {"nom": "A", "cp": "01400", "ville": "B"}}


def test_short_rows_are_padded_and_long_rows_keep_their_extra_cells() -> None:
    table = read_bytes(b"a;b;c\n1;2\n3;4;5;6;7\n", "a.csv")
    assert list(table.frame.columns) == ["a", "b", "c", "colonne 4", "colonne 5"]
    assert records(table) == {
        2: {"a": "1", "b": "2", "c": "", "colonne 4": "", "colonne 5": ""},
        3: {"a": "3", "b": "4", "c": "5", "colonne 4": "6", "colonne 5": "7"},
    }
    assert_all_text(table)


def test_empty_and_duplicate_headers_are_renamed() -> None:
    table = read_bytes(b" nom ;;nom;nom; Nom (2)\n1;2;3;4;5\n", "a.csv")
    assert list(table.frame.columns) == ["nom", "colonne 2", "nom (2)", "nom (3)", "Nom (2)"]


# --- Bad CSV input --------------------------------------------------------------


def test_nul_bytes_are_refused() -> None:
    with pytest.raises(UnreadableFileError, match="caractères nuls"):
        read_bytes(b"a;b\n1;\x002\n", "a.csv")


@pytest.mark.parametrize("name", ["a.csv", "sans-extension"])
def test_random_binary_is_refused(name: str) -> None:
    data = random.Random(0).randbytes(4096)
    with pytest.raises(UnreadableFileError):
        read_bytes(data, name)


@pytest.mark.parametrize("data", [b"", b"  \r\n\n", BOM, BOM + b"\n"])
def test_empty_file_is_not_a_table(data: bytes) -> None:
    with pytest.raises(NotATableError, match="vide"):
        read_bytes(data, "a.csv")


@pytest.mark.parametrize("data", [b"nom;ville\n", b"nom;ville\n;\n\n", b";;\n\n;;\n"])
def test_file_without_records_is_not_a_table(data: bytes) -> None:
    with pytest.raises(NotATableError, match="aucune"):
        read_bytes(data, "a.csv")


def test_header_only_message() -> None:
    with pytest.raises(NotATableError, match="ne contient aucune ligne de données"):
        read_bytes(b"nom;ville\n", "a.csv")


def test_too_many_columns() -> None:
    limits = ReadLimits(max_columns=3)
    with pytest.raises(FileTooLargeError, match="4 colonnes"):
        read_bytes(b"a;b;c;d\n1;2;3;4\n", "a.csv", limits=limits)
    # A long row further down goes through the tolerant parser: checked there too.
    with pytest.raises(FileTooLargeError, match="5 colonnes"):
        read_bytes(b"a;b\n1;2\n1;2;3;4;5\n", "a.csv", limits=limits)


def test_too_large_file(tmp_path: Path) -> None:
    limits = ReadLimits(max_file_bytes=10)
    with pytest.raises(FileTooLargeError, match="limite"):
        read_bytes(b"nom;ville\nA;B\n", "a.csv", limits=limits)
    path = tmp_path / "a.csv"
    path.write_bytes(b"nom;ville\nA;B\n")
    with pytest.raises(FileTooLargeError):
        read_table(path, limits=limits)


def test_upload_limit_from_the_environment() -> None:
    assert limits_from_env({}) == ReadLimits()
    assert ReadLimits().max_file_bytes == 20 * MEGABYTE
    assert limits_from_env({"CARTE_MAX_UPLOAD_MB": "50"}).max_file_bytes == 50 * MEGABYTE
    assert limits_from_env({"CARTE_MAX_UPLOAD_MB": " 1,5 "}).max_file_bytes == int(1.5 * MEGABYTE)


# "1e400" overflows to infinity; "1e-9" megabytes is less than a byte.
@pytest.mark.parametrize("value", ["beaucoup", "0", "-3", "nan", "inf", "1e400", "1e-9"])
def test_invalid_upload_limit_is_a_configuration_error(value: str) -> None:
    with pytest.raises(ConfigurationError, match="CARTE_MAX_UPLOAD_MB"):
        limits_from_env({"CARTE_MAX_UPLOAD_MB": value})


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="introuvable"):
        read_table(tmp_path / "absent.csv")


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "dossier.csv").mkdir()
    with pytest.raises(UnreadableFileError, match="est un dossier"):
        read_table(tmp_path / "dossier.csv")


def test_read_table_fills_the_metadata(tmp_path: Path) -> None:
    data = b"nom,ville\nA,B\n"
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    table = read_table(path)
    assert table.source_file == "export.csv"
    assert table.sha256 == hashlib.sha256(data).hexdigest()
    assert (table.kind, table.encoding, table.delimiter) == ("csv", "utf-8", ",")


def test_large_csv_is_read_whole() -> None:
    rng = random.Random(1)
    header = ";".join(f"colonne{i}" for i in range(25))
    lines = [header]
    for number in range(100_000):
        cells = [f"{rng.randint(1000, 99999):05d}", f"Commune {number % 3000}", f"{rng.uniform(42, 51):.6f}"]
        lines.append(";".join(cells + [f"v{number % 1000}"] * 22))
    data = "\r\n".join(lines).encode()
    table = read_bytes(data, "grand.csv")
    assert table.frame.shape == (100_000, 25)
    assert table.frame.index[-1] == 100_001
    assert table.frame.iat[-1, 0] == lines[-1].split(";")[0]
    assert len(data) < ReadLimits().max_file_bytes


# --- XLSX -----------------------------------------------------------------------


def test_openpyxl_parses_xml_with_defusedxml() -> None:
    assert openpyxl.xml.DEFUSEDXML is True


def test_xlsx_cells_are_converted_to_text() -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    sheet = workbook.create_sheet("Animateurs")
    header = ["nom", "date", "minuit", "horodatage", "entier", "réel", "rond", "oui", "non", "vide", "cp"]
    sheet.append(header)
    sheet.append(
        [
            "Dupont",
            dt.date(2024, 3, 1),
            dt.datetime(2024, 3, 1),
            dt.datetime(2024, 3, 1, 14, 30, 5),
            42,
            47.098976,
            2.0,
            True,
            False,
            None,
            "01400",
        ]
    )
    sheet["A4"] = "=1+1 en texte"
    sheet["A4"].data_type = "s"
    sheet["B4"] = "'=1+1"
    # The second sheet is the active one: it is the one read.
    workbook.active = 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_bytes(buffer.getvalue(), "classeur.xlsx")
    assert table.kind == "xlsx"
    assert (table.encoding, table.delimiter) == (None, None)
    assert table.blank_rows == (3,)
    assert records(table)[2] == {
        "nom": "Dupont",
        "date": "2024-03-01",
        "minuit": "2024-03-01",
        "horodatage": "2024-03-01 14:30:05",
        "entier": "42",
        "réel": "47.098976",
        "rond": "2",
        "oui": "oui",
        "non": "non",
        "vide": "",
        "cp": "01400",
    }
    assert records(table)[4]["nom"] == "=1+1 en texte"
    assert records(table)[4]["date"] == "=1+1"
    assert_all_text(table)


def test_xlsx_header_rules_and_ragged_rows() -> None:
    data = xlsx_file([[None], [" nom ", None, "nom"], ["A", "B", "C", "D"]])
    table = read_bytes(data, "a.xlsx")
    assert list(table.frame.columns) == ["nom", "colonne 2", "nom (2)", "colonne 4"]
    assert records(table) == {3: {"nom": "A", "colonne 2": "B", "nom (2)": "C", "colonne 4": "D"}}


def test_xlsx_without_records_is_not_a_table() -> None:
    with pytest.raises(NotATableError, match="aucune ligne de données"):
        read_bytes(xlsx_file([["nom", "ville"]]), "a.xlsx")
    with pytest.raises(NotATableError, match="vides"):
        read_bytes(xlsx_file([]), "a.xlsx")


def test_xlsx_is_detected_by_content() -> None:
    table = read_bytes(xlsx_file([["nom"], ["A"]]), "upload")
    assert table.kind == "xlsx"


def test_xlsx_too_many_columns() -> None:
    data = xlsx_file([["a", "b"], [1, 2, 3, 4]])
    with pytest.raises(FileTooLargeError, match="4 colonnes"):
        read_bytes(data, "a.xlsx", limits=ReadLimits(max_columns=3))


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_xlsx_decompression_bomb_is_refused() -> None:
    # 100 MB of spaces deflate to about 100 kB: a ratio near 1,000.
    bomb = zip_bytes({"[Content_Types].xml": b"<x/>", "xl/worksheets/sheet1.xml": b" " * 100_000_000})
    assert len(bomb) < 1_000_000
    with pytest.raises(FileTooLargeError, match="archive XLSX anormale"):
        read_bytes(bomb, "bombe.xlsx")


def test_xlsx_over_the_uncompressed_limit_is_refused() -> None:
    data = xlsx_file([["nom"], ["A"]])
    with pytest.raises(FileTooLargeError, match="décompressé"):
        read_bytes(data, "a.xlsx", limits=ReadLimits(xlsx_max_uncompressed_bytes=1_000))


def test_xlsx_with_too_many_entries_is_refused() -> None:
    data = zip_bytes({f"xl/media/{i}.bin": b"" for i in range(10_001)})
    with pytest.raises(FileTooLargeError, match="10001 fichiers internes"):
        read_bytes(data, "a.xlsx")


def test_xlsx_with_xml_entities_is_refused() -> None:
    # A "billion laughs" worksheet: defusedxml refuses entity declarations.
    with zipfile.ZipFile(io.BytesIO(xlsx_file([["nom"], ["A"]]))) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["xl/worksheets/sheet1.xml"] = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row></sheetData></worksheet>'
    )
    with pytest.raises(UnreadableFileError, match="classeur Excel"):
        read_bytes(zip_bytes(members), "a.xlsx")


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04" + b"\x00" * 100,
        zip_bytes({"bonjour.txt": b"ceci n'est pas un classeur"}),
        xlsx_file([["nom"], ["A"]])[:-200],
        b"nom;ville\nA;B\n",
    ],
)
def test_damaged_xlsx_is_unreadable(data: bytes) -> None:
    with pytest.raises(UnreadableFileError, match="classeur Excel"):
        read_bytes(data, "a.xlsx")


@pytest.mark.parametrize("name", ["ancien.xls", "libre.ods", "ANCIEN.XLS"])
def test_unsupported_spreadsheet_formats(name: str) -> None:
    with pytest.raises(UnreadableFileError, match=r"\.xlsx"):
        read_bytes(b"whatever", name)


def test_old_excel_detected_by_content() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500
    with pytest.raises(UnreadableFileError, match="Excel 97-2003"):
        read_bytes(data, "export.csv")


# --- JSON -----------------------------------------------------------------------


def test_json_array_of_objects() -> None:
    data = json.dumps(
        [
            {"nom": "A", "cp": "01400", "lat": 47.098976, "n": 1000, "r": 1.0, "ok": True},
            {"nom": "B", "ville": "Lyon", "ok": False, "cp": None, "tags": ["a", 2, None], "geo": {"x": "é"}},
            {},
            {"nom": "C", "petit": 1e-7},
        ],
        ensure_ascii=False,
    ).encode()
    table = read_bytes(data, "a.json")
    assert table.kind == "json"
    assert list(table.frame.columns) == ["nom", "cp", "lat", "n", "r", "ok", "ville", "tags", "geo.x", "petit"]
    rows = records(table)
    assert list(rows) == [2, 3, 5]
    assert table.blank_rows == (4,)
    assert rows[2] == {
        "nom": "A",
        "cp": "01400",
        "lat": "47.098976",
        "n": "1000",
        "r": "1",
        "ok": "oui",
        "ville": "",
        "tags": "",
        "geo.x": "",
        "petit": "",
    }
    assert rows[3]["ok"] == "non"
    assert rows[3]["cp"] == ""
    assert rows[3]["tags"] == "a, 2, "
    assert rows[3]["geo.x"] == "é"
    assert rows[5]["petit"] == "1e-07"
    assert_all_text(table)


def test_json_api_wrapper() -> None:
    data = json.dumps({"data": [{"nom": "A"}, {"nom": "B"}], "meta": {"total": 2}, "links": []}).encode()
    table = read_bytes(data, "a.json")
    assert records(table) == {2: {"nom": "A"}, 3: {"nom": "B"}}


def test_grist_records_are_flattened() -> None:
    data = json.dumps(
        {"records": [{"id": 7, "fields": {"Nom": "A", "CP": "01400"}}, {"id": 9, "fields": {"Nom": "B"}}]}
    ).encode()
    table = read_bytes(data, "grist")
    assert table.kind == "json"
    assert records(table) == {2: {"id": "7", "Nom": "A", "CP": "01400"}, 3: {"id": "9", "Nom": "B", "CP": ""}}


@pytest.mark.parametrize(
    "document",
    [
        "42",
        '"texte"',
        "null",
        '{"nom": "A"}',
        "[1, 2]",
        '[{"a": 1}, 2]',
        '{"a": [{"x": 1}], "b": [{"y": 2}]}',
    ],
)
def test_json_without_a_list_of_objects_is_not_a_table(document: str) -> None:
    with pytest.raises(NotATableError, match="liste d'objets"):
        read_bytes(document.encode(), "a.json")


@pytest.mark.parametrize("document", ["[]", '{"records": []}'])
def test_json_without_records(document: str) -> None:
    with pytest.raises(NotATableError, match="aucune ligne de données"):
        read_bytes(document.encode(), "a.json")


def test_invalid_json_gives_the_line() -> None:
    with pytest.raises(UnreadableFileError, match="ligne 3"):
        read_bytes(b'[\n {"a": 1},\n {"a": 2,,}\n]', "a.json")


def test_absurd_json_is_unreadable() -> None:
    with pytest.raises(UnreadableFileError):
        read_bytes(b"[" * 100_000 + b"]" * 100_000, "a.json")
    with pytest.raises(UnreadableFileError):
        read_bytes(b'[{"a": ' + b"9" * 5000 + b"}]", "a.json")


def test_json_is_detected_by_content() -> None:
    table = read_bytes(BOM + b'  \n[{"a": "1"}]', "export")
    assert table.kind == "json"
    assert records(table) == {2: {"a": "1"}}


@pytest.mark.parametrize(
    ("name", "column", "first"),
    [
        ("epernay.json", "ObjectID", "13"),
        ("hub-lo.json", "c_postcode", "18000"),
        ("la-creuse.json", "latitude", "46.351667"),
        ("etapes-numerique.json", "Code postal", "1000"),
        ("corse.json", "long", "9.04258"),
    ],
)
def test_real_hub_exports(realdata: Path, name: str, column: str, first: str) -> None:
    table = read_table(realdata / name)
    assert len(table.frame) == json_records(realdata / name)
    assert list(table.frame.index[:2]) == [2, 3]
    assert table.frame[column].iloc[0] == first
    assert_all_text(table)


# --- Properties -----------------------------------------------------------------


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.binary(max_size=400).map(lambda tail: b"PK\x03\x04" + tail),
        st.text(alphabet=";,|\t\"'=\n\r []{}:a0é\x00", max_size=120).map(str.encode),
    ),
    suffix=st.sampled_from([".csv", ".json", ".xlsx", ""]),
)
def test_any_bytes_give_a_table_of_text_or_a_loader_error(data: bytes, suffix: str) -> None:
    try:
        table = read_bytes(data, "fichier" + suffix)
    except LoaderError:
        return
    assert_all_text(table)


# Cells mixing the characters that matter (delimiter, quotes, line breaks,
# formula triggers) with any other text. The other candidate delimiters are
# left out: with them, a file can genuinely be read in two ways. Text that
# `restore_cell` changes is left out too: reading restores it by design.
cells = st.text(
    alphabet=st.one_of(
        st.sampled_from([";", '"', "\n", "\r", "'", "=", "-", " "]),
        st.characters(exclude_categories=["Cs"], exclude_characters=",\t|\x00\ufeff"),
    ),
    max_size=12,
).filter(lambda text: restore_cell(text) == text)
header_text = cells.map(str.strip).filter(lambda text: text and restore_cell(text) == text)


@st.composite
def tables(draw: st.DrawFn) -> list[list[str]]:
    header = draw(st.lists(header_text, min_size=1, max_size=5, unique=True))
    row = st.lists(cells, min_size=len(header), max_size=len(header)).filter(any)
    return [header, *draw(st.lists(row, min_size=1, max_size=6))]


@settings(max_examples=200, deadline=None)
@given(rows=tables(), bom=st.booleans())
def test_csv_written_by_the_csv_module_reads_back_identically(rows: list[list[str]], bom: bool) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows)
    table = read_bytes(buffer.getvalue().encode("utf-8-sig" if bom else "utf-8"), "a.csv")
    assert list(table.frame.columns) == rows[0]
    assert table.frame.to_numpy().tolist() == rows[1:]
    assert list(table.frame.index) == list(range(2, len(rows) + 1))


def test_json_nested_objects_become_dotted_columns() -> None:
    data = json.dumps([
        {"nom": "EPN", "adresse": {"code_postal": "01400", "commune": "X"}, "geo": {"lat": 46.1, "lon": 4.9}},
        {"nom": "B", "adresse": {}, "geo": {"lat": 1.5}},
    ]).encode()
    table = read_bytes(data, "n.json")
    assert list(table.frame.columns) == ["nom", "adresse.code_postal", "adresse.commune", "geo.lat", "geo.lon",
                                         "adresse"]
    assert records(table)[3]["adresse"] == ""
    assert records(table)[2]["adresse.code_postal"] == "01400"
    assert records(table)[3]["geo.lat"] == "1.5" and records(table)[3]["geo.lon"] == ""
