"""Issue 13's example through the pages (AppTest and the static public finder in Chromium, real SQLite store,
real reference geography).

One person, Claire, answers the form from Rennes, Vitré and Fougères (tests/fixtures/trois-lieux.csv), in
two themes. Loader → store → a hub validates her three places → the public page searched from Vitré lists
her at each of her places, once per place, with her name → « Couverture » shows the three communes covered
→ her erasure takes her off every place of both pages.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from signin import sign_in
from streamlit.testing.v1 import AppTest

import store
from core.vocabulary import VALIDATED
from loaders.pipeline import LoadOptions, load_files
from store import privacy, publish
from store.access import FRANCE, Scope

APP = str(Path(__file__).resolve().parent.parent / "app.py")
THREE_PLACES = Path(__file__).parent / "fixtures" / "trois-lieux.csv"
CLAIRE = "claire.martin@exemple.fr"
# Nearest to Vitré first: Fougères is about 28 km away, Rennes about 36 km.
STRUCTURES = ("Médiathèque de Vitré", "France services Fougères", "Espace numérique de Rennes")
COMMUNES = {"35238": "Rennes", "35360": "Vitré", "35115": "Fougères"}
SHARE = "Part de la population non couverte (%)"


@pytest.fixture()
def home(tmp_path, gazetteer):
    """A store holding Claire at her three places, in two themes, each place validated by the hub."""
    home = tmp_path / "home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CARTE_DATA_HOME", str(home))
        patch.delenv("DATABASE_URL", raising=False)
        engine = store.connect()
        store.save_import(engine, load_files([THREE_PLACES], gazetteer, LoadOptions()), hub="Bretagne")
        rows = store.read_animators(engine, scope=FRANCE)
        assert (len(rows), rows["animator_id"].nunique(), rows["place_id"].nunique()) == (6, 1, 3)
        store.moderate(engine, [store.Decision(a, t, VALIDATED, place_id=p) for a, t, p in
                                zip(rows["animator_id"], rows["theme"], rows["place_id"])],
                       actor="hub@bretagne.fr", scope=Scope("region", "53"))
    return home


@pytest.fixture()
def app(home, monkeypatch):
    monkeypatch.setenv("CARTE_DATA_HOME", str(home))
    monkeypatch.setenv("CARTE_TILES_URL", "")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    return AppTest.from_file(APP, default_timeout=120)


def public_list(home: Path, chromium: str, query: str = "?q=Vitré (35)") -> str:
    """The public finder (the static publication of the store) searched from Vitré: its list as a browser shows it."""
    from conftest import CHROMIUM_ARGS, serving
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CARTE_DATA_HOME", str(home))
        patch.setenv("CARTE_TILES_URL", "")
        directory = publish.publish(store.connect(), home / "public").directory
    with serving(directory) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{url}/{query}")
        page.wait_for_function("() => document.body.dataset.etat === 'pret'")
        if page.locator(".carte-resultats li").count():
            page.locator(".carte-contact").first.wait_for()
        shown = page.locator("#resultats").inner_text()
        browser.close()
    return shown


def couverture_csv(app: AppTest, downloads: dict[str, bytes]) -> pd.DataFrame:
    """The commune table of Ille-et-Vilaine that « Couverture » exports, for the préfecture of the département."""
    sign_in(app, "pref@ille-et-vilaine.gouv.fr", "prefecture", Scope("departement", "35"))
    app.switch_page("views/couverture.py")
    app.query_params.update({"region": "53", "dep": "35"})
    app.run()
    assert not app.exception
    (content,) = [data for name, data in downloads.items() if name.endswith(".csv")]
    table = pd.read_csv(io.BytesIO(content), sep=";", decimal=",", dtype={"Code": str}, encoding="utf-8-sig")
    return table.set_index("Code")


def test_the_public_page_near_vitre_lists_her_at_each_of_her_places_with_her_name(home, chromium):
    shown = public_list(home, chromium)
    positions = [shown.find(f"{structure} — ") for structure in STRUCTURES]
    assert -1 not in positions and positions == sorted(positions)  # nearest first
    assert all(shown.count(f"{structure} — ") == 1 for structure in STRUCTURES)  # once per place
    assert shown.count("Contact : Claire Martin") == 3  # her name (she consented) at each place


def test_the_public_page_counts_her_once_at_three_places(home, chromium):
    assert "1 animateur·rice correspond à ces filtres, dans 3 lieux." in public_list(home, chromium, query="")


def test_couverture_shows_her_three_communes_covered(app, downloads):
    table = couverture_csv(app, downloads)
    assert table.loc[list(COMMUNES), SHARE].tolist() == [0, 0, 0]
    assert (table.loc[list(COMMUNES), "Animateur·rices formé·es"] == 1).all()
    assert table["Animateur·rices formé·es"].sum() == 3  # one person, counted in each commune of hers


def test_her_erasure_takes_her_off_every_place(app, downloads, home, chromium):
    privacy.erase(store.connect(), CLAIRE, recorded_by="dpo@exemple.fr", reason="demande écrite", scope=FRANCE)
    shown = public_list(home, chromium)
    assert not any(structure in shown for structure in STRUCTURES) and "Claire Martin" not in shown
    table = couverture_csv(AppTest.from_file(APP, default_timeout=120), downloads)
    assert table.loc[list(COMMUNES), SHARE].tolist() == [100, 100, 100]
    assert table["Animateur·rices formé·es"].sum() == 0
