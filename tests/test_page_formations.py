"""« Préparer les formations »: plans, their shortfalls, the invitation list, French counts (AppTest, real store).

The store holds one trained animator in Rennes and three people to train in Ille-et-Vilaine: one in
Saint-Malo, two in Vitré. Hand-checked consequences, with one site asked:

* « Couvrir le plus d'habitants » picks Saint-Malo: far more inhabitants live within 15 km of it than
  of Vitré, and neither is within 15 km of Rennes;
* « Réduire les trajets » picks Vitré: two of the three trainees live there (a 1-median sits on any
  point holding half the weight).
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest
import streamlit as st
from conftest import CHROMIUM_ARGS, running_app
from streamlit.testing.v1 import AppTest

import store
from geo.planning import SHORTFALL_NOTES, Shortfall
from loaders.pipeline import LoadOptions, load_files
from store import access
from views.wording import plural

APP = str(Path(__file__).resolve().parent.parent / "app.py")
HEADER = ("Horodateur;Adresse e-mail;Nom de votre structure;Téléphone;Code postal;Commune;"
          "Êtes-vous conseiller·ère numérique ?;Thématiques;Avez-vous suivi la formation ?;Date de la formation;"
          "J'accepte que mes coordonnées apparaissent sur la carte publique")
ROWS = [
    "01/09/2026 10:00;rennes@x.fr;Champs Libres;02 99 00 00 01;35000;Rennes;Oui;Café IA;Oui;12/03/2026;Oui",
    "01/09/2026 10:01;malo@x.fr;Fabrique Malouine;02 99 00 00 03;35400;Saint-Malo;Non;Café IA;Non;;Non",
    "01/09/2026 10:02;vitre1@x.fr;Tiers-lieu Vitré;;35500;Vitré;Non;Café IA;Non;;Oui",
    "01/09/2026 10:03;vitre2@x.fr;Médiathèque de Vitré;;35500;Vitré;Oui;Café IA;Non;;Oui",
]
ILLE_ET_VILAINE = {"region": "53", "dep": "35"}


@pytest.fixture(scope="module")
def filled_store(tmp_path_factory, gazetteer):
    home = tmp_path_factory.mktemp("home")
    export = home / "export-formations.csv"
    export.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CARTE_DATA_HOME", str(home))
        patch.delenv("DATABASE_URL", raising=False)
        result = load_files([export], gazetteer, LoadOptions())
        assert len(result.records) == len(ROWS)
        store.save_import(store.connect(), result, is_demo=True)
        yield home


@pytest.fixture()
def page(filled_store, monkeypatch):
    """« Préparer les formations » on the store, not run yet: set its URL first."""
    monkeypatch.setenv("CARTE_DATA_HOME", str(filled_store))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("CARTE_TILES_URL", "")
    st.cache_data.clear()
    st.cache_resource.clear()
    return AppTest.from_file(APP, default_timeout=120).switch_page("views/formations.py")


def open_with(page: AppTest, **params: str) -> AppTest:
    page.query_params.update(params)
    page.run()
    assert not page.exception, [e.message for e in page.exception]
    return page


def text_of(app: AppTest) -> str:
    parts = [m.value for m in app.markdown] + [c.value for c in app.caption] + [i.value for i in app.info]
    return html.unescape("\n".join(parts))


def table_with(app: AppTest, column: str):
    """The one table of the page that has this column."""
    (found,) = [frame.value for frame in app.dataframe if column in frame.value.columns]
    return found


def invitations(app: AppTest):
    return table_with(app, "Courriel")


# The plurals of French counts

@pytest.mark.parametrize(("count", "expected"), [(0, "site"), (1, "site"), (1.5, "site"), (2, "sites"), (8, "sites"),
                                                 (-1, "site"), (-2, "sites")])
def test_french_plural_is_singular_below_two(count, expected):
    assert plural(count, "site", "sites") == expected


def test_a_person_at_places_in_two_epcis_counts_in_each_and_once_in_the_total():
    from views.formations import epci_counts

    scoped = pd.DataFrame({"animator_id": ["a", "a", "a", "b"], "place_id": ["p1", "p2", "p3", "p4"],
                           "epci": ["Rennes Métropole", "Vitré Communauté", "Vitré Communauté", "Vitré Communauté"],
                           "training_status": ["trained", "trained", "trained", "referenced"]})
    counts, totals = epci_counts(scoped)
    assert counts.loc["Rennes Métropole"].tolist() == [0, 0, 1]
    assert counts.loc["Vitré Communauté"].tolist() == [1, 0, 1]
    assert totals.tolist() == [1, 0, 1]


def test_counts_of_the_territory_agree_with_their_number(page):
    text = text_of(open_with(page, **ILLE_ET_VILAINE))
    assert "**3** référencé·es" in text and "**1** formé·e" in text and "**0** en formation" in text
    assert "3 animateur·rices référencé·es, pas encore formé·es, sur la carte." in text
    assert "(s)" not in text


# The invitation list

def test_invitation_list_is_shown_on_the_page_and_its_view_logged(page):
    engine = store.connect()
    before = access.read_access_log(engine)
    open_with(page, **ILLE_ET_VILAINE)
    shown = invitations(page)
    assert sorted(shown["Courriel"]) == ["malo@x.fr", "vitre1@x.fr", "vitre2@x.fr"]
    log = access.read_access_log(engine)
    new = log[~log["event_id"].isin(before["event_id"])]
    assert new[["action", "page"]].values.tolist() == [["view_personal", "formations"]]
    assert "invitations Ille-et-Vilaine (35), cafe-ia" in new["detail"].iloc[0]
    page.run()  # the same view again is not logged twice
    assert len(access.read_access_log(engine)) == len(log)


def test_invitation_list_follows_the_coverage_tab_by_default(page):
    open_with(page, **ILLE_ET_VILAINE, sites="1")
    assert table_with(page, "Habitants ajoutés")["Commune"].tolist() == ["Saint-Malo"]
    assert set(invitations(page)["Session proposée"]) == {"Saint-Malo"}
    assert "Sessions de l'onglet « Couvrir le plus d'habitants »" in text_of(page)
    assert "plan" not in page.query_params


def test_invitation_list_follows_the_sessions_tab_opened_by_the_url(page, downloads):
    open_with(page, **ILLE_ET_VILAINE, sites="1", plan="trajets")
    assert table_with(page, "Stagiaires")["Commune"].tolist() == ["Vitré"]
    assert set(invitations(page)["Session proposée"]) == {"Vitré"}
    assert "Sessions de l'onglet « Réduire les trajets des stagiaires »" in text_of(page)
    assert sorted(downloads) == ["invitations-ille-et-vilaine-(35)-trajets.csv",
                                 "invitations-ille-et-vilaine-(35)-trajets.xlsx"]


def test_invitation_csv_has_decimal_commas_that_a_french_reader_reads_as_numbers(page, downloads):
    open_with(page, **ILLE_ET_VILAINE, sites="1", plan="trajets")
    content = downloads["invitations-ille-et-vilaine-(35)-trajets.csv"]
    assert re.search(rb";\d+,\d", content), content[:300]
    read_back = pd.read_csv(io.BytesIO(content), sep=";", decimal=",", encoding="utf-8-sig")
    distances = read_back["Distance à la session (km)"]
    assert pd.api.types.is_float_dtype(distances)
    assert distances.tolist() == pytest.approx(invitations(page)["Distance à la session (km)"].tolist())


def test_clicking_the_other_tab_in_a_browser_moves_the_list_and_the_url(filled_store, chromium):
    from playwright.sync_api import sync_playwright

    with running_app(filled_store) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(locale="fr-FR")
        page.goto(f"{url}/formations?region=53&dep=35&sites=1")
        coverage = page.get_by_text("Sessions de l'onglet « Couvrir le plus d'habitants »")
        sessions = page.get_by_text("Sessions de l'onglet « Réduire les trajets des stagiaires »")
        coverage.wait_for(timeout=60_000)
        assert sessions.count() == 0 and "plan=" not in page.url
        page.get_by_role("tab", name="Réduire les trajets des stagiaires").click()
        sessions.wait_for(timeout=60_000)
        page.wait_for_url("**plan=trajets**")
        coverage.wait_for(state="detached", timeout=10_000)  # the list no longer follows the coverage tab
        assert parse_qs(urlparse(page.url).query)["plan"] == ["trajets"]
        browser.close()


def test_opening_the_other_tab_moves_the_list_and_the_url(page):
    open_with(page, **ILLE_ET_VILAINE, sites="1")
    page.session_state["formations-plan"] = "Réduire les trajets des stagiaires"
    page.run()
    assert set(invitations(page)["Session proposée"]) == {"Vitré"}
    assert page.query_params["plan"] == "trajets"


# Why a plan holds fewer sites than asked

def test_fewer_sites_than_asked_are_explained_in_each_tab(page):
    text = text_of(open_with(page, **ILLE_ET_VILAINE, sites="5"))
    # Coverage: the pool lives in two communes only. Sessions: the trainees gather in two places.
    assert f"2 sites proposés sur 5 demandés : {SHORTFALL_NOTES[Shortfall.FEWER_CANDIDATES]}." in text
    assert f"2 sites proposés sur 5 demandés : {SHORTFALL_NOTES[Shortfall.FEWER_TRAINEE_PLACES]}." in text


def test_a_territory_with_nobody_to_train_says_so_in_both_tabs(page):
    text = text_of(open_with(page, region="53", dep="29"))
    assert text.count(f"Aucun site proposé : {SHORTFALL_NOTES[Shortfall.NOBODY_TO_TRAIN]}.") == 2
    assert "Personne à inviter." in text
