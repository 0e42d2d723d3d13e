"""What became of each source row of an import: accepted, merged into a duplicate, or rejected.

One home for the per-row outcome, read by the store (``row_outcomes``) and by the « Importer »
page's report: a row is *accepted* when it is the latest submission of at least one record,
*merged* when every record holding it was won by another row, *rejected* with the loader's French
reason otherwise.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


class RowOutcome(enum.StrEnum):
    """The outcome of one source row, as the store records it (``row_outcomes.outcome``)."""

    ACCEPTED = "accepted"
    MERGED = "merged"
    REJECTED = "rejected"


def source_rows(records: pd.DataFrame) -> pd.DataFrame:
    """Every source row of each record: ``record`` (its position in ``records``), ``source_file``, ``source_row``.

    Reads the ``source_file`` and ``source_rows`` that :mod:`loaders.pipeline` writes on each record:
    ``2|7`` within one file, ``a.csv:2|b.csv:7`` across files.
    """
    lists = pc.split_pattern(pa.array(records["source_rows"], type=pa.large_string()), "|")
    record = pc.list_parent_indices(lists).to_numpy()
    # The file name is everything before the last colon, when there is one (names may hold colons,
    # even line breaks: hence the s flag).
    parts = pc.extract_regex(pc.list_flatten(lists), r"(?s)^(?:(?P<file>.*):)?(?P<row>[0-9]+)$")
    own_file = pa.array(records["source_file"], type=pa.large_string()).take(record)
    named_file = parts.field("file")
    return pd.DataFrame({
        "record": record,
        "source_file": pc.if_else(pc.equal(named_file, ""), own_file, named_file).to_numpy(zero_copy_only=False),
        "source_row": parts.field("row").cast(pa.int64()).to_numpy(),
    })


def kept_rows(records: pd.DataFrame) -> pd.DataFrame:
    """Rows kept as a record's latest submission (accepted) or merged into one, once each.

    Returns
    -------
    pandas.DataFrame
        ``record``, ``source_file``, ``source_row`` and ``outcome`` (a `RowOutcome`), in the order
        of first appearance. ``record`` is the position of a record the row won when it is
        accepted, else of the first record that merged it.
    """
    sources = source_rows(records)
    winners = pd.MultiIndex.from_arrays([records["winning_file"], records["winning_row"].astype(int)])
    where = pd.MultiIndex.from_frame(sources[["source_file", "source_row"]])
    first = ~where.duplicated(keep="first")
    accepted = where[first].isin(winners)
    record_won = pd.Series(np.arange(len(records)), index=winners)
    record_won = record_won[~record_won.index.duplicated(keep="first")]
    kept = sources[first].reset_index(drop=True)
    won = record_won.reindex(where[first][accepted]).to_numpy()
    record = kept["record"].to_numpy().copy()
    record[accepted] = won
    return kept.assign(record=record, outcome=np.where(accepted, RowOutcome.ACCEPTED.value, RowOutcome.MERGED.value))


def stored_outcomes(rejects: pd.DataFrame, places: pd.DataFrame, kept: pd.DataFrame,
                    batch_of: Mapping[str, int]) -> pd.DataFrame:
    """The ``row_outcomes`` rows of the imported files: rejected (with its reason), accepted or merged.

    Parameters
    ----------
    rejects, places
        The import's rejected rows and, aligned with them, what each said about its place.
    kept
        :func:`kept_rows` of its records.
    batch_of
        The batch of each imported file: the rows of other files are left out.
    """
    rejected = pd.DataFrame({
        "source_file": rejects["source_file"], "source_row": rejects["source_row"].astype(int),
        "outcome": RowOutcome.REJECTED.value, "reason": rejects["reason"],
        "location_key": places["location_key"].replace("", None).to_numpy(),
        "location_text": places["location_text"].replace("", None).to_numpy(),
    })
    outcomes = pd.concat([rejected, kept.drop(columns="record")], ignore_index=True)
    outcomes = outcomes[outcomes["source_file"].isin(list(batch_of))]
    return outcomes.assign(batch_id=outcomes["source_file"].map(batch_of)).drop(columns="source_file")
