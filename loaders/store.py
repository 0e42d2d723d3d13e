"""Persistence of imports, animators, referencings, moderation and fixes (SQLAlchemy Core).

This module is the only one that talks to the database. The embedded default is SQLite
in WAL mode in :func:`core.settings.data_home`; ``DATABASE_URL`` (or ``--db``) points
elsewhere, e.g. ``postgresql+psycopg://…`` for a store shared by several hubs and app
replicas. :func:`connect` applies the Alembic migrations of ``loaders/migrations``.

Each import is one transaction, serialised with the other imports (an advisory lock on
PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so concurrent imports end in the same state as
the same imports one after another. A file whose SHA-256 was already imported is skipped.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import settings as core_settings
from core.vocabulary import PENDING, REFUSED, VALIDATED
from loaders import settings
from loaders.access import FRANCE, Agent, OutOfScopeError, Scope
from loaders.bulk import dialect_insert, insert_frame
from loaders.outcomes import RowOutcome, kept_rows, source_rows, stored_outcomes
from loaders.schema import (
    access_log,
    agents,
    animator_places,
    animators,
    consents,
    erasures,
    geocoding_fixes,
    import_batches,
    moderation_events,
    places,
    referencings,
    row_outcomes,
)

if TYPE_CHECKING:
    # Only for annotations: loaders.pipeline imports loaders.privacy, which imports this module.
    from loaders.pipeline import FileReport, ImportResult

ANIMATOR_FIELDS: tuple[str, ...] = tuple(
    c.name for c in animators.columns if c.name not in ("animator_id", "batch_id")
)
PLACE_FIELDS: tuple[str, ...] = tuple(c.name for c in places.columns if c.name not in ("place_id", "batch_id"))
LINK_FIELDS: tuple[str, ...] = ("submitted_at", "form", "source_file", "source_rows", "batch_id")
PERSONAL_FIELDS: tuple[str, ...] = ("full_name", "first_name", "last_name", "email", "phone", "address")
REFERENCING_FIELDS: tuple[str, ...] = (
    "training_status", "training_date", "training_body", "submission_id", "submitted_at", "source_file",
    "source_rows",
)
# What a moderator has checked: a change in any of these sends the record back to « à vérifier ».
# Digest of a whole record (animator × theme × place), the one stores before migration 0005 kept on
# referencings: 0005 writes those digests in capitals, and an import compares them with this one
# (see _convert_legacy_digests), so that upgrading sends nothing back to « à vérifier ».
CHECKED_FIELDS: tuple[str, ...] = (
    "structure", "structure_type", "full_name", "first_name", "last_name", "email", "phone", "is_conum",
    "public_consent", "insee_code", "lat", "lon", "training_status", "training_date", "training_body",
)
# Since 0005, the person and their training (on ``referencings``) and each place (on ``animator_places``)
# are checked apart: a new place of a validated person waits for a moderator, the person does not.
PERSON_CHECKED_FIELDS: tuple[str, ...] = (
    "full_name", "first_name", "last_name", "email", "phone", "is_conum", "public_consent", "training_status",
    "training_date", "training_body",
)
PLACE_CHECKED_FIELDS: tuple[str, ...] = ("structure", "structure_type", "insee_code", "lat", "lon")
# The tables an import writes in bulk (see _foreign_keys_checked_at_the_end).
IMPORTED_TABLES: tuple[sa.Table, ...] = (animators, places, animator_places, referencings, consents, row_outcomes)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any fixed number: the key of the PostgreSQL advisory lock that serialises imports and migrations.
WRITE_LOCK_KEY = 7_320_411
SQLITE_CACHE_KIB = 65_536
DEMO_ACTOR = "données de démonstration"
# The form version of the consents row a withdrawal appends (it has no batch: nobody's file carried it).
WITHDRAWAL = "retrait de consentement"
ERASED_REASON = "personne effacée à sa demande le {:%d/%m/%Y} : ligne non importée"


@dataclass(frozen=True)
class SaveOutcome:
    """Which files were imported and which were skipped as already imported."""

    imported: tuple[str, ...]
    already_imported: tuple[str, ...]
    marked_absent: int = 0
    erased_rows: int = 0  # rows of persons erased at their request, rejected (see ERASED_REASON)
    closed_places: int = 0  # places of persons of a full export that no longer lists them (``until`` set)


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
    finder's publications are brought up to date (:func:`loaders.publish.after_write`).

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
    from loaders.publish import after_write  # committed: republish the public finder (loaders/publish.py)

    after_write(engine)


def save_import(engine: Engine, result: ImportResult, *, is_demo: bool = False, hub: str = "", form: str = "",
                full_export: bool = False, imported_by: str = "") -> SaveOutcome:
    """Write an import in one transaction.

    Parameters
    ----------
    result
        The loader's result for one or several files.
    is_demo
        Demonstration data: published at once (moderated as « validé » by :data:`DEMO_ACTOR`).
    hub
        Who imports (shown on the « Pilotage » page).
    form
        Name of the referencing form the export comes from.
    full_export
        The export holds every answer of ``form``: referencings of that form missing from it
        are flagged « absent du dernier export » and unpublished (never deleted); a place of a
        person the export still lists, but no longer at that place, is closed (``until``).
    imported_by
        E-mail of the signed-in agent who imports (empty from the command line).

    Files already imported (same SHA-256) are skipped; a file identical to another one of the
    same import (same bytes, another name) is skipped too, and the records its rows won are kept
    under the batch of its twin. New or changed records start « à vérifier ».

    Privacy: the rows of a person erased at their request (``erasures``) are rejected with
    :data:`ERASED_REASON`, and counted so in the batch, its report and its row outcomes; a « oui »
    to publication answered before a withdrawal of consent is read as « non » (only a newer
    answer gives consent again).
    """
    if full_export and not form:
        raise ValueError("full_export needs the form's name")
    now = _now()
    with _writing(engine) as conn:
        result, erased_rows = _without_erased(result, _erasure_dates(conn))
        known = set(conn.execute(sa.select(import_batches.c.sha256)).scalars())
        new_files, twin_of = _files_to_import(result.files, known)
        # A record belongs to the batch of the file whose row won it (or of that file's twin).
        every_record = result.records.assign(winning_file=result.records["winning_file"].replace(twin_of))
        kept = kept_rows(every_record)
        merged = Counter(kept.loc[kept["outcome"] == RowOutcome.MERGED, "source_file"])
        info = _BatchInfo(is_demo=is_demo, hub=hub, form=form, full_export=full_export, at=now, imported_by=imported_by)
        batch_of = {report.source_file: _insert_batch(conn, result.theme, report, merged[report.source_file], info)
                    for report in new_files}
        records = every_record[every_record["winning_file"].isin(batch_of)]
        records = records.assign(batch_id=records["winning_file"].map(batch_of), form=form,
                                 content_hash=_content_hashes(records, PERSON_CHECKED_FIELDS),
                                 place_hash=_content_hashes(records, PLACE_CHECKED_FIELDS))
        # After the digest: a withdrawal changes what is published, not what a moderator checked.
        records = _without_answers_before_withdrawal(conn, records)
        latest = _latest_per(records, ["animator_id"])
        # The whole column, not an IN list: an import can hold more animators than a statement has
        # parameters (65,535 on PostgreSQL).
        stored = dict(conn.execute(sa.select(animators.c.animator_id, animators.c.public_consent)).all())
        changed_consents = _changed_consents(latest, stored, now)
        status = VALIDATED if is_demo else PENDING
        _convert_legacy_digests(conn, records)
        with _foreign_keys_checked_at_the_end(conn, first_import=not stored):
            _upsert_animators(conn, latest, stored)
            _upsert_places(conn, _latest_per(records, ["place_id"]))
            _upsert_referencings(conn, _with_all_sources(records, ["animator_id", "theme"]), stored, status, now)
            _upsert_links(conn, _with_all_sources(records, ["animator_id", "place_id"]), stored, status, now)
            insert_frame(conn, consents, changed_consents)
            if is_demo:
                _log_demo_validation(conn, records, now)
            absent = _flag_absences(conn, every_record, form) if full_export and batch_of else 0
            closed = _close_places(conn, every_record, form, now) if full_export and batch_of else 0
            insert_frame(conn, row_outcomes, stored_outcomes(result.rejects, result.reject_places, kept, batch_of))
    skipped = tuple(report.source_file for report in result.files if report.source_file not in batch_of)
    return SaveOutcome(tuple(batch_of), skipped, absent,
                       erased_rows=sum(source_file in batch_of for source_file, _ in erased_rows), closed_places=closed)


@contextmanager
def _foreign_keys_checked_at_the_end(conn: Connection, *, first_import: bool) -> Iterator[None]:
    """On PostgreSQL, during the first import, the foreign keys of :data:`IMPORTED_TABLES` dropped, then added again.

    The server checks a foreign key row by row, with a lookup per inserted row and key: two thirds of
    what it spends on a first import. Adding the key again checks every row at once, with one join,
    in the same transaction: a row that breaks a key fails the import, which then leaves nothing.
    Only into a store without animators (``first_import``): ``ALTER TABLE`` locks these tables
    until the import commits, and checking a store's whole content again would cost more than the
    lookups of a later import's rows. SQLite keeps its row-by-row checks (its pragma cannot change
    inside a transaction).
    """
    if not first_import or conn.dialect.name != "postgresql":
        yield
        return
    keys = conn.execute(
        sa.text("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype = 'f' AND conrelid = ANY(CAST(:tables AS regclass[])) ORDER BY conrelid, conname"),
        {"tables": [table.name for table in IMPORTED_TABLES]}).all()
    quote = conn.dialect.identifier_preparer.quote
    for table, name, _ in keys:
        conn.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
    yield
    for table, name, definition in keys:
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}")


def _erasure_dates(conn: Connection) -> dict[str, datetime]:
    """When each erased person asked to be erased, by animator id."""
    return dict(conn.execute(sa.select(erasures.c.animator_id, erasures.c.requested_at)).all())


def _without_erased(result: ImportResult,
                    erased: Mapping[str, datetime]) -> tuple[ImportResult, list[tuple[str, int]]]:
    """The import with every row of an erased person moved from its records to its rejects.

    Returns
    -------
    tuple
        The import (its files' counts updated, the rows rejected with :data:`ERASED_REASON`, no
        place text kept) and the ``(file, row)`` of those rows.
    """
    records = result.records
    if not erased or records.empty:
        return result, []
    mine = records["animator_id"].isin(list(erased)).to_numpy()
    if not mine.any():
        return result, []
    theirs = records[mine]
    asked_at = [erased[animator_id] for animator_id in theirs["animator_id"]]
    sources = source_rows(theirs)
    reasons = {(source_file, int(source_row)): ERASED_REASON.format(asked_at[record])
               for record, source_file, source_row in sources.itertuples(index=False)}
    where = pd.DataFrame(list(reasons), columns=["source_file", "source_row"])
    rejects = where.assign(reason=list(reasons.values()))
    places = where.assign(location_key="", location_text="")
    per_file = Counter(source_file for source_file, _ in reasons)
    files = tuple(replace(f, accepted_rows=f.accepted_rows - per_file[f.source_file],
                          rejected_rows=f.rejected_rows + per_file[f.source_file]) for f in result.files)
    return replace(
        result, records=records[~mine].reset_index(drop=True), files=files,
        rejects=pd.concat([result.rejects, rejects], ignore_index=True).fillna(""),
        reject_places=pd.concat([result.reject_places, places], ignore_index=True),
    ), list(reasons)


def _without_answers_before_withdrawal(conn: Connection, records: pd.DataFrame) -> pd.DataFrame:
    """Records whose « oui » to publication predates the person's latest withdrawal, read as « non».

    An answer without a date cannot be shown to be newer: it does not give consent again.
    """
    withdrawn = dict(conn.execute(
        sa.select(consents.c.animator_id, sa.func.max(consents.c.recorded_at))
        .where(consents.c.form_version == WITHDRAWAL, consents.c.batch_id.is_(None))
        .group_by(consents.c.animator_id)).all())
    if not withdrawn or records.empty:
        return records
    withdrawn_at = pd.to_datetime(records["animator_id"].map(withdrawn))
    answered_at = pd.to_datetime(records["submitted_at"], errors="coerce")
    stale = withdrawn_at.notna() & ~(answered_at > withdrawn_at)
    return records.assign(public_consent=records["public_consent"].astype(bool) & ~stale)


@dataclass(frozen=True)
class _BatchInfo:
    is_demo: bool
    hub: str
    form: str
    full_export: bool
    at: datetime
    imported_by: str


def _files_to_import(files: Sequence[FileReport], known: set[str]) -> tuple[list[FileReport], dict[str, str]]:
    """The files not imported yet (SHA-256 unknown, first of their bytes), and each twin's first file.

    A twin is a file with the same bytes as an earlier one of the same import, under another name.
    """
    new: list[FileReport] = []
    first_with_sha: dict[str, str] = {}
    twin_of: dict[str, str] = {}
    for report in files:
        if report.sha256 in first_with_sha:
            twin_of[report.source_file] = first_with_sha[report.sha256]
        elif report.sha256 not in known:
            new.append(report)
        first_with_sha.setdefault(report.sha256, report.source_file)
    return new, twin_of


def _insert_batch(conn: Connection, theme: str | None, report: FileReport, merged_rows: int, info: _BatchInfo) -> int:
    return conn.execute(
        import_batches.insert().values(
            file_name=report.source_file,
            sha256=report.sha256,
            imported_at=info.at,
            theme=theme,
            rows=report.rows,
            accepted_rows=report.accepted_rows,
            rejected_rows=report.rejected_rows,
            merged_rows=merged_rows,
            is_demo=info.is_demo,
            hub=info.hub,
            form=info.form,
            is_full_export=info.full_export,
            imported_by=info.imported_by,
            report=json.dumps({**report.summary(), "doublons_fusionnes": merged_rows}, ensure_ascii=False),
        )
    ).inserted_primary_key[0]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _content_hashes(records: pd.DataFrame, checked: Sequence[str] = CHECKED_FIELDS) -> pd.Series:
    """A digest of what a moderator checked, per record (``checked``: :data:`CHECKED_FIELDS` by default).

    The MD5 of the ``str()`` of every checked cell (missing values included, so that the digest
    does not depend on dtypes), joined by ``\x1f``: stored digests must stay comparable across
    versions, or every validated record would go back to « à vérifier ».
    """
    fields = [name for name in checked if name in records.columns]
    joined = pc.binary_join_element_wise(*map(_cell_texts, (records[name] for name in fields)),
                                         pa.scalar("\x1f", pa.large_string()))
    return pd.Series([hashlib.md5(text, usedforsecurity=False).hexdigest()
                      for text in joined.cast(pa.large_binary()).to_pylist()], index=records.index, dtype=object)


def _cell_texts(column: pd.Series) -> pa.Array:
    """``str()`` of every cell; a text column is converted by Arrow (most checked cells are text), a column
    of numbers, booleans or date-times through its distinct values (records share their place's coordinates).
    """
    if isinstance(column.dtype, pd.StringDtype):
        return pa.array(column).cast(pa.large_string()).fill_null(str(column.dtype.na_value))
    values = np.ascontiguousarray(column.to_numpy())
    if values.dtype.kind not in "biufmM":
        return pa.array(list(map(str, column.tolist())), type=pa.large_string())
    # Distinct bit patterns, not values: 0.0 and -0.0 are equal but print apart.
    codes, distinct = pd.factorize(values.view(f"i{values.itemsize}"))
    texts = map(str, pd.Series(distinct.view(values.dtype)).tolist())
    return pa.array(list(texts), type=pa.large_string()).take(codes)


def _newer(table: sa.Table, statement) -> sa.ColumnElement[bool]:
    """The incoming row is at least as recent as the stored one (the latest submission wins)."""
    return sa.or_(
        table.c.submitted_at.is_(None),
        statement.excluded.submitted_at.is_(None),
        statement.excluded.submitted_at >= table.c.submitted_at,
    )


def _latest_per(records: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Each key's record with the latest submission (the last one among equals or undated)."""
    submitted = records["submitted_at"].to_numpy(dtype="datetime64[us]")
    # Undated first, as the oldest: numpy would sort NaT last.
    order = np.argsort(np.where(np.isnat(submitted), np.datetime64("0001-01-01", "us"), submitted), kind="stable")
    ordered = records[keys].iloc[order]
    newest = ~(ordered[keys[0]].duplicated(keep="last") if len(keys) == 1
               else ordered.duplicated(keys, keep="last")).to_numpy()
    return records.iloc[order[newest]]


def _with_all_sources(records: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """:func:`_latest_per` ``keys``, each listing the source rows of every record of its key.

    A referencing (animator × theme) stands on the lines of all its places, a link (animator × place)
    on the lines of all its themes. Only keys whose records stand on different lines are rewritten.
    """
    from loaders.pipeline import _source_rows  # loaders.pipeline imports this module (through privacy)

    latest = _latest_per(records, keys)
    # Keys whose records stand on different lines: most records of a key come from the same line (one
    # line giving several themes at one place), and need nothing.
    lines = records[[*keys, "source_file", "source_rows"]].drop_duplicates()
    varied = lines[lines.duplicated(keys, keep=False)]
    if varied.empty:
        return latest
    group = records[pd.MultiIndex.from_frame(records[keys]).isin(pd.MultiIndex.from_frame(varied[keys]))]
    sources = source_rows(group)
    key_of = list(zip(*(group[name].tolist() for name in keys)))
    rows: dict[tuple, list[tuple[str, int]]] = {}
    for record, source_file, source_row in zip(sources["record"].tolist(), sources["source_file"].tolist(),
                                               sources["source_row"].tolist()):
        rows.setdefault(key_of[record], []).append((source_file, source_row))
    # Both columns rebuilt once: setting cells one by one copies a whole Arrow column each time.
    source_rows_of, source_files = latest["source_rows"].tolist(), latest["source_file"].tolist()
    for position, key in enumerate(zip(*(latest[name].tolist() for name in keys))):
        group_rows = rows.get(key)
        if group_rows is not None:
            source_rows_of[position] = _source_rows(group_rows)
            source_files[position] = "|".join(dict.fromkeys(source for source, _ in sorted(set(group_rows))))
    return latest.assign(source_rows=pd.array(source_rows_of, dtype=latest["source_rows"].dtype),
                         source_file=pd.array(source_files, dtype=latest["source_file"].dtype))


def _convert_legacy_digests(conn: Connection, records: pd.DataFrame) -> None:
    """Turn the digests written by migration 0005 into today's, where nothing a moderator checked changed.

    0005 keeps the whole-record digests of older stores (:data:`CHECKED_FIELDS`) in capitals, on the
    referencings and on the links it made. When an import brings a record whose whole-record digest is
    such a stored digest, the stored one becomes the record's person (referencing) or place (link)
    digest, so that the verdict stays. Only stores upgraded by 0005 hold capitals: others skip this.
    """
    legacy = {table: conn.execute(sa.select(*(table.c[name] for name in keys), table.c.content_hash)
                                  .where(table.c.content_hash != sa.func.lower(table.c.content_hash))).all()
              for table, keys in ((referencings, ("animator_id", "theme")),
                                  (animator_places, ("animator_id", "place_id")))}
    if records.empty or not any(legacy.values()):
        return
    whole = records.assign(legacy_hash=_content_hashes(records).str.upper())
    for table, keys, digest in ((referencings, ["animator_id", "theme"], "content_hash"),
                                (animator_places, ["animator_id", "place_id"], "place_hash")):
        stored = pd.DataFrame(legacy[table], columns=[*keys, "legacy_hash"])
        same = whole[[*keys, "legacy_hash", digest]].merge(stored, on=[*keys, "legacy_hash"]).drop_duplicates(keys)
        if same.empty:
            continue
        conn.execute(table.update().where(*(table.c[name] == sa.bindparam(f"k_{name}") for name in keys))
                     .values(content_hash=sa.bindparam("digest")),
                     [{**{f"k_{name}": row[name] for name in keys}, "digest": row[digest]}
                      for row in same.to_dict("records")])


def _is_new(frame: pd.DataFrame, stored: Mapping[str, object]) -> np.ndarray:
    """Rows whose animator the store does not hold yet: written by a plain insert, cheaper than an upsert."""
    return ~frame["animator_id"].isin(list(stored)).to_numpy()


def _upsert_animators(conn: Connection, latest: pd.DataFrame, stored: Mapping[str, bool]) -> None:
    """Write each animator's latest record; a stored one is replaced only by a newer submission."""
    _upsert_latest(conn, animators, "animator_id", ANIMATOR_FIELDS, latest, _is_new(latest, stored))


def _upsert_places(conn: Connection, latest: pd.DataFrame) -> None:
    """Write each place's latest record; a stored place is replaced only by a newer submission."""
    known = set(conn.execute(sa.select(places.c.place_id)).scalars())
    _upsert_latest(conn, places, "place_id", PLACE_FIELDS, latest, ~latest["place_id"].isin(known).to_numpy())


def _upsert_latest(conn: Connection, table: sa.Table, key: str, fields: Sequence[str], latest: pd.DataFrame,
                   new: np.ndarray) -> None:
    """Insert the ``new`` rows of ``latest`` into ``table``; the others replace their stored row if newer."""
    def latest_wins(statement):
        return statement.on_conflict_do_update(
            index_elements=[key],
            set_={name: statement.excluded[name] for name in (*fields, "batch_id")},
            where=_newer(table, statement),
        )

    rows = latest[[key, *fields, "batch_id"]]
    insert_frame(conn, table, rows[new])
    insert_frame(conn, table, rows[~new], on_conflict=latest_wins)


def _upsert_links(conn: Connection, records: pd.DataFrame, stored: Mapping[str, bool], status: str,
                  now: datetime) -> None:
    """Write each (animator, place) link: declared again, it is active again (``until`` cleared).

    Its own verdict stays until what a moderator checked of the place (:data:`PLACE_CHECKED_FIELDS`) changes.
    """
    def latest_wins(statement):
        unchanged = animator_places.c.content_hash == statement.excluded.content_hash
        return statement.on_conflict_do_update(
            index_elements=["animator_id", "place_id"],
            set_={
                **{name: statement.excluded[name] for name in (*LINK_FIELDS, "content_hash")},
                "until": sa.null(),
                "since": sa.case((statement.excluded.since < animator_places.c.since, statement.excluded.since),
                                 else_=animator_places.c.since),
                "moderation_status": sa.case((unchanged, animator_places.c.moderation_status),
                                             else_=statement.excluded.moderation_status),
                "moderation_reason": sa.case((unchanged, animator_places.c.moderation_reason), else_=sa.null()),
            },
            where=_newer(animator_places, statement),
        )

    submitted = pd.to_datetime(records["submitted_at"], errors="coerce")
    rows = records.assign(since=submitted.where(submitted.notna(), pd.Timestamp(now)), content_hash=records["place_hash"],
                          moderation_status=status, first_imported_at=now)
    rows = rows[["animator_id", "place_id", "since", *LINK_FIELDS, "content_hash", "moderation_status",
                 "first_imported_at"]]
    new = _is_new(rows, stored)
    insert_frame(conn, animator_places, rows[new])
    insert_frame(conn, animator_places, rows[~new], on_conflict=latest_wins)


def _upsert_referencings(conn: Connection, records: pd.DataFrame, stored: Mapping[str, bool], status: str,
                         now: datetime) -> None:
    def latest_wins(statement):
        unchanged = referencings.c.content_hash == statement.excluded.content_hash
        return statement.on_conflict_do_update(
            index_elements=["animator_id", "theme"],
            set_={
                **{name: statement.excluded[name]
                   for name in (*REFERENCING_FIELDS, "batch_id", "form", "content_hash")},
                "absent_from_last_export": sa.false(),
                # A record checked before stays checked until what was checked changes.
                "moderation_status": sa.case((unchanged, referencings.c.moderation_status),
                                             else_=statement.excluded.moderation_status),
                "moderation_reason": sa.case((unchanged, referencings.c.moderation_reason), else_=sa.null()),
                "trained_seen_at": sa.func.coalesce(referencings.c.trained_seen_at,
                                                    statement.excluded.trained_seen_at),
                "first_submitted_at": sa.func.coalesce(referencings.c.first_submitted_at,
                                                       statement.excluded.first_submitted_at),
            },
            where=_newer(referencings, statement),
        )

    trained = records["training_status"].eq("trained")
    rows = records.assign(
        moderation_status=status, absent_from_last_export=False, first_imported_at=now,
        first_submitted_at=records["submitted_at"],
        trained_seen_at=pd.Series(now, index=records.index).where(trained),
    )
    rows = rows[["animator_id", "theme", *REFERENCING_FIELDS, "batch_id", "form", "content_hash", "moderation_status",
                 "absent_from_last_export", "first_imported_at", "first_submitted_at", "trained_seen_at"]]
    # A new animator has no referencing yet.
    new = _is_new(rows, stored)
    insert_frame(conn, referencings, rows[new])
    insert_frame(conn, referencings, rows[~new], on_conflict=latest_wins)


def _changed_consents(latest: pd.DataFrame, stored: Mapping[str, bool], now: datetime) -> pd.DataFrame:
    """Consent answers that differ from the stored one (``stored``: read before the upsert).

    Without an answer on record nobody has consented: a new animator's « non » changes nothing and
    is not kept (data minimisation); their « oui » is.
    """
    given = latest["public_consent"].astype(bool)
    before = pd.Series(stored, dtype=bool).reindex(latest["animator_id"].to_numpy(), fill_value=False)
    changed = before.to_numpy() != given.to_numpy()
    # The columns read below only: filtering every column of the records costs more than the rest.
    latest = latest[["animator_id", "submitted_at", "form", "winning_file", "batch_id"]][changed]
    return pd.DataFrame({
        "animator_id": latest["animator_id"], "given": given[changed], "answered_at": latest["submitted_at"],
        "recorded_at": now, "form_version": latest["form"].replace("", "formulaire") + " — " + latest["winning_file"],
        "batch_id": latest["batch_id"],
    })


def _log_demo_validation(conn: Connection, records: pd.DataFrame, now: datetime) -> None:
    insert_frame(conn, moderation_events, pd.DataFrame({
        "animator_id": records["animator_id"], "theme": records["theme"], "place_id": records["place_id"],
        "status": VALIDATED, "reason": "publiées d'office", "actor": DEMO_ACTOR, "at": now,
    }))


def _flag_absences(conn: Connection, every_record: pd.DataFrame, form: str) -> int:
    """Flag the referencings of ``form`` that this full export no longer contains; return how many."""
    present = {(a, t) for a, t in zip(every_record["animator_id"], every_record["theme"])}
    stored = conn.execute(sa.select(referencings.c.animator_id, referencings.c.theme).where(
        referencings.c.form == form, referencings.c.absent_from_last_export.is_(False))).all()
    missing = [{"a": a, "t": t} for a, t in stored if (a, t) not in present]
    if missing:
        conn.execute(
            referencings.update()
            .where(referencings.c.animator_id == sa.bindparam("a"), referencings.c.theme == sa.bindparam("t"))
            .values(absent_from_last_export=True),
            missing,
        )
    return len(missing)


def _close_places(conn: Connection, every_record: pd.DataFrame, form: str, now: datetime) -> int:
    """Close the links of ``form`` this full export no longer lists, for the persons it still lists; return how many.

    A person the export does not list at all keeps their places: their referencings are flagged
    « absent du dernier export » (:func:`_flag_absences`), which unpublishes them everywhere.
    """
    present = set(zip(every_record["animator_id"], every_record["place_id"]))
    persons = set(every_record["animator_id"])
    stored = conn.execute(sa.select(animator_places.c.animator_id, animator_places.c.place_id).where(
        animator_places.c.form == form, animator_places.c.until.is_(None))).all()
    closing = [{"a": a, "p": p} for a, p in stored if a in persons and (a, p) not in present]
    if closing:
        conn.execute(animator_places.update().where(animator_places.c.animator_id == sa.bindparam("a"),
                                                    animator_places.c.place_id == sa.bindparam("p"))
                     .values(until=now), closing)
    return len(closing)


def retention_cutoff(months: int | None = None) -> datetime:
    """The oldest re-confirmation date still published: now minus the retention period.

    ``months`` defaults to the setting ``CARTE_RETENTION_MONTHS`` (:func:`loaders.settings.retention_months`).
    """
    months = settings.retention_months() if months is None else months
    return (pd.Timestamp(_now()) - pd.DateOffset(months=months)).to_pydatetime()


def confirmed_at() -> sa.ColumnElement:
    """When a referencing was last confirmed: its latest form answer, else its first import."""
    return sa.func.coalesce(referencings.c.submitted_at, referencings.c.first_imported_at)


def published_clause() -> sa.ColumnElement[bool]:
    """What the public may see, the one definition of every read (of referencings joined with links).

    A referencing at a place is published when the referencing (the person and their training) is
    validated by a moderator, present in its form's last export and re-confirmed within the retention
    period (:func:`retention_cutoff`; records of demonstration imports are exempt: the bundled demo
    export is old on purpose), and when the link to the place is validated too and still active (no
    full export closed it).
    """
    demo_batches = sa.select(import_batches.c.batch_id).where(import_batches.c.is_demo)
    return sa.and_(referencings.c.moderation_status == VALIDATED,
                   referencings.c.absent_from_last_export.is_(False),
                   sa.or_(confirmed_at() >= retention_cutoff(), referencings.c.batch_id.in_(demo_batches)),
                   animator_places.c.moderation_status == VALIDATED,
                   animator_places.c.until.is_(None))


def moderation_status_clause() -> sa.ColumnElement[str]:
    """The verdict of a referencing at a place: refused if either is, else « à vérifier » if either is."""
    either = (referencings.c.moderation_status, animator_places.c.moderation_status)
    return sa.case((sa.or_(*(status == REFUSED for status in either)), REFUSED),
                   (sa.or_(*(status == PENDING for status in either)), PENDING), else_=VALIDATED)


def _with_places(statement: sa.Select, *, closed: bool = False) -> sa.Select:
    """``statement`` (from animators and referencings) joined with each animator's places (active ones)."""
    statement = (statement.join(animator_places, animator_places.c.animator_id == animators.c.animator_id)
                 .join(places, places.c.place_id == animator_places.c.place_id))
    return statement if closed else statement.where(animator_places.c.until.is_(None))


def not_erased() -> sa.ColumnElement[bool]:
    """The animator did not ask to be erased: erased persons vanish from every read at once."""
    return animators.c.animator_id.not_in(sa.select(erasures.c.animator_id))


READ_REFERENCING_COLUMNS: tuple[str, ...] = (
    "theme", "training_status", "training_date", "training_body", "submission_id", "source_file", "source_rows",
    "form", "absent_from_last_export", "first_submitted_at", "first_imported_at", "trained_seen_at",
)


def read_animators(engine: Engine, *, scope: Scope, personal: bool = False, published_only: bool = False,
                   closed_places: bool = False) -> pd.DataFrame:
    """One row per (animator, theme, active place): the person, their training and the place.

    Columns: the person's (``animator_id``, names, e-mail, phone, ``is_conum``, ``public_consent``,
    ``submitted_at``, ``batch_id``), the place's (``place_id``, ``structure``, ``structure_type``,
    ``address``, ``postcode``, ``city``, ``insee_code``, ``commune``, ``arrondissement_code``,
    ``epci_code``, ``epci``, ``departement_code``, ``region_code``, ``lat``, ``lon``,
    ``geocode_precision``, ``geocode_note``, ``mobility``), the referencing's (:data:`READ_REFERENCING_COLUMNS`),
    the link's (``place_since``, ``place_until``, ``place_source_file``, ``place_source_rows``), the
    verdicts (``theme_moderation_status``/``_reason`` of the referencing, ``place_moderation_status``/
    ``_reason`` of the link, and ``moderation_status``/``moderation_reason`` of both together, see
    :func:`moderation_status_clause`) and ``published`` (:func:`published_clause`).

    Personal columns (names, e-mail, phone, address) are only returned with ``personal=True``;
    with ``published_only`` only published rows are returned. A hub sees a person through their
    places in ``scope``, and only those places; erased persons never. Places closed by a full
    export (``until``) are read only with ``closed_places``.
    """
    hidden = set(PERSONAL_FIELDS)
    published = published_clause()
    place_reason = sa.case((animator_places.c.moderation_status == REFUSED, animator_places.c.moderation_reason),
                           else_=referencings.c.moderation_reason)
    statement = sa.select(
        *[c for c in animators.columns if personal or c.name not in hidden],
        places.c.place_id,
        *[c for c in places.columns if c.name not in ("place_id", "submitted_at", "batch_id")
          and (personal or c.name not in hidden)],
        *[referencings.c[name] for name in READ_REFERENCING_COLUMNS],
        moderation_status_clause().label("moderation_status"), place_reason.label("moderation_reason"),
        referencings.c.moderation_status.label("theme_moderation_status"),
        referencings.c.moderation_reason.label("theme_moderation_reason"),
        animator_places.c.moderation_status.label("place_moderation_status"),
        animator_places.c.moderation_reason.label("place_moderation_reason"),
        animator_places.c.since.label("place_since"), animator_places.c.until.label("place_until"),
        animator_places.c.source_file.label("place_source_file"),
        animator_places.c.source_rows.label("place_source_rows"),
        published.label("published"),
    ).join_from(animators, referencings, animators.c.animator_id == referencings.c.animator_id)
    statement = _with_places(statement, closed=closed_places).where(scope.clause(places), not_erased())
    if published_only:
        statement = statement.where(published)
    with engine.connect() as conn:
        rows = conn.execute(statement.order_by(animators.c.animator_id, referencings.c.theme,
                                               places.c.place_id)).all()
    # Rows as tuples: a frame built from one mapping per row costs a third more at 100,000 animators.
    return pd.DataFrame(rows, columns=list(statement.selected_columns.keys()))


def read_public_contacts(engine: Engine, animator_ids: Sequence[str]) -> pd.DataFrame:
    """Name, e-mail and phone of the given animators, for those published whose consent is recorded.

    Recorded consent: the person's latest ``consents`` row says yes and names its recording time,
    its form version and the batch that brought it. Indexed by ``animator_id``; ``name`` is the
    full name, else first and last names.
    """
    latest = consents.alias("latest")
    latest_id = (sa.select(sa.func.max(latest.c.consent_id))
                 .where(latest.c.animator_id == animators.c.animator_id).scalar_subquery())
    statement = (
        _with_places(sa.select(animators.c.animator_id, animators.c.full_name, animators.c.first_name,
                               animators.c.last_name, animators.c.email, animators.c.phone).distinct()
                     .join_from(animators, referencings, animators.c.animator_id == referencings.c.animator_id))
        .join(consents, consents.c.consent_id == latest_id)
        .where(animators.c.animator_id.in_(list(animator_ids)), animators.c.public_consent, published_clause(),
               not_erased(), consents.c.given, consents.c.recorded_at.is_not(None), consents.c.form_version != "",
               consents.c.batch_id.is_not(None))
    )
    with engine.connect() as conn:
        rows = pd.DataFrame(conn.execute(statement).mappings().all(),
                            columns=list(statement.selected_columns.keys()))
    given = (rows["first_name"].fillna("") + " " + rows["last_name"].fillna("")).str.strip()
    names = rows["full_name"].where(rows["full_name"].fillna("") != "", given)
    return pd.DataFrame({"name": names, "email": rows["email"], "phone": rows["phone"]}).set_index(
        rows["animator_id"])


def version(engine: Engine) -> tuple:
    """A cheap fingerprint of what the store publishes.

    It changes with every import, verdict, fix, withdrawal of consent (a ``consents`` row) or
    erasure, and with the retention cutoff, which moves each day.
    """
    with engine.connect() as conn:
        content = tuple(conn.execute(sa.select(
            sa.select(sa.func.max(import_batches.c.batch_id)).scalar_subquery(),
            sa.select(sa.func.max(moderation_events.c.event_id)).scalar_subquery(),
            sa.select(sa.func.max(consents.c.consent_id)).scalar_subquery(),
            sa.select(sa.func.count()).select_from(geocoding_fixes).scalar_subquery(),
            sa.select(sa.func.count()).select_from(erasures).scalar_subquery(),
        )).one())
    return (*content, retention_cutoff().date())


def read_batches(engine: Engine, *, scope: Scope) -> pd.DataFrame:
    """Import history, newest first: in a territory, the imports that last declared a place of it to someone.

    The whole history (``scope=FRANCE``) says nothing personal beyond file names and counts: it dates the
    last import and tells demo data on every page.
    """
    statement = sa.select(import_batches).order_by(import_batches.c.batch_id.desc())
    if scope != FRANCE:
        statement = statement.where(sa.exists(
            sa.select(animator_places.c.batch_id).join(places, places.c.place_id == animator_places.c.place_id)
            .where(animator_places.c.batch_id == import_batches.c.batch_id, scope.clause(places))))
    with engine.connect() as conn:
        rows = conn.execute(statement).mappings().all()
    return pd.DataFrame(rows, columns=[column.name for column in import_batches.columns])


def read_public(engine: Engine, *, personal: bool = False) -> pd.DataFrame:
    """The published records of all of France (see :func:`published_clause`)."""
    return read_animators(engine, scope=FRANCE, personal=personal, published_only=True)


@dataclass(frozen=True)
class Decision:
    """A moderator's verdict on one referencing, one place of a person, or both.

    With a ``theme`` the verdict is on the referencing (the person and their training in that
    theme); with a ``place_id`` on the person's link to that place; with both on both (a row of
    the moderation queue). ``theme=""`` judges the place alone.
    """

    animator_id: str
    theme: str
    status: str  # VALIDATED or REFUSED
    reason: str = ""
    place_id: str | None = None


def moderate(engine: Engine, decisions: Sequence[Decision], actor: str, *, scope: Scope) -> int:
    """Record verdicts (« validé » or « refusé », the latter with a reason); return how many decisions changed a row.

    ``scope`` is the moderator's territory, checked here and not only by the page: a verdict on a
    place needs that place in ``scope``, a verdict on a referencing (the person) one of the person's
    active places in ``scope`` (the person is seen through it).

    Raises
    ------
    ValueError
        A status other than validated/refused, a refusal without a reason, or a decision on nothing.
    OutOfScopeError
        A decision outside ``scope``: nothing is recorded.
    """
    for decision in decisions:
        if decision.status not in (VALIDATED, REFUSED):
            raise ValueError(f"unknown moderation status {decision.status!r}")
        if decision.status == REFUSED and not decision.reason.strip():
            raise ValueError("a refusal needs a reason")
        if not decision.theme and not decision.place_id:
            raise ValueError("a decision needs a theme, a place or both")
    now = _now()
    with _writing(engine) as conn:
        _check_in_scope(conn, decisions, scope)
        changed = 0
        for decision in decisions:
            verdict = {"moderation_status": decision.status, "moderation_reason": decision.reason.strip() or None}
            rows = 0
            if decision.theme:
                rows += conn.execute(
                    referencings.update().where(referencings.c.animator_id == decision.animator_id,
                                                referencings.c.theme == decision.theme).values(verdict)).rowcount
            if decision.place_id:
                rows += conn.execute(
                    animator_places.update().where(animator_places.c.animator_id == decision.animator_id,
                                                   animator_places.c.place_id == decision.place_id)
                    .values(verdict)).rowcount
            changed += rows > 0
        conn.execute(moderation_events.insert(), [
            {"animator_id": d.animator_id, "theme": d.theme, "place_id": d.place_id, "status": d.status,
             "reason": d.reason.strip() or None, "actor": actor, "at": now} for d in decisions])
    return changed


def _check_in_scope(conn: Connection, decisions: Sequence[Decision], scope: Scope) -> None:
    """Raise :class:`OutOfScopeError` unless every decision is on a place, or a person, of ``scope``."""
    if scope == FRANCE or not decisions:
        return
    persons = list({d.animator_id for d in decisions})
    reachable = {(person, place) for person, place in conn.execute(
        sa.select(animator_places.c.animator_id, animator_places.c.place_id)
        .join(places, places.c.place_id == animator_places.c.place_id)
        .where(animator_places.c.animator_id.in_(persons), animator_places.c.until.is_(None), scope.clause(places)))}
    seen = {person for person, _ in reachable}
    for decision in decisions:
        if (decision.place_id and (decision.animator_id, decision.place_id) not in reachable) or \
                decision.animator_id not in seen:
            raise OutOfScopeError(f"Cette fiche n'a pas de lieu dans votre périmètre ({scope.label}) : "
                                  "décision non enregistrée.")


def save_fix(engine: Engine, location_key: str, insee_code: str, description: str, agent: Agent) -> None:
    """Remember the commune of a rejected row's place, for every later import of that row.

    Checked here, not only by the page: the agent may edit, sees the row (:func:`read_rejected_rows`)
    and the commune is in their scope.

    Raises
    ------
    OutOfScopeError
        Any of these fails: nothing is recorded.
    """
    from geo.reference import load_reference

    communes = load_reference().communes
    if insee_code not in communes.index:
        raise ValueError(f"unknown commune {insee_code!r}")
    commune = communes.loc[insee_code]
    if not agent.may_edit or not agent.scope.contains(commune["departement_code"], commune["region_code"]):
        raise OutOfScopeError(f"Cette commune n'est pas dans votre périmètre ({agent.scope.label}) : "
                              "correction non enregistrée.")
    with _writing(engine) as conn:
        seen = _rejected_rows_statement(agent).where(row_outcomes.c.location_key == location_key).limit(1)
        if conn.execute(seen).first() is None:
            raise OutOfScopeError("Cette ligne rejetée ne fait pas partie de vos imports : correction non enregistrée.")
        statement = dialect_insert(conn, geocoding_fixes)
        values = {"location_key": location_key, "insee_code": insee_code, "description": description,
                  "actor": agent.email, "at": _now()}
        conn.execute(statement.on_conflict_do_update(
            index_elements=["location_key"], set_={k: statement.excluded[k] for k in values if k != "location_key"}),
            values)


def read_fixes(engine: Engine) -> pd.DataFrame:
    """Manual geocoding fixes, indexed by location key (``insee_code``, who and when)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(geocoding_fixes)).mappings().all()
    return pd.DataFrame(rows, columns=[c.name for c in geocoding_fixes.columns]).set_index("location_key")


def fix_map(engine: Engine) -> dict[str, str]:
    """The manual fixes as the loader takes them (:attr:`loaders.pipeline.LoadOptions.fixes`)."""
    return read_fixes(engine)["insee_code"].to_dict()


def read_rejected_rows(engine: Engine, agent: Agent) -> pd.DataFrame:
    """Rejected rows that a manual fix could place, with their file, not fixed yet.

    A rejected row has no place, hence no territory: an agent sees those of the files they imported,
    the national team every import's (:attr:`Agent.sees_every_import`).
    """
    statement = (_rejected_rows_statement(agent)
                 .outerjoin(geocoding_fixes, geocoding_fixes.c.location_key == row_outcomes.c.location_key)
                 .where(geocoding_fixes.c.location_key.is_(None))
                 .order_by(row_outcomes.c.batch_id, row_outcomes.c.source_row))
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(statement).mappings().all(),
                            columns=["file_name", "hub", "batch_id", "source_row", "reason", "location_key",
                                     "location_text"])


def _rejected_rows_statement(agent: Agent) -> sa.Select:
    """The rejected rows with a location that ``agent`` sees, fixed or not."""
    statement = (
        sa.select(import_batches.c.file_name, import_batches.c.hub, row_outcomes.c.batch_id,
                  row_outcomes.c.source_row, row_outcomes.c.reason, row_outcomes.c.location_key,
                  row_outcomes.c.location_text)
        .join_from(row_outcomes, import_batches, row_outcomes.c.batch_id == import_batches.c.batch_id)
        .where(row_outcomes.c.outcome == "rejected", row_outcomes.c.location_key.is_not(None))
    )
    if not agent.sees_every_import:
        statement = statement.where(import_batches.c.imported_by == agent.email)
    return statement


COPY_ORDER: tuple[sa.Table, ...] = (import_batches, animators, places, animator_places, referencings, row_outcomes, consents,
                                    moderation_events, geocoding_fixes, agents, access_log, erasures)
COPY_CHUNK = 50_000


def copy_store(source: Engine, target: Engine) -> dict[str, int]:
    """Copy every table of ``source`` into the empty store ``target``, in one transaction; return row counts.

    Raises
    ------
    ValueError
        When ``target`` already holds data.
    """
    counts: dict[str, int] = {}
    with source.connect() as reading, _writing(target) as writing:
        if writing.execute(sa.select(sa.func.count()).select_from(import_batches)).scalar_one():
            raise ValueError("la base de destination n'est pas vide")
        for table in COPY_ORDER:
            counts[table.name] = 0
            result = reading.execution_options(stream_results=True).execute(sa.select(table))
            for chunk in result.partitions(COPY_CHUNK):
                # Object columns: the values stay as read (no integer column turned into floats by a NULL).
                insert_frame(writing, table, pd.DataFrame(chunk, columns=list(result.keys()), dtype=object))
                counts[table.name] += len(chunk)
        if writing.dialect.name == "postgresql":
            _reset_sequences(writing)
    return counts


def _reset_sequences(conn: Connection) -> None:
    """After rows were copied with their ids, the next generated id must come after them."""
    for column in (import_batches.c.batch_id, consents.c.consent_id, moderation_events.c.event_id,
                   access_log.c.event_id):
        table = column.table.name
        conn.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column.name}'), "
            f"COALESCE((SELECT MAX({column.name}) FROM {table}), 0) + 1, false)"))
