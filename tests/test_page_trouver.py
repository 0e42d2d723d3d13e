"""« Trouver un animateur » through AppTest: homonyms, far results, embed wording, map markers (issue 16).

The store holds a few hand-placed Café IA animators: two around Rennes, one in Marseille, one in
Nice, two in Brest (same commune, so same point). Nobody is in Corsica: Ajaccio's nearest is Nice.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from geo.distances import haversine_km
from geo.nearby import NEARBY_KM, nearest
from loaders import store
from loaders.pipeline import LoadOptions, load_files
from views.labels import km

APP = str(Path(__file__).resolve().parent.parent / "app.py")
HEADER = ("Adresse e-mail;Nom de votre structure;Téléphone;Code postal;Commune;Thématiques;"
          "Avez-vous suivi la formation ?;J'accepte que mes coordonnées apparaissent sur la carte publique")
ROWS = [
    "rennes@x.fr;Champs Libres;02 99 00 00 01;35000;Rennes;Café IA;Oui;Oui",
    "cesson@x.fr;Espace Cesson;02 99 00 00 02;35510;Cesson-Sévigné;Café IA;Oui;Non",
    "marseille@x.fr;Cité Marseille;04 91 00 00 03;13001;Marseille;Café IA;Oui;Oui",
    "nice@x.fr;Nice Numérique;04 93 00 00 04;06000;Nice;Café IA;Oui;Oui",
    "brest1@x.fr;Brest Un;;29200;Brest;Café IA;Oui;Non",
    "brest2@x.fr;Brest Deux;;29200;Brest;Café IA;Oui;Non",
]
TRAINED = 6


@pytest.fixture(scope="module")
def home(tmp_path_factory, gazetteer):
    home = tmp_path_factory.mktemp("home")
    export = home / "export.csv"
    export.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CARTE_DATA_HOME", str(home))
        patch.delenv("DATABASE_URL", raising=False)
        result = load_files([export], gazetteer, LoadOptions())
        assert len(result.records) == len(ROWS)
        store.save_import(store.connect(), result, is_demo=True)
    return home


@pytest.fixture()
def app(home, monkeypatch):
    monkeypatch.setenv("CARTE_DATA_HOME", str(home))
    monkeypatch.setenv("CARTE_TILES_URL", "")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    return AppTest.from_file(APP, default_timeout=120)


def page_html(app: AppTest) -> str:
    """The page's HTML blocks as the browser shows them (character references decoded)."""
    return html.unescape("\n".join(element.proto.body for element in app.get("html")))


def page_text(app: AppTest) -> str:
    parts = [m.value for m in app.markdown] + [i.value for i in app.info] + [e.value for e in app.error]
    return html.unescape("\n".join(parts))


def url_values(app: AppTest, key: str) -> list[str]:
    """The values of one URL parameter (AppTest gives a string for one value, a list for several)."""
    value = app.query_params.get(key, [])
    return [value] if isinstance(value, str) else list(value)


def listed(app: AppTest) -> list[str]:
    """Structure names of the result list, in order."""
    body = page_html(app)
    names = ["Champs Libres", "Espace Cesson", "Cité Marseille", "Nice Numérique", "Brest Un", "Brest Deux"]
    return sorted((name for name in names if f"<strong>{name}</strong>" in body),
                  key=lambda name: body.index(f"<strong>{name}</strong>"))


# Point 4: homonyms

def test_homonyms_are_all_offered_and_none_is_picked_until_the_person_chooses(app, reference):
    app.query_params["q"] = "Sainte-Colombe"
    app.run()
    assert not app.exception
    (choice,) = app.radio
    homonyms = reference.communes[reference.communes["nom"] == "Sainte-Colombe"]
    labels = " ".join(choice.options)
    for departement in homonyms["departement_code"]:
        assert f"Sainte-Colombe ({departement})" in labels
    assert choice.value is None
    assert "<section class=\"carte-resultats\"" not in page_html(app)  # nothing listed before a choice
    assert "Choisissez votre commune" in page_text(app)
    choice.set_value("89339").run()  # Sainte-Colombe in the Yonne, beyond the first eight
    assert url_values(app, "q") == ["Sainte-Colombe (89)"] and url_values(app, "commune") == []
    assert "de Sainte-Colombe (89)</h2>" in page_html(app)  # nobody near: « Personne à moins de 30 km de … »
    assert not app.radio


def test_name_and_departement_in_the_link_designate_that_homonym(app):
    app.query_params["q"] = "Sainte-Colombe (89)"
    app.run()
    assert not app.exception and not app.radio
    assert "de Sainte-Colombe (89)</h2>" in page_html(app)


def test_a_suggestion_label_pasted_back_designates_its_commune(app):
    app.query_params["q"] = "Rennes (35) — 35000, 35200, 35700"
    app.run()
    assert "les plus proches de Rennes (35)" in page_html(app)
    assert listed(app)[:2] == ["Champs Libres", "Espace Cesson"]


def test_older_links_with_a_chosen_commune_still_work(app):
    app.query_params["q"] = "saint-denis"
    app.query_params["commune"] = "97411"
    app.run()
    assert not app.radio
    assert "de Saint-Denis (974)</h2>" in page_html(app)


def test_the_commune_box_is_no_streamlit_text_input(app):
    """Streamlit's text input says « Press Enter to apply » (in English) and suggests nothing before Enter."""
    app.run()
    assert not app.exception
    assert [box.label for box in app.text_input] == []


def test_box_suggestions_designate_each_homonym(reference, monkeypatch):
    """What the box lists for « Sainte-Colombe »: every homonym, each with a query naming its département."""
    from geo.search import CommuneSearch
    from views import data, trouver

    search = CommuneSearch(reference)
    monkeypatch.setattr(data, "commune_search", lambda: search)
    suggestions = trouver._suggestions("Sainte-Colombe")
    queries = [suggestion.query for suggestion in suggestions]
    for departement in ("05", "17", "46", "89", "69"):
        assert f"Sainte-Colombe ({departement})" in queries
    for suggestion in suggestions:
        assert search.lookup(suggestion.query).commune["label"] == suggestion.label


# Point 5: far results

def test_nobody_near_is_said_and_the_nearest_are_still_listed(app, reference):
    app.query_params["q"] = "Ajaccio"
    app.run()
    assert not app.exception
    body = page_html(app)
    assert f"Personne à moins de {km(NEARBY_KM)} d'Ajaccio (2A)" in body
    ajaccio = reference.communes.loc["2A004"]
    nice = reference.communes.loc["06088"]
    nearest = km(float(haversine_km(ajaccio["lon"], ajaccio["lat"], nice["lon"], nice["lat"])))
    assert f"Voici les {TRAINED} animateur·rices les plus proches, à {nearest} et plus" in body
    assert listed(app)[0] == "Nice Numérique" and len(listed(app)) == TRAINED


def test_results_beyond_the_nearby_distance_are_listed_apart(app):
    app.query_params["q"] = "rennes"
    app.run()
    body = page_html(app)
    assert "Les 6 animateur·rices les plus proches de Rennes (35)" in body
    assert "Personne à moins" not in body
    apart = body.index(f"À plus de {km(NEARBY_KM)}")
    assert body.index("Espace Cesson") < apart < body.index("Brest Un")
    assert '<ol start="3">' in body  # the numbering goes on, as on the map's markers


def test_map_rows_number_the_listed_animators_and_keep_every_other_marker(app):
    from views import data
    from views.trouver import map_rows

    app.query_params["q"] = "rennes"
    app.run()  # fills the page's caches in AppTest's runtime
    animators = data.selection("cafe-ia", ("trained",), False)
    points = data.marker_points("cafe-ia", ("trained",), False)
    closest = nearest(animators, -1.68, 48.11, 2)
    contacts = data.consented_contacts(tuple(closest["animator_id"]))
    rows = map_rows(points, closest, contacts)
    assert len(rows) == len(points)
    first, second = rows[:2]
    assert (first[2], first[5], second[2], second[5]) == ("Champs Libres", 1, "Espace Cesson", 2)
    assert first[6] == km(closest["distance_km"].iloc[0])
    assert "mailto:rennes@x.fr" in html.unescape(first[7])  # consented: contact in the popup
    assert second[7] == ""  # no consent, no contact
    others = [point for position, point in enumerate(points) if position not in set(closest.index)]
    assert rows[2:] == others  # unlisted markers unchanged, in their order


def test_place_names_after_de_are_elided():
    from views.trouver import of_place

    assert [of_place(name) for name in ("Rennes (35)", "Ajaccio (2A)", "Le Mans (72)", "Les Ulis (91)",
                                        "Écully (69)", "La Rochelle (17)", "votre position")] == [
        "de Rennes (35)", "d'Ajaccio (2A)", "du Mans (72)", "des Ulis (91)", "d'Écully (69)",
        "de La Rochelle (17)", "de votre position"]


# Point 6: embed

def test_embed_without_a_search_box_does_not_ask_to_search(app):
    app.query_params["embed"] = "1"
    app.run()
    assert not app.exception
    text = page_text(app)
    assert f"**{TRAINED}** animateur·rices correspondent" in text
    assert "Cherchez une commune" not in text
    assert "Zoomez sur la carte" in text


def test_page_with_its_search_box_still_asks_to_search(app):
    app.run()
    assert "Cherchez une commune" in page_text(app)
