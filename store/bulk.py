"""Bulk writes of data frames into the store's tables, the fast way of each engine.

An import writes hundreds of thousands of rows. Handed to SQLAlchemy as one dictionary per row,
most of the time goes into building the dictionaries and processing every parameter one by one
(and psycopg sends one statement per row). Here the values are converted column by column into
what the engine stores, then:

* on SQLite, the rows go as tuples to the driver's ``executemany``, sorted by primary key so
  that the B-tree inserts stay local;
* on PostgreSQL, they are sent with ``COPY``: into the table itself for a plain insert, or into
  a temporary staging table followed by one ``INSERT … SELECT … ON CONFLICT`` for an upsert.

The statement itself (including its ``ON CONFLICT`` clause) is written once, in SQLAlchemy Core,
by the caller: the same upsert runs on both engines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

# Adds the ``ON CONFLICT`` clause to the engine's ``INSERT`` (SQLite's or PostgreSQL's construct).
OnConflict = Callable[[sa.Insert], sa.Insert]


def insert_frame(conn: Connection, table: sa.Table, frame: pd.DataFrame, *,
                 on_conflict: OnConflict | None = None) -> None:
    """Insert every row of ``frame`` (one column per column of ``table`` to write) into ``table``.

    Parameters
    ----------
    conn
        A connection inside the caller's transaction: nothing is committed here.
    table
        The table to write; ``frame``'s column names are names of its columns.
    frame
        The rows. Missing values (``None``, ``NaN``, ``NaT``, ``pd.NA``) are written as ``NULL``.
    on_conflict
        Turns the insert into an upsert (see :data:`OnConflict`); without it, a row whose key is
        already stored raises ``IntegrityError``.
    """
    if frame.empty:
        return
    keys = [column.name for column in table.primary_key if column.name in frame.columns]
    if keys:
        frame = frame.take(_key_order(frame, keys))
    names = list(frame.columns)
    if conn.dialect.name == "postgresql":
        _copy(conn, table, names, copy_text(frame, table), on_conflict)
    else:
        _executemany(conn, table, names, [stored_values(frame[name], table.c[name].type) for name in names],
                     on_conflict)


def stored_values(series: pd.Series, column_type: sa.types.TypeEngine) -> list:
    """The values of one column as the store keeps them, ``None`` for a missing value.

    Dates and times are written as the text SQLAlchemy stores in SQLite (``2026-12-03``,
    ``2026-12-03 09:15:00.000000``), which PostgreSQL also reads as input.
    """
    if isinstance(column_type, sa.DateTime):
        return _datetime_texts(series).to_numpy(zero_copy_only=False).tolist()
    if isinstance(column_type, sa.Date):
        return _per_distinct_value(series, _date_text)
    return series.to_numpy(dtype=object, na_value=None).tolist()


def _datetime_texts(series: pd.Series) -> pa.Array:
    """Date-times as text to the microsecond (``2026-12-03 09:15:00.000000``), null where missing."""
    stamps = pd.to_datetime(series).to_numpy(dtype="datetime64[us]")
    return pa.array(stamps, from_pandas=True).cast(pa.large_string())


def copy_text(frame: pd.DataFrame, table: sa.Table) -> str:
    """The rows of ``frame`` in the text format of PostgreSQL's ``COPY``, built column by column by Arrow.

    One line per row, its values separated by tabs, each value as PostgreSQL reads it (the text of
    :func:`stored_values`; booleans ``true``/``false``; numbers in their shortest exact form), with
    backslash, tab, line feed and carriage return escaped and ``\\N`` for ``NULL``.
    """
    texts = [_copy_values(frame[name], table.c[name].type) for name in frame.columns]
    lines = pc.binary_join_element_wise(*texts, _large("\t"))
    data = pc.binary_join_element_wise(lines, _large(""), _large("\n"))  # each line followed by a line feed
    if isinstance(data, pa.ChunkedArray):  # from a pandas column made of several Arrow chunks
        data = data.combine_chunks()
    offsets = np.frombuffer(data.buffers()[1], dtype=np.int64)[data.offset:data.offset + len(data) + 1]
    # Text, not bytes: the driver encodes it in the connection's encoding.
    return memoryview(data.buffers()[2])[offsets[0]:offsets[-1]].tobytes().decode()


# COPY's escapes, the backslash first so that the others' backslashes stay single.
_COPY_ESCAPES: tuple[tuple[str, str], ...] = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))


def _copy_values(series: pd.Series, column_type: sa.types.TypeEngine) -> pa.Array:
    """One column's values as COPY's text (``large_string``), escaped, ``\\N`` for a missing value."""
    if isinstance(column_type, sa.DateTime):
        values = _datetime_texts(series)
    elif isinstance(column_type, sa.Date) or series.dtype == object:
        # Python objects (and dates) are converted as the SQLite path stores them, then typed by Arrow.
        values = pa.array(stored_values(series, column_type), from_pandas=True)
    else:
        values = pa.array(series, from_pandas=True)
    texts = values.cast(pa.large_string())
    for character, escaped in _COPY_ESCAPES:
        texts = pc.replace_substring(texts, character, escaped)
    return texts.fill_null(_large("\\N"))


def _large(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def _key_order(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """Row positions sorted by ``keys``; sorting the key columns alone costs less than sorting the frame."""
    return frame.reset_index(drop=True)[keys].sort_values(keys, kind="stable").index.to_numpy()


def dialect_insert(conn: Connection, table: sa.Table) -> sa.Insert:
    """The engine's own ``INSERT`` construct, the one that has ``on_conflict_do_update``."""
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def _executemany(conn: Connection, table: sa.Table, names: Sequence[str], columns: Sequence[list],
                 on_conflict: OnConflict | None) -> None:
    statement = dialect_insert(conn, table).values({name: sa.bindparam(name) for name in names})
    if on_conflict is not None:
        statement = on_conflict(statement)
    compiled = statement.compile(dialect=conn.dialect)
    # Every parameter must be a column of the frame: a literal in the ON CONFLICT clause would
    # shift the tuples (write sa.false(), sa.null()… instead of Python values there).
    order = [names.index(name) for name in compiled.positiontup]
    conn.exec_driver_sql(compiled.string, list(zip(*(columns[i] for i in order))))


def _copy(conn: Connection, table: sa.Table, names: Sequence[str], text: str,
          on_conflict: OnConflict | None) -> None:
    target = table.name if on_conflict is None else f"staging_{table.name}"
    if on_conflict is not None:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {target}")
        conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {target} (LIKE {table.name} INCLUDING DEFAULTS) "
                             "ON COMMIT DROP")
    command = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(target),
                                                        sql.SQL(", ").join(map(sql.Identifier, names)))
    driver = conn.connection.driver_connection
    try:
        with driver.cursor() as cursor, cursor.copy(command) as copy:
            copy.write(text)
    except psycopg.Error as error:
        # Raised as SQLAlchemy raises the driver's errors everywhere else (IntegrityError…).
        raise sa.exc.DBAPIError.instance(command.as_string(driver), None, error, psycopg.Error) from error
    if on_conflict is not None:
        staged = sa.table(target, *(sa.column(name) for name in names))
        conn.execute(on_conflict(dialect_insert(conn, table).from_select(names, sa.select(*staged.c))))


def _per_distinct_value(series: pd.Series, convert: Callable[[object], object]) -> list:
    """``convert`` applied once per distinct value of ``series`` (a column repeats its dates), ``None`` where missing."""
    codes, distinct = pd.factorize(series, use_na_sentinel=True)
    converted = np.array([*map(convert, distinct.tolist()), None], dtype=object)
    return converted[codes].tolist()  # a missing value's code is -1: the trailing None


def _date_text(value: object) -> str | None:
    return value.isoformat() if isinstance(value, dt.date) else None
