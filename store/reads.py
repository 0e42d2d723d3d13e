"""Reading the store: records (one per animator × theme × active place) in a scope, what is published,
consented contacts, the import history, the store's version.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.vocabulary import PENDING, REFUSED, VALIDATED
from loaders import settings
from store.access import FRANCE, Scope
from store.database import _now
from store.fields import PERSONAL_FIELDS
from store.schema import (
    animator_places,
    animators,
    consents,
    erasures,
    geocoding_fixes,
    import_batches,
    moderation_events,
    places,
    referencings,
)

if TYPE_CHECKING:
    # Only for annotations: loaders.pipeline imports store.privacy, which imports this module.
    pass


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
