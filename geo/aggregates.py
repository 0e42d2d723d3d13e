"""Coverage aggregated per EPCI, département and région, and the priority ranking of territories.

Priority rule, in one sentence (shown on screen as :data:`PRIORITY_RULE`): territories come
first when more inhabitants live beyond the coverage radius of every trained animator; ties
go to the lower accessibility.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.vocabulary import STATUSES

LEVELS: dict[str, str] = {
    "commune": "insee_code", "epci": "epci_code", "departement": "departement_code", "region": "region_code",
}
PRIORITY_RULE = (
    "Classement : d'abord les territoires où le plus d'habitants vivent au-delà du rayon de couverture, "
    "puis, à égalité, ceux dont l'accessibilité est la plus faible."
)


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """Smallest value whose cumulative weight reaches half of the total (``nan`` without weight).

    Examples
    --------
    >>> weighted_median(np.array([3.0, 1.0, 2.0]), np.array([1.0, 1.0, 5.0]))
    2.0
    """
    values, weights = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    finite = np.isfinite(values) & (weights > 0)
    if not finite.any():
        return float("nan")
    order = np.argsort(values[finite], kind="stable")
    cumulative = np.cumsum(weights[finite][order])
    return float(values[finite][order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def grouped_weighted_median(values: pd.Series, weights: pd.Series, groups: pd.Series) -> pd.Series:
    """:func:`weighted_median` of every group at once (sorted cumulative sums instead of a loop).

    Examples
    --------
    >>> values = pd.Series([3.0, 1.0, 2.0, 7.0])
    >>> grouped_weighted_median(values, pd.Series([1.0, 1.0, 5.0, 1.0]), pd.Series(["a", "a", "a", "b"])).to_dict()
    {'a': 2.0, 'b': 7.0}
    """
    frame = pd.DataFrame({"group": groups.to_numpy(), "value": values.to_numpy(dtype=float),
                          "weight": weights.to_numpy(dtype=float)})
    usable = frame[np.isfinite(frame["value"]) & (frame["weight"] > 0)].sort_values(["group", "value"],
                                                                                   kind="stable")
    cumulative = usable.groupby("group")["weight"].cumsum()
    half = usable.groupby("group")["weight"].transform("sum") / 2
    medians = usable.loc[cumulative >= half].groupby("group")["value"].first()
    return medians.reindex(pd.Index(frame["group"].unique()))


def territory_aggregates(communes: pd.DataFrame, records: pd.DataFrame, level: str) -> pd.DataFrame:
    """Aggregate per-commune indicators and animator records over one territorial level.

    Parameters
    ----------
    communes
        One row per commune (index: INSEE code) with ``population``, the territory codes of
        :data:`LEVELS` and the indicators of :func:`geo.coverage.commune_indicators`.
    records
        One row per (animator, theme), or per (animator, theme, place), with ``animator_id``, ``theme``,
        ``training_status`` and ``insee_code`` (the selection of themes is the caller's); a person
        counts once per territory and theme however many of their places it holds.
    level
        ``"commune"`` (each commune on its own; needs an ``insee_code`` column), ``"epci"``,
        ``"departement"`` or ``"region"``.

    Returns
    -------
    pandas.DataFrame
        Indexed by territory code: ``population``, ``animators_<status>`` (distinct animators),
        ``<theme>__<status>`` (distinct animators of that theme), ``trained_per_10k``, ``uncovered_population``,
        ``uncovered_share``, ``mean_nearest_km``, ``median_nearest_km``, ``mean_accessibility_per_10k``,
        ``training_pool`` (referenced, not yet trained) and ``priority_rank``.
    """
    key = LEVELS[level]
    members = communes[communes[key] != ""]
    by_territory = members.groupby(key)
    population = by_territory["population"].sum()
    weights = members["population"].astype(float)
    finite_nearest = members["nearest_km"].where(np.isfinite(members["nearest_km"]))
    table = pd.DataFrame({"population": population})
    table["uncovered_population"] = members["population"].where(~members["covered"], 0).groupby(
        members[key]).sum()
    table["uncovered_share"] = _ratio(table["uncovered_population"], table["population"])
    table["mean_nearest_km"] = _ratio((finite_nearest * weights).groupby(members[key]).sum(),
                                      weights.where(finite_nearest.notna(), 0).groupby(members[key]).sum())
    table["median_nearest_km"] = grouped_weighted_median(members["nearest_km"], weights, members[key])
    table["mean_accessibility_per_10k"] = _ratio(
        (members["accessibility_per_10k"] * weights).groupby(members[key]).sum(), table["population"]
    )
    table = table.join(_animator_counts(records, communes[key]), how="left")
    counts = [c for c in table.columns if c.startswith("animators_") or "__" in c]
    table[counts] = table[counts].fillna(0).astype("int64")
    for status in STATUSES:
        if f"animators_{status}" not in table:
            table[f"animators_{status}"] = 0
    table["trained_per_10k"] = _ratio(table["animators_trained"] * 10_000, table["population"])
    table["training_pool"] = table["animators_referenced"]
    table["priority_rank"] = priority_ranks(table)
    table.index.name = key
    return table


def priority_ranks(table: pd.DataFrame) -> pd.Series:
    """1 for the territory to serve first (see :data:`PRIORITY_RULE`)."""
    order = table.sort_values(
        ["uncovered_population", "mean_accessibility_per_10k"], ascending=[False, True], kind="stable"
    ).index
    return pd.Series(np.arange(1, len(order) + 1), index=order).reindex(table.index)


def _animator_counts(records: pd.DataFrame, territory_of: pd.Series) -> pd.DataFrame:
    located = records.assign(territory=records["insee_code"].map(territory_of))
    located = located[located["territory"].notna() & (located["territory"] != "")]
    # One row per place of a record: a person at several places of a territory counts once there.
    distinct = located.drop_duplicates(["animator_id", "training_status", "territory"])
    by_status = distinct.groupby(["territory", "training_status"]).size().unstack(fill_value=0)
    by_status.columns = [f"animators_{status}" for status in by_status.columns]
    records_of = located.drop_duplicates(["animator_id", "theme", "territory"])
    by_theme = records_of.groupby(["territory", "theme", "training_status"]).size().unstack(
        ["theme", "training_status"], fill_value=0)
    by_theme.columns = [f"{theme}__{status}" for theme, status in by_theme.columns]
    return by_status.join(by_theme, how="outer")


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator / denominator.where(denominator > 0)).astype(float)
