"""Bulk writes (``store.bulk``) on both engines, checked against SQLAlchemy's own row-by-row insert.

The reference is the obviously-correct path: one dictionary of plain Python values per row,
handed to ``conn.execute(table.insert(), rows)``. The bulk path must leave exactly the same
stored values, missing values included, and upsert exactly as the same statement row by row.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import store
from store.access import FRANCE
from store.bulk import dialect_insert, insert_frame

metadata = sa.MetaData()
samples = sa.Table(
    "bulk_samples", metadata,
    sa.Column("key", sa.String, primary_key=True),
    sa.Column("text", sa.String),
    sa.Column("number", sa.Float),
    sa.Column("count", sa.Integer),
    sa.Column("flag", sa.Boolean, nullable=False),
    sa.Column("at", sa.DateTime),
    sa.Column("day", sa.Date),
)

FRAME = pd.DataFrame({
    "key": pd.array(["c", "a", "b", "d"], dtype="str"),
    "text": pd.array(["été ; « guillemets »\ttab\nligne", None, "\\ antislash", "=1+1"], dtype="str"),
    "number": [48.1173, np.nan, -1.5e-7, 0.0],
    "count": [3, 0, -2, 10**9],
    "flag": [True, False, True, False],
    "at": pd.to_datetime(["2026-12-03 09:15:00.123456", None, "1999-01-01 00:00:00", "2026-01-31 23:59:59"],
                         format="ISO8601"),
    "day": [dt.date(2026, 12, 3), None, dt.date(2000, 2, 29), None],
})


def plain_rows(frame: pd.DataFrame) -> list[dict]:
    """The frame as dictionaries of plain Python values, ``None`` where a value is missing."""
    rows = []
    for record in frame.astype(object).to_dict("records"):
        rows.append({name: None if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value))
                     else value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
                     for name, value in record.items()})
    return rows


def stored(conn: sa.Connection) -> list[tuple]:
    """What the engine holds, as its driver returns it (text for SQLite's dates, not parsed)."""
    return conn.exec_driver_sql("SELECT * FROM bulk_samples ORDER BY key").all()


@pytest.fixture()
def conn(engine):
    metadata.create_all(engine)
    with engine.begin() as connection:
        yield connection


def test_bulk_insert_stores_what_sqlalchemy_stores_row_by_row(conn):
    conn.execute(samples.insert(), plain_rows(FRAME))
    expected = stored(conn)
    conn.execute(samples.delete())
    insert_frame(conn, samples, FRAME)
    assert stored(conn) == expected
    read = conn.execute(sa.select(samples.c.text, samples.c.at, samples.c.day).order_by(samples.c.key)).all()
    assert [text for text, _, _ in read] == [None, "\\ antislash", "été ; « guillemets »\ttab\nligne", "=1+1"]
    assert read[0] == (None, None, None)
    assert read[2][1:] == (dt.datetime(2026, 12, 3, 9, 15, 0, 123456), dt.date(2026, 12, 3))


def test_bulk_insert_stores_repeated_and_missing_dates_as_sqlalchemy_does_row_by_row(conn):
    days = [dt.date(2026, 12, 3), None, dt.date(2026, 12, 3), np.nan, dt.date(2000, 2, 29), dt.date(2026, 12, 3)]
    frame = pd.DataFrame({"key": [f"k{index}" for index in range(len(days))], "flag": True,
                          "day": pd.Series(days, dtype=object)})
    conn.execute(samples.insert(), plain_rows(frame))
    expected = stored(conn)
    conn.execute(samples.delete())
    insert_frame(conn, samples, frame)
    assert stored(conn) == expected
    read = conn.execute(sa.select(samples.c.day).order_by(samples.c.key)).scalars().all()
    assert read == [days[0], None, days[0], None, days[4], days[0]]


def test_bulk_upsert_behaves_as_the_same_statement_row_by_row(conn):
    def keep_the_larger_count(statement):
        return statement.on_conflict_do_update(
            index_elements=["key"],
            set_={"text": statement.excluded.text, "count": statement.excluded["count"], "flag": sa.true()},
            where=statement.excluded["count"] > samples.c["count"],
        )

    incoming = FRAME.assign(count=[1, 5, -5, 10**9 + 1], text=["nouveau"] * 4, flag=False)
    conn.execute(samples.insert(), plain_rows(FRAME))
    conn.execute(keep_the_larger_count(dialect_insert(conn, samples)), plain_rows(incoming))
    expected = stored(conn)
    conn.execute(samples.delete())
    conn.execute(samples.insert(), plain_rows(FRAME))
    insert_frame(conn, samples, incoming, on_conflict=keep_the_larger_count)
    assert stored(conn) == expected
    counts = dict(conn.execute(sa.select(samples.c.key, samples.c["count"])).all())
    assert counts == {"a": 5, "b": -2, "c": 3, "d": 10**9 + 1}


def test_a_key_already_stored_fails_without_an_upsert(conn):
    insert_frame(conn, samples, FRAME)
    with pytest.raises(sa.exc.IntegrityError):
        insert_frame(conn, samples, FRAME.head(1))


def test_an_empty_frame_writes_nothing(conn):
    insert_frame(conn, samples, FRAME.head(0))
    assert stored(conn) == []


def test_save_import_writes_the_same_store_as_row_by_row_inserts(engine, gazetteer, tmp_path):
    """The import of a real hub export, compared table by table with SQLAlchemy's plain inserts."""
    from loaders.pipeline import LoadOptions, load_files

    path = tmp_path / "export.csv"
    path.write_text(
        "Horodateur;Adresse e-mail;Nom de votre structure;Code postal;Commune;Thématiques;Formé(e) ?;Consentement\n"
        "01/09/2026 10:00;a@x.fr;Médiathèque;35000;Rennes;Café IA, Parentalité numérique;Oui;Oui\n"
        "02/09/2026 11:00;a@x.fr;Médiathèque \"centre\";35000;Rennes;Café IA;Non;Non\n"
        "03/09/2026 12:00;b@x.fr;;00000;Nulle-Part;Café IA;Oui;Oui\n"
        "04/09/2026 13:00;c@x.fr;EPN;29200;Brest;Café IA;En cours;Oui\n"
        "03/09/2026 08:00;c@x.fr;EPN;29200;Brest;Café IA;Non;Oui\n",
        encoding="utf-8",
    )
    result = load_files([path], gazetteer, LoadOptions(theme="cafe-ia"))
    store.save_import(engine, result, is_demo=True, form="Bretagne")
    tables = (store.schema.animators, store.schema.places, store.schema.animator_places, store.schema.referencings, store.schema.consents,
              store.schema.moderation_events, store.schema.row_outcomes)
    with engine.begin() as conn:
        written = {table.name: raw_rows(conn, table) for table in tables}
        values = {table.name: [dict(row) for row in conn.execute(sa.select(table)).mappings()] for table in tables}
        for table in reversed(tables):
            conn.execute(table.delete())
        for table in tables:
            conn.execute(table.insert(), values[table.name])
        assert {table.name: raw_rows(conn, table) for table in tables} == written
    assert [len(written[name]) for name in ("animators", "referencings", "row_outcomes")] == [2, 3, 5]
    # « Médiathèque » and « Médiathèque "centre" » are two places of a@x.fr, EPN one of c@x.fr.
    assert [len(written[name]) for name in ("places", "animator_places")] == [3, 3]
    outcomes = {row["source_row"]: row["outcome"] for row in values["row_outcomes"]}
    assert outcomes == {2: "accepted", 3: "accepted", 4: "rejected", 5: "accepted", 6: "merged"}
    assert store.read_batches(engine, scope=FRANCE)["merged_rows"].tolist() == [1]


def raw_rows(conn: sa.Connection, table: sa.Table) -> list[tuple]:
    """The table's rows as the driver returns them, in primary-key order."""
    keys = ", ".join(column.name for column in table.primary_key)
    return conn.exec_driver_sql(f"SELECT * FROM {table.name} ORDER BY {keys}").all()
