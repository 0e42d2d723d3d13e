"""French wording shared by the pages (codes stay English in the store and the URLs)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from loaders.normalize import IN_TRAINING, REFERENCED, TRAINED
from loaders.progress import MONTH_ABBREVIATIONS, MONTH_NAMES, THOUSANDS_SEPARATOR
from loaders.schema import PENDING, REFUSED, VALIDATED

STATUS_LABELS: dict[str, str] = {TRAINED: "Formé·e", IN_TRAINING: "En formation", REFERENCED: "Référencé·e"}
ALL_STATUSES: tuple[str, ...] = tuple(STATUS_LABELS)
MODERATION_LABELS: dict[str, str] = {PENDING: "À vérifier", VALIDATED: "Validé", REFUSED: "Refusé"}
# Pilot pages count what is published or still to check; refused records only when asked.
DEFAULT_MODERATION: tuple[str, ...] = (VALIDATED, PENDING)


def status_badge(status: str, training_date: object) -> str:
    """Plain-text badge: « Formé·e le 12/03/2026 » when the date is known."""
    label = STATUS_LABELS[status]
    if status == TRAINED and training_date is not None and not pd.isna(training_date):
        return f"{label} le {pd.Timestamp(training_date):%d/%m/%Y}"
    return label


# Vega-Lite charts format their axes and tooltips with this locale, not the browser's: « janv. 2026 », « 3 000 ».
VEGA_FRENCH_LOCALE: dict[str, dict] = {
    "number": {"decimal": ",", "thousands": THOUSANDS_SEPARATOR, "grouping": [3],
               "currency": ["", "\u00a0€"], "percent": "\u202f%"},
    "time": {
        "dateTime": "%A %e %B %Y à %X", "date": "%d/%m/%Y", "time": "%H:%M:%S", "periods": ["AM", "PM"],
        "days": ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
        "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
        "months": list(MONTH_NAMES), "shortMonths": list(MONTH_ABBREVIATIONS),
    },
}


def french_number(value: float, decimals: int = 0) -> str:
    """A number as French readers write it: thousands apart, a decimal comma (« 1 234,5 »); « — » when missing.

    Examples
    --------
    >>> french_number(3000), french_number(66.66, 1), french_number(float("nan"), 1)
    ('3\u202f000', '66,7', '—')
    """
    if value is None or not np.isfinite(value):
        return "—"
    return f"{value:,.{decimals}f}".replace(",", THOUSANDS_SEPARATOR).replace(".", ",")


def km(value: float) -> str:
    """A distance as people read it: « 0,8 km », « 12 km »."""
    if value < 10:
        return f"{value:.1f} km".replace(".", ",")
    return f"{value:.0f} km"


@dataclass(frozen=True)
class Indicator:
    """A coverage indicator as the maps and legends present it."""

    label: str
    unit: str
    factor: float = 1.0  # shares are stored in [0, 1] and shown in percent
    decimals: int = 1

    def format(self, value: float) -> str:
        if value is None or not np.isfinite(value):
            return "—"
        return f"{value * self.factor:.{self.decimals}f}".replace(".", ",") + f" {self.unit}"


INDICATORS: dict[str, Indicator] = {
    "uncovered_share": Indicator("Part de la population non couverte", "%", factor=100.0, decimals=0),
    "trained_per_10k": Indicator("Animateur·rices formé·es pour 10 000 habitants", "pour 10 000 hab.", decimals=2),
    "mean_accessibility_per_10k": Indicator("Accessibilité (E2SFCA)", "animateur·rice pour 10 000 hab.", decimals=2),
    "median_nearest_km": Indicator("Distance au plus proche animateur (médiane des habitants)", "km"),
}
# French headers of the exported territory tables (codes and names first).
EXPORT_HEADERS: dict[str, str] = {
    "code": "Code",
    "nom": "Nom",
    "population": "Population municipale",
    "animators_trained": "Animateur·rices formé·es",
    "animators_in_training": "Animateur·rices en formation",
    "animators_referenced": "Animateur·rices référencé·es non formé·es",
    "trained_per_10k": "Formé·es pour 10 000 habitants",
    "uncovered_population": "Population non couverte",
    "uncovered_share": "Part de la population non couverte",
    "mean_nearest_km": "Distance moyenne au plus proche animateur (km)",
    "median_nearest_km": "Distance médiane au plus proche animateur (km)",
    "mean_accessibility_per_10k": "Accessibilité E2SFCA (pour 10 000 habitants)",
    "priority_rank": "Rang de priorité",
}
