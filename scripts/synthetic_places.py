"""Places of synthetic form exports, drawn from the real reference geography.

Communes (or arrondissements in Paris, Lyon and Marseille) are weighted by
population, so that the synthetic animators live where people live: many in
big cities, few in rural départements. Points near them, in WGS84 or
Lambert-93, stand for the coordinates some people type.

The other building blocks of the exports (people, dates, messiness) are in
:mod:`scripts.synthetic`. As there, every random choice comes from the
:class:`numpy.random.Generator` given by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyproj
import shapely

from geo import settings as geo_settings
from geo.reference import ReferenceGeography
from scripts.synthetic import text_frame

OVERSEAS_DEPARTEMENTS: tuple[str, ...] = ("971", "972", "973", "974", "976")
CORSICA: tuple[str, ...] = ("2A", "2B")

# Good enough to move a point by a few hundred metres; not a geodesic.
_METRES_PER_DEGREE = 111_320.0


def draw_places(
    reference: ReferenceGeography,
    rows: int,
    rng: np.random.Generator,
    *,
    gap_departements: int = 0,
    minimum_rows: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """Draw one place per row, weighted by population.

    Each département gets a random activity factor (log-normal), since the
    training programmes are not as active everywhere.

    Parameters
    ----------
    reference
        The reference geography.
    rows
        Number of places to draw.
    rng
        Source of randomness.
    gap_departements
        Number of small metropolitan départements left without any place, so
        that coverage gaps show on a map.
    minimum_rows
        Département code -> places drawn there whatever its weight. Mayotte
        has no population in the reference: it is drawn only this way.

    Returns
    -------
    pandas.DataFrame
        One row per place, in random order: ``insee_code``,
        ``arrondissement_code`` (``""`` outside Paris, Lyon and Marseille),
        ``postcode`` (one of the commune's), ``commune`` (official name),
        ``departement_code``, and ``lon``/``lat``, the reference point of the
        commune (of the arrondissement in Paris, Lyon and Marseille).
    """
    minimum_rows = dict(minimum_rows or {})
    communes = reference.communes
    links, first_link, link_count = _links_by_commune(reference)
    # A commune without postcode (one, in 2025) could not be written in a form.
    located = link_count > 0
    intensity = _departement_intensity(communes, rng, gap_departements, protected=set(minimum_rows))
    weights = communes["population"].to_numpy(dtype=float) * intensity * located
    guaranteed = [
        _draw_in_departement(communes, located, departement, count, rng)
        for departement, count in sorted(minimum_rows.items())
    ]
    remaining = rows - sum(len(drawn) for drawn in guaranteed)
    drawn = rng.choice(len(communes), size=remaining, p=weights / weights.sum())
    positions = rng.permutation(np.concatenate([*guaranteed, drawn]))
    chosen_links = first_link[positions] + (rng.random(len(positions)) * link_count[positions]).astype(int)
    return _places_of(positions, links.iloc[chosen_links], reference)


def _links_by_commune(reference: ReferenceGeography) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Postcode links grouped by commune, with each commune's first link and number of links.

    Returns
    -------
    tuple
        The links (sorted by commune position, then postcode), and per
        commune (in the order of ``reference.communes``) the position of its
        first link and its number of links.
    """
    communes = reference.communes
    links = reference.postcodes.sort_values(["insee_code", "postcode", "arrondissement_code"])
    commune_position = communes.index.get_indexer(links["insee_code"])
    order = np.argsort(commune_position, kind="stable")
    links = links.iloc[order].reset_index(drop=True)
    commune_position = commune_position[order]
    first = np.searchsorted(commune_position, np.arange(len(communes)))
    count = np.bincount(commune_position, minlength=len(communes))
    return links, first, count


def _departement_intensity(
    communes: pd.DataFrame, rng: np.random.Generator, gaps: int, protected: set[str]
) -> np.ndarray:
    """Activity factor of each commune's département; zero in the gap départements."""
    population = communes.groupby("departement_code")["population"].sum().sort_index()
    factor = pd.Series(rng.lognormal(0.0, 0.5, size=len(population)), index=population.index)
    metropolitan = population[~population.index.isin(OVERSEAS_DEPARTEMENTS) & ~population.index.isin(protected)]
    # Gaps are rural départements: a big city without any animator would not look real.
    candidates = metropolitan[metropolitan < metropolitan.median()].index.to_numpy()
    factor.loc[rng.choice(candidates, size=gaps, replace=False)] = 0.0
    return communes["departement_code"].map(factor).to_numpy(dtype=float)


def _draw_in_departement(
    communes: pd.DataFrame, located: np.ndarray, departement: str, count: int, rng: np.random.Generator
) -> np.ndarray:
    """Positions of ``count`` communes of a département, weighted by population (uniform if it has none)."""
    pool = np.flatnonzero((communes["departement_code"] == departement).to_numpy() & located)
    weights = communes["population"].to_numpy(dtype=float)[pool]
    if weights.sum() == 0:
        weights = np.ones(len(pool))
    return pool[rng.choice(len(pool), size=count, p=weights / weights.sum())]


def _places_of(positions: np.ndarray, links: pd.DataFrame, reference: ReferenceGeography) -> pd.DataFrame:
    """The drawn communes, with their chosen postcode link and reference point."""
    communes = reference.communes
    arrondissement = links["arrondissement_code"].to_numpy(dtype=object)
    lon = communes["lon"].to_numpy(dtype=float)[positions]
    lat = communes["lat"].to_numpy(dtype=float)[positions]
    in_arrondissement = arrondissement != ""
    arrondissement_points = shapely.point_on_surface(
        reference.arrondissements.geometry.reindex(arrondissement[in_arrondissement]).to_numpy()
    )
    lon[in_arrondissement] = shapely.get_x(arrondissement_points)
    lat[in_arrondissement] = shapely.get_y(arrondissement_points)
    places = text_frame(
        {
            "insee_code": communes.index.to_numpy(dtype=object)[positions],
            "arrondissement_code": arrondissement,
            "postcode": links["postcode"].to_numpy(dtype=object),
            "commune": communes["nom"].to_numpy(dtype=object)[positions],
            "departement_code": communes["departement_code"].to_numpy(dtype=object)[positions],
        }
    )
    return places.assign(lon=lon, lat=lat)


def points_near(
    places: pd.DataFrame, reference: ReferenceGeography, rng: np.random.Generator, metres: float
) -> tuple[np.ndarray, np.ndarray]:
    """Move each place's reference point by less than ``metres``, staying inside its contour.

    Parameters
    ----------
    places
        Places from :func:`draw_places`.
    reference
        The reference geography (contours of communes and arrondissements).
    rng
        Source of randomness.
    metres
        Largest move.

    Returns
    -------
    tuple of numpy.ndarray
        Longitudes and latitudes (WGS84). A move that would leave the contour
        is cancelled; NaN where even the reference point is outside the
        simplified contour (or the commune has none), since such a point
        would be placed in a neighbouring commune.
    """
    arrondissement = places["arrondissement_code"].to_numpy(dtype=object)
    in_arrondissement = arrondissement != ""
    communes = reference.communes
    contours = communes.geometry.to_numpy()[communes.index.get_indexer(places["insee_code"])]
    contours[in_arrondissement] = (
        reference.arrondissements.geometry.reindex(arrondissement[in_arrondissement]).to_numpy()
    )
    base_lon, base_lat = places["lon"].to_numpy(), places["lat"].to_numpy()
    distance = metres * np.sqrt(rng.random(len(places)))  # uniform over the disc
    bearing = rng.random(len(places)) * 2 * np.pi
    lat = base_lat + distance * np.cos(bearing) / _METRES_PER_DEGREE
    lon = base_lon + distance * np.sin(bearing) / (_METRES_PER_DEGREE * np.cos(np.radians(base_lat)))
    moved_inside = shapely.contains_xy(contours, lon, lat)
    lon, lat = np.where(moved_inside, lon, base_lon), np.where(moved_inside, lat, base_lat)
    outside = ~shapely.contains_xy(contours, lon, lat)
    lon[outside], lat[outside] = np.nan, np.nan
    return lon, lat


def to_lambert93(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 longitudes and latitudes to Lambert-93 x and y (metres)."""
    transformer = pyproj.Transformer.from_crs(geo_settings.WGS84, geo_settings.LAMBERT93, always_xy=True)
    return transformer.transform(lon, lat)
