"""Folium maps that load nothing from public CDNs.

Leaflet and its marker-cluster plugin are fetched from the npm registry at pinned versions
by ``make`` (``assets/package.json``) and served by Streamlit itself from ``static/vendor``
(``server.enableStaticServing``). The only other host a map contacts is the tile server.

Leaflet's own words are English (« Zoom in », « Close popup », the attribution's title, miles on the
scale): every map gets French controls instead (:class:`_FrenchControls`), a metric scale, and an
attribution that wraps beside the scale rather than running over it on a phone.

The tile server and its attribution are settings (``CARTE_TILES_URL``, ``CARTE_TILES_ATTRIBUTION``:
:mod:`core.settings`); an empty URL draws maps without a basemap (tests).
"""

from __future__ import annotations

import folium
from branca.element import Element, MacroElement
from folium.plugins import FastMarkerCluster
from folium.template import Template

from core import settings

VENDOR_URL = "/app/static/vendor"
MAX_ZOOM = 19
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
    tiles_url = settings.tiles_url()
    # Leaflet's zoom control and scale are added in French by _FrenchControls.
    fmap = folium.Map(location=location, zoom_start=zoom_start, control_scale=False, zoom_control=False,
                      tiles=None, prefer_canvas=prefer_canvas)
    _FrenchControls().add_to(fmap)
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
    if not settings.tiles_url():
        return ""
    return settings.tiles_attribution()


def marker_cluster(points: list, callback: str) -> FastMarkerCluster:
    """A client-side marker cluster using the self-hosted plugin: ``callback`` makes a marker of each point
    (a row of ``points``: lat, lon, then what the callback reads)."""
    # Chunked loading hands the browser back every few milliseconds while thousands of markers load;
    # markers at one place (animators of one structure or one commune) fan out when clicked.
    cluster = _ViewFirstCluster(points, callback=callback, name="Animateurs",
                                options={"chunkedLoading": True, "spiderfyOnMaxZoom": True})
    cluster.default_js = CLUSTER_JS
    cluster.default_css = CLUSTER_CSS
    return cluster


ZOOM_IN_TITLE = "Zoomer"
ZOOM_OUT_TITLE = "Dézoomer"
CLOSE_POPUP_LABEL = "Fermer"
LEAFLET_PREFIX = '<a href="https://leafletjs.com" title="Bibliothèque JavaScript de cartes interactives">Leaflet</a>'
# The scale is at most 100 px wide (Leaflet's maxWidth) in the bottom-left corner: the attribution keeps
# clear of it and wraps instead of running over it on a narrow map.
ATTRIBUTION_CSS = (".leaflet-control-attribution { max-width: calc(100vw - 130px); white-space: normal; "
                   "text-align: right; }")


class _FrenchControls(MacroElement):
    """Zoom buttons, metric scale, attribution prefix and popup close button of a map, in French."""

    _template = Template("""
        {% macro header(this, kwargs) %}
            <style>{{ this.css }}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            L.control.zoom({position: "topleft", zoomInTitle: {{ this.zoom_in|tojson }},
                            zoomOutTitle: {{ this.zoom_out|tojson }}}).addTo({{ this._parent.get_name() }});
            L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
            {{ this._parent.get_name() }}.attributionControl.setPrefix({{ this.prefix|tojson }});
            {{ this._parent.get_name() }}.on("popupopen", function (event) {
                var close = event.popup.getElement().querySelector(".leaflet-popup-close-button");
                if (close) {
                    close.setAttribute("aria-label", {{ this.close|tojson }});
                    close.title = {{ this.close|tojson }};
                }
            });
        {% endmacro %}""")

    def __init__(self) -> None:
        super().__init__()
        self._name = "FrenchControls"
        self.zoom_in, self.zoom_out, self.close = ZOOM_IN_TITLE, ZOOM_OUT_TITLE, CLOSE_POPUP_LABEL
        self.prefix, self.css = LEAFLET_PREFIX, ATTRIBUTION_CSS


class _Verbatim(Element):
    """Text put into a map's page as it is (branca's ``Element(text)`` compiles it as a Jinja template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs) -> str:
        return self._text


class _ViewFirstCluster(FastMarkerCluster):
    """A FastMarkerCluster that clusters the points around the map's view first, and whose script,
    thousands of points long, is not compiled as a template.

    * In the browser: the points within half a view of the visible area (more than a cluster's
      radius) are clustered and drawn at once; the others are made markers and clustered right
      after, in chunks. Around a searched commune the map shows in a few milliseconds instead of
      the 0.5 s that 10,000 markers take; zoomed out on France, nearly every point is in the first
      batch, as before.
    * On the server: branca adds every element's rendered script to the map's page as
      ``Element(script)``, which compiles that text, data included, as a Jinja template: 0.15 s for
      10,000 points, twice per ``st_folium`` call (which renders the page, then the map), for a page
      that ``st_folium`` does not send (it builds the component's script from the elements' templates).
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = (function(){
                {{ this.callback }}

                var data = {{ this.data|tojson }};
                var cluster = L.markerClusterGroup({{ this.options|tojavascript }});
                var around = {{ this.map_name }}.getBounds().pad(0.5);
                var first = [], later = [];
                for (var i = 0; i < data.length; i++) {
                    (around.contains([data[i][0], data[i][1]]) ? first : later).push(data[i]);
                }
                cluster.addLayers(first.map(function (row) { return callback(row); }));
                cluster.addTo({{ this._parent.get_name() }});
                // After the next frame, so that the first clusters are painted before the others are made.
                requestAnimationFrame(function () {
                    setTimeout(function () { cluster.addLayers(later.map(function (row) { return callback(row); })); });
                });
                return cluster;
            })();
        {% endmacro %}""")

    @property
    def map_name(self) -> str:
        """The variable of the map the cluster is drawn on (its parent may be a feature group of that map)."""
        element = self._parent
        while not isinstance(element, folium.Map):
            element = element._parent
        return element.get_name()

    def render(self, **kwargs) -> None:
        points, self.data = self.data, []
        try:
            super().render(**kwargs)  # links, layer control entry and the script, without the points
        finally:
            self.data = points
        script = self._template.module.__dict__["script"](self, kwargs)
        self.get_root().script.add_child(_Verbatim(script), name=self.get_name())
