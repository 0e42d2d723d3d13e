"""One test per geocoding quirk, with hand-checked INSEE codes (COG 2025)."""

from __future__ import annotations

import pandas as pd
import pytest

from loaders.geocoding import GEOCODE_COLUMNS, geocode


def place(gazetteer, **fields) -> pd.Series:
    frame = pd.DataFrame([fields]).fillna("")
    return geocode(frame, gazetteer).iloc[0]


def assert_placed(row: pd.Series, insee: str, arrondissement: str = "", precision: str | None = None) -> None:
    assert row["reject_reason"] is None, row["reject_reason"]
    assert (row["insee_code"], row["arrondissement_code"]) == (insee, arrondissement)
    if precision:
        assert row["geocode_precision"] == precision


# -- rule 1: INSEE codes --------------------------------------------------------

def test_insee_code_with_lost_leading_zero(gazetteer):
    row = place(gazetteer, insee_code="1053")
    assert_placed(row, "01053", precision="commune")
    assert row["commune"] == "Bourg-en-Bresse"
    assert "zéro" in row["geocode_note"]


@pytest.mark.parametrize(("raw", "expected"), [("2A004", "2A004"), ("2b033", "2B033"), ("20004", "2A004"),
                                               ("20033", "2B033")])
def test_corsican_insee_codes(gazetteer, raw, expected):
    assert_placed(place(gazetteer, insee_code=raw), expected)


def test_postcode_typed_in_the_insee_field(gazetteer):
    row = place(gazetteer, insee_code="34000", city="Montpellier")
    assert_placed(row, "34172")
    assert "code postal lu dans le champ code INSEE" in row["geocode_note"]


def test_arrondissement_code_resolves_to_its_commune(gazetteer):
    assert_placed(place(gazetteer, insee_code="75111"), "75056", "75111")
    assert_placed(place(gazetteer, insee_code="13213"), "13055", "13213")


def test_former_commune_code_resolves_to_its_parent(gazetteer):
    row = place(gazetteer, insee_code="69159")  # Le Breuil, commune déléguée of Porte des Pierres Dorées
    assert_placed(row, "69114")
    assert "ancienne commune" in row["geocode_note"]


def test_unknown_insee_code_is_rejected_with_the_field_named(gazetteer):
    row = place(gazetteer, insee_code="99999")
    assert row["insee_code"] == ""
    assert "Code INSEE « 99999 » inconnu" in row["reject_reason"]


# -- rule 2: coordinates ------------------------------------------------------------

def test_latitude_longitude_placed_by_point_in_polygon(gazetteer):
    row = place(gazetteer, lat="43.6108", lon="3.8767")
    assert_placed(row, "34172", precision="coordinates")
    assert (row["lat"], row["lon"]) == (43.6108, 3.8767)
    assert row["epci_code"] == "243400017"
    assert (row["departement_code"], row["region_code"]) == ("34", "76")


def test_swapped_latitude_longitude(gazetteer):
    row = place(gazetteer, lat="3.8767", lon="43.6108")
    assert_placed(row, "34172", precision="coordinates")
    assert (row["lat"], row["lon"]) == (43.6108, 3.8767)
    assert "inversées" in row["geocode_note"]


@pytest.mark.parametrize("text", ["42.35473, 9.04258", "42,35473, 9,04258", "42.35473;9.04258",
                                  "POINT(9.04258 42.35473)"])
def test_combined_coordinate_field(gazetteer, text):
    assert_placed(place(gazetteer, coordinates=text), "2B095", precision="coordinates")  # Corscia


def test_comma_decimal_x_y_in_degrees(gazetteer):
    row = place(gazetteer, x="3,953037972", y="49,04334998")
    assert_placed(row, "51230", precision="coordinates")  # Épernay


def test_lambert93_in_x_y_columns(gazetteer):
    row = place(gazetteer, x="652000", y="6862000")  # Lambert-93 of central Paris
    assert_placed(row, "75056", "75101", precision="coordinates")
    assert row["lat"] == pytest.approx(48.859, abs=0.01)
    assert "Lambert-93" in row["geocode_note"]


def test_lambert93_in_combined_field_with_comma_decimals(gazetteer):
    row = place(gazetteer, coordinates="770000,5 ; 6279000,25")  # Montpellier area
    assert row["departement_code"] == "34"
    assert row["geocode_precision"] == "coordinates"


def test_coordinates_outside_every_commune_are_rejected(gazetteer):
    row = place(gazetteer, lat="45.0", lon="-10.0")  # Atlantic Ocean
    assert row["insee_code"] == ""
    assert "hors de toute commune" in row["reject_reason"]


def test_coordinates_outside_fall_back_to_postcode_and_city_with_a_note(gazetteer):
    row = place(gazetteer, lat="45.0", lon="-10.0", postcode="34000", city="Montpellier")
    assert_placed(row, "34172", precision="commune")
    assert "hors de toute commune" in row["geocode_note"]


# -- rule 3: postcode and commune name ----------------------------------------------------

@pytest.mark.parametrize(
    ("postcode", "city", "expected"),
    [
        ("01400", "L'ABERGEMENT CLEMENCIAT", "01001"),  # case, accents, apostrophe
        ("01400", "Abergement-Clémenciat (L')", "01001"),  # article in parentheses
        ("01400", "abergement clemenciat", "01001"),  # article dropped
        ("69110", "Ste Foy les Lyon", "69202"),  # Ste, hyphens
        ("42000", "St-Etienne", "42218"),  # St
        ("34090", "MONTPELLIER CEDEX 2", "34172"),  # CEDEX
        ("23800", "Dun Le Palestel", "23075"),  # spaces instead of hyphens
        ("1400", "L'Abergement-Clémenciat", "01001"),  # lost leading zero
        ("34000", "Montpelier", "34172"),  # typo
    ],
)
def test_postcode_and_city_variants(gazetteer, postcode, city, expected):
    assert_placed(place(gazetteer, postcode=postcode, city=city), expected, precision="commune")


@pytest.mark.parametrize(
    ("postcode", "city", "insee", "arrondissement"),
    [
        ("75011", "Paris 11e", "75056", "75111"),
        ("", "Lyon 3ème", "69123", "69383"),
        ("13013", "Marseille 13e Arrondissement", "13055", "13213"),
        ("69003", "Lyon", "69123", "69383"),  # the postcode names the arrondissement
    ],
)
def test_arrondissement_labels(gazetteer, postcode, city, insee, arrondissement):
    assert_placed(place(gazetteer, postcode=postcode, city=city), insee, arrondissement)


def test_former_commune_now_deleguee(gazetteer):
    row = place(gazetteer, postcode="51130", city="Vertus")
    assert_placed(row, "51612")  # Blancs-Coteaux
    assert "commune déléguée" in row["geocode_note"]


@pytest.mark.parametrize(("postcode", "expected"), [("93200", "93066"), ("97400", "97411")])
def test_homonyms_told_apart_by_postcode(gazetteer, postcode, expected):
    assert_placed(place(gazetteer, postcode=postcode, city="Saint-Denis"), expected)


def test_unknown_commune_for_a_postcode_is_rejected_with_candidates(gazetteer):
    row = place(gazetteer, postcode="51130", city="Xyzville")
    assert "introuvable" in row["reject_reason"]
    assert "Blancs-Coteaux" in row["reject_reason"]


def test_postcode_alone_covering_several_communes_asks_for_the_commune(gazetteer):
    assert "renseignez la commune" in place(gazetteer, postcode="01000")["reject_reason"]


def test_overseas_collectivity_is_rejected_with_its_name(gazetteer):
    row = place(gazetteer, postcode="98800", city="Nouméa")
    assert "Nouvelle-Calédonie" in row["reject_reason"]


# -- rule 4: address ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("12 rue X, 34000 Montpellier", "34172"),
        ("1 Rue Professeur Langevin, 51200, Épernay, Marne, Grand Est, FRA", "51230"),
        ("10 Rue des Loriots, 51130, Vertus, Blancs-Coteaux, Marne, Grand Est, FRA", "51612"),
        ("Mairie de Corscia 20224 CORSCIA", "2B095"),
    ],
)
def test_address_holding_postcode_and_city(gazetteer, address, expected):
    assert_placed(place(gazetteer, address=address), expected, precision="commune")


# -- rule 5: name alone -----------------------------------------------------------------------

def test_unique_commune_name_alone(gazetteer):
    row = place(gazetteer, city="Épernay")
    assert_placed(row, "51230")
    assert "unique" in row["geocode_note"]


def test_ambiguous_commune_name_alone_is_rejected(gazetteer):
    assert "ajoutez le code postal" in place(gazetteer, city="Saint-Denis")["reject_reason"]


# -- disagreements -----------------------------------------------------------------------------

def test_higher_rule_wins_and_the_note_says_so(gazetteer):
    # Coordinates at the town hall of Vernouillet (28404), an address in neighbouring Dreux (28134).
    row = place(gazetteer, lat="48.7219", lon="1.3634", address="4 place Métézeau, 28100 Dreux")
    assert_placed(row, "28404", precision="coordinates")
    assert "Dreux" in row["geocode_note"] and "priorité aux coordonnées" in row["geocode_note"]


def test_insee_code_wins_over_postcode_and_city(gazetteer):
    row = place(gazetteer, insee_code="51230", postcode="34000", city="Montpellier")
    assert_placed(row, "51230")
    assert "Montpellier" in row["geocode_note"]


# Coordinates in another commune than the one a postcode and a commune agree on: ignored, rule 3 places the row.
AGREEING_FIELDS_AGAINST_COORDINATES = {
    # A hub export row: Bourges address, coordinates of Lille (a copy error).
    "copy_error": (("50.613114", "3.047418", "18000", "BOURGES"), "18033",
                   "390 km de la commune indiquée par le code postal et le nom (Bourges)"),
    # 34967 is a CEDEX postcode, unknown to the reference: Montpellier is exactly named in its département.
    # The coordinates are those of Strasbourg.
    "cedex_far": (("48.57358", "7.75321", "34967", "MONTPELLIER"), "34172",
                  "km de la commune indiquée par le code postal et le nom (Montpellier)"),
    # The town hall of Lattes (34129), 1.7 km outside Montpellier; both fields name Montpellier.
    "neighbour": (("43.5701", "3.89875", "34000", "Montpellier"), "34172",
                  "dans une autre commune (Lattes), à 1,7 km de la commune indiquée par le code postal et le nom "
                  "(Montpellier)"),
    # The town hall of Saint-Jean-de-Braye (45284), next to Orléans; 45074 is a CEDEX postcode of Orléans.
    "cedex_neighbour": (("47.91188", "1.97224", "45074", "ORLEANS CEDEX"), "45234",
                        "dans une autre commune (Saint-Jean-de-Braye)"),
}


@pytest.mark.parametrize(("fields", "insee", "note"), AGREEING_FIELDS_AGAINST_COORDINATES.values(),
                         ids=AGREEING_FIELDS_AGAINST_COORDINATES.keys())
def test_coordinates_in_another_commune_lose_to_a_postcode_and_commune_that_agree(gazetteer, fields, insee, note):
    row = place(gazetteer, **dict(zip(("lat", "lon", "postcode", "city"), fields)))
    assert_placed(row, insee, precision="commune")
    assert note in row["geocode_note"]


def test_coordinates_just_outside_the_commune_of_postcode_and_name_keep_their_point(gazetteer):
    # 18 m into Castelnau-le-Lez from Montpellier's contour (contours are simplified): read in Montpellier.
    row = place(gazetteer, lat="43.63161", lon="3.89382", postcode="34000", city="Montpellier")
    assert_placed(row, "34172", precision="coordinates")
    assert (row["lat"], row["lon"]) == (43.63161, 3.89382)
    assert "hors de son contour" in row["geocode_note"]


def test_coordinates_inside_the_insee_commune_keep_coordinate_precision(gazetteer):
    row = place(gazetteer, insee_code="34172", lat="43.6108", lon="3.8767")
    assert_placed(row, "34172", precision="coordinates")


def test_row_without_any_location_is_rejected(gazetteer):
    assert "aucune localisation" in place(gazetteer, structure="X")["reject_reason"].lower()


def test_output_columns_and_index_are_preserved(gazetteer):
    frame = pd.DataFrame({"postcode": ["34000", "xx"], "city": ["Montpellier", ""]}, index=[7, 9])
    result = geocode(frame, gazetteer)
    assert list(result.columns) == list(GEOCODE_COLUMNS)
    assert list(result.index) == [7, 9]
    assert result.loc[9, "reject_reason"].startswith("Code postal")


@pytest.mark.parametrize(("postcode", "territory"), [("97133", "Saint-Barthélemy"), ("97150", "Saint-Martin"),
                                                     ("97500", "Saint-Pierre-et-Miquelon")])
def test_collectivities_sharing_guadeloupe_postcodes_are_named(gazetteer, postcode, territory):
    assert territory in place(gazetteer, postcode=postcode, city="X")["reject_reason"]


def test_street_without_postcode_does_not_clutter_the_reason(gazetteer):
    reason = place(gazetteer, address="3 rue de la Paix", postcode="51130", city="Xyzville")["reject_reason"]
    assert "Xyzville" in reason and "sans code postal" not in reason


def test_partial_name_completed_within_the_postcode(gazetteer):
    # 04220 serves Corbières-en-Provence; "Corbières" alone is also a commune of the Aude (11100).
    row = place(gazetteer, postcode="04220", city="CORBIÈRES", lat="43.7615", lon="5.7517")
    assert_placed(row, "04063", precision="coordinates")


def test_coordinates_are_kept_when_postcode_and_name_do_not_agree(gazetteer):
    row = place(gazetteer, postcode="13100", city="Aix", lat="43.5263", lon="5.4138")
    assert_placed(row, "13001", precision="coordinates")


def test_unknown_name_with_a_single_commune_postcode_is_rejected_not_guessed(gazetteer):
    row = place(gazetteer, postcode="97490", city="SAINTE CLOTILDE")  # a district of Saint-Denis
    assert row["insee_code"] == ""
    assert "Saint-Denis" in row["reject_reason"]


def test_arrondissement_disagreement_is_noted(gazetteer):
    row = place(gazetteer, postcode="75010", city="PARIS 10", lat="48.845", lon="2.3752")
    assert_placed(row, "75056", "75112", precision="coordinates")
    assert "autre arrondissement (75110)" in row["geocode_note"]
