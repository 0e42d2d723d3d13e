"""``rejets.csv``: the rejected rows of an import, one format for the « Importer » page and
``python -m carte import``.

The loader's columns come first, under French headers (`REJECT_HEADERS`: file, row, reason), then
every column of the row as written, so that a hub can correct the rows and import the file again.
The file is formula-safe (:func:`loaders.safe_files.csv_bytes`).
"""

from __future__ import annotations

import pandas as pd

from loaders.pipeline import REJECT_COLUMNS, ImportResult
from loaders.safe_files import csv_bytes

REJECTS_FILE = "rejets.csv"
# In the order of REJECT_COLUMNS (source_file, source_row, reason).
REJECT_HEADERS: tuple[str, ...] = ("Fichier d'origine", "Ligne d'origine", "Motif du rejet")


def rejects_table(result: ImportResult) -> pd.DataFrame:
    """The rejected rows of ``result`` with French headers, then each row's own columns.

    A re-imported ``rejets.csv`` already holds the loader's columns, from the previous attempt:
    the new ones are kept, the old ones dropped.
    """
    frame = result.rejects.set_axis([*REJECT_HEADERS, *result.rejects.columns[len(REJECT_COLUMNS):]], axis=1)
    return frame.loc[:, ~frame.columns.duplicated(keep="first")]


def rejects_csv(result: ImportResult) -> bytes:
    """The bytes of ``rejets.csv`` (UTF-8 with a byte order mark, « ; », formula-safe)."""
    return csv_bytes(rejects_table(result))
