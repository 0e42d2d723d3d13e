"""Access control and privacy (step 5): agents' roles, who imported each batch, access log, erasures.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("import_batches") as batch:
        batch.add_column(sa.Column("imported_by", sa.String, nullable=False, server_default=""))
    op.create_table(
        "agents",
        sa.Column("email", sa.String, primary_key=True),
        sa.Column("role", sa.String, nullable=False),
        sa.Column("scope_level", sa.String, nullable=False),
        sa.Column("scope_code", sa.String, nullable=False, server_default=""),
        sa.Column("added_at", sa.DateTime, nullable=False),
        sa.Column("added_by", sa.String, nullable=False),
    )
    op.create_table(
        "access_log",
        sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime, nullable=False, index=True),
        sa.Column("actor", sa.String, nullable=False),
        sa.Column("role", sa.String, nullable=False),
        sa.Column("scope", sa.String, nullable=False),
        sa.Column("action", sa.String, nullable=False),
        sa.Column("page", sa.String, nullable=False),
        sa.Column("detail", sa.String, nullable=False, server_default=""),
    )
    op.create_table(
        "erasures",
        sa.Column("animator_id", sa.String(32), primary_key=True),
        sa.Column("requested_at", sa.DateTime, nullable=False),
        sa.Column("recorded_by", sa.String, nullable=False),
        sa.Column("reason", sa.String, nullable=False, server_default=""),
        sa.Column("purged_at", sa.DateTime),
    )


def downgrade() -> None:
    op.drop_table("erasures")
    op.drop_table("access_log")
    op.drop_table("agents")
    with op.batch_alter_table("import_batches") as batch:
        batch.drop_column("imported_by")
