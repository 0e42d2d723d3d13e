"""Read an input file (CSV, XLSX or JSON) into a table of text cells.

Hubs send whatever their tools export: CSV files from Excel, LibreOffice or an
online form (in UTF-8 or Windows-1252, separated by ``;``, ``,``, tabs or
``|``), Excel workbooks, JSON exports of an API or of Grist. This module turns
any of them into a `RawTable`: the file's own headers, and every value as the
text that was written, so that nothing is guessed here (``01400`` keeps its
leading zero, ``NA`` stays ``NA``). Interpreting the columns is left to the
next steps.

Any problem with the input raises a `LoaderError` whose French message tells a
hub agent which file is at fault and what to do; nothing else is raised for bad
bytes.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import itertools
import json
import os
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePath

import numpy as np
import openpyxl
import pandas as pd
from openpyxl import DEFUSEDXML

from loaders._errors import (
    ConfigurationError,
    FileTooLargeError,
    LoaderError,
    NotATableError,
    UnreadableFileError,
)
from loaders.safe_files import cell_text, restore_cell
from loaders.settings import MEGABYTE, ReadLimits, current_limits

_CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
_XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
_JSON_SUFFIXES = frozenset({".json"})
_UNSUPPORTED_FORMATS = {
    ".xls": "Excel 97-2003 (.xls)",
    ".ods": "OpenDocument (.ods)",
}
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
# What zipfile raises on a damaged archive (NotImplementedError: unknown zip version).
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, OSError, EOFError)
# Signature of OLE2 compound files, the container of old .xls workbooks.
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Content that is no table whatever the file's name says, and what to call it.
_BINARY_SIGNATURES = {
    b"\x1f\x8b": "une archive compressée (gzip)",
    b"%PDF-": "un document PDF",
    b"\x89PNG\r\n\x1a\n": "une image PNG",
    b"\xff\xd8\xff": "une image JPEG",
    b"GIF87a": "une image GIF",
    b"GIF89a": "une image GIF",
    b"7z\xbc\xaf\x27\x1c": "une archive 7-Zip",
    b"Rar!\x1a\x07": "une archive RAR",
}

# Up to this many bytes that are not UTF-8 for one valid UTF-8 character, a file is
# taken for damaged UTF-8 rather than for Windows-1252 (see `_mostly_utf8`).
_STRAY_BYTES_PER_UTF8 = 10

# Candidate delimiters, in order of preference when they fit equally well:
# French spreadsheets export ";" by default.
_DELIMITERS = (";", ",", "\t", "|")
_SAMPLE_CHARS = 64 * 1024
_SAMPLE_RECORDS = 50

# JSON escapes that may hide a NUL or half of a surrogate pair, which no file or
# database can store (valid pairs, such as escaped emoji, match too).
_SUSPECT_JSON_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Deeper JSON documents are refused (export tools nest a handful of levels).
_MAX_JSON_DEPTH = 32

# A cell needs `restore_cell` only if an apostrophe precedes a formula trigger:
# when the whole text has no such pair, restoring can be skipped.
_RESTORABLE = re.compile(r"'[=+\-@\t\r\n\x00]")
_PANDAS_ROW = re.compile(r"row (\d+)")

_RESAVE_ADVICE = (
    "Ouvrez-le dans votre tableur, puis enregistrez-le au format « CSV UTF-8 » "
    "ou « Classeur Excel (.xlsx) » et déposez ce nouveau fichier."
)


@dataclass(frozen=True)
class RawTable:
    """A table as read from a file, every cell kept as the text written.

    Attributes
    ----------
    source_file : str
        Base name of the file.
    frame : pandas.DataFrame
        One column per header of the file (headers stripped; an empty header
        becomes ``"colonne N"``, N its 1-based position; repeated headers get
        ``" (2)"``, ``" (3)"``...). Every cell is a Python ``str`` (object
        dtype), ``""`` when empty. The index is the spreadsheet row number of
        each record (the header is row 1, the first record row 2; for JSON,
        objects are numbered from 2 likewise).
    sha256 : str
        Hexadecimal SHA-256 digest of the raw bytes.
    kind : str
        ``"csv"``, ``"xlsx"`` or ``"json"``.
    encoding : str or None
        For CSV: ``"utf-8-sig"``, ``"utf-8"`` or ``"cp1252"``.
    delimiter : str or None
        For CSV: ``";"``, ``","``, ``"\\t"`` or ``"|"``.
    blank_rows : tuple of int
        Row numbers of the fully empty rows skipped between the header and the
        last record.
    """

    source_file: str
    frame: pd.DataFrame
    sha256: str
    kind: str
    encoding: str | None
    delimiter: str | None
    blank_rows: tuple[int, ...]


def read_table(path: str | os.PathLike[str], *, limits: ReadLimits | None = None) -> RawTable:
    """Read a CSV, XLSX or JSON file from disk.

    Parameters
    ----------
    path : str or os.PathLike
        File to read.
    limits : ReadLimits, optional
        Size limits; by default `loaders.settings.current_limits`.

    Returns
    -------
    RawTable
        The table, every cell as text (see `read_bytes`).

    Raises
    ------
    LoaderError
        A subclass with a French message if the file is missing, too large,
        unreadable or not a table, or if ``CARTE_MAX_UPLOAD_MB`` is invalid.
    """
    path = Path(path)
    limits = current_limits() if limits is None else limits
    try:
        _check_size(path.stat().st_size, path.name, limits)
        data = path.read_bytes()
    except OSError as exc:
        raise _open_error(path.name, exc) from exc
    return read_bytes(data, path.name, limits=limits)


def _open_error(source: str, error: OSError) -> UnreadableFileError:
    if isinstance(error, FileNotFoundError):
        reason = "est introuvable : vérifiez son nom et son dossier"
    elif isinstance(error, IsADirectoryError):
        reason = "est un dossier, pas un fichier"
    elif isinstance(error, PermissionError):
        reason = "ne peut pas être lu : vous n'avez pas le droit de l'ouvrir"
    else:
        reason = f"ne peut pas être lu (erreur du système : {error.strerror})"
    return UnreadableFileError(f"Le fichier « {source} » {reason}.")


def read_bytes(data: bytes, name: str, *, limits: ReadLimits | None = None) -> RawTable:
    """Read the content of a CSV, XLSX or JSON file (an upload, for instance).

    The format is given by the extension of `name` (``.csv``, ``.tsv``,
    ``.txt``; ``.xlsx``, ``.xlsm``; ``.json``), or else guessed from the
    content; a ZIP archive is always read as a workbook (an ``.xlsx`` renamed
    ``.csv`` still is one). The first non-empty row of a CSV file or of the
    first worksheet of a workbook is the header.

    Parameters
    ----------
    data : bytes
        Raw content of the file.
    name : str
        File name, used for the format and in messages.
    limits : ReadLimits, optional
        Size limits; by default `loaders.settings.current_limits`.

    Returns
    -------
    RawTable
        The table, every cell as the text written in the file.

    Raises
    ------
    FileTooLargeError
        The file, its decompressed content, its number of columns or of cells
        is over `limits`.
    UnreadableFileError
        The bytes are not text in a known encoding (see `_decode`), a valid
        workbook or valid JSON; or they are binary (NUL bytes, an image, a PDF,
        an archive); or the format is not supported (.xls, .ods).
    NotATableError
        The file is empty, has no data row, or its JSON holds no list of objects.
    ConfigurationError
        `limits` is not given and ``CARTE_MAX_UPLOAD_MB`` is invalid, or a
        workbook would be parsed without defusedxml (``OPENPYXL_DEFUSEDXML``).
    """
    source = PurePath(name).name
    limits = current_limits() if limits is None else limits
    _check_size(len(data), source, limits)
    content = data.removeprefix(codecs.BOM_UTF8)
    if not content or content.isspace():  # as `not content.strip()`, without copying the file
        raise NotATableError(f"Le fichier « {source} » est vide.")
    kind = _detect_kind(data, source)
    encoding = delimiter = None
    if kind == "csv":
        text, encoding = _decode(data, source)
        delimiter = _sniff_delimiter(text)
        header, body = _split_header(_csv_grid(text, delimiter, source, limits), source)
    elif kind == "xlsx":
        header, body = _split_header(_xlsx_grid(data, source, limits), source)
    else:
        header, body = _json_table(data, source, limits)
    frame, blank_rows = _assemble(header, body, source)
    return RawTable(
        source_file=source,
        frame=frame,
        sha256=hashlib.sha256(data).hexdigest(),
        kind=kind,
        encoding=encoding,
        delimiter=delimiter,
        blank_rows=blank_rows,
    )


# --- Checks shared by all formats -------------------------------------------


def _megabytes(size: int) -> str:
    return format(round(size / MEGABYTE, 1), "g").replace(".", ",") + " Mo"


def _check_size(size: int, source: str, limits: ReadLimits) -> None:
    if size > limits.max_file_bytes:
        raise FileTooLargeError(
            f"Le fichier « {source} » pèse {_megabytes(size)}, au-delà de la limite de "
            f"{_megabytes(limits.max_file_bytes)}. Supprimez les colonnes ou les lignes "
            "inutiles, ou découpez-le en plusieurs fichiers."
        )


def _check_width(width: int, source: str, limits: ReadLimits) -> None:
    if width > limits.max_columns:
        raise FileTooLargeError(
            f"Le fichier « {source} » compte {width} colonnes, au-delà de la limite de "
            f"{limits.max_columns}. Vérifiez qu'il s'agit bien d'un tableau avec une ligne "
            "d'en-tête, et supprimez les colonnes inutiles."
        )


def _check_cells(rows: int, width: int, source: str, limits: ReadLimits) -> None:
    if rows * width > limits.max_cells:
        raise FileTooLargeError(
            f"Le fichier « {source} » formerait un tableau de {rows} lignes sur {width} colonnes, "
            f"plus de {limits.max_cells} cellules : c'est au-delà de la limite. Supprimez les lignes "
            "ou les colonnes inutiles, ou découpez-le en plusieurs fichiers."
        )


def _detect_kind(data: bytes, source: str) -> str:
    """Format of the file: by its extension, else by its content."""
    suffix = PurePath(source).suffix.lower()
    if suffix in _UNSUPPORTED_FORMATS or data.startswith(_OLE_SIGNATURE):
        label = _UNSUPPORTED_FORMATS.get(suffix, "Excel 97-2003 (.xls)")
        raise UnreadableFileError(
            f"Le fichier « {source} » est au format {label}, que l'outil ne sait pas lire. " + _RESAVE_ADVICE
        )
    for signature, label in _BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise UnreadableFileError(
                f"Le fichier « {source} » n'est pas un tableau : c'est {label}. Déposez l'export de "
                "votre formulaire, au format CSV, Excel (.xlsx) ou JSON."
            )
    if data.startswith(_ZIP_SIGNATURES):
        return "xlsx"
    if suffix in _CSV_SUFFIXES:
        return "csv"
    if suffix in _XLSX_SUFFIXES:
        return "xlsx"
    if suffix in _JSON_SUFFIXES:
        return "json"
    if data.removeprefix(codecs.BOM_UTF8).lstrip()[:1] in (b"[", b"{"):
        return "json"
    return "csv"


def _decode(data: bytes, source: str) -> tuple[str, str]:
    """Text of the file and its encoding: UTF-8 (with or without BOM) or Windows-1252.

    A file that is not valid UTF-8 is read as Windows-1252 only if it has no
    BOM and does not look like UTF-8 (see `_mostly_utf8`): a UTF-8 file with a
    few damaged bytes is refused, with the line of the first one, since reading
    it as Windows-1252 would turn each of its accented letters into two wrong
    characters (« Ã© » for « é »). A file valid in neither encoding (Windows-1252
    leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined) is refused likewise.
    Latin-1 is never used as a fallback: it decodes any bytes, so it would turn
    a wrongly encoded file into silently wrong text. Files with NUL bytes are
    refused as binary (or UTF-16) before any decoding.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise UnreadableFileError(
            f"Le fichier « {source} » est enregistré en UTF-16 (« Texte Unicode »), un "
            "encodage que l'outil ne lit pas. " + _RESAVE_ADVICE
        )
    if b"\x00" in data:
        raise UnreadableFileError(
            f"Le fichier « {source} » contient des caractères nuls : ce n'est pas un fichier "
            "texte (fichier binaire, ou texte enregistré en UTF-16). " + _RESAVE_ADVICE
        )
    utf8 = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        return data.decode(utf8), utf8
    except UnicodeDecodeError as exc:
        utf8_error = exc
    line = _line_number(data, utf8_error.start)
    # A BOM says the file is meant to be UTF-8.
    if utf8 == "utf-8-sig" or _mostly_utf8(data):
        raise UnreadableFileError(
            f"Le fichier « {source} » est enregistré en UTF-8, mais des caractères y sont abîmés "
            f"(octets invalides dans cet encodage), le premier ligne {line} : un outil réglé sur un "
            "autre encodage l'a sans doute modifié. Corrigez les lettres accentuées de cette ligne, "
            "puis enregistrez le fichier en UTF-8 : depuis un tableur, choisissez le format "
            "« CSV UTF-8 »."
        ) from utf8_error
    with contextlib.suppress(UnicodeDecodeError):
        return data.decode("cp1252"), "cp1252"
    raise UnreadableFileError(
        f"Le fichier « {source} » n'est pas un texte dans un encodage reconnu (UTF-8 ou "
        f"Windows-1252) : le premier caractère illisible se trouve ligne {line}. "
        "Enregistrez-le de nouveau en UTF-8 : depuis un tableur, choisissez le format "
        "« CSV UTF-8 »."
    ) from utf8_error


def _mostly_utf8(data: bytes) -> bool:
    """True if there is a valid UTF-8 character per `_STRAY_BYTES_PER_UTF8` stray bytes, or more.

    Stray bytes are the non-ASCII bytes outside valid UTF-8 characters. In a
    Windows-1252 file, accented letters are single bytes, mostly followed by
    ASCII: a valid UTF-8 character only appears by accident (an accented
    capital followed by a symbol, « É… »; none in the 100,000 rows of
    ``bench/make_messy_export.py``). A UTF-8 file with a few damaged bytes, or
    with rows appended in Windows-1252, holds many.
    """
    # Each byte that is no part of a valid UTF-8 character decodes to a lone surrogate,
    # which encoding drops again.
    text = data.decode("utf-8", "surrogateescape")
    stray = len(data) - len(text.encode("utf-8", "ignore"))
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    return (non_ascii - stray) * _STRAY_BYTES_PER_UTF8 >= stray


def _line_number(data: bytes, position: int) -> int:
    """Line of `position`, lines ending with CR LF, LF or CR alone."""
    before = data[:position]
    return before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1


def _split_header(grid: pd.DataFrame, source: str) -> tuple[list[str], pd.DataFrame]:
    """Split a grid of cells at its first non-empty row, the header.

    Parameters
    ----------
    grid : pandas.DataFrame
        All rows of the file, indexed by row number from 1, positional columns.
    source : str
        File name, for messages.

    Returns
    -------
    tuple of (list of str, pandas.DataFrame)
        The header cells, and the rows below it.
    """
    for row_number, values in zip(grid.index, grid.itertuples(index=False, name=None), strict=True):
        if any(values):
            return list(values), grid.loc[row_number + 1 :]
    raise NotATableError(f"Le fichier « {source} » ne contient aucune donnée : toutes ses lignes sont vides.")


def _assemble(header: list[str], body: pd.DataFrame, source: str) -> tuple[pd.DataFrame, tuple[int, ...]]:
    """Name the columns and drop the empty rows, remembering their numbers.

    Parameters
    ----------
    header : list of str
        Header cells; may be shorter than the rows (the extra cells of longer
        rows then get a column named after their position).
    body : pandas.DataFrame
        Rows below the header, indexed by row number, positional columns.
    source : str
        File name, for messages.

    Returns
    -------
    tuple of (pandas.DataFrame, tuple of int)
        The records with named columns, and the numbers of the empty rows
        skipped between the header and the last record.
    """
    blank = _blank_mask(body)
    filled = body.index[~blank]
    if filled.empty:
        raise NotATableError(
            f"Le fichier « {source} » ne contient aucune ligne de données : seule la ligne "
            "d'en-tête est remplie. Vérifiez que vous avez déposé le bon fichier."
        )
    blank_rows = tuple(int(number) for number in body.index[blank] if number < filled[-1])
    frame = body.loc[~blank].set_axis(_column_names(header, body.shape[1]), axis=1)
    return frame, blank_rows


def _blank_mask(body: pd.DataFrame) -> np.ndarray:
    """True for the rows whose cells are all empty."""
    # Narrow the candidates column by column: usually the first column already
    # rules out nearly every row, so the other columns are barely looked at.
    candidates = np.arange(len(body))
    for position in range(body.shape[1]):
        if not candidates.size:
            break
        cells = body.iloc[:, position].to_numpy()
        candidates = candidates[cells[candidates] == ""]
    blank = np.zeros(len(body), dtype=bool)
    blank[candidates] = True
    return blank


def _column_names(header: list[str], width: int) -> list[str]:
    """Usable, unique column names from the header cells."""
    names: list[str] = []
    taken: set[str] = set()
    # Next copy number to try for each repeated name: thousands of identical
    # headers would otherwise take a time growing with the cube of their number.
    next_copy: dict[str, int] = {}
    for position in range(1, width + 1):
        cell = header[position - 1] if position <= len(header) else ""
        base = cell.replace("\ufeff", "").strip() or f"colonne {position}"
        name, copy = base, next_copy.get(base, 2)
        while name in taken:
            name, copy = f"{base} ({copy})", copy + 1
        next_copy[base] = copy
        taken.add(name)
        names.append(name)
    return names


# --- CSV ----------------------------------------------------------------------


def _sniff_delimiter(text: str) -> str:
    """Delimiter giving the header several fields and the rows the same count.

    Parameters
    ----------
    text : str
        The CSV text; only its beginning is examined.

    Returns
    -------
    str
        The candidate whose header splits into at least two fields, with the
        largest share of rows having the header's field count, then well-formed
        quoting (see `_well_quoted`), then the most fields, then the first in
        `_DELIMITERS`. Without any such candidate the file has a single column:
        the candidate least present in the sample.
    """
    sample = text[:_SAMPLE_CHARS]
    truncated = len(text) > len(sample)
    best_key: tuple[float, bool, int, int] | None = None
    best = min(_DELIMITERS, key=sample.count)
    for rank, delimiter in enumerate(_DELIMITERS):
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        records = list(itertools.islice(reader, _SAMPLE_RECORDS))
        well_quoted = _well_quoted(sample, delimiter, len(records), truncated)
        # The last record may have been cut by the end of the sample.
        records = records[:-1] if truncated and len(records) > 2 else records
        rows = [row for row in records if any(row)]
        # Rows of empty cells only (";;") still show their delimiter.
        width = len(rows[0]) if rows else max(map(len, records), default=0)
        if width < 2:
            continue
        others = rows[1:]
        share = sum(len(row) == width for row in others) / len(others) if others else 1.0
        key = (share, well_quoted, width, -rank)
        if best_key is None or key > best_key:
            best_key, best = key, delimiter
    return best


def _well_quoted(sample: str, delimiter: str, records: int, truncated: bool) -> bool:
    """True if, read with `delimiter`, every quoted cell of the first records ends the cell.

    Read with a wrong delimiter, ``"a";"b,c"`` gives a quoted cell followed by
    more text: this tells the project's own exports (see
    `loaders.safe_files.csv_bytes`) from a genuine comma-separated file.

    Parameters
    ----------
    sample : str
        Beginning of the CSV text.
    delimiter : str
        Candidate delimiter.
    records : int
        Number of records to check.
    truncated : bool
        Whether the sample was cut from a longer text: its last record may then
        end inside a quoted cell, which is not held against the delimiter.
    """
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, strict=True)
    checked = 0
    try:
        for _ in itertools.islice(reader, records):
            checked += 1
    except csv.Error:
        return truncated and checked >= records - 1
    return True


def _csv_grid(text: str, delimiter: str, source: str, limits: ReadLimits) -> pd.DataFrame:
    """All records of a CSV text, padded to the same width, numbered from 1."""
    # pandas sizes the table on the first record, padding every shorter line to
    # it: check both before parsing.
    sample = io.StringIO(text[:_SAMPLE_CHARS], newline="")
    width = len(next(csv.reader(sample, delimiter=delimiter), []))
    _check_width(width, source, limits)
    _check_cells(_line_count(text), width, source, limits)
    try:
        grid = _csv_grid_fast(text, delimiter)
    except pd.errors.ParserError as exc:
        if "EOF inside string" in str(exc):
            raise _unclosed_quote_error(source, str(exc)) from exc
        grid = _csv_grid_ragged(text, delimiter, source, limits)
    except pd.errors.EmptyDataError:
        # pandas finds no columns when the file starts with empty lines.
        grid = _csv_grid_ragged(text, delimiter, source, limits)
    grid.index = pd.RangeIndex(1, len(grid) + 1)
    return _restored(grid) if _RESTORABLE.search(text) else grid


def _line_count(text: str) -> int:
    """Lines of the text, ending with CR LF, LF or CR alone (at least its records)."""
    return text.count("\n") + text.count("\r") - text.count("\r\n") + 1


def _restored(grid: pd.DataFrame) -> pd.DataFrame:
    """`restore_cell` applied to every cell, keeping the object dtype (map would not)."""
    restore = np.frompyfunc(restore_cell, 1, 1)
    return pd.DataFrame(
        {column: restore(grid[column].to_numpy()) for column in grid.columns},
        index=grid.index,
        dtype=object,
    )


def _csv_grid_fast(text: str, delimiter: str) -> pd.DataFrame:
    """Parse with pandas' C parser; it fails on rows longer than the first one."""
    # The parser reads UTF-8 bytes: given them at once, it does not copy and encode the text piece by piece.
    return pd.read_csv(
        io.BytesIO(text.encode("utf-8")),
        encoding="utf-8",
        sep=delimiter,
        header=None,
        dtype=object,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
        engine="c",
        low_memory=False,
    )


def _csv_grid_ragged(text: str, delimiter: str, source: str, limits: ReadLimits) -> pd.DataFrame:
    """Parse with the csv module, keeping every cell of rows of any length."""
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            _check_width(len(row), source, limits)
            rows.append(row)
    except csv.Error as exc:
        raise UnreadableFileError(
            f"Le fichier « {source} » ne peut pas être lu comme un tableau CSV (ligne "
            f"{len(rows) + 1}). " + _RESAVE_ADVICE
        ) from exc
    width = max(map(len, rows), default=0)
    _check_cells(len(rows), width, source, limits)
    return pd.DataFrame([row + [""] * (width - len(row)) for row in rows], dtype=object)


def _unclosed_quote_error(source: str, pandas_message: str) -> UnreadableFileError:
    # pandas counts records from 0: record n is spreadsheet row n + 1.
    match = _PANDAS_ROW.search(pandas_message)
    where = f" à la ligne {int(match.group(1)) + 1}" if match else ""
    return UnreadableFileError(
        f"Le fichier « {source} » contient un guillemet (\") ouvert{where} qui n'est jamais "
        "refermé : la suite du fichier ne peut pas être découpée en cellules. Corrigez cette "
        "cellule dans votre tableur, puis enregistrez le fichier au format « CSV UTF-8 »."
    )


# --- XLSX ---------------------------------------------------------------------


def _xlsx_grid(data: bytes, source: str, limits: ReadLimits) -> pd.DataFrame:
    """All rows of the first worksheet as text, padded to the same width, numbered from 1."""
    if not DEFUSEDXML:
        # openpyxl parses with defusedxml (no XML entities, so no "billion laughs" nor
        # external entity) unless OPENPYXL_DEFUSEDXML says otherwise.
        raise ConfigurationError(
            f"Le classeur « {source} » ne peut pas être lu : la protection contre les fichiers XML "
            "malveillants (defusedxml) est désactivée. Retirez la variable d'environnement "
            "OPENPYXL_DEFUSEDXML, ou donnez-lui la valeur True."
        )
    _check_archive(data, source, limits)
    try:
        with warnings.catch_warnings():
            # openpyxl warns (in English) about workbook features it drops, such as
            # data validation or conditional formatting: irrelevant to the values.
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            workbook = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False
            )
            try:
                rows = _worksheet_rows(workbook, source, limits)
            finally:
                workbook.close()
    except LoaderError:
        raise
    except Exception as exc:
        # A damaged workbook makes openpyxl raise all kinds of exceptions (KeyError,
        # ValueError, XML parse errors...): each one means "unreadable workbook".
        raise _damaged_workbook_error(source) from exc
    width = max(map(len, rows), default=0)
    grid = pd.DataFrame([row + [""] * (width - len(row)) for row in rows], dtype=object)
    grid.index = pd.RangeIndex(1, len(grid) + 1)
    return grid


def _damaged_workbook_error(source: str) -> UnreadableFileError:
    return UnreadableFileError(
        f"Le fichier « {source} » n'est pas un classeur Excel (.xlsx) valide : il est "
        "endommagé, ou ce n'est pas vraiment un fichier .xlsx. " + _RESAVE_ADVICE
    )


def _check_archive(data: bytes, source: str, limits: ReadLimits) -> None:
    """Refuse a workbook whose archive is damaged or would inflate beyond the limits."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except _ZIP_ERRORS as exc:
        raise _damaged_workbook_error(source) from exc
    uncompressed = sum(member.file_size for member in members)
    compressed = sum(member.compress_size for member in members)
    if len(members) > limits.xlsx_max_entries:
        reason = f"{len(members)} fichiers internes, pour {limits.xlsx_max_entries} au plus"
    elif uncompressed > limits.xlsx_max_uncompressed_bytes:
        reason = (
            f"{_megabytes(uncompressed)} une fois décompressé, pour "
            f"{_megabytes(limits.xlsx_max_uncompressed_bytes)} au plus"
        )
    elif uncompressed > limits.xlsx_max_compression_ratio * max(compressed, 1):
        reason = "taux de compression anormalement élevé"
    else:
        return
    raise FileTooLargeError(
        f"Le fichier « {source} » est une archive XLSX anormale ou trop volumineuse ({reason}). "
        "Ouvrez-le dans votre tableur, supprimez les feuilles, lignes ou colonnes inutiles et "
        "enregistrez-le de nouveau, ou exportez-le au format « CSV UTF-8 »."
    )


def _worksheet_rows(workbook: openpyxl.Workbook, source: str, limits: ReadLimits) -> list[list[str]]:
    """Rows of the active worksheet (else the first one) as text, trailing empty cells cut."""
    worksheets = workbook.worksheets
    if not worksheets:
        raise NotATableError(f"Le classeur « {source} » ne contient aucune feuille de calcul.")
    sheet = workbook.active if workbook.active in worksheets else worksheets[0]
    # The size recorded in the file may be wrong (some tools write "A1"): read all cells.
    sheet.reset_dimensions()
    rows: list[list[str]] = []
    width = 0
    for values in sheet.iter_rows(values_only=True):
        cells = [restore_cell(cell_text(value)) for value in values]
        while cells and not cells[-1]:
            cells.pop()
        _check_width(len(cells), source, limits)
        rows.append(cells)
        width = max(width, len(cells))
        # Empty rows and cells cost nothing in the archive, but are padded in memory.
        _check_cells(len(rows), width, source, limits)
    return rows


# --- JSON ---------------------------------------------------------------------


def _json_table(data: bytes, source: str, limits: ReadLimits) -> tuple[list[str], pd.DataFrame]:
    """Header (union of the keys) and rows (numbered from 2) of a JSON list of objects."""
    text, _ = _decode(data, source)
    records = [_flatten(record) for record in _json_records(_parse_json(text, source), source)]
    keys = list(dict.fromkeys(key for record in records for key in record))
    _check_width(len(keys), source, limits)
    _check_cells(len(records), len(keys), source, limits)
    body = pd.DataFrame(
        [[cell_text(record.get(key)) for key in keys] for record in records],
        index=pd.RangeIndex(2, len(records) + 2),
        columns=range(len(keys)),
        dtype=object,
    )
    # Only escapes can put these characters in decoded text: look for them only then.
    if _SUSPECT_JSON_ESCAPE.search(text):
        _check_storable(keys, body, source)
    return keys, body


def _parse_json(text: str, source: str) -> object:
    """The JSON document, refused if invalid or nested beyond `_MAX_JSON_DEPTH` levels."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFileError(
            f"Le fichier « {source} » n'est pas un JSON valide : erreur ligne {exc.lineno}, "
            f"colonne {exc.colno}. Exportez-le de nouveau depuis l'outil d'origine."
        ) from exc
    except (ValueError, RecursionError) as exc:
        # Integers of thousands of digits, or thousands of nested levels.
        raise _unusual_json_error(source) from exc
    if _too_deep(document):
        # Flattening and converting the cells recurse once per level.
        raise _unusual_json_error(source)
    return document


def _unusual_json_error(source: str) -> UnreadableFileError:
    return UnreadableFileError(
        f"Le fichier « {source} » contient un JSON hors normes (nombre trop long ou "
        "imbrication trop profonde). Exportez-le de nouveau depuis l'outil d'origine."
    )


def _too_deep(document: object) -> bool:
    """True if lists and objects nest more than `_MAX_JSON_DEPTH` levels deep."""
    level = [document]
    for _ in range(_MAX_JSON_DEPTH + 1):
        containers = [node for node in level if isinstance(node, (dict, list))]
        if not containers:
            return False
        level = [child for node in containers for child in (node.values() if isinstance(node, dict) else node)]
    return True


def _check_storable(keys: list[str], body: pd.DataFrame, source: str) -> None:
    """Refuse NUL characters and lone surrogates, which no file nor database can store."""
    if _UNSTORABLE.search("".join([*keys, *body.to_numpy().ravel().tolist()])):
        raise UnreadableFileError(
            f"Le fichier « {source} » contient un caractère nul (\\u0000) ou une moitié de "
            "caractère Unicode (\\uD800 à \\uDFFF, seule), que l'outil ne peut pas enregistrer. "
            "Exportez-le de nouveau depuis l'outil d'origine."
        )


def _json_records(document: object, source: str) -> list[dict]:
    """The objects of a JSON list, unwrapping API envelopes and Grist records."""
    if isinstance(document, dict):
        document = _unwrap(document)
    if not _is_object_list(document):
        raise NotATableError(
            f"Le fichier « {source} » est bien du JSON, mais ne contient pas une liste "
            'd\'objets (une ligne par objet, par exemple [{"nom": ..., "commune": ...}, ...]). '
            "Exportez de nouveau les données sous forme de tableau."
        )
    if document and all(_is_grist_record(record) for record in document):
        return [{"id": record["id"], **record["fields"]} for record in document]
    return document


def _flatten(record: dict, prefix: str = "") -> dict:
    """Nested objects become dotted columns: ``{"adresse": {"commune": …}}`` → ``adresse.commune``."""
    flat: dict = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = None if value == {} else value
    return flat


def _unwrap(envelope: dict) -> object:
    """The only (non-empty) list of objects in an API envelope, else the envelope itself."""
    lists = [value for value in envelope.values() if _is_object_list(value)]
    for candidates in ([value for value in lists if value], lists):
        if len(candidates) == 1:
            return candidates[0]
    return envelope


def _is_object_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _is_grist_record(record: dict) -> bool:
    # Grist's API returns {"records": [{"id": 1, "fields": {...}}, ...]}.
    return set(record) == {"id", "fields"} and isinstance(record["fields"], dict)
