"""Folium maps that load nothing from public CDNs.

Leaflet and its marker-cluster plugin are fetched from the npm registry at pinned versions
by ``make`` (``assets/package.json``) and served by Streamlit itself from ``static/vendor``
(``server.enableStaticServing``). The only other host a map contacts is the tile server.

Settings (environment):

CARTE_TILES_URL
    Tile URL template; default: IGN Géoplateforme « Plan IGN ». Empty: no basemap (tests).
CARTE_TILES_ATTRIBUTION
    Attribution shown on the map for those tiles.
"""

from __future__ import annotations

import os

import folium
from folium.plugins import FastMarkerCluster

VENDOR_URL = "/app/static/vendor"
MAX_ZOOM = 19
DEFAULT_TILES_URL = (
    "https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2"
    "&STYLE=normal&TILEMATRIXSET=PM&FORMAT=image/png&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
)
DEFAULT_TILES_ATTRIBUTION = "© IGN – Géoplateforme, Plan IGN"
LEAFLET_JS = [("leaflet", f"{VENDOR_URL}/leaflet/leaflet.js")]
LEAFLET_CSS = [("leaflet_css", f"{VENDOR_URL}/leaflet/leaflet.css")]
CLUSTER_JS = [("markerclusterjs", f"{VENDOR_URL}/leaflet.markercluster/leaflet.markercluster.js")]
CLUSTER_CSS = [
    ("markerclustercss", f"{VENDOR_URL}/leaflet.markercluster/MarkerCluster.css"),
    ("markerclusterdefaultcss", f"{VENDOR_URL}/leaflet.markercluster/MarkerCluster.Default.css"),
]


def new_map(location: tuple[float, float], zoom_start: int, *, prefer_canvas: bool = False) -> folium.Map:
    """A folium map whose scripts and styles come from the app, with the configured basemap.

    ``prefer_canvas`` draws vector layers on one canvas instead of one SVG element each: much
    faster for thousands of circle markers, but their shapes are no longer DOM elements.
    """
    tiles_url = os.environ.get("CARTE_TILES_URL", DEFAULT_TILES_URL)
    fmap = folium.Map(location=location, zoom_start=zoom_start, control_scale=True, tiles=None,
                      prefer_canvas=prefer_canvas)
    # The cluster plugin needs a maxZoom even when no tile layer gives one (tests run without tiles).
    fmap.options["maxZoom"] = MAX_ZOOM
    # Instance attributes shadow folium's CDN defaults (jQuery, Bootstrap, Font Awesome are unused).
    fmap.default_js = LEAFLET_JS
    fmap.default_css = LEAFLET_CSS
    if tiles_url:
        folium.TileLayer(tiles=tiles_url, attr=tiles_attribution(), name="Plan", max_zoom=MAX_ZOOM).add_to(fmap)
    return fmap


def tiles_attribution() -> str:
    """Attribution of the configured basemap (``""`` when maps have no basemap)."""
    if not os.environ.get("CARTE_TILES_URL", DEFAULT_TILES_URL):
        return ""
    return os.environ.get("CARTE_TILES_ATTRIBUTION", DEFAULT_TILES_ATTRIBUTION)


def marker_cluster(points: list, callback: str) -> FastMarkerCluster:
    """A client-side marker cluster using the self-hosted plugin."""
    # Chunked loading hands the browser back every few milliseconds while thousands of markers load.
    cluster = FastMarkerCluster(points, callback=callback, name="Animateurs", options={"chunkedLoading": True})
    cluster.default_js = CLUSTER_JS
    cluster.default_css = CLUSTER_CSS
    return cluster
