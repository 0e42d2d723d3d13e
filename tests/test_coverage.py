"""Coverage indicators checked against a naive, obviously-correct reference on tiny grids."""

from __future__ import annotations

import math

import access
import numpy as np
import pandas as pd
import pytest

from geo import settings
from geo.coverage import commune_indicators, e2sfca_weight, place_supply
from geo.distances import PointIndex, haversine_km

DEGREE_KM = math.pi * settings.EARTH_RADIUS_KM / 180  # one degree of latitude


def north_of(lat: float, km: float) -> float:
    return lat + km / DEGREE_KM


def naive_weight(d: float) -> float:
    if d <= 10 + 1e-9:
        return 1.0
    if d <= 20 + 1e-9:
        return 0.68
    if d <= 30 + 1e-9:
        return 0.22
    return 0.0


def naive_haversine(lon1, lat1, lon2, lat2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * settings.EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def naive_indicators(communes: pd.DataFrame, animators: pd.DataFrame, radius: float) -> pd.DataFrame:
    """Plain loops over every commune × place pair: slow, and obviously right.

    ``animators`` has one row per place; with ``animator_id``, an animator's k places share
    their supply (1/k each) and count as one animator within reach.
    """
    who = list(animators["animator_id"]) if "animator_id" in animators.columns else list(range(len(animators)))
    supply = [1 / who.count(person) for person in who]
    d = [[naive_haversine(c.lon, c.lat, a.lon, a.lat) for a in animators.itertuples()]
         for c in communes.itertuples()]
    ratio = []
    for j in range(len(animators)):
        demand = sum(c.population * naive_weight(d[i][j]) for i, c in enumerate(communes.itertuples()))
        ratio.append(supply[j] / demand if demand > 0 else 0.0)
    rows = []
    for i in range(len(communes)):
        nearest = min(d[i], default=math.inf)
        rows.append({
            "nearest_km": nearest,
            "animators_within_km": len({who[j] for j, x in enumerate(d[i]) if x <= radius + 1e-9}),
            "covered": nearest <= radius + 1e-9,
            "accessibility_per_10k": 10_000 * sum(ratio[j] * naive_weight(d[i][j]) for j in range(len(animators))),
        })
    return pd.DataFrame(rows, index=communes.index)


def grid(points: list[tuple[float, float, int]]) -> pd.DataFrame:
    return pd.DataFrame(points, columns=["lon", "lat", "population"], index=[f"c{i}" for i in range(len(points))])


def people(points: list[tuple[float, float]]) -> pd.DataFrame:
    return pd.DataFrame(points, columns=["lon", "lat"])


def test_weights_at_the_step_edges():
    assert e2sfca_weight(np.array([10.0, 20.0, 30.0, 30.000001])).tolist() == [1.0, 0.68, 0.22, 0.0]


def test_hand_checked_line_of_communes():
    # Communes at 0, 10, 20, 30 and 45 km north of an animator; populations chosen to divide nicely.
    lat0 = 45.0
    communes = grid([(3.0, north_of(lat0, km), pop) for km, pop in [(0, 1000), (10, 500), (20, 1000), (30, 0),
                                                                     (45, 700)]])
    animators = people([(3.0, lat0)])
    result = commune_indicators(communes, animators, radius_km=15)
    demand = 1000 * 1.0 + 500 * 1.0 + 1000 * 0.68 + 0 * 0.22  # = 2180
    expected = [10_000 * w / demand for w in (1.0, 1.0, 0.68, 0.22, 0.0)]
    assert result["accessibility_per_10k"].tolist() == pytest.approx(expected, rel=1e-12)
    assert result["nearest_km"].tolist() == pytest.approx([0, 10, 20, 30, 45], abs=1e-9)
    assert result["animators_within_km"].tolist() == [1, 1, 0, 0, 0]
    assert result["covered"].tolist() == [True, True, False, False, False]


def test_several_animators_in_one_commune_and_an_unreached_animator():
    communes = grid([(2.0, 46.0, 100), (2.0, north_of(46.0, 12), 300)])
    animators = people([(2.0, 46.0), (2.0, 46.0), (2.0, north_of(46.0, 5)), (9.0, 42.0)])  # last: far away
    result = commune_indicators(communes, animators, radius_km=15)
    expected = naive_indicators(communes, animators, 15)
    pd.testing.assert_frame_equal(result, expected, check_dtype=False, rtol=1e-12)
    assert result.loc["c0", "animators_within_km"] == 3


def test_no_selected_animator():
    communes = grid([(2.0, 46.0, 100)])
    result = commune_indicators(communes, people([]), radius_km=15)
    assert result.loc["c0", "nearest_km"] == math.inf
    assert result.loc["c0", "animators_within_km"] == 0
    assert not result.loc["c0", "covered"]
    assert result.loc["c0", "accessibility_per_10k"] == 0


@pytest.mark.parametrize("seed", range(5))
def test_random_grids_match_the_naive_reference(seed):
    rng = np.random.default_rng(seed)
    communes = grid([(lon, lat, int(pop)) for lon, lat, pop in zip(
        rng.uniform(2, 3, 40), rng.uniform(46, 46.8, 40), rng.integers(0, 5000, 40))])
    animators = people(list(zip(rng.uniform(2, 3, 15), rng.uniform(46, 46.8, 15))))
    result = commune_indicators(communes, animators, radius_km=15)
    pd.testing.assert_frame_equal(result, naive_indicators(communes, animators, 15), check_dtype=False, rtol=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_random_grids_of_animators_at_several_places_match_the_naive_reference(seed):
    rng = np.random.default_rng(seed)
    communes = grid([(lon, lat, int(pop)) for lon, lat, pop in zip(
        rng.uniform(2, 3, 40), rng.uniform(46, 46.8, 40), rng.integers(0, 5000, 40))])
    animators = people(list(zip(rng.uniform(2, 3, 20), rng.uniform(46, 46.8, 20)))).assign(
        animator_id=[f"a{n}" for n in rng.integers(0, 8, 20)], place_id=[f"p{n}" for n in range(20)])
    result = commune_indicators(communes, animators, radius_km=15)
    pd.testing.assert_frame_equal(result, naive_indicators(communes, animators, 15), check_dtype=False, rtol=1e-9)


def test_an_animator_at_three_places_counts_once_split_in_thirds():
    """Hand-checked: one animator at 0, 40 and 80 km, one commune of 300 inhabitants at each place.

    Each place has a supply of 1/3 and a demand of 300 (the other places are beyond 30 km), so each
    commune gets (1/3)/300 per inhabitant, 10,000/900 per 10,000; one animator in total, not three.
    Repeating the rows per theme changes nothing.
    """
    lat0 = 45.0
    communes = grid([(3.0, north_of(lat0, km), 300) for km in (0, 40, 80)])
    places = people([(3.0, north_of(lat0, km)) for km in (0, 40, 80)]).assign(animator_id="ana",
                                                                                place_id=["p0", "p1", "p2"])
    result = commune_indicators(communes, pd.concat([places, places]), radius_km=15)
    assert result["accessibility_per_10k"].tolist() == pytest.approx([10_000 / 900] * 3, rel=1e-12)
    assert result["covered"].all() and result["animators_within_km"].tolist() == [1, 1, 1]
    total = (result["accessibility_per_10k"] / 10_000 * communes["population"]).sum()
    assert total == pytest.approx(1.0, rel=1e-12)  # the supply of one animator, whatever her places
    # Two places within reach of one commune: one animator within reach, her supply still split in thirds.
    close = places.assign(lat=[lat0, north_of(lat0, 5), north_of(lat0, 80)])
    assert commune_indicators(communes, close, radius_km=15).loc["c0", "animators_within_km"] == 1


def test_places_outside_the_view_still_share_the_animators_supply():
    """A view of one territory sees one of her three places: that place still supplies 1/3, not 1."""
    lat0 = 45.0
    communes = grid([(3.0, north_of(lat0, km), 300) for km in (0, 40, 80)])
    places = people([(3.0, north_of(lat0, km)) for km in (0, 40, 80)]).assign(animator_id="ana",
                                                                                place_id=["p0", "p1", "p2"])
    every = commune_indicators(communes, places, radius_km=15)
    in_view = places.assign(person_places=3).iloc[:1]
    alone = commune_indicators(communes.iloc[:1], in_view, radius_km=15)
    assert alone.loc["c0", "accessibility_per_10k"] == pytest.approx(every.loc["c0", "accessibility_per_10k"])
    assert place_supply(in_view).tolist() == [pytest.approx(1 / 3)]


def test_index_agrees_with_brute_force_distances():
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(-5, 9, 300), rng.uniform(41, 51, 300)
    index = PointIndex(lon[:50], lat[:50])
    nearest, which = index.nearest_km(lon[50:], lat[50:])
    brute = haversine_km(lon[50:, None], lat[50:, None], lon[None, :50], lat[None, :50])
    assert nearest == pytest.approx(brute.min(axis=1), rel=1e-12)
    assert (which == brute.argmin(axis=1)).all()
    pairs = index.pairs_within(lon[50:], lat[50:], 60)
    order = np.lexsort((pairs.target, pairs.origin))
    assert np.array_equal(np.column_stack((pairs.origin, pairs.target))[order], np.argwhere(brute <= 60))
    assert pairs.km[order] == pytest.approx(brute[brute <= 60], rel=1e-9)


def test_overseas_communes_get_indicators_and_no_cross_ocean_coverage(reference):
    communes = reference.communes[["lon", "lat", "population"]]
    departement = reference.communes["departement_code"]
    # One animator in each overseas département's prefecture area, none in metropolitan France.
    seats = {"971": (-61.73, 15.99), "972": (-61.07, 14.60), "973": (-52.33, 4.94), "974": (55.45, -20.88),
             "976": (45.23, -12.78)}
    result = commune_indicators(communes, people(list(seats.values())), radius_km=15)
    for code in seats:
        assert result.loc[departement == code, "covered"].any(), code
        assert (result.loc[departement == code, "nearest_km"] < 400).all(), code
    metropolitan = ~departement.str.startswith("97")
    assert not result.loc[metropolitan, "covered"].any()
    assert (result.loc[metropolitan, "accessibility_per_10k"] == 0).all()


@pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning", "ignore::FutureWarning")
def test_same_numbers_as_pysal_access(reference):
    """pysal/access's enhanced_two_stage_fca (default step weights, costs in km) on a real département."""
    communes = reference.communes.loc[reference.communes["departement_code"].isin(["69", "01", "38"]),
                                      ["lon", "lat", "population"]]
    rng = np.random.default_rng(3)
    chosen = rng.choice(len(communes), 150, p=communes["population"] / communes["population"].sum())
    animators = people(list(zip(communes["lon"].to_numpy()[chosen] + rng.normal(0, 0.02, 150),
                                communes["lat"].to_numpy()[chosen] + rng.normal(0, 0.02, 150))))
    # Animators at one to three places each: pysal/access gets each place with its share of supply.
    animators = animators.assign(animator_id=[f"a{n // 2 - (n % 5 == 0)}" for n in range(150)],
                                 place_id=[f"p{n}" for n in range(150)])
    ours = commune_indicators(communes, animators)["accessibility_per_10k"] / 10_000

    pairs = PointIndex(animators["lon"], animators["lat"]).pairs_within(communes["lon"], communes["lat"], 40)
    cost = pd.DataFrame({"origin": communes.index.to_numpy()[pairs.origin], "dest": pairs.target, "cost": pairs.km})
    model = access.Access(
        demand_df=communes.reset_index(), demand_index="insee_code", demand_value="population",
        supply_df=animators.assign(supply=1 / animators.groupby("animator_id")["place_id"].transform("size"),
                                   animator=range(len(animators))), supply_index="animator",
        supply_value="supply", cost_df=cost, cost_origin="origin", cost_dest="dest", cost_name="cost",
    )
    theirs = model.enhanced_two_stage_fca()["e2sfca_supply"].reindex(communes.index).fillna(0.0)
    assert ours.to_numpy() == pytest.approx(theirs.to_numpy(), rel=1e-9, abs=1e-15)
