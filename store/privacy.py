"""Privacy by design in the store: withdrawal of consent, erasure, purge and retention.

No Streamlit here: the command line (``python -m carte privacy …``), the pages and the tests
call the same functions.

Rules (see docs/data-model.md)
------------------------------
* **Home addresses** are never stored (:mod:`loaders.people`, applied by the loader).
* **Withdrawal of consent** appends a ``consents`` row (no, form version
  :data:`store.WITHDRAWAL`, no batch) and clears ``animators.public_consent`` in the same
  transaction. A later import of an answer given before the withdrawal does not give consent
  again; an answer submitted after it may (:func:`store.save_import`).
* **Erasure** records a tombstone in ``erasures`` (the animator id, a digest: not the e-mail).
  Every read leaves the person out at once, and their rows in later imports are rejected.
* **Purge** deletes for good the animator row, referencings, consents and moderation events of
  the erased persons; the tombstone stays, with the purge date.
* **Retention**: a record not re-confirmed by a newer form answer within
  ``CARTE_RETENTION_MONTHS`` months (default 24) is unpublished
  (:func:`store.published_clause`); demonstration imports are exempt.

Withdrawals, erasures and purges are written to ``access_log`` too (action ``withdraw``,
``erase`` or ``purge``, page :data:`LOG_PAGE`; as detail the animator id, or the number of persons
purged).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

import store
from loaders._errors import LoaderError
from loaders.people import animator_id_of
from store.access import FRANCE, OutOfScopeError, Scope, append_to_log
from store.schema import (
    access_log,
    animator_places,
    animators,
    consents,
    erasures,
    import_batches,
    moderation_events,
    places,
    referencings,
)

LOG_PAGE = "privacy"


class UnknownPersonError(LoaderError):
    """The store holds no (or no longer any) person with that e-mail or identifier."""


def _known_animator(conn: Connection, who: str, scope: Scope) -> str:
    """The id of a person of the store not erased, with a place in ``scope``.

    :class:`UnknownPersonError` for someone unknown or erased, :class:`OutOfScopeError` for someone
    whose places are all outside ``scope``.
    """
    animator_id = animator_id_of(who)
    erased_on = conn.execute(sa.select(erasures.c.requested_at).where(erasures.c.animator_id == animator_id)).scalar()
    if erased_on is not None:
        raise UnknownPersonError(f"« {who} » a été effacé·e à sa demande le {erased_on:%d/%m/%Y}.")
    if conn.execute(sa.select(animators.c.animator_id).where(animators.c.animator_id == animator_id)).first() is None:
        raise UnknownPersonError(f"Aucune personne « {who} » dans la base (adresse e-mail ou identifiant).")
    in_scope = (sa.select(animator_places.c.place_id).join(places, places.c.place_id == animator_places.c.place_id)
                .where(animator_places.c.animator_id == animator_id, scope.clause(places)).limit(1))
    if scope != FRANCE and conn.execute(in_scope).first() is None:
        raise OutOfScopeError(f"Cette personne n'a pas de lieu dans votre périmètre ({scope.label}) : "
                              "demande non enregistrée.")
    return animator_id


def _log(conn: Connection, actor: str, action: str, detail: str, at: datetime) -> None:
    append_to_log(conn, actor=actor, action=action, page=LOG_PAGE, detail=detail, at=at)


def withdraw_consent(engine: Engine, who: str, recorded_by: str, *, scope: Scope) -> str:
    """Record that a person withdraws their consent to publish their name and contact.

    Parameters
    ----------
    who
        Their e-mail address or animator id.
    recorded_by
        Who records the request (kept in the access log).
    scope
        The territory of the agent who records it: one of the person's places must be in it.

    Returns
    -------
    str
        The person's animator id.

    Raises
    ------
    UnknownPersonError
        Nobody in the store has that e-mail or id, or the person was erased.
    OutOfScopeError
        None of the person's places is in ``scope``: nothing is recorded.
    """
    with store.database._writing(engine) as conn:
        animator_id = _known_animator(conn, who, scope)
        now = store.database._now()
        conn.execute(consents.insert(), [{"animator_id": animator_id, "given": False, "answered_at": now,
                                          "recorded_at": now, "form_version": store.WITHDRAWAL, "batch_id": None}])
        conn.execute(animators.update().where(animators.c.animator_id == animator_id).values(public_consent=False))
        _log(conn, recorded_by, "withdraw", animator_id, now)
    return animator_id


def erase(engine: Engine, who: str, recorded_by: str, reason: str = "", *, scope: Scope) -> str:
    """Erase a person at their request: they vanish from every read at once (purge deletes their data).

    Parameters
    ----------
    who
        Their e-mail address or animator id.
    recorded_by
        Who records the request.
    reason
        Why, in a few words without personal data (the tombstone keeps it after the purge).
    scope
        The territory of the agent who records it: one of the person's places must be in it (the
        erasure then removes the person from every place).

    Returns
    -------
    str
        The person's animator id.

    Raises
    ------
    UnknownPersonError
        Nobody in the store has that e-mail or id, or the person was already erased.
    OutOfScopeError
        None of the person's places is in ``scope``: nothing is recorded.
    """
    with store.database._writing(engine) as conn:
        animator_id = _known_animator(conn, who, scope)
        now = store.database._now()
        conn.execute(erasures.insert(), [{"animator_id": animator_id, "requested_at": now,
                                          "recorded_by": recorded_by, "reason": reason.strip()}])
        _log(conn, recorded_by, "erase", animator_id, now)
    return animator_id


PURGED_TABLES: tuple[sa.Table, ...] = (consents, moderation_events, referencings, animator_places, animators)
ACCESS_LOG_MONTHS = 12
"""How long the access log of the pilot pages is kept (stated on the « Données personnelles » page)."""


def purge(engine: Engine, recorded_by: str = "") -> dict[str, int]:
    """Delete for good the personal data of the persons erased and not purged yet, and old access-log lines.

    Their animator row, referencings, links to places, consents and moderation events are deleted,
    then every place nobody works at any more; their tombstone stays, with ``purged_at``. Row outcomes and import reports hold no personal value of an
    accepted row (only its file, row number and verdict), so they stay as they are. Lines of the
    access log older than :data:`ACCESS_LOG_MONTHS` are deleted too (they name agents).

    Returns
    -------
    dict
        Rows deleted per table (``places``: places left without anyone), ``erasures``: how many persons
        were purged, and ``access_log``.
    """
    with store.database._writing(engine) as conn:
        log_cutoff = pd.Timestamp(store.database._now()) - pd.DateOffset(months=ACCESS_LOG_MONTHS)
        expired = conn.execute(access_log.delete().where(access_log.c.at < log_cutoff.to_pydatetime())).rowcount
        pending = sa.select(erasures.c.animator_id).where(erasures.c.purged_at.is_(None))
        counts = {table.name: conn.execute(table.delete().where(table.c.animator_id.in_(pending))).rowcount
                  for table in PURGED_TABLES}
        counts[places.name] = conn.execute(
            places.delete().where(places.c.place_id.not_in(sa.select(animator_places.c.place_id)))).rowcount
        now = store.database._now()
        counts["erasures"] = conn.execute(
            erasures.update().where(erasures.c.purged_at.is_(None)).values(purged_at=now)).rowcount
        if counts["erasures"]:
            _log(conn, recorded_by, "purge", f"{counts['erasures']} personne(s)", now)
    return counts | {"access_log": expired}


OVERDUE_COLUMNS: tuple[str, ...] = ("animator_id", "theme", "place_id", "form", "departement_code", "commune",
                                    "confirmed_at", "moderation_status")


def retention_overdue(engine: Engine, months: int | None = None) -> pd.DataFrame:
    """Records not re-confirmed within the retention period, which the public no longer sees.

    Parameters
    ----------
    months
        The retention period; ``CARTE_RETENTION_MONTHS`` (default 24) when omitted.

    Returns
    -------
    pandas.DataFrame
        :data:`OVERDUE_COLUMNS` (no personal data), one row per active place of the person, oldest
        confirmation first. Records of demonstration imports and of erased persons are left out.
    """
    demo_batches = sa.select(import_batches.c.batch_id).where(import_batches.c.is_demo)
    confirmed = store.confirmed_at()
    statement = (
        sa.select(referencings.c.animator_id, referencings.c.theme, places.c.place_id, referencings.c.form,
                  places.c.departement_code, places.c.commune, confirmed.label("confirmed_at"),
                  referencings.c.moderation_status)
        .join_from(referencings, animators, animators.c.animator_id == referencings.c.animator_id)
        .join(animator_places, sa.and_(animator_places.c.animator_id == animators.c.animator_id,
                                       animator_places.c.until.is_(None)))
        .join(places, places.c.place_id == animator_places.c.place_id)
        .where(sa.or_(confirmed.is_(None), confirmed < store.retention_cutoff(months)),
               referencings.c.batch_id.not_in(demo_batches), store.not_erased())
        .order_by(confirmed, referencings.c.animator_id, referencings.c.theme, places.c.place_id)
    )
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(statement).mappings().all(), columns=list(OVERDUE_COLUMNS))
