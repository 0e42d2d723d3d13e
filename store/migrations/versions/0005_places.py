"""People and places (issue 13): an animator works at one or more places.

Creates ``places`` and ``animator_places`` and moves the one place every animator had (its columns
on ``animators``) into them, nothing lost: the place gets the id the loader gives the same place
(:func:`loaders.places.place_id`, so that re-importing the same answers finds it again), the link
is validated (« reprise de l'existant »: the place was published with the referencing, which keeps
its own verdict), active, declared since the animator's submission (else its first import), with
the source rows, form and content digest of the animator's first referencing. Content digests
(of a whole record, before) are written in capitals, which tells them from today's. Two animators of
the same place by the rule share one place row (the latest answer's values). Then the place
columns leave ``animators``; ``moderation_events`` gets a ``place_id``.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from loaders.places import place_ids

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

PLACE_COLUMNS: tuple[str, ...] = (
    "structure", "structure_type", "address", "postcode", "city", "insee_code", "commune", "arrondissement_code",
    "epci_code", "epci", "departement_code", "region_code", "lat", "lon", "geocode_precision", "geocode_note",
)
NOT_NULL: frozenset[str] = frozenset({"insee_code", "commune", "departement_code", "region_code", "lat", "lon",
                                      "geocode_precision"})
TAKEN_OVER = "reprise de l'existant"
CHUNK = 10_000


def _place_column(name: str, *, nullable: bool) -> sa.Column:
    kind = {"lat": sa.Float, "lon": sa.Float, "insee_code": sa.String(5), "arrondissement_code": sa.String(5),
            "epci_code": sa.String(9), "departement_code": sa.String(3), "region_code": sa.String(2)}.get(name, sa.String)
    return sa.Column(name, kind, nullable=nullable)


def upgrade() -> None:
    places = op.create_table(
        "places",
        sa.Column("place_id", sa.String(32), primary_key=True),
        *(_place_column(name, nullable=name not in NOT_NULL) for name in PLACE_COLUMNS),
        sa.Column("mobility", sa.String),
        sa.Column("submitted_at", sa.DateTime),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("import_batches.batch_id"), nullable=False),
    )
    op.create_index("ix_places_departement_code", "places", ["departement_code"])
    op.create_index("ix_places_region_code", "places", ["region_code"])
    links = op.create_table(
        "animator_places",
        sa.Column("animator_id", sa.String(32), sa.ForeignKey("animators.animator_id"), primary_key=True),
        sa.Column("place_id", sa.String(32), sa.ForeignKey("places.place_id"), primary_key=True),
        sa.Column("since", sa.DateTime, nullable=False),
        sa.Column("until", sa.DateTime),
        sa.Column("submitted_at", sa.DateTime),
        sa.Column("form", sa.String, nullable=False, server_default=""),
        sa.Column("source_file", sa.String, nullable=False),
        sa.Column("source_rows", sa.String, nullable=False),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("import_batches.batch_id"), nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False, server_default=""),
        sa.Column("moderation_status", sa.String, nullable=False, server_default="pending"),
        sa.Column("moderation_reason", sa.String),
        sa.Column("first_imported_at", sa.DateTime),
    )
    op.create_index("ix_animator_places_place_id", "animator_places", ["place_id"])
    with op.batch_alter_table("moderation_events") as batch:
        batch.add_column(sa.Column("place_id", sa.String(32)))
    _move_places(places, links)
    # Digests of whole records, in capitals: the first import that brings the same record turns them
    # into today's person and place digests, keeping the verdicts (store.digests._convert_legacy_digests).
    op.execute("UPDATE referencings SET content_hash = UPPER(content_hash)")
    op.drop_index("ix_animators_departement_code", table_name="animators")
    op.drop_index("ix_animators_region_code", table_name="animators")
    with op.batch_alter_table("animators") as batch:
        for name in PLACE_COLUMNS:
            batch.drop_column(name)


def _move_places(places: sa.Table, links: sa.Table) -> None:
    """Every animator's place into ``places`` and one active, validated link per animator."""
    conn = op.get_bind()
    # The animator's first referencing (smallest theme) lends the link its source, form and digest.
    first = sa.text(
        "SELECT a.animator_id, " + ", ".join(f"a.{name}" for name in PLACE_COLUMNS) + ", a.submitted_at, a.batch_id, "
        "b.imported_at, r.form, r.source_file, r.source_rows, r.content_hash, r.first_imported_at "
        "FROM animators a JOIN import_batches b ON b.batch_id = a.batch_id "
        "LEFT JOIN referencings r ON r.animator_id = a.animator_id AND r.theme = "
        "(SELECT MIN(theme) FROM referencings m WHERE m.animator_id = a.animator_id) "
        "ORDER BY a.submitted_at IS NULL DESC, a.submitted_at, a.animator_id"
    ).columns(submitted_at=sa.DateTime, imported_at=sa.DateTime, first_imported_at=sa.DateTime)
    rows = [dict(row) for row in conn.execute(first).mappings()]
    ids = place_ids([r["insee_code"] for r in rows], [r["arrondissement_code"] for r in rows],
                    [r["structure"] for r in rows], [r["address"] for r in rows])
    latest: dict[str, dict] = {}
    for place_id, row in zip(ids, rows):  # oldest answer first: the latest one's values stay
        latest[place_id] = {"place_id": place_id, **{name: row[name] for name in PLACE_COLUMNS},
                            "mobility": None, "submitted_at": row["submitted_at"], "batch_id": row["batch_id"]}
    _insert(conn, places, list(latest.values()))
    _insert(conn, links, [{
        "animator_id": row["animator_id"], "place_id": place_id,
        "since": row["submitted_at"] or row["first_imported_at"] or row["imported_at"], "until": None,
        "submitted_at": row["submitted_at"], "form": row["form"] or "", "source_file": row["source_file"] or "",
        "source_rows": row["source_rows"] or "", "batch_id": row["batch_id"],
        "content_hash": (row["content_hash"] or "").upper(),
        "moderation_status": "validated", "moderation_reason": TAKEN_OVER,
        "first_imported_at": row["first_imported_at"] or row["imported_at"],
    } for place_id, row in zip(ids, rows)])


def _insert(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        conn.execute(table.insert(), rows[start:start + CHUNK])


def downgrade() -> None:
    """Each animator gets back one place: that of their latest active link (else latest link)."""
    with op.batch_alter_table("animators") as batch:
        for name in PLACE_COLUMNS:
            column = _place_column(name, nullable=True)
            batch.add_column(column)
    chosen = ("(SELECT l.place_id FROM animator_places l WHERE l.animator_id = animators.animator_id "
              "ORDER BY l.until IS NOT NULL, l.submitted_at IS NULL, l.submitted_at DESC LIMIT 1)")
    assignments = ", ".join(f"{name} = (SELECT p.{name} FROM places p WHERE p.place_id = {chosen})"
                            for name in PLACE_COLUMNS)
    op.execute(f"UPDATE animators SET {assignments}")
    with op.batch_alter_table("animators") as batch:
        for name in NOT_NULL:
            batch.alter_column(name, existing_type=_place_column(name, nullable=True).type, nullable=False)
        batch.create_index("ix_animators_departement_code", ["departement_code"])
        batch.create_index("ix_animators_region_code", ["region_code"])
    with op.batch_alter_table("moderation_events") as batch:
        batch.drop_column("place_id")
    op.drop_table("animator_places")
    op.drop_table("places")
