"""« Couverture du territoire », headless (AppTest): exports a French spreadsheet reads as numbers, named after
the filters that made them; the E2SFCA indicator explained; legends that stay meaningful when values tie.

The store is the small one of tests/test_app.py (six Café IA animators in Bretagne, one in Montpellier,
one in Paris).
"""

from __future__ import annotations

import io
import json
import math
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from test_app import app, by_label, filled_store, html_of  # noqa: F401  (fixtures)

from views.labels import INDICATORS

PARIS = ZoneInfo("Europe/Paris")
SHARE = INDICATORS["uncovered_share"]
PER_10K = INDICATORS["trained_per_10k"]
E2SFCA_WORDS = ("E2SFCA", "10 000 habitants", "30 km", "10 km", "20 km")


def today() -> str:
    return datetime.now(PARIS).strftime("%Y-%m-%d")


def caption_text(app) -> str:
    return "\n".join(caption.value for caption in app.caption)


@pytest.fixture()
def departement_view(app, downloads):  # noqa: F811  (the fixture imported from test_app)
    app.switch_page("views/couverture.py")
    app.query_params["region"] = "53"
    app.query_params["dep"] = "35"
    app.run()
    assert not app.exception
    return app


# Exports

def test_export_file_names_say_territory_theme_statuses_radius_and_date(app, downloads):  # noqa: F811
    app.switch_page("views/couverture.py")
    app.query_params["region"] = "53"
    app.query_params["dep"] = "35"
    app.query_params["statut"] = ["trained", "referenced"]
    app.query_params["rayon"] = "20"
    app.run()
    assert not app.exception
    stem = f"couverture-communes-35-cafe-ia-formes-et-references-20km-{today()}"
    assert set(downloads) == {f"{stem}.csv", f"{stem}.xlsx", f"{stem}.geojson"}


def test_export_file_name_of_a_region_says_so_and_conseillers_numeriques_only(app, downloads):  # noqa: F811
    app.switch_page("views/couverture.py")
    app.query_params["region"] = "53"
    app.query_params["conum"] = "1"
    app.run()
    assert f"couverture-epci-region-53-cafe-ia-formes-conum-15km-{today()}.csv" in downloads


def test_export_file_name_of_france_says_so_and_a_moderation_other_than_the_default(app, downloads):  # noqa: F811
    app.switch_page("views/couverture.py")
    app.query_params["verif"] = ["validated", "pending", "refused"]
    app.run()
    assert f"couverture-epci-france-cafe-ia-formes-verif-a-verifier-valide-refuse-15km-{today()}.csv" in downloads


def test_csv_export_has_decimal_commas_that_a_french_reader_reads_as_numbers(departement_view, downloads):
    (csv_name,) = [name for name in downloads if name.endswith(".csv")]
    (xlsx_name,) = [name for name in downloads if name.endswith(".xlsx")]
    written = downloads[csv_name]
    french = pd.read_csv(io.BytesIO(written), sep=";", decimal=",", encoding="utf-8-sig", dtype={"Code": str})
    sheet = load_workbook(io.BytesIO(downloads[xlsx_name])).active
    rows = list(sheet.values)
    workbook = pd.DataFrame(rows[1:], columns=rows[0])
    assert list(french.columns) == list(workbook.columns)
    numeric = [column for column in workbook.columns if column not in ("Code", "Nom")]
    for column in numeric:
        assert pd.api.types.is_numeric_dtype(french[column]), column
        expected = pd.to_numeric(workbook[column]).to_numpy(dtype=float)
        np.testing.assert_allclose(french[column].to_numpy(dtype=float), expected, equal_nan=True, err_msg=column)
    distance = "Distance moyenne au plus proche animateur (km)"
    assert any(not float(value).is_integer() for value in french[distance].dropna()), "no decimal to check"
    assert b"." not in written.split(b"\r\n", 1)[1]  # no decimal point left in the cells


def test_xlsx_and_geojson_exports_keep_real_numbers_for_qgis(departement_view, downloads):
    (xlsx_name,) = [name for name in downloads if name.endswith(".xlsx")]
    (geojson_name,) = [name for name in downloads if name.endswith(".geojson")]
    sheet = load_workbook(io.BytesIO(downloads[xlsx_name])).active
    header = [cell.value for cell in sheet[1]]
    share = header.index("Part de la population non couverte (%)")
    assert all(row[share].data_type == "n" for row in sheet.iter_rows(min_row=2))
    features = json.loads(downloads[geojson_name])["features"]
    assert all(isinstance(f["properties"]["Part de la population non couverte (%)"], (int, float))
               for f in features)


def test_the_page_says_which_export_suits_which_tool(departement_view):
    captions = caption_text(departement_view)
    assert "virgule décimale" in captions and "QGIS" in captions


# E2SFCA

def test_e2sfca_is_explained_in_one_french_sentence_beside_the_priorities(departement_view):
    captions = caption_text(departement_view)
    (sentence,) = [line for line in captions.split("\n") if "E2SFCA" in line]
    assert all(word in sentence for word in E2SFCA_WORDS), sentence
    assert sentence.count(". ") == 0 and sentence.endswith(".")


def test_e2sfca_is_explained_in_the_legend_when_it_is_the_indicator(app):  # noqa: F811
    app.switch_page("views/couverture.py")
    app.query_params["region"] = "53"
    app.query_params["indicateur"] = "mean_accessibility_per_10k"
    app.run()
    assert not app.exception
    legend = next(h.proto.body for h in app.get("html") if "carte-legende" in h.proto.body)
    assert all(word in legend for word in E2SFCA_WORDS)
    assert "E2SFCA" in by_label(app.selectbox, "Indicateur").help


# Legend classes

@pytest.mark.parametrize(
    ("indicator", "values", "expected"),
    [
        # Every territory covered: one class, stated as the value it is.
        (SHARE, [0.0, 0.0, 0.0], ["0 %"]),
        # Covered or not at all: two values, not « jusqu'à 0 % » then « plus de 0 à 100 % ».
        (SHARE, [0.0] * 8 + [1.0, 1.0], ["0 %", "100 %"]),
        # Three values, three classes.
        (SHARE, [0.0] * 5 + [0.5, 1.0], ["0 %", "50 %", "100 %"]),
        # Many at 0 %, the others spread over the other classes (quartiles of 50 to 100 %: 62.5, 75, 87.5).
        (SHARE, [0.0] * 8 + [0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
         ["0 %", "plus de 0 à 63 %", "plus de 63 à 75 %", "plus de 75 à 88 %", "plus de 88 à 100 %"]),
        (PER_10K, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
         ["jusqu'à 2,8 pour 10 000 hab.", "plus de 2,8 à 4,6 pour 10 000 hab.", "plus de 4,6 à 6,4 pour 10 000 hab.",
          "plus de 6,4 à 8,2 pour 10 000 hab.", "plus de 8,2 à 10 pour 10 000 hab."]),
        (SHARE, [math.nan], []),
        # Few values: each is a class, written with three significant digits.
        (PER_10K, [1 / 12, 1 / 12, 0.125], ["0,0833 pour 10 000 hab.", "0,125 pour 10 000 hab."]),
    ],
)
def test_legend_classes_on_tiny_hand_checked_inputs(indicator, values, expected):
    from views.couverture import legend_labels

    assert legend_labels(indicator, np.array(values) * indicator.factor) == expected


def test_the_page_legend_lists_the_classes_of_the_view(departement_view):
    legend = next(h.proto.body for h in departement_view.get("html") if "carte-legende" in h.proto.body)
    assert "sans valeur" in legend and "%" in legend
    assert "plus de 0 à 100 %" not in legend


@pytest.mark.parametrize(("count", "expected"), [(5, [0, 1, 2, 3, 4]), (2, [0, 4]), (3, [0, 2, 4]), (1, [0])])
def test_fewer_classes_still_run_from_the_lightest_to_the_darkest_colour(count, expected):
    from views.couverture import PALETTE, class_colours

    assert class_colours(count) == [PALETTE[index] for index in expected]


def test_a_covered_or_uncovered_departement_draws_100_percent_in_the_darkest_colour(departement_view):
    from views.couverture import PALETTE

    legend = next(h.proto.body for h in departement_view.get("html") if "carte-legende" in h.proto.body)
    assert f'background:{PALETTE[-1]}" aria-hidden="true"></span> 100 %' in legend  # communes: 0 % or 100 %


def test_priority_table_and_details_write_numbers_the_french_way(app):  # noqa: F811
    from test_page_pilotage import shown_values

    app.switch_page("views/couverture.py")
    app.query_params["region"] = "53"
    app.query_params["dep"] = "35"
    app.query_params["zone"] = "35238"  # Rennes: 227,830 inhabitants (municipal population, COG 2025)
    app.run()
    assert not app.exception
    raw, shown = app.dataframe[0].value, shown_values(app.dataframe[0])
    big = raw["Population"].idxmax()
    assert shown.loc[big, "Population"] == f"{raw.loc[big, 'Population']:,}".replace(",", "\u202f")
    accessibility = shown["Accessibilité (pour 10 000 hab.)"]
    assert not accessibility.str.contains(".", regex=False).any() and accessibility.str.contains(",").any()
    population = {m.label: m.value for m in app.metric}["Population"]
    assert population.count("\u202f") == 1 and population.replace("\u202f", "").isdigit()
