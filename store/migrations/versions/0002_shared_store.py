"""Shared store of step 4: hubs and forms, moderation, absences, consents, geocoding fixes.

Existing referencings keep being published: they are marked validated by this migration
(« reprise de l'existant »), since they were public before moderation existed.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("import_batches") as batch:
        batch.add_column(sa.Column("hub", sa.String, nullable=False, server_default=""))
        batch.add_column(sa.Column("form", sa.String, nullable=False, server_default=""))
        batch.add_column(sa.Column("is_full_export", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("merged_rows", sa.Integer, nullable=False, server_default="0"))
    with op.batch_alter_table("referencings") as batch:
        batch.add_column(sa.Column("form", sa.String, nullable=False, server_default=""))
        batch.add_column(sa.Column("content_hash", sa.String(32), nullable=False, server_default=""))
        batch.add_column(sa.Column("moderation_status", sa.String, nullable=False, server_default="pending"))
        batch.add_column(sa.Column("moderation_reason", sa.String))
        batch.add_column(sa.Column("absent_from_last_export", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("first_submitted_at", sa.DateTime))
        batch.add_column(sa.Column("first_imported_at", sa.DateTime))
        batch.add_column(sa.Column("trained_seen_at", sa.DateTime))
        batch.create_index("ix_referencings_moderation_status", ["moderation_status"])
    with op.batch_alter_table("row_outcomes") as batch:
        batch.add_column(sa.Column("location_key", sa.String(32)))
        batch.add_column(sa.Column("location_text", sa.String))
    op.execute(
        "UPDATE referencings SET moderation_status = 'validated', moderation_reason = 'reprise de l''existant', "
        "first_submitted_at = submitted_at, "
        "first_imported_at = (SELECT imported_at FROM import_batches b WHERE b.batch_id = referencings.batch_id)"
    )
    op.execute(
        "UPDATE referencings SET trained_seen_at = first_imported_at WHERE training_status = 'trained'"
    )
    op.create_table(
        "consents",
        sa.Column("consent_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("animator_id", sa.String(32), sa.ForeignKey("animators.animator_id"), nullable=False,
                  index=True),
        sa.Column("given", sa.Boolean, nullable=False),
        sa.Column("answered_at", sa.DateTime),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("form_version", sa.String, nullable=False),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("import_batches.batch_id")),
    )
    op.execute(
        "INSERT INTO consents (animator_id, given, answered_at, recorded_at, form_version, batch_id) "
        "SELECT a.animator_id, a.public_consent, a.submitted_at, b.imported_at, b.file_name, a.batch_id "
        "FROM animators a JOIN import_batches b ON b.batch_id = a.batch_id"
    )
    op.create_table(
        "moderation_events",
        sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("animator_id", sa.String(32), nullable=False, index=True),
        sa.Column("theme", sa.String, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("reason", sa.String),
        sa.Column("actor", sa.String, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "geocoding_fixes",
        sa.Column("location_key", sa.String(32), primary_key=True),
        sa.Column("insee_code", sa.String(5), nullable=False),
        sa.Column("description", sa.String, nullable=False),
        sa.Column("actor", sa.String, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
