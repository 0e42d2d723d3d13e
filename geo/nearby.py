"""Points and places: the animators nearest to a point, how near they are, the commune under a point."""

from __future__ import annotations

import enum

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.distances import haversine_km

# Beyond 30 km an animator no longer counts in a commune's accessibility (the last E2SFCA step of
# geo.coverage): a person told « the nearest » must also be told when nobody is that near.
NEARBY_KM = 30.0


class Reach(enum.Enum):
    """How many of the listed animators are within :data:`NEARBY_KM`."""

    ALL_NEAR = "all_near"
    SOME_FAR = "some_far"
    NONE_NEAR = "none_near"


def nearest(points: pd.DataFrame, lon: float, lat: float, limit: int) -> pd.DataFrame:
    """The ``limit`` rows of ``points`` closest to (``lon``, ``lat``), nearest first.

    Parameters
    ----------
    points
        Rows with ``lon`` and ``lat`` in degrees (WGS84).
    lon, lat
        The searched point.
    limit
        How many rows to keep.

    Returns
    -------
    pandas.DataFrame
        The chosen rows with a ``distance_km`` column (great-circle distance). Equal distances
        keep the order of ``points``.

    Examples
    --------
    >>> points = pd.DataFrame({"name": ["far", "near", "same"], "lon": [3.0, 2.1, 2.0], "lat": [48.0] * 3})
    >>> nearest(points, 2.0, 48.0, 2)[["name", "distance_km"]].round(1).to_dict("list")
    {'name': ['same', 'near'], 'distance_km': [0.0, 7.4]}
    """
    km = haversine_km(lon, lat, points["lon"].to_numpy(dtype=float), points["lat"].to_numpy(dtype=float))
    order = np.argsort(km, kind="stable")[:limit]
    return points.iloc[order].assign(distance_km=km[order])


def commune_at(communes: gpd.GeoDataFrame, lon: float, lat: float) -> str | None:
    """The code of the commune whose contour contains the point, ``None`` outside every commune.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> squares = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], index=["A", "B"])
    >>> commune_at(squares, 1.5, 0.5), commune_at(squares, 5.0, 5.0)
    ('B', None)
    """
    hits = communes.sindex.query(shapely.Point(lon, lat), predicate="intersects")
    return str(communes.index[hits.min()]) if len(hits) else None


def reach(distances_km: np.ndarray | pd.Series, within_km: float = NEARBY_KM) -> tuple[Reach, int]:
    """Whether the listed animators (nearest first) are all, partly or not at all within ``within_km``.

    Returns
    -------
    tuple[Reach, int]
        The kind, and how many are within ``within_km`` (they come first in a nearest-first list).

    Examples
    --------
    >>> reach([0.4, 12.0]), reach([3.0, 45.0, 233.0]), reach([233.1, 240.0])
    ((<Reach.ALL_NEAR: 'all_near'>, 2), (<Reach.SOME_FAR: 'some_far'>, 1), (<Reach.NONE_NEAR: 'none_near'>, 0))
    """
    near = int(np.count_nonzero(np.asarray(distances_km, dtype=float) <= within_km))
    if near == 0:
        return Reach.NONE_NEAR, 0
    return (Reach.ALL_NEAR if near == len(distances_km) else Reach.SOME_FAR), near


Corner = tuple[float, float]


def bounds(lats: np.ndarray | pd.Series, lons: np.ndarray | pd.Series) -> tuple[Corner, Corner]:
    """South-west and north-east corners of the box holding every point, to fit a map on them.

    Examples
    --------
    >>> bounds([41.9, 43.3, 43.1], [8.7, 5.4, 6.0])
    ((41.9, 5.4), (43.3, 8.7))
    """
    lats, lons = np.asarray(lats, dtype=float), np.asarray(lons, dtype=float)
    return (float(lats.min()), float(lons.min())), (float(lats.max()), float(lons.max()))
