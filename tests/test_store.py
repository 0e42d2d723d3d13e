"""The store on both engines (SQLite file and a real PostgreSQL): migrations, imports, moderation,
absences, consents, fixes, copy between engines, and concurrent imports.

Every test taking ``store_url`` runs twice, once per engine, on an empty database of its own.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

import store
from core.vocabulary import PENDING, REFUSED, VALIDATED
from loaders.pipeline import LoadOptions, load_files
from store.access import FRANCE, Agent
from store.schema import metadata

NATIONAL_TEAM = Agent("equipe@anct.gouv.fr", "national", FRANCE)

HEADER = "Horodateur;Adresse e-mail;Nom de votre structure;Code postal;Commune;Thématiques;Formé(e) ?;Consentement"


def write_export(folder: Path, name: str, rows: list[str]) -> Path:
    path = folder / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture()
def importer(engine, gazetteer, tmp_path):
    """Import rows as one export file; returns the save outcome."""
    counter = iter(range(1000))

    def run(rows: list[str], **save_options) -> store.SaveOutcome:
        path = write_export(tmp_path, f"export-{next(counter)}.csv", rows)
        return store.save_import(engine, load_files([path], gazetteer, LoadOptions(theme="cafe-ia")), **save_options)

    return run


def state(engine) -> pd.DataFrame:
    return store.read_animators(engine, personal=True, scope=FRANCE).set_index(["animator_id", "theme", "place_id"]).sort_index()


def test_migrations_build_exactly_the_declared_schema(engine):
    inspector = sa.inspect(engine)
    for table in metadata.sorted_tables:
        assert {c["name"] for c in inspector.get_columns(table.name)} == {c.name for c in table.columns}, table.name
        assert ({ix["name"] for ix in inspector.get_indexes(table.name) if ix["name"].startswith("ix_")}
                == {ix.name for ix in table.indexes}), table.name
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == "0005"


def test_connecting_again_changes_nothing(store_url, importer, engine):
    importer(["01/09/2026 10:00;a@x.fr;Médiathèque;35000;Rennes;Café IA;Oui;Oui"])
    again = store.connect(store_url)
    assert len(store.read_animators(again, scope=FRANCE)) == 1
    again.dispose()


def test_a_store_made_before_migrations_is_adopted_and_stays_published(tmp_path, gazetteer):
    """Step 1 stores had the 0001 tables and no alembic_version: they are stamped, upgraded, kept public."""
    from alembic import command
    from alembic.config import Config

    url = f"sqlite:///{tmp_path / 'ancienne.sqlite'}"
    legacy = sa.create_engine(url)
    with legacy.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(store.database.MIGRATIONS))
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.execute(sa.text("DROP TABLE alembic_version"))
        conn.execute(sa.text(
            "INSERT INTO import_batches (batch_id, file_name, sha256, imported_at, theme, rows, accepted_rows, "
            "rejected_rows, is_demo, report) VALUES (1, 'ancien.csv', 'abc', '2026-01-05 10:00:00', 'cafe-ia', 1, 1, "
            "0, 0, '{}')"))
        conn.execute(sa.text(
            "INSERT INTO animators (animator_id, structure, is_conum, public_consent, insee_code, commune, "
            "departement_code, region_code, lat, lon, geocode_precision, batch_id) VALUES ('a1', 'Ancienne', 0, 1, "
            "'35238', 'Rennes', '35', '53', 48.11, -1.68, 'commune', 1)"))
        conn.execute(sa.text(
            "INSERT INTO referencings (animator_id, theme, training_status, source_file, source_rows, batch_id) "
            "VALUES ('a1', 'cafe-ia', 'trained', 'ancien.csv', '2', 1)"))
    legacy.dispose()
    engine = store.connect(url)
    public = store.read_public(engine)
    assert public["structure"].tolist() == ["Ancienne"]
    with engine.connect() as conn:
        consent = conn.execute(sa.select(store.schema.consents)).mappings().one()
    assert consent["given"] and consent["form_version"] == "ancien.csv"
    engine.dispose()


def test_new_records_wait_for_a_moderator(importer, engine):
    importer(["01/09/2026 10:00;a@x.fr;Médiathèque;35000;Rennes;Café IA;Oui;Oui"])
    table = state(engine)
    assert table["moderation_status"].tolist() == [PENDING]
    assert store.read_public(engine).empty


def test_validation_publishes_and_a_change_sends_back_to_check(importer, engine):
    importer(["01/09/2026 10:00;a@x.fr;Médiathèque;35000;Rennes;Café IA;Non;Oui"])
    (animator_id, theme, place_id), = state(engine).index
    # The person's training and their place: two verdicts in one decision, one row of the queue updated.
    assert store.moderate(engine, [store.Decision(animator_id, theme, VALIDATED, place_id=place_id)],
                          actor="hub Bretagne", scope=FRANCE) == 1
    assert store.read_public(engine)["structure"].tolist() == ["Médiathèque"]
    # The same answers in a newer export: still validated.
    importer(["02/09/2026 10:00;a@x.fr;Médiathèque;35000;Rennes;Café IA;Non;Oui"])
    assert state(engine)["moderation_status"].tolist() == [VALIDATED]
    # Now trained: what was checked changed, back to « à vérifier » and off the public page.
    importer(["03/09/2026 10:00;a@x.fr;Médiathèque;35000;Rennes;Café IA;Oui;Oui"])
    assert state(engine)["moderation_status"].tolist() == [PENDING]
    assert store.read_public(engine).empty
    with engine.connect() as conn:
        events = conn.execute(sa.select(store.schema.moderation_events)).mappings().all()
    assert [(e["status"], e["actor"]) for e in events] == [(VALIDATED, "hub Bretagne")]


def test_refusal_needs_a_reason_and_is_recorded(importer, engine):
    importer(["01/09/2026 10:00;a@x.fr;Médiathèque;35000;Rennes;Café IA;Oui;Oui"])
    (animator_id, theme, _), = state(engine).index
    with pytest.raises(ValueError, match="reason"):
        store.moderate(engine, [store.Decision(animator_id, theme, REFUSED, "  ")], actor="hub", scope=FRANCE)
    store.moderate(engine, [store.Decision(animator_id, theme, REFUSED, "doublon d'une autre fiche")], actor="hub", scope=FRANCE)
    row = state(engine).iloc[0]
    assert (row["moderation_status"], row["moderation_reason"]) == (REFUSED, "doublon d'une autre fiche")


def test_the_latest_submission_wins_whatever_the_import_order(importer, engine):
    importer(["05/09/2026 10:00;a@x.fr;Médiathèque;35000;Rennes;Café IA;Oui;Oui"])
    importer(["01/09/2026 10:00;a@x.fr;Médiathèque;35000;Rennes;Café IA;Non;Non"])
    assert state(engine)[["training_status", "public_consent"]].values.tolist() == [["trained", True]]


def test_reimporting_the_same_file_is_a_noop_that_says_so(engine, gazetteer, tmp_path):
    path = write_export(tmp_path, "a.csv", ["01/09/2026 10:00;a@x.fr;Médiathèque;35000;Rennes;Café IA;Oui;Oui"])
    result = load_files([path], gazetteer, LoadOptions())
    assert store.save_import(engine, result).imported == ("a.csv",)
    before = state(engine)
    outcome = store.save_import(engine, result)
    assert outcome.imported == () and outcome.already_imported == ("a.csv",)
    pd.testing.assert_frame_equal(state(engine), before)
    assert len(store.read_batches(engine, scope=FRANCE)) == 1


def test_a_full_export_unpublishes_what_it_no_longer_holds(importer, engine):
    importer(["01/09/2026 10:00;a@x.fr;A;35000;Rennes;Café IA;Oui;Oui",
              "01/09/2026 10:00;b@x.fr;B;35400;Saint-Malo;Café IA;Oui;Oui"], form="Café IA Bretagne", is_demo=True)
    assert len(store.read_public(engine)) == 2
    outcome = importer(["02/09/2026 10:00;a@x.fr;A;35000;Rennes;Café IA;Oui;Oui"], form="Café IA Bretagne",
                       full_export=True)
    assert outcome.marked_absent == 1
    table = state(engine).set_index("structure")
    assert table.loc["B", "absent_from_last_export"] and not table.loc["A", "absent_from_last_export"]
    assert store.read_public(engine)["structure"].tolist() == ["A"]
    assert len(store.read_animators(engine, scope=FRANCE)) == 2  # flagged, not deleted
    # A partial export of another form does not touch them; B's return clears the flag.
    importer(["03/09/2026 10:00;c@x.fr;C;35500;Vitré;Café IA;Oui;Oui"], form="Autre formulaire")
    importer(["04/09/2026 10:00;b@x.fr;B;35400;Saint-Malo;Café IA;Oui;Oui"], form="Café IA Bretagne")
    assert not state(engine).set_index("structure").loc["B", "absent_from_last_export"]


def test_consent_history_is_appended_when_the_answer_changes(importer, engine):
    importer(["01/09/2026 10:00;a@x.fr;A;35000;Rennes;Café IA;Oui;Oui"], form="v1")
    importer(["02/09/2026 10:00;a@x.fr;A;35000;Rennes;Café IA;Oui;Oui"], form="v1")
    importer(["03/09/2026 10:00;a@x.fr;A;35000;Rennes;Café IA;Oui;Non"], form="v2")
    with engine.connect() as conn:
        history = conn.execute(sa.select(store.schema.consents).order_by(store.schema.consents.c.consent_id)).mappings().all()
    assert [(c["given"], c["form_version"].split(" — ")[0]) for c in history] == [(True, "v1"), (False, "v2")]
    assert not state(engine)["public_consent"].iloc[0]


def test_geocoding_fixes_are_kept_and_hide_their_rejected_rows(importer, engine):
    """A fix saved twice keeps its last commune, and hides the rejected row it places (and only that one)."""
    importer(["01/09/2026 10:00;a@x.fr;A;99999;Renne;Café IA;Oui;Oui",
              "01/09/2026 10:01;b@x.fr;B;99998;Nulle-Part;Café IA;Oui;Oui"])
    rejected = store.read_rejected_rows(engine, NATIONAL_TEAM).set_index("location_text")["location_key"]
    assert sorted(rejected.index) == ["99998, Nulle-Part", "99999, Renne"]
    fixed = rejected["99999, Renne"]
    store.save_fix(engine, fixed, "35238", "99999, Renne", agent=NATIONAL_TEAM)
    store.save_fix(engine, fixed, "35051", "99999, Renne", agent=NATIONAL_TEAM)  # corrected again
    fixes = store.read_fixes(engine)
    assert fixes.loc[fixed, "insee_code"] == "35051" and len(fixes) == 1
    assert store.read_rejected_rows(engine, NATIONAL_TEAM)["location_text"].tolist() == ["99998, Nulle-Part"]


def test_copy_store_between_engines(store_url, importer, engine, tmp_path, postgres_cluster, gazetteer):
    """SQLite → PostgreSQL and PostgreSQL → SQLite: same content, and ids keep counting after the copy."""
    from postgres import fresh_database

    importer(["01/09/2026 10:00;a@x.fr;A;35000;Rennes;Café IA;Oui;Oui",
              "01/09/2026 10:00;b@x.fr;B;00000;Nulle-Part;Café IA;Oui;Oui",
              "01/09/2026 11:00;a@x.fr;A2;35500;Vitré;Café IA;Oui;Oui"], hub="Bretagne")
    (animator_id, theme, place_id), _ = state(engine).index
    store.moderate(engine, [store.Decision(animator_id, theme, VALIDATED, place_id=place_id)], actor="hub", scope=FRANCE)
    with fresh_database(postgres_cluster) as postgres_url:
        source_engine = sa.engine.make_url(store_url).get_backend_name()
        target = store.connect(postgres_url if source_engine == "sqlite" else f"sqlite:///{tmp_path / 'copie.sqlite'}")
        counts = store.copy_store(engine, target)
        assert counts["animators"] == 1 and counts["row_outcomes"] == 3 and counts["moderation_events"] == 1
        assert (counts["places"], counts["animator_places"]) == (2, 2)  # one person at two places
        pd.testing.assert_frame_equal(state(target), state(engine))
        with pytest.raises(ValueError, match="pas vide"):
            store.copy_store(engine, target)
        later = write_export(tmp_path, "apres.csv", ["02/09/2026 10:00;c@x.fr;C;35500;Vitré;Café IA;Oui;Oui"])
        store.save_import(target, load_files([later], gazetteer, LoadOptions()))
        assert sorted(store.read_batches(target, scope=FRANCE)["batch_id"]) == [1, 2]
        target.dispose()


def test_migrate_store_command(tmp_path, store_home, postgres_cluster, repo_root):
    from postgres import fresh_database

    source = f"sqlite:///{tmp_path / 'source.sqlite'}"
    export = write_export(tmp_path, "a.csv", ["01/09/2026 10:00;a@x.fr;A;35000;Rennes;Café IA;Oui;Oui"])
    subprocess.run([sys.executable, "-m", "carte", "import", str(export), "--db", source, "--hub", "Bretagne"],
                   check=True, cwd=repo_root, capture_output=True)
    with fresh_database(postgres_cluster) as target:
        done = subprocess.run([sys.executable, "-m", "carte", "migrate-store", "--from", source, "--to", target],
                              cwd=repo_root, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert "animators 1" in done.stdout
        copied = store.connect(target)
        assert store.read_batches(copied, scope=FRANCE)["hub"].tolist() == ["Bretagne"]
        copied.dispose()
        again = subprocess.run([sys.executable, "-m", "carte", "migrate-store", "--from", source, "--to", target],
                               cwd=repo_root, capture_output=True, text=True)
        assert again.returncode == 2 and "pas vide" in again.stderr


def test_concurrent_imports_end_as_sequential_ones(store_url, realdata, repo_root, tmp_path):
    """Four hubs import four files at once while a fifth process re-imports one of them."""
    files = sorted(realdata.iterdir())
    hub_files = [f for f in files if f.suffix == ".json"][:4]
    assert len(hub_files) == 4
    commands = [[str(path), "--theme", "cafe-ia", "--hub", path.stem] for path in hub_files]
    commands.append([str(hub_files[0]), "--theme", "cafe-ia", "--hub", "bis"])
    processes = [subprocess.Popen([sys.executable, "-m", "carte", "import", *command, "--db", store_url], cwd=repo_root,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for command in commands]
    results = [(process.wait(timeout=600), process.stderr.read()) for process in processes]
    for process in processes:
        process.stdout.close()
        process.stderr.close()
    assert all(code == 0 for code, _ in results), results
    concurrent = store.connect(store_url)
    # Imports are serialised: replaying them one after another in the order they committed (batch ids)
    # must give the same state, even where rows of two files compete without submission dates.
    committed = store.read_batches(concurrent, scope=FRANCE).sort_values("batch_id")["file_name"].tolist()
    replay = sorted(commands[:4], key=lambda command: committed.index(Path(command[0]).name)) + commands[4:]
    sequential = store.connect(f"sqlite:///{tmp_path / 'sequentiel.sqlite'}")
    for command in replay:
        subprocess.run([sys.executable, "-m", "carte", "import", *command, "--db", str(sequential.url)], cwd=repo_root,
                       check=True, capture_output=True)
    batches = store.read_batches(concurrent, scope=FRANCE)
    assert sorted(batches["file_name"]) == sorted(path.name for path in hub_files)  # every batch, once
    ignored = ["batch_id", "first_imported_at", "trained_seen_at", "place_since"]  # import times
    mine, theirs = state(concurrent).drop(columns=ignored), state(sequential).drop(columns=ignored)
    assert mine.index.is_unique and len(mine) == len(theirs)
    pd.testing.assert_frame_equal(mine, theirs, check_dtype=False)
    with concurrent.connect() as conn:
        outcomes = conn.execute(sa.select(sa.func.count()).select_from(store.schema.row_outcomes)).scalar_one()
    assert outcomes == int(batches["rows"].sum())  # no lost row
    concurrent.dispose()
    sequential.dispose()


def test_the_first_answer_date_stays_when_a_record_is_answered_again(importer, engine):
    importer(["01/02/2026 10:00;a@x.fr;A;35000;Rennes;Café IA;Non;Oui"])
    importer(["01/06/2026 10:00;a@x.fr;A;35000;Rennes;Café IA;Oui;Oui"])
    row = store.read_animators(engine, scope=FRANCE).iloc[0]
    assert (row["first_submitted_at"].month, row["training_status"]) == (2, "trained")


def test_a_fixed_row_is_placed_on_every_later_import(engine, gazetteer, tmp_path):
    """The hub places a rejected row by hand; the next export containing the same row uses the fix."""
    row = "01/09/2026 10:00;c@x.fr;Tiers-lieu C;99999;Renne;Café IA;Oui;Oui"
    store.save_import(engine, load_files([write_export(tmp_path, "a.csv", [row])], gazetteer, LoadOptions()))
    rejected = store.read_rejected_rows(engine, NATIONAL_TEAM)
    assert rejected["location_text"].tolist() == ["99999, Renne"]
    store.save_fix(engine, rejected["location_key"].iloc[0], "35238", "99999, Renne", agent=NATIONAL_TEAM)
    assert store.read_rejected_rows(engine, NATIONAL_TEAM).empty
    later = write_export(tmp_path, "b.csv", [row.replace("01/09", "02/09")])
    result = load_files([later], gazetteer, LoadOptions(fixes=store.fix_map(engine)))
    store.save_import(engine, result)
    placed = store.read_animators(engine, scope=FRANCE).iloc[0]
    assert (placed["insee_code"], placed["commune"]) == ("35238", "Rennes")
    assert "placée à la main" in placed["geocode_note"]
