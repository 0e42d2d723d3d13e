"""The shortcuts of a large import (``loaders.store.save_import``), checked against the plain way.

On PostgreSQL a first import drops the foreign keys of the tables it fills and adds them again at
its end, so that the server checks every row at once: the keys must come back exactly as they were,
and a row breaking one must still fail the whole import.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from loaders import store


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
        with store._foreign_keys_checked_at_the_end(conn, first_import=True):
            during = foreign_keys(conn)
        after = foreign_keys(conn)
    imported = {table.name for table in store.IMPORTED_TABLES}
    assert {table for table, _, _ in before} >= imported
    assert {table for table, _, _ in during} == {table for table, _, _ in before} - imported
    assert after == before


def test_a_later_import_keeps_the_foreign_keys_in_place(postgres_engine):
    with postgres_engine.begin() as conn:
        before = foreign_keys(conn)
        with store._foreign_keys_checked_at_the_end(conn, first_import=False):
            assert foreign_keys(conn) == before


def test_a_row_breaking_a_foreign_key_fails_the_first_import_and_leaves_the_store_as_it_was(postgres_engine):
    with postgres_engine.connect() as conn:
        before = foreign_keys(conn)
    with pytest.raises(sa.exc.IntegrityError, match="animator_places"), postgres_engine.begin() as conn:
        with store._foreign_keys_checked_at_the_end(conn, first_import=True):
            # A link to a person and a place that do not exist, from a batch that does not either.
            conn.execute(store.animator_places.insert().values(
                animator_id="absent", place_id="nowhere", since=store._now(), source_file="a.csv",
                source_rows="2", batch_id=42))
    with postgres_engine.connect() as conn:
        assert foreign_keys(conn) == before
        assert conn.execute(sa.select(sa.func.count()).select_from(store.animator_places)).scalar_one() == 0
