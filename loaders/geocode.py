"""Offline geocoding of form rows onto communes and EPCIs.

Rules, first that places the row wins (see ``docs/geocoding.md``):

1. an INSEE code, repaired (lost leading zero, 2A/2B, a postcode typed in the
   INSEE field);
2. coordinates (lat/lon, a combined "lat, lon" field, swapped, Lambert-93 x/y,
   comma decimals), placed by point-in-polygon;
3. postcode + commune name (articles, St/Ste, CEDEX, arrondissements, former
   communes, homonyms, a lost leading zero, small typos);
4. an address field holding the postcode and the city;
5. a commune name alone, when it is unique in France.

Every rule is computed on the unique values of its input columns only, so the
cost grows with the number of distinct places, not of rows. When a lower rule
names another commune than the winning one, ``geocode_note`` says so.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd
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
SNAP_DEGREES = 0.01  # about 1 km: simplified contours cut harbours and beaches
LAMBERT93_BOUNDS = ((50_000.0, 1_300_000.0), (6_000_000.0, 7_200_000.0))

_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
_POSTCODE_IN_TEXT = re.compile(r"(?<![\d])(\d{2})\s?(\d{3})(?![\d])")
_ARRONDISSEMENT_LABEL = re.compile(
    r"^(paris|lyon|marseille)\s*(\d{1,2})\s*(?:e|eme|er|ere|em|arr|arrondissement)?(?:\s+arr(?:ondissement)?)?$"
)
_OVERSEAS_CODE = re.compile(r"9[78]\d{3}")
_CEDEX = re.compile(r"\bcedex\b(\s*\d+)?")


@dataclass(frozen=True)
class Place:
    """A commune (and, in Paris, Lyon or Marseille, an arrondissement)."""

    insee_code: str
    arrondissement_code: str = ""


@dataclass(frozen=True)
class Outcome:
    """What one rule says of one row: a place with notes, or a reason why not."""

    place: Place | None = None
    notes: tuple[str, ...] = ()
    reason: str | None = None
    point: tuple[float, float] | None = None  # (lon, lat) in WGS84 when coordinates placed it
    exact: bool = False  # the postcode and the exact commune name agree (strong evidence)


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

    @cached_property
    def communes(self) -> pd.DataFrame:
        return self.reference.communes

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

    def resolve_insee(self, raw: str) -> Outcome:
        """Rule 1: an INSEE code, repaired when needed."""
        code = re.sub(r"\s", "", raw).upper()
        if not code:
            return Outcome()
        notes: list[str] = []
        if re.fullmatch(r"\d{4}", code):
            code = "0" + code
            notes.append(f"code INSEE « {raw.strip()} » complété d'un zéro initial")
        if re.fullmatch(r"20\d{3}", code) and code not in self.communes.index:
            corsican = [c for c in ("2A" + code[2:], "2B" + code[2:]) if c in self.communes.index]
            if len(corsican) == 1:
                notes.append(f"code INSEE corse « {raw.strip()} » lu comme {corsican[0]}")
                code = corsican[0]
        if code in self.communes.index:
            return Outcome(Place(code), tuple(notes))
        if code in self.alias_of:
            place = self.alias_of[code]
            label = self.name_of[place.insee_code]
            if not place.arrondissement_code:
                notes.append(f"code INSEE {code} d'une ancienne commune, rattachée à {label} ({place.insee_code})")
            return Outcome(place, tuple(notes))
        territory = _uncovered_territory(code)
        if territory:
            return Outcome(reason=_uncovered_reason(territory))
        if code in self.places_by_postcode:
            return Outcome(reason=f"le champ code INSEE contient « {raw.strip()} », qui est un code postal")
        return Outcome(reason=f"code INSEE « {raw.strip()} » inconnu : vérifiez-le (5 caractères, ex. 01053 ou 2A004)")

    # -- rule 2: coordinates --------------------------------------------------

    def locate_points(self, lon: np.ndarray, lat: np.ndarray) -> list[Place | None]:
        """Point-in-polygon for WGS84 points; ``None`` where no commune contains the point."""
        points = shapely.points(lon, lat)
        found: list[Place | None] = [None] * len(points)
        point_index, commune_index = self._tree.query(points, predicate="within")
        codes = self.communes.index.to_numpy()
        for p, c in zip(point_index, commune_index):
            if found[p] is None:
                found[p] = Place(codes[c])
        missing = np.array([i for i, place in enumerate(found) if place is None], dtype=int)
        if len(missing):
            near_point, near_commune = self._tree.query_nearest(
                points[missing], max_distance=SNAP_DEGREES, all_matches=False
            )
            for p, c in zip(near_point, near_commune):
                found[missing[p]] = Place(codes[c])
        return self._with_arrondissements(points, found)

    def _with_arrondissements(self, points: np.ndarray, found: list[Place | None]) -> list[Place | None]:
        split = [i for i, place in enumerate(found) if place and place.insee_code in ("75056", "69123", "13055")]
        if not split:
            return found
        point_index, arrondissement_index = self._arrondissement_tree.query(points[split], predicate="within")
        codes = self.reference.arrondissements.index.to_numpy()
        for p, a in zip(point_index, arrondissement_index):
            found[split[p]] = Place(found[split[p]].insee_code, codes[a])
        return found

    def parse_coordinates(self, fields: dict[str, str]) -> tuple[list[tuple[float, float, str]], str | None]:
        """Candidate (lon, lat, note) pairs in WGS84 from the coordinate fields, or a reason."""
        pairs: list[tuple[float, float, str]] = []
        if fields.get("lat") or fields.get("lon"):
            lat, lon = _number(fields.get("lat", "")), _number(fields.get("lon", ""))
            if lat is None or lon is None:
                return [], f"latitude « {fields.get('lat', '')} » / longitude « {fields.get('lon', '')} » illisibles"
            pairs += self._orientations(lat, lon, "latitude/longitude")
        if fields.get("coordinates"):
            text = fields["coordinates"]
            numbers = [float(n.replace(",", ".")) for n in _NUMBER.findall(text)]
            if len(numbers) != 2:
                return pairs, f"coordonnées « {text} » illisibles (attendu « latitude, longitude »)"
            first, second = numbers
            if "point" in fold(text):  # WKT is "POINT(lon lat)"
                first, second = second, first
            pairs += self._orientations(first, second, "coordonnées")
        if fields.get("x") or fields.get("y"):
            x, y = _number(fields.get("x", "")), _number(fields.get("y", ""))
            if x is None or y is None:
                return pairs, f"coordonnées x « {fields.get('x', '')} » / y « {fields.get('y', '')} » illisibles"
            pairs += self._orientations(y, x, "x/y")
        return pairs, None

    def _orientations(self, first: float, second: float, label: str) -> list[tuple[float, float, str]]:
        """Given-order then swapped readings of a pair written as (lat, lon) or Lambert-93 (y, x)."""
        if _is_lambert93(second, first):
            lon, lat = self._lambert_to_wgs84.transform(second, first)
            return [(lon, lat, f"{label} en Lambert-93 converties en WGS84")]
        if _is_lambert93(first, second):
            lon, lat = self._lambert_to_wgs84.transform(first, second)
            return [(lon, lat, f"{label} en Lambert-93 (inversées) converties en WGS84")]
        readings = []
        if abs(first) <= 90 and abs(second) <= 180:
            readings.append((second, first, ""))
        if abs(second) <= 90 and abs(first) <= 180:
            readings.append((first, second, f"{label} inversées (longitude avant latitude), remises dans l'ordre"))
        return readings

    def place_coordinates(self, rows: Iterable[dict[str, str]]) -> list[Outcome]:
        """Rule 2 for many rows at once (one point-in-polygon call for all candidates)."""
        parsed = [self.parse_coordinates(row) for row in rows]
        flat = [(i, lon, lat, note) for i, (pairs, _) in enumerate(parsed) for lon, lat, note in pairs
                if not (lon == 0 and lat == 0)]
        places = self.locate_points(
            np.array([f[1] for f in flat], dtype=float), np.array([f[2] for f in flat], dtype=float)
        ) if flat else []
        outcomes: list[Outcome | None] = [None] * len(parsed)
        for (i, lon, lat, note), place in zip(flat, places):
            if outcomes[i] is None and place is not None:
                outcomes[i] = Outcome(place, (note,) if note else (), point=(lon, lat))
        result = []
        for i, (pairs, reason) in enumerate(parsed):
            if outcomes[i] is not None:
                result.append(outcomes[i])
            elif pairs:
                lon, lat, _ = pairs[0]
                result.append(Outcome(reason=f"coordonnées ({lat:.5f}, {lon:.5f}) hors de toute commune couverte "
                                             "(métropole et DROM)"))
            else:
                result.append(Outcome(reason=reason))
        return result

    def distance_to_commune_km(self, point: tuple[float, float], insee_code: str) -> float:
        """Great-circle distance from a (lon, lat) point to the nearest edge of a commune's contour."""
        contour = self.contour_of[insee_code]
        if contour.is_empty:
            return float(haversine_km(*point, *self.point_of[insee_code]))
        nearest = shapely.ops.nearest_points(contour, shapely.Point(point))[0]
        return float(haversine_km(*point, nearest.x, nearest.y))

    # -- rule 3: postcode + commune name ---------------------------------------

    def match_postcode_city(self, raw_postcode: str, raw_city: str) -> Outcome:
        """Rule 3: a postcode and a commune name."""
        if not raw_postcode.strip() and not raw_city.strip():
            return Outcome()
        key = ("pc", raw_postcode, raw_city)
        if key not in self._cache:
            self._cache[key] = self._match_postcode_city(raw_postcode, raw_city)
        return self._cache[key]

    def _match_postcode_city(self, raw_postcode: str, raw_city: str) -> Outcome:
        postcode, postcode_notes = clean_postcode(raw_postcode)
        city_key, city_notes = city_name_key(raw_city)
        notes = postcode_notes + city_notes
        arrondissement = self.arrondissement_from_label(city_key)
        if arrondissement:
            return Outcome(arrondissement, notes)
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
        exact = self._cache.get(("exact", postcode, city_key))
        if exact:
            return Outcome(exact.place, notes + exact.notes, exact=True)
        if in_postcode:
            found = self._name_in_places(city_key, in_postcode, self.communes_by_postcode[postcode], raw_city)
            if found and found.exact:
                # Exact matches do not quote the raw text: reuse them for every spelling of the pair.
                self._cache[("exact", postcode, city_key)] = found
            if found:
                return Outcome(found.place, notes + found.notes, exact=found.exact)
        departement = departement_of_postcode(postcode)
        found = self._name_in_departement(city_key, departement, raw_city)
        if found:
            reason_pc = "inconnu" if not in_postcode else "ne correspond pas à cette commune"
            return Outcome(found.place, notes + (f"code postal {postcode} {reason_pc}",) + found.notes)
        unique = self._unique_name(city_key)
        if unique and in_postcode:
            return Outcome(unique, notes + (f"code postal {postcode} ne correspond pas à {raw_city.strip()}",))
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

    def _name_in_places(
        self, city_key: str, places: tuple[Place, ...], communes: frozenset[str], raw_city: str
    ) -> Outcome | None:
        hits = [e for e in self.names.get(city_key, ()) if e.insee_code in communes]
        if hits:
            return self._from_entries(hits, places, raw_city, exact=True)
        choices = self._keys_of(communes)
        prefix = self._longest_prefix(city_key, choices) or self._completions(city_key, choices)
        if prefix:
            return self._from_entries(list(prefix), places, raw_city, fuzzy=True)
        best = process.extractOne(city_key, list(choices), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if best:
            return self._from_entries(list(choices[best[0]]), places, raw_city, fuzzy=True)
        return None

    def _keys_of(self, communes: set[str]) -> dict[str, tuple[NameEntry, ...]]:
        keys: dict[str, list[NameEntry]] = defaultdict(list)
        for code in communes:
            for key, entry in self.keys_by_commune.get(code, ()):
                keys[key].append(entry)
        return {k: tuple(v) for k, v in keys.items()}

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
        return self._from_entries(list(hits), (), raw_city, fuzzy=fuzzy)

    def _from_entries(
        self, entries: list[NameEntry], places: tuple[Place, ...], raw_city: str, *, fuzzy: bool = False,
        exact: bool = False,
    ) -> Outcome | None:
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
        if former and not any(e.kind == "commune" for e in entries):
            notes.append(f"{former[0].label} est une commune déléguée ou associée de {label}")
        elif fuzzy:
            notes.append(f"commune « {raw_city.strip()} » rapprochée de « {label} »")
        return Outcome(place, tuple(notes), exact=exact)

    def _unique_name(self, city_key: str) -> Place | None:
        entries = self.names.get(city_key, ())
        communes = {e.insee_code for e in entries}
        if len(communes) != 1:
            return None
        arrondissements = {e.arrondissement_code for e in entries}
        return Place(communes.pop(), arrondissements.pop() if len(arrondissements) == 1 else "")

    # -- rule 4: address ---------------------------------------------------------

    def match_address(self, raw: str) -> Outcome:
        """Rule 4: a free-text address holding a postcode followed by the city."""
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
            after = [s for s in re.split(r"[,;\n]", raw[match.end():]) if s.strip()]
            before = [s for s in re.split(r"[,;\n]", raw[: match.start()]) if s.strip()][-1:]
            for candidate in after[:3] + before:
                outcome = self.match_postcode_city(postcode, candidate)
                if outcome.place and not any("rapprochée" in n or "ne correspond pas" in n for n in outcome.notes):
                    return Outcome(outcome.place, ("commune lue dans l'adresse",) + outcome.notes)
                if outcome.place and first_failure is None:
                    first_failure = Outcome(outcome.place, ("commune lue dans l'adresse",) + outcome.notes)
            if first_failure is None:
                first_failure = self.match_postcode_city(postcode, after[0] if after else "")
        if first_failure and first_failure.place:
            return first_failure
        reason = first_failure.reason if first_failure else None
        return Outcome(reason=f"adresse « {raw.strip()} » : {reason}" if reason else None)

    # -- rule 5: name alone ------------------------------------------------------

    def match_name_alone(self, raw_city: str) -> Outcome:
        """Rule 5: a commune name alone, accepted only when unique in France."""
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


def _is_lambert93(x: float, y: float) -> bool:
    (x_min, x_max), (y_min, y_max) = LAMBERT93_BOUNDS
    return x_min <= x <= x_max and y_min <= y <= y_max


def _uncovered_territory(code: str) -> str | None:
    """Territory outside the COG's communes named by an INSEE code or a postcode, if any."""
    if code in UNCOVERED_POSTCODES:
        return UNCOVERED_POSTCODES[code]
    return UNCOVERED_TERRITORIES.get(code[:3]) if _OVERSEAS_CODE.fullmatch(code) else None


def _uncovered_reason(territory: str) -> str:
    return (f"{territory} n'est pas couverte par le référentiel géographique (COG : métropole et "
            "départements d'outre-mer) : la ligne ne peut pas être placée sur la carte")


@lru_cache(maxsize=1 << 16)
def clean_postcode(raw: str) -> tuple[str, tuple[str, ...]]:
    """Digits of a postcode, with a lost leading zero restored; ``""`` if unusable."""
    text = fold(raw)
    text = _CEDEX.sub("", text).strip()
    digits = re.sub(r"\D", "", text)
    if len(digits) == 4 and re.fullmatch(r"[\d\s.]*", raw.strip()):
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
    # Equal outcomes are made one object, so that rows can be compared by identity below.
    interned: dict[Outcome, Outcome] = {}
    insee_raw = column("insee_code")
    by_insee = _map_unique(insee_raw, gazetteer.resolve_insee, interned)

    postcode = column("postcode")
    insee_is_postcode = [o.reason is not None and "est un code postal" in o.reason for o in by_insee]
    borrowed = (postcode.str.strip() == "") & pd.Series(insee_is_postcode, index=frame.index)
    postcode = postcode.where(~borrowed, insee_raw)
    city = column("city")
    by_name = _map_unique_pairs(postcode, city, gazetteer.match_postcode_city, interned)
    by_address = _map_unique(column("address"), gazetteer.match_address, interned)
    by_name_alone = _map_unique(city.where(postcode.str.strip() == "", ""), gazetteer.match_name_alone, interned)
    by_coordinates = _coordinates(frame, gazetteer, interned)

    decided: dict[tuple, tuple] = {}
    verdicts = []
    for outcomes in zip(by_insee, by_coordinates, by_name, by_address, by_name_alone, borrowed.tolist()):
        # Rows whose rules said the same things decide once.
        key = (*map(id, outcomes[:5]), outcomes[5])
        if key not in decided:
            decided[key] = _decide(outcomes[:5], gazetteer, outcomes[5])
        verdicts.append(decided[key])
    result = pd.DataFrame(verdicts, index=frame.index, columns=["insee_code", "arrondissement_code", "lon", "lat",
                                                                 "geocode_precision", "geocode_note",
                                                                 "reject_reason"])
    return _with_territories(result, gazetteer)


def _intern(outcome: Outcome, interned: dict[Outcome, Outcome]) -> Outcome:
    return interned.setdefault(outcome, outcome)


def _map_unique(values: pd.Series, function, interned: dict[Outcome, Outcome]) -> list[Outcome]:
    items = values.tolist()
    uniques = {value: _intern(function(value), interned) for value in dict.fromkeys(items)}
    return [uniques[value] for value in items]


def _map_unique_pairs(first: pd.Series, second: pd.Series, function, interned: dict[Outcome, Outcome]
                      ) -> list[Outcome]:
    pairs = list(zip(first.tolist(), second.tolist()))
    uniques = {pair: _intern(function(*pair), interned) for pair in dict.fromkeys(pairs)}
    return [uniques[pair] for pair in pairs]


def _coordinates(frame: pd.DataFrame, gazetteer: Gazetteer, interned: dict[Outcome, Outcome]) -> list[Outcome]:
    fields = [name for name in ("lat", "lon", "coordinates", "x", "y") if name in frame]
    if not fields:
        return [_intern(Outcome(), interned)] * len(frame)
    keys = list(zip(*(frame[name].astype(object).tolist() for name in fields)))
    uniques = list(dict.fromkeys(keys))
    inputs = [{name: value.strip() for name, value in zip(fields, key) if value.strip()} for key in uniques]
    placed = gazetteer.place_coordinates(inputs)
    by_key = {key: _intern(outcome if row else Outcome(), interned)
              for key, outcome, row in zip(uniques, placed, inputs)}
    return [by_key[key] for key in keys]


def _decide(outcomes: tuple[Outcome, ...], gazetteer: Gazetteer, borrowed_postcode: bool) -> tuple:
    winner_rank = next((rank for rank, o in enumerate(outcomes) if o.place is not None), None)
    if winner_rank is None:
        reasons = list(dict.fromkeys(o.reason for o in outcomes if o.reason))
        if len(reasons) > 1:  # a street without postcode says nothing more than the other reasons
            reasons = [r for r in reasons if not r.endswith("sans code postal")]
        reason = " ; ".join(reasons) if reasons else NO_LOCATION_REASON
        return ("", "", None, None, "", "", reason[0].upper() + reason[1:])
    winner = outcomes[winner_rank]
    if winner_rank == 1:
        outcomes, winner_rank = _discard_implausible_coordinates(outcomes, gazetteer)
        winner = outcomes[winner_rank]
    notes = list(winner.notes)
    if borrowed_postcode and winner_rank >= 2:
        notes.insert(0, "code postal lu dans le champ code INSEE")
    for rank, outcome in enumerate(outcomes[:winner_rank]):
        if outcome.reason and not (rank == 0 and borrowed_postcode):
            notes.append(f"ignoré : {outcome.reason}")
    for rank, outcome in enumerate(outcomes[winner_rank + 1:], start=winner_rank + 1):
        if _other_arrondissement(outcome.place, winner.place):
            notes.append(f"{RULE_LABELS[rank]} indiqu{'ent' if rank in (1, 2) else 'e'} un autre arrondissement "
                         f"({outcome.place.arrondissement_code}) : priorité {RULE_PRIORITY[winner_rank]}")
        elif outcome.place and outcome.place.insee_code != winner.place.insee_code:
            other = gazetteer.name_of[outcome.place.insee_code]
            notes.append(f"{RULE_LABELS[rank]} désign{'ent' if rank in (1, 2) else 'e'} une autre commune "
                         f"({other}, {outcome.place.insee_code}) : priorité {RULE_PRIORITY[winner_rank]}")
    coordinates = outcomes[1]
    place = winner.place
    if coordinates.place and coordinates.place.insee_code == place.insee_code:
        lon, lat = coordinates.point
        precision = "coordinates"
        if not place.arrondissement_code:
            place = coordinates.place
        if winner_rank != 1:
            notes += coordinates.notes
    else:
        lon, lat = gazetteer.point_of[place.insee_code]
        precision = "commune"
    return (place.insee_code, place.arrondissement_code, float(lon), float(lat), precision,
            " ; ".join(dict.fromkeys(notes)), None)


def _other_arrondissement(place: Place | None, winner: Place) -> bool:
    return (
        place is not None
        and place.insee_code == winner.insee_code
        and bool(place.arrondissement_code)
        and bool(winner.arrondissement_code)
        and place.arrondissement_code != winner.arrondissement_code
    )


def _discard_implausible_coordinates(
    outcomes: tuple[Outcome, ...], gazetteer: Gazetteer
) -> tuple[tuple[Outcome, ...], int]:
    """Coordinates far from the commune that the postcode and name agree on are a copy error: drop them."""
    named = outcomes[2]
    if not named.exact or named.place.insee_code == outcomes[1].place.insee_code:
        return outcomes, 1
    point = outcomes[1].point
    distance = gazetteer.distance_to_commune_km(point, named.place.insee_code)
    if distance <= IMPLAUSIBLE_COORDINATES_KM:
        return outcomes, 1
    label = gazetteer.name_of[named.place.insee_code]
    reason = (f"coordonnées ({point[1]:.5f}, {point[0]:.5f}) à {distance:.0f} km de {label}, la commune indiquée "
              "par le code postal et le nom : vérifiez-les")
    return (outcomes[0], Outcome(reason=reason), *outcomes[2:]), 2


def _with_territories(result: pd.DataFrame, gazetteer: Gazetteer) -> pd.DataFrame:
    communes = gazetteer.communes
    codes = result["insee_code"].tolist()
    epci_of = dict(zip(communes.index.tolist(), communes["epci_code"].tolist()))
    epci_name = dict(zip(gazetteer.reference.epcis.index.tolist(), gazetteer.reference.epcis["nom"].tolist()))
    region_of = dict(zip(communes.index.tolist(), communes["region_code"].tolist()))
    result["commune"] = [gazetteer.name_of.get(code, "") for code in codes]
    result["epci_code"] = [epci_of.get(code, "") for code in codes]
    result["epci"] = [epci_name.get(code, "") for code in result["epci_code"].tolist()]
    result["departement_code"] = [gazetteer.departement_of.get(code, "") for code in codes]
    result["region_code"] = [region_of.get(code, "") for code in codes]
    return result[list(GEOCODE_COLUMNS)]