"""Write a large, ugly export for the loader benchmark.

The file imitates a real referencing form exported by hand: Windows-1252
encoding, ``;`` separators, CRLF line ends, about 27 columns (long question
headers, free-text columns nobody uses), and messiness spread over the rows:

* postcodes and INSEE codes that lost their leading zero, Corsican INSEE codes
  written ``20xxx``, CEDEX mentions, arrondissement labels ("Paris 11e");
* commune names in capitals or lower case, without accents, with "St"/"Ste",
  with the article after the name ("Havre (Le)"), with a typo (one letter
  changed, about 3 % of the names of eight letters or more);
* an INSEE code column filled for about 30 % of the rows; coordinates for
  about 30 % (dot or comma decimals, latitude and longitude sometimes swapped,
  sometimes Lambert-93 x/y in their own columns);
* about 5 % of rows whose postcode and commune are only in the address
  ("12 rue X, 34000 Montpellier"), about 2 % of duplicates (people answering
  again), about 1 % of rows that cannot be placed (fictional commune,
  Nouvelle-Calédonie and other territories outside the reference, no location,
  a point at sea).

Places are drawn over all communes weighted by population, so the number of
distinct (postcode, commune) pairs is realistic (tens of thousands for
100,000 rows). The same seed gives the same bytes.

The location columns and their messiness are built by ``scripts/messy_locations.py``.

100,000 rows weigh about 25 MB, more than the loader's default size limit
(20 MB, ``CARTE_MAX_UPLOAD_MB``): the script says so, with the value to set.

Usage, from the repository root::

    .venv/bin/python bench/make_messy_export.py OUT.csv --rows 100000 [--seed 1]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
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
from loaders.settings import DEFAULT_LIMITS, MAX_UPLOAD_ENV, MEGABYTE  # noqa: E402
from scripts.messy_locations import messy_locations  # noqa: E402
from scripts.synthetic import (  # noqa: E402
    STRUCTURE_KINDS,
    apply_where,
    draw_people,
    draw_theme_choices,
    french_dates,
    french_datetimes,
    french_month_years,
    iso_texts,
    multiple_choice_answers,
    pick,
    random_moments,
    share_mask,
    sometimes,
    street_addresses,
    structure_names,
    text_frame,
    with_text,
)
from scripts.synthetic_places import draw_places  # noqa: E402

ENCODING = "cp1252"
EMAIL_DOMAIN = "bench.invalid"
FIRST_ANSWER = datetime(2023, 10, 2)
LAST_ANSWER = datetime(2025, 10, 31)
DAY = 86_400  # seconds

BAD_SHARE = 0.01
DUPLICATE_SHARE = 0.02
MAYOTTE_ROWS_PER_THOUSAND = 1  # Mayotte has no population in the reference

HEADERS = {
    "submission_id": "N° de réponse",
    "submitted_at": "Date de soumission",
    "email": "Adresse électronique de contact",
    "civility": "Civilité",
    "first_name": "Prénom",
    "last_name": "NOM",
    "phone": "Téléphone (portable de préférence)",
    "structure": "Nom de la structure employeuse",
    "structure_type": "Typologie de la structure",
    "siret": "N° SIRET de la structure (si vous le connaissez)",
    "address": "Adresse postale de la structure (numéro et rue)",
    "postcode": "Code postal",
    "city": "Ville",
    "insee_code": "Code INSEE de la commune (si connu)",
    "lat": "Latitude (WGS 84)",
    "lon": "Longitude (WGS 84)",
    "x": "X (Lambert 93)",
    "y": "Y (Lambert 93)",
    "conum": "Êtes-vous conseiller numérique France Services ?",
    "themes": "Quelle(s) thématique(s) animez-vous ou souhaitez-vous animer auprès de vos publics ?",
    "trained": "Avez-vous déjà suivi une formation d'animateur ou d'animatrice pour ces ateliers ?",
    "training_date": "Date de formation (JJ/MM/AAAA)",
    "training_body": "Organisme de formation",
    "consent": "Acceptez-vous que vos coordonnées professionnelles soient publiées sur la carte des animateurs ?",
    "heard_from": "Comment avez-vous connu ce formulaire ?",
    "needs": "Avez-vous des besoins particuliers en accompagnement ? (texte libre)",
    "comments": "Commentaires",
}

TRUTH = "true_insee_code"  # not a column of the file: see build_messy_export's ``with_truth``

THEME_SHARES = {"cafe-ia": 0.65, "parentalite-numerique": 0.3, "cyber-malveillance": 0.3}
THEME_SPELLINGS = {
    "cafe-ia": ("Café IA", "Café IA", "Cafés IA", "café ia", "CAFE IA", "Café IA (CNNum)"),
    "parentalite-numerique": ("Parentalité numérique", "Parentalite numerique", "Parentalité", "Parents et écrans"),
    "cyber-malveillance": ("Cyber-malveillance", "Cybermalveillance", "MalletteCyber", "Cybersécurité"),
}
THEME_SEPARATORS = (", ", ", ", ", ", "; ", " | ", "\n")
TRAINED, IN_TRAINING, NOT_TRAINED = "trained", "in_training", "referenced"
STATUS_SHARES = {TRAINED: 0.55, IN_TRAINING: 0.2, NOT_TRAINED: 0.25}
STATUS_SPELLINGS = {
    TRAINED: ("Oui", "Oui", "oui", "OUI", "Oui, j'ai suivi la formation", "Formé(e)"),
    IN_TRAINING: ("En cours", "en cours", "Inscrit(e) à la prochaine session", "Formation prévue"),
    NOT_TRAINED: ("Non", "non", "Pas encore", "Non, mais je souhaite être formé(e)"),
}
YES_SPELLINGS = ("Oui", "Oui", "oui", "OUI", "J'accepte", "Oui, j'accepte")
NO_SPELLINGS = ("Non", "Non", "non", "Non merci", "Je refuse")
TRAINING_BODIES = (
    "La Mednum", "LA MEDNUM", "Mednum", "Hub régional", "Hub Ultra Numérique", "Emmaüs Connect", "WeTechCare",
    "Les Petits Débrouillards", "Cybermalveillance.gouv.fr", "CNFPT", "En interne", "je ne sais plus",
)
HEARD_FROM = ("Par mon hub régional", "Par un·e collègue", "Lettre d'information", "Réseaux sociaux", "Autre")
NEEDS = (
    "Des supports d'animation imprimables", "Un kit pour animer en médiathèque",
    "Besoin d'un binôme pour la première séance", "Financement du matériel (vidéoprojecteur)",
    "Être mis en relation avec d'autres animateurs du territoire",
)
COMMENTS = (
    "Merci !", "RAS", "Je suis disponible le mercredi après-midi", "Formulaire rempli par ma collègue",
    "Attention : nouvelle adresse à partir de septembre ; merci de mettre à jour",
    "Nous intervenons aussi dans les communes voisines.\nContact de préférence par mail.",
)
STRUCTURE_TYPES_OTHER = ("Autre", "Collectivité", "Tiers-lieu", "Mairie")

FICTIONAL_COMMUNES = ("Xyzville", "Trifouilly-les-Oies", "Pétaouchnok", "Perpète-les-Oies")
UNCOVERED_PLACES = (("98800", "Nouméa"), ("98714", "Papeete"), ("97500", "Saint-Pierre"), ("98600", "Mata-Utu"))
MOBILE_STRUCTURE = "Bus numérique itinérant"  # no fixed place: rows without location
OFFSHORE_POINT = ("45.000000", "-20.000000")  # in the Atlantic Ocean


def build_messy_export(
    reference: ReferenceGeography, rows: int, seed: int, *, with_truth: bool = False
) -> pd.DataFrame:
    """Build the benchmark export.

    Parameters
    ----------
    reference
        The reference geography the communes are drawn from.
    rows
        Number of rows of the export.
    seed
        Seed of the random generator.
    with_truth
        Add the column :data:`TRUTH`: the INSEE code of the commune each row was made from (``""``
        for the rows that cannot be placed), which the tests compare with where the loader puts it.

    Returns
    -------
    pandas.DataFrame
        The export, with the headers of :data:`HEADERS`, in answer order.
    """
    rng = np.random.default_rng(seed)
    bad = round(rows * BAD_SHARE)
    duplicates = round(rows * DUPLICATE_SHARE)
    placed = rows - bad - duplicates
    mayotte = max(1, rows * MAYOTTE_ROWS_PER_THOUSAND // 1000)
    places = draw_places(reference, placed, rng, minimum_rows={"976": mayotte})
    people = draw_people(placed + bad, rng, EMAIL_DOMAIN)
    answers = _answers(people.iloc[:placed].reset_index(drop=True), places["commune"].to_numpy(), rng)
    answers = with_text(answers, {**messy_locations(places, reference, rng), TRUTH: places["insee_code"].to_numpy()})
    table = pd.concat(
        [
            answers,
            _duplicates(answers, duplicates, rng),
            _unplaceable(people.iloc[placed:].reset_index(drop=True), rng),
        ],
        ignore_index=True,
    ).sort_values("moment", kind="stable")
    table["submission_id"] = [f"R{number:07d}" for number in range(1, rows + 1)]
    table["submitted_at"] = french_datetimes(pd.DatetimeIndex(table["moment"]), seconds=False)
    columns = [*HEADERS, TRUTH] if with_truth else list(HEADERS)
    return table[columns].rename(columns=HEADERS).fillna({TRUTH: ""}).reset_index(drop=True)


def _answers(people: pd.DataFrame, communes: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Everything but the location columns, in the many spellings people use."""
    rows = len(people)
    moment = random_moments(rows, rng, FIRST_ANSWER, LAST_ANSWER)
    status = rng.choice(list(STATUS_SHARES), size=rows, p=list(STATUS_SHARES.values()))
    email = people["email"].to_numpy(dtype=object)
    last_name = people["last_name"].to_numpy(dtype=object)
    answers = text_frame(
        {
            "status": status,
            "email": apply_where(email, share_mask(rows, 0.05, rng), str.title),
            "civility": pick(("Mme", "M.", "Mme", "M.", ""), rows, rng),
            "first_name": people["first_name"].to_numpy(dtype=object),
            "last_name": apply_where(last_name, share_mask(rows, 0.6, rng), str.upper),
            "phone": _phones(people["phone"].to_numpy(dtype=object), rng),
            **_structures(communes, rng),
            "siret": sometimes(_sirets(rows, rng), 0.2, rng),
            "conum": pick(("Oui", "Non", "Non", "oui", "non", "", "Oui (CNFS)"), rows, rng),
            "themes": _themes(rows, rng),
            "trained": _status_answers(status, rng),
            "training_date": _training_dates(status, moment, rng),
            "training_body": _training_bodies(status, rng),
            "consent": _consents(rows, rng),
            "heard_from": sometimes(pick(HEARD_FROM, rows, rng), 0.4, rng),
            "needs": sometimes(pick(NEEDS, rows, rng), 0.15, rng),
            "comments": sometimes(pick(COMMENTS, rows, rng), 0.1, rng),
        }
    )
    return answers.assign(moment=moment)


def _structures(communes: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Structure names (some in capitals) and types (some "Autre" and the like)."""
    rows = len(communes)
    names, types = structure_names(communes, rng.integers(len(STRUCTURE_KINDS), size=rows))
    other_type = share_mask(rows, 0.08, rng)
    return {
        "structure": apply_where(np.array(names, dtype=object), share_mask(rows, 0.1, rng), str.upper),
        "structure_type": np.where(other_type, pick(STRUCTURE_TYPES_OTHER, rows, rng), types),
    }


def _sirets(rows: int, rng: np.random.Generator) -> np.ndarray:
    """Fourteen-digit numbers shaped like SIRET numbers."""
    return np.array([f"{number:014d}" for number in rng.integers(10**12, 10**14, size=rows).tolist()], dtype=object)


def _training_bodies(status: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Who trained them, for most of those trained or in training."""
    return np.where(status == NOT_TRAINED, "", sometimes(pick(TRAINING_BODIES, len(status), rng), 0.8, rng))


def _phones(phones: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``06 00 00 12 34`` as typed: without spaces, with dots, in international form, or not at all."""
    style = rng.integers(0, 6, size=len(phones))
    return np.array(
        [
            (phone, phone, phone.replace(" ", ""), phone.replace(" ", "."), "+33 " + phone[1:], "")[kind]
            for phone, kind in zip(phones, style.tolist())
        ],
        dtype=object,
    )


def _themes(rows: int, rng: np.random.Generator) -> np.ndarray:
    """Chosen themes, each in one of its spellings, joined by commas, semicolons, bars or line breaks."""
    options = [THEME_SPELLINGS[slug] for slug in THEME_SHARES]
    chosen = draw_theme_choices(rows, rng, THEME_SHARES)
    spelling = np.column_stack([rng.integers(len(spellings), size=rows) for spellings in options])
    separator = rng.integers(len(THEME_SEPARATORS), size=rows)
    return multiple_choice_answers(options, np.where(chosen, spelling + 1, 0), THEME_SEPARATORS, separator)


def _status_answers(status: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    draws = rng.random(len(status))
    answers = np.array(
        [
            STATUS_SPELLINGS[value][int(draw * len(STATUS_SPELLINGS[value]))]
            for value, draw in zip(status.tolist(), draws.tolist())
        ],
        dtype=object,
    )
    # Some people skip the question and give only a training date.
    return np.where(share_mask(len(status), 0.03, rng), "", answers).astype(object)


def _training_dates(status: np.ndarray, moment: pd.DatetimeIndex, rng: np.random.Generator) -> np.ndarray:
    """Dates in the formats of hand-typed answers: dd/mm/yyyy, ISO, two-digit years, month names."""
    rows = len(status)
    day = pd.DatetimeIndex(moment.normalize() - pd.to_timedelta(rng.integers(1, 400, size=rows), "D"))
    upcoming = pd.DatetimeIndex(moment.normalize() + pd.to_timedelta(rng.integers(7, 91, size=rows), "D"))
    chosen = pd.DatetimeIndex(np.where(status == IN_TRAINING, upcoming, day))
    draw = rng.random(rows)
    formats = np.select(
        [draw < threshold for threshold in (0.6, 0.7, 0.8, 0.9)],
        [french_dates(chosen), iso_texts(chosen, "D"), [f"{text[:6]}{text[8:]}" for text in french_dates(chosen)],
         french_month_years(chosen)],
        default="",
    )
    return np.where(status == NOT_TRAINED, "", formats).astype(object)


def _consents(rows: int, rng: np.random.Generator) -> np.ndarray:
    draw = rng.random(rows)
    return np.select(
        [draw < 0.6, draw < 0.95], [pick(YES_SPELLINGS, rows, rng), pick(NO_SPELLINGS, rows, rng)], default=""
    ).astype(object)


# ------------------------------------------------------- duplicates, bad rows


def _duplicates(answers: pd.DataFrame, count: int, rng: np.random.Generator) -> pd.DataFrame:
    """People who answered again: a double click seconds later, or weeks later with a new training status."""
    again = answers.iloc[np.sort(rng.choice(len(answers), size=count, replace=False))].reset_index(drop=True)
    double_click = share_mask(count, 0.4, rng)
    delay = np.where(double_click, rng.integers(2, 60, size=count), rng.integers(DAY, 90 * DAY, size=count))
    again["moment"] = again["moment"] + pd.to_timedelta(delay, "s")
    moved_on = ~double_click & (again["status"] != TRAINED).to_numpy()
    again.loc[moved_on, "trained"] = "Oui"
    return again


def _unplaceable(people: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Rows no rule can place: fictional commune, territory outside the reference, nothing, a point at sea."""
    rows = len(people)
    kind = np.arange(rows) % 4
    fictional = pick(FICTIONAL_COMMUNES, rows, rng)
    uncovered = np.array(UNCOVERED_PLACES, dtype=object)[rng.integers(len(UNCOVERED_PLACES), size=rows)]
    some_postcodes = np.array([f"{number:02d}100" for number in rng.integers(10, 96, size=rows).tolist()], dtype=object)
    city = np.select([kind == 0, kind == 1], [fictional, uncovered[:, 1]], default="").astype(object)
    postcode = np.select([kind == 0, kind == 1], [sometimes(some_postcodes, 0.5, rng), uncovered[:, 0]], default="")
    answers = _answers(people, city, rng)
    nowhere = kind >= 2
    answers.loc[nowhere, "structure"] = MOBILE_STRUCTURE
    at_sea = kind == 3
    return with_text(
        answers,
        {
            "address": np.where(nowhere, "", street_addresses(rows, rng)),
            "postcode": postcode,
            "city": city,
            "insee_code": "",
            "lat": np.where(at_sea, OFFSHORE_POINT[0], ""),
            "lon": np.where(at_sea, OFFSHORE_POINT[1], ""),
            "x": "",
            "y": "",
        },
    )


def write_export(table: pd.DataFrame, path: Path) -> None:
    """Write the export as Excel on Windows would: Windows-1252, ``;``, CRLF."""
    table.to_csv(path, sep=";", index=False, encoding=ENCODING, lineterminator="\r\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Écrit un export de formulaire volumineux et désordonné (banc d'essai du chargeur)."
    )
    parser.add_argument("out", type=Path, metavar="OUT.csv", help="fichier à écrire")
    parser.add_argument("--rows", type=int, default=100_000, help="nombre de lignes (par défaut : 100 000)")
    parser.add_argument("--seed", type=int, default=1, help="graine du générateur aléatoire (par défaut : 1)")
    args = parser.parse_args(argv)
    if args.rows < 100:
        parser.error("--rows doit valoir au moins 100")
    started = time.perf_counter()
    table = build_messy_export(load_reference(), args.rows, args.seed)
    write_export(table, args.out)
    print(f"{len(table)} lignes écrites dans {args.out} en {time.perf_counter() - started:.1f} s")
    size = args.out.stat().st_size
    if size > DEFAULT_LIMITS.max_file_bytes:
        print(f"Le fichier pèse {size / MEGABYTE:.1f} Mo, plus que la limite du chargeur "
              f"({DEFAULT_LIMITS.max_file_bytes / MEGABYTE:.0f} Mo) : chargez-le avec "
              f"{MAX_UPLOAD_ENV}={math.ceil(size / MEGABYTE)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
