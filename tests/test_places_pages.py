"""Issue 13's example through the pages (AppTest, real SQLite store, real reference geography).

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
from streamlit.testing.v1 import AppTest

from loaders import privacy, store
from loaders.access import Scope
from loaders.pipeline import LoadOptions, load_files
from loaders.schema import VALIDATED
import streamlit as st
from signin import sign_in
from test_page_trouver import app, page_html  # noqa: F401  (the fixture, over this module's ``home``)

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
        rows = store.read_animators(engine)
        assert (len(rows), rows["animator_id"].nunique(), rows["place_id"].nunique()) == (6, 1, 3)
        store.moderate(engine, [store.Decision(a, t, VALIDATED, place_id=p) for a, t, p in
                                zip(rows["animator_id"], rows["theme"], rows["place_id"])],
                       actor="hub@bretagne.fr", scope=Scope("region", "53"))
    return home


def public_list(app: AppTest) -> str:
    """The public page searched from Vitré: its result list as the browser shows it."""
    app.query_params["q"] = "Vitré (35)"
    app.run()
    assert not app.exception
    return page_html(app)


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


def test_the_public_page_near_vitre_lists_her_at_each_of_her_places_with_her_name(app):  # noqa: F811
    shown = public_list(app)
    positions = [shown.find(f"<strong>{structure}</strong>") for structure in STRUCTURES]
    assert -1 not in positions and positions == sorted(positions)  # nearest first
    assert all(shown.count(f"<strong>{structure}</strong>") == 1 for structure in STRUCTURES)  # once per place
    assert shown.count("Claire Martin") == 3  # her name (she consented) at each place


def test_couverture_shows_her_three_communes_covered(app, downloads):  # noqa: F811
    table = couverture_csv(app, downloads)
    assert table.loc[list(COMMUNES), SHARE].tolist() == [0, 0, 0]
    assert (table.loc[list(COMMUNES), "Animateur·rices formé·es"] == 1).all()
    assert table["Animateur·rices formé·es"].sum() == 3  # one person, counted in each commune of hers


def test_her_erasure_takes_her_off_every_place(app, downloads):  # noqa: F811
    privacy.erase(store.connect(), CLAIRE, recorded_by="dpo@exemple.fr", reason="demande écrite")
    shown = public_list(app)
    assert not any(structure in shown for structure in STRUCTURES) and "Claire Martin" not in shown
    table = couverture_csv(AppTest.from_file(APP, default_timeout=120), downloads)
    assert table.loc[list(COMMUNES), SHARE].tolist() == [100, 100, 100]
    assert table["Animateur·rices formé·es"].sum() == 0


def departement_accessibility(folder: Path, places: list[tuple[str, str, str]], gazetteer, monkeypatch) -> pd.Series:
    """Accessibility of the communes of Ille-et-Vilaine seen from its préfecture, Claire at ``places``."""
    monkeypatch.setenv("CARTE_DATA_HOME", str(folder))
    folder.mkdir()
    export = folder / "export.csv"
    export.write_text(THREE_PLACES.read_text(encoding="utf-8").splitlines()[0] + "\n" + "".join(
        f"01/09/2026 10:00;{CLAIRE};Claire;Martin;{name};{postcode};{commune};Café IA;Oui;Oui\n"
        for name, postcode, commune in places), encoding="utf-8")
    store.save_import(store.connect(), load_files([export], gazetteer, LoadOptions()), is_demo=True)
    from views import data

    st.cache_data.clear()
    st.cache_resource.clear()
    return data.commune_coverage("cafe-ia", ("trained",), False, (VALIDATED,), 15.0,
                                 Scope("departement", "35"))["accessibility_per_10k"]


def test_a_departement_view_splits_her_supply_with_her_place_in_the_next_departement(tmp_path, gazetteer,
                                                                                      monkeypatch):
    """Vitré (35) and Lamballe (22): seen from Ille-et-Vilaine, Vitré supplies half of her, as it would in France."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    vitre = ("Médiathèque", "35500", "Vitré")
    alone = departement_accessibility(tmp_path / "seule", [vitre], gazetteer, monkeypatch)
    shared = departement_accessibility(tmp_path / "deux", [vitre, ("EPN", "22400", "Lamballe-Armor")], gazetteer,
                                       monkeypatch)
    assert alone["35360"] > 0 and shared["35360"] == pytest.approx(alone["35360"] / 2)
    assert (shared == 0).sum() == (alone == 0).sum()  # the same communes reached, each at half
