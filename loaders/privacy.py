"""Privacy by design: home addresses, withdrawal of consent, erasure, purge and retention.

No Streamlit here: the command line (``python -m loaders privacy …``), the pages and the tests
call the same functions.

Rules (see docs/data-model.md)
------------------------------
* **Home addresses.** A row with no structure name, or whose structure (name or type) designates a
  private person (:data:`PRIVATE_PERSON`, compared folded: case, accents and punctuation aside),
  gives a home address. Its coordinates are replaced at import by the reference point of its
  commune (precision ``commune``, note :data:`HOME_NOTE`): the home point is never stored.
* **Withdrawal of consent** appends a ``consents`` row (no, form version
  :data:`loaders.store.WITHDRAWAL`, no batch) and clears ``animators.public_consent`` in the same
  transaction. A later import of an answer given before the withdrawal does not give consent
  again; an answer submitted after it may (:func:`loaders.store.save_import`).
* **Erasure** records a tombstone in ``erasures`` (the animator id, a digest: not the e-mail).
  Every read leaves the person out at once, and their rows in later imports are rejected.
* **Purge** deletes for good the animator row, referencings, consents and moderation events of
  the erased persons; the tombstone stays, with the purge date.
* **Retention**: a record not re-confirmed by a newer form answer within
  ``CARTE_RETENTION_MONTHS`` months (default 24) is unpublished
  (:func:`loaders.store.published_clause`); demonstration imports are exempt.

Withdrawals, erasures and purges are written to ``access_log`` too (action ``withdraw``,
``erase`` or ``purge``, page :data:`LOG_PAGE`; as detail the animator id, or the number of persons
purged).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.text import fold
from loaders import store
from loaders._errors import LoaderError
from loaders.access import FRANCE, OutOfScopeError, Scope, append_to_log
from loaders.geocoding import POINT_QUOTING_KINDS, Gazetteer
from loaders.places import NO_STRUCTURE
from loaders.schema import (
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

# Structure names or types, folded (core.text.fold), that designate a private person rather than an
# organisation. Whole values only: « Association d'aide à domicile » is an organisation.
PRIVATE_PERSON: frozenset[str] = frozenset({
    "particulier", "particuliere", "a domicile", "domicile", "mon domicile", "personne physique",
    "independant", "independante", "independant e", "independant es", "travailleur independant",
    "travailleuse independante", "auto entrepreneur", "auto entrepreneuse", "micro entrepreneur",
    "micro entrepreneuse", "benevole independant", "a titre personnel", "a titre individuel",
})
HOME_NOTE = "adresse personnelle : placée au point de référence de la commune, pas aux coordonnées données"
HIDDEN_POINT = "(non conservées : adresse personnelle)"
LOG_PAGE = "privacy"


class UnknownPersonError(LoaderError):
    """The store holds no (or no longer any) person with that e-mail or identifier."""


# --- Home addresses (called by the loader) ---------------------------------------------------


def is_home_address(structure: pd.Series, structure_type: pd.Series) -> np.ndarray:
    """Whether each row's address is a private person's home.

    Parameters
    ----------
    structure, structure_type
        The structure's name and type as written (``""`` when empty), aligned.

    Returns
    -------
    numpy.ndarray
        Booleans: no structure name, or a name or type in :data:`PRIVATE_PERSON`.

    Examples
    --------
    >>> is_home_address(pd.Series(["", "Médiathèque", "Particulier", "Médiathèque"]),
    ...                 pd.Series(["", "", "", "Indépendant·e"])).tolist()
    [True, False, True, True]
    """
    no_structure = _folded(structure).isin(NO_STRUCTURE | PRIVATE_PERSON).to_numpy()
    return no_structure | _folded(structure_type).isin(PRIVATE_PERSON).to_numpy()


def _folded(values: pd.Series) -> pd.Series:
    """Each value folded, computed once per distinct value."""
    positions, distinct = pd.factorize(values.fillna("").to_numpy(dtype=object))
    return pd.Series(np.array([fold(str(value)) for value in distinct.tolist()], dtype=object)[positions],
                     index=values.index, dtype=object)


def homes_at_commune_point(canonical: pd.DataFrame, located: pd.DataFrame, gazetteer: Gazetteer) -> pd.DataFrame:
    """Keep no home point: home rows placed at given coordinates move to their commune's reference point.

    Parameters
    ----------
    canonical
        The rows' canonical fields (``structure``, ``structure_type``).
    located
        The geocoder's verdict of the same rows (:func:`loaders.geocoding.geocode`).
    gazetteer
        The reference geography.

    Returns
    -------
    pandas.DataFrame
        ``located`` where home rows with precision ``coordinates`` get the commune's point,
        precision ``commune`` and :data:`HOME_NOTE` appended to their note; coordinates quoted in
        the note of a home row (ignored: their kind is one of
        :data:`loaders.geocoding.POINT_QUOTING_KINDS`) are replaced by :data:`HIDDEN_POINT`.
    """
    home = is_home_address(canonical["structure"], canonical["structure_type"])
    if not home.any():
        return located
    located = located.copy()
    quoting = home & located["coordinates_kind"].isin(POINT_QUOTING_KINDS).to_numpy()
    if quoting.any():
        _hide_quoted_points(located, quoting)
    moved = home & (located["geocode_precision"] == "coordinates").to_numpy()
    if moved.any():
        _at_commune_point(located, moved, gazetteer)
    return located


def _hide_quoted_points(located: pd.DataFrame, rows: np.ndarray) -> None:
    """Replace (in place) the point that the note of each of ``rows`` quotes by :data:`HIDDEN_POINT`."""
    notes, points = (located.loc[rows, name].tolist() for name in ("geocode_note", "quoted_point"))
    located.loc[rows, "geocode_note"] = [note.replace(point, HIDDEN_POINT) for note, point in zip(notes, points)]


def _at_commune_point(located: pd.DataFrame, rows: np.ndarray, gazetteer: Gazetteer) -> None:
    """Place ``rows`` of ``located`` (in place) at their commune's reference point, saying why."""
    points = [gazetteer.point_of[code] for code in located.loc[rows, "insee_code"].tolist()]
    located.loc[rows, "lon"] = [lon for lon, _ in points]
    located.loc[rows, "lat"] = [lat for _, lat in points]
    located.loc[rows, "geocode_precision"] = "commune"
    notes = located.loc[rows, "geocode_note"]
    located.loc[rows, "geocode_note"] = notes.where(notes == "", notes + " ; ") + HOME_NOTE


# --- Who ------------------------------------------------------------------------------------


def person_id(key: str) -> str:
    """The stable id of a person from what identifies them (``email:…``, ``submission:…`` or ``person:…``).

    A digest, so that the id (kept in an erasure's tombstone) does not reveal the e-mail.
    """
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def animator_id_of(who: str) -> str:
    """The animator id of an e-mail address, or ``who`` itself when it is already an id.

    The loader identifies a person with an e-mail by ``email:<address>`` (:func:`loaders.pipeline._animator_ids`).

    Examples
    --------
    >>> animator_id_of("  Ana@Exemple.fr ") == animator_id_of("ana@exemple.fr")
    True
    >>> animator_id_of("0123456789ABCDEF")
    '0123456789abcdef'
    """
    text = who.strip()
    if "@" in text:
        return person_id(f"email:{text.casefold()}")
    return text.lower()


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


# --- Withdrawal, erasure, purge ---------------------------------------------------------------


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
    with store._writing(engine) as conn:
        animator_id = _known_animator(conn, who, scope)
        now = store._now()
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
    with store._writing(engine) as conn:
        animator_id = _known_animator(conn, who, scope)
        now = store._now()
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
    with store._writing(engine) as conn:
        log_cutoff = pd.Timestamp(store._now()) - pd.DateOffset(months=ACCESS_LOG_MONTHS)
        expired = conn.execute(access_log.delete().where(access_log.c.at < log_cutoff.to_pydatetime())).rowcount
        pending = sa.select(erasures.c.animator_id).where(erasures.c.purged_at.is_(None))
        counts = {table.name: conn.execute(table.delete().where(table.c.animator_id.in_(pending))).rowcount
                  for table in PURGED_TABLES}
        counts[places.name] = conn.execute(
            places.delete().where(places.c.place_id.not_in(sa.select(animator_places.c.place_id)))).rowcount
        now = store._now()
        counts["erasures"] = conn.execute(
            erasures.update().where(erasures.c.purged_at.is_(None)).values(purged_at=now)).rowcount
        if counts["erasures"]:
            _log(conn, recorded_by, "purge", f"{counts['erasures']} personne(s)", now)
    return counts | {"access_log": expired}


# --- Retention --------------------------------------------------------------------------------


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
