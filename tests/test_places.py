"""People and places (issue 13): one person, several places, never merged into one.

The identity rule of a place and its near-misses, the loader's records (one per animator × theme ×
place), the command line's contract, the store on both engines (links, moderation of places, full
exports closing places, scopes, privacy, migration 0005 of a filled store), and the issue's example
end to end: one person answering from Rennes, Vitré and Fougères.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import REAL_EXPORTS, REALDATA_EXTRACTS

import store
from core.vocabulary import PENDING, REFUSED, VALIDATED
from geo.coverage import commune_indicators
from geo.nearby import nearest
from loaders import people
from loaders.columns import map_columns
from loaders.pipeline import RECORD_COLUMNS, LoadOptions, load_files, load_tables
from loaders.places import place_id
from loaders.read import read_table
from store import privacy
from store.access import FRANCE, Agent

NATIONAL_TEAM = Agent("equipe@anct.gouv.fr", "national", FRANCE)

FIXTURES = Path(__file__).parent / "fixtures"
THREE_PLACES = FIXTURES / "trois-lieux.csv"
CLAIRE = "claire.martin@exemple.fr"
HEADER = "Horodateur;Adresse e-mail;Nom de votre structure;Adresse;Code postal;Commune;Thématiques;Formé(e) ?;Consentement"


def write_export(folder: Path, name: str, rows: list[str]) -> Path:
    path = folder / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


# --- The identity rule of a place ---------------------------------------------------------------


@pytest.mark.parametrize(("first", "second"), [
    (("42218", None, "Médiathèque Saint-Étienne", ""), ("42218", "", "MEDIATHEQUE  SAINT ETIENNE.", None)),
    (("42218", None, "MVC St Etienne", ""), ("42218", None, "MVC Saint-Étienne", "")),  # st → saint
    (("42218", None, "Ste-Anne", "12 bd Victor-Hugo"), ("42218", None, "Sainte Anne", "12, boulevard Victor Hugo")),
    (("35238", None, "Aucune", ""), ("35238", None, "", "")),  # no structure named
])
def test_same_place_by_the_rule(first, second):
    assert place_id(*first) == place_id(*second)


@pytest.mark.parametrize(("first", "second"), [
    # Acronyms are never expanded: no list can say which « MVC » a hub means.
    (("42218", None, "MVC St Etienne", ""), ("42218", None, "Maison de la Vie Citoyenne Saint-Étienne", "")),
    (("42218", None, "Médiathèque", ""), ("35238", None, "Médiathèque", "")),  # another commune
    (("13055", "13201", "Mairie annexe", ""), ("13055", "13202", "Mairie annexe", "")),  # another arrondissement
    (("35238", None, "Médiathèque", ""), ("35238", None, "Médiathèque", "2 rue de Brest")),  # address given
    (("35238", None, "Médiathèque", "2 rue de Brest"), ("35238", None, "Médiathèque", "4 rue de Brest")),
    (("35238", None, "Médiathèque des Champs", ""), ("35238", None, "Médiathèque des Champs Libres", "")),
])
def test_near_misses_are_two_places(first, second):
    assert place_id(*first) != place_id(*second)


# --- The loader ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def three_places(gazetteer):
    return load_files([THREE_PLACES], gazetteer)


def test_one_person_at_three_places_in_two_themes_gives_six_records(three_places):
    records = three_places.records
    assert records["animator_id"].nunique() == 1 and records["place_id"].nunique() == 3
    assert sorted(records.groupby("commune")["theme"].apply(sorted).items()) == [
        (commune, ["cafe-ia", "parentalite-numerique"]) for commune in ("Fougères", "Rennes", "Vitré")]
    # Each line stays at its own commune: nothing merged.
    assert dict(zip(records["source_rows"], records["commune"])) == {"2": "Rennes", "3": "Vitré", "4": "Fougères"}
    assert three_places.report()["doublons_fusionnes"] == 0 and three_places.report()["lieux"] == 3


def test_same_person_place_and_theme_twice_is_a_duplicate_and_the_latest_wins(tmp_path, gazetteer):
    path = write_export(tmp_path, "doublons.csv", [
        "01/09/2026 10:00;a@x.fr;Médiathèque;;35500;Vitré;Café IA;Non;Oui",
        "03/09/2026 10:00;a@x.fr;MEDIATHEQUE;;35500;Vitré;Café IA;Oui;Oui",  # the same place, folded
        "02/09/2026 10:00;a@x.fr;Médiathèque;;35000;Rennes;Café IA;Non;Oui",  # another place
    ])
    records = load_files([path], gazetteer).records.set_index("commune")
    assert records.loc["Vitré", "source_rows"] == "2|3" and records.loc["Vitré", "training_status"] == "trained"
    assert records.loc["Rennes", "source_rows"] == "4"
    assert records.loc["Vitré", "place_id"] != records.loc["Rennes", "place_id"]


def test_animateurs_csv_has_a_place_id_next_to_the_animator_id_and_geo_reads_it(tmp_path, store_home):
    done = subprocess.run([sys.executable, "-m", "carte", "import", str(THREE_PLACES), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, env={"CARTE_DATA_HOME": str(store_home), "PATH": "/usr/bin:/bin",
                                                               "HOME": str(Path.home())})
    assert done.returncode == 0, done.stderr
    assert "3 lieux" in done.stdout
    table = read_table(tmp_path / "out" / "animateurs.csv").frame
    assert list(table.columns) == list(RECORD_COLUMNS)
    assert list(table.columns[:3]) == ["animator_id", "place_id", "theme"]
    assert len(table) == 6 and table["place_id"].nunique() == 3
    # The ids are those of the store: stable across imports.
    assert set(table["place_id"]) == {place_id(code, None, structure, "") for code, structure in
                                      zip(table["insee_code"], table["structure"])}
    covered = subprocess.run([sys.executable, "-m", "carte", "coverage", str(tmp_path / "out" / "animateurs.csv"),
                              "--out", str(tmp_path / "couverture")], capture_output=True, text=True)
    assert covered.returncode == 0, covered.stderr
    communes = read_table(tmp_path / "couverture" / "communes.csv").frame.set_index("insee_code")
    for code in set(table["insee_code"]):
        assert communes.loc[code, "covered"] == "oui", code


# --- The store ----------------------------------------------------------------------------------


def validate_everything(engine) -> None:
    rows = store.read_animators(engine, scope=FRANCE)
    store.moderate(engine, [store.Decision(a, t, VALIDATED, place_id=p) for a, t, p in
                            zip(rows["animator_id"], rows["theme"], rows["place_id"])], actor="hub", scope=FRANCE)


def test_rennes_vitre_fougeres_end_to_end(engine, three_places, reference):
    """Loader → store → public finder near Vitré → all three communes covered → erasure removes all three."""
    store.save_import(engine, three_places)
    validate_everything(engine)
    public = store.read_public(engine)
    assert len(public) == 6 and public["animator_id"].nunique() == 1
    vitre = public.loc[public["commune"] == "Vitré", "insee_code"].iloc[0]
    lon, lat = reference.communes.loc[vitre, ["lon", "lat"]]
    found = nearest(public[public["theme"] == "cafe-ia"], lon, lat, 3)
    assert found["commune"].tolist()[0] == "Vitré" and found["commune"].nunique() == 3  # once per place
    cafe = public[public["theme"] == "cafe-ia"]
    indicators = commune_indicators(reference.communes, cafe, radius_km=15)
    codes = sorted(set(public["insee_code"]))
    assert len(codes) == 3 and indicators.loc[codes, "covered"].all()
    assert indicators.loc[codes, "animators_within_km"].tolist() == [1, 1, 1]
    privacy.erase(engine, CLAIRE, recorded_by="dpo", scope=FRANCE)
    assert store.read_public(engine).empty and store.read_animators(engine, scope=FRANCE).empty
    counts = privacy.purge(engine, recorded_by="dpo")
    assert (counts["animator_places"], counts["places"]) == (3, 3)  # no place left without anyone
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(store.schema.places)).scalar_one() == 0


def test_a_referencing_stands_on_the_lines_of_all_her_places_and_a_place_on_its_own(engine, gazetteer, tmp_path):
    rows = ["01/09/2026 10:00;a@x.fr;Médiathèque;;35000;Rennes;Café IA;Oui;Oui",
            "01/09/2026 11:00;a@x.fr;EPN;;35500;Vitré;Café IA, Parentalité numérique;Oui;Oui"]
    other = ["02/09/2026 10:00;a@x.fr;France services;;35300;Fougères;Café IA;Oui;Oui"]
    store.save_import(engine, load_files([write_export(tmp_path, "a.csv", rows),
                                          write_export(tmp_path, "b.csv", other)], gazetteer))
    stored = store.read_animators(engine, scope=FRANCE).set_index(["theme", "commune"])
    assert set(stored.loc["cafe-ia", "source_rows"]) == {"a.csv:2|a.csv:3|b.csv:2"}
    assert set(stored.loc["cafe-ia", "source_file"]) == {"a.csv|b.csv"}
    assert stored.loc[("parentalite-numerique", "Vitré"), "source_rows"] == "3"
    places = stored.loc["cafe-ia", "place_source_rows"].to_dict()
    assert places == {"Rennes": "2", "Vitré": "3", "Fougères": "2"}


def test_a_new_place_of_a_validated_person_waits_for_a_moderator(engine, gazetteer, tmp_path):
    rennes = "01/09/2026 10:00;a@x.fr;Médiathèque;;35000;Rennes;Café IA;Oui;Oui"
    store.save_import(engine, load_files([write_export(tmp_path, "a.csv", [rennes])], gazetteer))
    validate_everything(engine)
    later = write_export(tmp_path, "b.csv", [rennes.replace("01/09", "02/09"),
                                             "02/09/2026 10:00;a@x.fr;EPN;;35500;Vitré;Café IA;Oui;Oui"])
    store.save_import(engine, load_files([later], gazetteer))
    rows = store.read_animators(engine, scope=FRANCE).set_index("commune")
    assert rows.loc["Rennes", ["moderation_status", "published"]].tolist() == [VALIDATED, True]
    assert rows.loc["Vitré", ["theme_moderation_status", "place_moderation_status"]].tolist() == [VALIDATED, PENDING]
    assert rows.loc["Vitré", ["moderation_status", "published"]].tolist() == [PENDING, False]
    assert store.read_public(engine)["commune"].tolist() == ["Rennes"]
    # A refusal of the place alone leaves the person and her other place published.
    vitre = rows.loc["Vitré", "place_id"]
    store.moderate(engine, [store.Decision(rows.loc["Vitré", "animator_id"], "", REFUSED, "lieu fermé", vitre)], "hub", scope=FRANCE)
    rows = store.read_animators(engine, scope=FRANCE).set_index("commune")
    assert rows.loc["Vitré", ["moderation_status", "moderation_reason"]].tolist() == [REFUSED, "lieu fermé"]
    assert store.read_public(engine)["commune"].tolist() == ["Rennes"]
    with engine.connect() as conn:
        event = conn.execute(sa.select(store.schema.moderation_events).order_by(store.schema.moderation_events.c.event_id.desc())
                             ).mappings().first()
    assert (event["theme"], event["place_id"], event["status"]) == ("", vitre, REFUSED)


def test_a_full_export_without_a_place_closes_it_and_keeps_the_person(engine, gazetteer, tmp_path):
    rows = ["01/09/2026 10:00;a@x.fr;Médiathèque;;35000;Rennes;Café IA;Oui;Oui",
            "01/09/2026 11:00;a@x.fr;EPN;;35500;Vitré;Café IA;Oui;Oui"]
    store.save_import(engine, load_files([write_export(tmp_path, "a.csv", rows)], gazetteer), form="F", is_demo=True)
    assert sorted(store.read_public(engine)["commune"]) == ["Rennes", "Vitré"]
    only_rennes = write_export(tmp_path, "b.csv", [rows[0].replace("01/09", "05/09")])
    outcome = store.save_import(engine, load_files([only_rennes], gazetteer), form="F", full_export=True)
    assert (outcome.marked_absent, outcome.closed_places) == (0, 1)
    assert store.read_public(engine)["commune"].tolist() == ["Rennes"]
    every = store.read_animators(engine, closed_places=True, scope=FRANCE).set_index("commune")
    assert pd.notna(every.loc["Vitré", "place_until"]) and pd.isna(every.loc["Rennes", "place_until"])
    assert not every.loc["Vitré", "published"]
    # Declared again by a later export: open again, with the verdict it had.
    again = write_export(tmp_path, "c.csv", [rows[1].replace("01/09", "06/09")])
    store.save_import(engine, load_files([again], gazetteer), form="F")
    assert sorted(store.read_public(engine)["commune"]) == ["Rennes", "Vitré"]


def test_a_hub_sees_a_person_through_its_own_places_only(engine, gazetteer, tmp_path):
    rows = ["01/09/2026 10:00;a@x.fr;Médiathèque;;35000;Rennes;Café IA;Oui;Oui",
            "01/09/2026 11:00;a@x.fr;EPN;;29200;Brest;Café IA;Oui;Oui",
            "01/09/2026 12:00;b@x.fr;EPN;;35500;Vitré;Café IA;Oui;Oui"]
    store.save_import(engine, load_files([write_export(tmp_path, "a.csv", rows)], gazetteer))
    finistere = store.read_animators(engine, personal=True, scope=store.access.Scope("departement", "29"))
    assert finistere[["email", "commune"]].values.tolist() == [["a@x.fr", "Brest"]]
    bretagne = store.read_animators(engine, scope=store.access.Scope("region", "53"))
    assert len(bretagne) == 3
    assert store.read_animators(engine, scope=store.access.Scope("departement", "14")).empty


def test_a_hub_cannot_moderate_outside_its_territory_even_through_the_store(engine, gazetteer, tmp_path):
    rows = ["01/09/2026 10:00;a@x.fr;Médiathèque;;35000;Rennes;Café IA;Oui;Oui",
            "01/09/2026 11:00;a@x.fr;EPN;;29200;Brest;Café IA;Oui;Oui",
            "01/09/2026 12:00;b@x.fr;EPN;;35500;Vitré;Café IA;Oui;Oui"]
    store.save_import(engine, load_files([write_export(tmp_path, "a.csv", rows)], gazetteer))
    table = store.read_animators(engine, scope=FRANCE).set_index("commune")
    a, b = table.loc["Brest", "animator_id"], table.loc["Vitré", "animator_id"]
    finistere = store.access.Scope("departement", "29")
    # Her referencing, seen through Brest, and her place at Brest: within the Finistère hub's reach.
    brest = store.Decision(a, "cafe-ia", VALIDATED, place_id=table.loc["Brest", "place_id"])
    assert store.moderate(engine, [brest], "hub@finistere.fr", scope=finistere) == 1
    outside = [store.Decision(a, "", REFUSED, "lieu fermé", table.loc["Rennes", "place_id"]),
               store.Decision(b, "cafe-ia", VALIDATED)]
    for decision in outside:
        with pytest.raises(store.access.OutOfScopeError):
            store.moderate(engine, [brest, decision], "hub@finistere.fr", scope=finistere)
    after = store.read_animators(engine, scope=FRANCE).set_index("commune")
    assert after["place_moderation_status"].to_dict() == {"Brest": VALIDATED, "Rennes": PENDING, "Vitré": PENDING}
    assert after.loc["Vitré", "theme_moderation_status"] == PENDING
    assert store.moderate(engine, outside[1:], "hub@bretagne.fr", scope=store.access.Scope("region", "53")) == 1


def test_a_row_placed_by_hand_becomes_one_more_place_of_its_person(engine, gazetteer, tmp_path):
    rows = ["01/09/2026 10:00;a@x.fr;Médiathèque;;35000;Rennes;Café IA;Oui;Oui",
            "01/09/2026 11:00;a@x.fr;Tiers-lieu;;99999;Vitre;Café IA;Oui;Oui"]
    store.save_import(engine, load_files([write_export(tmp_path, "a.csv", rows)], gazetteer))
    rejected = store.read_rejected_rows(engine, NATIONAL_TEAM)
    store.save_fix(engine, rejected["location_key"].item(), "35360", "99999, Vitre", agent=NATIONAL_TEAM)
    later = write_export(tmp_path, "b.csv", [row.replace("01/09", "02/09") for row in rows])
    store.save_import(engine, load_files([later], gazetteer, LoadOptions(fixes=store.fix_map(engine))))
    placed = store.read_animators(engine, scope=FRANCE).set_index("commune")
    assert sorted(placed.index) == ["Rennes", "Vitré"] and placed["animator_id"].nunique() == 1
    assert placed.loc["Vitré", "place_moderation_status"] == PENDING and "à la main" in placed.loc["Vitré", "geocode_note"]


def test_withdrawal_and_retention_cover_every_place(engine, three_places):
    store.save_import(engine, three_places)
    validate_everything(engine)
    claire = people.animator_id_of(CLAIRE)
    assert list(store.read_public_contacts(engine, [claire]).index) == [claire]
    privacy.withdraw_consent(engine, CLAIRE, recorded_by="dpo", scope=FRANCE)
    assert store.read_public_contacts(engine, [claire]).empty
    assert len(store.read_public(engine)) == 6  # the places stay public, without the contact
    overdue = privacy.retention_overdue(engine, months=0)
    assert len(overdue) == 6 and overdue["place_id"].nunique() == 3


# --- Migration 0005 of a filled store -------------------------------------------------------------


def store_at_0004(url: str, records: pd.DataFrame) -> None:
    """A store as step 5 left it: one place per animator, on the animator row, digests of whole records."""
    from alembic import command
    from alembic.config import Config

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(store.database.MIGRATIONS))
        config.attributes["connection"] = conn
        command.upgrade(config, "0004")
        tables = sa.MetaData()
        tables.reflect(conn)
        batch = conn.execute(tables.tables["import_batches"].insert().values({
            "file_name": "ancien.csv", "sha256": "ab" * 32, "imported_at": pd.Timestamp("2026-09-10"),
            "theme": None, "rows": 4, "accepted_rows": 4, "rejected_rows": 0, "is_demo": False, "report": "{}",
            "form": "F"})).inserted_primary_key[0]
        latest = records.sort_values("submitted_at").drop_duplicates("animator_id", keep="last")
        animator_columns = [c.name for c in tables.tables["animators"].columns if c.name != "batch_id"]
        conn.execute(tables.tables["animators"].insert(), [
            {**{name: _plain(row[name]) for name in animator_columns}, "batch_id": batch}
            for row in latest.to_dict("records")])
        conn.execute(tables.tables["referencings"].insert(), [{
            **{name: _plain(row[name]) for name in ("animator_id", "theme", "training_status", "training_date",
                                                    "training_body", "submission_id", "submitted_at", "source_file",
                                                    "source_rows")},
            "batch_id": batch, "form": "F", "content_hash": digest, "moderation_status": VALIDATED,
            "first_imported_at": pd.Timestamp("2026-09-10").to_pydatetime(),
        } for row, digest in zip(records.to_dict("records"), store.digests._content_hashes(records))])
    engine.dispose()


def _plain(value):
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def test_migration_0005_moves_every_place_and_keeps_the_verdicts(store_url, gazetteer, tmp_path):
    rows = ["01/09/2026 10:00;a@x.fr;Médiathèque;2 rue de Brest;35000;Rennes;Café IA, Parentalité numérique;Oui;Oui",
            "02/09/2026 10:00;b@x.fr;EPN;;35500;Vitré;Café IA;Non;Oui",
            "03/09/2026 10:00;c@x.fr;EPN;;35500;Vitré;Café IA;Oui;Non"]  # same place as b@
    records = load_files([write_export(tmp_path, "ancien.csv", rows)], gazetteer).records
    store_at_0004(store_url, records)
    engine = store.connect(store_url)
    moved = store.read_animators(engine, personal=True, scope=FRANCE)
    assert len(moved) == 4 and moved["published"].all()
    keep = ["animator_id", "theme", "place_id", "structure", "address", "postcode", "insee_code", "commune",
            "epci_code", "departement_code", "region_code", "lat", "lon", "geocode_precision", "training_status"]
    before = records[keep].sort_values(["animator_id", "theme"]).reset_index(drop=True)
    after = moved[keep].sort_values(["animator_id", "theme"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(after, before, check_dtype=False)  # nothing lost, same place ids as the loader
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(store.schema.places)).scalar_one() == 2
    # The same answers again: no new place, every verdict kept; a change sends only that record back.
    again = write_export(tmp_path, "nouveau.csv", [rows[0], rows[1], rows[2].replace(";Oui;Non", ";Non;Non")])
    store.save_import(engine, load_files([again], gazetteer), form="F")
    now = store.read_animators(engine, personal=True, scope=FRANCE).set_index(["email", "theme"])
    assert now["moderation_status"].to_dict() == {
        ("a@x.fr", "cafe-ia"): VALIDATED, ("a@x.fr", "parentalite-numerique"): VALIDATED,
        ("b@x.fr", "cafe-ia"): VALIDATED, ("c@x.fr", "cafe-ia"): PENDING}
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(store.schema.places)).scalar_one() == 2
        assert conn.execute(sa.select(sa.func.count()).select_from(store.schema.animator_places)).scalar_one() == 3
    engine.dispose()


# --- Real exports: every line at its own commune ------------------------------------------------------
# A few real lines of each of the five hub exports of ../shared/realdata are kept in tests/fixtures/realdata
# (among them two places of one structure name in two communes, two structures of one commune, where a file has
# them); the whole files are an extra check (`realdata_dir`). Each file is loaded as published (its e-mails were
# replaced by placeholders, one per line) and as the hubs wrote it: one referent's e-mail repeated on every line.

REFERENT = "referent.hub@exemple.fr"


def as_one_referent(table):
    """The table with the same e-mail on every line, as a hub's export of its places with one referent."""
    mapping = map_columns(table.frame)
    column = mapping.fields.get("email", "Adresse e-mail du référent")
    return dataclasses.replace(table, frame=table.frame.assign(**{column: REFERENT}))


def each_line_alone(table):
    """The table where every line is a person of its own (e-mail and answer id made of the row number)."""
    mapping = map_columns(table.frame)
    alone = table.frame.copy()
    alone[mapping.fields.get("email", "Adresse e-mail")] = [f"ligne{row}@exemple.invalid" for row in alone.index]
    if "submission_id" in mapping.fields:
        alone[mapping.fields["submission_id"]] = [f"ligne-{row}" for row in alone.index]
    return dataclasses.replace(table, frame=alone)


def line_places(records: pd.DataFrame) -> dict[int, tuple[str, str]]:
    """Spreadsheet row → (INSEE code, place id) of the record that holds it."""
    return {int(row): (code, place) for rows, code, place in
            zip(records["source_rows"], records["insee_code"], records["place_id"]) for row in rows.split("|")}


def assert_every_line_placed_at_its_own_commune(table, gazetteer) -> None:
    """100 % of the lines placed, each at the commune and place it has when nothing can merge it with another.

    Reference: the same table where every line is a person of its own, so that nothing merges; in the
    table as loaded, a line may only share a record with lines of the same person and the same place.
    """
    single = load_tables([each_line_alone(table)], gazetteer, LoadOptions(theme="cafe-ia")).records
    assert single["source_rows"].str.fullmatch(r"\d+").all()  # nothing merged in the reference
    loaded = load_tables([table], gazetteer, LoadOptions(theme="cafe-ia"))
    report = loaded.report()
    assert report["lignes_rejetees"] == 0 and report["lignes_acceptees"] == report["lignes"] == len(table.frame)
    assert line_places(loaded.records) == line_places(single)


@pytest.mark.parametrize("variant", ["as_published", "one_referent"])
@pytest.mark.parametrize("name", REAL_EXPORTS)
def test_every_real_line_is_placed_at_its_own_commune(gazetteer, name, variant):
    table = read_table(REALDATA_EXTRACTS / name)
    if variant == "one_referent":
        table = as_one_referent(table)
        loaded = load_tables([table], gazetteer, LoadOptions(theme="cafe-ia")).records
        assert loaded["animator_id"].nunique() == 1 and loaded["insee_code"].nunique() > 1  # one person, her places
    assert_every_line_placed_at_its_own_commune(table, gazetteer)


@pytest.mark.parametrize("variant", ["as_published", "one_referent"])
@pytest.mark.parametrize("name", REAL_EXPORTS)
def test_every_line_of_the_whole_real_exports_is_placed_at_its_own_commune(gazetteer, realdata_dir, name, variant):
    table = read_table(realdata_dir / name)
    assert_every_line_placed_at_its_own_commune(as_one_referent(table) if variant == "one_referent" else table,
                                                gazetteer)
