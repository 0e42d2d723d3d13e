/* The public finder's map, with Leaflet and its marker-cluster plugin (loaded before): the selected places as
 * markers, the listed ones numbered, the searched place, a view fitted to the list. What a popup says is the
 * page's (finder.js gives it to setUpMap): the map knows nothing of the list or of the contacts.
 *
 * Runs after common.js; shares setUpMap, drawMarkers, showHere and fit with finder.js (see common.js).
 */
(function () {
  "use strict";

  const { SETTINGS, el } = window.carteFinder;

  const FRANCE_CENTER = [46.6, 2.4];
  const POPUP_OPTIONS = { maxWidth: 320, maxHeight: 160 }; // a taller popup would hide a phone's 300 px map

  let map = null, cluster = null, hereMarker = null;
  const plainMarkers = new Map(); // place position → marker, made once
  let shownKey = "", listedMarkers = [], shownListed = new Set();

  let describe = null; // a popup's content (finder.js): (places, position, listed or null) → element

  /** The map, its controls and its cluster; popupContent(places, position, listed) makes a popup when it opens. */
  function setUpMap(popupContent) {
    describe = popupContent;
    map = L.map("carte", { preferCanvas: true, zoomControl: false, maxZoom: 19, center: FRANCE_CENTER, zoom: 6 });
    L.control.zoom({ position: "topleft", zoomInTitle: "Zoomer", zoomOutTitle: "Dézoomer" }).addTo(map);
    L.control.scale({ imperial: false }).addTo(map);
    map.attributionControl.setPrefix(
      '<a href="https://leafletjs.com" title="Bibliothèque JavaScript de cartes interactives">Leaflet</a>');
    if (SETTINGS.tiles_url) {
      L.tileLayer(SETTINGS.tiles_url, { attribution: escapeAttribution(SETTINGS.tiles_attribution), maxZoom: 19 })
        .addTo(map);
    }
    map.on("popupopen", (event) => {
      const close = event.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close) {
        close.setAttribute("aria-label", "Fermer");
        close.title = "Fermer";
      }
    });
    // Markers far from the view are clustered after the first paint, in short chunks that leave the page
    // responsive (Leaflet.markercluster's default works 200 ms at a time).
    cluster = L.markerClusterGroup({ chunkedLoading: true, chunkInterval: 50, chunkDelay: 10, spiderfyOnMaxZoom: true,
                                     showCoverageOnHover: false });
    map.addLayer(cluster);
    window.carteMap = map;
  }

  /** The attribution is configuration, shown by Leaflet as HTML: written as text. */
  function escapeAttribution(text) {
    const holder = document.createElement("span");
    holder.textContent = text;
    return holder.innerHTML;
  }

  /** A listed place's rank, drawn on its marker on the map's canvas (it stays a circle marker). */
  const NumberedMarker = () => L.CircleMarker.extend({
    _updatePath: function () {
      L.CircleMarker.prototype._updatePath.call(this);
      const context = this._renderer._ctx;
      if (!context || this._empty()) return;
      context.save();
      context.fillStyle = "#fff";
      context.font = "700 12px system-ui, sans-serif";
      context.textAlign = "center";
      context.textBaseline = "middle";
      context.fillText(String(this.options.rank), this._point.x, this._point.y + 0.5);
      context.restore();
    },
  });
  let Numbered = null;

  function plainMarker(places, i) {
    let marker = plainMarkers.get(i);
    if (!marker) {
      marker = L.circleMarker([places.lat[i], places.lon[i]],
                              { radius: 7, color: "#000091", weight: 2, fillColor: "#6a6af4", fillOpacity: 0.9 });
      marker.bindPopup(() => describe(places, i, null), POPUP_OPTIONS);
      marker.position = i;
      plainMarkers.set(i, marker);
    }
    return marker;
  }

  function numberedMarker(places, i, rank, distance) {
    Numbered = Numbered || NumberedMarker();
    const marker = new Numbered([places.lat[i], places.lon[i]],
                                { radius: 11, color: "#fff", weight: 2, fillColor: "#000091", fillOpacity: 1, rank });
    marker.bindPopup(() => describe(places, i, { rank, distance }), POPUP_OPTIONS);
    return marker;
  }

  /** Markers of the selection (a listed place numbered): all rebuilt when the selection changes, else only the
   *  listed ones swapped. */
  function drawMarkers(places, chosen, listed, state) {
    const key = `${state.theme}|${state.statuses.join()}|${state.conum}`;
    const listedPositions = new Set(listed.map(([i]) => i));
    listedMarkers.forEach((marker) => cluster.removeLayer(marker));
    if (key !== shownKey) {
      cluster.clearLayers();
      shownKey = key;
      // The markers around the view first, painted at once; the others after the next frame.
      const around = map.getBounds().pad(0.5);
      const first = [], later = [];
      for (const i of chosen) {
        if (listedPositions.has(i)) continue;
        (around.contains([places.lat[i], places.lon[i]]) ? first : later).push(plainMarker(places, i));
      }
      cluster.addLayers(first);
      if (later.length) {
        requestAnimationFrame(() => setTimeout(() => {
          if (shownKey === key) cluster.addLayers(later.filter((marker) => !shownListed.has(marker.position)));
        }));
      }
    } else {
      const back = [...shownListed].filter((i) => !listedPositions.has(i)).map((i) => plainMarker(places, i));
      cluster.addLayers(back);
      const now = listed.map(([i]) => plainMarkers.get(i));
      cluster.removeLayers(now.filter((marker) => marker && cluster.hasLayer(marker)));
    }
    shownListed = listedPositions;
    listedMarkers = listed.map(([i, distance], rank) => numberedMarker(places, i, rank + 1, distance));
    cluster.addLayers(listedMarkers);
    window.carteListedMarkers = listedMarkers;
  }
  function showHere(here) {
    if (hereMarker) map.removeLayer(hereMarker);
    hereMarker = null;
    if (!here) return;
    hereMarker = L.circleMarker([here.lat, here.lon], { radius: 7, color: "#e1000f", fill: true, fillOpacity: 0.6 });
    hereMarker.bindTooltip(el("span", {}, here.label));
    hereMarker.addTo(map);
  }

  function fit(here, listed, places) {
    if (here && listed.length) {
      const lats = [here.lat, ...listed.map(([i]) => places.lat[i])];
      const lons = [here.lon, ...listed.map(([i]) => places.lon[i])];
      const corners = [[Math.min(...lats), Math.min(...lons)], [Math.max(...lats), Math.max(...lons)]];
      // Not animated: an animation waits for paints that a browser holds back while the map is off screen.
      map.fitBounds(corners, { padding: [24, 24], maxZoom: SETTINGS.fit_max_zoom, animate: false });
    } else if (here) {
      map.setView([here.lat, here.lon], 11, { animate: false });
    }
  }

  Object.assign(window.carteFinder, { setUpMap, drawMarkers, showHere, fit });
})();
