"""Planning: greedy MCLP against the exact optimum, p-median heuristic against brute force."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from geo.distances import haversine_km
from geo.planning import (
    STATED_GAP,
    Shortfall,
    _substitution_p_median,
    assign_trainees,
    coverage_sites,
    greedy_max_covering,
    p_median,
    session_sites,
    total_travel,
    training_pool,
)


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
    plan = greedy_max_covering(demand, sites, k, radius).sites
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
    plan = greedy_max_covering(demand, sites, 3, radius_km=15).sites
    assert plan["insee_code"].tolist() == ["01001", "01003"]  # 01002 would add nothing more
    assert plan["added_population"].tolist() == [150, 80]
    assert plan["cumulative_covered_share"].tolist() == pytest.approx([150 / 230, 1.0])


def test_already_covered_communes_add_nothing():
    demand, sites = random_instance(1)
    everything = np.ones(len(demand), dtype=bool)
    assert greedy_max_covering(demand, sites, 3, 12.0, already_covered=everything).sites.empty


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


# Empty and short plans: each one says why it holds fewer sites than asked.

# Two communes 10 km apart on a meridian (A, B) and one 100 km north (C).
KM_PER_DEGREE = 111.19508
HAND_DEMAND = pd.DataFrame({"lon": [3.0, 3.0, 3.0],
                            "lat": [45.0, 45.0 + 10 / KM_PER_DEGREE, 45.0 + 100 / KM_PER_DEGREE],
                            "population": [100, 50, 80]}, index=["A", "B", "C"])
NO_CANDIDATE = HAND_DEMAND.iloc[:0][["lon", "lat"]]


def test_covering_without_candidates_is_empty_and_says_so():
    plan = greedy_max_covering(HAND_DEMAND, NO_CANDIDATE, 3, 15.0)
    assert plan.sites.empty and plan.shortfall is Shortfall.NO_CANDIDATE
    assert list(plan.sites.columns) == ["rank", "insee_code", "added_population", "cumulative_covered_share"]


def test_covering_without_inhabitants_is_empty_and_says_so():
    nobody = HAND_DEMAND.assign(population=0)
    plan = greedy_max_covering(nobody, HAND_DEMAND[["lon", "lat"]], 2, 15.0)
    assert plan.sites.empty and plan.shortfall is Shortfall.NO_INHABITANT
    plan = greedy_max_covering(HAND_DEMAND.iloc[:0], HAND_DEMAND[["lon", "lat"]], 2, 15.0)
    assert plan.sites.empty and plan.shortfall is Shortfall.NO_INHABITANT


def test_covering_asked_for_more_sites_than_candidates_says_so():
    plan = greedy_max_covering(HAND_DEMAND, HAND_DEMAND.loc[["A", "C"], ["lon", "lat"]], 5, 15.0)
    assert plan.sites["insee_code"].tolist() == ["A", "C"]  # A reaches A and B: 150 inhabitants
    assert plan.shortfall is Shortfall.FEWER_CANDIDATES


def test_covering_stops_when_nothing_is_left_to_cover():
    # B is within 15 km of A: once A is chosen, B adds nobody, and C is left out of every candidate's reach.
    plan = greedy_max_covering(HAND_DEMAND, HAND_DEMAND.loc[["A", "B"], ["lon", "lat"]], 2, 15.0)
    assert plan.sites["insee_code"].tolist() == ["A"]
    assert plan.shortfall is Shortfall.NOTHING_LEFT_TO_COVER


def test_covering_an_already_covered_territory_says_nothing_is_left():
    plan = greedy_max_covering(HAND_DEMAND, HAND_DEMAND[["lon", "lat"]], 2, 15.0, already_covered=np.ones(3, bool))
    assert plan.sites.empty and plan.shortfall is Shortfall.NOTHING_LEFT_TO_COVER


def test_covering_with_as_many_sites_as_asked_has_no_shortfall():
    plan = greedy_max_covering(HAND_DEMAND, HAND_DEMAND[["lon", "lat"]], 2, 15.0)
    assert plan.sites["insee_code"].tolist() == ["A", "C"] and plan.shortfall is None


def test_covering_zero_sites_is_an_empty_plan_without_shortfall():
    plan = greedy_max_covering(HAND_DEMAND, HAND_DEMAND[["lon", "lat"]], 0, 15.0)
    assert plan.sites.empty and plan.shortfall is None


HAND_TRAINEES = pd.DataFrame({"lon": [3.0, 3.0], "lat": [45.0, 45.0 + 100 / KM_PER_DEGREE]})


def test_p_median_without_trainees_is_empty_and_says_so():
    plan = p_median(HAND_TRAINEES.iloc[:0], HAND_DEMAND[["lon", "lat"]], 2)
    assert plan.sites == [] and plan.assigned_site == [] and plan.travel_km.size == 0
    assert plan.shortfall is Shortfall.NOBODY_TO_TRAIN


def test_p_median_without_candidates_leaves_every_trainee_unassigned():
    plan = p_median(HAND_TRAINEES, NO_CANDIDATE, 2)
    assert plan.sites == [] and plan.assigned_site == [None, None] and np.isnan(plan.travel_km).all()
    assert plan.shortfall is Shortfall.NO_CANDIDATE


def test_p_median_asked_for_more_sessions_than_candidates_uses_them_all():
    plan = p_median(HAND_TRAINEES, HAND_DEMAND.loc[["A", "C"], ["lon", "lat"]], 5)
    assert sorted(plan.sites) == ["A", "C"] and plan.assigned_site == ["A", "C"]
    assert plan.shortfall is Shortfall.FEWER_CANDIDATES


def test_p_median_of_zero_sessions_is_empty_without_shortfall():
    plan = p_median(HAND_TRAINEES, HAND_DEMAND[["lon", "lat"]], 0)
    assert plan.sites == [] and plan.assigned_site == [None, None] and plan.shortfall is None


def test_p_median_refuses_a_negative_number_of_sessions():
    with pytest.raises(ValueError):
        p_median(HAND_TRAINEES, HAND_DEMAND[["lon", "lat"]], -1)


HAND_COMMUNES = HAND_DEMAND.assign(nom=["Aville", "Bville", "Cville"])
IN_SCOPE = HAND_COMMUNES.index


def hand_records(*people: tuple[str, str, str]) -> pd.DataFrame:
    """Records of animators (id, commune, status), placed at their commune."""
    ids, communes, statuses = zip(*people) if people else ((), (), ())
    return pd.DataFrame({"animator_id": list(ids), "insee_code": list(communes), "training_status": list(statuses),
                         "lon": HAND_COMMUNES["lon"].reindex(list(communes)).to_numpy(),
                         "lat": HAND_COMMUNES["lat"].reindex(list(communes)).to_numpy()})


def test_coverage_sites_with_nobody_to_train_say_so():
    plan = coverage_sites(HAND_COMMUNES, hand_records(("t1", "C", "trained")), IN_SCOPE, 3, 15.0)
    assert plan.sites.empty and plan.shortfall is Shortfall.NOBODY_TO_TRAIN
    assert "commune" in plan.sites.columns


def test_coverage_sites_name_the_chosen_communes():
    records = hand_records(("r1", "A", "referenced"), ("r2", "C", "referenced"))
    plan = coverage_sites(HAND_COMMUNES, records, IN_SCOPE, 5, 15.0)
    assert plan.sites["commune"].tolist() == ["Aville", "Cville"] and plan.shortfall is Shortfall.FEWER_CANDIDATES


def test_a_trained_animator_covers_around_each_of_her_places():
    """t1 works at A and C: both are covered, so the plan trains nobody there, only around B if needed."""
    records = hand_records(("t1", "A", "trained"), ("t1", "C", "trained"), ("r1", "A", "referenced"),
                           ("r2", "C", "referenced")).assign(place_id=["pA", "pC", "pA", "pC"])
    plan = coverage_sites(HAND_COMMUNES, records, IN_SCOPE, 2, 1.0)
    assert plan.sites.empty and plan.shortfall is Shortfall.NOTHING_LEFT_TO_COVER


def test_session_sites_with_nobody_to_train_are_empty_and_say_so():
    sessions = session_sites(HAND_COMMUNES, hand_records(("t1", "A", "trained")), IN_SCOPE, 2)
    assert sessions.sites.empty and sessions.assignments.empty
    assert sessions.shortfall is Shortfall.NOBODY_TO_TRAIN


def test_session_sites_never_hold_an_empty_session():
    # Two trainees in one commune, three communes to choose from: one session, not two.
    records = hand_records(("r1", "B", "referenced"), ("r2", "B", "referenced"))
    sessions = session_sites(HAND_COMMUNES, records, IN_SCOPE, 2)
    assert sessions.sites["insee_code"].tolist() == ["B"] and sessions.sites["trainees"].tolist() == [2]
    assert sessions.assignments["insee_code"].tolist() == ["B", "B"]
    assert sessions.shortfall is Shortfall.FEWER_TRAINEE_PLACES


def test_trainees_are_sent_to_the_nearest_site():
    records = hand_records(("r1", "A", "referenced"), ("r2", "B", "referenced"), ("r3", "C", "referenced"))
    pool = training_pool(records, IN_SCOPE)
    assignments = assign_trainees(pool, HAND_COMMUNES, ["C", "A"])
    assert assignments["insee_code"].tolist() == ["A", "A", "C"]
    assert assignments["travel_km"].tolist() == pytest.approx([0.0, 10.0, 0.0], abs=0.05)
    assert assign_trainees(pool, HAND_COMMUNES, []).empty
