"""French wording shared by the pages (codes stay English in the store and the URLs)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from core.vocabulary import IN_TRAINING, PENDING, REFERENCED, REFUSED, STATUS_LABELS, TRAINED, VALIDATED
from geo.coverage import E2SFCA_STEPS
from loaders.progress import MONTH_ABBREVIATIONS, MONTH_NAMES, THOUSANDS_SEPARATOR, french_month
from loaders.safe_files import cell_text, csv_bytes

# The same, as words of an export's file name.
STATUS_SLUGS: dict[str, str] = {TRAINED: "formes", IN_TRAINING: "en-formation", REFERENCED: "references"}
MODERATION_SLUGS: dict[str, str] = {PENDING: "a-verifier", VALIDATED: "valide", REFUSED: "refuse"}


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


def french_table(table: pd.DataFrame, decimals: dict[str, int] | None = None) -> Styler:
    """``table`` as shown on the page: French months and numbers in the cells, raw values kept for sorting.

    Parameters
    ----------
    table : pandas.DataFrame
        A table with French headers; a « Mois » column holds ``YYYY-MM`` text.
    decimals : dict[str, int], optional
        Decimals shown for these columns; other numeric columns are counts (no decimals).

    Returns
    -------
    pandas.io.formats.style.Styler
        Display values only: the cells keep their values, so that sorting a column still sorts numbers
        and months in order.
    """
    decimals = decimals or {}
    formats = {column: (lambda value, places=decimals.get(column, 0): french_number(value, places))
               for column in table.select_dtypes("number").columns}
    if "Mois" in table.columns:
        formats["Mois"] = french_month
    return table.style.format(formats)


def km(value: float) -> str:
    """A distance as people read it: « 0,8 km », « 12 km »."""
    if value < 10:
        return f"{value:.1f} km".replace(".", ",")
    return f"{value:.0f} km"


def _e2sfca_explanation() -> str:
    """E2SFCA in one French sentence, with the distance steps that geo.coverage applies."""
    steps = [f"{weight * 100:.0f} % jusqu'à {limit:.0f} km" for limit, weight in E2SFCA_STEPS]
    steps[0] = f"plein poids jusqu'à {E2SFCA_STEPS[0][0]:.0f} km"
    return (
        "L'accessibilité (E2SFCA) compte, pour 10 000 habitants, les animateur·rices à moins de "
        f"{E2SFCA_STEPS[-1][0]:.0f} km, pondéré·es selon la distance ({', '.join(steps)}) et partagé·es entre "
        "tous les habitants qui les ont à portée."
    )


E2SFCA_EXPLANATION = _e2sfca_explanation()


@dataclass(frozen=True)
class Indicator:
    """A coverage indicator as the maps and legends present it."""

    label: str
    unit: str
    factor: float = 1.0  # shares are stored in [0, 1] and shown in percent
    decimals: int = 1
    explanation: str = ""  # one sentence, shown wherever the indicator is, when its name says too little

    def format(self, value: float) -> str:
        if value is None or not np.isfinite(value):
            return "—"
        return f"{value * self.factor:.{self.decimals}f}".replace(".", ",") + f" {self.unit}"


INDICATORS: dict[str, Indicator] = {
    "uncovered_share": Indicator("Part de la population non couverte", "%", factor=100.0, decimals=0),
    "trained_per_10k": Indicator("Animateur·rices formé·es pour 10 000 habitants", "pour 10 000 hab.", decimals=2),
    "mean_accessibility_per_10k": Indicator("Accessibilité (E2SFCA)", "animateur·rice pour 10 000 hab.", decimals=2,
                                            explanation=E2SFCA_EXPLANATION),
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


def csv_for_french_excel(frame: pd.DataFrame) -> bytes:
    """A formula-safe CSV (see :func:`loaders.safe_files.csv_bytes`) with decimal commas.

    French Excel reads « 12,5 » as a number and « 12.5 » as text (or a date); pandas reads this file with
    ``sep=";", decimal=","`` and QGIS with its « virgule décimale » option. Integers are left as they are.

    Examples
    --------
    >>> csv_for_french_excel(pd.DataFrame({"a": [-0.5, float("nan")], "b": [1200, 3]})).decode("utf-8-sig").split()
    ['a;b', '-0,5;1200', ';3']
    """
    floats = frame.select_dtypes("floating").columns
    french = frame.copy()
    for column in floats:
        french[column] = [cell_text(value).replace(".", ",") for value in frame[column]]
    return csv_bytes(french)
