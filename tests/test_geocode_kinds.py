"""Every rule and outcome of the geocoder has a named kind, and decisions read kinds, never French.

Tiny hand-made rows go through :func:`loaders.geocoding.geocode` with the real reference
geography: each gets the :class:`Rule` that placed it (``geocode_rule``) and the
:class:`OutcomeKind` of its verdict (``geocode_kind``) expected. Then every French sentence of
:mod:`loaders.geocoding.wording` is replaced by another text, and the same rows must get the same
places and kinds.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Iterator

import pandas as pd
import pytest

from loaders.geocoding import POINT_QUOTING_KINDS, Gazetteer, OutcomeKind, Rule, geocode, wording
from loaders.geocoding.names import city_name_key
from loaders.geocoding.postcodes import clean_postcode

K = OutcomeKind
# One row per kind: its fields, the rule expected to place it (None: rejected), the kind of its verdict.
ROWS: dict[str, tuple[dict[str, str], Rule | None, OutcomeKind]] = {
    "insee_code": ({"insee_code": "34172"}, Rule.INSEE_CODE, K.INSEE_CODE),
    "former_commune_code": ({"insee_code": "69159"}, Rule.INSEE_CODE, K.FORMER_COMMUNE_CODE),
    "unknown_insee_code": ({"insee_code": "99999"}, None, K.UNKNOWN_INSEE_CODE),
    "uncovered_insee_code": ({"insee_code": "98818"}, None, K.UNCOVERED_TERRITORY),
    "postcode_in_insee_field": ({"insee_code": "01800"}, None, K.POSTCODE_IN_INSEE_FIELD),  # of 12 communes
    "postcode_in_insee_field_ignored": ({"insee_code": "34000", "postcode": "34090", "city": "Montpellier"},
                                        Rule.POSTCODE_AND_COMMUNE, K.EXACT_NAME),
    "coordinates": ({"lat": "43.6108", "lon": "3.8767"}, Rule.COORDINATES, K.COORDINATES),
    "unreadable_coordinates": ({"lat": "abc", "lon": "3.8"}, None, K.UNREADABLE_COORDINATES),
    "coordinates_outside_coverage": ({"lat": "10.0", "lon": "-30.0"}, None, K.COORDINATES_OUTSIDE_COVERAGE),
    # Lille's coordinates on a Bourges address; the town hall of Lattes for Montpellier; 18 m out of Montpellier.
    "coordinates_far_from_fields": ({"postcode": "18000", "city": "BOURGES", "lat": "50.613114", "lon": "3.047418"},
                                    Rule.POSTCODE_AND_COMMUNE, K.EXACT_NAME),
    "coordinates_in_neighbour": ({"postcode": "34000", "city": "Montpellier", "lat": "43.5701", "lon": "3.89875"},
                                 Rule.POSTCODE_AND_COMMUNE, K.EXACT_NAME),
    "coordinates_near_contour": ({"postcode": "34000", "city": "Montpellier", "lat": "43.63161", "lon": "3.89382"},
                                 Rule.COORDINATES, K.COORDINATES_NEAR_CONTOUR),
    "exact_name": ({"postcode": "34000", "city": "Montpellier"}, Rule.POSTCODE_AND_COMMUNE, K.EXACT_NAME),
    "approximate_name": ({"postcode": "34000", "city": "Montpelier"}, Rule.POSTCODE_AND_COMMUNE,
                         K.APPROXIMATE_NAME),
    "former_commune_name": ({"postcode": "51130", "city": "Vertus"}, Rule.POSTCODE_AND_COMMUNE,
                            K.FORMER_COMMUNE_NAME),
    "arrondissement_label": ({"postcode": "75010", "city": "PARIS 10"}, Rule.POSTCODE_AND_COMMUNE,
                             K.ARRONDISSEMENT_LABEL),
    "name_in_departement": ({"postcode": "18020", "city": "Bourges"}, Rule.POSTCODE_AND_COMMUNE,
                            K.NAME_IN_DEPARTEMENT),
    "postcode_alone": ({"postcode": "34000"}, Rule.POSTCODE_AND_COMMUNE, K.POSTCODE_ALONE),
    "postcode_lent_by_insee_field": ({"insee_code": "34000"}, Rule.POSTCODE_AND_COMMUNE, K.POSTCODE_ALONE),
    "commune_not_in_postcode": ({"postcode": "51130", "city": "Xyzville"}, None, K.COMMUNE_NOT_IN_POSTCODE),
    "invalid_postcode": ({"postcode": "123"}, None, K.INVALID_POSTCODE),
    "uncovered_postcode": ({"postcode": "98800", "city": "Nouméa"}, None, K.UNCOVERED_TERRITORY),
    "postcode_of_several_communes": ({"postcode": "51130"}, None, K.POSTCODE_OF_SEVERAL_COMMUNES),
    "unknown_postcode_without_commune": ({"postcode": "99999"}, None, K.UNKNOWN_POSTCODE_WITHOUT_COMMUNE),
    "unknown_postcode_and_commune": ({"postcode": "99999", "city": "Xyzville"}, None,
                                     K.UNKNOWN_POSTCODE_AND_COMMUNE),
    "address": ({"address": "12 rue X, 34000 Montpellier"}, Rule.ADDRESS, K.EXACT_NAME),
    "address_without_postcode": ({"address": "12 rue X"}, None, K.ADDRESS_WITHOUT_POSTCODE),
    # The street without postcode says nothing more than the unknown name: the name's kind is the row's.
    "address_without_postcode_and_unknown_name": ({"address": "12 rue X", "city": "Xyzville"}, None,
                                                  K.UNKNOWN_COMMUNE_NAME),
    "evidence_majority": ({"postcode": "25000", "city": "Maxéville", "address": "5 av. de Metz\n54320 MAXEVILLE"},
                          Rule.POSTCODE_AND_COMMUNE, K.EVIDENCE_MAJORITY),
    "evidence_split": ({"postcode": "33600", "city": "Talence"}, None, K.EVIDENCE_SPLIT),
    "unique_name": ({"city": "Montpellier"}, Rule.NAME_ALONE, K.UNIQUE_NAME),
    "homonyms": ({"city": "Saint-Martin"}, None, K.HOMONYMS),
    "unknown_commune_name": ({"city": "Xyzville"}, None, K.UNKNOWN_COMMUNE_NAME),
    "no_location": ({"structure": "Médiathèque"}, None, K.NO_LOCATION),
}
# The kind of the coordinates' reading where the row has coordinates.
COORDINATES_KINDS = {
    "coordinates": K.COORDINATES, "unreadable_coordinates": K.UNREADABLE_COORDINATES,
    "coordinates_outside_coverage": K.COORDINATES_OUTSIDE_COVERAGE,
    "coordinates_far_from_fields": K.COORDINATES_FAR_FROM_FIELDS,
    "coordinates_in_neighbour": K.COORDINATES_IN_NEIGHBOUR,
    "coordinates_near_contour": K.COORDINATES_NEAR_CONTOUR,
}
SENTENCE = "phrase réécrite"  # what every sentence of wording says in test_decisions_do_not_read_the_french


def rows_frame() -> pd.DataFrame:
    return pd.DataFrame([fields for fields, _, _ in ROWS.values()], index=list(ROWS)).fillna("")


@pytest.fixture
def fresh_memos(gazetteer) -> Iterator[Gazetteer]:
    """The shared gazetteer's indexes with empty memos (and empty caches of the spelling keys), before and after."""
    def clear() -> None:
        clean_postcode.cache_clear()
        city_name_key.cache_clear()

    clear()
    fresh = copy.copy(gazetteer)
    fresh._cache = {}
    yield fresh
    clear()


@pytest.fixture(scope="module")
def verdicts(gazetteer) -> pd.DataFrame:
    return geocode(rows_frame(), gazetteer)


@pytest.mark.parametrize("case", ROWS)
def test_each_row_gets_the_rule_and_kind_expected(verdicts, case):
    _, rule, kind = ROWS[case]
    row = verdicts.loc[case]
    assert row["geocode_kind"] == kind
    assert row["geocode_rule"] is rule
    assert pd.isna(row["reject_reason"]) == (rule is not None)


def test_every_outcome_kind_is_met_among_the_rows_or_readings(verdicts, gazetteer):
    met = set(verdicts["geocode_kind"]) | set(verdicts["coordinates_kind"])
    # A unique name in France under a postcode of other communes: read so, then outvoted by the postcode.
    met.add(gazetteer.match_postcode_city("34000", "Épernay").kind)
    assert met == set(OutcomeKind)


@pytest.mark.parametrize("case", COORDINATES_KINDS)
def test_the_coordinates_reading_has_its_own_kind_whichever_rule_wins(verdicts, case):
    assert verdicts.loc[case, "coordinates_kind"] == COORDINATES_KINDS[case]


def test_ignored_coordinates_quote_their_point_exactly_as_the_note_does(verdicts):
    quoting = verdicts[verdicts["coordinates_kind"].isin(POINT_QUOTING_KINDS)]
    assert set(quoting.index) == {"coordinates_outside_coverage", "coordinates_far_from_fields",
                                  "coordinates_in_neighbour"}
    assert quoting.loc["coordinates_far_from_fields", "quoted_point"] == "(50.61311, 3.04742)"
    placed = quoting[quoting["reject_reason"].isna()]
    assert all(point in note for point, note in zip(placed["quoted_point"], placed["geocode_note"]))
    assert (verdicts.drop(index=quoting.index)["quoted_point"] == "").all()


def _rewritten(*args: object, **kwargs: object) -> str:
    """What every sentence of wording says once rewritten, whatever it is given."""
    return SENTENCE


def test_decisions_do_not_read_the_french(monkeypatch, fresh_memos, verdicts):
    for name, value in vars(wording).items():
        if inspect.isfunction(value) and value.__module__ == wording.__name__:
            monkeypatch.setattr(wording, name, _rewritten)
        elif isinstance(value, str) and name.isupper():
            monkeypatch.setattr(wording, name, SENTENCE)
    rewritten = geocode(rows_frame(), fresh_memos)
    assert (rewritten["geocode_note"].eq("") | rewritten["geocode_note"].str.contains(SENTENCE)).all()
    assert rewritten["reject_reason"].dropna().eq(SENTENCE).all()
    decided = ["insee_code", "arrondissement_code", "geocode_precision", "geocode_rule", "geocode_kind",
               "coordinates_kind"]
    pd.testing.assert_frame_equal(rewritten[decided], verdicts[decided])
    assert rewritten["reject_reason"].isna().tolist() == verdicts["reject_reason"].isna().tolist()


def test_a_street_without_postcode_is_left_out_of_a_reason_by_its_kind_not_its_words(monkeypatch, fresh_memos):
    monkeypatch.setattr(wording, "address_without_postcode", lambda raw: f"aucun code postal dans « {raw} »")
    row = geocode(pd.DataFrame([{"address": "12 rue X", "city": "Xyzville"}]), fresh_memos).iloc[0]
    assert row["geocode_kind"] == OutcomeKind.UNKNOWN_COMMUNE_NAME
    assert "12 rue X" not in row["reject_reason"] and "Xyzville" in row["reject_reason"]
