"""Rule 2: coordinates (lat/lon, a combined field, x/y in degrees or Lambert-93), placed by point-in-polygon.

Coordinates that fall in another commune than the one the postcode and the commune column agree
on are read there when they are close to its contour, and ignored with a reason otherwise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
import shapely.ops

from core.text import fold
from geo.distances import haversine_km
from loaders.geocoding import wording
from loaders.geocoding.distinct import distinct, distinct_rows, stripped
from loaders.geocoding.indexes import Indexes
from loaders.geocoding.kinds import OutcomeKind
from loaders.geocoding.names import ARRONDISSEMENT_COMMUNES
from loaders.geocoding.outcomes import Outcome, Place, RuleOutcomes

COORDINATE_FIELDS: tuple[str, ...] = ("lat", "lon", "coordinates", "x", "y")
IMPLAUSIBLE_COORDINATES_KM = 20.0  # beyond this, coordinates contradicting postcode + commune are a copy error
CONTOUR_MARGIN_KM = 0.5  # contours are simplified: a point this close to a commune's contour may lie in it
SNAP_DEGREES = 0.01  # about 1 km: simplified contours cut harbours and beaches
LAMBERT93_BOUNDS = ((50_000.0, 1_300_000.0), (6_000_000.0, 7_200_000.0))

_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


@dataclass(frozen=True)
class _Readings:
    """One candidate point per row, read from coordinates in one of the ways they may be written."""

    lon: np.ndarray
    lat: np.ndarray
    note: np.ndarray
    valid: np.ndarray  # the row has this reading



class Coordinates(Indexes):
    """Rule 2 over the reference's commune and arrondissement contours."""

    def locate_points(self, lon: Sequence[float], lat: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
        """Point-in-polygon for WGS84 points.

        Returns
        -------
        tuple of numpy.ndarray
            For each point, the INSEE code of the commune holding it (``None``
            when no contour is within :data:`SNAP_DEGREES`) and its arrondissement
            code (``""`` outside Paris, Lyon and Marseille).
        """
        points = shapely.points(lon, lat)
        codes = self.communes.index.to_numpy()
        insee = np.full(len(points), None, dtype=object)
        point_index, commune_index = self._tree.query(points, predicate="within")
        # Simplified contours overlap a little: a point inside two goes to the first the tree gives.
        inside, first = np.unique(point_index, return_index=True)
        insee[inside] = codes[commune_index[first]]
        outside = np.setdiff1d(np.arange(len(points)), inside)
        if len(outside):
            near_point, near_commune = self._tree.query_nearest(
                points[outside], max_distance=SNAP_DEGREES, all_matches=False
            )
            insee[outside[near_point]] = codes[near_commune]
        return insee, self._arrondissements(points, insee)

    def _arrondissements(self, points: np.ndarray, insee: np.ndarray) -> np.ndarray:
        arrondissement = np.full(len(points), "", dtype=object)
        split = np.flatnonzero(pd.Series(insee, dtype=object).isin(sorted(ARRONDISSEMENT_COMMUNES)).to_numpy())
        if not len(split):
            return arrondissement
        point_index, arrondissement_index = self._arrondissement_tree.query(points[split], predicate="within")
        # A point inside two arrondissement contours goes to the last the tree gives.
        reversed_first = np.unique(point_index[::-1], return_index=True)[1]
        last = len(point_index) - 1 - reversed_first
        codes = self.reference.arrondissements.index.to_numpy()
        arrondissement[split[point_index[last]]] = codes[arrondissement_index[last]]
        return arrondissement

    def read_coordinates(self, texts: Mapping[str, np.ndarray]) -> tuple[list[_Readings], np.ndarray]:
        """Candidate WGS84 points of many rows, in the order they are tried, and why a row has none.

        The ways of writing coordinates are read in turn: latitude/longitude
        columns, the combined field, x/y columns. Unreadable text stops the
        reading of its row: the reason is kept and the later ways are ignored.

        Parameters
        ----------
        texts
            Stripped text of each field of :data:`COORDINATE_FIELDS` present, one per row.

        Returns
        -------
        tuple
            Two readings (given order, swapped) per way of writing, and per row
            the reason why its coordinates are unreadable (``None`` if they are not).
        """
        rows = len(next(iter(texts.values()), ()))
        text = {name: texts.get(name, np.full(rows, "", dtype=object)) for name in COORDINATE_FIELDS}
        reasons = np.full(rows, None, dtype=object)
        reading = np.ones(rows, dtype=bool)
        readings: list[_Readings] = []
        ways: tuple[tuple[str, tuple[np.ndarray, ...], Callable[[int], str]], ...] = (
            (wording.LAT_LON, _two_columns(text["lat"], text["lon"]),
             lambda i: wording.unreadable_lat_lon(text["lat"][i], text["lon"][i])),
            (wording.COMBINED, _combined_field(text["coordinates"]),
             lambda i: wording.unreadable_combined(text["coordinates"][i])),
            (wording.X_Y, _two_columns(text["y"], text["x"]),
             lambda i: wording.unreadable_x_y(text["x"][i], text["y"][i])),
        )
        for label, (given, first, second, readable), reason in ways:
            given = given & reading
            unreadable = given & ~readable
            reasons[unreadable] = [reason(i) for i in np.flatnonzero(unreadable)]
            readings += self._orientations(first, second, given & readable, label)
            reading &= ~unreadable
        return readings, reasons

    def _orientations(self, first: np.ndarray, second: np.ndarray, given: np.ndarray, label: str) -> list[_Readings]:
        """Given-order then swapped readings of pairs written as (lat, lon) or Lambert-93 (y, x).

        A Lambert-93 pair is converted, in its given order if it fits the
        ranges, else swapped; it has no other reading.
        """
        lambert = given & _is_lambert93(second, first)
        lambert_swapped = given & ~lambert & _is_lambert93(first, second)
        projected = lambert | lambert_swapped
        degrees = given & ~projected
        lon, lat = second.copy(), first.copy()
        if projected.any():
            x, y = np.where(lambert, second, first)[projected], np.where(lambert, first, second)[projected]
            lon[projected], lat[projected] = self._lambert_to_wgs84.transform(x, y)
        note = np.full(len(given), "", dtype=object)
        note[lambert] = wording.lambert_converted(label)
        note[lambert_swapped] = wording.lambert_swapped_converted(label)
        in_order = projected | (degrees & (np.abs(first) <= 90) & (np.abs(second) <= 180))
        swapped = degrees & (np.abs(second) <= 90) & (np.abs(first) <= 180)
        swapped_note = np.full(len(given), wording.swapped(label), dtype=object)
        return [_Readings(lon, lat, note, in_order), _Readings(first, second, swapped_note, swapped)]

    def place_coordinates(self, texts: Mapping[str, np.ndarray]) -> tuple[list[Outcome], np.ndarray]:
        """Rule 2 for many rows at once (one point-in-polygon call per reading, for the rows still unplaced).

        Parameters
        ----------
        texts
            Stripped text of each field of :data:`COORDINATE_FIELDS` present, one per row.

        Returns
        -------
        tuple
            The outcome of each row, and the (lon, lat) point that placed it,
            shape (rows, 2), NaN where none did.
        """
        readings, reasons = self.read_coordinates(texts)
        rows = len(reasons)
        nothing = Outcome()
        outcomes = [nothing if reason is None else Outcome(reason=reason, kind=OutcomeKind.UNREADABLE_COORDINATES)
                    for reason in reasons.tolist()]
        points = np.full((rows, 2), np.nan)
        unplaced = np.ones(rows, dtype=bool)
        # Rows placed in one commune by the same reading share one outcome.
        made: dict[tuple[str, str, str], Outcome] = {}
        # The first reading located places the row: later readings are located only for rows still unplaced.
        for reading in readings:
            # 0, 0 is what some tools write for "no coordinates": it is read, never located.
            tried = np.flatnonzero(unplaced & reading.valid & ~((reading.lon == 0) & (reading.lat == 0)))
            insee, arrondissement = self.locate_points(reading.lon[tried], reading.lat[tried])
            located = pd.notna(insee)
            for row, key in zip(tried[located].tolist(), zip(insee[located], arrondissement[located],
                                                             reading.note[tried[located]])):
                if key not in made:
                    code, part, note = key
                    made[key] = Outcome(Place(code, part), (note,) if note else (), kind=OutcomeKind.COORDINATES)
                outcomes[row] = made[key]
            placed = tried[located]
            points[placed, 0], points[placed, 1] = reading.lon[placed], reading.lat[placed]
            unplaced[placed] = False
        valid = np.column_stack([reading.valid for reading in readings])
        for row in np.flatnonzero(unplaced & valid.any(axis=1)).tolist():
            first = readings[int(valid[row].argmax())]
            point = wording.quoted_point(first.lon[row], first.lat[row])
            outcomes[row] = Outcome(reason=wording.outside_coverage(point), quoted_point=point,
                                    kind=OutcomeKind.COORDINATES_OUTSIDE_COVERAGE)
        return outcomes, points

    def distance_to_commune_km(self, point: tuple[float, float], insee_code: str) -> float:
        """Great-circle distance from a (lon, lat) point to the nearest edge of a commune's contour."""
        contour = self.contour_of[insee_code]
        if contour.is_empty:
            return float(haversine_km(*point, *self.point_of[insee_code]))
        nearest = shapely.ops.nearest_points(contour, shapely.Point(point))[0]
        return float(haversine_km(*point, nearest.x, nearest.y))

def _number(text: str) -> float | None:
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _numbers(texts: np.ndarray) -> np.ndarray:
    """:func:`_number` of each text, NaN where it is unreadable, computed once per distinct text."""
    positions, found = distinct(texts)
    values = [_number(text) for text in found.tolist()]
    return np.array([np.nan if value is None else value for value in values], dtype=float)[positions]


def _two_columns(first_text: np.ndarray, second_text: np.ndarray) -> tuple[np.ndarray, ...]:
    """Coordinates in two columns: whether given, both numbers, whether readable."""
    given = (first_text != "") | (second_text != "")
    first, second = _numbers(first_text), _numbers(second_text)
    return given, first, second, ~np.isnan(first) & ~np.isnan(second)


def _combined_numbers(text: str) -> tuple[float, float] | None:
    """The two numbers of a combined field, latitude (or y) first; ``None`` unless there are two."""
    numbers = [float(n.replace(",", ".")) for n in _NUMBER.findall(text)]
    if len(numbers) != 2:
        return None
    first, second = numbers
    if "point" in fold(text):  # WKT is "POINT(lon lat)"
        first, second = second, first
    return first, second


def _combined_field(texts: np.ndarray) -> tuple[np.ndarray, ...]:
    """Coordinates in one field: whether given, both numbers, whether readable (once per distinct text)."""
    positions, found = distinct(texts)
    pairs = [_combined_numbers(text) for text in found.tolist()]
    readable = np.array([pair is not None for pair in pairs], dtype=bool)
    first, second = (np.array([pair[i] if pair else np.nan for pair in pairs], dtype=float) for i in (0, 1))
    return texts != "", first[positions], second[positions], readable[positions]


def _is_lambert93(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    (x_min, x_max), (y_min, y_max) = LAMBERT93_BOUNDS
    return (x_min <= x) & (x <= x_max) & (y_min <= y) & (y <= y_max)


def coordinates_column(frame: pd.DataFrame, gazetteer: Coordinates) -> tuple[RuleOutcomes, np.ndarray]:
    """Rule 2 on the distinct coordinate fields of the rows, and the (lon, lat) point that placed each row."""
    fields = [name for name in COORDINATE_FIELDS if name in frame]
    if not fields:
        return RuleOutcomes.interned([Outcome()], np.zeros(len(frame), dtype=np.intp)), np.full((len(frame), 2), np.nan)
    texts = {name: stripped(frame[name]) for name in fields}
    positions, first_rows = distinct_rows([codes for codes, _ in texts.values()])
    outcomes, points = gazetteer.place_coordinates({name: texts_of_field[codes[first_rows]]
                                                    for name, (codes, texts_of_field) in texts.items()})
    return RuleOutcomes.interned(outcomes, positions), points[positions]


def coordinates_against_fields(
    by_insee: RuleOutcomes, by_coordinates: RuleOutcomes, by_name: RuleOutcomes, points: np.ndarray,
    gazetteer: Coordinates,
) -> RuleOutcomes:
    """Rule 2 where the postcode and the commune column agree on another commune than the coordinates.

    Only where rule 1 placed nothing, so that the coordinates would win. Two fields that agree
    (:attr:`Outcome.agreed`) beat the coordinates: see :func:`against_fields`.
    """
    coordinates_commune = by_coordinates.values(lambda o: o.place.insee_code if o.place else "")
    agreed_commune = by_name.values(lambda o: o.place.insee_code if o.agreed else "")
    contradicted = np.flatnonzero(
        ~by_insee.placed
        & (coordinates_commune != "") & (agreed_commune != "") & (coordinates_commune != agreed_commune)
    )
    if not len(contradicted):
        return by_coordinates
    outcomes, codes = list(by_coordinates.outcomes), by_coordinates.codes.copy()
    for row in contradicted.tolist():
        point = (float(points[row, 0]), float(points[row, 1]))
        fields = by_name.outcomes[by_name.codes[row]]
        outcomes.append(against_fields(point, outcomes[codes[row]], fields, gazetteer))
        codes[row] = len(outcomes) - 1
    return RuleOutcomes(tuple(outcomes), codes)


def against_fields(
    point: tuple[float, float], coordinates: Outcome, fields: Outcome, gazetteer: Coordinates,
) -> Outcome:
    """What coordinates placed in another commune than the one the postcode and the commune agree on say.

    Within :data:`CONTOUR_MARGIN_KM` of that commune, they are read in it (contours are simplified)
    and keep their point. Farther, they are ignored with a reason, and rule 3 places the row: beyond
    :data:`IMPLAUSIBLE_COORDINATES_KM` they are a copy error (real hub exports: Lille coordinates on a
    Bourges address), nearer they usually point at a neighbour (a geocoder's guess, a postcode's centre).
    """
    named = fields.place.insee_code
    fields_name = gazetteer.name_of[named]
    distance = gazetteer.distance_to_commune_km(point, named)
    if distance <= CONTOUR_MARGIN_KM:
        return Outcome(fields.place, (*coordinates.notes, wording.near_contour(distance, fields_name)),
                       kind=OutcomeKind.COORDINATES_NEAR_CONTOUR)
    quoted = wording.quoted_point(*point)
    if distance > IMPLAUSIBLE_COORDINATES_KM:
        return Outcome(reason=wording.far_from_fields(quoted, distance, fields_name),
                       kind=OutcomeKind.COORDINATES_FAR_FROM_FIELDS, quoted_point=quoted)
    neighbour = gazetteer.name_of[coordinates.place.insee_code]
    return Outcome(reason=wording.in_neighbour(quoted, neighbour, distance, fields_name),
                   kind=OutcomeKind.COORDINATES_IN_NEIGHBOUR, quoted_point=quoted)


