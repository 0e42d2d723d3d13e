"""The synthetic exports: the committed demo file and the benchmark generator.

Both generators are run as their command lines are (``make demo``, ``make
bench``), then their outputs go through the real loader.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from core.vocabulary import STATUSES
from geo.reference import ReferenceGeography
from loaders.geocoding import Gazetteer
from loaders.pipeline import ImportResult, load_files, load_tables
from loaders.read import RawTable, read_table
from loaders.themes import load_themes

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "data" / "demo" / "demo-animateurs.csv"
OVERSEAS = {"971", "972", "973", "974", "976"}
CORSICA = {"2A", "2B"}
TRAINING_QUESTION = "Avez-vous suivi la formation d'animateur ?"
STATUS_OF_ANSWER = {"Oui": "trained", "En cours": "in_training", "Non": "referenced"}
MESSY_ROWS = 2000


def run_script(*arguments: str) -> None:
    """Run a generator script as ``make`` does, from the repository root."""
    completed = subprocess.run([sys.executable, *arguments], cwd=REPO, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr


# The reference geography comes from the session fixtures `reference` and
# `gazetteer` of conftest.py: it is loaded once for the whole test session.


@pytest.fixture(scope="module")
def demo_rows() -> pd.DataFrame:
    """The committed demo file as the loader reads it (index: spreadsheet row numbers)."""
    return read_table(DEMO).frame


@pytest.fixture(scope="module")
def demo_result(gazetteer: Gazetteer) -> ImportResult:
    return load_files([DEMO], gazetteer)


@pytest.fixture(scope="module")
def messy_table(tmp_path_factory: pytest.TempPathFactory) -> RawTable:
    path = tmp_path_factory.mktemp("bench") / "messy.csv"
    run_script("bench/make_messy_export.py", str(path), "--rows", str(MESSY_ROWS), "--seed", "1")
    return read_table(path)


# ------------------------------------------------------------------ demo file


def test_committed_demo_file_is_what_the_script_writes(tmp_path: Path) -> None:
    regenerated = tmp_path / "demo-animateurs.csv"
    run_script("scripts/make_demo_export.py", "--out", str(regenerated))
    assert regenerated.read_bytes() == DEMO.read_bytes(), "data/demo/demo-animateurs.csv is stale: run `make demo`"


def test_demo_file_says_it_is_demo_data(demo_rows: pd.DataFrame) -> None:
    assert DEMO.name.startswith("demo-")
    assert 2900 <= len(demo_rows) <= 3100
    assert demo_rows["Nom de votre structure"].str.endswith(" (démo)").all()
    assert demo_rows["Adresse e-mail"].str.endswith("@demo.invalid").all()


def test_demo_file_rejects_exactly_the_planted_rows_with_their_reason(
    demo_rows: pd.DataFrame, demo_result: ImportResult
) -> None:
    report = demo_result.report()
    assert report["lignes_acceptees"] >= 0.98 * report["lignes"]
    unknown = set(demo_rows.index[demo_rows["Commune"] == "Xyzville"])
    noumea = set(demo_rows.index[demo_rows["Code postal"] == "98800"])
    location = demo_rows[["Code postal", "Commune", "Adresse de la structure", "Latitude", "Longitude"]]
    nowhere = set(demo_rows.index[(location == "").all(axis=1)])
    assert min(len(unknown), len(noumea), len(nowhere)) >= 5
    reasons = dict(zip(demo_result.rejects["source_row"], demo_result.rejects["reason"]))
    assert set(reasons) == unknown | noumea | nowhere
    assert all("Xyzville" in reasons[row] and "introuvable" in reasons[row] for row in unknown)
    assert all("Nouvelle-Calédonie" in reasons[row] for row in noumea)
    assert all(reasons[row].startswith("Aucune localisation") for row in nowhere)


def test_demo_file_covers_every_theme_status_and_overseas(demo_result: ImportResult) -> None:
    records = demo_result.records
    assert set(records["theme"]) == set(load_themes().slugs())
    assert set(records["training_status"]) == set(STATUSES)
    animators = records["animator_id"].nunique()
    assert records.loc[records["theme"] == "cafe-ia", "animator_id"].nunique() > animators / 2
    assert OVERSEAS | CORSICA <= set(records["departement_code"])


def test_demo_file_is_dense_in_cities_and_leaves_gaps(demo_result: ImportResult, reference: ReferenceGeography) -> None:
    records = demo_result.records.drop_duplicates("animator_id")
    busiest = records["insee_code"].value_counts().index[0]
    assert busiest in set(reference.communes["population"].nlargest(10).index)
    metropolitan = set(reference.departements.index) - OVERSEAS
    assert metropolitan - set(records["departement_code"]), "no département without animators: no gap to show"


def test_demo_file_shares_of_advisers_consents_and_coordinates(
    demo_rows: pd.DataFrame, demo_result: ImportResult
) -> None:
    animators = demo_result.records.drop_duplicates("animator_id")
    assert 0.30 <= animators["is_conum"].mean() <= 0.40
    assert 0.55 <= animators["public_consent"].mean() <= 0.65
    assert 0.25 <= (demo_rows["Latitude"] != "").mean() <= 0.35


def test_demo_file_resubmissions_keep_the_later_status(demo_rows: pd.DataFrame, demo_result: ImportResult) -> None:
    answers = demo_rows.assign(when=pd.to_datetime(demo_rows["Horodateur"], format="%d/%m/%Y %H:%M:%S"))
    repeated = answers[answers["Adresse e-mail"].duplicated(keep=False)].sort_values("when")
    first = repeated.groupby("Adresse e-mail")[TRAINING_QUESTION].first()
    last = repeated.groupby("Adresse e-mail")[TRAINING_QUESTION].last()
    assert len(last) >= 10
    assert (first != last).all(), "a resubmission must change the status, or keeping the wrong row goes unseen"
    records = demo_result.records
    for email, answer in last.items():
        mine = records[records["email"] == email]
        assert set(mine["training_status"]) == {STATUS_OF_ANSWER[answer]}, email
        assert all(len(rows.split("|")) == 2 for rows in mine["source_rows"]), email


# ------------------------------------------------------------- messy export


def test_messy_export_is_a_cp1252_semicolon_file_with_many_columns(messy_table: RawTable) -> None:
    assert (messy_table.kind, messy_table.encoding, messy_table.delimiter) == ("csv", "cp1252", ";")
    assert len(messy_table.frame) == MESSY_ROWS
    assert len(messy_table.frame.columns) >= 25


def test_messy_export_spreads_its_messiness(messy_table: RawTable) -> None:
    frame = messy_table.frame
    postcode, city = frame["Code postal"], frame["Ville"]
    insee = frame["Code INSEE de la commune (si connu)"]
    assert len(frame[["Code postal", "Ville"]].drop_duplicates()) >= MESSY_ROWS / 2
    assert 0.25 <= (insee != "").mean() <= 0.35
    assert postcode.str.fullmatch(r"\d{4}").sum() > 0 and insee.str.fullmatch(r"\d{4}").sum() > 0
    assert city.str.contains(r"\bSte?\b", case=False).sum() > 0
    assert city.str.fullmatch(r"(Paris|Lyon|Marseille) \d.*").sum() > 0
    assert city.str.isupper().sum() > 0.1 * MESSY_ROWS
    assert (frame["X (Lambert 93)"] != "").sum() > 0
    assert frame["Latitude (WGS 84)"].str.contains(",").sum() > 0
    address = frame["Adresse postale de la structure (numéro et rue)"]
    address_only = (postcode == "") & (city == "") & address.str.contains(r", \d{5} ")
    assert 0.03 <= address_only.mean() <= 0.07


def test_messy_export_loads_with_few_rejects(messy_table: RawTable, gazetteer: Gazetteer) -> None:
    report = load_tables([messy_table], gazetteer).report()
    assert report["lignes"] == MESSY_ROWS
    assert report["lignes_acceptees"] >= 0.95 * MESSY_ROWS
    assert report["lignes_rejetees"] >= 0.01 * MESSY_ROWS


def messy_export_truth(reference: ReferenceGeography) -> pd.DataFrame:
    """The generator's export built in process with, for each row, the commune it was made from."""
    spec = importlib.util.spec_from_file_location("make_messy_export", REPO / "bench" / "make_messy_export.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    built = generator.build_messy_export(reference, MESSY_ROWS, seed=1, with_truth=True)
    return built.rename(columns={generator.TRUTH: "true_insee_code"})


def test_messy_export_places_its_rows_at_their_own_commune_not_somewhere_wrong(
    messy_table: RawTable, gazetteer: Gazetteer, reference: ReferenceGeography
) -> None:
    """Every accepted row is at the commune the generator made it from; the planted bad rows are all rejected.

    One rule lets a row land elsewhere, and only a few (at most 1 %): the generator types the postcode in the
    INSEE code field of 2 % of the rows that fill it, and when that postcode is also the INSEE code of another
    commune, the INSEE code wins (rule 1, « priorité au code INSEE »). Each such row says so in its note.
    """
    truth = messy_export_truth(reference)
    frame = messy_table.frame
    assert frame["N° de réponse"].tolist() == truth["N° de réponse"].tolist()  # the file the command line wrote
    true_code = pd.Series(truth["true_insee_code"].to_numpy(), index=frame.index)
    result = load_tables([messy_table], gazetteer)
    placed = {int(row): (code, note) for rows, code, note in
              zip(result.records["source_rows"], result.records["insee_code"], result.records["geocode_note"])
              for row in rows.split("|")}
    assert set(placed).isdisjoint(result.rejects["source_row"])
    assert set(true_code.index[true_code == ""]) <= set(result.rejects["source_row"])  # planted bad rows
    elsewhere = {row: placed[row] for row in placed if placed[row][0] != true_code[row]}
    assert len(elsewhere) <= 0.01 * MESSY_ROWS
    insee_field = frame["Code INSEE de la commune (si connu)"]
    for row, (code, note) in elsewhere.items():
        own = reference.communes.loc[true_code[row]]
        assert insee_field[row] == code and code in own["postcodes"].split("|"), row  # its postcode, read as INSEE
        assert f"désignent une autre commune ({own['nom']}, {true_code[row]})" in note, row
