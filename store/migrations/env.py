"""Alembic environment: migrations run on the connection given by :func:`store.connect`."""

from __future__ import annotations

from alembic import context

from store.schema import metadata

connection = context.config.attributes["connection"]
# SQLite cannot ALTER most things: batch mode rebuilds the table in one transaction.
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
