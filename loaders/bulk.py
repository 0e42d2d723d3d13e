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
    columns = [stored_values(frame[name], table.c[name].type) for name in names]
    if conn.dialect.name == "postgresql":
        _copy(conn, table, names, columns, on_conflict)
    else:
        _executemany(conn, table, names, columns, on_conflict)


def stored_values(series: pd.Series, column_type: sa.types.TypeEngine) -> list:
    """The values of one column as the store keeps them, ``None`` for a missing value.

    Dates and times are written as the text SQLAlchemy stores in SQLite (``2026-12-03``,
    ``2026-12-03 09:15:00.000000``), which PostgreSQL also reads as input.
    """
    if isinstance(column_type, sa.DateTime):
        stamps = pd.to_datetime(series).to_numpy(dtype="datetime64[us]")
        texts = np.datetime_as_string(stamps, unit="us").tolist()
        return [None if text == "NaT" else text.replace("T", " ") for text in texts]
    if isinstance(column_type, sa.Date):
        return [value.isoformat() if isinstance(value, dt.date) else None for value in series.tolist()]
    return series.to_numpy(dtype=object, na_value=None).tolist()


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


def _copy(conn: Connection, table: sa.Table, names: Sequence[str], columns: Sequence[list],
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
            for row in zip(*columns):
                copy.write_row(row)
    except psycopg.Error as error:
        # Raised as SQLAlchemy raises the driver's errors everywhere else (IntegrityError…).
        raise sa.exc.DBAPIError.instance(command.as_string(driver), None, error, psycopg.Error) from error
    if on_conflict is not None:
        staged = sa.table(target, *(sa.column(name) for name in names))
        conn.execute(on_conflict(dialect_insert(conn, table).from_select(names, sa.select(*staged.c))))
