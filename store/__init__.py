"""The store: persistence, moderation, privacy and access (SQLAlchemy Core, SQLite or PostgreSQL).

The only package that talks to the database. The embedded default is SQLite in WAL mode in
:func:`core.settings.data_home`; ``DATABASE_URL`` (or ``--db``) points elsewhere, e.g.
``postgresql+psycopg://…`` for a store shared by several hubs and app replicas. :func:`connect`
applies the Alembic migrations of ``store/migrations``.

Each import is one transaction, serialised with the other imports (an advisory lock on PostgreSQL,
``BEGIN IMMEDIATE`` on SQLite), so concurrent imports end in the same state as the same imports one
after another. A file whose SHA-256 was already imported is skipped. Every read and write of personal
data takes the agent's territory (``scope`` or ``agent``, :mod:`store.access`).

Modules: :mod:`~store.database` (connecting, the writing transaction), :mod:`~store.schema` (tables),
:mod:`~store.fields` (which columns are whose), :mod:`~store.digests`, :mod:`~store.imports`,
:mod:`~store.reads`, :mod:`~store.moderation`, :mod:`~store.copying`, :mod:`~store.bulk` (fast writes),
:mod:`~store.access` (agents, scopes, access log), :mod:`~store.privacy` (withdrawal, erasure, purge,
retention), :mod:`~store.public_data` and :mod:`~store.publish` (the public finder's static
publication). The names below are the API the pages, the command line (:mod:`carte`) and the tests
use as ``store.<name>``.
"""

from store.copying import copy_store
from store.database import connect, database_url, upgrade
from store.fields import CHECKED_FIELDS, DEMO_ACTOR, ERASED_REASON, PERSONAL_FIELDS, WITHDRAWAL
from store.imports import SaveOutcome, save_import
from store.moderation import Decision, fix_map, moderate, read_fixes, read_rejected_rows, save_fix
from store.reads import (
    confirmed_at,
    moderation_status_clause,
    not_erased,
    published_clause,
    read_animators,
    read_batches,
    read_public,
    read_public_contacts,
    retention_cutoff,
    version,
)

__all__ = [
    "CHECKED_FIELDS", "DEMO_ACTOR", "ERASED_REASON", "PERSONAL_FIELDS", "WITHDRAWAL", "Decision", "SaveOutcome",
    "confirmed_at", "connect", "copy_store", "database_url", "fix_map", "moderate", "moderation_status_clause",
    "not_erased", "published_clause", "read_animators", "read_batches", "read_fixes", "read_public",
    "read_public_contacts", "read_rejected_rows", "retention_cutoff", "save_fix", "save_import", "upgrade", "version",
]
