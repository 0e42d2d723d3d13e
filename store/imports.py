"""Saving an import: batches, persons, places, links, referencings, consents and row outcomes in one
transaction; closing the places that a full export no longer lists.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.vocabulary import PENDING, VALIDATED
from loaders.outcomes import RowOutcome, kept_rows, source_rows, stored_outcomes
from store.bulk import insert_frame
from store.database import _now, _writing
from store.digests import _content_hashes, _convert_legacy_digests
from store.fields import (
    ANIMATOR_FIELDS,
    DEMO_ACTOR,
    ERASED_REASON,
    LINK_FIELDS,
    PERSON_CHECKED_FIELDS,
    PLACE_CHECKED_FIELDS,
    PLACE_FIELDS,
    REFERENCING_FIELDS,
    WITHDRAWAL,
)
from store.schema import (
    animator_places,
    animators,
    consents,
    erasures,
    import_batches,
    moderation_events,
    places,
    referencings,
    row_outcomes,
)

if TYPE_CHECKING:
    # Only for annotations: loaders.pipeline imports store.privacy, which imports this module.
    from loaders.pipeline import FileReport, ImportResult


# The tables an import writes in bulk (see _foreign_keys_checked_at_the_end).
IMPORTED_TABLES: tuple[sa.Table, ...] = (animators, places, animator_places, referencings, consents, row_outcomes)


@dataclass(frozen=True)
class SaveOutcome:
    """Which files were imported and which were skipped as already imported."""

    imported: tuple[str, ...]
    already_imported: tuple[str, ...]
    marked_absent: int = 0
    erased_rows: int = 0  # rows of persons erased at their request, rejected (see ERASED_REASON)
    closed_places: int = 0  # places of persons of a full export that no longer lists them (``until`` set)


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
