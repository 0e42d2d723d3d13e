"""Which columns of a record belong to the person, the place, the link and the referencing, and which of
them moderation compares.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from store.schema import (
    animators,
    places,
)

if TYPE_CHECKING:
    # Only for annotations: loaders.pipeline imports store.privacy, which imports this module.
    pass


ANIMATOR_FIELDS: tuple[str, ...] = tuple(
    c.name for c in animators.columns if c.name not in ("animator_id", "batch_id")
)


PLACE_FIELDS: tuple[str, ...] = tuple(c.name for c in places.columns if c.name not in ("place_id", "batch_id"))


LINK_FIELDS: tuple[str, ...] = ("submitted_at", "form", "source_file", "source_rows", "batch_id")


PERSONAL_FIELDS: tuple[str, ...] = ("full_name", "first_name", "last_name", "email", "phone", "address")


REFERENCING_FIELDS: tuple[str, ...] = (
    "training_status", "training_date", "training_body", "submission_id", "submitted_at", "source_file",
    "source_rows",
)


# What a moderator has checked: a change in any of these sends the record back to « à vérifier ».
# Digest of a whole record (animator × theme × place), the one stores before migration 0005 kept on
# referencings: 0005 writes those digests in capitals, and an import compares them with this one
# (see _convert_legacy_digests), so that upgrading sends nothing back to « à vérifier ».
CHECKED_FIELDS: tuple[str, ...] = (
    "structure", "structure_type", "full_name", "first_name", "last_name", "email", "phone", "is_conum",
    "public_consent", "insee_code", "lat", "lon", "training_status", "training_date", "training_body",
)


# Since 0005, the person and their training (on ``referencings``) and each place (on ``animator_places``)
# are checked apart: a new place of a validated person waits for a moderator, the person does not.
PERSON_CHECKED_FIELDS: tuple[str, ...] = (
    "full_name", "first_name", "last_name", "email", "phone", "is_conum", "public_consent", "training_status",
    "training_date", "training_body",
)


PLACE_CHECKED_FIELDS: tuple[str, ...] = ("structure", "structure_type", "insee_code", "lat", "lon")


DEMO_ACTOR = "données de démonstration"


# The form version of the consents row a withdrawal appends (it has no batch: nobody's file carried it).
WITHDRAWAL = "retrait de consentement"


ERASED_REASON = "personne effacée à sa demande le {:%d/%m/%Y} : ligne non importée"
