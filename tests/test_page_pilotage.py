"""The « Pilotage » page, headless (AppTest), on a real store whose answers span several months.

Figures, checked by hand (the refused Brest record is left out everywhere):

==========  =====================  ========  =======  =====  ======
animator    themes                 answered  trained  CoNum  région
==========  =====================  ========  =======  =====  ======
Rennes      Café IA                01/2026   01/2026  yes    53
Cesson      Café IA (en cours)     02/2026   —        no     53
Saint-Malo  Café IA                04/2026   05/2026  yes    53
Vitré       Café IA + Parentalité  04/2026   —        no     53
Paris       Parentalité            06/2026   06/2026  no     11
==========  =====================  ========  =======  =====  ======

No answer in March: the series must still show it. The series, the chart and the headline
« En N mois » all run from January 2026 to the current month (:func:`months_until_now`).
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pandas as pd
import pyarrow as pa
import pytest
import streamlit as st
from openpyxl import load_workbook
from signin import sign_in
from streamlit.testing.v1 import AppTest
from test_app import APP, HEADER, by_label, text_of, url_values

import store
from loaders.pipeline import LoadOptions, load_files
from loaders.read import read_bytes
from store.access import FRANCE

FRENCH_MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]
HOSTILE_HUB = '=HYPERLINK("http://x.example";"Hub Sud")'
WEST = [
    "15/01/2026 10:00;rennes@x.fr;Champs Libres;;35000;Rennes;Oui;Café IA;Oui;20/01/2026;Oui",
    "10/02/2026 10:00;cesson@x.fr;Espace Cesson;;35510;Cesson-Sévigné;Non;Café IA;En cours;;Oui",
    "05/04/2026 10:00;malo@x.fr;Fabrique Malouine;;35400;Saint-Malo;Oui;Café IA;Oui;02/05/2026;Oui",
    "12/04/2026 10:00;vitre@x.fr;Tiers-lieu Vitré;;35500;Vitré;Non;Café IA, Parentalité numérique;Non;;Oui",
    "20/05/2026 10:00;brest@x.fr;Brest Numérique;;29200;Brest;Non;Café IA;Oui;25/05/2026;Oui",
]
SOUTH = [
    "03/06/2026 10:00;paris@x.fr;Maison des parents;;75011;Paris;Non;Parentalité numérique;Oui;15/06/2026;Oui",
    "04/06/2026 10:00;nulle@x.fr;Nulle part;;99999;Commune-Imaginaire;Non;Café IA;Oui;;Oui",
]


@pytest.fixture(scope="module")
def pilot_store(tmp_path_factory, gazetteer):
    home = tmp_path_factory.mktemp("pilotage")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CARTE_DATA_HOME", str(home))
        patch.delenv("DATABASE_URL", raising=False)
        engine = store.connect()
        for name, rows, hub in (("ouest.csv", WEST, "Hub Ouest"), ("sud.csv", SOUTH, HOSTILE_HUB)):
            export = home / name
            export.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
            store.save_import(engine, load_files([export], gazetteer, LoadOptions()), hub=hub)
        brest = store.read_animators(engine, scope=FRANCE).query("commune == 'Brest'")["animator_id"].item()
        store.moderate(engine, [store.Decision(brest, "cafe-ia", "refused", "doublon")], actor="test", scope=FRANCE)
        yield home


@pytest.fixture()
def pilot(pilot_store, monkeypatch):
    monkeypatch.setenv("CARTE_DATA_HOME", str(pilot_store))
    monkeypatch.setenv("CARTE_TILES_URL", "")
    st.cache_data.clear()
    st.cache_resource.clear()
    return sign_in(AppTest.from_file(APP, default_timeout=120), "national@anct.gouv.fr").switch_page(
        "views/pilotage.py")


def metrics(app: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def months_until_now(first: str) -> int:
    """Months from ``first`` (« 2026-01 ») to the current month, both counted, by calendar arithmetic."""
    year, month = map(int, first.split("-"))
    today = datetime.now(UTC)
    return (today.year - year) * 12 + today.month - month + 1


def shown_values(table) -> pd.DataFrame:
    """The text a styled st.dataframe shows in its cells (the Styler's display values)."""
    display = table.proto.arrow_data.styler.display_values
    assert display, "the table is not styled: its cells show raw values"
    return pa.ipc.open_stream(display).read_all().to_pandas()


def chart_spec(app: AppTest) -> dict:
    return json.loads(app.get("vega_lite_chart")[0].proto.spec)


def chart_rows(app: AppTest) -> pd.DataFrame:
    chart = app.get("vega_lite_chart")[0].proto
    datasets = [pa.ipc.open_stream(dataset.data.data).read_all().to_pandas() for dataset in chart.datasets]
    return pd.concat(datasets) if datasets else pa.ipc.open_stream(chart.data.data).read_all().to_pandas()


def test_national_headline_counts_distinct_animators_without_the_refused_one(pilot):
    pilot.run()
    assert not pilot.exception
    assert pilot.title[0].value == "Pilotage"
    assert pilot.subheader[0].value == f"En {months_until_now('2026-01')} mois : 5 référencé·es, 3 formé·es"
    assert metrics(pilot) == {"Référencé·es": "5", "En formation": "1", "Formé·es": "3",
                              "Part de Conseillers numériques": "40 %"}
    assert "refusés à la vérification sont exclus" in text_of(pilot)


def test_monthly_table_includes_the_month_without_answers(pilot):
    pilot.run()
    table = pilot.dataframe[0].value
    first = table.head(6)
    assert first["Mois"].tolist() == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    assert first["Référencé·es (cumul)"].tolist() == [1, 2, 2, 4, 4, 5]
    assert first["Formé·es (cumul)"].tolist() == [1, 1, 1, 1, 2, 3]
    assert first["En formation"].tolist() == [0, 1, 1, 1, 1, 1]
    assert first["Part de Conseillers numériques parmi les formé·es (%)"].tolist() == [100.0, 100.0, 100.0, 100.0,
                                                                                       100.0, 66.7]
    # Up to the current month, whatever today's date: months after June add nothing.
    assert table["Mois"].iloc[-1] >= pd.Timestamp.now().strftime("%Y-%m")
    assert table["Référencé·es (cumul)"].iloc[-1] == 5


def test_headline_months_are_the_months_of_the_chart_and_the_table(pilot):
    pilot.run()
    months = int(pilot.subheader[0].value.split()[1])
    assert months == months_until_now("2026-01")
    assert len(pilot.dataframe[0].value) == months
    assert chart_rows(pilot)["month"].nunique() == months


def test_chart_dates_and_numbers_are_french_whatever_the_browser(pilot):
    pilot.run()
    spec = chart_spec(pilot)
    locale = spec["config"]["locale"]
    assert locale["number"]["decimal"] == ","
    assert locale["number"]["thousands"] == "\u202f"  # narrow no-break space: « 3 000 »
    assert locale["time"]["shortMonths"][:2] == ["janv.", "févr."]
    assert locale["time"]["months"][7] == "août"
    x = spec["encoding"]["x"]
    assert x["axis"]["format"] == "%b %Y" and x["title"] == "Mois"
    # Months are UTC midnights: a browser west of Greenwich must not show December for January.
    assert x["timeUnit"] == "utcyearmonth"
    tooltip = {entry["field"]: entry for entry in spec["encoding"]["tooltip"]}
    assert tooltip["month"]["timeUnit"] == "utcyearmonth" and tooltip["count"]["format"] == ",d"
    assert spec["encoding"]["y"]["axis"]["format"] == ",d"
    assert set(chart_rows(pilot)["curve"]) == {"Référencé·es", "En formation", "Formé·es"}


def test_tables_show_french_months_and_decimal_commas(pilot):
    pilot.run()
    progress = shown_values(pilot.dataframe[0])
    assert progress.iloc[:6, 0].tolist() == ["janv. 2026", "févr. 2026", "mars 2026", "avr. 2026", "mai 2026",
                                             "juin 2026"]
    assert progress.iloc[5, 5] == "66,7"  # « Part de Conseillers numériques parmi les formé·es (%) » in June
    assert progress.iloc[5, 1] == "5"
    imports = shown_values(pilot.dataframe[1])
    today = datetime.now(UTC)
    assert set(imports.iloc[:, 1]) == {f"{FRENCH_MONTHS[today.month - 1]} {today.year}"}  # imported by the fixture
    # Sorting still works on the values: the underlying month stays sortable text.
    assert pilot.dataframe[0].value["Mois"].iloc[0] == "2026-01"


def test_theme_and_region_filters_live_in_the_url(pilot):
    pilot.query_params["theme"] = "parentalite-numerique"
    pilot.run()
    assert by_label(pilot.selectbox, "Thématique").value == "parentalite-numerique"
    assert pilot.subheader[0].value == f"En {months_until_now('2026-04')} mois : 2 référencé·es, 1 formé·e"
    by_label(pilot.selectbox, "Région").set_value("53").run()
    assert url_values(pilot, "region") == ["53"]
    assert pilot.subheader[0].value == f"En {months_until_now('2026-04')} mois : 1 référencé·e, 0 formé·e"
    by_label(pilot.selectbox, "Thématique").set_value("cafe-ia").run()
    assert url_values(pilot, "theme") == ["cafe-ia"]
    assert pilot.subheader[0].value == f"En {months_until_now('2026-01')} mois : 4 référencé·es, 2 formé·es"
    assert metrics(pilot)["Part de Conseillers numériques"] == "50 %"
    by_label(pilot.selectbox, "Thématique").set_value("").run()
    assert url_values(pilot, "theme") == []  # the default stays out of the link


def test_imports_per_hub(pilot):
    pilot.run()
    table = pilot.dataframe[1].value
    assert table.columns.tolist() == ["Hub", "Mois", "Imports", "Lignes lues", "Lignes acceptées",
                                      "Lignes rejetées"]
    by_hub = table.set_index("Hub")
    assert by_hub.loc["Hub Ouest", ["Imports", "Lignes lues", "Lignes rejetées"]].tolist() == [1, 5, 0]
    assert by_hub.loc[HOSTILE_HUB, ["Imports", "Lignes lues", "Lignes rejetées"]].tolist() == [1, 2, 1]


def test_every_table_downloads_as_formula_safe_csv_and_xlsx_with_french_headers(pilot, downloads):
    pilot.run()
    assert [b.label for b in pilot.download_button] == [
        "Évolution mensuelle (CSV)", "Évolution mensuelle (XLSX)", "Imports par hub (CSV)", "Imports par hub (XLSX)"]
    assert set(downloads) == {"pilotage-toutes-thematiques-france.csv", "pilotage-toutes-thematiques-france.xlsx",
                              "imports-par-hub.csv", "imports-par-hub.xlsx"}
    progress = read_bytes(downloads["pilotage-toutes-thematiques-france.csv"], "pilotage.csv").frame
    assert progress.columns[:4].tolist() == ["Mois", "Référencé·es (cumul)", "En formation", "Formé·es (cumul)"]
    assert progress["Référencé·es (cumul)"].head(6).tolist() == ["1", "2", "2", "4", "4", "5"]
    written = downloads["imports-par-hub.csv"]
    assert written.startswith("\ufeffHub;Mois;Imports;Lignes lues".encode())
    assert b";=HYPERLINK" not in written and b"\n=HYPERLINK" not in written and b'"=HYPERLINK' not in written
    assert HOSTILE_HUB in read_bytes(written, "imports.csv").frame["Hub"].tolist()  # restored on reading back
    sheet = load_workbook(io.BytesIO(downloads["imports-par-hub.xlsx"])).active
    assert [cell.value for cell in sheet[1]][:2] == ["Hub", "Mois"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert f"'{HOSTILE_HUB}" in [cell.value for cell in sheet["A"]]


def test_progress_csv_has_decimal_commas_that_a_french_reader_reads_as_numbers(pilot, downloads):
    pilot.run()
    written = downloads["pilotage-toutes-thematiques-france.csv"]
    french = pd.read_csv(io.BytesIO(written), sep=";", decimal=",", encoding="utf-8-sig")
    share = "Part de Conseillers numériques parmi les formé·es (%)"
    assert pd.api.types.is_float_dtype(french[share])
    assert french[share].head(6).tolist() == [100.0, 100.0, 100.0, 100.0, 100.0, 66.7]
    assert pd.api.types.is_integer_dtype(french["Référencé·es (cumul)"])


def test_empty_store_says_there_is_nothing_yet(store_home, monkeypatch):
    monkeypatch.setenv("CARTE_TILES_URL", "")
    st.cache_data.clear()
    st.cache_resource.clear()
    app = AppTest.from_file(APP, default_timeout=120).switch_page("views/pilotage.py").run()
    assert not app.exception
    assert "Aucun animateur référencé" in text_of(app) and "Aucun import" in text_of(app)
    assert not app.download_button


def test_french_table_writes_thousands_apart_and_decimal_commas_but_keeps_the_values():
    from views.labels import french_table

    table = pd.DataFrame({"Mois": ["2026-08"], "Lignes lues": [3000], "Part (%)": [66.66], "Hub": ["Hub Sud"]})
    styled = french_table(table, decimals={"Part (%)": 1})
    assert styled.to_string(delimiter=";").splitlines()[1] == "0;août 2026;3\u202f000;66,7;Hub Sud"
    pd.testing.assert_frame_equal(styled.data, table)  # sorting in the grid still sorts numbers
