"""Great-circle distances between communes and animators, through a spatial index.

Distances are haversine distances on a sphere of radius
:data:`geo.settings.EARTH_RADIUS_KM`. A k-d tree (scipy ``cKDTree``) over 3-D
unit vectors finds candidate pairs: the straight-line (chord) distance between
unit vectors grows with the great-circle distance, so a chord radius is an exact
great-circle radius, and the great-circle distance follows from the chord
(:func:`km_for_chord`, equal to the haversine distance up to rounding). Only
pairs within the radius are ever computed: no dense communes × animators matrix
is built.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from geo import settings

# Candidates are searched a little beyond the radius, so that a pair exactly at the
# radius is never lost to rounding between the chord and the haversine formulas.
_SEARCH_SLACK_KM = 1e-6


def haversine_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (broadcasts like numpy).

    Examples
    --------
    >>> float(haversine_km(0.0, 0.0, 0.0, 1.0).round(4))
    111.1951
    """
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * settings.EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def unit_vectors(lon, lat) -> np.ndarray:
    """3-D unit vectors of points given in degrees, shape ``(n, 3)``."""
    lon, lat = np.radians(np.asarray(lon, dtype=float)), np.radians(np.asarray(lat, dtype=float))
    return np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))


def chord_for_km(km: float) -> float:
    """Chord length between unit vectors that are ``km`` apart on the sphere."""
    return 2.0 * np.sin(min(km / (2.0 * settings.EARTH_RADIUS_KM), np.pi / 2))


def km_for_chord(chord: np.ndarray) -> np.ndarray:
    """Great-circle distance of unit vectors ``chord`` apart: the haversine distance, from the chord."""
    return 2.0 * settings.EARTH_RADIUS_KM * np.arcsin(np.clip(np.asarray(chord) / 2.0, 0.0, 1.0))


@dataclass(frozen=True)
class Pairs:
    """Sparse (origin, target, distance) triples, in no particular order."""

    origin: np.ndarray
    target: np.ndarray
    km: np.ndarray


class PointIndex:
    """A spatial index over target points (animators) queried from origin points (communes)."""

    def __init__(self, lon, lat) -> None:
        self.lon = np.asarray(lon, dtype=float)
        self.lat = np.asarray(lat, dtype=float)
        self._tree = cKDTree(unit_vectors(self.lon, self.lat)) if len(self.lon) else None

    def __len__(self) -> int:
        return len(self.lon)

    def nearest_km(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        """Distance to, and index of, the nearest target of each origin (``inf`` and -1 without targets)."""
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        if self._tree is None:
            return np.full(len(lon), np.inf), np.full(len(lon), -1)
        _, nearest = self._tree.query(unit_vectors(lon, lat))
        return haversine_km(lon, lat, self.lon[nearest], self.lat[nearest]), nearest

    def pairs_within(self, lon, lat, km: float) -> Pairs:
        """Every (origin, target) pair at most ``km`` apart, with its haversine distance."""
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        empty = np.empty(0, dtype=np.int64)
        if self._tree is None or not len(lon):
            return Pairs(empty, empty, np.empty(0))
        origins = cKDTree(unit_vectors(lon, lat))
        found = origins.sparse_distance_matrix(
            self._tree, chord_for_km(km + _SEARCH_SLACK_KM), output_type="ndarray"
        )
        distance = km_for_chord(found["v"])
        keep = distance <= km
        return Pairs(found["i"][keep].astype(np.int64), found["j"][keep].astype(np.int64), distance[keep])

