"""Rows whose postcode, commune and address disagree: the agreement of independent evidence decides.

The three sources are the postcode column, the commune column (or a commune
name typed in the INSEE code column, as exports with a « commune_insee »
header do) and the postcode + city written inside the address. Two that agree
beat one that disagrees, with a note naming the conflict; an even split is
rejected with its reason. The values are our own, shaped like the rows seen in
a real list of structures (issue 17); INSEE codes and postcodes are COG 2025.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.text import fold
from loaders.geocoding import geocode, name_key
from loaders.pipeline import LoadOptions, load_files


def place(gazetteer, **fields: str) -> pd.Series:
    return geocode(pd.DataFrame([fields]).fillna(""), gazetteer).iloc[0]


def with_commune_in(layout: str, commune: str, **fields: str) -> dict[str, str]:
    """The row's fields, its commune in the commune column or in the INSEE code column."""
    return {**fields, layout: commune}


LAYOUTS = pytest.mark.parametrize("layout", ["city", "insee_code"], ids=["commune_column", "commune_in_insee_column"])


# -- two sources against one ------------------------------------------------------------------

@LAYOUTS
def test_postcode_of_another_region_loses_to_commune_and_address(gazetteer, layout):
    # Shaped like « Maxéville » + « 54320 MAXEVILLE » with postcode 25000 (Besançon).
    row = place(gazetteer, **with_commune_in(layout, "Vandœuvre-lès-Nancy", postcode="21000",
                                             address="12 rue Jeanne d'Arc\n54500 VANDOEUVRE LES NANCY"))
    assert pd.isna(row["reject_reason"]), row["reject_reason"]
    assert (row["insee_code"], row["departement_code"]) == ("54547", "54")
    assert ("code postal 21000 incohérent avec la commune et l'adresse (54500 Vandœuvre-lès-Nancy) : "
            "Vandœuvre-lès-Nancy retenue") in row["geocode_note"]


@LAYOUTS
def test_postcode_of_a_neighbour_loses_to_arrondissement_and_address(gazetteer, layout):
    # Shaped like « Lyon 3e Arrondissement » + « 69003 LYON 3EME » with postcode 69740 (Genas).
    row = place(gazetteer, **with_commune_in(layout, "Marseille 5e Arrondissement", postcode="13127",
                                             address="3 rue Saint-Pierre\n13005 MARSEILLE 5EME"))
    assert (row["insee_code"], row["arrondissement_code"]) == ("13055", "13205")
    assert "code postal 13127 incohérent avec la commune et l'adresse (13005 Marseille) : Marseille retenue" in (
        row["geocode_note"])


@LAYOUTS
def test_postcode_of_a_neighbour_loses_to_commune_and_address_on_one_line(gazetteer, layout):
    # Shaped like « Saint-Martin-d'Hères » + « … 38400 SAINT MARTIN D'HERES » with postcode 38600 (Fontaine).
    row = place(gazetteer, **with_commune_in(layout, "Talence", postcode="33600",
                                             address="5 cours de la Libération 33400 TALENCE"))
    assert row["insee_code"] == "33522"
    assert "code postal 33600 incohérent avec la commune et l'adresse (33400 Talence) : Talence retenue" in (
        row["geocode_note"])


def test_commune_column_loses_to_postcode_and_address(gazetteer):
    row = place(gazetteer, postcode="33400", city="Pessac", address="5 cours de la Libération 33400 TALENCE")
    assert row["insee_code"] == "33522"
    assert ("commune « Pessac » incohérente avec le code postal et l'adresse (33400 Talence) : Talence retenue"
            in row["geocode_note"])


def test_address_loses_to_postcode_and_commune(gazetteer):
    row = place(gazetteer, postcode="38130", city="Échirolles", address="2 place de Verdun, 38100 Grenoble")
    assert row["insee_code"] == "38151"
    assert ("adresse (38100 Grenoble) incohérente avec le code postal et la commune : Échirolles retenue"
            in row["geocode_note"])


def test_exact_name_and_address_beat_an_approximate_reading_of_the_name(gazetteer):
    # 11999 is no postcode: the name is looked for in the Aude, where Feuilla is close to « Fuilla »;
    # but « Fuilla » is exactly a commune of the Pyrénées-Orientales, and the address says so.
    row = place(gazetteer, postcode="11999", city="Fuilla", address="1 rue de la Mairie 66820 FUILLA")
    assert (row["insee_code"], row["departement_code"]) == ("66085", "66")
    assert "la commune et l'adresse (66820 Fuilla) désignent Fuilla, non Feuilla : Fuilla retenue" in (
        row["geocode_note"])


def test_a_commune_named_exactly_does_not_also_support_a_close_name(gazetteer):
    # 01560 serves both; « Saint-Jean-sur-Reyssouze » is close to « Saint-Julien-sur-Reyssouze » (ratio 92),
    # but names the first exactly: the commune column and the address disagree, the postcode serves both.
    row = place(gazetteer, postcode="01560", city="Saint-Jean-sur-Reyssouze",
                address="1 rue X 01560 Saint-Julien-sur-Reyssouze")
    assert row["insee_code"] == ""
    assert "la commune « Saint-Jean-sur-Reyssouze » désigne Saint-Jean-sur-Reyssouze (01)," in row["reject_reason"]


# -- even splits ----------------------------------------------------------------------------------

def test_postcode_against_commune_alone_is_rejected_with_both_named(gazetteer):
    row = place(gazetteer, postcode="33600", city="Talence")
    assert row["insee_code"] == ""
    reason = row["reject_reason"]
    assert reason.startswith("Indices contradictoires")
    assert "le code postal 33600 désigne Pessac (33)" in reason
    assert "la commune « Talence » désigne Talence (33)" in reason
    assert "corrigez le code postal ou la commune" in reason


def test_commune_against_address_without_postcode_is_rejected(gazetteer):
    # The commune name is unique in France, so the name-alone rule would place it: it must not.
    row = place(gazetteer, city="Talence", address="2 avenue Jean Jaurès, 33600 Pessac")
    assert row["insee_code"] == ""
    assert "l'adresse désigne Pessac (33)" in row["reject_reason"]


def test_three_sources_naming_three_communes_are_rejected(gazetteer):
    row = place(gazetteer, postcode="21000", city="Talence", address="1 rue X 54500 Vandoeuvre les Nancy")
    assert row["insee_code"] == ""
    reason = row["reject_reason"]
    assert all(part in reason for part in ("Dijon (21)", "Talence (33)", "Vandœuvre-lès-Nancy (54)"))
    assert "corrigez le code postal, la commune ou l'adresse" in reason


def test_postcode_serving_both_sides_does_not_break_the_tie(gazetteer):
    # 01100 serves Oyonnax and Arbent: it supports both the commune column and the address.
    row = place(gazetteer, postcode="01100", city="Oyonnax", address="4 rue du Lac, 01100 ARBENT")
    assert row["insee_code"] == ""
    assert "le code postal 01100 désigne Oyonnax (01) ou Arbent (01)" in row["reject_reason"]


# -- what was right stays right ----------------------------------------------------------------------

def test_commune_named_in_the_insee_column_with_a_postcode_that_lost_its_zero(gazetteer):
    row = place(gazetteer, insee_code="Oyonnax", postcode="1100", address="1 rue Anatole France\n01100 OYONNAX")
    assert row["insee_code"] == "01283"
    assert "commune lue dans le champ code INSEE" in row["geocode_note"]
    assert "code INSEE « Oyonnax » inconnu" not in row["geocode_note"]


def test_unknown_text_in_the_insee_column_is_not_read_as_a_commune(gazetteer):
    # Not a commune name: the postcode alone places the row, as before.
    row = place(gazetteer, insee_code="à compléter", postcode="33400")
    assert row["insee_code"] == "33522"
    assert "code INSEE « à compléter » inconnu" in row["geocode_note"]


def test_agreeing_sources_leave_the_note_as_it_was(gazetteer):
    row = place(gazetteer, postcode="33400", city="TALENCE", address="5 cours de la Libération\n33400 Talence")
    assert (row["insee_code"], row["geocode_note"]) == ("33522", "")


def test_export_with_a_commune_insee_header_is_placed_by_agreement(tmp_path, gazetteer):
    export = tmp_path / "structures.csv"
    export.write_text(
        "nom;adresse;code_postal;commune_insee\n"
        'Médiathèque;"12 rue Jeanne d\'Arc\n54500 VANDOEUVRE LES NANCY";21000;Vandœuvre-lès-Nancy\n'
        'Espace numérique;"1 rue Anatole France\n01100 OYONNAX";1100;Oyonnax\n'
        'Tiers-lieu;"3 rue Saint-Pierre\n13005 MARSEILLE 5EME";13127;Marseille 5e Arrondissement\n',
        encoding="utf-8",
    )
    result = load_files([export], gazetteer, LoadOptions(theme="cafe-ia"))
    assert result.files[0].mapping.fields["insee_code"] == "commune_insee"
    placed = dict(zip(result.records["source_rows"], result.records["insee_code"]))
    assert placed == {"2": "54547", "3": "01283", "4": "13055"}


# -- invariant: never another département than the one two fields agree on ----------------------------

@pytest.fixture(scope="module")
def places(reference) -> pd.DataFrame:
    """Every (commune, postcode) of the reference, sorted by postcode, with its name and département."""
    table = reference.postcodes[["insee_code", "postcode"]].drop_duplicates().sort_values(["postcode", "insee_code"])
    table = table[table["insee_code"].isin(reference.communes.index)]
    communes = reference.communes.loc[table["insee_code"], ["nom", "departement_code"]]
    names = communes["nom"].to_numpy()
    return table.assign(nom=names, key=[fold(name) for name in names], dep=communes["departement_code"].to_numpy()
                        ).reset_index(drop=True)


def departements_named(places: pd.DataFrame, *, postcode: str | None = None, name: str | None = None) -> set[str]:
    """Départements of the communes a postcode serves and whose name folds to ``name`` (either may be absent)."""
    chosen = places
    if postcode is not None:
        chosen = chosen[chosen["postcode"] == postcode]
    if name is not None:
        chosen = chosen[chosen["key"] == fold(name)]
    return set(chosen["dep"])


FIELD = st.one_of(st.none(), st.integers(min_value=0, max_value=2))  # absent, or taken from commune a, b or c


@st.composite
def rows(draw: st.DrawFn, count: int) -> tuple[list[int], dict[str, object]]:
    """Three communes, and which of them the postcode, commune and address of a row come from.

    The second and third are often drawn near the first in the table (sorted by postcode): the same
    postcode or département, where fields disagree on the commune but not on the département.
    """
    first = draw(st.integers(min_value=0, max_value=count - 1))
    near = st.integers(min_value=-40, max_value=40).map(lambda offset: min(max(first + offset, 0), count - 1))
    picks = [first, *(draw(st.one_of(near, st.integers(min_value=0, max_value=count - 1))) for _ in range(2))]
    return picks, {
        "postcode": draw(FIELD), "commune": draw(FIELD), "address": draw(FIELD),
        "commune_field": draw(st.sampled_from(["city", "insee_code"])),
        "lost_zero": draw(st.booleans()), "upper": draw(st.booleans()),
        "separator": draw(st.sampled_from(["\n", ", ", " "])),
    }


def written(places: pd.DataFrame, picks: list[int], how: dict[str, object]) -> dict[str, str]:
    """The row as a form would export it."""
    fields: dict[str, str] = {}
    if how["postcode"] is not None:
        postcode = places.at[picks[how["postcode"]], "postcode"]
        fields["postcode"] = postcode[1:] if how["lost_zero"] and postcode.startswith("0") else postcode
    if how["commune"] is not None:
        name = places.at[picks[how["commune"]], "nom"]
        fields[how["commune_field"]] = name.upper() if how["upper"] else name
    if how["address"] is not None:
        where = places.loc[picks[how["address"]]]
        fields["address"] = f"8 place de la Mairie{how['separator']}{where['postcode']} {where['nom'].upper()}"
    return fields


@given(st.data())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_never_placed_outside_the_departement_two_fields_agree_on(gazetteer, places, data):
    drawn = data.draw(st.lists(rows(len(places)), min_size=1, max_size=6))
    frame = pd.DataFrame([written(places, picks, how) for picks, how in drawn]).fillna("")
    located = geocode(frame, gazetteer)
    for (picks, how), (_, fields), (_, verdict) in zip(drawn, frame.iterrows(), located.iterrows()):
        pointed = []  # the one département each field designates, if it designates only one
        if how["postcode"] is not None:
            pointed.append(departements_named(places, postcode=places.at[picks[how["postcode"]], "postcode"]))
        if how["commune"] is not None:
            pointed.append(departements_named(places, name=places.at[picks[how["commune"]], "nom"]))
        if how["address"] is not None:
            where = places.loc[picks[how["address"]]]
            pointed.append(departements_named(places, postcode=where["postcode"], name=where["nom"]))
        single = [next(iter(deps)) for deps in pointed if len(deps) == 1]
        agreed = {dep for dep in single if single.count(dep) >= 2}
        if agreed and verdict["insee_code"]:
            assert verdict["departement_code"] in agreed, (fields.to_dict(), verdict.to_dict())


# -- invariant: coordinates never outvote a postcode and a commune that agree -------------------------------

@pytest.fixture(scope="module")
def agreeing(places, reference) -> pd.DataFrame:
    """The (commune, postcode) rows of ``places`` whose name names no other commune of the postcode.

    Names are compared on the reader's key (articles, St/Ste), former communes' names included: a
    postcode + name pair that names two communes is no agreement.
    """
    aliases = reference.aliases
    names = pd.concat([
        pd.DataFrame({"insee_code": places["insee_code"], "name_key": [name_key(name) for name in places["nom"]]}),
        pd.DataFrame({"insee_code": aliases["insee_code"], "name_key": [name_key(name) for name in aliases["nom"]]}),
    ]).drop_duplicates()
    by_postcode = places[["postcode", "insee_code"]].merge(names, on="insee_code")
    communes_named = by_postcode.groupby(["postcode", "name_key"])["insee_code"].nunique()
    keyed = places.assign(name_key=[name_key(name) for name in places["nom"]])
    unique = communes_named.reindex(pd.MultiIndex.from_frame(keyed[["postcode", "name_key"]])).to_numpy() == 1
    return keyed[unique].reset_index(drop=True)


@given(st.data())
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_coordinates_never_place_a_row_outside_the_commune_postcode_and_name_agree_on(gazetteer, agreeing, reference,
                                                                                      data):
    count, points = len(agreeing), reference.communes[["lat", "lon"]]
    rows, expected = [], []
    for _ in range(data.draw(st.integers(min_value=1, max_value=6))):
        first = data.draw(st.integers(min_value=0, max_value=count - 1))
        # The coordinates are the reference point of another commune: often a neighbour (same postcode or
        # département, nearby in the table sorted by postcode), else anywhere in France.
        near = st.integers(min_value=-40, max_value=40).map(lambda offset: min(max(first + offset, 0), count - 1))
        other = agreeing.at[data.draw(st.one_of(near, st.integers(min_value=0, max_value=count - 1))), "insee_code"]
        name = agreeing.at[first, "nom"]
        rows.append({"postcode": agreeing.at[first, "postcode"], "city": name.upper() if data.draw(st.booleans())
                     else name, "lat": f"{points.at[other, 'lat']:.6f}", "lon": f"{points.at[other, 'lon']:.6f}"})
        expected.append(agreeing.at[first, "insee_code"])
    located = geocode(pd.DataFrame(rows), gazetteer)
    assert located["insee_code"].tolist() == expected, rows
