"""The shortcuts of a large import (``store.save_import``), checked against the plain way.

On PostgreSQL a first import drops the foreign keys of the tables it fills and adds them again at
its end, so that the server checks every row at once: the keys must come back exactly as they were,
and a row breaking one must still fail the whole import. Its rows reach PostgreSQL as ``COPY`` text
built column by column (``store.bulk.copy_text``): hostile texts and doubles must be stored as
SQLAlchemy's row-by-row insert stores them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import store
from store.bulk import insert_frame


@pytest.fixture()
def postgres_engine(postgres_cluster) -> Iterator[sa.Engine]:
    """A connected, empty store on its own PostgreSQL database."""
    from postgres import fresh_database

    with fresh_database(postgres_cluster) as url:
        engine = store.connect(url)
        yield engine
        engine.dispose()


def foreign_keys(conn: sa.Connection) -> set[tuple[str, str, str]]:
    """(table, name, definition) of every foreign key of the store's tables, as PostgreSQL describes them."""
    return set(conn.execute(sa.text(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND connamespace = 'public'::regnamespace")).all())


def test_a_first_import_drops_the_foreign_keys_of_its_tables_and_restores_them_as_they_were(postgres_engine):
    with postgres_engine.begin() as conn:
        before = foreign_keys(conn)
        with store.imports._foreign_keys_checked_at_the_end(conn, first_import=True):
            during = foreign_keys(conn)
        after = foreign_keys(conn)
    imported = {table.name for table in store.imports.IMPORTED_TABLES}
    assert {table for table, _, _ in before} >= imported
    assert {table for table, _, _ in during} == {table for table, _, _ in before} - imported
    assert after == before


def test_a_later_import_keeps_the_foreign_keys_in_place(postgres_engine):
    with postgres_engine.begin() as conn:
        before = foreign_keys(conn)
        with store.imports._foreign_keys_checked_at_the_end(conn, first_import=False):
            assert foreign_keys(conn) == before


def test_a_row_breaking_a_foreign_key_fails_the_first_import_and_leaves_the_store_as_it_was(postgres_engine):
    with postgres_engine.connect() as conn:
        before = foreign_keys(conn)
    with pytest.raises(sa.exc.IntegrityError, match="animator_places"), postgres_engine.begin() as conn:
        with store.imports._foreign_keys_checked_at_the_end(conn, first_import=True):
            # A link to a person and a place that do not exist, from a batch that does not either.
            conn.execute(store.schema.animator_places.insert().values(
                animator_id="absent", place_id="nowhere", since=store.database._now(), source_file="a.csv",
                source_rows="2", batch_id=42))
    with postgres_engine.connect() as conn:
        assert foreign_keys(conn) == before
        assert conn.execute(sa.select(sa.func.count()).select_from(store.schema.animator_places)).scalar_one() == 0


metadata = sa.MetaData()
hostile = sa.Table(
    "copy_samples", metadata,
    sa.Column("key", sa.Integer, primary_key=True),
    sa.Column("text", sa.String),
    sa.Column("number", sa.Float),
    sa.Column("flag", sa.Boolean),
)
# Texts COPY's format must escape or could misread: its own escapes written literally, its NULL
# marker as text, separators, line ends of every kind, an empty text, non-Latin letters.
HOSTILE_TEXTS = ["\\N", "\\t littéral", "a\tb", "ligne\nsuivante", "retour\rchariot", "fin\r\n", "\\", "\\\\.",
                 "", " ", "« é » 名前 🙂", "=1+1", "\\.", "a\\nb"]


def hostile_frame() -> pd.DataFrame:
    """Every hostile text (in a column of two chunks), random doubles of every magnitude (exact round trip), missing values."""
    size = 400
    rng = np.random.default_rng(5)
    numbers = rng.standard_normal(size) * 10.0 ** rng.integers(-300, 300, size)
    numbers[::17] = np.nan
    texts = [HOSTILE_TEXTS[i % len(HOSTILE_TEXTS)] if i % 13 else None for i in range(size)]
    # Two Arrow chunks, as a column put together by pd.concat.
    chunked = pd.concat([pd.Series(texts[:150], dtype="str"), pd.Series(texts[150:], dtype="str")], ignore_index=True)
    return pd.DataFrame({"key": np.arange(size), "text": chunked, "number": numbers,
                         "flag": pd.array([None if i % 11 == 0 else i % 2 == 0 for i in range(size)],
                                          dtype="boolean")})


@pytest.mark.parametrize("as_objects", [False, True], ids=["typed", "objects"])
def test_copy_stores_hostile_values_as_sqlalchemy_stores_them_row_by_row(postgres_engine, as_objects):
    frame = hostile_frame().astype(object) if as_objects else hostile_frame()
    plain = [{name: (None if pd.isna(value) else value) for name, value in row.items()}
             for row in hostile_frame().astype(object).to_dict("records")]
    metadata.create_all(postgres_engine)
    with postgres_engine.begin() as conn:
        conn.execute(hostile.insert(), plain)
        expected = conn.execute(sa.select(hostile).order_by(hostile.c.key)).all()
        conn.execute(hostile.delete())
        insert_frame(conn, hostile, frame)
        assert conn.execute(sa.select(hostile).order_by(hostile.c.key)).all() == expected
    assert {row.text for row in expected} == {*HOSTILE_TEXTS, None}


def test_digests_of_numbers_booleans_and_times_are_those_of_their_cells_printed_one_by_one():
    """Digests are computed once per distinct value of such columns: values equal but printed apart stay apart."""
    floats = [0.0, -0.0, np.nan, 0.1 + 0.2, 0.3, 1e16, 1e-7, -180.0, 48.1173, 0.0, -0.0, np.nan]
    records = pd.DataFrame({
        "lat": floats, "lon": floats[::-1], "is_conum": [i % 3 == 0 for i in range(len(floats))],
        "training_date": pd.to_datetime(["2026-12-03", None, "2000-02-29 10:00:00.5"] * 4, format="ISO8601"),
        "structure": pd.array(["Médiathèque", None] * 6, dtype="str"),
    }, index=range(100, 100 + len(floats)))
    fields = list(records.columns)
    digests = store.digests._content_hashes(records, fields)
    assert digests.index.tolist() == records.index.tolist()
    assert digests.tolist() == [hashlib.md5("\x1f".join(map(str, cells)).encode()).hexdigest()
                                for cells in records.itertuples(index=False)]
    assert digests.iloc[0] != digests.iloc[1]  # 0.0 and -0.0


def test_records_sharing_their_checked_cells_get_the_digest_of_their_cells_printed_one_by_one():
    """Digests are computed once per distinct text: repeated records keep their own row, in order."""
    records = pd.DataFrame({
        "structure": pd.array(["Médiathèque", None, "Médiathèque", "Mairie", None, "Médiathèque"], dtype="str"),
        "lat": [48.1, 48.1, 48.1, 45.0, 48.1, 48.1],
    }, index=[7, 3, 11, 0, 5, 2])
    digests = store.digests._content_hashes(records, ["structure", "lat"])
    assert digests.index.tolist() == records.index.tolist()
    assert digests.tolist() == [hashlib.md5("\x1f".join(map(str, cells)).encode()).hexdigest()
                                for cells in records.itertuples(index=False)]
    assert digests.nunique() == 3
