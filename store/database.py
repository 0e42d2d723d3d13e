"""The store's database: the URL, connecting (schema brought to the latest migration), SQLite settings,
and the one writing transaction every write goes through.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import settings as core_settings

if TYPE_CHECKING:
    # Only for annotations: loaders.pipeline imports store.privacy, which imports this module.
    pass


MIGRATIONS = Path(__file__).resolve().parent / "migrations"


# Any fixed number: the key of the PostgreSQL advisory lock that serialises imports and migrations.
WRITE_LOCK_KEY = 7_320_411


SQLITE_CACHE_KIB = 65_536


def database_url(url: str | None = None) -> str:
    """The URL to use: the one given, else :func:`core.settings.database_url` (``DATABASE_URL``, else the
    embedded SQLite store)."""
    return url or core_settings.database_url()


def connect(url: str | None = None) -> Engine:
    """Open the store and bring its schema to the latest migration (creating it when needed)."""
    resolved = sa.engine.make_url(database_url(url))
    if resolved.get_backend_name() == "sqlite":
        if resolved.database not in (None, "", ":memory:"):
            Path(resolved.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(resolved)
        sa.event.listen(engine, "connect", _configure_sqlite)
        sa.event.listen(engine, "begin", _begin_sqlite)
    else:
        engine = sa.create_engine(resolved, pool_pre_ping=True)
    upgrade(engine)
    return engine


def upgrade(engine: Engine) -> None:
    """Apply the pending migrations; a store made before migrations existed is adopted first."""
    from alembic import command
    from alembic.config import Config

    with _writing(engine, foreign_keys=False) as conn:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = conn
        if _predates_migrations(conn):
            command.stamp(config, "0001")
        command.upgrade(config, "head")


def _predates_migrations(conn: Connection) -> bool:
    tables = set(sa.inspect(conn).get_table_names())
    return "import_batches" in tables and "alembic_version" not in tables


def _configure_sqlite(dbapi_connection, _record) -> None:
    # The driver's own transaction handling is switched off: _begin_sqlite opens transactions.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # 64 MB of page cache instead of 2 MB: an import's B-tree inserts stay in memory.
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


def _begin_sqlite(conn: Connection) -> None:
    """Writers take SQLite's write lock at BEGIN, so their reads cannot be overtaken by another writer."""
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("writing") else "BEGIN")


@contextmanager
def _writing(engine: Engine, *, foreign_keys: bool = True) -> Iterator[Connection]:
    """A write transaction serialised with every other writer of the store; once committed, the public
    finder's publications are brought up to date (:func:`store.publish.after_write`).

    SQLite migrations rebuild tables (batch mode), which its foreign keys forbid: they run with
    ``foreign_keys=False``, a pragma that only applies outside a transaction.
    """
    with engine.connect() as conn:
        conn.execution_options(writing=True)
        relax = conn.dialect.name == "sqlite" and not foreign_keys
        if relax:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})
                yield conn
        finally:
            if relax:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
    from store.publish import after_write  # committed: republish the public finder (store/publish.py)

    after_write(engine)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
