"""« Contrôler la cartographie »: hubs validate or refuse records, and place rejected rows (AppTest, real store)."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from loaders import store
from loaders.pipeline import LoadOptions, load_files
from loaders.access import Scope
from loaders.schema import PENDING, REFUSED, VALIDATED
from signin import sign_in

APP = str(Path(__file__).resolve().parent.parent / "app.py")
EXPORT = ("Horodateur;Adresse e-mail;Nom de votre structure;Code postal;Commune;Thématiques;Formé(e) ?;Consentement\n"
          "01/09/2026 10:00;a@x.fr;Médiathèque A;35000;Rennes;Café IA;Oui;Oui\n"
          "01/09/2026 10:01;b@x.fr;Espace B;35400;Saint-Malo;Café IA;Oui;Oui\n"
          "01/09/2026 10:02;c@x.fr;Tiers-lieu C;99999;Renne;Café IA;Oui;Oui\n")


@pytest.fixture()
def page(store_home, tmp_path, gazetteer, monkeypatch):
    monkeypatch.setenv("CARTE_TILES_URL", "")
    export = tmp_path / "export.csv"
    export.write_text(EXPORT, encoding="utf-8")
    store.save_import(store.connect(), load_files([export], gazetteer, LoadOptions()), hub="Bretagne",
                      imported_by="hub@bretagne.fr")
    st.cache_data.clear()
    st.cache_resource.clear()
    app = AppTest.from_file(APP, default_timeout=120)
    app.switch_page("views/controle.py")
    return sign_in(app, "hub@bretagne.fr", "hub", Scope("region", "53"))


def statuses() -> dict[str, str]:
    table = store.read_animators(store.connect())
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
    table.loc[table["Structure"] == "Espace B", ["Décision", "Motif"]] = ["Refuser", "structure fermée"]
    decisions = decisions_from(table)
    assert {(d.status, d.reason) for d in decisions} == {(VALIDATED, ""), (REFUSED, "structure fermée")}
    store.moderate(store.connect(), decisions, actor="Hub Bretagne")
    assert statuses() == {"Médiathèque A": VALIDATED, "Espace B": REFUSED}
    assert store.read_public(store.connect())["structure"].tolist() == ["Médiathèque A"]


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
    assert fixes["insee_code"].tolist() == ["35238"] and fixes["actor"].tolist() == ["hub@bretagne.fr"]
    assert store.read_rejected_rows(store.connect()).empty




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
    rennes = store.read_animators(engine).query("commune == 'Rennes'")["animator_id"].item()
    store.moderate(engine, [store.Decision(rennes, "cafe-ia", VALIDATED, "")], actor="test")
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
    assert "Espace B" not in set(store.read_animators(store.connect())["structure"])
