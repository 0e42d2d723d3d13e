"""« Contrôler la cartographie »: hubs validate or refuse records, and place rejected rows (AppTest, real store)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import streamlit as st
from signin import sign_in
from streamlit.testing.v1 import AppTest

import store
from core.vocabulary import PENDING, REFUSED, VALIDATED
from loaders.fixes import EMPTY_LOCATION_KEY
from loaders.pipeline import LoadOptions, load_files
from store.access import FRANCE, Agent, Scope

NATIONAL_TEAM = Agent("equipe@anct.gouv.fr", "national", FRANCE)

APP = str(Path(__file__).resolve().parent.parent / "app.py")
HUB = "hub@bretagne.fr"
EXPORT = ("Horodateur;Adresse e-mail;Nom de votre structure;Code postal;Commune;Thématiques;Formé(e) ?;Consentement\n"
          "01/09/2026 10:00;a@x.fr;Médiathèque A;35000;Rennes;Café IA;Oui;Oui\n"
          "01/09/2026 10:01;b@x.fr;Espace B;35400;Saint-Malo;Café IA;Oui;Oui\n"
          "01/09/2026 10:02;c@x.fr;Tiers-lieu C;99999;Renne;Café IA;Oui;Oui\n")


def hub_page(export_text: str, folder: Path, gazetteer) -> AppTest:
    """The page for the Bretagne hub, over a store holding ``export_text`` imported by that hub."""
    export = folder / "export.csv"
    export.write_text(export_text, encoding="utf-8")
    store.save_import(store.connect(), load_files([export], gazetteer, LoadOptions()), hub="Bretagne",
                      imported_by=HUB)
    st.cache_data.clear()
    st.cache_resource.clear()
    app = AppTest.from_file(APP, default_timeout=120)
    app.switch_page("views/controle.py")
    return sign_in(app, HUB, "hub", Scope("region", "53"))


@pytest.fixture()
def page(store_home, tmp_path, gazetteer, monkeypatch):
    monkeypatch.setenv("CARTE_TILES_URL", "")
    return hub_page(EXPORT, tmp_path, gazetteer)


def statuses() -> dict[str, str]:
    table = store.read_animators(store.connect(), scope=FRANCE)
    return dict(zip(table["structure"], table["moderation_status"]))


def test_new_records_are_listed_for_checking(page):
    page.run()
    assert not page.exception
    table = page.dataframe[0].value
    assert sorted(table["Structure"]) == ["Espace B", "Médiathèque A"]
    assert set(table["Vérification"]) == {"À vérifier"}
    assert sorted(table["Courriel"]) == ["a@x.fr", "b@x.fr"]  # signed in, within the hub's région


def test_decisions_read_from_the_edited_table_publish_the_validated_record(page):
    page.run()
    editor = page.dataframe[0]
    assert editor is not None
    from views.controle import decisions_from

    table = editor.value.copy()
    table.loc[table["Structure"] == "Médiathèque A", "Décision"] = "Valider"
    table.loc[table["Structure"] == "Espace B", ["Décision", "Motif"]] = ["Refuser ce lieu", "structure fermée"]
    decisions = decisions_from(table)
    assert {(d.status, d.reason) for d in decisions} == {(VALIDATED, ""), (REFUSED, "structure fermée")}
    store.moderate(store.connect(), decisions, actor="Hub Bretagne", scope=Scope("region", "53"))
    assert statuses() == {"Médiathèque A": VALIDATED, "Espace B": REFUSED}
    assert store.read_public(store.connect())["structure"].tolist() == ["Médiathèque A"]


def test_a_new_place_of_a_validated_person_is_listed_with_only_the_place_to_check(page, tmp_path, gazetteer):
    from views.controle import decisions_from

    page.run()
    table = page.dataframe[0].value.copy()
    table["Décision"] = "Valider"
    store.moderate(store.connect(), decisions_from(table), actor="Hub Bretagne", scope=FRANCE)
    later = tmp_path / "plus-tard.csv"
    later.write_text(EXPORT.splitlines()[0] + "\n" + EXPORT.splitlines()[1].replace("01/09", "02/09") + "\n"
                     "02/09/2026 10:00;a@x.fr;EPN de Vitré;35500;Vitré;Café IA;Oui;Oui\n", encoding="utf-8")
    store.save_import(store.connect(), load_files([later], gazetteer), hub="Bretagne", imported_by=HUB)
    st.cache_data.clear()  # as the import page does (views.data.refresh)
    page.run()
    queue = page.dataframe[0].value
    assert queue[["Structure", "Commune", "Personne", "Lieu"]].values.tolist() == [
        ["EPN de Vitré", "Vitré (35)", "Validé", "À vérifier"]]
    assert statuses() == {"Médiathèque A": VALIDATED, "Espace B": VALIDATED, "EPN de Vitré": PENDING}
    # Refusing the person (in this theme) hides her at every place, the validated one included.
    refused = queue.assign(Décision="Refuser la personne", Motif="n'anime plus")
    [decision] = decisions_from(refused)
    assert (decision.theme, decision.place_id, decision.status) == ("cafe-ia", None, REFUSED)
    store.moderate(store.connect(), [decision], actor="Hub Bretagne", scope=FRANCE)
    assert store.read_public(store.connect())["structure"].tolist() == ["Espace B"]


def test_a_refusal_without_reason_cannot_be_saved(page):
    from views.controle import decisions_from

    page.run()
    table = page.dataframe[0].value.copy()
    table["Décision"] = "Refuser"
    assert all(d.status == REFUSED and not d.reason for d in decisions_from(table))
    assert statuses() == {"Médiathèque A": PENDING, "Espace B": PENDING}


def test_rejected_rows_are_offered_for_placing(page):
    page.run()
    row = next(s for s in page.selectbox if s.label == "Ligne à placer")
    assert "ligne 4" in row.options[0] and "Renne" in row.options[0]
    next(b for b in page.button if b.label.startswith("Placer cette ligne à Rennes")).click().run()
    assert not page.exception
    fixes = store.read_fixes(store.connect())
    assert fixes["insee_code"].tolist() == ["35238"] and fixes["actor"].tolist() == [HUB]
    assert store.read_rejected_rows(store.connect(), NATIONAL_TEAM).empty


# --- « Lignes rejetées à placer »: what a hub is offered ------------------------------------------
# The export holds the rejected rows a real export gives: a row without any location, a row in
# Nouvelle-Calédonie (outside the reference geography), rows with a postcode and a street besides an
# unknown commune or no commune at all, and a row whose commune is misspelt.

PLACING_EXPORT = (
    "Horodateur;Adresse e-mail;Nom de votre structure;Adresse;Code postal;Commune;Thématiques;Formé(e) ?;"
    "Consentement\n"
    "01/09/2026 10:00;a@x.fr;Médiathèque A;1 place de la Mairie;35000;Rennes;Café IA;Oui;Oui\n"
    "01/09/2026 10:01;b@x.fr;Sans lieu B;;;;Café IA;Oui;Oui\n"
    "01/09/2026 10:02;c@x.fr;Case C;45 avenue de la Libération;98800;Nouméa;Café IA;Oui;Oui\n"
    "01/09/2026 10:03;d@x.fr;Tiers-lieu D;32 rue de la Gare;32100;Xyzville;Café IA;Oui;Oui\n"
    "01/09/2026 10:04;e@x.fr;Espace E;32 rue de la Gare;32100;;Café IA;Oui;Oui\n"
    "01/09/2026 10:05;f@x.fr;Atelier F;;99999;Renne;Café IA;Oui;Oui\n"
    "01/09/2026 10:06;g@x.fr;;;35400;Saint-Malo;Café IA;;\n"
)
# Spreadsheet rows (header = 1) of the rejected rows.
NO_LOCATION, NOUMEA, UNKNOWN_COMMUNE, NO_COMMUNE, MISSPELT = 3, 4, 5, 6, 7
MISSING_AS_TEXT = re.compile(r"\b(nan|none|null|undefined)\b", re.IGNORECASE)


@pytest.fixture()
def placing(store_home, tmp_path, gazetteer, monkeypatch):
    """The page over the rejected rows a real export gives (see PLACING_EXPORT)."""
    monkeypatch.setenv("CARTE_TILES_URL", "")
    return hub_page(PLACING_EXPORT, tmp_path, gazetteer).run()


def row_choice(app: AppTest):
    return next(s for s in app.selectbox if s.label == "Ligne à placer")


def choose_row(app: AppTest, source_row: int) -> AppTest:
    """Pick the rejected row of that spreadsheet row (of the only import) in « Ligne à placer »."""
    batch_id = int(store.read_batches(store.connect(), scope=FRANCE)["batch_id"].item())
    choice = row_choice(app)
    value = f"{batch_id}:{source_row}"
    assert f"ligne {source_row} " in choice.format_func(value)
    return choice.set_value(value).run()


def search_box(app: AppTest):
    return next(t for t in app.text_input if t.label == "Commune (nom ou code postal)")


def shown_texts(app: AppTest) -> list[str]:
    """Every text the page shows: messages, labels, options, pre-filled values, table cells."""
    texts = [e.value for kind in ("markdown", "caption", "info", "warning", "success", "error", "subheader")
             for e in app.get(kind)]
    texts += [w.label for w in [*app.selectbox, *app.text_input, *app.button]]
    texts += [option for s in app.selectbox for option in s.options]
    texts += [t.value or "" for t in app.text_input]
    for frame in app.dataframe:
        texts += [str(cell) for cell in frame.value.astype(str).to_numpy().ravel()]
    return texts


def test_no_missing_value_is_shown_as_text(placing):
    assert not placing.exception
    # The record of row 8 has no structure, training status nor consent: the moderation table shows blanks.
    assert len(next(f.value for f in placing.dataframe if "Structure" in f.value.columns)) == 2
    for source_row in (UNKNOWN_COMMUNE, NO_COMMUNE, MISSPELT):
        choose_row(placing, source_row)
        assert not placing.exception
        leaks = [text for text in shown_texts(placing) if MISSING_AS_TEXT.search(text)]
        assert not leaks, f"ligne {source_row}: {leaks}"


def test_rows_that_cannot_be_placed_are_not_offered_but_listed_with_their_reason(placing):
    offered = row_choice(placing).options
    assert not [o for o in offered if f"ligne {NO_LOCATION} " in o or f"ligne {NOUMEA} " in o]
    assert [o for o in offered if f"ligne {UNKNOWN_COMMUNE} " in o]
    assert not [b for b in placing.button if "Nantes" in b.label]
    listed = next(f.value for f in placing.dataframe if "Pourquoi elle ne peut pas être placée" in f.value.columns)
    why = dict(zip(listed["Ligne"], listed["Pourquoi elle ne peut pas être placée"], strict=True))
    assert set(why) == {NO_LOCATION, NOUMEA}
    assert "aucun lieu" in why[NO_LOCATION].lower()
    assert "Nouvelle-Calédonie" in why[NOUMEA] and "référentiel" in why[NOUMEA]


def test_the_search_is_prefilled_from_postcode_and_commune_never_from_the_street(placing, reference):
    choose_row(placing, UNKNOWN_COMMUNE)
    assert search_box(placing).value == "32100 Xyzville"
    # No commune is called Xyzville: every commune of the postcode is proposed, before anything else.
    of_postcode = reference.postcodes.loc[reference.postcodes["postcode"] == "32100", "insee_code"]
    names = reference.communes.loc[of_postcode, "nom"]
    proposed = next(s for s in placing.selectbox if s.label == "Commune proposée").options
    assert {label.split(" (")[0] for label in proposed[:len(names)]} == set(names)
    choose_row(placing, NO_COMMUNE)
    assert search_box(placing).value == "32100"
    choose_row(placing, MISSPELT)
    assert search_box(placing).value == "99999 Renne"
    assert [b.label for b in placing.button if b.label.startswith("Placer")] == ["Placer cette ligne à Rennes (35)"]


def test_a_fix_on_the_key_of_rows_without_location_is_never_applied(gazetteer, tmp_path):
    export = tmp_path / "export.csv"
    export.write_text(PLACING_EXPORT, encoding="utf-8")
    result = load_files([export], gazetteer, LoadOptions(fixes={EMPTY_LOCATION_KEY: "44109"}))
    assert NO_LOCATION in set(result.rejects["source_row"])
    assert "Nantes" not in set(result.records["commune"])


def test_a_hub_sees_neither_the_records_nor_the_rejected_rows_of_another_territory(page):
    sign_in(page, "hub@normandie.fr", "hub", Scope("region", "28")).run()
    assert not page.exception
    assert "Aucune fiche" in " ".join(i.value for i in page.info)
    assert not [s for s in page.selectbox if s.label == "Ligne à placer"]  # rows of files it did not import


def test_a_prefecture_may_read_but_not_moderate(page):
    sign_in(page, "pref@ille-et-vilaine.gouv.fr", "prefecture", Scope("departement", "35")).run()
    assert "permet de consulter, pas de modifier" in " ".join(w.value for w in page.warning)
    assert not page.dataframe


def _request(page, email: str, action: str, reason: str = ""):
    by = {w.label: w for w in page.text_input}
    by["Adresse e-mail de la personne"].input(email)
    page.radio[0].set_value(action)
    by["Motif (sans donnée personnelle, conservé)"].input(reason)
    return next(b for b in page.button if b.label == "Enregistrer la demande").click().run()


def test_a_withdrawal_recorded_by_the_hub_hides_contacts_from_the_public_at_once(page):
    page.run()
    engine = store.connect()
    rennes = store.read_animators(engine, scope=FRANCE).query("commune == 'Rennes'")["animator_id"].item()
    place = store.read_animators(engine, scope=FRANCE).query("commune == 'Rennes'")["place_id"].item()
    store.moderate(engine, [store.Decision(rennes, "cafe-ia", VALIDATED, "", place)], actor="test", scope=FRANCE)
    assert not store.read_public_contacts(engine, [rennes]).empty
    _request(page, "a@x.fr", "withdraw")
    assert any("Demande enregistrée" in s.value for s in page.success)
    assert store.read_public_contacts(engine, [rennes]).empty


def test_an_erasure_needs_a_reason_and_stays_within_the_hubs_territory(page):
    page.run()
    _request(page, "b@x.fr", "erase")
    assert any("motif" in e.value for e in page.error)
    _request(page, "inconnu@x.fr", "erase", "demande écrite")
    assert any("Aucune personne de votre périmètre" in e.value for e in page.error)
    _request(page, "b@x.fr", "erase", "demande écrite")
    assert "Espace B" not in set(store.read_animators(store.connect(), scope=FRANCE)["structure"])
