/* « Trouver un animateur »: the public finder, a static page (written by `python -m carte publish`).
 *
 * Everything it shows comes from the publication's files: its settings (inlined in index.html), the places
 * (data/carte.*.json), the consented contacts (data/contacts.*.json, loaded once a list is shown) and the
 * commune search index (data/communes.*.json, loaded when the person searches). No server code runs per
 * visit; the only other host it may contact is the configured tile server (and, when configured, the online
 * address search).
 *
 * The page is five classic scripts (see common.js): common.js (settings, loading, helpers), search.js (the
 * commune search, a copy of geo/search.py), map.js (the Leaflet map), controls.js (the state in the URL and the
 * controls) and this one, run last: the places, the list, the rendering of a state, and the start.
 *
 * Texts from the data are only ever set with textContent (never innerHTML): a structure's name cannot
 * become markup, in the list or in a map popup.
 */
(function () {
  "use strict";

  const {
    SETTINGS, STATUS_CODES, el, km, plural, haversineKm, load, designation, searchFor,
    setUpMap, drawMarkers, showHere, fit,
    POSITION, readState, stateQuery, showControls,
    setUpFilters, setUpSearchBox, setUpAroundMe, setUpAddressSearch, updateSnippet, setUpSnippet, setUpFooter,
  } = window.carteFinder;

  const VOWELS = "aeiouyàâäéèêëîïôöùûüœ";
  const STATUS_LABELS = Object.fromEntries(SETTINGS.statuses.map((status) => [status.code, status.label]));
  const TRAINED = STATUS_CODES[0];
  const SECONDARY_BADGE = "carte-badge carte-badge-secondaire";

  // ---------------------------------------------------------------------------------------------------------
  // Small helpers
  // ---------------------------------------------------------------------------------------------------------

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
  // Changing the state (controls.js reads and writes it in the URL)
  // ---------------------------------------------------------------------------------------------------------

  /** A new state: one entry in the browser's history (the Back button undoes it), then the page follows. */
  function go(changes) {
    const state = { ...readState(), ...changes };
    const query = stateQuery(state, state.embed);
    if (query !== location.search) history.pushState(null, "", location.pathname + query + location.hash);
    render();
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
    setUpFilters(go);
    setUpSearchBox(go);
    setUpAroundMe(go);
    setUpAddressSearch(go);
    setUpSnippet();
    setUpMap((places, i, listed) => popupContent(places, i, listed, view.current));
    placesPromise = load(SETTINGS.files.carte).then(decodePlaces);
    placesPromise.catch(() => showMessage("Carte indisponible",
      el("p", { className: "erreur", role: "alert" },
         "Les données de la carte n'ont pas pu être chargées : rechargez la page.")));
    if (state.q) searchFor(state.q, state.commune).catch(() => {});
    window.addEventListener("popstate", render);
    render();
  }

  start();
})();
