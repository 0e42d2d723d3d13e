"""Points and places: the animators nearest to a point, the commune under a point."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.distances import haversine_km

# Beyond 30 km an animator no longer counts in a commune's accessibility (the last E2SFCA step of
# geo.coverage): the public finder tells a person when nobody is that near (store/publish.py, finder.js).
NEARBY_KM = 30.0


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
