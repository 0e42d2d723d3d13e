"""Per-commune coverage indicators: nearest animator, animators within reach, E2SFCA accessibility.

Definitions (issue "Coverage and training-planning analytics"):

* ``nearest_km``: great-circle distance from the commune's reference point to the
  nearest selected animator (``inf`` when none is selected);
* ``animators_within_km``: selected animators with a place at most ``radius_km`` away (an animator
  with two places within reach counts once);
* ``covered``: ``nearest_km <= radius_km``;

(every comparison allows :data:`TOLERANCE_KM` for rounding);
* ``accessibility_per_10k``: enhanced two-step floating catchment area (E2SFCA),
  the DREES "APL" family. With weights W(d) = 1.0 for d ≤ 10 km, 0.68 for
  10 < d ≤ 20, 0.22 for 20 < d ≤ 30 and 0 beyond, a supply S_j per place j and
  the municipal population P as demand:
  R_j = S_j / Σ_k P_k·W(d_kj) for each place j, then A_i = Σ_j R_j·W(d_ij),
  reported as A_i × 10,000. One animator counts once in total, split equally
  across their k active places: S_j = 1/k (docs/coverage.md). A place that no
  inhabited commune reaches has no demand and adds nothing.

The animators are given one row per (animator, place): ``animator_id`` (and ``place_id``)
say which rows are one person; without ``animator_id`` every row is an animator of its own.
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
        The selected animators, one row per place, with ``lon`` and ``lat``; with ``animator_id``
        the rows of one animator are their places (see :func:`place_supply`, and its ``person_places``
        for rows of one territory only); rows repeating an (``animator_id``, ``place_id``) pair, e.g.
        one per theme, count once.
    radius_km
        Coverage radius.

    Returns
    -------
    pandas.DataFrame
        :data:`INDICATOR_COLUMNS`, indexed like ``communes``.
    """
    if {"animator_id", "place_id"} <= set(animators.columns):
        animators = animators.drop_duplicates(["animator_id", "place_id"])
    index = PointIndex(animators["lon"], animators["lat"])
    nearest, _ = index.nearest_km(communes["lon"], communes["lat"])
    catchment = max(radius_km, E2SFCA_STEPS[-1][0])
    pairs = index.pairs_within(communes["lon"], communes["lat"], catchment + TOLERANCE_KM)
    reached = pairs.km <= radius_km + TOLERANCE_KM
    # Each (commune, person) once: a person with two places within reach is one animator within reach.
    reach = pd.DataFrame({"commune": pairs.origin[reached],
                          "person": _persons(animators)[pairs.target[reached]]}).drop_duplicates()
    within = np.bincount(reach["commune"].to_numpy(), minlength=len(communes))
    return pd.DataFrame(
        {
            "nearest_km": nearest,
            "animators_within_km": within,
            "covered": nearest <= radius_km + TOLERANCE_KM,
            "accessibility_per_10k": _e2sfca(pairs, communes["population"].to_numpy(dtype=float),
                                             place_supply(animators)) * 10_000,
        },
        index=communes.index,
    )


def _persons(animators: pd.DataFrame) -> np.ndarray:
    """An integer per row naming its animator (each row its own without ``animator_id``)."""
    if "animator_id" not in animators.columns:
        return np.arange(len(animators), dtype=np.int64)
    return pd.factorize(animators["animator_id"].to_numpy())[0].astype(np.int64)


def place_supply(animators: pd.DataFrame) -> np.ndarray:
    """The E2SFCA supply of each row: 1/k for each of an animator's k places, 1 without ``animator_id``.

    k is the ``person_places`` column when given: the animator's places in the whole selection, when
    the rows are only those of one territory (the others still take their share); else the rows' own
    count of each animator.

    Examples
    --------
    >>> place_supply(pd.DataFrame({"animator_id": ["ana", "ana", "ana", "bob"]})).round(3).tolist()
    [0.333, 0.333, 0.333, 1.0]
    >>> place_supply(pd.DataFrame({"animator_id": ["ana"], "person_places": [4]})).tolist()
    [0.25]
    """
    if "person_places" in animators.columns:
        return 1.0 / animators["person_places"].to_numpy(dtype=float)
    person = _persons(animators)
    return 1.0 / np.bincount(person, minlength=len(animators))[person]


def _e2sfca(pairs, population: np.ndarray, supply: np.ndarray) -> np.ndarray:
    weight = e2sfca_weight(pairs.km)
    demand = np.bincount(pairs.target, weights=population[pairs.origin] * weight, minlength=len(supply))
    ratio = np.divide(supply, demand, out=np.zeros(len(demand)), where=demand > 0)
    return np.bincount(pairs.origin, weights=ratio[pairs.target] * weight, minlength=len(population))
