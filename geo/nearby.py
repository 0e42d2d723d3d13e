"""The animators nearest to a point, for the public search."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.distances import haversine_km


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
