"""Verdicts on referencings and places, manual geocoding fixes and the rejected rows they place, each
checked against the agent's territory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.vocabulary import REFUSED, VALIDATED
from store.access import FRANCE, Agent, OutOfScopeError, Scope
from store.bulk import dialect_insert
from store.database import _now, _writing
from store.schema import (
    animator_places,
    geocoding_fixes,
    import_batches,
    moderation_events,
    places,
    referencings,
    row_outcomes,
)

if TYPE_CHECKING:
    # Only for annotations: loaders.pipeline imports store.privacy, which imports this module.
    pass


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
