"""``python -m carte import``: outputs, exit codes, store transactions and idempotent re-imports."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import sqlalchemy as sa
from conftest import json_records

import store
from loaders.read import read_table
from store.access import FRANCE

HEADER = "Adresse e-mail;Nom de votre structure;Code postal;Commune;Thématiques;Formé(e) ?;Consentement"


def run_carte(*args: str, env_home) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "carte", *args], capture_output=True, text=True,
                          env={"CARTE_DATA_HOME": str(env_home), "PATH": "/usr/bin:/bin", **_cache_env()})


def run(*args: str, env_home) -> subprocess.CompletedProcess:
    return run_carte("import", *args, env_home=env_home)


def _cache_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k in ("HOME", "CARTE_CACHE_DIR", "XDG_CACHE_HOME")}


def export(tmp_path, lines, name="export.csv"):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def counts(home) -> dict[str, int]:
    engine = sa.create_engine(f"sqlite:///{home / 'carte.sqlite'}")
    with engine.connect() as conn:
        return {t: conn.execute(sa.select(sa.func.count()).select_from(sa.table(t))).scalar_one()
                for t in ("import_batches", "animators", "referencings", "row_outcomes")}


def test_import_writes_outputs_and_store(tmp_path, store_home):
    path = export(tmp_path, ["a@x.fr;=HYPERLINK(\"http://evil\");34000;Montpellier;Café IA;Oui;Oui",
                             "b@x.fr;Médiathèque;51130;Xyzville;Café IA;Non;Non"])
    done = run(str(path), "--out", str(tmp_path / "out"), env_home=store_home)
    assert done.returncode == 0, done.stderr
    assert "1 acceptées, 1 rejetées" in done.stdout
    out = tmp_path / "out"
    raw = (out / "animateurs.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b";" in raw.splitlines()[0]
    assert "'=HYPERLINK" in raw.decode("utf-8-sig")
    animators = read_table(out / "animateurs.csv").frame
    assert animators.loc[2, "structure"] == '=HYPERLINK("http://evil")'  # restored on reading back
    assert animators.loc[2, "insee_code"] == "34172"
    rejects = read_table(out / "rejets.csv").frame
    assert rejects.loc[2, "Ligne d'origine"] == "3" and "Xyzville" in rejects.loc[2, "Motif du rejet"]
    report = json.loads((out / "rapport.json").read_text(encoding="utf-8"))
    assert (report["lignes"], report["lignes_acceptees"], report["lignes_rejetees"]) == (2, 1, 1)
    assert counts(store_home) == {"import_batches": 1, "animators": 1, "referencings": 1, "row_outcomes": 2}


def test_reimporting_the_same_file_changes_nothing(tmp_path, store_home):
    path = export(tmp_path, ["a@x.fr;EPN;34000;Montpellier;Café IA;Oui;Oui"])
    assert run(str(path), env_home=store_home).returncode == 0
    before = counts(store_home)
    again = run(str(path), env_home=store_home)
    assert again.returncode == 0
    assert "Déjà importé" in again.stdout
    assert counts(store_home) == before


def test_newer_export_updates_the_same_animator(tmp_path, store_home):
    run(str(export(tmp_path, ["a@x.fr;EPN;34000;Montpellier;Café IA;Non;Oui"], "v1.csv")), env_home=store_home)
    run(str(export(tmp_path, ["a@x.fr;EPN;34000;Montpellier;Café IA;Oui;Oui"], "v2.csv")), env_home=store_home)
    engine = store.connect(f"sqlite:///{store_home / 'carte.sqlite'}")
    table = store.read_animators(engine, scope=FRANCE)
    assert len(table) == 1 and table.loc[0, "training_status"] == "trained"


def test_unusable_file_exits_non_zero_and_writes_nothing(tmp_path, store_home):
    good = export(tmp_path, ["a@x.fr;EPN;34000;Montpellier;Café IA;Oui;Oui"])
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01\x02garbage\x00")
    done = run(str(good), str(bad), "--out", str(tmp_path / "out"), env_home=store_home)
    assert done.returncode != 0
    assert "Erreur" in done.stderr and "Traceback" not in done.stderr
    assert not (store_home / "carte.sqlite").exists() or counts(store_home)["import_batches"] == 0
    assert not (tmp_path / "out").exists()


def test_file_without_location_column_is_explained_in_french(tmp_path, store_home):
    path = tmp_path / "noloc.csv"
    path.write_text("Prénom;Nom\nAna;Durand\n", encoding="utf-8")
    done = run(str(path), "--theme", "cafe-ia", env_home=store_home)
    assert done.returncode != 0
    assert "aucune colonne ne permet de situer" in done.stderr


def test_column_option_and_profile(tmp_path, store_home, realdata):
    path = tmp_path / "odd.csv"
    path.write_text("Q1;Q2\n34000;Montpellier\n", encoding="utf-8")
    done = run(str(path), "--theme", "cafe-ia", "--column", "postcode=Q1", "--column", "city=Q2",
               "--out", str(tmp_path / "o"), env_home=store_home)
    assert done.returncode == 0, done.stderr
    assert pd.read_csv(tmp_path / "o" / "animateurs.csv", sep=";", dtype=str, encoding="utf-8-sig")[
        "insee_code"].tolist() == ["34172"]
    done = run(str(realdata / "epernay.json"), "--profile", "epernay", "--theme", "cafe-ia",
               env_home=store_home)
    assert done.returncode == 0, done.stderr
    assert f"{json_records(realdata / 'epernay.json')} acceptées" in done.stdout  # every row


def test_bad_column_option_is_a_clean_error(tmp_path, store_home):
    path = export(tmp_path, ["a@x.fr;EPN;34000;Montpellier;Café IA;Oui;Oui"])
    done = run(str(path), "--column", "nimportequoi", env_home=store_home)
    assert done.returncode != 0 and "Traceback" not in done.stderr


def test_identical_files_under_two_names_lose_nothing(tmp_path, store_home, gazetteer):
    """The second copy is skipped as already imported; its rows' records stay, under the first batch."""
    import store
    from loaders.pipeline import LoadOptions, load_tables

    content = ("Adresse e-mail;Nom de votre structure;Code postal;Commune;Thématiques;Formé(e) ?\n"
               "a@x.fr;Médiathèque;35000;Rennes;Café IA;Oui\n")
    first, copy = tmp_path / "a.csv", tmp_path / "copie.csv"
    first.write_text(content, encoding="utf-8")
    copy.write_text(content, encoding="utf-8")
    engine = store.connect()
    # The file rules refuse twins before the store (load_files, the page): the store still copes on its own.
    outcome = store.save_import(engine, load_tables([read_table(first), read_table(copy)], gazetteer, LoadOptions()))
    assert outcome.imported == ("a.csv",) and outcome.already_imported == ("copie.csv",)
    animators = store.read_animators(engine, scope=FRANCE)
    assert animators["structure"].tolist() == ["Médiathèque"]
    with engine.connect() as conn:
        outcomes = conn.execute(store.schema.row_outcomes.select()).mappings().all()
    assert [(o["source_row"], o["outcome"]) for o in outcomes] == [(2, "accepted")]


def test_two_files_with_one_name_from_two_folders_are_refused_and_nothing_is_imported(tmp_path, store_home):
    """Rows are named by their file's base name: ``a/export.csv`` and ``b/export.csv`` cannot be told apart."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = export(tmp_path / "a", ["a@x.fr;EPN;34000;Montpellier;Café IA;Oui;Oui"])
    second = export(tmp_path / "b", ["b@x.fr;Médiathèque;51200;Épernay;Café IA;Oui;Oui"])
    done = run(str(first), str(second), "--out", str(tmp_path / "out"), env_home=store_home)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "Deux fichiers s'appellent « export.csv »" in done.stderr
    assert not (store_home / "carte.sqlite").exists() or counts(store_home)["import_batches"] == 0
    assert not (tmp_path / "out").exists()


def test_two_identical_files_under_two_names_are_refused_by_the_command_line(tmp_path, store_home):
    first = export(tmp_path, ["a@x.fr;EPN;34000;Montpellier;Café IA;Oui;Oui"], "a.csv")
    copy = export(tmp_path, ["a@x.fr;EPN;34000;Montpellier;Café IA;Oui;Oui"], "copie.csv")
    done = run(str(first), str(copy), env_home=store_home)
    assert done.returncode != 0 and "« a.csv » et « copie.csv » sont identiques" in done.stderr
    assert not (store_home / "carte.sqlite").exists() or counts(store_home)["import_batches"] == 0


def test_a_file_name_holding_the_file_separator_is_refused_by_the_command_line(tmp_path, store_home):
    path = export(tmp_path, ["a@x.fr;EPN;34000;Montpellier;Café IA;Oui;Oui"], "a|b.csv")
    done = run(str(path), env_home=store_home)
    assert done.returncode != 0 and "contient le caractère « | »" in done.stderr
    assert not (store_home / "carte.sqlite").exists() or counts(store_home)["import_batches"] == 0


# --- python -m carte: one entry point for every command ------------------------------------------


def test_help_lists_every_command_of_the_entry_point(tmp_path):
    from carte.commands import COMMANDS

    done = run_carte("--help", env_home=tmp_path)
    assert done.returncode == 0
    listed = [line.split()[0] for line in done.stdout.splitlines() if line.startswith("  ")]
    assert listed == list(COMMANDS) == ["import", "publish", "coverage", "plan", "users", "privacy", "migrate-store"]


def test_each_command_answers_its_own_help_under_its_full_name(tmp_path):
    from carte.commands import COMMANDS

    for name in COMMANDS:
        done = run_carte(name, "--help", env_home=tmp_path)
        assert (done.returncode, done.stdout.startswith(f"usage: python -m carte {name} ")) == (0, True), name


def test_a_file_given_without_a_command_is_refused_in_french_and_nothing_is_imported(tmp_path, store_home):
    path = export(tmp_path, ["a@x.fr;Asso;35000;Rennes;Café IA;Oui;Oui"])
    done = run_carte(str(path), env_home=store_home)
    assert done.returncode == 2
    assert done.stderr.startswith(f"Erreur : commande « {path} » inconnue.")
    assert "python -m carte COMMANDE" in done.stderr and "Traceback" not in done.stderr
    assert not (store_home / "carte.sqlite").exists()


def test_no_command_at_all_asks_for_one(tmp_path):
    done = run_carte(env_home=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("Erreur : indiquez une commande.")
