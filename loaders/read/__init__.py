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
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path, PurePath

import pandas as pd

from loaders._errors import NotATableError, UnreadableFileError
from loaders.read.common import RESAVE_ADVICE, assemble, check_size, decode, split_header
from loaders.read.delimited import csv_grid, sniff_delimiter
from loaders.read.json_document import json_table
from loaders.read.workbook import xlsx_grid
from loaders.settings import ReadLimits, current_limits

_CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
_XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
_JSON_SUFFIXES = frozenset({".json"})
_UNSUPPORTED_FORMATS = {
    ".xls": "Excel 97-2003 (.xls)",
    ".ods": "OpenDocument (.ods)",
}
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
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
        check_size(path.stat().st_size, path.name, limits)
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
        The bytes are not text in a known encoding (see :func:`loaders.read.common.decode`), a valid
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
    check_size(len(data), source, limits)
    content = data.removeprefix(codecs.BOM_UTF8)
    if not content or content.isspace():  # as `not content.strip()`, without copying the file
        raise NotATableError(f"Le fichier « {source} » est vide.")
    kind = _detect_kind(data, source)
    encoding = delimiter = None
    if kind == "csv":
        text, encoding = decode(data, source)
        delimiter = sniff_delimiter(text)
        header, body = split_header(csv_grid(text, delimiter, source, limits), source)
    elif kind == "xlsx":
        header, body = split_header(xlsx_grid(data, source, limits), source)
    else:
        header, body = json_table(data, source, limits)
    frame, blank_rows = assemble(header, body, source)
    return RawTable(
        source_file=source,
        frame=frame,
        sha256=hashlib.sha256(data).hexdigest(),
        kind=kind,
        encoding=encoding,
        delimiter=delimiter,
        blank_rows=blank_rows,
    )


def _detect_kind(data: bytes, source: str) -> str:
    """Format of the file: by its extension, else by its content."""
    suffix = PurePath(source).suffix.lower()
    if suffix in _UNSUPPORTED_FORMATS or data.startswith(_OLE_SIGNATURE):
        label = _UNSUPPORTED_FORMATS.get(suffix, "Excel 97-2003 (.xls)")
        raise UnreadableFileError(
            f"Le fichier « {source} » est au format {label}, que l'outil ne sait pas lire. " + RESAVE_ADVICE
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
