"""The loader's bulk paths give every row the verdict its own rules give it alone.

Geocoding computes each rule on the distinct values of its columns, answers
exact postcode + name pairs from their keys, reads coordinates column by
column, weighs the evidence of postcode, commune and address only where a
source may disagree, and decides once per distinct combination of outcomes; timestamps
written with zero-padded fields are read digit by digit. Each test below puts
a hand-built mix of hard cases through the bulk path and through the rule for
one row (or pandas), with the real reference geography, and requires the
same answer, so that the two cannot drift apart.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from loaders.dates import _BULK_TIMESTAMP_FORMATS, _bulk_datetimes, _zero_padded_datetimes
from loaders.geocoding import GEOCODE_COLUMNS, Gazetteer, geocode

SAMPLE: list[dict[str, str]] = [
    # rule 1: INSEE codes
    {"insee_code": "34172"},
    {"insee_code": "1053"},  # lost leading zero
    {"insee_code": "20004"},  # Corsica written 20xxx
    {"insee_code": "2b033"},
    {"insee_code": "75111"},  # arrondissement
    {"insee_code": "13213"},
    {"insee_code": "69159"},  # commune déléguée (COMD) of Porte des Pierres Dorées
    {"insee_code": "34000", "city": "Montpellier"},  # a postcode in the INSEE field
    {"insee_code": "99999"},
    {"insee_code": "98818"},  # Nouméa: outside the reference
    {"insee_code": "51230", "postcode": "34000", "city": "Montpellier"},  # INSEE code wins, with a note
    {"insee_code": "75056", "lat": "48.8590", "lon": "2.3470"},  # coordinates give the arrondissement
    {"insee_code": "34172", "lat": "43.6108", "lon": "3.8767"},  # coordinates agree: their point is kept
    {"insee_code": "34172", "lat": "3.8767", "lon": "43.6108"},  # ... and so is their note
    # rule 3: postcode + name
    {"postcode": "34000", "city": "Montpellier"},
    {"postcode": "34000", "city": "MONTPELLIER"},
    {"postcode": "34090", "city": "MONTPELLIER CEDEX 2"},
    {"postcode": "01400", "city": "Abergement-Clémenciat (L')"},
    {"postcode": "1400", "city": "L'Abergement-Clémenciat"},
    {"postcode": "42000", "city": "St-Etienne"},
    {"postcode": "34000", "city": "Montpelier"},  # misspelt
    {"postcode": "04220", "city": "CORBIÈRES"},  # completed within the postcode
    {"postcode": "51130", "city": "Vertus"},  # former commune
    {"postcode": "51130", "city": "Xyzville"},
    {"postcode": "93200", "city": "Saint-Denis"},
    {"postcode": "97400", "city": "Saint-Denis"},
    {"postcode": "97490", "city": "SAINTE CLOTILDE"},
    {"postcode": "75011", "city": "Paris 11e"},
    {"postcode": "", "city": "Lyon 3ème"},
    {"postcode": "69003", "city": "Lyon"},
    {"postcode": "01000"},  # postcode of several communes
    {"postcode": "98800", "city": "Nouméa"},  # collectivité d'outre-mer
    {"postcode": "97133", "city": "Gustavia"},
    {"postcode": "97600", "city": "Mamoudzou"},
    {"postcode": "xx", "city": "Montpellier"},
    # rule 4 and 5
    {"address": "12 rue X, 34000 Montpellier"},
    {"address": "1 Rue Professeur Langevin, 51200, Épernay, Marne, Grand Est, FRA"},
    {"address": "Mairie de Corscia 20224 CORSCIA"},
    {"address": "3 rue de la Paix", "postcode": "51130", "city": "Xyzville"},
    {"city": "Épernay"},
    {"city": "Saint-Denis"},
    # rule 2: coordinates
    {"lat": "43.6108", "lon": "3.8767"},
    {"lat": "3.8767", "lon": "43.6108"},  # swapped
    {"lat": "43,6108", "lon": "3,8767"},
    {"lat": "45.0", "lon": "-10.0"},  # at sea
    {"lat": "45.0", "lon": "-10.0", "postcode": "34000", "city": "Montpellier"},
    {"lat": "abc", "lon": "3.8767"},
    {"lat": "0", "lon": "0"},
    {"coordinates": "42.35473, 9.04258"},
    {"coordinates": "POINT(9.04258 42.35473)"},
    {"coordinates": "770000,5 ; 6279000,25"},  # Lambert-93 in one field
    {"coordinates": "1 2 3"},
    {"x": "652000", "y": "6862000"},  # Lambert-93
    {"x": "6862000", "y": "652000"},  # Lambert-93, swapped
    {"x": "3,953037972", "y": "49,04334998"},  # degrees in x/y
    {"x": "x", "y": "49.0"},
    {"lat": "50.613114", "lon": "3.047418", "postcode": "18000", "city": "BOURGES"},  # copy error, ignored
    {"lat": "48.734013", "lon": "1.338279", "postcode": "28100", "city": "Dreux"},  # 290 m outside Dreux: read in it
    {"lat": "48.57358", "lon": "7.75321", "postcode": "34967", "city": "MONTPELLIER"},  # CEDEX, far: ignored
    {"lat": "43.5701", "lon": "3.89875", "postcode": "34000", "city": "Montpellier"},  # in neighbouring Lattes: ignored
    {"lat": "47.91188", "lon": "1.97224", "postcode": "45074", "city": "ORLEANS CEDEX"},  # CEDEX, neighbour: ignored
    {"postcode": "75010", "city": "PARIS 10", "lat": "48.845", "lon": "2.3752"},  # other arrondissement
    {"postcode": "04220", "city": "CORBIÈRES", "lat": "43.7615", "lon": "5.7517"},
    # rule 3: postcode, commune and address disagreeing (the agreement of the evidence decides)
    {"postcode": "21000", "city": "Vandœuvre-lès-Nancy", "address": "12 rue Jeanne d'Arc\n54500 VANDOEUVRE"},
    {"insee_code": "Vandœuvre-lès-Nancy", "postcode": "21000", "address": "12 rue Jeanne d'Arc\n54500 VANDOEUVRE"},
    {"postcode": "13127", "city": "Marseille 5e Arrondissement", "address": "3 rue Saint-Pierre\n13005 MARSEILLE 5EME"},
    {"postcode": "33400", "city": "Pessac", "address": "5 cours de la Libération 33400 TALENCE"},
    {"postcode": "38130", "city": "Échirolles", "address": "2 place de Verdun, 38100 Grenoble"},
    {"postcode": "33600", "city": "Talence"},  # even split
    {"city": "Talence", "address": "2 avenue Jean Jaurès, 33600 Pessac"},  # even split, no postcode
    {"postcode": "01100", "city": "Oyonnax", "address": "4 rue du Lac, 01100 ARBENT"},  # the postcode serves both
    {"postcode": "21000", "city": "Talence", "address": "1 rue X 54500 Vandoeuvre les Nancy"},  # three communes
    {"insee_code": "Oyonnax", "postcode": "1100", "address": "1 rue Anatole France\n01100 OYONNAX"},
    {"postcode": "34000", "city": "Montpelier", "address": "1 rue X, 34000 Montpellier"},  # approximate, agreeing
    {"postcode": "75011", "city": "Montpelier", "address": "1 rue X, 34000 Montpellier"},  # approximate, against
    {"postcode": "93200", "city": "Saint-Denis", "address": "1 rue X, 97400 Saint-Denis"},  # homonyms
    {"postcode": "11999", "city": "Fuilla", "address": "1 rue de la Mairie 66820 FUILLA"},  # approximate reading
    {"postcode": "01560", "city": "Saint-Jean-sur-Reyssouze", "address": "1 rue X 01560 Saint-Julien-sur-Reyssouze"},
    {"insee_code": "33522", "postcode": "33600", "city": "Pessac", "address": "1 rue X 33400 Talence"},  # INSEE wins
    {"postcode": "33600", "city": "Talence", "lat": "44.8066", "lon": "-0.5883"},  # coordinates win
    # nothing to place
    {},
    {"city": "  ", "address": " "},
]
FIELDS = ("insee_code", "postcode", "city", "address", "lat", "lon", "coordinates", "x", "y")


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    """The hand-built rows, each twice and shuffled, as the bulk paths group equal values."""
    rows = pd.DataFrame(SAMPLE * 2, columns=list(FIELDS)).fillna("")
    shuffled = rows.sample(frac=1, random_state=3)
    return shuffled.set_axis(range(2, len(shuffled) + 2))


@pytest.fixture(scope="module")
def fresh_gazetteer(reference) -> Gazetteer:
    """A second gazetteer, so that the rules for one row start from empty memos."""
    return Gazetteer(reference)


def verdict(row: pd.Series) -> tuple:
    """A geocoded row as comparable values (missing values as ``None``)."""
    return tuple(None if not isinstance(v, str) and (v is None or math.isnan(v)) else v for v in row.tolist())


def test_sample_gets_the_expected_places(sample, gazetteer):
    located = geocode(sample, gazetteer)
    by_case = {tuple(row): place for row, place in zip(sample.itertuples(index=False), located.itertuples())}
    assert by_case[("75111", *[""] * 8)].arrondissement_code == "75111"
    assert by_case[("69159", *[""] * 8)].insee_code == "69114"
    misspelt = by_case[("", "34000", "Montpelier", *[""] * 6)]
    assert misspelt.insee_code == "34172"
    assert misspelt.geocode_note.startswith("commune « Montpelier » rapprochée")
    assert "Nouvelle-Calédonie" in by_case[("", "98800", "Nouméa", *[""] * 6)].reject_reason
    assert by_case[("", "", "", "", "", "", "", "652000", "6862000")].arrondissement_code == "75101"
    copy_error = by_case[("", "18000", "BOURGES", "", "50.613114", "3.047418", "", "", "")]
    assert (copy_error.insee_code, copy_error.geocode_precision) == ("18033", "commune")
    assert "autre arrondissement (75110)" in by_case[("", "75010", "PARIS 10", "", "48.845", "2.3752", "", "", "")
                                                     ].geocode_note
    swapped = by_case[("34172", "", "", "", "3.8767", "43.6108", "", "", "")]
    assert (swapped.geocode_precision, swapped.lat) == ("coordinates", 43.6108)
    assert "inversées" in swapped.geocode_note


def test_geocoding_a_table_gives_each_row_its_verdict_alone(sample, gazetteer, fresh_gazetteer):
    together = geocode(sample, gazetteer)
    assert list(together.columns) == list(GEOCODE_COLUMNS)
    for position in range(len(sample)):
        alone = geocode(sample.iloc[[position]], fresh_gazetteer).iloc[0]
        assert verdict(together.iloc[position]) == verdict(alone), sample.iloc[position].to_dict()


def test_postcode_and_name_keys_answer_as_the_rule_for_one_row(sample, gazetteer, fresh_gazetteer):
    bulk = gazetteer.match_postcode_city_columns(sample["postcode"], sample["city"])
    for position, (postcode, city) in enumerate(zip(sample["postcode"], sample["city"])):
        assert bulk.outcomes[bulk.codes[position]] == fresh_gazetteer.match_postcode_city(postcode, city), (postcode,
                                                                                                           city)


def test_evidence_read_and_weighed_in_bulk_as_for_one_row(sample, gazetteer, fresh_gazetteer):
    columns = [sample[name] for name in ("postcode", "city", "address")]
    readings = gazetteer.read_evidence_columns(*columns)
    weighed = gazetteer.weigh_evidence_columns(*columns, readings, np.ones(len(sample), dtype=bool))
    for position, row in enumerate(zip(*columns)):
        assert tuple(rule.outcomes[rule.codes[position]] for rule in readings) == fresh_gazetteer.read_evidence(*row)
        alone = fresh_gazetteer.match_evidence(*row)
        assert tuple(rule.outcomes[rule.codes[position]] for rule in weighed) == alone, row


def test_coordinates_read_in_bulk_as_one_row_at_a_time(sample, gazetteer):
    texts = {name: sample[name].to_numpy(dtype=object) for name in ("lat", "lon", "coordinates", "x", "y")}
    outcomes, points = gazetteer.place_coordinates(texts)
    for position in range(len(sample)):
        one = {name: values[position:position + 1] for name, values in texts.items()}
        [outcome], [point] = gazetteer.place_coordinates(one)
        assert outcome == outcomes[position]
        assert np.array_equal(point, points[position], equal_nan=True)


TIMESTAMPS = [
    "02/10/2023 08:05", "29/02/2024 23:59", "29/02/2023 10:00", "31/04/2025 10:00", "00/01/2025 10:00",
    "01/13/2025 10:00", "12/03/2025 24:00", "12/03/2025 10:60", "2/10/2023 08:05", " 02/10/2023 08:05",
    "02/10/2023 08:05:59", "02/10/2023 08:05:60", "02-10-2023 08:05", "2025-05-20 14:16:50", "2025-05-20T14:16:50",
    "2025-02-30 14:16:50", "1677-06-01 00:00:00", "1678-06-01 00:00:00", "2261-06-01 00:00:00",
    "2262-06-01 00:00:00", "0٢/10/2023 08:05", "12/25/2024 09:00", "12/25/2024 09:00:00", "",
]


@pytest.mark.parametrize("fmt", sorted({fmt for formats in _BULK_TIMESTAMP_FORMATS.values() for fmt in formats}))
def test_zero_padded_timestamps_are_read_as_pandas_reads_them(fmt):
    values = np.array(TIMESTAMPS, dtype=object)
    ours, theirs = _zero_padded_datetimes(values, fmt), _bulk_datetimes(values, fmt)
    read = [i for i, moment in enumerate(ours) if moment is not None]
    assert read, "the format reads none of the sample"
    assert [ours[i] for i in read] == [theirs[i] for i in read]
