"""Copying a whole store into an empty one (``migrate-store``: SQLite to PostgreSQL).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from store.bulk import insert_frame
from store.database import _writing
from store.schema import (
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
    # Only for annotations: loaders.pipeline imports store.privacy, which imports this module.
    pass


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
