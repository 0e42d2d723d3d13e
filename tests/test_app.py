"""Every page of the app, headless, on a real store (streamlit.testing AppTest).

The store holds a small hand-checkable export (one hostile structure name among them).
"""

from __future__ import annotations

import html
import io
import math
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import store
from core import settings as core_settings
from loaders.pipeline import LoadOptions, load_files
from loaders.safe_files import restore_cell
from store.access import FRANCE, Scope

APP = str(Path(__file__).resolve().parent.parent / "app.py")
HOSTILE = "<img src=x onerror=alert(1)>`${alert(2)}`\\"
HEADER = ("Horodateur;Adresse e-mail;Nom de votre structure;Téléphone;Code postal;Commune;"
          "Êtes-vous conseiller·ère numérique ?;Thématiques;Avez-vous suivi la formation ?;Date de la formation;"
          "J'accepte que mes coordonnées apparaissent sur la carte publique")
ROWS = [
    "01/09/2026 10:00;rennes@x.fr;Champs Libres;02 99 00 00 01;35000;Rennes;Oui;Café IA;Oui;12/03/2026;Oui",
    "01/09/2026 10:01;cesson@x.fr;Espace Cesson;02 99 00 00 02;35510;Cesson-Sévigné;Non;Café IA;Oui;;Non",
    "01/09/2026 10:02;malo@x.fr;Fabrique Malouine;02 99 00 00 03;35400;Saint-Malo;Oui;Café IA;Oui;;Non",
    "01/09/2026 10:03;vitre@x.fr;Tiers-lieu Vitré;;35500;Vitré;Non;Café IA;Non;;Oui",
    "01/09/2026 10:04;brest@x.fr;Brest Numérique;;29200;Brest;Non;Café IA;En cours;;Oui",
    f"01/09/2026 10:05;hostile@x.fr;{HOSTILE};;34000;Montpellier;Non;Café IA;Oui;;Oui",
    "01/09/2026 10:06;paris@x.fr;Maison des parents;;75011;Paris;Non;Parentalité numérique;Oui;;Oui",
]


# The communes of the rows above that count by default (Café IA, trained): Rennes, Cesson-Sévigné, Saint-Malo,
# Montpellier.
TRAINED_CAFE_IA = ("35238", "35051", "35288", "34172")
RADIUS_KM = 15  # the pages' default coverage radius


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance, written out again here as a reference independent of geo/distances.py."""
    lat1, lon1, lat2, lon2 = map(math.radians, (lat1, lon1, lat2, lon2))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def naive_uncovered_population(reference, codes) -> dict[str, int]:
    """Commune → its population if farther than the radius from every trained animator's commune, else 0.

    A plain loop over hand-placed points (the trained animators' commune points), the slow obvious way.
    """
    communes = reference.communes
    trained = [(communes.at[code, "lat"], communes.at[code, "lon"]) for code in TRAINED_CAFE_IA]
    return {code: 0 if any(great_circle_km(communes.at[code, "lat"], communes.at[code, "lon"], lat, lon) <= RADIUS_KM
                           for lat, lon in trained) else int(communes.at[code, "population"])
            for code in codes}


@pytest.fixture(scope="module")
def filled_store(tmp_path_factory, gazetteer):
    home = tmp_path_factory.mktemp("home")
    export = home / "export-cafe-ia.csv"
    export.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CARTE_DATA_HOME", str(home))
        patch.delenv("DATABASE_URL", raising=False)
        result = load_files([export], gazetteer, LoadOptions())
        assert len(result.records) == len(ROWS)
        store.save_import(store.connect(), result, is_demo=True)
        yield home


@pytest.fixture()
def app(filled_store, monkeypatch):
    monkeypatch.setenv("CARTE_DATA_HOME", str(filled_store))
    monkeypatch.setenv("CARTE_TILES_URL", "")
    st.cache_data.clear()
    st.cache_resource.clear()
    return AppTest.from_file(APP, default_timeout=120)


def html_of(app: AppTest) -> str:
    return "\n".join(element.proto.body for element in app.get("html"))


def by_label(elements, label: str):
    """The one widget of a kind with this label (widget keys are scoped to their page)."""
    (found,) = [element for element in elements if element.label == label]
    return found


def url_values(app: AppTest, key: str) -> list[str]:
    """The values of one URL parameter (AppTest gives a string for one value, a list for several)."""
    value = app.query_params.get(key, [])
    return [value] if isinstance(value, str) else list(value)


def text_of(app: AppTest) -> str:
    """The text of the page's messages as a reader sees it (character references decoded)."""
    parts = [m.value for m in app.markdown] + [c.value for c in app.caption] + [w.value for w in app.warning]
    return html.unescape("\n".join(parts + [i.value for i in app.info] + [e.value for e in app.error]))


# « Trouver un animateur »: the static finder (tests/test_static_finder.py), shown in a frame


def _frame_source(app: AppTest) -> str:
    (frame,) = app.get("iframe")
    return frame.proto.src


def test_public_page_shows_the_static_finder_with_the_links_parameters(app, monkeypatch):
    from views import public_site

    monkeypatch.setattr(public_site, "is_served", lambda: True)
    app.query_params["q"] = "Rennes (35)"
    app.query_params["statut"] = ["trained", "referenced"]
    app.run()
    assert not app.exception
    assert _frame_source(app) == "/carte/?q=Rennes+%2835%29&statut=trained&statut=referenced"


def test_embedded_public_page_hands_embed_to_the_finder(app, monkeypatch):
    from views import public_site

    monkeypatch.setattr(public_site, "is_served", lambda: True)
    app.query_params["embed"] = "1"
    app.run()
    assert _frame_source(app).endswith("embed=1")
    assert not app.title


def test_public_page_says_how_to_start_the_app_when_the_finder_is_not_served(app):
    """``streamlit run app.py`` serves no publication (no route): the page says so, in French."""
    app.run()
    assert not app.exception
    assert not app.get("iframe")
    assert any("make run" in info.value for info in app.info)


def test_launcher_publishes_the_finder_and_fills_the_caches_that_the_first_visits_read(filled_store, monkeypatch):
    """views/serve.py publishes the finder where the app serves it, and computes, before Streamlit's runtime
    exists, what the pages read first: their script runs find it in their caches."""
    from store import publish
    from views import data, serve

    monkeypatch.setenv("CARTE_DATA_HOME", str(filled_store))
    monkeypatch.setenv("CARTE_TILES_URL", "")
    st.cache_data.clear()
    st.cache_resource.clear()
    serve.publish_finder()
    assert (core_settings.public_dir() / "index.html").is_file()
    assert publish.registered_dirs(store.connect()) == [core_settings.public_dir().resolve()]
    serve.fill_caches()

    def computed_again(*args, **kwargs):
        raise AssertionError("computed again by the first visit")

    for owner, name in ((store, "read_batches"), (data, "load_reference"), (data, "CommuneSearch"),
                        (data, "load_themes")):
        monkeypatch.setattr(owner, name, computed_again)
    data.batches(), data.reference(), data.commune_search(), data.themes()


def test_launcher_starts_the_server_even_when_nothing_can_be_prepared(monkeypatch, caplog):
    from store import publish
    from views import data, serve

    def unreachable(*args, **kwargs):
        raise OSError("base injoignable")

    monkeypatch.setattr(data, "commune_search", unreachable)
    monkeypatch.setattr(publish, "publish", unreachable)
    serve.publish_finder()
    serve.fill_caches()  # logs, does not raise: the pages then say what is wrong
    assert "Préchargement des caches impossible" in caplog.text and "base injoignable" in caplog.text
    assert "Publication de la carte publique impossible" in caplog.text


# « Couverture du territoire »

def test_coverage_page_national_epci_view_lists_the_epcis_with_most_uncovered_inhabitants_first(app, reference):
    """The 15 priorities are the EPCIs with the most inhabitants beyond 15 km of every trained animator,
    compared with a naive reference: per-commune distances to the four trained communes, summed by EPCI."""
    app.switch_page("views/couverture.py").run()
    assert not app.exception
    priorities = app.dataframe[0].value
    communes = reference.communes[reference.communes["epci_code"] != ""]
    uncovered = pd.Series(naive_uncovered_population(reference, communes.index)).groupby(communes["epci_code"]).sum()
    expected = uncovered.sort_values(ascending=False, kind="stable").head(16)
    assert expected.iloc[14] > expected.iloc[15]  # no tie at the cut: the order needs no second key
    assert priorities["Rang"].tolist() == list(range(1, 16))
    assert priorities["EPCI"].tolist() == reference.epcis.loc[expected.index[:15], "nom"].tolist()
    assert priorities["Population non couverte"].tolist() == expected.iloc[:15].tolist()
    assert "classes par quantiles" in html_of(app)


def test_coverage_page_departement_view_counts_and_details(app):
    app.switch_page("views/couverture.py")
    app.query_params["region"] = "53"
    app.query_params["dep"] = "35"
    app.query_params["zone"] = "35238"
    app.run()
    assert not app.exception
    assert by_label(app.selectbox, "Département").value == "35"
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Formé·e"] == "1" and metrics["En formation"] == "0"
    nearest = app.dataframe[1].value
    assert nearest["Structure"].tolist()[:2] == ["Champs Libres", "Espace Cesson"]
    assert "Vivier à former** : 0" in text_of(app)


def test_coverage_export_ranks_the_communes_with_most_uncovered_inhabitants_first(app, downloads, reference):
    """The page's CSV of Ille-et-Vilaine follows the priority rule, checked against a naive reference:
    uncovered inhabitants (per-commune distances to the trained communes) in decreasing order, then, at
    equal uncovered population, accessibility in increasing order."""
    app.switch_page("views/couverture.py")
    app.query_params["region"] = "53"
    app.query_params["dep"] = "35"
    app.run()
    assert [b.proto.label for b in app.get("download_button")] == [
        "Télécharger (CSV)", "Télécharger (XLSX)", "Télécharger (GeoJSON)"]
    (csv_name,) = [name for name in downloads if name.endswith(".csv")]
    exported = pd.read_csv(io.BytesIO(downloads[csv_name]), sep=";", decimal=",", encoding="utf-8-sig",
                           dtype={"Code": str})
    communes = reference.communes
    assert sorted(exported["Code"]) == sorted(communes.index[communes["departement_code"] == "35"])
    assert exported["Rang de priorité"].tolist() == list(range(1, len(exported) + 1))
    expected = naive_uncovered_population(reference, exported["Code"])
    assert exported["Population non couverte"].tolist() == [expected[code] for code in exported["Code"]]
    uncovered = exported["Population non couverte"].tolist()
    assert uncovered == sorted(uncovered, reverse=True)
    access = exported["Accessibilité E2SFCA (pour 10 000 habitants)"]
    for _, tied in exported.groupby("Population non couverte"):
        assert access[tied.index].is_monotonic_increasing


def test_coverage_export_is_french_and_formula_safe(app):
    app.switch_page("views/couverture.py")
    app.query_params["region"] = "53"
    app.query_params["dep"] = "35"
    app.run()
    from loaders.read import read_bytes
    from loaders.safe_files import csv_bytes
    from views import data
    from views.couverture import export_table

    table = data.territory_table("commune", "cafe-ia", ("trained",), False, ("validated", "pending"), 15.0,
                                 Scope("departement", "35"))
    assert table.index.str.startswith("35").all()
    table = table.copy()
    table["nom"] = table["nom"].where(table.index != "35238", "=HYPERLINK(1)")
    table["priority_rank"] = range(1, len(table) + 1)
    frame = export_table(table)
    assert list(frame.columns[:3]) == ["Code", "Nom", "Population municipale"]
    written = csv_bytes(frame)
    assert b"\n=HYPERLINK" not in written and b";=HYPERLINK" not in written
    assert "=HYPERLINK(1)" in read_bytes(written, "couverture.csv").frame["Nom"].tolist()


@pytest.mark.parametrize("indicator", ["uncovered_share", "trained_per_10k", "mean_accessibility_per_10k",
                                       "median_nearest_km"])
def test_every_indicator_draws_with_its_unit_in_the_legend(app, indicator):
    from views.labels import INDICATORS

    app.switch_page("views/couverture.py")
    app.query_params["region"] = "53"
    app.query_params["indicateur"] = indicator
    app.run()
    assert not app.exception
    legend = next(h.proto.body for h in app.get("html") if "carte-legende" in h.proto.body)
    assert INDICATORS[indicator].label.split(" (")[0].replace("·", "") in legend.replace("·", "")
    # At least one class (a range, or a value when few values or ties: « 0 % »), then « sans valeur ».
    assert legend.count("<li>") >= 2 and "sans valeur" in legend


def test_radius_and_status_filters_change_the_coverage(app):
    app.switch_page("views/couverture.py")
    app.query_params["region"] = "53"
    app.query_params["dep"] = "35"
    app.query_params["zone"] = "35360"  # Vitré: only a referenced animator there
    app.run()
    line = "Part de la population non couverte"
    assert "**100 %**" in _indicator_line(app, line)  # Rennes and Cesson are about 30 km away
    statuses = by_label(app.multiselect, "Animateur·rices pris·es en compte")
    statuses.set_value(["trained", "referenced"]).run()
    assert "**0 %**" in _indicator_line(app, line)  # Vitré's own referenced animator now counts
    by_label(app.multiselect, "Animateur·rices pris·es en compte").set_value(["trained"]).run()
    by_label(app.slider, "Rayon de couverture (km)").set_value(50).run()
    assert url_values(app, "rayon") == ["50"]
    assert "**0 %**" in _indicator_line(app, line)


def _indicator_line(app: AppTest, label: str) -> str:
    return next(m.value for m in app.markdown if m.value.startswith(f"- {label}"))


# « Préparer les formations »

def test_training_page_asks_for_a_region_first(app):
    app.switch_page("views/formations.py").run()
    assert not app.exception
    assert any("Choisissez une région" in i.value for i in app.info)


def test_training_page_plans_sessions_for_the_pool(app):
    app.switch_page("views/formations.py")
    app.query_params["region"] = "53"
    app.query_params["sites"] = "2"
    app.run()
    assert not app.exception
    assert "**1** référencé·e" in text_of(app)  # Vitré
    sessions = app.dataframe[2].value
    assert sessions["Commune"].tolist() == ["Vitré"] and sessions["Stagiaires"].tolist() == [1]
    assert len(app.get("download_button")) == 2  # demo data: the invitation list is offered


def test_training_page_coverage_mode_lists_sites_with_added_population(app):
    app.switch_page("views/formations.py")
    app.query_params["region"] = "53"
    app.query_params["dep"] = "35"
    app.run()
    sites = app.dataframe[1].value
    assert sites["Commune"].tolist() == ["Vitré"]  # the pool's only commune
    assert sites["Habitants ajoutés"].iloc[0] > 17_000  # at least Vitré's own population


def test_invitation_list_has_names_and_sessions(app, reference):
    """Each person of the pool is invited to the nearest session site, at the distance a plain haversine gives."""
    app.switch_page("views/formations.py")
    app.query_params["region"] = "53"
    app.run()
    from geo.planning import assign_trainees
    from views import data
    from views.formations import INVITATION_DISTANCE, invitation_list

    pool = data.theme_records("cafe-ia", False, ("validated", "pending"), FRANCE).query(
        "training_status == 'referenced'")
    sites = ["35288", "35238"]  # Saint-Malo, Rennes: Vitré is nearer to Rennes
    table = invitation_list(pool, assign_trainees(pool, reference.communes, sites), FRANCE)
    assert table["Courriel"].tolist() == ["vitre@x.fr"]
    assert restore_cell(str(table["Structure"].iloc[0])) == "Tiers-lieu Vitré"
    assert table["Session proposée"].tolist() == ["Rennes"]
    (vitre,) = pool.itertuples()
    rennes = reference.communes.loc["35238"]
    expected_km = great_circle_km(vitre.lat, vitre.lon, rennes["lat"], rennes["lon"])
    assert 30 < expected_km < 40 and table[INVITATION_DISTANCE].iloc[0] == pytest.approx(expected_km, abs=0.06)


# Whole app

def test_empty_store_opens_without_error(store_home, monkeypatch):
    """The public page of an empty store (its static finder says so: tests/test_static_finder.py)."""
    monkeypatch.setenv("CARTE_TILES_URL", "")
    st.cache_data.clear()
    st.cache_resource.clear()
    app = AppTest.from_file(APP, default_timeout=120).run()
    assert not app.exception
