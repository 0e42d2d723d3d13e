"""Planning for hubs: where new trained animators cover the most people, where to hold trainings.

* :func:`greedy_max_covering` — maximal covering location problem (MCLP), greedy: at each step
  the candidate commune whose radius covers the most not-yet-covered inhabitants. The covered
  population is a submodular function of the chosen sites, so the greedy choice reaches at
  least (1 − 1/e) ≈ 63 % of the optimum (Nemhauser, Wolsey & Fisher, 1978).
* :func:`p_median` — k training sessions for a pool of trainees, minimising their total travel.
  Exact (every combination) when there are at most :data:`EXACT_COMBINATIONS` of them; beyond,
  a greedy start improved by vertex substitution (Teitz & Bart, 1968) until no swap helps.
  On the random small instances of the tests the heuristic stays within :data:`STATED_GAP` of
  the exact optimum.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

from geo.coverage import commune_indicators
from geo.distances import PointIndex, haversine_km

EXACT_COMBINATIONS = 20_000
STATED_GAP = 0.05


def greedy_max_covering(
    demand: pd.DataFrame,
    candidates: pd.DataFrame,
    k: int,
    radius_km: float,
    already_covered: np.ndarray | None = None,
) -> pd.DataFrame:
    """Choose up to ``k`` candidate communes that add the most covered inhabitants.

    Parameters
    ----------
    demand
        Communes to cover (``lon``, ``lat``, ``population``), e.g. those of one département.
    candidates
        Candidate sites (``lon``, ``lat``), indexed by INSEE code.
    k
        Number of sites to choose; fewer are returned once nothing more can be covered.
    radius_km
        Coverage radius.
    already_covered
        Boolean mask over ``demand``: communes already within reach of a trained animator.

    Returns
    -------
    pandas.DataFrame
        ``rank``, ``insee_code``, ``added_population``, ``cumulative_covered_share``, in choice
        order. Ties go to the smaller INSEE code.
    """
    population = demand["population"].to_numpy(dtype=float)
    covered = np.zeros(len(demand), dtype=bool) if already_covered is None else np.asarray(already_covered).copy()
    reach = _reach_matrix(demand, candidates, radius_km)
    order = np.argsort(candidates.index.to_numpy(dtype=str), kind="stable")
    total = population.sum()
    rows = []
    for rank in range(1, k + 1):
        gains = reach @ (population * ~covered)
        best = order[np.argmax(gains[order])]
        if gains[best] <= 0:
            break
        covered |= reach[best].toarray().ravel() > 0
        rows.append({
            "rank": rank,
            "insee_code": candidates.index[best],
            "added_population": int(round(gains[best])),
            "cumulative_covered_share": float(population[covered].sum() / total) if total else 0.0,
        })
    return pd.DataFrame(rows, columns=["rank", "insee_code", "added_population", "cumulative_covered_share"])


def _reach_matrix(demand: pd.DataFrame, candidates: pd.DataFrame, radius_km: float) -> csr_matrix:
    """Sparse candidates × demand matrix: 1 where the candidate's radius reaches the commune."""
    pairs = PointIndex(demand["lon"], demand["lat"]).pairs_within(candidates["lon"], candidates["lat"], radius_km)
    return csr_matrix((np.ones(len(pairs.origin)), (pairs.origin, pairs.target)),
                      shape=(len(candidates), len(demand)))


@dataclass(frozen=True)
class SessionPlan:
    """Chosen session sites, the site of each trainee and the travel it costs."""

    sites: list[str]
    assigned_site: list[str]
    travel_km: np.ndarray
    exact: bool

    @property
    def total_km(self) -> float:
        return float(self.travel_km.sum())


def p_median(trainees: pd.DataFrame, candidates: pd.DataFrame, k: int) -> SessionPlan:
    """Choose ``k`` candidate communes minimising the trainees' total travel to their nearest site.

    Parameters
    ----------
    trainees
        Referenced-but-untrained animators of one territory (``lon``, ``lat``).
    candidates
        Communes of the territory (``lon``, ``lat``), indexed by INSEE code.
    k
        Number of sessions.
    """
    k = min(k, len(candidates))
    distance = haversine_km(trainees["lon"].to_numpy()[:, None], trainees["lat"].to_numpy()[:, None],
                            candidates["lon"].to_numpy()[None, :], candidates["lat"].to_numpy()[None, :])
    exact = math.comb(len(candidates), k) <= EXACT_COMBINATIONS
    chosen = _exact_p_median(distance, k) if exact else _substitution_p_median(distance, k)
    nearest = distance[:, chosen].argmin(axis=1)
    return SessionPlan(
        sites=[candidates.index[c] for c in chosen],
        assigned_site=[candidates.index[chosen[n]] for n in nearest],
        travel_km=distance[np.arange(len(trainees)), np.asarray(chosen)[nearest]],
        exact=exact,
    )


def total_travel(distance: np.ndarray, chosen: list[int]) -> float:
    """Sum over trainees of the distance to the nearest chosen candidate."""
    return float(distance[:, chosen].min(axis=1).sum())


def _exact_p_median(distance: np.ndarray, k: int) -> list[int]:
    best = min(itertools.combinations(range(distance.shape[1]), k),
               key=lambda combo: total_travel(distance, list(combo)))
    return list(best)


def _substitution_p_median(distance: np.ndarray, k: int) -> list[int]:
    chosen: list[int] = []
    for _ in range(k):
        remaining = [c for c in range(distance.shape[1]) if c not in chosen]
        chosen.append(min(remaining, key=lambda c: total_travel(distance, chosen + [c])))
    cost = total_travel(distance, chosen)
    improved = True
    while improved:
        improved = False
        for position, candidate in itertools.product(range(k), range(distance.shape[1])):
            if candidate in chosen:
                continue
            trial = chosen[:position] + [candidate] + chosen[position + 1:]
            trial_cost = total_travel(distance, trial)
            if trial_cost < cost - 1e-9:
                chosen, cost, improved = trial, trial_cost, True
    return chosen


def training_pool(records: pd.DataFrame, in_scope: pd.Index) -> pd.DataFrame:
    """Referenced, not yet trained animators of the scope's communes, one row each."""
    pool = records[(records["training_status"] == "referenced") & records["insee_code"].isin(in_scope)]
    return pool.drop_duplicates("animator_id")


def coverage_sites(communes: pd.DataFrame, records: pd.DataFrame, in_scope: pd.Index, k: int, radius_km: float,
                   *, any_commune: bool = False) -> pd.DataFrame:
    """Where training ``k`` more animators would cover the most inhabitants of the scope.

    Candidates are the communes of the training pool (or, with ``any_commune``, every commune
    of the scope); the communes already within reach of a trained animator count as covered.

    Returns
    -------
    pandas.DataFrame
        :func:`greedy_max_covering` with the ``commune`` name after ``insee_code``.
    """
    trained = records[records["training_status"] == "trained"].drop_duplicates("animator_id")
    demand = communes.loc[in_scope]
    covered = commune_indicators(demand, trained, radius_km)["covered"].to_numpy()
    pool = training_pool(records, in_scope)
    candidates = demand if any_commune else demand.loc[demand.index.isin(pool["insee_code"])]
    sites = greedy_max_covering(demand, candidates, k, radius_km, already_covered=covered)
    sites.insert(2, "commune", sites["insee_code"].map(communes["nom"]))
    return sites


def session_sites(communes: pd.DataFrame, records: pd.DataFrame, in_scope: pd.Index,
                  k: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Where to hold ``k`` training sessions for the scope's pool, and who goes where.

    Returns
    -------
    tuple of pandas.DataFrame
        The sites that someone attends (``rank``, ``insee_code``, ``commune``, ``trainees``,
        ``mean_travel_km``; fewer than ``k`` when the trainees live in fewer places) and
        the assignments (``animator_id``, ``insee_code`` of the session, ``travel_km``).

    Raises
    ------
    ValueError
        When the scope has nobody to train.
    """
    pool = training_pool(records, in_scope)
    if pool.empty:
        raise ValueError("aucun animateur référencé à former dans ce territoire")
    plan = p_median(pool, communes.loc[in_scope], k)
    assignments = pd.DataFrame({"animator_id": pool["animator_id"].to_numpy(), "insee_code": plan.assigned_site,
                                "travel_km": plan.travel_km.round(1)})
    summary = assignments.groupby("insee_code").agg(trainees=("animator_id", "size"),
                                                    mean_travel_km=("travel_km", "mean"))
    # A site nobody is nearest to (more sites than distinct trainee places) would be an empty session.
    used = [site for site in plan.sites if site in summary.index]
    sites = pd.DataFrame({"rank": range(1, len(used) + 1), "insee_code": used}).join(summary, on="insee_code")
    sites.insert(2, "commune", sites["insee_code"].map(communes["nom"]))
    return sites, assignments
