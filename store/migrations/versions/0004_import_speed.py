"""Drop the indexes no query uses: every import paid for them (issue 5 §6).

No query filters animators by commune or EPCI, and no query selects referencings by moderation
status alone (the public read keeps validated records among all of them, most of which are
validated). Maintaining these three indexes cost about a fifth of a 100,000-row import's writes.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UNUSED_INDEXES: tuple[tuple[str, str, str], ...] = (
    ("animators", "ix_animators_insee_code", "insee_code"),
    ("animators", "ix_animators_epci_code", "epci_code"),
    ("referencings", "ix_referencings_moderation_status", "moderation_status"),
)


def upgrade() -> None:
    for table, index, _column in UNUSED_INDEXES:
        op.drop_index(index, table_name=table)


def downgrade() -> None:
    for table, index, column in UNUSED_INDEXES:
        op.create_index(index, table, [column])
