"""Who may open the pilot pages, on which territory, and what they looked at.

Agents are public servants signed in through OpenID Connect (ProConnect). The store maps their
e-mail to a role (``prefecture``, ``hub``, ``national``) and a scope: one département, one région,
or all of France. :class:`Scope` is the one place where a scope turns into a filter, used by every
read of the pilot pages (maps, tables and exports alike), so that no URL parameter can widen it.

Every view of personal data and every export is appended to ``access_log``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from loaders._errors import ConfigurationError
from store.schema import ROLES, SCOPE_LEVELS, access_log, agents, places

ROLE_LABELS: dict[str, str] = {"prefecture": "préfecture", "hub": "hub", "national": "équipe nationale"}
NATIONAL = "national"
# Importing files and moderating records change what the public sees: hubs and the national team only.
EDITING_ROLES: frozenset[str] = frozenset({"hub", NATIONAL})


@dataclass(frozen=True)
class Scope:
    """A territory an agent may see: ``france``, a ``region`` (code ``53``) or a ``departement`` (``35``)."""

    level: str = "france"
    code: str = ""

    def __post_init__(self) -> None:
        if self.level not in SCOPE_LEVELS:
            raise ConfigurationError(f"Périmètre inconnu : « {self.level} » (attendu : {', '.join(SCOPE_LEVELS)}).")
        if (self.level == "france") != (self.code == ""):
            raise ConfigurationError("Un périmètre « region » ou « departement » a besoin d'un code, "
                                     "« france » n'en prend pas.")

    @classmethod
    def parse(cls, text: str) -> Scope:
        """Read ``france``, ``region:53`` or ``departement:35`` (as the command line writes them)."""
        level, _, code = text.strip().partition(":")
        return cls(level.strip().lower(), code.strip().upper())

    def __str__(self) -> str:
        return self.level if self.level == "france" else f"{self.level}:{self.code}"

    @property
    def label(self) -> str:
        """French description: « France entière », « région 53 », « département 35 »."""
        return {"france": "France entière", "region": f"région {self.code}",
                "departement": f"département {self.code}"}[self.level]

    def clause(self, table: sa.Table = places) -> sa.ColumnElement[bool]:
        """SQL condition keeping the rows of ``table`` (with ``region_code``, ``departement_code``) in scope.

        Applied to places: a hub sees a person through any of their places in its territory, and
        only those places.
        """
        if self.level == "france":
            return sa.true()
        return table.c[f"{self.level}_code"] == self.code

    def contains(self, departement_code: str, region_code: str) -> bool:
        """Whether a commune of that département and région is in scope."""
        return self.level == "france" or {"region": region_code, "departement": departement_code}[self.level] == self.code

    def mask(self, frame: pd.DataFrame) -> pd.Series:
        """Rows of ``frame`` (with ``region_code`` and ``departement_code`` columns) in scope."""
        if self.level == "france":
            return pd.Series(True, index=frame.index)
        return frame[f"{self.level}_code"] == self.code


FRANCE = Scope()


class OutOfScopeError(PermissionError):
    """A write on personal data outside the agent's territory (the message is French, for people)."""


@dataclass(frozen=True)
class Agent:
    """A signed-in agent with a role in the store."""

    email: str
    role: str
    scope: Scope

    @property
    def may_edit(self) -> bool:
        """May import files and moderate records."""
        return self.role in EDITING_ROLES

    @property
    def sees_every_import(self) -> bool:
        """Sees the rows of every hub's files (the national team), not only of the files they imported."""
        return self.role == NATIONAL


def check_agent(role: str, scope: Scope, departements: Collection[str], regions: Collection[str]) -> None:
    """Refuse a role or scope that does not exist or does not fit.

    Raises
    ------
    ConfigurationError
        With a French message: unknown role, unknown territory code, or a national role on less
        than France.
    """
    if role not in ROLES:
        raise ConfigurationError(f"Rôle inconnu : « {role} » (attendu : {', '.join(ROLES)}).")
    if role == "national" and scope != FRANCE:
        raise ConfigurationError("Le rôle « national » porte sur la France entière (périmètre « france »).")
    known = {"region": regions, "departement": departements}.get(scope.level)
    if known is not None and scope.code not in known:
        raise ConfigurationError(f"Code inconnu pour le périmètre {scope.level} : « {scope.code} ».")


def normalise_email(email: str) -> str:
    """E-mail addresses compare case-insensitively (ProConnect may send any case)."""
    return email.strip().lower()


def add_agent(engine: Engine, email: str, role: str, scope: Scope, added_by: str) -> None:
    """Give ``email`` a role and a scope, replacing any previous ones."""
    row = {"email": normalise_email(email), "role": role, "scope_level": scope.level, "scope_code": scope.code,
           "added_at": _now(), "added_by": added_by}
    with engine.begin() as conn:
        conn.execute(agents.delete().where(agents.c.email == row["email"]))
        conn.execute(agents.insert(), [row])


def remove_agent(engine: Engine, email: str) -> bool:
    """Withdraw an agent's access; ``False`` if the e-mail had none."""
    with engine.begin() as conn:
        return conn.execute(agents.delete().where(agents.c.email == normalise_email(email))).rowcount > 0


def read_agents(engine: Engine) -> pd.DataFrame:
    """Every agent with a role, by e-mail."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(agents).order_by(agents.c.email)).mappings().all()
    return pd.DataFrame(rows, columns=[c.name for c in agents.columns])


def find_agent(engine: Engine, email: str) -> Agent | None:
    """The agent signed in with ``email``, or ``None`` when the store gives that e-mail no role."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(agents).where(agents.c.email == normalise_email(email))).mappings().first()
    if row is None:
        return None
    return Agent(row["email"], row["role"], Scope(row["scope_level"], row["scope_code"]))


def log_access(engine: Engine, agent: Agent, action: str, page: str, detail: str = "") -> None:
    """Append one line to the access log: who, when, on which scope, did what."""
    with engine.begin() as conn:
        append_to_log(conn, actor=agent.email, role=agent.role, scope=str(agent.scope), action=action, page=page,
                      detail=detail)


def append_to_log(conn: Connection, *, actor: str, action: str, page: str, detail: str = "", role: str = "",
                  scope: str = "", at: datetime | None = None) -> None:
    """Append one line to the access log within the caller's transaction (the one writer of ``access_log``)."""
    conn.execute(access_log.insert(), [{"at": at or _now(), "actor": actor, "role": role, "scope": scope,
                                        "action": action, "page": page, "detail": detail}])


def read_access_log(engine: Engine, limit: int = 1_000) -> pd.DataFrame:
    """The latest lines of the access log, newest first."""
    statement = sa.select(access_log).order_by(access_log.c.event_id.desc()).limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(statement).mappings().all()
    return pd.DataFrame(rows, columns=[c.name for c in access_log.columns])


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
