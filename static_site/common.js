/* The public finder's shared pieces: the page's settings, the loading of the publication's files and the small
 * helpers that its other scripts use.
 *
 * The finder is made of classic scripts, not ES modules: the publication renames each file after its content's
 * hash (store/publish.py), so a relative `import` would name a file that is not there. The publication joins
 * them, in this order, into the one script the page loads: common.js, search.js, map.js, controls.js, then
 * finder.js, which starts the page. Each adds what it shares to window.carteFinder and takes what it uses from
 * the scripts before it.
 *
 * Texts from the data are only ever set with textContent (never innerHTML): el() makes every element of the
 * page, so a structure's name cannot become markup, in the list or in a map popup.
 */
(function () {
  "use strict";

  const SETTINGS = JSON.parse(document.getElementById("carte-reglages").textContent);
  const BASE = new URL(".", document.baseURI);
  const STATUS_CODES = SETTINGS.statuses.map((status) => status.code);

  // ---------------------------------------------------------------------------------------------------------
  // Small helpers
  // ---------------------------------------------------------------------------------------------------------

  /** An element with attributes and children (strings become text nodes: never parsed as HTML). */
  function el(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "className") element.className = value;
      else element.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      element.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return element;
  }

  /** A distance as people read it: « 0,8 km », « 12 km » (views/labels.py km). */
  function km(value) {
    return (value < 10 ? value.toFixed(1).replace(".", ",") : value.toFixed(0)) + " km";
  }

  function plural(count, one, many) {
    return count === 1 ? one : many;
  }

  /** Great-circle distance in km (geo/distances.py haversine_km). */
  function haversineKm(lat1, lon1, lat2, lon2) {
    const radians = Math.PI / 180;
    const dLat = (lat2 - lat1) * radians;
    const dLon = (lon2 - lon1) * radians;
    const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * radians) * Math.cos(lat2 * radians) * Math.sin(dLon / 2) ** 2;
    return 2 * SETTINGS.earth_radius_km * Math.asin(Math.sqrt(Math.min(1, Math.max(0, h))));
  }

  const loaded = {};
  /** The JSON of one of the publication's files, fetched once. */
  function load(path) {
    if (!loaded[path]) {
      loaded[path] = fetch(new URL(path, BASE)).then((response) => {
        if (response.status === 404) reloadOnce();
        if (!response.ok) throw new Error(`${path} : ${response.status}`);
        return response.json();
      });
      loaded[path].catch(() => { delete loaded[path]; });
    }
    return loaded[path];
  }

  /** A newer publication replaced this page's data (deleted at once, see store/publish.py): load the new one,
   *  once per publication. */
  function reloadOnce() {
    const key = "carte-rechargee";
    try {
      if (sessionStorage.getItem(key) === SETTINGS.files.carte) return;
      sessionStorage.setItem(key, SETTINGS.files.carte);
    } catch (error) {
      return;
    }
    location.reload();
  }

  window.carteFinder = { SETTINGS, STATUS_CODES, el, km, plural, haversineKm, load };
})();
