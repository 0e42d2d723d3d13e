"""The embedded store of step 1: batches, animators, referencings, row outcomes.

Stores created before migrations existed have exactly these tables; they are stamped at
this revision and upgraded from there.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_batches",
        sa.Column("batch_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("file_name", sa.String, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("imported_at", sa.DateTime, nullable=False),
        sa.Column("theme", sa.String),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("accepted_rows", sa.Integer, nullable=False),
        sa.Column("rejected_rows", sa.Integer, nullable=False),
        sa.Column("is_demo", sa.Boolean, nullable=False),
        sa.Column("report", sa.Text, nullable=False),
    )
    op.create_table(
        "animators",
        sa.Column("animator_id", sa.String(32), primary_key=True),
        *[sa.Column(name, sa.String) for name in ("structure", "structure_type", "full_name", "first_name",
                                                   "last_name", "email", "phone", "address", "postcode", "city")],
        sa.Column("is_conum", sa.Boolean, nullable=False),
        sa.Column("public_consent", sa.Boolean, nullable=False),
        sa.Column("insee_code", sa.String(5), nullable=False, index=True),
        sa.Column("commune", sa.String, nullable=False),
        sa.Column("arrondissement_code", sa.String(5)),
        sa.Column("epci_code", sa.String(9), index=True),
        sa.Column("epci", sa.String),
        sa.Column("departement_code", sa.String(3), nullable=False, index=True),
        sa.Column("region_code", sa.String(2), nullable=False, index=True),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("geocode_precision", sa.String, nullable=False),
        sa.Column("geocode_note", sa.String),
        sa.Column("submitted_at", sa.DateTime),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("import_batches.batch_id"), nullable=False),
    )
    op.create_table(
        "referencings",
        sa.Column("animator_id", sa.String(32), sa.ForeignKey("animators.animator_id"), primary_key=True),
        sa.Column("theme", sa.String, primary_key=True),
        sa.Column("training_status", sa.String, nullable=False),
        sa.Column("training_date", sa.Date),
        sa.Column("training_body", sa.String),
        sa.Column("submission_id", sa.String),
        sa.Column("submitted_at", sa.DateTime),
        sa.Column("source_file", sa.String, nullable=False),
        sa.Column("source_rows", sa.String, nullable=False),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("import_batches.batch_id"), nullable=False),
    )
    op.create_table(
        "row_outcomes",
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("import_batches.batch_id"), primary_key=True),
        sa.Column("source_row", sa.Integer, primary_key=True),
        sa.Column("outcome", sa.String, nullable=False),
        sa.Column("reason", sa.String),
    )
