"""Offline geocoding of form rows onto communes and EPCIs.

Rules, first that places the row wins (see ``docs/geocoding.md``):

1. an INSEE code, repaired (lost leading zero, 2A/2B; a postcode or a commune
   name typed in the INSEE field is read as such);
2. coordinates (lat/lon, a combined "lat, lon" field, swapped, Lambert-93 x/y,
   comma decimals), placed by point-in-polygon;
3. the agreement of the evidence: the postcode + commune name (articles,
   St/Ste, CEDEX, arrondissements, former communes, homonyms, a lost leading
   zero, small typos), then the postcode and city written in the address; when
   the postcode column, the commune column and the address point to different
   communes, two that agree beat one that disagrees, and an even split rejects
   the row;
4. a commune name alone, when it is unique in France.

Every rule is computed on the distinct values of its input columns only, so the
cost grows with the number of distinct places, not of rows. The keys of a rule
(cleaned postcode, name key, numbers of a coordinate field) are computed once
per distinct value of their column, then looked up in the same tables as the
rule for one row; the decision between the rules runs once per distinct
combination of what it reads. When a lower rule names another commune than the
winning one, ``geocode_note`` says so.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from functools import cached_property, lru_cache
from operator import getitem
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyproj
import shapely
import shapely.ops
from rapidfuzz import fuzz, process

from geo import settings as geo_settings
from geo.distances import haversine_km
from geo.reference import ReferenceGeography
from loaders.text import fold

GEOCODE_COLUMNS: tuple[str, ...] = (
    "insee_code",
    "commune",
    "arrondissement_code",
    "epci_code",
    "epci",
    "departement_code",
    "region_code",
    "lat",
    "lon",
    "geocode_precision",
    "geocode_note",
    "reject_reason",
)
LOCATION_FIELDS: tuple[str, ...] = (
    "insee_code", "postcode", "city", "address", "coordinates", "lat", "lon", "x", "y",
)
COORDINATE_FIELDS: tuple[str, ...] = ("lat", "lon", "coordinates", "x", "y")
ARTICLE_TOKENS = frozenset({"le", "la", "les", "l", "aux", "las", "los"})
ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
ARRONDISSEMENT_COMMUNES = frozenset({"75056", "69123", "13055"})
ARRONDISSEMENT_CITIES = {"paris": ("75056", "751", 20), "lyon": ("69123", "6938", 9), "marseille": ("13055", "132", 16)}
UNCOVERED_TERRITORIES = {
    "975": "Saint-Pierre-et-Miquelon",
    "977": "Saint-Barthélemy",
    "978": "Saint-Martin",
    "984": "les Terres australes et antarctiques françaises",
    "986": "Wallis-et-Futuna",
    "987": "la Polynésie française",
    "988": "la Nouvelle-Calédonie",
}
UNCOVERED_POSTCODES = {"97133": "Saint-Barthélemy", "97150": "Saint-Martin"}  # postcodes under Guadeloupe's 971
FUZZY_CUTOFF = 85.0
IMPLAUSIBLE_COORDINATES_KM = 20.0  # beyond this, coordinates contradicting postcode + commune are a copy error
CONTOUR_MARGIN_KM = 0.5  # contours are simplified: a point this close to a commune's contour may lie in it
SNAP_DEGREES = 0.01  # about 1 km: simplified contours cut harbours and beaches
LAMBERT93_BOUNDS = ((50_000.0, 1_300_000.0), (6_000_000.0, 7_200_000.0))

_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
_WHITESPACE = re.compile(r"\s")
_NOT_DIGIT = re.compile(r"\D")
_FOUR_DIGITS = re.compile(r"\d{4}")
_CORSICAN_AS_NUMBER = re.compile(r"20\d{3}")
_TYPED_AS_NUMBER = re.compile(r"[\d\s.]*")
_ADDRESS_SEPARATOR = re.compile(r"[,;\n]")
_POSTCODE_IN_TEXT = re.compile(r"(?<![\d])(\d{2})\s?(\d{3})(?![\d])")
_ARRONDISSEMENT_LABEL = re.compile(
    r"^(paris|lyon|marseille)\s*(\d{1,2})\s*(?:e|eme|er|ere|em|arr|arrondissement)?(?:\s+arr(?:ondissement)?)?$"
)
_OVERSEAS_CODE = re.compile(r"9[78]\d{3}")
_CEDEX = re.compile(r"\bcedex\b(\s*\d+)?")


class Rule(IntEnum):
    """The readings of a row, in the order the first that places it wins (their rank in a decision)."""

    INSEE_CODE = 0
    COORDINATES = 1
    POSTCODE_AND_COMMUNE = 2  # rule 3, first reading
    ADDRESS = 3  # rule 3, second reading
    NAME_ALONE = 4  # rule 4


class InseeField(IntEnum):
    """What the INSEE code field of a row holds."""

    EMPTY = 0
    COMMUNE_CODE = 1  # a commune, arrondissement or former commune code, possibly repaired
    UNCOVERED = 2  # a code of a territory outside the reference
    POSTCODE = 3
    COMMUNE_NAME = 4  # a known commune name (an export header « commune_insee » holding names)
    UNKNOWN = 5


class Borrowed(IntEnum):
    """What a row's empty postcode or commune field takes from its INSEE code field."""

    NOTHING = 0
    POSTCODE = 1
    COMMUNE = 2


BORROWED_NOTES = {Borrowed.POSTCODE: "code postal lu dans le champ code INSEE",
                  Borrowed.COMMUNE: "commune lue dans le champ code INSEE"}


class Source(Enum):
    """The independent evidence weighed by rule 3."""

    POSTCODE = "postcode"  # the postcode column
    COMMUNE = "commune"  # the commune column
    ADDRESS = "address"  # the postcode and city written in the address


SOURCE_FIELDS = {Source.POSTCODE: "le code postal", Source.COMMUNE: "la commune", Source.ADDRESS: "l'adresse"}


class Agreement(Enum):
    """How the evidence of a row agrees (rule 3)."""

    UNANIMOUS = "unanimous"  # no source contradicts the first reading that places the row: it stands
    MAJORITY = "majority"  # two sources agree against a third: their commune is retained, with a note
    SPLIT = "split"  # no commune has more than half of the sources: the row is rejected


# Places and outcomes are named tuples: rows are grouped by them, and tuples hash fast.
class Place(NamedTuple):
    """A commune (and, in Paris, Lyon or Marseille, an arrondissement)."""

    insee_code: str
    arrondissement_code: str = ""


class Outcome(NamedTuple):
    """What one rule says of one row: a place with notes, or a reason why not.

    The point that placed a row by its coordinates is kept beside the outcomes of
    rule 2 (see :meth:`Gazetteer.place_coordinates`), so that rows placed in one
    commune by different points share one outcome.
    """

    place: Place | None = None
    notes: tuple[str, ...] = ()
    reason: str | None = None
    exact: bool = False  # the postcode and the exact commune name agree (strong evidence)
    loose: bool = False  # the name was matched approximately, or outside its known postcode (weak evidence)
    # The postcode and the commune column both designate this commune: ``exact``, or a postcode the reference
    # does not know (CEDEX) and the exact name of a commune of its département. Coordinates do not outvote them.
    agreed: bool = False


class InseeReading(NamedTuple):
    """The INSEE code field of a row as read by rule 1: what it holds, the code repaired, the repairs made."""

    holds: InseeField
    code: str = ""
    notes: tuple[str, ...] = ()


class Weighing(NamedTuple):
    """The decision of rule 3 on the evidence of a row: kept as read, or replaced by ``outcome``."""

    agreement: Agreement
    outcome: Outcome = Outcome()


UNANIMOUS = Weighing(Agreement.UNANIMOUS)


class Blanks(NamedTuple):
    """Whether each postcode and each city cell of a table is blank (read once, asked by several steps)."""

    postcode: np.ndarray
    city: np.ndarray

    @classmethod
    def of(cls, postcodes: pd.Series, cities: pd.Series) -> Blanks:
        """Read from the columns."""
        return cls(_blank(postcodes), _blank(cities))


class _Evidence(NamedTuple):
    """The candidates each source present supports, and what the notes of rule 3 quote of the row."""

    postcode: str  # cleaned
    city_key: str
    city: str  # stripped
    address_postcode: str
    supports: dict[Source, tuple[str, ...]]


@dataclass(frozen=True)
class RuleOutcomes:
    """What one rule says of every row: its outcomes (distinct, unless :meth:`replaced`), and each row's position."""

    outcomes: tuple[Outcome, ...]
    codes: np.ndarray

    @classmethod
    def interned(cls, outcomes: Sequence[Outcome], positions: np.ndarray) -> RuleOutcomes:
        """Make equal outcomes one; row ``i`` says ``outcomes[positions[i]]``."""
        by_value: dict[Outcome, int] = {}
        # Rules memoise their answers, so most outcomes are objects met before: compare each object once.
        by_object: dict[int, int] = {}
        codes = np.array(
            [by_object[key] if (key := id(outcome)) in by_object
             else by_object.setdefault(key, by_value.setdefault(outcome, len(by_value))) for outcome in outcomes],
            dtype=np.intp,
        )
        return cls(tuple(by_value), codes[positions])

    def values(self, read: Callable[[Outcome], object], dtype: type = object) -> np.ndarray:
        """``read`` of each row's outcome, computed once per distinct outcome."""
        return np.array([read(outcome) for outcome in self.outcomes], dtype=dtype)[self.codes]

    @cached_property
    def placed(self) -> np.ndarray:
        """Whether each row's outcome places it (read once: the vote and the decision both need it)."""
        return self.values(lambda outcome: outcome.place is not None, bool)

    def replaced(self, rows: np.ndarray, outcomes: Sequence[Outcome], positions: np.ndarray) -> RuleOutcomes:
        """The same, except that row ``rows[i]`` says ``outcomes[positions[i]]``."""
        codes = self.codes.copy()
        codes[rows] = len(self.outcomes) + positions
        return RuleOutcomes((*self.outcomes, *outcomes), codes)

    def view(self, read: Callable[[Outcome], Hashable]) -> np.ndarray:
        """Per row, a code that two rows share exactly when ``read`` gives equal values of their outcomes."""
        read_values = pd.Series([read(outcome) for outcome in self.outcomes], dtype=object)
        return pd.factorize(read_values, use_na_sentinel=False)[0][self.codes]


@dataclass(frozen=True)
class _Readings:
    """One candidate point per row, read from coordinates in one of the ways they may be written."""

    lon: np.ndarray
    lat: np.ndarray
    note: np.ndarray
    valid: np.ndarray  # the row has this reading


@dataclass(frozen=True)
class NameEntry:
    insee_code: str
    arrondissement_code: str
    label: str
    kind: str  # "commune" | "ancienne commune" | "arrondissement"


@dataclass
class Gazetteer:
    """Indexes over the reference geography for the five geocoding rules."""

    reference: ReferenceGeography = field(repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    def build_indexes(self) -> Gazetteer:
        """Build every index now rather than at first use (once per process: at start, or before timing)."""
        for index in ("communes_by_postcode", "alias_of", "name_of", "departement_of", "point_of", "contour_of",
                      "commune_codes", "territories", "names_by_departement", "_tree", "_arrondissement_tree",
                      "_lambert_to_wgs84"):
            getattr(self, index)
        return self

    @cached_property
    def communes(self) -> pd.DataFrame:
        return self.reference.communes

    @cached_property
    def commune_codes(self) -> frozenset[str]:
        return frozenset(self.communes.index.tolist())

    @cached_property
    def territories(self) -> dict[str, pa.Array]:
        """Name, EPCI, département and région of each commune, in the order of :attr:`communes`.

        Arrow text, to be taken for many rows at once; each array has one more
        value, ``""``, at the end: the territories of "no commune".
        """
        communes = self.communes
        epci_name = dict(zip(self.reference.epcis.index.tolist(), self.reference.epcis["nom"].tolist()))
        columns = {
            "commune": communes["nom"].tolist(),
            "epci_code": communes["epci_code"].tolist(),
            "epci": [epci_name.get(code, "") for code in communes["epci_code"].tolist()],
            "departement_code": communes["departement_code"].tolist(),
            "region_code": communes["region_code"].tolist(),
        }
        return {name: pa.array([*values, ""], type=pa.large_string(), from_pandas=True)
                for name, values in columns.items()}

    @cached_property
    def name_of(self) -> dict[str, str]:
        return dict(zip(self.communes.index.tolist(), self.communes["nom"].tolist()))

    @cached_property
    def departement_of(self) -> dict[str, str]:
        return dict(zip(self.communes.index.tolist(), self.communes["departement_code"].tolist()))

    @cached_property
    def point_of(self) -> dict[str, tuple[float, float]]:
        """Reference point (lon, lat) of each commune."""
        return dict(zip(self.communes.index.tolist(), zip(self.communes["lon"].tolist(),
                                                            self.communes["lat"].tolist())))

    @cached_property
    def contour_of(self) -> dict[str, shapely.Geometry]:
        return dict(zip(self.communes.index.tolist(), self.communes.geometry.to_numpy()))

    @cached_property
    def alias_of(self) -> dict[str, Place]:
        aliases = self.reference.aliases
        return {
            code: Place(parent, arrondissement)
            for code, parent, arrondissement in zip(
                *(aliases[name].tolist() for name in ("alias_code", "insee_code", "arrondissement_code"))
            )
        }

    @cached_property
    def places_by_postcode(self) -> dict[str, tuple[Place, ...]]:
        table = self.reference.postcodes
        grouped: dict[str, list[Place]] = defaultdict(list)
        for postcode, insee, arrondissement in zip(
            *(table[name].tolist() for name in ("postcode", "insee_code", "arrondissement_code"))
        ):
            grouped[postcode].append(Place(insee, arrondissement))
        return {postcode: tuple(places) for postcode, places in grouped.items()}

    @cached_property
    def communes_by_postcode(self) -> dict[str, frozenset[str]]:
        return {
            postcode: frozenset(place.insee_code for place in places)
            for postcode, places in self.places_by_postcode.items()
        }

    @cached_property
    def names(self) -> dict[str, tuple[NameEntry, ...]]:
        index: dict[str, list[NameEntry]] = defaultdict(list)
        communes = self.communes
        for code, full, short in zip(communes.index.tolist(), communes["nom"].tolist(),
                                     communes["nom_sans_article"].tolist()):
            entry = NameEntry(code, "", full, "commune")
            for key in {name_key(full), name_key(short)}:
                index[key].append(entry)
        aliases = self.reference.aliases
        for code, kind, label, parent, arrondissement in zip(
            *(aliases[name].tolist() for name in ("alias_code", "type", "nom", "insee_code", "arrondissement_code"))
        ):
            entry_kind = "arrondissement" if kind == "ARM" else "ancienne commune"
            index[name_key(label)].append(NameEntry(parent, arrondissement, label, entry_kind))
        return {key: _unique(entries) for key, entries in index.items()}

    @cached_property
    def keys_by_commune(self) -> dict[str, tuple[tuple[str, NameEntry], ...]]:
        by_commune: dict[str, list[tuple[str, NameEntry]]] = defaultdict(list)
        for key, entries in self.names.items():
            for entry in entries:
                by_commune[entry.insee_code].append((key, entry))
        return {code: tuple(pairs) for code, pairs in by_commune.items()}

    @cached_property
    def names_by_departement(self) -> dict[str, dict[str, tuple[NameEntry, ...]]]:
        departement_of = self.departement_of
        by_departement: dict[str, dict[str, list[NameEntry]]] = defaultdict(lambda: defaultdict(list))
        for code, pairs in self.keys_by_commune.items():
            for key, entry in pairs:
                by_departement[departement_of[code]][key].append(entry)
        return {dep: {k: tuple(v) for k, v in keys.items()} for dep, keys in by_departement.items()}

    @cached_property
    def _tree(self) -> shapely.STRtree:
        contours = self.communes.geometry.to_numpy()
        shapely.prepare(contours)
        return shapely.STRtree(contours)

    @cached_property
    def _arrondissement_tree(self) -> shapely.STRtree:
        return shapely.STRtree(self.reference.arrondissements.geometry.to_numpy())

    @cached_property
    def _lambert_to_wgs84(self) -> pyproj.Transformer:
        return pyproj.Transformer.from_crs(geo_settings.LAMBERT93, geo_settings.WGS84, always_xy=True)

    # -- rule 1: INSEE codes --------------------------------------------------

    def read_insee_field(self, raw: str) -> InseeReading:
        """What the INSEE code field holds, with a lost leading zero or a Corsican code written 20xxx repaired.

        Not memoised: a table reads each distinct value once, and a memo costs more than the reading.
        """
        code = _WHITESPACE.sub("", raw).upper()
        if not code:
            return InseeReading(InseeField.EMPTY)
        notes: list[str] = []
        if _FOUR_DIGITS.fullmatch(code):
            code = "0" + code
            notes.append(f"code INSEE « {raw.strip()} » complété d'un zéro initial")
        if _CORSICAN_AS_NUMBER.fullmatch(code) and code not in self.commune_codes:
            corsican = [c for c in ("2A" + code[2:], "2B" + code[2:]) if c in self.commune_codes]
            if len(corsican) == 1:
                notes.append(f"code INSEE corse « {raw.strip()} » lu comme {corsican[0]}")
                code = corsican[0]
        if code in self.commune_codes or code in self.alias_of:
            return InseeReading(InseeField.COMMUNE_CODE, code, tuple(notes))
        if _uncovered_territory(code):
            return InseeReading(InseeField.UNCOVERED, code)
        if code in self.places_by_postcode:
            return InseeReading(InseeField.POSTCODE, code)
        if self.named_communes(city_name_key(raw)[0]):
            return InseeReading(InseeField.COMMUNE_NAME, code)
        return InseeReading(InseeField.UNKNOWN, code)

    def resolve_insee(self, raw: str, reading: InseeReading | None = None) -> Outcome:
        """Rule 1: an INSEE code, repaired when needed (``reading``: the field read, when the caller has it)."""
        holds, code, notes = reading or self.read_insee_field(raw)
        if holds is InseeField.EMPTY:
            return Outcome()
        if holds is InseeField.COMMUNE_CODE:
            if code in self.commune_codes:
                return Outcome(Place(code), notes)
            place = self.alias_of[code]
            if place.arrondissement_code:
                return Outcome(place, notes)
            label = self.name_of[place.insee_code]
            return Outcome(place, (*notes, f"code INSEE {code} d'une ancienne commune, rattachée à {label} "
                                           f"({place.insee_code})"))
        if holds is InseeField.UNCOVERED:
            return Outcome(reason=_uncovered_reason(_uncovered_territory(code)))
        if holds is InseeField.POSTCODE:
            return Outcome(reason=f"le champ code INSEE contient « {raw.strip()} », qui est un code postal")
        return Outcome(reason=f"code INSEE « {raw.strip()} » inconnu : vérifiez-le (5 caractères, ex. 01053 "
                              "ou 2A004)")

    # -- rule 2: coordinates --------------------------------------------------

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
            ("latitude/longitude", _two_columns(text["lat"], text["lon"]),
             lambda i: f"latitude « {text['lat'][i]} » / longitude « {text['lon'][i]} » illisibles"),
            ("coordonnées", _combined_field(text["coordinates"]),
             lambda i: f"coordonnées « {text['coordinates'][i]} » illisibles (attendu « latitude, longitude »)"),
            ("x/y", _two_columns(text["y"], text["x"]),
             lambda i: f"coordonnées x « {text['x'][i]} » / y « {text['y'][i]} » illisibles"),
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
        note[lambert] = f"{label} en Lambert-93 converties en WGS84"
        note[lambert_swapped] = f"{label} en Lambert-93 (inversées) converties en WGS84"
        in_order = projected | (degrees & (np.abs(first) <= 90) & (np.abs(second) <= 180))
        swapped = degrees & (np.abs(second) <= 90) & (np.abs(first) <= 180)
        swapped_note = np.full(len(given), f"{label} inversées (longitude avant latitude), remises dans l'ordre",
                               dtype=object)
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
        outcomes = [nothing if reason is None else Outcome(reason=reason) for reason in reasons.tolist()]
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
                    made[key] = Outcome(Place(code, part), (note,) if note else ())
                outcomes[row] = made[key]
            placed = tried[located]
            points[placed, 0], points[placed, 1] = reading.lon[placed], reading.lat[placed]
            unplaced[placed] = False
        valid = np.column_stack([reading.valid for reading in readings])
        for row in np.flatnonzero(unplaced & valid.any(axis=1)).tolist():
            first = readings[int(valid[row].argmax())]
            outcomes[row] = Outcome(reason=f"coordonnées ({first.lat[row]:.5f}, {first.lon[row]:.5f}) hors de toute "
                                           "commune couverte (métropole et DROM)")
        return outcomes, points

    def distance_to_commune_km(self, point: tuple[float, float], insee_code: str) -> float:
        """Great-circle distance from a (lon, lat) point to the nearest edge of a commune's contour."""
        contour = self.contour_of[insee_code]
        if contour.is_empty:
            return float(haversine_km(*point, *self.point_of[insee_code]))
        nearest = shapely.ops.nearest_points(contour, shapely.Point(point))[0]
        return float(haversine_km(*point, nearest.x, nearest.y))

    # -- rule 3, first reading: postcode + commune name ---------------------------------

    def match_postcode_city(self, raw_postcode: str, raw_city: str) -> Outcome:
        """Rule 3, first reading: a postcode and a commune name."""
        if not raw_postcode.strip() and not raw_city.strip():
            return Outcome()
        key = ("pc", raw_postcode, raw_city)
        if key not in self._cache:
            self._cache[key] = self._match_postcode_city(raw_postcode, raw_city)
        return self._cache[key]

    def match_postcode_city_columns(self, postcodes: pd.Series, cities: pd.Series) -> RuleOutcomes:
        """Rule 3 for every row.

        The keys of the rule are computed once per distinct postcode and per
        distinct city, and each distinct pair first goes through
        :meth:`match_keys`, as in :meth:`match_postcode_city`; only the pairs
        that it does not answer need the rule with their texts as written.
        """
        postcode_positions, raw_postcodes = _distinct(postcodes.to_numpy(dtype=object))
        city_positions, raw_cities = _distinct(cities.to_numpy(dtype=object))
        cleaned = [clean_postcode(raw) for raw in raw_postcodes.tolist()]
        keys = [city_name_key(raw) for raw in raw_cities.tolist()]
        width = max(len(keys), 1)
        pair_positions, pairs = pd.factorize(postcode_positions.astype(np.int64) * width + city_positions)
        outcomes = []
        for pair in pairs.tolist():
            p, c = divmod(pair, width)
            (postcode, postcode_notes), (city_key, city_notes) = cleaned[p], keys[c]
            by_keys = self.match_keys(postcode, city_key)
            outcomes.append(_with_spelling_notes(by_keys, postcode_notes + city_notes) if by_keys
                            else self.match_postcode_city(raw_postcodes[p], raw_cities[c]))
        return RuleOutcomes.interned(outcomes, pair_positions)

    def match_keys(self, postcode: str, city_key: str) -> Outcome | None:
        """What rule 3 says from its keys alone, before any spelling note.

        An arrondissement label, or a name key that is exactly the name of one
        commune of the postcode (its former communes and arrondissements
        included). ``None`` when the answer needs the texts as written: a
        missing or unknown postcode, an approximate name, a reason to give.
        """
        memo = ("keys", postcode, city_key)
        if memo not in self._cache:
            self._cache[memo] = self._match_keys(postcode, city_key)
        return self._cache[memo]

    def _match_keys(self, postcode: str, city_key: str) -> Outcome | None:
        arrondissement = self.arrondissement_from_label(city_key)
        if arrondissement:
            return Outcome(arrondissement)
        if not postcode or not city_key or _uncovered_territory(postcode):
            return None
        hits = self._exact_entries(city_key, postcode)
        return self._from_entries(hits, self.places_by_postcode[postcode], exact=True) if hits else None

    def _exact_entries(self, city_key: str, postcode: str) -> list[NameEntry]:
        """Names of the postcode's communes whose key is exactly ``city_key``."""
        communes = self.communes_by_postcode.get(postcode, frozenset())
        return [e for e in self.names.get(city_key, ()) if e.insee_code in communes]

    def _match_postcode_city(self, raw_postcode: str, raw_city: str) -> Outcome:
        postcode, postcode_notes = clean_postcode(raw_postcode)
        city_key, city_notes = city_name_key(raw_city)
        notes = postcode_notes + city_notes
        by_keys = self.match_keys(postcode, city_key)
        if by_keys:
            return _with_spelling_notes(by_keys, notes)
        if not postcode:
            if raw_postcode.strip():
                return Outcome(reason=f"code postal « {raw_postcode.strip()} » invalide (5 chiffres attendus)")
            return Outcome()
        territory = _uncovered_territory(postcode)
        if territory:
            return Outcome(reason=_uncovered_reason(territory))
        in_postcode = self.places_by_postcode.get(postcode, ())
        if not city_key:
            return self._postcode_alone(raw_postcode, postcode, in_postcode, notes)
        # A name shared by several communes of the postcode is not approximated within it.
        if in_postcode and not self._exact_entries(city_key, postcode):
            found = self._approximate_in_postcode(city_key, postcode, raw_city)
            if found:
                return Outcome(found.place, notes + found.notes, loose=found.loose)
        departement = departement_of_postcode(postcode)
        found = self._name_in_departement(city_key, departement, raw_city)
        if found:
            reason_pc = "inconnu" if not in_postcode else "ne correspond pas à cette commune"
            return Outcome(found.place, notes + (f"code postal {postcode} {reason_pc}",) + found.notes,
                           loose=bool(in_postcode) or found.loose, agreed=not in_postcode and not found.loose)
        unique = self._unique_name(city_key)
        if unique and in_postcode:
            return Outcome(unique, notes + (f"code postal {postcode} ne correspond pas à {raw_city.strip()}",),
                           loose=True)
        if in_postcode:
            labels = ", ".join(sorted({self.name_of[p.insee_code] for p in in_postcode})[:6])
            return Outcome(reason=f"commune « {raw_city.strip()} » introuvable pour le code postal {postcode} "
                                  f"(communes de ce code postal : {labels}) : corrigez la commune ou le code postal")
        return Outcome(reason=f"code postal {postcode} inconnu et commune « {raw_city.strip()} » introuvable "
                              "dans ce département : vérifiez le code postal et l'orthographe de la commune")

    def _postcode_alone(
        self, raw: str, postcode: str, in_postcode: tuple[Place, ...], notes: tuple[str, ...]
    ) -> Outcome:
        communes = {p.insee_code for p in in_postcode}
        if len(communes) == 1:
            place = in_postcode[0] if len(in_postcode) == 1 else Place(communes.pop())
            return Outcome(place, notes + (f"commune déduite du code postal {postcode}",))
        if not in_postcode:
            return Outcome(reason=f"code postal « {raw.strip()} » inconnu et commune non renseignée")
        return Outcome(reason=f"le code postal {postcode} couvre {len(communes)} communes : renseignez la commune")

    def arrondissement_from_label(self, city_key: str) -> Place | None:
        """``paris 11`` / ``lyon 3 eme`` / ``marseille 13 arrondissement`` → the arrondissement."""
        match = _ARRONDISSEMENT_LABEL.match(city_key)
        if not match:
            return None
        insee, prefix, count = ARRONDISSEMENT_CITIES[match.group(1)]
        number = int(match.group(2))
        if not 1 <= number <= count:
            return None
        code = f"{prefix}{number:0{5 - len(prefix)}d}"
        return Place(insee, code)

    def _approximate_in_postcode(self, city_key: str, postcode: str, raw_city: str) -> Outcome | None:
        """A commune of the postcode whose name starts the text, that the text starts, or close to it."""
        choices = self._names_in_postcode(postcode)
        places = self.places_by_postcode[postcode]
        prefix = self._longest_prefix(city_key, choices) or self._completions(city_key, choices)
        if prefix:
            return self._from_entries(list(prefix), places, approximated=raw_city)
        best = process.extractOne(city_key, list(choices), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if best:
            return self._from_entries(list(choices[best[0]]), places, approximated=raw_city)
        return None

    def _names_in_postcode(self, postcode: str) -> dict[str, tuple[NameEntry, ...]]:
        """Name keys of the postcode's communes, each with its entries."""
        memo = ("names in postcode", postcode)
        if memo not in self._cache:
            keys: dict[str, list[NameEntry]] = defaultdict(list)
            for code in self.communes_by_postcode[postcode]:
                for key, entry in self.keys_by_commune.get(code, ()):
                    keys[key].append(entry)
            self._cache[memo] = {k: tuple(v) for k, v in keys.items()}
        return self._cache[memo]

    def _longest_prefix(self, city_key: str, keys: dict[str, tuple[NameEntry, ...]]) -> tuple[NameEntry, ...]:
        """Entries whose name starts the city text ("saint sulpice le dunois ateliers" → Saint-Sulpice-le-Dunois)."""
        best: tuple[str, tuple[NameEntry, ...]] = ("", ())
        for key, entries in keys.items():
            if city_key.startswith(key + " ") and len(key) > len(best[0]):
                best = (key, entries)
        return best[1]

    def _completions(self, city_key: str, keys: dict[str, tuple[NameEntry, ...]]) -> tuple[NameEntry, ...]:
        """Entries whose name the city text starts ("corbieres" → Corbières-en-Provence), when only one does."""
        found = [entries for key, entries in keys.items() if key.startswith(city_key + " ")]
        return found[0] if len(found) == 1 else ()

    def _name_in_departement(self, city_key: str, departement: str, raw_city: str) -> Outcome | None:
        names = self.names_by_departement.get(departement, {})
        hits = names.get(city_key) or self._longest_prefix(city_key, names)
        fuzzy = city_key not in names
        if not hits:
            best = process.extractOne(city_key, list(names), scorer=fuzz.ratio, score_cutoff=90.0)
            if not best:
                return None
            hits, fuzzy = names[best[0]], True
        return self._from_entries(list(hits), (), approximated=raw_city if fuzzy else None)

    def _from_entries(
        self, entries: list[NameEntry], places: tuple[Place, ...], *, approximated: str | None = None,
        exact: bool = False,
    ) -> Outcome | None:
        """The one commune the entries name (``None`` if several), with a note when former or approximated."""
        communes = {e.insee_code for e in entries}
        if len(communes) != 1:
            return None
        insee = communes.pop()
        arrondissements = {e.arrondissement_code for e in entries if e.arrondissement_code}
        if insee in ARRONDISSEMENT_COMMUNES:
            arrondissements |= {p.arrondissement_code for p in places if p.insee_code == insee}
        place = Place(insee, arrondissements.pop() if len(arrondissements) == 1 else "")
        label = self.name_of[insee]
        notes: list[str] = []
        former = [e for e in entries if e.kind == "ancienne commune"]
        loose = False
        if former and not any(e.kind == "commune" for e in entries):
            notes.append(f"{former[0].label} est une commune déléguée ou associée de {label}")
        elif approximated is not None:
            notes.append(f"commune « {approximated.strip()} » rapprochée de « {label} »")
            loose = True
        return Outcome(place, tuple(notes), exact=exact, loose=loose, agreed=exact)

    def _unique_name(self, city_key: str) -> Place | None:
        entries = self.names.get(city_key, ())
        communes = {e.insee_code for e in entries}
        if len(communes) != 1:
            return None
        arrondissements = {e.arrondissement_code for e in entries}
        return Place(communes.pop(), arrondissements.pop() if len(arrondissements) == 1 else "")

    # -- rule 3, second reading: address ---------------------------------------------

    def match_address(self, raw: str) -> Outcome:
        """Rule 3, second reading: a free-text address holding a postcode followed by the city."""
        if not raw.strip():
            return Outcome()
        key = ("addr", raw)
        if key not in self._cache:
            self._cache[key] = self._match_address(raw)
        return self._cache[key]

    def _match_address(self, raw: str) -> Outcome:
        found = list(_POSTCODE_IN_TEXT.finditer(raw))
        if not found:
            return Outcome(reason=f"adresse « {raw.strip()} » sans code postal")
        first_failure: Outcome | None = None
        for match in reversed(found):
            postcode = match.group(1) + match.group(2)
            after = [s for s in _ADDRESS_SEPARATOR.split(raw[match.end():]) if s.strip()]
            before = [s for s in _ADDRESS_SEPARATOR.split(raw[: match.start()]) if s.strip()][-1:]
            for candidate in after[:3] + before:
                outcome = self.match_postcode_city(postcode, candidate)
                if outcome.place and not outcome.loose:
                    return Outcome(outcome.place, ("commune lue dans l'adresse",) + outcome.notes)
                if outcome.place and first_failure is None:
                    first_failure = Outcome(outcome.place, ("commune lue dans l'adresse",) + outcome.notes)
            if first_failure is None:
                first_failure = self.match_postcode_city(postcode, after[0] if after else "")
        if first_failure and first_failure.place:
            return first_failure
        reason = first_failure.reason if first_failure else None
        return Outcome(reason=f"adresse « {raw.strip()} » : {reason}" if reason else None)

    # -- rule 3: agreement of the evidence ---------------------------------------

    def match_evidence(self, raw_postcode: str, raw_city: str, raw_address: str) -> tuple[Outcome, Outcome, Outcome]:
        """Rule 3 and 4 for one row: the readings of its postcode, commune and address, once weighed.

        Returns
        -------
        tuple of Outcome
            What the postcode + commune reading, the address reading and the
            name alone (rule 4, read only without a postcode) say of the row:
            as read when the evidence agrees, else the weighed outcome in the
            first place and nothing in the others (see :meth:`weigh_evidence`).
        """
        readings = self.read_evidence(raw_postcode, raw_city, raw_address)
        weighing = self.weigh_evidence(raw_postcode, raw_city, raw_address, readings[0], readings[1])
        return readings if weighing.agreement is Agreement.UNANIMOUS else (weighing.outcome, Outcome(), Outcome())

    def read_evidence(self, raw_postcode: str, raw_city: str, raw_address: str) -> tuple[Outcome, Outcome, Outcome]:
        """The readings of a row's postcode and commune, of its address, and of its commune name alone (rule 4)."""
        return (self.match_postcode_city(raw_postcode, raw_city), self.match_address(raw_address),
                self.match_name_alone("" if raw_postcode.strip() else raw_city))

    def read_evidence_columns(
        self, postcodes: pd.Series, cities: pd.Series, addresses: pd.Series, *, blanks: Blanks | None = None,
    ) -> tuple[RuleOutcomes, RuleOutcomes, RuleOutcomes]:
        """:meth:`read_evidence` for every row of a table, once per distinct value (or pair) read.

        ``blanks`` says which postcode and city cells are blank, when the caller knows (else read here).
        """
        blank_postcode = (blanks or Blanks.of(postcodes, cities)).postcode
        return (self.match_postcode_city_columns(postcodes, cities), _on_distinct_values(addresses, self.match_address),
                _on_distinct_values(cities.where(blank_postcode, ""), self.match_name_alone))

    def weigh_evidence_columns(
        self, postcodes: pd.Series, cities: pd.Series, addresses: pd.Series, readings: Sequence[RuleOutcomes],
        rows: np.ndarray, *, blanks: Blanks | None = None,
    ) -> tuple[RuleOutcomes, ...]:
        """:meth:`match_evidence` for the ``rows`` of a table, from the readings of every row.

        Only rows where a source may contradict the first reading are weighed
        (an address placed beside another field, or a postcode + commune
        reading that is not an exact match within the postcode), once per
        distinct postcode, city and address; the others keep their readings.
        ``blanks`` says which postcode and city cells are blank, when the caller knows (else read here).
        """
        by_name, by_address, by_name_alone = readings
        name_placed, address_placed = by_name.placed, by_address.placed
        blanks = blanks or Blanks.of(postcodes, cities)
        postcode_given, city_given = ~blanks.postcode, ~blanks.city
        disputed = (address_placed & (name_placed | postcode_given | city_given)
                    | name_placed & postcode_given & city_given & ~by_name.values(lambda o: o.exact, bool))
        tried = np.flatnonzero(disputed & rows)
        # An address that placed nothing weighs nothing: such rows are grouped whatever their street.
        texts = [postcodes.to_numpy(dtype=object)[tried], cities.to_numpy(dtype=object)[tried],
                 np.where(address_placed[tried], addresses.to_numpy(dtype=object)[tried], "")]
        positions, first_rows = _distinct_rows(texts) if len(tried) else (tried, tried)
        weighed = [
            self.weigh_evidence(postcode, city, address, by_name.outcomes[by_name.codes[row]],
                                by_address.outcomes[by_address.codes[row]])
            for postcode, city, address, row in zip(*(text[first_rows].tolist() for text in texts),
                                                    tried[first_rows].tolist())
        ]
        changed = np.array([w.agreement is not Agreement.UNANIMOUS for w in weighed], dtype=bool)[positions]
        if not changed.any():
            return tuple(readings)
        outcome = positions[changed]
        return (by_name.replaced(tried[changed], [w.outcome for w in weighed], outcome),
                by_address.replaced(tried[changed], [Outcome()], np.zeros(len(outcome), dtype=np.intp)),
                by_name_alone.replaced(tried[changed], [Outcome()], np.zeros(len(outcome), dtype=np.intp)))

    def weigh_evidence(
        self, raw_postcode: str, raw_city: str, raw_address: str, by_name: Outcome, by_address: Outcome
    ) -> Weighing:
        """Rule 3: the commune that most of the postcode, commune and address columns designate.

        The candidates are the communes of the postcode + commune reading and
        of the address reading, each supported by the sources that designate it
        (:meth:`_supports`). When every source supports the first candidate,
        the readings stand; else a candidate supported by more than half of
        the sources is retained, with a note naming the source that disagrees,
        and without one the row is rejected.
        """
        places = [o.place for o in (by_name, by_address) if o.place]
        candidates = tuple(dict.fromkeys(place.insee_code for place in places))
        if not candidates:
            return UNANIMOUS
        postcode, city_key = clean_postcode(raw_postcode)[0], city_name_key(raw_city)[0]
        supports = self._supports(postcode, city_key, (by_name, by_address), candidates)
        if all(candidates[0] in supported for supported in supports.values()):
            return UNANIMOUS
        address_postcode = self._address_postcode(raw_address, by_address.place.insee_code) if by_address.place else ""
        evidence = _Evidence(postcode, city_key, raw_city.strip(), address_postcode, supports)
        counts = {c: sum(c in supported for supported in supports.values()) for c in candidates}
        best = max(counts.values())
        leaders = [c for c, count in counts.items() if count == best]
        if len(leaders) > 1 or 2 * best <= len(supports):
            return Weighing(Agreement.SPLIT, Outcome(reason=self._split_reason(evidence)))
        winner = leaders[0]
        reading = by_address if by_address.place and by_address.place.insee_code == winner else by_name
        # The address may name the arrondissement that the commune column does not, or the other way round.
        place = next((p for p in places if p.insee_code == winner and p.arrondissement_code), reading.place)
        note = self._conflict_note(evidence, winner, candidates[0])
        return Weighing(Agreement.MAJORITY, Outcome(place, (note, *reading.notes)))

    def _supports(
        self, postcode: str, city_key: str, readings: tuple[Outcome, Outcome], candidates: tuple[str, ...]
    ) -> dict[Source, tuple[str, ...]]:
        """The candidates each source present supports.

        The postcode column supports the communes it serves; the commune column
        the commune its reading found and the communes it names exactly, or
        else those it names approximately (:meth:`names_commune`); the address
        its own reading. A source that designates no commune at all (an unknown
        postcode, a name of no commune) abstains.
        """
        by_name, by_address = readings
        supports: dict[Source, tuple[str, ...]] = {}
        served = self._served(postcode)
        if served:
            supports[Source.POSTCODE] = tuple(c for c in candidates if c in served)
        if city_key:
            exactly = self.named_communes(city_key)
            # The commune its reading found and those it names exactly; else those it names approximately.
            named = tuple(c for c in candidates if by_name.place and by_name.place.insee_code == c or c in exactly) \
                or tuple(c for c in candidates if self.names_commune(city_key, c))
            if named or exactly:
                supports[Source.COMMUNE] = named
        if by_address.place:
            supports[Source.ADDRESS] = (by_address.place.insee_code,)
        return supports

    def _served(self, postcode: str) -> frozenset[str]:
        """The communes a cleaned postcode serves (none for a territory outside the reference)."""
        return frozenset() if _uncovered_territory(postcode) else self.communes_by_postcode.get(postcode, frozenset())

    def named_communes(self, city_key: str) -> tuple[str, ...]:
        """INSEE codes of the communes a name key names exactly (its arrondissements, former communes included)."""
        label = self.arrondissement_from_label(city_key)
        if label:
            return (label.insee_code,)
        return tuple(dict.fromkeys(entry.insee_code for entry in self.names.get(city_key, ())))

    def names_commune(self, city_key: str, insee_code: str) -> bool:
        """Whether a name key names a commune: exactly, followed by other words, or close to one of its names."""
        label = self.arrondissement_from_label(city_key)
        if label:
            return label.insee_code == insee_code
        return any(city_key == key or city_key.startswith(key + " ") or fuzz.ratio(city_key, key) >= FUZZY_CUTOFF
                   for key, _ in self.keys_by_commune.get(insee_code, ()))

    def _address_postcode(self, raw_address: str, insee_code: str) -> str:
        """The postcode of an address that serves the commune it was read as (its last postcode, else)."""
        found = [match.group(1) + match.group(2) for match in _POSTCODE_IN_TEXT.finditer(raw_address)]
        serving = [postcode for postcode in found if insee_code in self.communes_by_postcode.get(postcode, ())]
        return (serving or found or [""])[-1]

    def _conflict_note(self, evidence: _Evidence, winner: str, first: str) -> str:
        """« code postal 25000 incohérent avec la commune et l'adresse (54320 Maxéville) : Maxéville retenue »."""
        agree = [source for source, supported in evidence.supports.items() if winner in supported]
        disagree = [source for source in evidence.supports if source not in agree]
        address = ""
        if Source.ADDRESS in evidence.supports:
            address = f"{evidence.address_postcode} {self.name_of[evidence.supports[Source.ADDRESS][0]]}"
        alone = {Source.POSTCODE: f"code postal {evidence.postcode} incohérent",
                 Source.COMMUNE: f"commune « {evidence.city} » incohérente",
                 Source.ADDRESS: f"adresse ({address}) incohérente"}
        together = {**SOURCE_FIELDS, Source.ADDRESS: f"l'adresse ({address})"}
        name = self.name_of[winner]
        if not disagree:  # every source supports the winner, the first reading found another commune
            return (f"{' et '.join(together[source] for source in agree)} désignent {name}, non "
                    f"{self.name_of[first]} : {name} retenue")
        return (f"{' et '.join(alone[source] for source in disagree)} avec "
                f"{' et '.join(together[source] for source in agree)} : {name} retenue")

    def _split_reason(self, evidence: _Evidence) -> str:
        """Why a row whose evidence is evenly split is rejected: what each source designates."""
        label = {**SOURCE_FIELDS, Source.POSTCODE: f"le code postal {evidence.postcode}",
                 Source.COMMUNE: f"la commune « {evidence.city} »"}
        # What a source that supports no candidate designates instead.
        designated = {Source.POSTCODE: tuple(sorted(self._served(evidence.postcode))),
                      Source.COMMUNE: self.named_communes(evidence.city_key)}
        parts = []
        for source, supported in evidence.supports.items():
            communes = supported or designated[source]
            names = [f"{self.name_of[code]} ({self.departement_of[code]})" for code in communes[:3]]
            parts.append(f"{label[source]} désigne {' ou '.join(names)}{' …' if len(communes) > 3 else ''}")
        return (f"indices contradictoires : {', '.join(parts)} ; sans majorité, la ligne n'est pas placée : "
                f"corrigez {_one_of([SOURCE_FIELDS[source] for source in evidence.supports])}")

    # -- rule 4: name alone ------------------------------------------------------

    def match_name_alone(self, raw_city: str) -> Outcome:
        """Rule 4: a commune name alone, accepted only when unique in France."""
        city_key, notes = city_name_key(raw_city)
        if not city_key:
            return Outcome()
        arrondissement = self.arrondissement_from_label(city_key)
        if arrondissement:
            return Outcome(arrondissement, notes)
        entries = self.names.get(city_key, ())
        place = self._unique_name(city_key)
        if place:
            return Outcome(place, notes + ("commune reconnue par son seul nom, unique en France",))
        if entries:
            count = len({e.insee_code for e in entries})
            return Outcome(reason=f"{count} communes s'appellent « {raw_city.strip()} » : ajoutez le code postal")
        return Outcome(reason=f"commune « {raw_city.strip()} » introuvable : vérifiez l'orthographe "
                              "ou ajoutez le code postal")


def _unique(entries: list[NameEntry]) -> tuple[NameEntry, ...]:
    return tuple(dict.fromkeys(entries))


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
    positions, distinct = _distinct(texts)
    values = [_number(text) for text in distinct.tolist()]
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
    positions, distinct = _distinct(texts)
    pairs = [_combined_numbers(text) for text in distinct.tolist()]
    readable = np.array([pair is not None for pair in pairs], dtype=bool)
    first, second = (np.array([pair[i] if pair else np.nan for pair in pairs], dtype=float) for i in (0, 1))
    return texts != "", first[positions], second[positions], readable[positions]


def _is_lambert93(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    (x_min, x_max), (y_min, y_max) = LAMBERT93_BOUNDS
    return (x_min <= x) & (x <= x_max) & (y_min <= y) & (y <= y_max)


def _uncovered_territory(code: str) -> str | None:
    """Territory outside the COG's communes named by an INSEE code or a postcode, if any."""
    if code in UNCOVERED_POSTCODES:
        return UNCOVERED_POSTCODES[code]
    return UNCOVERED_TERRITORIES.get(code[:3]) if _OVERSEAS_CODE.fullmatch(code) else None


def _uncovered_reason(territory: str) -> str:
    return (f"{territory} n'est pas couverte par le référentiel géographique (COG : métropole et "
            "départements d'outre-mer) : la ligne ne peut pas être placée sur la carte")


def _one_of(items: Sequence[str]) -> str:
    """« a », « a ou b », « a, b ou c »."""
    return " ou ".join(filter(None, (", ".join(items[:-1]), items[-1])))


def _with_spelling_notes(outcome: Outcome, notes: tuple[str, ...]) -> Outcome:
    """A rule-3 answer found from the keys, with the notes on how the postcode and city were written."""
    return outcome._replace(notes=notes + outcome.notes) if notes else outcome


@lru_cache(maxsize=1 << 16)
def clean_postcode(raw: str) -> tuple[str, tuple[str, ...]]:
    """Digits of a postcode, with a lost leading zero restored; ``""`` if unusable."""
    text = fold(raw)
    text = _CEDEX.sub("", text).strip()
    digits = _NOT_DIGIT.sub("", text)
    if len(digits) == 4 and _TYPED_AS_NUMBER.fullmatch(raw.strip()):
        return "0" + digits, (f"code postal « {raw.strip()} » complété d'un zéro initial",)
    if len(digits) == 5:
        notes = ("mention CEDEX ignorée",) if "cedex" in fold(raw) else ()
        return digits, notes
    return "", ()


def departement_of_postcode(postcode: str) -> str:
    """Most likely département of a postcode (Corsica: 200/201 → 2A, 202/206 → 2B)."""
    if postcode.startswith("97"):
        return postcode[:3]
    if postcode.startswith("20"):
        return "2A" if postcode[2] in "01" else "2B"
    return postcode[:2]


@lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    """Comparison key of a commune name: folded, St/Ste expanded, leading and trailing articles dropped."""
    tokens = [ABBREVIATIONS.get(t, t) for t in fold(name).split()]
    while tokens and tokens[0] in ARTICLE_TOKENS and len(tokens) > 1:
        tokens = tokens[1:]
    while tokens and tokens[-1] in ARTICLE_TOKENS and len(tokens) > 1:
        tokens = tokens[:-1]
    return " ".join(tokens)


@lru_cache(maxsize=1 << 16)
def city_name_key(raw: str) -> tuple[str, tuple[str, ...]]:
    """Key of a city as typed in a form (CEDEX and its number removed)."""
    text = fold(raw)
    notes: tuple[str, ...] = ()
    if _CEDEX.search(text):
        text = _CEDEX.sub(" ", text)
        notes = ("mention CEDEX ignorée",)
    return name_key(text), notes


RULE_LABELS: tuple[str, ...] = ("le code INSEE", "les coordonnées", "le code postal et la commune", "l'adresse",
                                "le nom de commune")
RULE_PRIORITY: tuple[str, ...] = ("au code INSEE", "aux coordonnées", "au code postal et à la commune",
                                  "à l'adresse", "au nom de commune")
NO_LOCATION_REASON = ("aucune localisation : renseignez le code postal et la commune (ou le code INSEE, "
                      "ou des coordonnées latitude/longitude)")


def geocode(frame: pd.DataFrame, gazetteer: Gazetteer) -> pd.DataFrame:
    """Place every row of ``frame`` on a commune.

    Parameters
    ----------
    frame
        Canonical fields as columns of str (``""`` when empty); absent fields
        may be missing columns.
    gazetteer
        Indexes over the reference geography.

    Returns
    -------
    pandas.DataFrame
        :data:`GEOCODE_COLUMNS`, same index as ``frame``. ``reject_reason`` is
        ``None`` for placed rows, a French sentence otherwise.
    """
    column = lambda name: frame[name].astype(object) if name in frame else pd.Series("", index=frame.index,  # noqa: E731
                                                                                      dtype=object)
    insee_raw = column("insee_code")
    by_insee, insee_holds = _insee_column(insee_raw, gazetteer)
    postcode, city, address = column("postcode"), column("city"), column("address")
    blanks = Blanks.of(postcode, city)
    # A postcode or a commune name typed in the INSEE field stands for an empty postcode or commune field.
    borrowed = np.select([blanks.postcode & (insee_holds == InseeField.POSTCODE),
                          blanks.city & (insee_holds == InseeField.COMMUNE_NAME)],
                         [Borrowed.POSTCODE, Borrowed.COMMUNE], Borrowed.NOTHING)
    postcode = postcode.where(borrowed != Borrowed.POSTCODE, insee_raw)
    city = city.where(borrowed != Borrowed.COMMUNE, insee_raw)
    # What the INSEE field lends is never blank: it holds a postcode or a commune name.
    blanks = Blanks(blanks.postcode & (borrowed != Borrowed.POSTCODE), blanks.city & (borrowed != Borrowed.COMMUNE))
    readings = gazetteer.read_evidence_columns(postcode, city, address, blanks=blanks)
    by_coordinates, points = _coordinates(frame, gazetteer)
    by_coordinates = _coordinates_against_fields(by_insee, by_coordinates, readings[0], points, gazetteer)
    # The evidence is weighed where it decides: rows that neither an INSEE code nor coordinates place.
    undecided = ~(by_insee.placed | by_coordinates.placed)
    by_name, by_address, by_name_alone = gazetteer.weigh_evidence_columns(postcode, city, address, readings, undecided,
                                                                          blanks=blanks)

    rules = (by_insee, by_coordinates, by_name, by_address, by_name_alone)
    insee, arrondissement, precision, note, reason = _decide_rows(rules, borrowed, gazetteer)
    commune = _positions_in(gazetteer.communes.index, insee)
    lon, lat = _verdict_points(commune, precision, points, gazetteer)
    # The commune's columns are taken in Arrow: converting 100,000 Python strings per column costs more.
    no_commune = np.where(commune < 0, len(gazetteer.communes), commune)
    columns = {
        "insee_code": insee, "arrondissement_code": arrondissement, "lat": lat.tolist(), "lon": lon.tolist(),
        "geocode_precision": precision, "geocode_note": note, "reject_reason": reason,
        **{name: pd.array(values.take(no_commune), dtype="str") for name, values in gazetteer.territories.items()},
    }
    # Typed as pandas infers them: str for text (object where every value is None); float64 for lat/lon.
    return pd.DataFrame({name: columns[name] for name in GEOCODE_COLUMNS}, index=frame.index)


def _insee_column(values: pd.Series, gazetteer: Gazetteer) -> tuple[RuleOutcomes, np.ndarray]:
    """Rule 1 on every row, and what each row's INSEE field holds (:class:`InseeField`), once per distinct value."""
    positions, distinct = _distinct(values.to_numpy(dtype=object))
    texts = distinct.tolist()
    readings = [gazetteer.read_insee_field(text) for text in texts]
    holds = np.fromiter((reading.holds for reading in readings), dtype=np.intp, count=len(readings))
    outcomes = [gazetteer.resolve_insee(text, reading) for text, reading in zip(texts, readings)]
    return RuleOutcomes.interned(outcomes, positions), holds[positions]


def _on_distinct_values(values: pd.Series, rule: Callable[[str], Outcome]) -> RuleOutcomes:
    positions, distinct = _distinct(values.to_numpy(dtype=object))
    return RuleOutcomes.interned([rule(value) for value in distinct.tolist()], positions)


def _distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position of each value among the distinct values, numbered in order of appearance; and those values.

    A missing value (None, NaN) is one value among the others.
    """
    positions, distinct = pd.factorize(values)
    # Counting missing values as values costs pandas a second pass: only when there are some.
    return pd.factorize(values, use_na_sentinel=False) if (positions < 0).any() else (positions, distinct)


def _distinct_rows(columns: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Code of each row's combination of values (numbered in order of appearance), and the first row of each."""
    combined = np.zeros(len(columns[0]), dtype=np.int64)
    for values in columns:
        codes, distinct = pd.factorize(values)
        # Renumbered at each step, the combined codes stay below the number of rows: no overflow.
        combined, _ = pd.factorize(combined * len(distinct) + codes)
    return combined, np.unique(combined, return_index=True)[1]


def _stripped(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The position of each row's stripped text among the distinct ones, and those texts."""
    positions, distinct = _distinct(values.to_numpy(dtype=object))
    stripped_positions, stripped = _distinct(np.array([value.strip() for value in distinct.tolist()], dtype=object))
    return stripped_positions[positions], stripped


def _blank(values: pd.Series) -> np.ndarray:
    """Whether each cell holds only spaces, or nothing."""
    positions, stripped = _stripped(values)
    return (stripped == "")[positions]


def _coordinates(frame: pd.DataFrame, gazetteer: Gazetteer) -> tuple[RuleOutcomes, np.ndarray]:
    """Rule 2 on the distinct coordinate fields of the rows, and the (lon, lat) point that placed each row."""
    fields = [name for name in COORDINATE_FIELDS if name in frame]
    if not fields:
        return RuleOutcomes.interned([Outcome()], np.zeros(len(frame), dtype=np.intp)), np.full((len(frame), 2), np.nan)
    texts = {name: _stripped(frame[name]) for name in fields}
    positions, first_rows = _distinct_rows([codes for codes, _ in texts.values()])
    outcomes, points = gazetteer.place_coordinates({name: stripped[codes[first_rows]]
                                                    for name, (codes, stripped) in texts.items()})
    return RuleOutcomes.interned(outcomes, positions), points[positions]


def _coordinates_against_fields(
    by_insee: RuleOutcomes, by_coordinates: RuleOutcomes, by_name: RuleOutcomes, points: np.ndarray,
    gazetteer: Gazetteer,
) -> RuleOutcomes:
    """Rule 2 where the postcode and the commune column agree on another commune than the coordinates.

    Only where rule 1 placed nothing, so that the coordinates would win. Two fields that agree
    (:attr:`Outcome.agreed`) beat the coordinates: see :func:`_against_fields`.
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
        outcomes.append(_against_fields(point, outcomes[codes[row]], fields, gazetteer))
        codes[row] = len(outcomes) - 1
    return RuleOutcomes(tuple(outcomes), codes)


def _against_fields(point: tuple[float, float], coordinates: Outcome, fields: Outcome, gazetteer: Gazetteer) -> Outcome:
    """What coordinates placed in another commune than the one the postcode and the commune agree on say.

    Within :data:`CONTOUR_MARGIN_KM` of that commune, they are read in it (contours are simplified)
    and keep their point. Farther, they are ignored with a reason, and rule 3 places the row: beyond
    :data:`IMPLAUSIBLE_COORDINATES_KM` they are a copy error (real hub exports: Lille coordinates on a
    Bourges address), nearer they usually point at a neighbour (a geocoder's guess, a postcode's centre).
    """
    named = fields.place.insee_code
    # The commune is named in brackets: « de » before « Le Coudray » or « Orléans » would need elision.
    fields_commune = f"la commune indiquée par le code postal et le nom ({gazetteer.name_of[named]})"
    distance = gazetteer.distance_to_commune_km(point, named)
    if distance <= CONTOUR_MARGIN_KM:
        note = (f"coordonnées à {_distance_text(distance)} de {fields_commune}, hors de son contour simplifié : "
                "lues dans cette commune")
        return Outcome(fields.place, (*coordinates.notes, note))
    written = f"coordonnées ({point[1]:.5f}, {point[0]:.5f})"
    if distance > IMPLAUSIBLE_COORDINATES_KM:
        return Outcome(reason=f"{written} à {distance:.0f} km de {fields_commune} : vérifiez-les")
    return Outcome(reason=f"{written} dans une autre commune ({gazetteer.name_of[coordinates.place.insee_code]}), à "
                          f"{_distance_text(distance)} de {fields_commune} : vérifiez-les")


def _distance_text(km: float) -> str:
    """« 20 m », « 1,7 km », « 12 km »: a distance as a note gives it.

    Examples
    --------
    >>> [_distance_text(km) for km in (0.003, 0.018, 0.35, 0.996, 1.74, 12.4)]
    ['10 m', '20 m', '350 m', '1,0 km', '1,7 km', '12 km']
    """
    metres = max(round(km * 1000, -1), 10)
    if metres < 1000:
        return f"{metres:.0f} m"
    return f"{km:.1f} km".replace(".", ",") if km < 10 else f"{km:.0f} km"


# How a rule ranked after the winner relates to it (what the note of the row says of that rule).
AGREES, OTHER_ARRONDISSEMENT, OTHER_COMMUNE = 0, 1, 2


def _decide_rows(rules: Sequence[RuleOutcomes], borrowed: np.ndarray, gazetteer: Gazetteer) -> tuple[np.ndarray, ...]:
    """The verdict of every row from what the readings of :class:`Rule` said of it (rule 3 weighed).

    ``borrowed`` holds the :class:`Borrowed` code of each row.

    The first rule that places a row wins; the place and the precision follow
    row by row. The note (or the reason of a rejection) is written by
    :func:`_note_and_reason` once per distinct combination of what it reads.

    Returns
    -------
    tuple of numpy.ndarray
        insee_code, arrondissement_code, geocode_precision, geocode_note and
        reject_reason of every row.
    """
    rows, ranks = len(borrowed), len(rules)
    placed = np.column_stack([rule.placed for rule in rules]).reshape(rows, ranks)
    winner = np.where(placed.any(axis=1), placed.argmax(axis=1), ranks)
    insee = [rule.values(lambda o: o.place.insee_code if o.place else "") for rule in rules]
    arrondissement = [rule.values(lambda o: o.place.arrondissement_code if o.place else "") for rule in rules]
    winner_insee, winner_arrondissement = np.full(rows, "", dtype=object), np.full(rows, "", dtype=object)
    for rank in range(ranks):
        won = winner == rank
        winner_insee[won], winner_arrondissement[won] = insee[rank][won], arrondissement[rank][won]
    relation = np.column_stack([
        _relation(placed[:, rank], insee[rank], arrondissement[rank], winner_insee, winner_arrondissement)
        for rank in range(ranks)
    ]).reshape(rows, ranks)
    # Coordinates in the winning commune give the row its point (and their notes, when another rule won).
    coordinates = Rule.COORDINATES
    coordinates_agree = placed[:, coordinates] & (insee[coordinates] == winner_insee) & (winner < ranks)

    # What _note_and_reason reads: the reason of each rule before the winner, the notes of the winner, how each
    # rule after it relates to it (and where it points when it disagrees), the notes of agreeing coordinates.
    read = [winner, borrowed, np.where(coordinates_agree, rules[coordinates].view(lambda o: o.notes), -1)]
    for rank, rule in enumerate(rules):
        disagreement = np.where(relation[:, rank] == AGREES, -1,
                                rule.view(lambda o: o.place) * 3 + relation[:, rank])
        read.append(np.select([rank < winner, rank == winner],
                              [rule.view(lambda o: o.reason), rule.view(lambda o: o.notes)], disagreement))
    positions, first_rows = _distinct_rows(read)
    outcomes = [rule.outcomes for rule in rules]
    written = [
        _note_and_reason(tuple(map(getitem, outcomes, codes)), rank, kinds, agree, Borrowed(borrowed_field), gazetteer)
        for codes, rank, kinds, agree, borrowed_field in zip(
            np.column_stack([rule.codes[first_rows] for rule in rules]).tolist(), winner[first_rows].tolist(),
            relation[first_rows].tolist(), coordinates_agree[first_rows].tolist(), borrowed[first_rows].tolist(),
        )
    ]
    note, reason = (np.array(values, dtype=object)[positions] for values in (zip(*written) if written else [(), ()]))
    precision = np.where(winner == ranks, "", np.where(coordinates_agree, "coordinates", "commune")).astype(object)
    # A commune named without its arrondissement gets the one of the coordinates.
    arrondissement_code = np.where(coordinates_agree & (winner_arrondissement == ""), arrondissement[coordinates],
                                   winner_arrondissement)
    return winner_insee, arrondissement_code, precision, note, reason


def _relation(
    placed: np.ndarray, insee: np.ndarray, arrondissement: np.ndarray, winner_insee: np.ndarray,
    winner_arrondissement: np.ndarray,
) -> np.ndarray:
    """How the place given by a rule relates to the winning place, row by row."""
    same_commune = insee == winner_insee
    other_arrondissement = (placed & same_commune & (arrondissement != "") & (winner_arrondissement != "")
                            & (arrondissement != winner_arrondissement))
    return np.where(other_arrondissement, OTHER_ARRONDISSEMENT,
                    np.where(placed & ~same_commune, OTHER_COMMUNE, AGREES))


def _note_and_reason(
    outcomes: tuple[Outcome, ...], winner_rank: int, relation: Sequence[int], coordinates_agree: bool,
    borrowed: Borrowed, gazetteer: Gazetteer,
) -> tuple[str, str | None]:
    """geocode_note and reject_reason of a row.

    Reads only the reasons of the rules ranked before the winner, the notes of
    the winner, the places of the rules after it that disagree with it, and the
    notes of coordinates that agree with it.
    """
    if winner_rank == len(outcomes):
        reasons = list(dict.fromkeys(o.reason for o in outcomes if o.reason))
        if len(reasons) > 1:  # a street without postcode says nothing more than the other reasons
            reasons = [r for r in reasons if not r.endswith("sans code postal")]
        reason = " ; ".join(reasons) if reasons else NO_LOCATION_REASON
        return "", reason[0].upper() + reason[1:]
    notes = list(outcomes[winner_rank].notes)
    if borrowed and winner_rank >= Rule.POSTCODE_AND_COMMUNE:
        notes.insert(0, BORROWED_NOTES[borrowed])
    for rank, outcome in enumerate(outcomes[:winner_rank]):
        # The INSEE field read as a postcode or a commune is not an INSEE code gone wrong.
        if outcome.reason and not (rank == Rule.INSEE_CODE and borrowed):
            notes.append(f"ignoré : {outcome.reason}")
    for rank in range(winner_rank + 1, len(outcomes)):
        place = outcomes[rank].place
        plural = rank in (Rule.COORDINATES, Rule.POSTCODE_AND_COMMUNE)
        if relation[rank] == OTHER_ARRONDISSEMENT:
            notes.append(f"{RULE_LABELS[rank]} indiqu{'ent' if plural else 'e'} un autre arrondissement "
                         f"({place.arrondissement_code}) : priorité {RULE_PRIORITY[winner_rank]}")
        elif relation[rank] == OTHER_COMMUNE:
            notes.append(f"{RULE_LABELS[rank]} désign{'ent' if plural else 'e'} une autre commune "
                         f"({gazetteer.name_of[place.insee_code]}, {place.insee_code}) : "
                         f"priorité {RULE_PRIORITY[winner_rank]}")
    if coordinates_agree and winner_rank != Rule.COORDINATES:
        notes += outcomes[Rule.COORDINATES].notes
    return " ; ".join(dict.fromkeys(notes)), None


def _verdict_points(
    commune: np.ndarray, precision: np.ndarray, points: np.ndarray, gazetteer: Gazetteer
) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) of each row: the given coordinates, else the commune's reference point; ``None`` if rejected.

    ``commune`` is the position of each row's commune in the reference.
    """
    lon, lat = np.full(len(commune), None, dtype=object), np.full(len(commune), None, dtype=object)
    given = precision == "coordinates"
    lon[given], lat[given] = points[given, 0], points[given, 1]
    by_commune = precision == "commune"
    lon[by_commune] = gazetteer.communes["lon"].to_numpy(dtype=float)[commune[by_commune]]
    lat[by_commune] = gazetteer.communes["lat"].to_numpy(dtype=float)[commune[by_commune]]
    return lon, lat


def _positions_in(index: pd.Index, codes: np.ndarray) -> np.ndarray:
    """Position of each code in ``index``, -1 where absent (looked up once per distinct code)."""
    positions, distinct = _distinct(codes)
    return index.get_indexer(distinct)[positions]
