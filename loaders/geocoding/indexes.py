"""Indexes over the reference geography, built once per process and shared by every rule."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Self

import pandas as pd
import pyarrow as pa
import pyproj
import shapely

from geo import settings as geo_settings
from geo.reference import ReferenceGeography
from loaders.geocoding.kinds import NameKind
from loaders.geocoding.names import ARRONDISSEMENT_CITIES, ARRONDISSEMENT_LABEL, name_key
from loaders.geocoding.outcomes import NameEntry, Place

ARRONDISSEMENT_TYPE = "ARM"  # the COG's type of an arrondissement among the aliases (the others are former communes)


@dataclass
class Indexes:
    """Indexes over the reference geography for the geocoding rules (the rules are its subclasses)."""

    reference: ReferenceGeography = field(repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    def build_indexes(self) -> Self:
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
        """The names of communes, former communes and arrondissements under each name key."""
        index: dict[str, list[NameEntry]] = defaultdict(list)
        communes = self.communes
        for code, full, short in zip(communes.index.tolist(), communes["nom"].tolist(),
                                     communes["nom_sans_article"].tolist()):
            entry = NameEntry(code, "", full, NameKind.COMMUNE)
            for key in {name_key(full), name_key(short)}:
                index[key].append(entry)
        aliases = self.reference.aliases
        for code, kind, label, parent, arrondissement in zip(
            *(aliases[name].tolist() for name in ("alias_code", "type", "nom", "insee_code", "arrondissement_code"))
        ):
            entry_kind = NameKind.ARRONDISSEMENT if kind == ARRONDISSEMENT_TYPE else NameKind.FORMER_COMMUNE
            index[name_key(label)].append(NameEntry(parent, arrondissement, label, entry_kind))
        return {key: tuple(dict.fromkeys(entries)) for key, entries in index.items()}

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

    def arrondissement_from_label(self, city_key: str) -> Place | None:
        """``paris 11`` / ``lyon 3 eme`` / ``marseille 13 arrondissement`` → the arrondissement."""
        match = ARRONDISSEMENT_LABEL.match(city_key)
        if not match:
            return None
        insee, prefix, count = ARRONDISSEMENT_CITIES[match.group(1)]
        number = int(match.group(2))
        if not 1 <= number <= count:
            return None
        code = f"{prefix}{number:0{5 - len(prefix)}d}"
        return Place(insee, code)

    def named_communes(self, city_key: str) -> tuple[str, ...]:
        """INSEE codes of the communes a name key names exactly (its arrondissements, former communes included)."""
        label = self.arrondissement_from_label(city_key)
        if label:
            return (label.insee_code,)
        return tuple(dict.fromkeys(entry.insee_code for entry in self.names.get(city_key, ())))

    def unique_name(self, city_key: str) -> Place | None:
        """The one commune (and arrondissement, when only one) a name key names in France, if only one."""
        entries = self.names.get(city_key, ())
        communes = {e.insee_code for e in entries}
        if len(communes) != 1:
            return None
        arrondissements = {e.arrondissement_code for e in entries}
        return Place(communes.pop(), arrondissements.pop() if len(arrondissements) == 1 else "")
