"""Planning: greedy MCLP against the exact optimum, p-median heuristic against brute force."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from geo.distances import haversine_km
from geo.planning import STATED_GAP, _substitution_p_median, greedy_max_covering, p_median, total_travel


def random_instance(seed: int, communes: int = 30, candidates: int = 9):
    rng = np.random.default_rng(seed)
    demand = pd.DataFrame({"lon": rng.uniform(2, 2.8, communes), "lat": rng.uniform(46, 46.6, communes),
                           "population": rng.integers(0, 10_000, communes)})
    sites = pd.DataFrame({"lon": rng.uniform(2, 2.8, candidates), "lat": rng.uniform(46, 46.6, candidates)},
                         index=[f"{10000 + i:05d}" for i in range(candidates)])
    return demand, sites


def covered_population(demand, sites, chosen, radius):
    d = haversine_km(demand["lon"].to_numpy()[:, None], demand["lat"].to_numpy()[:, None],
                     sites["lon"].to_numpy()[None, chosen], sites["lat"].to_numpy()[None, chosen])
    return float(demand["population"].to_numpy()[(d <= radius).any(axis=1)].sum())


@pytest.mark.parametrize("seed", range(8))
def test_greedy_covering_reaches_the_submodular_bound(seed):
    demand, sites = random_instance(seed)
    k, radius = 3, 12.0
    plan = greedy_max_covering(demand, sites, k, radius)
    chosen = [sites.index.get_loc(code) for code in plan["insee_code"]]
    greedy = covered_population(demand, sites, chosen, radius)
    optimum = max(covered_population(demand, sites, list(c), radius)
                  for c in itertools.combinations(range(len(sites)), k))
    assert greedy >= (1 - 1 / math.e) * optimum
    assert plan["added_population"].sum() == greedy
    assert plan["cumulative_covered_share"].iloc[-1] == pytest.approx(greedy / demand["population"].sum())
    assert plan["added_population"].is_monotonic_decreasing


def test_greedy_covering_by_hand():
    # Three communes on a meridian, 0, 10 and 40 km north; candidates at each.
    lat = 45.0
    step = 10 / 111.19508
    demand = pd.DataFrame({"lon": [3.0] * 3, "lat": [lat, lat + step, lat + 4 * step], "population": [100, 50, 80]})
    sites = demand[["lon", "lat"]].set_axis(["01001", "01002", "01003"])
    plan = greedy_max_covering(demand, sites, 3, radius_km=15)
    assert plan["insee_code"].tolist() == ["01001", "01003"]  # 01002 would add nothing more
    assert plan["added_population"].tolist() == [150, 80]
    assert plan["cumulative_covered_share"].tolist() == pytest.approx([150 / 230, 1.0])


def test_already_covered_communes_add_nothing():
    demand, sites = random_instance(1)
    everything = np.ones(len(demand), dtype=bool)
    assert greedy_max_covering(demand, sites, 3, 12.0, already_covered=everything).empty


@pytest.mark.parametrize("seed", range(10))
def test_p_median_heuristic_within_the_stated_gap(seed):
    rng = np.random.default_rng(seed)
    trainees = pd.DataFrame({"lon": rng.uniform(2, 3, 25), "lat": rng.uniform(46, 47, 25)})
    _, sites = random_instance(seed, candidates=10)
    distance = haversine_km(trainees["lon"].to_numpy()[:, None], trainees["lat"].to_numpy()[:, None],
                            sites["lon"].to_numpy()[None, :], sites["lat"].to_numpy()[None, :])
    exact = p_median(trainees, sites, 3)
    assert exact.exact
    optimum = min(total_travel(distance, list(c)) for c in itertools.combinations(range(10), 3))
    assert exact.total_km == pytest.approx(optimum)
    heuristic = total_travel(distance, _substitution_p_median(distance, 3))
    assert heuristic <= (1 + STATED_GAP) * optimum


def test_p_median_assigns_each_trainee_to_its_nearest_site():
    trainees = pd.DataFrame({"lon": [2.0, 2.01, 3.0], "lat": [46.0, 46.0, 47.0]})
    sites = pd.DataFrame({"lon": [2.0, 3.0, 2.5], "lat": [46.0, 47.0, 46.5]}, index=["A", "B", "C"])
    plan = p_median(trainees, sites, 2)
    assert sorted(plan.sites) == ["A", "B"]
    assert plan.assigned_site == ["A", "A", "B"]
    assert plan.travel_km[0] == 0 and plan.travel_km[2] == 0
