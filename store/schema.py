"""Tables of the store (SQLAlchemy Core), at the latest migration.

The schema itself is created and changed only by the Alembic migrations of
``store/migrations`` (applied by :func:`store.connect`); these definitions must
describe the result of the last one, which ``tests/test_store_schema.py`` checks.

Design notes (see docs/data-model.md):

* a person (``animators``) is trained in themes (``referencings``, animator × theme) and works at
  one or more places (``places``, linked by ``animator_places``); one person's places are never
  merged into one;
* moderation is per referencing (the person and their training) and per link (the place):
  a new place of a validated person waits for a moderator; publication needs both;
* consents are an append-only history; ``animators.public_consent`` is the latest answer,
  kept in the same transaction for the public page's queries.
"""

from __future__ import annotations

import sqlalchemy as sa

from core.vocabulary import PENDING

metadata = sa.MetaData()

import_batches = sa.Table(
    "import_batches",
    metadata,
    sa.Column("batch_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("file_name", sa.String, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("imported_at", sa.DateTime, nullable=False),
    sa.Column("theme", sa.String),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("accepted_rows", sa.Integer, nullable=False),
    sa.Column("rejected_rows", sa.Integer, nullable=False),
    sa.Column("is_demo", sa.Boolean, nullable=False, default=False),
    sa.Column("report", sa.Text, nullable=False),
    sa.Column("hub", sa.String, nullable=False, server_default=""),
    sa.Column("form", sa.String, nullable=False, server_default=""),
    sa.Column("is_full_export", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("merged_rows", sa.Integer, nullable=False, server_default="0"),
    sa.Column("imported_by", sa.String, nullable=False, server_default=""),  # the signed-in agent's e-mail
)

animators = sa.Table(
    "animators",
    metadata,
    sa.Column("animator_id", sa.String(32), primary_key=True),
    sa.Column("full_name", sa.String),
    sa.Column("first_name", sa.String),
    sa.Column("last_name", sa.String),
    sa.Column("email", sa.String),
    sa.Column("phone", sa.String),
    sa.Column("is_conum", sa.Boolean, nullable=False),
    sa.Column("public_consent", sa.Boolean, nullable=False),
    sa.Column("submitted_at", sa.DateTime),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("import_batches.batch_id"), nullable=False),
)

# A place of activity (loaders.places: its id digests commune, folded structure name and address).
places = sa.Table(
    "places",
    metadata,
    sa.Column("place_id", sa.String(32), primary_key=True),
    sa.Column("structure", sa.String),
    sa.Column("structure_type", sa.String),
    sa.Column("address", sa.String),  # personal: a home address may be one (docs/data-model.md)
    sa.Column("postcode", sa.String),
    sa.Column("city", sa.String),
    sa.Column("insee_code", sa.String(5), nullable=False),
    sa.Column("commune", sa.String, nullable=False),
    sa.Column("arrondissement_code", sa.String(5)),
    sa.Column("epci_code", sa.String(9)),
    sa.Column("epci", sa.String),
    sa.Column("departement_code", sa.String(3), nullable=False, index=True),
    sa.Column("region_code", sa.String(2), nullable=False, index=True),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("geocode_precision", sa.String, nullable=False),
    sa.Column("geocode_note", sa.String),
    sa.Column("mobility", sa.String),  # itinérant | fixe | NULL (the form did not say)
    sa.Column("submitted_at", sa.DateTime),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("import_batches.batch_id"), nullable=False),
)

# An animator works at a place: declared ``since``, ``until`` a full export of its form no longer listed it.
animator_places = sa.Table(
    "animator_places",
    metadata,
    sa.Column("animator_id", sa.String(32), sa.ForeignKey("animators.animator_id"), primary_key=True),
    sa.Column("place_id", sa.String(32), sa.ForeignKey("places.place_id"), primary_key=True, index=True),
    sa.Column("since", sa.DateTime, nullable=False),
    sa.Column("until", sa.DateTime),
    sa.Column("submitted_at", sa.DateTime),
    sa.Column("form", sa.String, nullable=False, server_default=""),
    sa.Column("source_file", sa.String, nullable=False),
    sa.Column("source_rows", sa.String, nullable=False),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("import_batches.batch_id"), nullable=False),
    sa.Column("content_hash", sa.String(32), nullable=False, server_default=""),
    sa.Column("moderation_status", sa.String, nullable=False, server_default=PENDING),
    sa.Column("moderation_reason", sa.String),
    sa.Column("first_imported_at", sa.DateTime),
)

referencings = sa.Table(
    "referencings",
    metadata,
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
    sa.Column("form", sa.String, nullable=False, server_default=""),
    sa.Column("content_hash", sa.String(32), nullable=False, server_default=""),
    sa.Column("moderation_status", sa.String, nullable=False, server_default=PENDING),
    sa.Column("moderation_reason", sa.String),
    sa.Column("absent_from_last_export", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("first_submitted_at", sa.DateTime),
    sa.Column("first_imported_at", sa.DateTime),
    sa.Column("trained_seen_at", sa.DateTime),
)

row_outcomes = sa.Table(
    "row_outcomes",
    metadata,
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("import_batches.batch_id"), primary_key=True),
    sa.Column("source_row", sa.Integer, primary_key=True),
    sa.Column("outcome", sa.String, nullable=False),  # accepted | merged | rejected
    sa.Column("reason", sa.String),
    sa.Column("location_key", sa.String(32)),
    sa.Column("location_text", sa.String),
)

consents = sa.Table(
    "consents",
    metadata,
    sa.Column("consent_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("animator_id", sa.String(32), sa.ForeignKey("animators.animator_id"), nullable=False, index=True),
    sa.Column("given", sa.Boolean, nullable=False),
    sa.Column("answered_at", sa.DateTime),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.Column("form_version", sa.String, nullable=False),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("import_batches.batch_id")),
)

moderation_events = sa.Table(
    "moderation_events",
    metadata,
    sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("animator_id", sa.String(32), nullable=False, index=True),
    sa.Column("theme", sa.String, nullable=False),  # "" for a verdict on a place alone
    sa.Column("place_id", sa.String(32)),  # the place judged, NULL for a verdict on a referencing alone
    sa.Column("status", sa.String, nullable=False),
    sa.Column("reason", sa.String),
    sa.Column("actor", sa.String, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
)

geocoding_fixes = sa.Table(
    "geocoding_fixes",
    metadata,
    sa.Column("location_key", sa.String(32), primary_key=True),
    sa.Column("insee_code", sa.String(5), nullable=False),
    sa.Column("description", sa.String, nullable=False),
    sa.Column("actor", sa.String, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
)

# Step 5: who may open the pilot pages, what they looked at, and who asked to be erased.
ROLES: tuple[str, ...] = ("prefecture", "hub", "national")
SCOPE_LEVELS: tuple[str, ...] = ("departement", "region", "france")

agents = sa.Table(
    "agents",
    metadata,
    sa.Column("email", sa.String, primary_key=True),  # lower case
    sa.Column("role", sa.String, nullable=False),
    sa.Column("scope_level", sa.String, nullable=False),
    sa.Column("scope_code", sa.String, nullable=False, server_default=""),
    sa.Column("added_at", sa.DateTime, nullable=False),
    sa.Column("added_by", sa.String, nullable=False),
)

access_log = sa.Table(
    "access_log",
    metadata,
    sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False, index=True),
    sa.Column("actor", sa.String, nullable=False),
    sa.Column("role", sa.String, nullable=False),
    sa.Column("scope", sa.String, nullable=False),
    sa.Column("action", sa.String, nullable=False),  # view_personal | export | withdraw | erase | purge | agents
    sa.Column("page", sa.String, nullable=False),
    sa.Column("detail", sa.String, nullable=False, server_default=""),
)

# A tombstone: the animator id (a digest, not the e-mail) stays so that a later import of the
# same person's old answers is refused instead of bringing the data back.
erasures = sa.Table(
    "erasures",
    metadata,
    sa.Column("animator_id", sa.String(32), primary_key=True),
    sa.Column("requested_at", sa.DateTime, nullable=False),
    sa.Column("recorded_by", sa.String, nullable=False),
    sa.Column("reason", sa.String, nullable=False, server_default=""),
    sa.Column("purged_at", sa.DateTime),
)
