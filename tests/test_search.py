"""Offline commune search: real reference, and ranking against a naive reference on a tiny one."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from core.text import fold
from core.vocabulary import SAINT_ABBREVIATIONS
from geo import settings
from geo.reference import ReferenceGeography
from geo.search import SUGGESTION_COLUMNS, CommuneSearch


@pytest.fixture(scope="module")
def search(reference) -> CommuneSearch:
    return CommuneSearch(reference)


def codes(frame: pd.DataFrame) -> list[str]:
    return frame["insee_code"].tolist()


@pytest.mark.parametrize("query", ["rennes", "Rennes", "RENNES ", "35000", "35238"])
def test_rennes_comes_first(search, query):
    found = search.suggest(query)
    assert list(found.columns) == list(SUGGESTION_COLUMNS)
    assert codes(found)[0] == "35238"
    assert found["label"].iloc[0] == "Rennes (35) — 35000, 35200, 35700"


@pytest.mark.parametrize("query", ["st malo", "SAINT-MALO", "saint malo", "St-Malo", "saint-malô"])
def test_saint_malo_however_written(search, query):
    assert codes(search.suggest(query))[0] == "35288"
    assert search.resolve(query)["insee_code"] == "35288"


def test_paris_by_arrondissement_postcode_or_name(search):
    for query in ("75015", "Paris 15e Arrondissement", "paris 15", "75115"):
        found = search.suggest(query)
        assert codes(found)[0] == "75056", query
        assert found["label"].iloc[0] == "Paris 15e Arrondissement (75) — 75015"
    assert codes(search.suggest("paris"))[:1] == ["75056"]
    assert search.suggest("paris")["label"].iloc[0] == "Paris (75) — 75001, 75002, 75003…"


def test_arrondissement_is_placed_inside_it(search, reference):
    row = search.resolve("75015")
    contour = reference.arrondissements.loc["75115", "geometry"]
    assert contour.contains(shapely.Point(row["lon"], row["lat"]))


def test_postcode_prefix_lists_communes_by_population(search, reference):
    found = search.suggest("13", limit=20)
    assert codes(found)[0] == "13055"  # Marseille
    population = reference.communes["population"].reindex(codes(found))
    assert population.is_monotonic_decreasing
    postcodes = reference.communes["postcodes"].reindex(codes(found))
    assert postcodes.map(lambda text: any(code.startswith("13") for code in text.split("|"))).all()
    assert found["insee_code"].is_unique  # Marseille once, not once per arrondissement


def test_homonyms_are_told_apart_by_departement(search):
    found = search.suggest("Saint-Denis")
    exact = found[found["nom"] == "Saint-Denis"]
    assert {"93", "974"} <= set(exact["departement_code"])
    assert exact["label"].is_unique
    assert set(exact["label"]) >= {"Saint-Denis (93) — 93200, 93210, 93380",
                                   "Saint-Denis (974) — 97400, 97417, 97490"}
    assert search.resolve("Saint-Denis") is None


def test_typing_errors_still_suggest(search):
    assert codes(search.suggest("bordaux"))[0] == "33063"
    assert codes(search.suggest("Marseile"))[0] == "13055"
    assert search.resolve("bordaux") is None  # a guess never designates a commune


def test_accents_case_and_articles_do_not_matter(search):
    assert codes(search.suggest("Orléans"))[0] == codes(search.suggest("orleans"))[0] == "45234"
    for query in ("Le Mans", "le mans", "mans", "LE-MANS"):
        assert codes(search.suggest(query))[0] == "72181", query
    assert codes(search.suggest("l'hay"))[0] == "94038"  # L'Haÿ-les-Roses


def test_a_word_inside_the_name_is_found(search):
    assert "35288" in codes(search.suggest("malo", limit=20))


def test_abbreviation_being_typed_also_matches_as_typed(search):
    found = codes(search.suggest("st"))
    assert "67482" in found  # Strasbourg
    assert "42218" in found  # Saint-Étienne


@pytest.mark.parametrize("query", ["", "   ", "-", "1", "123456", "\u200b"])
def test_blank_or_meaningless_queries_give_an_empty_frame(search, query):
    found = search.suggest(query)
    assert found.empty
    assert list(found.columns) == list(SUGGESTION_COLUMNS)
    assert search.resolve(query) is None


@pytest.mark.parametrize("query", ["<script>alert(1)</script>", "'; DROP TABLE communes; --", "%00", "x" * 10_000,
                                   "🙂 paris", "75\u00a0015", "2A004"])
def test_hostile_or_odd_queries_return_a_frame(search, query):
    found = search.suggest(query)
    assert list(found.columns) == list(SUGGESTION_COLUMNS)
    assert len(found) <= 8


def test_corsican_insee_code_and_spaced_postcode(search):
    assert codes(search.suggest("2A004")) == ["2A004"]  # Ajaccio
    assert codes(search.suggest("75\u00a0015"))[0] == "75056"


def test_resolve_only_when_unambiguous(search):
    assert search.resolve("Rennes")["insee_code"] == "35238"
    assert search.resolve("35000")["insee_code"] == "35238"
    assert search.resolve("2A004")["insee_code"] == "2A004"
    assert search.resolve("Renn") is None  # a prefix
    assert search.resolve("35") is None  # a postcode prefix
    resolved = search.resolve("orleans")
    assert isinstance(resolved, pd.Series)
    assert list(resolved.index) == list(SUGGESTION_COLUMNS)


def test_limit(search):
    assert len(search.suggest("saint", limit=3)) == 3
    assert search.suggest("saint", limit=0).empty


# Ranking against a naive reference on a tiny hand-made reference.

TINY_COMMUNES = [
    # code, nom, nom sans article, population, département, postcodes
    ("35238", "Rennes", "Rennes", 220_000, "35", "35000|35200|35700"),
    ("11309", "Rennes-le-Château", "Rennes-le-Château", 80, "11", "11190"),
    ("35288", "Saint-Malo", "Saint-Malo", 46_000, "35", "35400"),
    ("44176", "Saint-Malo-de-Guersac", "Saint-Malo-de-Guersac", 3_000, "44", "44550"),
    ("72181", "Le Mans", "Mans", 143_000, "72", "72000|72100"),
    ("72328", "Sargé-lès-le-Mans", "Sargé-lès-le-Mans", 3_800, "72", "72190"),
    ("93066", "Saint-Denis", "Saint-Denis", 113_000, "93", "93200|93210|93380"),
    ("97411", "Saint-Denis", "Saint-Denis", 150_000, "974", "97400|97417|97490"),
    ("67482", "Strasbourg", "Strasbourg", 290_000, "67", "67000|67100|67200"),
    ("56201", "Le Saint", "Saint", 600, "56", "56110"),
    ("75056", "Paris", "Paris", 2_100_000, "75", "75001|75015"),
]


@pytest.fixture(scope="module")
def tiny() -> ReferenceGeography:
    rows = pd.DataFrame(TINY_COMMUNES, columns=["insee_code", "nom", "nom_sans_article", "population",
                                                "departement_code", "postcodes"]).set_index("insee_code")
    rows["lon"], rows["lat"] = range(len(rows)), 45.0
    communes = gpd.GeoDataFrame(rows, geometry=[shapely.box(x, 45, x + 0.5, 45.5) for x in rows["lon"]],
                                crs=settings.WGS84)
    arrondissements = gpd.GeoDataFrame({"nom": ["Paris 15e Arrondissement"], "insee_code": ["75056"]},
                                       geometry=[shapely.box(10, 45, 10.5, 45.5)],
                                       index=pd.Index(["75115"], name="code"), crs=settings.WGS84)
    links = [(postcode, code, "") for code, *_, postcodes in TINY_COMMUNES for postcode in postcodes.split("|")]
    postcodes = pd.DataFrame(links, columns=["postcode", "insee_code", "arrondissement_code"])
    postcodes.loc[postcodes["postcode"] == "75015", "arrondissement_code"] = "75115"
    aliases = pd.DataFrame({"alias_code": ["75115"], "type": ["ARM"], "nom": ["Paris 15e Arrondissement"],
                            "insee_code": ["75056"], "arrondissement_code": ["75115"]})
    empty = gpd.GeoDataFrame({"nom": []}, geometry=[], crs=settings.WGS84)
    return ReferenceGeography(communes=communes, aliases=aliases, arrondissements=arrondissements,
                              postcodes=postcodes, epcis=empty, departements=empty, regions=empty)


def naive_name_ranking(query: str) -> list[str]:
    """The documented rules, spelled out with loops over the tiny communes (no fuzzy completion)."""
    words = fold(query).split()
    expanded = [SAINT_ABBREVIATIONS.get(word, word) for word in words]
    typed_last = " ".join(expanded[:-1] + words[-1:])
    variants = [(typed_last, True), (" ".join(expanded), False)]
    ranked = []
    for code, nom, bare, population, *_ in TINY_COMMUNES:
        tiers = []
        for key in {fold(nom), fold(bare)}:
            for variant, may_be_exact in variants:
                if key == variant and may_be_exact:
                    tiers.append(0)
                elif key.startswith(variant):
                    tiers.append(1)
                elif (" " + key).find(" " + variant) >= 0:
                    tiers.append(2)
        if tiers:
            ranked.append((min(tiers), -population, code))
    return [code for *_, code in sorted(ranked)]


@pytest.mark.parametrize("query", ["rennes", "renn", "st", "st malo", "saint", "saint denis", "mans", "le mans",
                                   "malo", "denis", "strasb", "s", "le"])
def test_name_ranking_matches_the_naive_reference(tiny, query):
    found = codes(CommuneSearch(tiny).suggest(query, limit=50))
    expected = naive_name_ranking(query)
    assert found[: len(expected)] == expected


def test_tiny_reference_hand_checked_rankings(tiny):
    search = CommuneSearch(tiny)
    assert codes(search.suggest("saint denis", limit=2)) == ["97411", "93066"]  # the more populated first
    assert codes(search.suggest("st", limit=3)) == ["67482", "97411", "93066"]  # "Le Saint" is no exact "st"
    assert codes(search.suggest("saint", limit=1)) == ["56201"]  # ... but is exactly "saint"
    assert codes(search.suggest("75015")) == ["75056"]
    assert search.suggest("75015")["nom"].tolist() == ["Paris 15e Arrondissement"]
    assert codes(search.suggest("75")) == ["75056"]
    assert search.suggest("75")["nom"].tolist() == ["Paris"]  # a prefix lists communes, not arrondissements


# Homonyms and « Nom (dép.) » (issue 16, point 4).

def communes_named(reference, name: str) -> pd.DataFrame:
    """Every commune of the reference with exactly this name, from the reference table itself."""
    return reference.communes[reference.communes["nom"] == name]


@pytest.mark.parametrize("name", ["Sainte-Colombe", "Saint-Sauveur", "Beaulieu"])
def test_every_homonym_is_suggested(search, reference, name):
    homonyms = communes_named(reference, name)
    assert len(homonyms) > 8  # more than the default limit of suggestions
    found = search.suggest(name)
    assert set(homonyms.index) <= set(codes(found))
    assert found["label"].is_unique


def test_name_with_its_departement_designates_one_homonym(search, reference):
    for code, departement in communes_named(reference, "Sainte-Colombe")["departement_code"].items():
        for query in (f"Sainte-Colombe ({departement})", f"sainte colombe ( {departement} )"):
            assert codes(search.suggest(query))[:1] == [code], query
            assert search.resolve(query)["insee_code"] == code, query
    assert search.resolve("Saint-Denis (974)")["insee_code"] == "97411"
    assert search.resolve("Ajaccio (2a)")["insee_code"] == "2A004"


def test_every_label_shown_finds_its_own_commune_again(search):
    """A suggestion's label, typed or pasted back into the box, designates that very commune."""
    for query in ("Sainte-Colombe", "Saint-Denis", "Paris 15", "13", "51300"):
        for row in search.suggest(query, limit=50).itertuples():
            assert search.resolve(row.label)["insee_code"] == row.insee_code, row.label


def test_name_and_departement_designate_a_single_entry(reference):
    """« Nom (dép.) » is unambiguous: no two communes of one département share a folded name."""
    communes = reference.communes
    pairs = pd.DataFrame({"name": communes["nom"].map(fold), "departement": communes["departement_code"]})
    assert not pairs.duplicated().any()


def test_a_departement_that_has_no_such_commune_finds_nothing_exact(search):
    assert search.resolve("Rennes (29)") is None
    assert "35238" not in codes(search.suggest("Rennes (29)"))


def test_lookup_tells_nothing_one_and_several_apart(search, reference):
    from geo.search import Found
    from geo.search_index import designation

    assert search.lookup("zzzqqq").found is Found.NOTHING
    rennes = search.lookup("rennes")
    assert rennes.found is Found.ONE and rennes.commune["insee_code"] == "35238"
    several = search.lookup("Sainte-Colombe")
    assert several.found is Found.SEVERAL and several.commune is None
    assert set(communes_named(reference, "Sainte-Colombe").index) <= set(codes(several.candidates))
    chosen = several.candidates.iloc[-1]
    picked = search.lookup("Sainte-Colombe", chosen=chosen["insee_code"])
    assert picked.found is Found.ONE and picked.commune["insee_code"] == chosen["insee_code"]
    assert search.lookup("Sainte-Colombe", chosen="35238").found is Found.SEVERAL  # not a candidate
    again = search.lookup(designation(chosen["nom"], chosen["departement_code"]))
    assert again.found is Found.ONE and again.commune["insee_code"] == chosen["insee_code"]
