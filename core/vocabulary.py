"""The project's shared vocabulary: codes that are stored and compared, with their French labels.

Codes are English identifiers kept in the store and in URLs; labels are for people. A decision in code
compares codes, never labels.
"""

from __future__ import annotations

# --- Training status of an animator in a theme -------------------------------------------------
TRAINED = "trained"
IN_TRAINING = "in_training"
REFERENCED = "referenced"
# In the order of the filters (the public finder numbers them by position).
STATUSES: tuple[str, ...] = (TRAINED, IN_TRAINING, REFERENCED)
STATUS_LABELS: dict[str, str] = {TRAINED: "Formé·e", IN_TRAINING: "En formation", REFERENCED: "Référencé·e"}
# What the public map shows unless the visitor asks for more.
DEFAULT_STATUSES: tuple[str, ...] = (TRAINED,)

# --- Moderation verdict on a referencing or a place ------------------------------------------
PENDING = "pending"
VALIDATED = "validated"
REFUSED = "refused"
MODERATION_STATUSES: tuple[str, ...] = (PENDING, VALIDATED, REFUSED)
MODERATION_LABELS: dict[str, str] = {PENDING: "À vérifier", VALIDATED: "Validé", REFUSED: "Refusé"}
# Pilot pages count what is published or still to check; refused records only when asked.
DEFAULT_MODERATION: tuple[str, ...] = (VALIDATED, PENDING)

# --- Words of commune names ------------------------------------------------------------------
# Folded abbreviations of « Saint » that people type (« St-Malo », « Ste Colombe »).
SAINT_ABBREVIATIONS: dict[str, str] = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
