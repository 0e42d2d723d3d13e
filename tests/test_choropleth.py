"""Simplified territory layers on the real reference, and legend classes against naive references."""

from __future__ import annotations

import json
import math
import re
from fractions import Fraction

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from geo import settings
from geo.choropleth import (
    COORDINATE_DECIMALS,
    METRIC_CRS_BY_DEPARTEMENT,
    class_breaks,
    classify,
    geojson_payload,
    metropolitan_bounds,
    simplified_territories,
    single_value_classes,
)

# Shared edges are identical after simplification, so the only overlap left is floating-point
# noise of the area computations (measured below 0.01 m²); a single vertex moved by the
# rounding grid (about 10 m) along a 1 km edge would already overlap about 5,000 m².
OVERLAP_NOISE_M2 = 1.0
# Neighbours sharing a boundary longer than two rounding cells (about 2 × 11 m) must still
# share an edge; a shorter one may legitimately shrink to a point when rounded.
NEIGHBOUR_BORDER_M = 25.0
# Budgets of the issue are 2 MB (national EPCI) and 1 MB (a département's communes) for the whole
# map; geometry must leave room for markers and indicators.
EPCI_GEOMETRY_BUDGET = 1_300_000
COMMUNE_GEOMETRY_BUDGET = 700_000
BIGGEST_DEPARTEMENTS = ("62", "02", "80", "76", "57")
_TOO_PRECISE = re.compile(rf"\d\.\d{{{COORDINATE_DECIMALS + 1},}}|\de-")


@pytest.fixture(scope="module")
def national_epcis(reference) -> gpd.GeoDataFrame:
    return simplified_territories(reference, "epci")


def payload_bytes(frame: gpd.GeoDataFrame) -> int:
    return len(json.dumps(geojson_payload(frame, ["nom"])))


def assert_still_a_coverage(original: gpd.GeoDataFrame, simplified: gpd.GeoDataFrame, crs: str) -> None:
    """No overlap, no new gap, and every real pair of neighbours still shares an edge."""
    before = original.loc[simplified.index].to_crs(crs).geometry.to_numpy()
    after = simplified.to_crs(crs).geometry.to_numpy()
    assert shapely.coverage_is_valid(after)
    union = shapely.union_all(after)
    assert shapely.area(after).sum() - union.area < OVERLAP_NOISE_M2
    original_holes = shapely.union_all(_holes(shapely.union_all(before)))
    assert all(hole.intersects(original_holes) for hole in _holes(union)), "simplification opened a gap"
    for first, second in _neighbours(before):
        shared = shapely.intersection(shapely.boundary(after[first]), shapely.boundary(after[second]))
        assert shapely.length(shared) > 0, (simplified.index[first], simplified.index[second])


def _holes(polygonal: shapely.Geometry) -> list[shapely.Polygon]:
    return [shapely.Polygon(ring) for part in shapely.get_parts(polygonal) for ring in part.interiors]


def _neighbours(geometries: np.ndarray) -> list[tuple[int, int]]:
    """Pairs sharing more than NEIGHBOUR_BORDER_M of boundary (within 1 m: the source overlaps a little)."""
    first, second = shapely.STRtree(geometries).query(geometries, predicate="intersects")
    pairs = first < second
    first, second = first[pairs], second[pairs]
    border = shapely.length(shapely.intersection(shapely.boundary(geometries[first]),
                                                 shapely.buffer(geometries[second], 1.0)))
    chosen = border > NEIGHBOUR_BORDER_M
    return list(zip(first[chosen], second[chosen]))


def test_national_epci_layer_stays_a_coverage(reference, national_epcis):
    metropolitan = national_epcis[~national_epcis.index.isin(_overseas_epcis(reference))]
    assert_still_a_coverage(reference.epcis, metropolitan, settings.LAMBERT93)


@pytest.mark.parametrize("departement", ["35", "2A", "974"])
def test_commune_layer_of_a_departement_stays_a_coverage(reference, departement):
    layer = simplified_territories(reference, "commune", departement=departement)
    crs = METRIC_CRS_BY_DEPARTEMENT.get(departement, settings.LAMBERT93)
    assert_still_a_coverage(reference.communes, layer, crs)


@pytest.mark.parametrize("level", ["epci", "departement", "region"])
def test_every_national_territory_keeps_a_valid_contour(reference, level):
    layer = simplified_territories(reference, level)
    source = {"epci": reference.epcis, "departement": reference.departements, "region": reference.regions}[level]
    assert layer.index.equals(source.index)
    assert layer.crs == settings.WGS84
    assert list(layer.columns) == ["nom", "geometry"]
    assert not layer.geometry.is_empty.any()
    assert layer.geometry.is_valid.all()
    assert set(layer.geom_type) <= {"Polygon", "MultiPolygon"}


def test_communes_without_contour_are_left_out(reference):
    layer = simplified_territories(reference, "commune", departement="15")
    communes = reference.communes[reference.communes["departement_code"] == "15"]
    assert set(communes.index) - set(layer.index) == {"15031", "15035", "15047", "15171"}
    assert not layer.geometry.is_empty.any()


def test_simplified_contours_stay_close_to_the_original(reference, national_epcis):
    """Simplification at 1.2 km moves each EPCI's area by a few percent at most."""
    metropolitan = national_epcis[~national_epcis.index.isin(_overseas_epcis(reference))]
    before = shapely.area(reference.epcis.loc[metropolitan.index].to_crs(settings.LAMBERT93).geometry.to_numpy())
    after = shapely.area(metropolitan.to_crs(settings.LAMBERT93).geometry.to_numpy())
    assert np.median(np.abs(after / before - 1)) < 0.01
    assert np.max(np.abs(after / before - 1)) < 0.25


def test_national_epci_payload_fits_the_budget(national_epcis):
    assert payload_bytes(national_epcis) < EPCI_GEOMETRY_BUDGET


@pytest.mark.parametrize("departement", BIGGEST_DEPARTEMENTS)
def test_commune_payload_of_the_biggest_departements_fits_the_budget(reference, departement):
    layer = simplified_territories(reference, "commune", departement=departement)
    assert len(layer) > 700
    assert payload_bytes(layer) < COMMUNE_GEOMETRY_BUDGET


def test_biggest_departements_are_those_with_most_communes(reference):
    counts = reference.communes["departement_code"].value_counts()
    assert set(counts.index[:5]) == set(BIGGEST_DEPARTEMENTS)


def test_coordinates_have_at_most_the_stated_decimals(reference, national_epcis):
    for layer in (national_epcis, simplified_territories(reference, "commune", departement="974")):
        text = json.dumps(geojson_payload(layer, []))
        assert _TOO_PRECISE.search(text) is None
        coordinates = shapely.get_coordinates(layer.geometry.to_numpy())
        assert np.array_equal(np.round(coordinates, COORDINATE_DECIMALS), coordinates)


def test_departement_filter(reference, national_epcis):
    epcis = simplified_territories(reference, "epci", departement="35")
    assert "243500139" in epcis.index  # Rennes Métropole
    assert epcis.index.isin(national_epcis.index).all()
    assert set(epcis.index) == set(reference.communes.loc[reference.communes["departement_code"] == "35", "epci_code"])
    assert simplified_territories(reference, "departement", departement="2A").index.tolist() == ["2A"]
    assert simplified_territories(reference, "region", departement="35").index.tolist() == ["53"]


def test_unknown_level_or_departement_is_refused(reference):
    with pytest.raises(ValueError, match="level"):
        simplified_territories(reference, "canton")
    with pytest.raises(ValueError, match="département"):
        simplified_territories(reference, "commune", departement="99")


def test_layers_are_cached_beside_the_reference(reference, tmp_path):
    first = simplified_territories(reference, "commune", departement="974", cache_dir=tmp_path)
    written = sorted(path.name for path in tmp_path.rglob("choropleth-*.parquet"))
    assert len(written) == 1
    assert written[0].startswith(f"choropleth-commune-974-150m-{COORDINATE_DECIMALS}d-")
    again = simplified_territories(reference, "commune", departement="974", cache_dir=tmp_path)
    assert again.index.equals(first.index)
    assert shapely.equals_exact(again.geometry.to_numpy(), first.geometry.to_numpy(), tolerance=0).all()
    simplified_territories(reference, "commune", departement="974", tolerance_m=300, cache_dir=tmp_path)
    assert len(list(tmp_path.rglob("choropleth-*.parquet"))) == 2


def test_geojson_payload_is_compact_and_json_ready():
    frame = gpd.GeoDataFrame(
        {"nom": ["Ici", None], "rate": [0.5, math.inf], "count": np.array([3, 4], dtype=np.int64),
         "ignored": ["x", "y"]},
        geometry=[shapely.box(1.0, 2.0, 1.5, 2.5), shapely.Polygon()],
        index=["35238", "35288"],
        crs=settings.WGS84,
    )
    payload = geojson_payload(frame, ["nom", "rate", "count"])
    assert set(payload) == {"type", "features"}
    first, second = payload["features"]
    assert set(first) == {"type", "id", "properties", "geometry"}
    assert first["id"] == "35238"
    assert first["properties"] == {"nom": "Ici", "rate": 0.5, "count": 3}
    assert type(first["properties"]["count"]) is int
    assert second["properties"] == {"nom": None, "rate": None, "count": 4}
    assert second["geometry"] is None
    assert json.loads(json.dumps(payload, allow_nan=False))["features"][0]["geometry"]["type"] == "Polygon"


def _overseas_epcis(reference) -> set[str]:
    communes = reference.communes
    return set(communes.loc[communes["departement_code"].isin(METRIC_CRS_BY_DEPARTEMENT), "epci_code"])


# Legend classes, against naive references (pysal/access style: slow and obviously right).


def naive_quantile(values: list[float], share: float) -> float:
    """Hyndman & Fan type 7 (numpy's default): linear between the order statistics.

    Interpolated from the nearer neighbour, as numpy does, so that both round alike.
    """
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    weight = position - below
    if weight >= 0.5:
        return ordered[above] - (ordered[above] - ordered[below]) * (1 - weight)
    return ordered[below] + (ordered[above] - ordered[below]) * weight


def naive_leading_exponent(number: Fraction) -> int:
    exponent = 0
    while Fraction(10) ** (exponent + 1) <= abs(number):
        exponent += 1
    while Fraction(10) ** exponent > abs(number):
        exponent -= 1
    return exponent


def naive_nice_ceiling(value: Fraction, spread: Fraction) -> float:
    """Smallest multiple of 10^(e - 1) not below the value, e the lower leading exponent of value and spread."""
    exponents = [naive_leading_exponent(x) for x in (value, spread) if x != 0]
    if not exponents:
        return 0.0
    step = Fraction(10) ** (min(exponents) - 1)
    return float(math.ceil(value / step) * step)


def naive_class_breaks(values: list[float], classes: int) -> list[float]:
    finite = sorted(v for v in values if math.isfinite(v))
    if not finite:
        return []
    return naive_breaks(finite, classes, Fraction(f"{max(finite) - min(finite):.12g}"))


def naive_breaks(values: list[float], classes: int, spread: Fraction) -> list[float]:
    """Each distinct value a class when they are few; else nice quantiles; when ties merge quantiles, the most
    frequent value is a class and the values below and above share the others in proportion."""
    distinct = sorted(set(values))
    if len(distinct) <= classes:
        return [float(v) for v in distinct]
    quantiles = [Fraction(f"{naive_quantile(values, k / classes):.12g}") for k in range(1, classes)]
    quantiles.append(Fraction(repr(max(values))))
    candidate = sorted({naive_nice_ceiling(value, spread) for value in quantiles})
    if len(candidate) == classes:
        return candidate
    tied = min(distinct, key=lambda v: (-values.count(v), v))
    below, above = [v for v in values if v < tied], [v for v in values if v > tied]
    rest = classes - 1
    if below and above and rest >= 2:
        below_classes = min(max(round(rest * len(below) / len(below + above)), 1), rest - 1)
    else:
        below_classes = 0 if above else rest
    lower = []
    if below_classes:
        lower = [b for b in naive_breaks(below, below_classes, spread) if b < tied]
        if not lower or lower[-1] < max(below):
            lower.append(max(below))
    upper = naive_breaks(above, rest - below_classes, spread) if above else []
    return [*lower, float(tied), *upper]


def naive_classify(values: list[float], breaks: list[float]) -> list[int]:
    classes = []
    for value in values:
        found = -1
        if math.isfinite(value):
            for index, bound in enumerate(breaks):
                if value <= bound:
                    found = index
                    break
        classes.append(found)
    return classes


@pytest.mark.parametrize(
    ("values", "classes", "expected"),
    [
        (list(range(1, 11)), 5, [2.8, 4.6, 6.4, 8.2, 10.0]),
        ([-7.3, -2.2, 4.0], 2, [-2.2, 4.0]),
        ([12, 87, 460, 3_100, 24_000, 870_000], 3, [340.0, 11_000.0, 870_000.0]),  # 335.7 and 10,066.7 rounded up
        ([0.1, 0.2, 0.4, 0.6], 2, [0.3, 0.6]),  # 0.30000000000000004 is float noise, not a value above 0.3
        ([1.0, 1.0000000000001], 1, [1.0000000000001]),  # the maximum is never cut to 12 digits
        # No more distinct values than classes: each value is a class.
        ([5, 5, 5], 5, [5.0]),
        ([0, 0, 0, 100], 4, [0.0, 100.0]),  # shares: covered or not at all
        ([0] * 30 + [100] * 70, 5, [0.0, 100.0]),
        ([1, 2, 3], 5, [1.0, 2.0, 3.0]),
        ([0.1, 0.2], 2, [0.1, 0.2]),
        # Ties: the most frequent value is a class; the others share the values below and above it.
        ([0] * 8 + [50, 60, 70, 80, 90, 100], 5, [0.0, 63.0, 75.0, 88.0, 100.0]),  # quartiles of 50…100
        (list(range(1, 11)) + [100] * 90, 5, [3.3, 5.5, 7.8, 10.0, 100.0]),  # quartiles of 1…10, then 100
        ([1, 2, 3] + [50] * 20 + [97, 98, 99], 5, [2.0, 3.0, 50.0, 98.0, 99.0]),  # two classes each side
        ([math.nan, 3.0, math.inf], 5, [3.0]),
        ([math.nan, math.nan], 5, []),
        ([], 5, []),
    ],
)
def test_class_breaks_on_hand_checked_arrays(values, classes, expected):
    assert class_breaks(values, classes) == expected
    assert naive_class_breaks([float(v) for v in values], classes) == expected


def test_class_breaks_match_the_naive_reference_on_random_arrays():
    rng = np.random.default_rng(7)
    for size in (1, 2, 7, 50):
        for scale in (0.01, 1.0, 1e6):
            values = (rng.lognormal(0, 2, size) * scale).round(3).tolist()
            for classes in (1, 3, 5, 7):
                assert class_breaks(values, classes) == naive_class_breaks(values, classes)


def test_class_breaks_refuse_zero_classes():
    with pytest.raises(ValueError):
        class_breaks([1, 2], classes=0)


@pytest.mark.parametrize(
    ("values", "breaks", "expected"),
    [
        ([0, 0, 0, 100], [0.0, 100.0], [True, True]),
        ([0, 0, 0, 0, 50, 100], [0.0, 75.0, 100.0], [True, False, True]),
        ([1, 2, 3, 4], [2.5, 4.0], [False, False]),
        ([4, 4, math.nan], [4.0], [True]),
        ([1, 9], [1.0, 5.0, 9.0], [True, False, True]),  # an empty class holds no single value
    ],
)
def test_single_value_classes_are_those_whose_values_all_equal_their_upper_break(values, breaks, expected):
    assert single_value_classes(values, breaks) == expected


def test_classify_on_a_hand_checked_array():
    values = [0, 25, 26, 100, 101, math.nan, math.inf, -math.inf, -5]
    assert classify(values, [0, 25, 100]).tolist() == [0, 1, 2, 2, -1, -1, -1, -1, 0]
    assert classify([1.0, math.nan], []).tolist() == [-1, -1]


@given(
    st.lists(st.floats(min_value=-1e9, max_value=1e9) | st.just(math.nan), min_size=0, max_size=30),
    st.integers(min_value=1, max_value=7),
)
def test_class_breaks_and_classify_agree_with_the_naive_references(values, classes):
    breaks = class_breaks(values, classes)
    assert breaks == naive_class_breaks(values, classes)
    assert all(low < high for low, high in zip(breaks, breaks[1:]))
    assert classify(values, breaks).tolist() == naive_classify(values, breaks)
    finite = [v for v in values if math.isfinite(v)]
    assert (classify(finite, breaks) >= 0).all()


# The frame of the national map

# Extreme points of metropolitan France (IGN): Bray-Dunes (Nord), the Lavezzi islands (Corse-du-Sud),
# Ouessant (Finistère), Lauterbourg (Bas-Rhin) and Cap Corse's east coast (Haute-Corse).
EXTREME_POINTS = {"Bray-Dunes": (51.08, 2.52), "Lavezzi": (41.34, 9.25), "Ouessant": (48.46, -5.13),
                  "Lauterbourg": (48.97, 8.23), "Cervione": (42.33, 9.55)}


def test_metropolitan_bounds_hold_the_nord_corsica_and_ouessant_and_nothing_overseas(reference):
    (south, west), (north, east) = metropolitan_bounds(reference)
    for name, (lat, lon) in EXTREME_POINTS.items():
        assert south <= lat <= north and west <= lon <= east, name
    # Nothing overseas widens the frame: it ends within a few kilometres of the extreme points.
    assert (51.08 < north < 51.2, 41.2 < south < 41.35, -5.3 < west < -5.13, 9.55 < east < 9.7) == (True,) * 4


@given(
    st.lists(st.sampled_from([0.0, 12.5, 50.0, 100.0]) | st.floats(min_value=0, max_value=100), min_size=1,
             max_size=60),
    st.integers(min_value=1, max_value=7),
)
def test_tied_values_keep_every_class_meaningful(values, classes):
    """Shares where many territories tie (0 %, 100 %): still a valid classing, and the naive reference's."""
    breaks = class_breaks(values, classes)
    assert breaks == naive_class_breaks(values, classes)
    assert all(low < high for low, high in zip(breaks, breaks[1:]))
    assert len(breaks) <= min(classes, len(set(values)))
    assert (classify(values, breaks) >= 0).all()
