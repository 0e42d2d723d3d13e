"""Per-commune coverage indicators: nearest animator, animators within reach, E2SFCA accessibility.

Definitions (issue "Coverage and training-planning analytics"):

* ``nearest_km``: great-circle distance from the commune's reference point to the
  nearest selected animator (``inf`` when none is selected);
* ``animators_within_km``: selected animators at most ``radius_km`` away;
* ``covered``: ``nearest_km <= radius_km``;

(every comparison allows :data:`TOLERANCE_KM` for rounding);
* ``accessibility_per_10k``: enhanced two-step floating catchment area (E2SFCA),
  the DREES "APL" family. With weights W(d) = 1.0 for d ≤ 10 km, 0.68 for
  10 < d ≤ 20, 0.22 for 20 < d ≤ 30 and 0 beyond, a supply of 1 per animator and
  the municipal population P as demand:
  R_j = 1 / Σ_k P_k·W(d_kj) for each animator j, then A_i = Σ_j R_j·W(d_ij),
  reported as A_i × 10,000. An animator that no inhabited commune reaches has no
  demand and adds nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.distances import PointIndex

DEFAULT_RADIUS_KM = 15.0
E2SFCA_STEPS: tuple[tuple[float, float], ...] = ((10.0, 1.0), (20.0, 0.68), (30.0, 0.22))
# Distances are compared with a micrometre of slack: an animator placed exactly 10 km away must not
# fall into the next step because the haversine formula rounds 10 km to 10.000000000000002.
TOLERANCE_KM = 1e-9
INDICATOR_COLUMNS: tuple[str, ...] = ("nearest_km", "animators_within_km", "covered", "accessibility_per_10k")


def e2sfca_weight(km: np.ndarray) -> np.ndarray:
    """Step weight of a distance: 1.0 up to 10 km, 0.68 up to 20 km, 0.22 up to 30 km, then 0.

    Examples
    --------
    >>> e2sfca_weight(np.array([0.0, 10.0, 10.5, 20.0, 30.0, 30.01])).tolist()
    [1.0, 1.0, 0.68, 0.68, 0.22, 0.0]
    """
    km = np.asarray(km, dtype=float)
    weight = np.zeros_like(km)
    for limit, value in reversed(E2SFCA_STEPS):
        weight[km <= limit + TOLERANCE_KM] = value
    return weight


def commune_indicators(
    communes: pd.DataFrame, animators: pd.DataFrame, radius_km: float = DEFAULT_RADIUS_KM
) -> pd.DataFrame:
    """Coverage indicators of every commune for a selection of animators.

    Parameters
    ----------
    communes
        One row per commune with ``lon``, ``lat`` (reference point) and ``population``.
    animators
        The selected animators, one row each, with ``lon`` and ``lat``.
    radius_km
        Coverage radius.

    Returns
    -------
    pandas.DataFrame
        :data:`INDICATOR_COLUMNS`, indexed like ``communes``.
    """
    index = PointIndex(animators["lon"], animators["lat"])
    nearest, _ = index.nearest_km(communes["lon"], communes["lat"])
    catchment = max(radius_km, E2SFCA_STEPS[-1][0])
    pairs = index.pairs_within(communes["lon"], communes["lat"], catchment + TOLERANCE_KM)
    within = np.bincount(pairs.origin[pairs.km <= radius_km + TOLERANCE_KM], minlength=len(communes))
    return pd.DataFrame(
        {
            "nearest_km": nearest,
            "animators_within_km": within,
            "covered": nearest <= radius_km + TOLERANCE_KM,
            "accessibility_per_10k": _e2sfca(pairs, communes["population"].to_numpy(dtype=float),
                                             len(index)) * 10_000,
        },
        index=communes.index,
    )


def _e2sfca(pairs, population: np.ndarray, animator_count: int) -> np.ndarray:
    weight = e2sfca_weight(pairs.km)
    demand = np.bincount(pairs.target, weights=population[pairs.origin] * weight, minlength=animator_count)
    ratio = np.divide(1.0, demand, out=np.zeros(len(demand)), where=demand > 0)
    return np.bincount(pairs.origin, weights=ratio[pairs.target] * weight, minlength=len(population))
