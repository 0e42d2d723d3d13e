"""Map geometry and commune search: times and payload sizes, beside the raw contours of the same run.

For the national EPCI layer and the communes of the five départements with most communes:
simplification time without cache (cold) and from the GeoParquet cache (warm), GeoJSON
payload size (``json.dumps`` of :func:`geo.choropleth.geojson_payload` with ``nom``),
against the baseline of the same contours unsimplified and unrounded. Then the build
time of the commune search and the time of its suggestions.
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.choropleth import geojson_payload, simplified_territories  # noqa: E402
from geo.reference import ReferenceGeography, load_reference  # noqa: E402
from geo.search import CommuneSearch  # noqa: E402

BIGGEST_DEPARTEMENTS = ("62", "02", "80", "76", "57")
SEARCH_QUERIES = ("rennes", "st malo", "Saint-Denis", "le mans", "orleans", "bordaux", "marseile", "s", "st",
                  "35000", "13", "75015", "2A004", "<script>")


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return time.perf_counter() - start, value


def main() -> None:
    print(f"Machine : {platform.node()} — {platform.processor() or platform.machine()}, Python "
          f"{platform.python_version()}")
    load, reference = timed(load_reference)
    print(f"Référentiel chargé depuis le cache en {load:.2f} s")
    print(f"{'couche':<21} {'simplification':>14} {'cache':>6} | {'GeoJSON simplifié':>18} | "
          f"{'GeoJSON brut (référence)':>25}")
    with tempfile.TemporaryDirectory() as folder:
        _layer(reference, "EPCI France entière", "epci", None, Path(folder))
        for departement in BIGGEST_DEPARTEMENTS:
            _layer(reference, f"communes du {departement}", "commune", departement, Path(folder))
    _search(reference)


def _layer(reference: ReferenceGeography, title: str, level: str, departement: str | None, cache: Path) -> None:
    cold, layer = timed(simplified_territories, reference, level, departement=departement, cache_dir=cache)
    warm, _ = timed(simplified_territories, reference, level, departement=departement, cache_dir=cache)
    light_time, light = timed(_serialised, layer)
    raw_time, raw = timed(_serialised, _raw_contours(reference, level, departement))
    print(f"{title:<21} {cold:13.2f}s {warm:5.2f}s | {len(light) / 1e6:6.2f} Mo en {light_time:4.2f} s | "
          f"{len(raw) / 1e6:6.2f} Mo en {raw_time:4.2f} s ({len(raw) / len(light):4.1f} ×)")


def _serialised(layer: gpd.GeoDataFrame) -> str:
    return json.dumps(geojson_payload(layer, ["nom"]))


def _raw_contours(reference: ReferenceGeography, level: str, departement: str | None) -> gpd.GeoDataFrame:
    """The baseline: contours of the reference as they are (communes without contour left out, as in the layer)."""
    if level == "epci":
        return reference.epcis[["nom", "geometry"]]
    communes = reference.communes
    chosen = communes[(communes["departement_code"] == departement) & ~communes.geometry.is_empty]
    return chosen[["nom", "geometry"]]


def _search(reference: ReferenceGeography) -> None:
    build, search = timed(CommuneSearch, reference)
    times = {}
    for query in SEARCH_QUERIES:
        search.suggest(query)  # the first call of a query warms fold's cache, as a person typing does
        times[query] = min(timed(search.suggest, query)[0] for _ in range(5))
    slowest = max(times, key=times.get)
    print(f"Recherche de communes : index construit en {build:.2f} s ; suggestion médiane "
          f"{statistics.median(times.values()) * 1000:.1f} ms, la plus lente {times[slowest] * 1000:.1f} ms "
          f"(« {slowest} »)")


if __name__ == "__main__":
    main()
