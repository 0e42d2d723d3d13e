"""CSV files: the delimiter, then every record as text cells (pandas' C parser, else the csv module)."""

from __future__ import annotations

import csv
import io
import itertools
import re

import numpy as np
import pandas as pd

from loaders._errors import UnreadableFileError
from loaders.read.common import RESAVE_ADVICE, check_cells, check_width
from loaders.safe_files import restore_cell
from loaders.settings import ReadLimits

# Candidate delimiters, in order of preference when they fit equally well:
# French spreadsheets export ";" by default.
_DELIMITERS = (";", ",", "\t", "|")
_SAMPLE_CHARS = 64 * 1024
_SAMPLE_RECORDS = 50

# A cell needs `restore_cell` only if an apostrophe precedes a formula trigger:
# when the whole text has no such pair, restoring can be skipped.
_RESTORABLE = re.compile(r"'[=+\-@\t\r\n\x00]")
_PANDAS_ROW = re.compile(r"row (\d+)")


def sniff_delimiter(text: str) -> str:
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


def csv_grid(text: str, delimiter: str, source: str, limits: ReadLimits) -> pd.DataFrame:
    """All records of a CSV text, padded to the same width, numbered from 1."""
    # pandas sizes the table on the first record, padding every shorter line to
    # it: check both before parsing.
    sample = io.StringIO(text[:_SAMPLE_CHARS], newline="")
    width = len(next(csv.reader(sample, delimiter=delimiter), []))
    check_width(width, source, limits)
    check_cells(_line_count(text), width, source, limits)
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
            check_width(len(row), source, limits)
            rows.append(row)
    except csv.Error as exc:
        raise UnreadableFileError(
            f"Le fichier « {source} » ne peut pas être lu comme un tableau CSV (ligne "
            f"{len(rows) + 1}). " + RESAVE_ADVICE
        ) from exc
    width = max(map(len, rows), default=0)
    check_cells(len(rows), width, source, limits)
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
