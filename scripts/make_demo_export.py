"""Write the demo export ``data/demo/demo-animateurs.csv``.

The file looks like the Google Forms export of a referencing form: about
3,000 fictitious animators placed on real communes (weighted by population,
overseas départements and Corsica included, a few rural départements left
empty), with the small mistakes people make when they type a commune, a few
people who answered twice (the later answer must win) and about 1 % of rows
that the loader must reject. It is demo data: the file name starts with
``demo-``, every structure name ends with " (démo)" and every e-mail address
is in the reserved ``demo.invalid`` domain.

The output is deterministic (fixed seed, no date relative to today): running
the script again gives the same bytes, and a test checks it.

Usage, from the repository root::

    .venv/bin/python -m scripts.make_demo_export [--out PATH]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    # scripts/ is not an installed package: make it importable when run as a file.
    sys.path.insert(0, str(REPO))

from geo.reference import ReferenceGeography, load_reference  # noqa: E402
from loaders.safe_files import write_csv  # noqa: E402
from loaders.themes import ThemeRegistry, load_themes  # noqa: E402
from scripts.synthetic import (  # noqa: E402
    STRUCTURE_KINDS,
    abbreviate_saints,
    apply_where,
    arrondissement_label,
    draw_people,
    draw_theme_choices,
    french_dates,
    french_datetimes,
    french_month_years,
    multiple_choice_answers,
    random_moments,
    share_mask,
    street_addresses,
    structure_names,
    text_frame,
    with_text,
    without_accents,
    without_leading_zero,
)
from scripts.synthetic_places import (  # noqa: E402
    CORSICA,
    OVERSEAS_DEPARTEMENTS,
    draw_places,
    points_near,
)

DEMO_PATH = REPO / "data" / "demo" / "demo-animateurs.csv"
ROWS = 3000
SEED = 20250519
DEMO_MARK = " (démo)"
EMAIL_DOMAIN = "demo.invalid"

FIRST_ANSWER = datetime(2024, 9, 2, 8, 0, 0)
LAST_ANSWER = datetime(2025, 10, 31, 20, 0, 0)
FIRST_TRAINING = datetime(2024, 1, 15)
DAY = 86_400  # seconds

THEME_SHARES = {"cafe-ia": 0.7, "parentalite-numerique": 0.3, "cyber-malveillance": 0.25}
TRAINED, IN_TRAINING, NOT_TRAINED = "Oui", "En cours", "Non"
STATUS_SHARES = {TRAINED: 0.55, IN_TRAINING: 0.2, NOT_TRAINED: 0.25}
STRUCTURE_SHARES = (0.25, 0.25, 0.2, 0.15, 0.15)  # in the order of STRUCTURE_KINDS
TRAINING_BODIES = (
    "La Mednum", "Hub régional du numérique", "Conseil national du numérique", "Emmaüs Connect",
    "WeTechCare", "Les Petits Débrouillards", "Cybermalveillance.gouv.fr", "CNFPT",
)
CONUM_SHARE = 0.35
CONSENT_SHARE = 0.6
COORDINATES_SHARE = 0.3
COORDINATES_JITTER_METRES = 250.0
MONTH_ONLY_SHARE = 0.15  # trained people who give "mai 2025" instead of a day
MINIMUM_ROWS = {departement: 8 for departement in OVERSEAS_DEPARTEMENTS + CORSICA}
GAP_DEPARTEMENTS = 6

RESUBMITTED_SHARE = 0.01
REJECTED_SHARE = 0.01
UNKNOWN_COMMUNE = "Xyzville"
NOUMEA = ("98800", "Nouméa")  # Nouvelle-Calédonie is outside the reference geography
MOBILE_STRUCTURE = ("Bus numérique itinérant", "France Services")  # no fixed place: rows without location

# Messiness of the commune and postcode columns, as shares of the rows concerned.
LOWER_CASE_SHARE = 0.04
UPPER_CASE_SHARE = 0.04
NO_ACCENT_SHARE = 0.05
SAINT_ABBREVIATION_SHARE = 0.3
LOST_ZERO_SHARE = 0.15
ARRONDISSEMENT_LABEL_SHARE = 0.4
ARRONDISSEMENT_SUFFIXES = ("e", "ème", "eme", "e arrondissement")

HEADERS = {
    "submitted_at": "Horodateur",
    "email": "Adresse e-mail",
    "first_name": "Prénom",
    "last_name": "Nom",
    "phone": "Téléphone",
    "structure": "Nom de votre structure",
    "structure_type": "Type de structure",
    "address": "Adresse de la structure",
    "postcode": "Code postal",
    "city": "Commune",
    "lat": "Latitude",
    "lon": "Longitude",
    "conum": "Êtes-vous conseiller·ère numérique ?",
    "themes": "Quelles thématiques animez-vous ?",
    "trained": "Avez-vous suivi la formation d'animateur ?",
    "training_date": "Date de la formation",
    "training_body": "Organisme de formation",
    "consent": "J'accepte que mes coordonnées professionnelles apparaissent sur la carte publique",
}


def build_demo_export(
    reference: ReferenceGeography, registry: ThemeRegistry, rows: int = ROWS, seed: int = SEED
) -> pd.DataFrame:
    """Build the demo export.

    Parameters
    ----------
    reference
        The reference geography the communes are drawn from.
    registry
        The theme registry (labels of the themes).
    rows
        Number of rows of the export.
    seed
        Seed of the random generator.

    Returns
    -------
    pandas.DataFrame
        The export, with the French headers of :data:`HEADERS`, in answer order.
    """
    rng = np.random.default_rng(seed)
    rejected = round(rows * REJECTED_SHARE)
    resubmitted = round(rows * RESUBMITTED_SHARE)
    placed = rows - rejected - resubmitted
    places = draw_places(reference, placed, rng, gap_departements=GAP_DEPARTEMENTS, minimum_rows=MINIMUM_ROWS)
    people = draw_people(placed + rejected, rng, EMAIL_DOMAIN)
    answers = _answers(people.iloc[:placed].reset_index(drop=True), places["commune"].to_numpy(), rng, registry)
    answers = with_text(answers, _messy_locations(places, rng) | _coordinates(places, reference, rng))
    table = pd.concat(
        [
            answers,
            _resubmissions(answers, resubmitted, rng),
            _unplaceable(people.iloc[placed:].reset_index(drop=True), rng, registry),
        ],
        ignore_index=True,
    ).sort_values("moment", kind="stable")
    table["submitted_at"] = french_datetimes(pd.DatetimeIndex(table["moment"]))
    return table[list(HEADERS)].rename(columns=HEADERS).reset_index(drop=True)


def _answers(
    people: pd.DataFrame, communes: np.ndarray, rng: np.random.Generator, registry: ThemeRegistry
) -> pd.DataFrame:
    """Answers of people whose structures are in ``communes`` (``postcode`` and ``city`` come later)."""
    rows = len(people)
    moment = random_moments(rows, rng, FIRST_ANSWER, LAST_ANSWER)
    status = rng.choice(list(STATUS_SHARES), size=rows, p=list(STATUS_SHARES.values()))
    kinds = rng.choice(len(STRUCTURE_KINDS), size=rows, p=STRUCTURE_SHARES)
    names, types = structure_names(communes, kinds)
    answers = text_frame(
        {
            "email": people["email"].to_numpy(dtype=object),
            "first_name": people["first_name"].to_numpy(dtype=object),
            "last_name": people["last_name"].to_numpy(dtype=object),
            "phone": people["phone"].to_numpy(dtype=object),
            "structure": [name + DEMO_MARK for name in names],
            "structure_type": types,
            "address": street_addresses(rows, rng),
            "conum": _yes_no(rows, CONUM_SHARE, rng),
            "themes": _themes(rows, rng, registry),
            "trained": status,
            "training_date": _training_dates(status, moment, rng),
            "training_body": _training_bodies(status, rng),
            "consent": _yes_no(rows, CONSENT_SHARE, rng),
        }
    )
    return answers.assign(moment=moment)


def _themes(rows: int, rng: np.random.Generator, registry: ThemeRegistry) -> np.ndarray:
    """Checked themes, joined as Google Forms does."""
    options = [[registry.get(slug).label] for slug in THEME_SHARES]
    picked = draw_theme_choices(rows, rng, THEME_SHARES).astype(int)
    return multiple_choice_answers(options, picked, (", ",), np.zeros(rows, dtype=int))


def _yes_no(rows: int, share: float, rng: np.random.Generator) -> np.ndarray:
    return np.where(share_mask(rows, share, rng), "Oui", "Non").astype(object)


def _training_dates(status: np.ndarray, moment: pd.DatetimeIndex, rng: np.random.Generator) -> np.ndarray:
    """Past day for the trained (sometimes only the month), next session for half of those in training."""
    answered = moment.normalize()
    days_since_start = (answered - pd.Timestamp(FIRST_TRAINING)).days.to_numpy()
    past = pd.DatetimeIndex(answered - pd.to_timedelta((rng.random(len(status)) * days_since_start).astype(int), "D"))
    upcoming = pd.DatetimeIndex(answered + pd.to_timedelta(rng.integers(7, 91, size=len(status)), "D"))
    month_only = share_mask(len(status), MONTH_ONLY_SHARE, rng)
    announced = share_mask(len(status), 0.5, rng)
    trained_text = np.where(month_only, french_month_years(past), french_dates(past))
    return np.select(
        [status == TRAINED, (status == IN_TRAINING) & announced],
        [trained_text, french_dates(upcoming)],
        default="",
    ).astype(object)


def _training_bodies(status: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    bodies = np.array(TRAINING_BODIES, dtype=object)[rng.integers(len(TRAINING_BODIES), size=len(status))]
    # Some people skip this optional question.
    given = (status != NOT_TRAINED) & ~share_mask(len(status), 0.1, rng)
    return np.where(given, bodies, "").astype(object)


def _messy_locations(places: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Postcode and commune as people type them: mostly right, sometimes sloppy."""
    rows = len(places)
    city = places["commune"].to_numpy(dtype=object)
    city = apply_where(city, share_mask(rows, SAINT_ABBREVIATION_SHARE, rng), abbreviate_saints)
    city = apply_where(city, share_mask(rows, NO_ACCENT_SHARE, rng), without_accents)
    case = rng.random(rows)
    city = apply_where(city, case < LOWER_CASE_SHARE, str.lower)
    city = apply_where(city, case > 1 - UPPER_CASE_SHARE, str.upper)
    arrondissement = places["arrondissement_code"].to_numpy(dtype=object)
    labelled = (arrondissement != "") & share_mask(rows, ARRONDISSEMENT_LABEL_SHARE, rng)
    suffixes = np.array(ARRONDISSEMENT_SUFFIXES, dtype=object)[rng.integers(len(ARRONDISSEMENT_SUFFIXES), size=rows)]
    city[labelled] = [
        arrondissement_label(code, suffix) for code, suffix in zip(arrondissement[labelled], suffixes[labelled])
    ]
    postcode = places["postcode"].to_numpy(dtype=object)
    postcode = apply_where(postcode, share_mask(rows, LOST_ZERO_SHARE, rng), without_leading_zero)
    return {"postcode": postcode, "city": city}


def _coordinates(
    places: pd.DataFrame, reference: ReferenceGeography, rng: np.random.Generator
) -> dict[str, list[str]]:
    """Latitude and longitude near the town hall, for the share of people who give them."""
    lon, lat = points_near(places, reference, rng, COORDINATES_JITTER_METRES)
    given = share_mask(len(places), COORDINATES_SHARE, rng) & ~np.isnan(lon)
    return {
        "lat": [f"{value:.6f}" if keep else "" for value, keep in zip(lat.tolist(), given.tolist())],
        "lon": [f"{value:.6f}" if keep else "" for value, keep in zip(lon.tolist(), given.tolist())],
    }


def _resubmissions(answers: pd.DataFrame, count: int, rng: np.random.Generator) -> pd.DataFrame:
    """Later answers of people not yet trained, whose training has moved on since."""
    # A month at least before the last answer, so that the second answer fits in the export.
    early_enough = answers["moment"] < LAST_ANSWER - pd.Timedelta(days=30)
    candidates = answers.index[(answers["trained"] != TRAINED) & early_enough]
    again = answers.loc[np.sort(rng.choice(candidates, size=count, replace=False))].reset_index(drop=True)
    room = (pd.Timestamp(LAST_ANSWER) - again["moment"]).dt.total_seconds().clip(upper=120 * DAY).to_numpy()
    again["moment"] = again["moment"] + pd.to_timedelta((DAY + rng.random(count) * (room - DAY)).astype(int), "s")
    promoted = (again["trained"] == IN_TRAINING) | share_mask(count, 0.4, rng)
    again["trained"] = np.where(promoted, TRAINED, IN_TRAINING).astype(object)
    trained_on = pd.DatetimeIndex(
        again["moment"].dt.normalize() - pd.to_timedelta(rng.integers(1, 20, size=count), "D")
    )
    again["training_date"] = np.where(promoted, french_dates(trained_on), "").astype(object)
    bodies = np.array(TRAINING_BODIES, dtype=object)[rng.integers(len(TRAINING_BODIES), size=count)]
    again["training_body"] = np.where(again["training_body"] == "", bodies, again["training_body"]).astype(object)
    return again


def _unplaceable(people: pd.DataFrame, rng: np.random.Generator, registry: ThemeRegistry) -> pd.DataFrame:
    """Rows the loader must reject: unknown commune, Nouvelle-Calédonie, no location at all."""
    rows = len(people)
    kind = np.arange(rows) % 3
    city = np.select([kind == 0, kind == 1], [UNKNOWN_COMMUNE, NOUMEA[1]], default="").astype(object)
    # Half of the unknown communes come with a postcode, which does not help.
    some_postcodes = [f"{number}100" for number in rng.integers(10, 96, size=rows).tolist()]
    some_postcodes = np.where(share_mask(rows, 0.5, rng), "", some_postcodes)
    postcode = np.select([kind == 0, kind == 1], [some_postcodes, NOUMEA[0]], default="").astype(object)
    answers = _answers(people, city, rng, registry)
    mobile = kind == 2
    answers.loc[mobile, "structure"] = MOBILE_STRUCTURE[0] + DEMO_MARK
    answers.loc[mobile, "structure_type"] = MOBILE_STRUCTURE[1]
    answers.loc[mobile, "address"] = ""
    return with_text(answers, {"postcode": postcode, "city": city, "lat": "", "lon": ""})


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Écrit le fichier de démonstration des animateurs (données fictives)."
    )
    parser.add_argument("--out", type=Path, default=DEMO_PATH,
                        help=f"fichier à écrire (par défaut : {DEMO_PATH.relative_to(REPO)})")
    args = parser.parse_args(argv)
    table = build_demo_export(load_reference(), load_themes())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_csv(table, args.out)
    print(f"{len(table)} lignes écrites dans {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
