"""Write tables that spreadsheets open safely, and read their cells back.

A cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (or a tab, a line
break or NUL) may be run as a formula when the file is opened in a spreadsheet
("CSV injection"). Every text cell written by this module is therefore
*neutralised*: such a cell gets a leading apostrophe, as a spreadsheet user
would type it. A plain number (``-0.5``, ``-12``, ``1e-3``, French ``-0,5``) is
no formula and is written as is, so that spreadsheets, QGIS and pandas read a
column of negative coordinates as numbers. The apostrophe is also added when the text already starts with
apostrophes followed by a trigger, so that `restore_cell` can always undo
`neutralise_cell` exactly: reading the project's own files gives back the
original values.

Both outputs hold the same text for the same table. Characters that XML cannot
hold (control characters other than tab and line breaks, U+FFFE, U+FFFF) and
lone surrogates (which no encoding can write) are removed; line breaks inside
cells are written as LF, the in-cell line break of spreadsheets (XML would turn
any CR into LF anyway). A workbook holds numbers as numbers, with 16 significant
digits (as openpyxl writes them; spreadsheets show 15): a float that needs 17,
such as ``0.1 + 0.2``, reads back rounded to 16 (``0.3``).
"""

from __future__ import annotations

import csv
import io
import json
import math
import numbers
import os
import re
from datetime import date, datetime, time

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

_FIRST_CHARACTERS = frozenset("'=+-@\t\r\n\x00")
_NEEDS_APOSTROPHE = re.compile(r"'*[=+\-@\t\r\n\x00]")
_HAS_APOSTROPHE = re.compile(r"'+[=+\-@\t\r\n\x00]")
# A decimal number with a point or a comma, maybe an exponent; "+" is left out: "+33…" is a phone number.
_PLAIN_NUMBER = re.compile(r"-?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][-+]?[0-9]+)?")
_LINE_BREAK = re.compile(r"\r\n?")
_UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# Excel stores numbers as IEEE doubles: larger integers would lose digits
# (identifiers, SIRET-like codes), so they are written as text instead.
_EXACT_INTEGER_LIMIT = 2**53

# Delimiters that `loaders.read` may detect besides ";". A header holding one of
# them is written with every cell quoted: read with that delimiter, the quoted
# cells would be followed by ";", which the reader takes as the wrong choice.
_OTHER_DELIMITERS = re.compile("[,\t|]")

_MIN_COLUMN_WIDTH = 8
_MAX_COLUMN_WIDTH = 60
_WIDTH_SAMPLE_ROWS = 200


def neutralise_cell(value: str) -> str:
    """Make a text cell safe to open in a spreadsheet.

    Parameters
    ----------
    value : str
        Cell text.

    Returns
    -------
    str
        ``value`` with one more leading apostrophe if it starts with a formula
        trigger (``= + - @``, tab, CR, LF, NUL), possibly after apostrophes,
        and is not a plain number; ``value`` unchanged otherwise.
    """
    # The cheap test first: most cells start with none of these characters.
    if value[:1] in _FIRST_CHARACTERS and _NEEDS_APOSTROPHE.match(value) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def restore_cell(value: str) -> str:
    """Undo `neutralise_cell`.

    Parameters
    ----------
    value : str
        Cell text read from a file written by this module (or any other file:
        text that `neutralise_cell` cannot produce is returned unchanged).

    Returns
    -------
    str
        ``value`` without its first apostrophe if it is apostrophes followed by
        a formula trigger; ``value`` unchanged otherwise.
    """
    # The cheap test first: most cells do not start with an apostrophe.
    return value[1:] if value.startswith("'") and _HAS_APOSTROPHE.match(value) else value


def cell_text(value: object) -> str:
    """Text of a cell value, as the project writes and reads it.

    Parameters
    ----------
    value : object
        A value from a data frame, a spreadsheet cell or a JSON document.

    Returns
    -------
    str
        ``""`` for missing values (None, NaN, NA, NaT); ``"oui"``/``"non"`` for
        booleans; integers and integral floats without decimals (``1.0`` gives
        ``"1"``); other floats in their shortest exact form (``repr``);
        datetimes as ``YYYY-MM-DD HH:MM:SS`` (``YYYY-MM-DD`` at midnight), dates
        as ``YYYY-MM-DD``, times as ``HH:MM:SS``; lists joined with ``", "``;
        dictionaries as JSON; anything else through ``str``.
    """
    if isinstance(value, str):
        return value
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "oui" if value else "non"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return _float_text(float(value))
    if isinstance(value, (datetime, date, time)):
        return _temporal_text(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(cell_text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _float_text(number: float) -> str:
    if math.isnan(number):
        return ""
    return str(int(number)) if number.is_integer() else repr(number)


def _temporal_text(value: datetime | date | time) -> str:
    # datetime is a subclass of date: test it first.
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return value.strftime("%H:%M:%S")


def _safe_text(value: object) -> str:
    """Cell text as written to files: only characters files can hold, neutralised."""
    text = cell_text(value)
    # Printable text (the usual case) holds no line break nor unwritable character.
    if not text.isprintable():
        text = _LINE_BREAK.sub("\n", _UNWRITABLE.sub("", text))
    return neutralise_cell(text)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """Encode a table as a CSV file that spreadsheets open safely.

    Parameters
    ----------
    frame : pandas.DataFrame
        Table to write; its index is not written.

    Returns
    -------
    bytes
        UTF-8 with a byte order mark (so that Excel detects the encoding),
        ``;`` separators (what French spreadsheets expect), CRLF line endings;
        a header line then one line per row, every cell neutralised. Cells are
        quoted when needed, and always in the header if it holds a comma, a tab
        or a ``|``, and everywhere in a table of one column: whatever the cells
        hold, `loaders.read` then reads back ``;``-separated cells.
    """
    buffer = io.StringIO()
    header = [_safe_text(name) for name in frame.columns]
    single_column = len(header) == 1
    quote_header = single_column or any(_OTHER_DELIMITERS.search(name) for name in header)
    csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=_quoting(quote_header)).writerow(header)
    # Column by column (positions, since names may repeat), then transposed.
    columns = [[_safe_text(value) for value in frame.iloc[:, i]] for i in range(frame.shape[1])]
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=_quoting(single_column))
    writer.writerows(zip(*columns, strict=True))
    return buffer.getvalue().encode("utf-8-sig")


def _quoting(every_cell: bool) -> int:
    return csv.QUOTE_ALL if every_cell else csv.QUOTE_MINIMAL


def xlsx_bytes(frame: pd.DataFrame, sheet_name: str = "Données") -> bytes:
    """Encode a table as an XLSX workbook that holds no formula.

    Parameters
    ----------
    frame : pandas.DataFrame
        Table to write; its index is not written.
    sheet_name : str, default "Données"
        Name of the only worksheet.

    Returns
    -------
    bytes
        An XLSX workbook: a bold, frozen header row then one row per record.
        Finite integers and floats are numeric cells (16 significant digits);
        everything else is a text cell, neutralised, so that no cell is ever a
        formula.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_name)
    sheet.freeze_panes = "A2"
    for position, name in enumerate(frame.columns, start=1):
        width = _column_width(name, frame.iloc[:_WIDTH_SAMPLE_ROWS, position - 1])
        sheet.column_dimensions[get_column_letter(position)].width = width
    bold = Font(bold=True)
    header = [WriteOnlyCell(sheet, value=_safe_text(name)) for name in frame.columns]
    for cell in header:
        cell.font = bold
    sheet.append(header)
    for row in frame.itertuples(index=False, name=None):
        sheet.append([_xlsx_value(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value: object) -> int | float | str | None:
    """Value of a worksheet cell: a number, a neutralised text, or None (empty)."""
    if isinstance(value, (bool, np.bool_)):
        return _safe_text(value)
    if isinstance(value, numbers.Integral) and abs(int(value)) < _EXACT_INTEGER_LIMIT:
        return int(value)
    is_float = isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral)
    if is_float and math.isfinite(float(value)):
        return float(value)
    return _safe_text(value) or None


def _column_width(name: object, values: pd.Series) -> float:
    longest = max((len(cell_text(value)) for value in values), default=0)
    longest = max(longest, len(cell_text(name)))
    return float(min(max(longest + 2, _MIN_COLUMN_WIDTH), _MAX_COLUMN_WIDTH))


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a table as a safe CSV file (see `csv_bytes`).

    Parameters
    ----------
    frame : pandas.DataFrame
        Table to write.
    path : str or os.PathLike
        Destination file, replaced if it exists.
    """
    with open(path, "wb") as handle:
        handle.write(csv_bytes(frame))


def write_xlsx(frame: pd.DataFrame, path: str | os.PathLike[str], sheet_name: str = "Données") -> None:
    """Write a table as a safe XLSX workbook (see `xlsx_bytes`).

    Parameters
    ----------
    frame : pandas.DataFrame
        Table to write.
    path : str or os.PathLike
        Destination file, replaced if it exists.
    sheet_name : str, default "Données"
        Name of the only worksheet.
    """
    with open(path, "wb") as handle:
        handle.write(xlsx_bytes(frame, sheet_name))
