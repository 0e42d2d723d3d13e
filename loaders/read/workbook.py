"""Excel workbooks (.xlsx, .xlsm): the first worksheet as text cells, after checking the archive."""

from __future__ import annotations

import io
import warnings
import zipfile

import openpyxl
import pandas as pd
from openpyxl import DEFUSEDXML

from loaders._errors import ConfigurationError, FileTooLargeError, LoaderError, NotATableError, UnreadableFileError
from loaders.read.common import RESAVE_ADVICE, check_cells, check_width, megabytes
from loaders.safe_files import cell_text, restore_cell
from loaders.settings import ReadLimits

# What zipfile raises on a damaged archive (NotImplementedError: unknown zip version).
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, OSError, EOFError)


def xlsx_grid(data: bytes, source: str, limits: ReadLimits) -> pd.DataFrame:
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
        "endommagé, ou ce n'est pas vraiment un fichier .xlsx. " + RESAVE_ADVICE
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
            f"{megabytes(uncompressed)} une fois décompressé, pour "
            f"{megabytes(limits.xlsx_max_uncompressed_bytes)} au plus"
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
        check_width(len(cells), source, limits)
        rows.append(cells)
        width = max(width, len(cells))
        # Empty rows and cells cost nothing in the archive, but are padded in memory.
        check_cells(len(rows), width, source, limits)
    return rows
