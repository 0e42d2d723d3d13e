"""Territory aggregates and priority ranking on a hand-checked example."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from geo.aggregates import grouped_weighted_median, priority_ranks, territory_aggregates, weighted_median


@pytest.fixture()
def communes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "population": [1000, 3000, 500, 0],
            "epci_code": ["E1", "E1", "E2", ""],
            "departement_code": ["01", "01", "01", "01"],
            "region_code": ["84", "84", "84", "84"],
            "nearest_km": [5.0, 20.0, math.inf, 1.0],
            "covered": [True, False, False, True],
            "accessibility_per_10k": [2.0, 1.0, 0.0, 3.0],
        },
        index=["c1", "c2", "c3", "c4"],
    )


@pytest.fixture()
def records() -> pd.DataFrame:
    return pd.DataFrame(
        [("a1", "cafe-ia", "trained", "c1"), ("a1", "parentalite-numerique", "trained", "c1"),
         ("a2", "cafe-ia", "referenced", "c2"), ("a3", "cafe-ia", "in_training", "c3")],
        columns=["animator_id", "theme", "training_status", "insee_code"],
    )


def test_epci_aggregates_by_hand(communes, records):
    table = territory_aggregates(communes, records, "epci")
    e1, e2 = table.loc["E1"], table.loc["E2"]
    assert (e1["population"], e1["uncovered_population"], e1["uncovered_share"]) == (4000, 3000, 0.75)
    assert e1["mean_nearest_km"] == pytest.approx(16.25)
    assert e1["median_nearest_km"] == 20.0
    assert e1["mean_accessibility_per_10k"] == pytest.approx(1.25)
    assert (e1["animators_trained"], e1["animators_referenced"], e1["animators_in_training"]) == (1, 1, 0)
    assert (e1["cafe-ia__trained"], e1["parentalite-numerique__trained"], e1["cafe-ia__referenced"]) == (1, 1, 1)
    assert e1["trained_per_10k"] == pytest.approx(2.5)
    assert e1["training_pool"] == 1
    assert (e2["uncovered_population"], e2["uncovered_share"], e2["animators_in_training"]) == (500, 1.0, 1)
    assert math.isnan(e2["mean_nearest_km"]) and math.isnan(e2["median_nearest_km"])
    assert e2["trained_per_10k"] == 0
    assert table["priority_rank"].to_dict() == {"E1": 1, "E2": 2}


def test_communes_without_epci_count_in_their_departement(communes, records):
    assert "" not in territory_aggregates(communes, records, "epci").index
    departement = territory_aggregates(communes, records, "departement").loc["01"]
    assert departement["population"] == 4500
    assert departement["animators_trained"] == 1


def test_priority_ties_go_to_the_lower_accessibility():
    table = pd.DataFrame({"uncovered_population": [100, 100, 50], "mean_accessibility_per_10k": [2.0, 0.5, 0.0]},
                         index=["A", "B", "C"])
    assert priority_ranks(table).to_dict() == {"B": 1, "A": 2, "C": 3}


@pytest.mark.parametrize(
    ("values", "weights", "expected"),
    [([1.0, 2.0, 3.0], [1, 1, 1], 2.0), ([1.0, 2.0], [1, 1], 1.0), ([5.0, math.inf], [1, 9], 5.0),
     ([4.0], [0], math.nan)],
)
def test_weighted_median(values, weights, expected):
    result = weighted_median(np.array(values), np.array(weights, dtype=float))
    assert (math.isnan(result) and math.isnan(expected)) or result == expected


def test_grouped_weighted_median_matches_the_naive_one_group_at_a_time():
    rng = np.random.default_rng(7)
    values = pd.Series(np.where(rng.random(300) < 0.1, math.inf, rng.integers(0, 20, 300).astype(float)))
    weights = pd.Series(rng.integers(0, 5, 300).astype(float))
    groups = pd.Series(rng.integers(0, 25, 300).astype(str))
    fast = grouped_weighted_median(values, weights, groups)
    for group in groups.unique():
        members = groups == group
        naive = weighted_median(values[members].to_numpy(), weights[members].to_numpy())
        assert (math.isnan(naive) and math.isnan(fast[group])) or fast[group] == naive


def test_commune_level_treats_each_commune_as_its_own_territory(communes, records):
    table = territory_aggregates(communes.assign(insee_code=communes.index), records, "commune")
    assert table.loc["c2", "uncovered_share"] == 1.0 and table.loc["c1", "uncovered_share"] == 0.0
    assert table.loc["c2", "median_nearest_km"] == 20.0
    assert table.loc["c1", "animators_trained"] == 1 and table.loc["c2", "training_pool"] == 1
    assert table["priority_rank"].to_dict()["c2"] == 1


def test_a_person_at_several_places_counts_once_per_territory_and_theme(communes, records):
    """a1 also works at c2 (same EPCI E1) and c3 (E2): one person in E1, one in E2, never two in E1."""
    places = pd.concat([records.assign(place_id="p" + records["insee_code"]),
                        records[records["animator_id"] == "a1"].assign(insee_code="c2", place_id="pc2"),
                        records[records["animator_id"] == "a1"].assign(insee_code="c3", place_id="pc3")])
    table = territory_aggregates(communes, places, "epci")
    assert (table.loc["E1", "animators_trained"], table.loc["E1", "cafe-ia__trained"]) == (1, 1)
    assert table.loc["E1", "parentalite-numerique__trained"] == 1
    assert (table.loc["E2", "animators_trained"], table.loc["E2", "cafe-ia__trained"]) == (1, 1)
    assert territory_aggregates(communes, places, "departement").loc["01", "cafe-ia__trained"] == 1
