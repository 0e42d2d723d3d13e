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
from enum import StrEnum

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

from geo.coverage import commune_indicators
from geo.distances import PointIndex, haversine_km

EXACT_COMBINATIONS = 20_000
STATED_GAP = 0.05
# Elements of one block of the exact search (trainees × combinations × sites): a few megabytes at a time.
EXACT_BLOCK_ELEMENTS = 2_000_000
COVERING_COLUMNS = ["rank", "insee_code", "added_population", "cumulative_covered_share"]


class Shortfall(StrEnum):
    """Why a plan holds fewer sites than asked (the page and the command line word each one)."""

    #: Nobody of the scope is left to train (the pool is empty).
    NOBODY_TO_TRAIN = "nobody_to_train"
    #: No commune, or no inhabitant, to cover.
    NO_INHABITANT = "no_inhabitant"
    #: No candidate site at all.
    NO_CANDIDATE = "no_candidate"
    #: Every inhabitant a candidate could reach is already covered: one more site would add nobody.
    NOTHING_LEFT_TO_COVER = "nothing_left_to_cover"
    #: Fewer candidate sites than asked: every one of them is in the plan.
    FEWER_CANDIDATES = "fewer_candidates"
    #: The trainees gather in fewer places than sessions asked: one more session would have nobody.
    FEWER_TRAINEE_PLACES = "fewer_trainee_places"


# One French sentence per shortfall, for people (the page and the command line).
SHORTFALL_NOTES: dict[Shortfall, str] = {
    Shortfall.NOBODY_TO_TRAIN: "personne n'est à former dans ce territoire pour cette sélection",
    Shortfall.NO_INHABITANT: "le territoire ne compte aucun habitant à couvrir",
    Shortfall.NO_CANDIDATE: "aucune commune n'est candidate",
    Shortfall.NOTHING_LEFT_TO_COVER: ("les communes candidates n'atteignent plus aucun habitant non couvert : "
                                      "un site de plus n'en ajouterait aucun"),
    Shortfall.FEWER_CANDIDATES: "il n'y a pas davantage de communes candidates : toutes sont retenues",
    Shortfall.FEWER_TRAINEE_PLACES: ("les stagiaires habitent trop près les uns des autres pour autant de sessions : "
                                     "une session de plus n'aurait personne"),
}


@dataclass(frozen=True)
class CoveringPlan:
    """Sites of a covering plan, in choice order, and why there are fewer than asked (``None``: as many)."""

    sites: pd.DataFrame
    shortfall: Shortfall | None


def greedy_max_covering(
    demand: pd.DataFrame,
    candidates: pd.DataFrame,
    k: int,
    radius_km: float,
    already_covered: np.ndarray | None = None,
) -> CoveringPlan:
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
    CoveringPlan
        Sites with ``rank``, ``insee_code``, ``added_population``, ``cumulative_covered_share``, in
        choice order (ties go to the smaller INSEE code), and the :class:`Shortfall` when there are
        fewer than ``k``.

    Examples
    --------
    >>> demand = pd.DataFrame({"lon": [3.0], "lat": [45.0], "population": [100]})
    >>> greedy_max_covering(demand, demand.iloc[:0], 2, 10.0).shortfall
    <Shortfall.NO_CANDIDATE: 'no_candidate'>
    """
    population = demand["population"].to_numpy(dtype=float)
    total = population.sum()
    if k <= 0:
        return CoveringPlan(pd.DataFrame(columns=COVERING_COLUMNS), None)
    if candidates.empty:
        return CoveringPlan(pd.DataFrame(columns=COVERING_COLUMNS), Shortfall.NO_CANDIDATE)
    if total <= 0:
        return CoveringPlan(pd.DataFrame(columns=COVERING_COLUMNS), Shortfall.NO_INHABITANT)
    covered = np.zeros(len(demand), dtype=bool) if already_covered is None else np.asarray(already_covered).copy()
    reach = _reach_matrix(demand, candidates, radius_km)
    order = np.argsort(candidates.index.to_numpy(dtype=str), kind="stable")
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
            "cumulative_covered_share": float(population[covered].sum() / total),
        })
    sites = pd.DataFrame(rows, columns=COVERING_COLUMNS)
    return CoveringPlan(sites, _covering_shortfall(len(rows), k, len(candidates)))


def _covering_shortfall(chosen: int, k: int, candidates: int) -> Shortfall | None:
    """Why the greedy loop chose ``chosen`` sites of the ``k`` asked, among ``candidates``."""
    if chosen == k:
        return None
    # Every candidate chosen: the missing sites are missing candidates, whatever is left uncovered.
    return Shortfall.FEWER_CANDIDATES if chosen == candidates else Shortfall.NOTHING_LEFT_TO_COVER


def _reach_matrix(demand: pd.DataFrame, candidates: pd.DataFrame, radius_km: float) -> csr_matrix:
    """Sparse candidates × demand matrix: 1 where the candidate's radius reaches the commune."""
    pairs = PointIndex(demand["lon"], demand["lat"]).pairs_within(candidates["lon"], candidates["lat"], radius_km)
    return csr_matrix((np.ones(len(pairs.origin)), (pairs.origin, pairs.target)),
                      shape=(len(candidates), len(demand)))


@dataclass(frozen=True)
class SessionPlan:
    """Chosen session sites, the site of each trainee and the travel it costs.

    ``assigned_site`` and ``travel_km`` follow the trainees; without any site they hold ``None`` and
    NaN. ``shortfall`` says why there are fewer sites than asked (``None``: as many).
    """

    sites: list[str]
    assigned_site: list[str | None]
    travel_km: np.ndarray
    exact: bool
    shortfall: Shortfall | None = None

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
        Number of sessions; every candidate when there are fewer (:attr:`Shortfall.FEWER_CANDIDATES`).

    Raises
    ------
    ValueError
        When ``k`` is negative.

    Examples
    --------
    >>> nobody = pd.DataFrame({"lon": [], "lat": []})
    >>> p_median(nobody, pd.DataFrame({"lon": [3.0], "lat": [45.0]}, index=["01001"]), 2).shortfall
    <Shortfall.NOBODY_TO_TRAIN: 'nobody_to_train'>
    """
    if k < 0:
        raise ValueError(f"nombre de sessions négatif : {k}")
    shortfall = _session_shortfall(len(trainees), len(candidates), k)
    k = min(k, len(candidates))
    if k == 0 or trainees.empty:
        return SessionPlan(sites=[], assigned_site=[None] * len(trainees), travel_km=np.full(len(trainees), np.nan),
                           exact=True, shortfall=shortfall)
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
        shortfall=shortfall,
    )


def _session_shortfall(trainees: int, candidates: int, k: int) -> Shortfall | None:
    if k == 0:
        return None
    if trainees == 0:
        return Shortfall.NOBODY_TO_TRAIN
    if candidates == 0:
        return Shortfall.NO_CANDIDATE
    return Shortfall.FEWER_CANDIDATES if candidates < k else None


def total_travel(distance: np.ndarray, chosen: list[int]) -> float:
    """Sum over trainees of the distance to the nearest chosen candidate."""
    return float(distance[:, chosen].min(axis=1).sum())


def _exact_p_median(distance: np.ndarray, k: int) -> list[int]:
    """The best of every combination of ``k`` candidates (the first one in lexicographic order on ties)."""
    combinations = np.array(list(itertools.combinations(range(distance.shape[1]), k)), dtype=np.intp)
    block = max(1, EXACT_BLOCK_ELEMENTS // (distance.shape[0] * k))
    costs = np.concatenate([distance[:, combinations[start:start + block]].min(axis=2).sum(axis=0)
                            for start in range(0, len(combinations), block)])
    return combinations[int(np.argmin(costs))].tolist()


def _substitution_p_median(distance: np.ndarray, k: int) -> list[int]:
    """Greedy start, then vertex substitution (Teitz & Bart) until no swap shortens the total travel.

    Each step weighs every candidate at once: the travel with candidate ``c`` added (or swapped in
    at one position) is the sum over trainees of ``min(nearest of the others, distance to c)``.
    """
    nearest = np.full(distance.shape[0], np.inf)
    chosen: list[int] = []
    for _ in range(k):
        costs = np.minimum(nearest[:, None], distance).sum(axis=0)
        costs[chosen] = np.inf
        best = int(np.argmin(costs))
        chosen.append(best)
        nearest = np.minimum(nearest, distance[:, best])
    cost = float(nearest.sum())
    improved = True
    while improved:
        improved = False
        for position in range(k):
            others = [c for i, c in enumerate(chosen) if i != position]
            others_nearest = distance[:, others].min(axis=1) if others else np.full(distance.shape[0], np.inf)
            costs = np.minimum(others_nearest[:, None], distance).sum(axis=0)
            costs[chosen] = np.inf
            best = int(np.argmin(costs))
            if costs[best] < cost - 1e-9:
                chosen[position], cost, improved = best, float(costs[best]), True
    return chosen


def within(codes: pd.Series, in_scope: pd.Index) -> np.ndarray:
    """Which of ``codes`` (INSEE codes) are communes of the scope, as a boolean mask.

    ``Series.isin`` on pandas' Arrow strings converts the scope's codes one by one (tens of
    milliseconds for a région on every page run); a lookup in the scope's hash index takes one.

    Examples
    --------
    >>> within(pd.Series(["01001", "2A004", None]), pd.Index(["2A004", "2B033"])).tolist()
    [False, True, False]
    """
    return pd.Index(in_scope).unique().get_indexer(codes) >= 0


def training_pool(records: pd.DataFrame, in_scope: pd.Index) -> pd.DataFrame:
    """Referenced, not yet trained animators of the scope's communes, one row each.

    A person is trained once: with several places in the scope (one row each), they come from their
    first place (in the order of ``records``: the store's, by place id).
    """
    pool = records[(records["training_status"] == "referenced").to_numpy() & within(records["insee_code"], in_scope)]
    return pool.drop_duplicates("animator_id")


def coverage_sites(communes: pd.DataFrame, records: pd.DataFrame, in_scope: pd.Index, k: int, radius_km: float,
                   *, any_commune: bool = False) -> CoveringPlan:
    """Where training ``k`` more animators would cover the most inhabitants of the scope.

    Candidates are the communes of the training pool (or, with ``any_commune``, every commune
    of the scope); the communes already within reach of a trained animator count as covered.

    Returns
    -------
    CoveringPlan
        :func:`greedy_max_covering` with the ``commune`` name after ``insee_code``;
        :attr:`Shortfall.NOBODY_TO_TRAIN` when the pool is empty (and candidates come from it).
    """
    pool = training_pool(records, in_scope)
    if pool.empty and not any_commune and k > 0:
        plan = CoveringPlan(pd.DataFrame(columns=COVERING_COLUMNS), Shortfall.NOBODY_TO_TRAIN)
    else:
        trained = records[records["training_status"] == "trained"]  # at every place of each (geo.coverage)
        demand = communes.loc[in_scope]
        covered = commune_indicators(demand, trained, radius_km)["covered"].to_numpy()
        candidates = demand if any_commune else demand.loc[demand.index.isin(pool["insee_code"])]
        plan = greedy_max_covering(demand, candidates, k, radius_km, already_covered=covered)
    plan.sites.insert(2, "commune", plan.sites["insee_code"].map(communes["nom"]))
    return plan


@dataclass(frozen=True)
class TrainingSessions:
    """Sessions of a scope's pool: the sites someone attends, who goes where, why fewer than asked."""

    sites: pd.DataFrame
    assignments: pd.DataFrame
    shortfall: Shortfall | None


def session_sites(communes: pd.DataFrame, records: pd.DataFrame, in_scope: pd.Index, k: int) -> TrainingSessions:
    """Where to hold ``k`` training sessions for the scope's pool, and who goes where.

    Returns
    -------
    TrainingSessions
        The sites that someone attends (``rank``, ``insee_code``, ``commune``, ``trainees``,
        ``mean_travel_km``), the assignments (:func:`assign_trainees`), and the
        :class:`Shortfall` when there are fewer sites than ``k``: among them
        :attr:`Shortfall.FEWER_TRAINEE_PLACES` when a site nobody is nearest to was left out.
    """
    pool = training_pool(records, in_scope)
    plan = p_median(pool, communes.loc[in_scope], k)
    assignments = assign_trainees(pool, communes, plan.sites)
    summary = assignments.groupby("insee_code").agg(trainees=("animator_id", "size"),
                                                    mean_travel_km=("travel_km", "mean"))
    # A site nobody is nearest to (more sites than distinct trainee places) would be an empty session.
    used = [site for site in plan.sites if site in summary.index]
    shortfall = Shortfall.FEWER_TRAINEE_PLACES if len(used) < len(plan.sites) else plan.shortfall
    sites = pd.DataFrame({"rank": range(1, len(used) + 1), "insee_code": pd.Series(used, dtype=object)})
    sites = sites.join(summary, on="insee_code")
    sites.insert(2, "commune", sites["insee_code"].map(communes["nom"]))
    return TrainingSessions(sites, assignments, shortfall)


def assign_trainees(pool: pd.DataFrame, communes: pd.DataFrame, sites: list[str]) -> pd.DataFrame:
    """Send each trainee of ``pool`` to the nearest of ``sites`` (INSEE codes of ``communes``).

    Returns
    -------
    pandas.DataFrame
        ``animator_id``, ``insee_code`` of the site, ``travel_km`` (rounded to 0.1 km), in the
        pool's order; empty when there is no site.
    """
    if not sites or pool.empty:
        return pd.DataFrame({"animator_id": pd.Series(dtype=object), "insee_code": pd.Series(dtype=object),
                             "travel_km": pd.Series(dtype=float)})
    places = communes.loc[list(sites)]
    distance = haversine_km(pool["lon"].to_numpy()[:, None], pool["lat"].to_numpy()[:, None],
                            places["lon"].to_numpy()[None, :], places["lat"].to_numpy()[None, :])
    nearest = distance.argmin(axis=1)
    return pd.DataFrame({"animator_id": pool["animator_id"].to_numpy(), "insee_code": places.index.to_numpy()[nearest],
                         "travel_km": distance[np.arange(len(pool)), nearest].round(1)})
