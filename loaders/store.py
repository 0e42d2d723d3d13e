"""Persistence of imports, animators and their referencings (SQLAlchemy Core).

This module is the only one that talks to the database. The embedded default
is SQLite in WAL mode at :func:`default_database_path`; ``DATABASE_URL`` (or
``--db``) points elsewhere. Each import is one transaction: a failure leaves
the store as it was. A file whose SHA-256 was already imported is skipped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import platformdirs
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from loaders.pipeline import ImportResult

metadata = sa.MetaData()

import_batches = sa.Table(
    "import_batches",
    metadata,
    sa.Column("batch_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("file_name", sa.String, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("imported_at", sa.DateTime, nullable=False),
    sa.Column("theme", sa.String),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("accepted_rows", sa.Integer, nullable=False),
    sa.Column("rejected_rows", sa.Integer, nullable=False),
    sa.Column("is_demo", sa.Boolean, nullable=False, default=False),
    sa.Column("report", sa.Text, nullable=False),
)

animators = sa.Table(
    "animators",
    metadata,
    sa.Column("animator_id", sa.String(32), primary_key=True),
    sa.Column("structure", sa.String),
    sa.Column("structure_type", sa.String),
    sa.Column("full_name", sa.String),
    sa.Column("first_name", sa.String),
    sa.Column("last_name", sa.String),
    sa.Column("email", sa.String),
    sa.Column("phone", sa.String),
    sa.Column("address", sa.String),
    sa.Column("postcode", sa.String),
    sa.Column("city", sa.String),
    sa.Column("is_conum", sa.Boolean, nullable=False),
    sa.Column("public_consent", sa.Boolean, nullable=False),
    sa.Column("insee_code", sa.String(5), nullable=False, index=True),
    sa.Column("commune", sa.String, nullable=False),
    sa.Column("arrondissement_code", sa.String(5)),
    sa.Column("epci_code", sa.String(9), index=True),
    sa.Column("epci", sa.String),
    sa.Column("departement_code", sa.String(3), nullable=False, index=True),
    sa.Column("region_code", sa.String(2), nullable=False, index=True),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("geocode_precision", sa.String, nullable=False),
    sa.Column("geocode_note", sa.String),
    sa.Column("submitted_at", sa.DateTime),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("import_batches.batch_id"), nullable=False),
)

referencings = sa.Table(
    "referencings",
    metadata,
    sa.Column("animator_id", sa.String(32), sa.ForeignKey("animators.animator_id"), primary_key=True),
    sa.Column("theme", sa.String, primary_key=True),
    sa.Column("training_status", sa.String, nullable=False),
    sa.Column("training_date", sa.Date),
    sa.Column("training_body", sa.String),
    sa.Column("submission_id", sa.String),
    sa.Column("submitted_at", sa.DateTime),
    sa.Column("source_file", sa.String, nullable=False),
    sa.Column("source_rows", sa.String, nullable=False),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("import_batches.batch_id"), nullable=False),
)

row_outcomes = sa.Table(
    "row_outcomes",
    metadata,
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("import_batches.batch_id"), primary_key=True),
    sa.Column("source_row", sa.Integer, primary_key=True),
    sa.Column("outcome", sa.String, nullable=False),  # accepted | merged | rejected
    sa.Column("reason", sa.String),
)

ANIMATOR_FIELDS: tuple[str, ...] = tuple(
    c.name for c in animators.columns if c.name not in ("animator_id", "batch_id")
)
PERSONAL_FIELDS: tuple[str, ...] = ("full_name", "first_name", "last_name", "email", "phone", "address")
REFERENCING_FIELDS: tuple[str, ...] = (
    "training_status", "training_date", "training_body", "submission_id", "submitted_at", "source_file",
    "source_rows",
)


def default_database_path() -> Path:
    """The embedded store: ``$CARTE_DATA_HOME/carte.sqlite``, else the user data directory."""
    root = os.environ.get("CARTE_DATA_HOME") or platformdirs.user_data_dir("carte-des-animateurs")
    return Path(root) / "carte.sqlite"


def database_url(url: str | None = None) -> str:
    """The URL to use: the one given, else ``DATABASE_URL``, else the embedded SQLite store."""
    return url or os.environ.get("DATABASE_URL") or f"sqlite:///{default_database_path()}"


def connect(url: str | None = None) -> Engine:
    """Open the store (creating the SQLite file and the schema when needed)."""
    resolved = sa.engine.make_url(database_url(url))
    if resolved.get_backend_name() == "sqlite" and resolved.database not in (None, "", ":memory:"):
        Path(resolved.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(resolved)
    if resolved.get_backend_name() == "sqlite":
        sa.event.listen(engine, "connect", _configure_sqlite)
    metadata.create_all(engine)
    return engine


def _configure_sqlite(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@dataclass(frozen=True)
class SaveOutcome:
    """Which files were imported and which were skipped as already imported."""

    imported: tuple[str, ...]
    already_imported: tuple[str, ...]


def save_import(engine: Engine, result: ImportResult, *, is_demo: bool = False) -> SaveOutcome:
    """Write an import in one transaction; files already imported (same SHA-256) are skipped.

    A file identical to another one of the same import (same bytes, another name) is skipped
    too, and the records its rows won are kept under the batch of its twin.
    """
    imported: list[str] = []
    skipped: list[str] = []
    with engine.begin() as conn:
        known = set(conn.execute(sa.select(import_batches.c.sha256)).scalars())
        summaries = {summary["fichier"]: summary for summary in result.report()["fichiers"]}
        batch_of: dict[str, int] = {}
        first_with_sha: dict[str, str] = {}
        twin_of: dict[str, str] = {}
        for report in result.files:
            if report.sha256 in first_with_sha:
                twin_of[report.source_file] = first_with_sha[report.sha256]
            if report.sha256 in known:
                skipped.append(report.source_file)
                continue
            known.add(report.sha256)
            first_with_sha[report.sha256] = report.source_file
            batch_of[report.source_file] = _insert_batch(conn, result, report, summaries[report.source_file],
                                                         is_demo)
            imported.append(report.source_file)
        # A record belongs to the batch of the file whose row won it (or of that file's twin).
        every_record = result.records.assign(winning_file=result.records["winning_file"].replace(twin_of))
        records = every_record[every_record["winning_file"].isin(batch_of)]
        records = records.assign(batch_id=records["winning_file"].map(batch_of))
        _upsert_animators(conn, records)
        _upsert_referencings(conn, records)
        _insert_outcomes(conn, result.rejects, every_record, batch_of)
    return SaveOutcome(tuple(imported), tuple(skipped))


def _insert_batch(conn: Connection, result: ImportResult, report, summary: dict, is_demo: bool) -> int:
    return conn.execute(
        import_batches.insert().values(
            file_name=report.source_file,
            sha256=report.sha256,
            imported_at=datetime.now(UTC).replace(tzinfo=None),
            theme=result.theme,
            rows=report.rows,
            accepted_rows=report.accepted_rows,
            rejected_rows=report.rejected_rows,
            is_demo=is_demo,
            report=json.dumps(summary, ensure_ascii=False),
        )
    ).inserted_primary_key[0]


def _dialect_insert(conn: Connection, table: sa.Table):
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def _upsert(conn: Connection, table: sa.Table, rows: list[dict], keys: Sequence[str], fields: Iterable[str]) -> None:
    if not rows:
        return
    statement = _dialect_insert(conn, table)
    newer = sa.or_(
        table.c.submitted_at.is_(None),
        statement.excluded.submitted_at.is_(None),
        statement.excluded.submitted_at >= table.c.submitted_at,
    )
    statement = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: statement.excluded[name] for name in (*fields, "batch_id")},
        where=newer,
    )
    conn.execute(statement, rows)


def _upsert_animators(conn: Connection, records: pd.DataFrame) -> None:
    latest = records.sort_values("submitted_at", na_position="first", kind="stable").groupby(
        "animator_id"
    ).tail(1)
    rows = [_sql_values(row, ("animator_id", *ANIMATOR_FIELDS, "batch_id")) for row in latest.to_dict("records")]
    _upsert(conn, animators, rows, ["animator_id"], ANIMATOR_FIELDS)


def _upsert_referencings(conn: Connection, records: pd.DataFrame) -> None:
    rows = [_sql_values(row, ("animator_id", "theme", *REFERENCING_FIELDS, "batch_id"))
            for row in records.to_dict("records")]
    _upsert(conn, referencings, rows, ["animator_id", "theme"], REFERENCING_FIELDS)


def _insert_outcomes(conn: Connection, rejects: pd.DataFrame, records: pd.DataFrame,
                     batch_of: dict[str, int]) -> None:
    rows: list[dict] = []
    for source_file, batch_id in batch_of.items():
        rejected = rejects[rejects["source_file"] == source_file]
        rows += [
            {"batch_id": batch_id, "source_row": int(r), "outcome": "rejected", "reason": reason}
            for r, reason in zip(rejected["source_row"], rejected["reason"])
        ]
        rows += [
            {"batch_id": batch_id, "source_row": r, "outcome": outcome, "reason": None}
            for r, outcome in _accepted_rows(records, source_file).items()
        ]
    if rows:
        conn.execute(row_outcomes.insert(), rows)


def _accepted_rows(records: pd.DataFrame, source_file: str) -> dict[int, str]:
    """Rows of one file kept as a record's latest submission (``accepted``) or merged into one (``merged``)."""
    outcome: dict[int, str] = {}
    mine = records[records["winning_file"] == source_file]
    winners = set(mine["winning_row"].astype(int))
    for files, rows in zip(records["source_file"], records["source_rows"]):
        if source_file not in files.split("|"):
            continue
        for entry in rows.split("|"):
            file_name, _, row = entry.rpartition(":")
            if file_name in ("", source_file):
                number = int(row)
                if outcome.get(number) != "accepted":
                    outcome[number] = "accepted" if number in winners else "merged"
    return outcome


def _sql_values(row: dict, names: Sequence[str]) -> dict:
    return {name: _sql_value(row.get(name)) for name in names}


def _sql_value(value):
    if value is None or (not isinstance(value, (str, list, tuple)) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def read_animators(engine: Engine, *, personal: bool = False) -> pd.DataFrame:
    """One row per (animator, theme), joined with the animator's place.

    Personal columns (names, e-mail, phone, address) are only returned with
    ``personal=True``.
    """
    hidden = set(PERSONAL_FIELDS)
    animator_columns = [c for c in animators.columns if personal or c.name not in hidden]
    statement = sa.select(
        *animator_columns,
        *[c for c in referencings.columns if c.name not in ("animator_id", "batch_id", "submitted_at")],
    ).join_from(animators, referencings, animators.c.animator_id == referencings.c.animator_id)
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(statement).mappings().all())


def read_batches(engine: Engine) -> pd.DataFrame:
    """Import history, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(import_batches).order_by(import_batches.c.batch_id.desc())).mappings().all()
    return pd.DataFrame(rows)
