/* The public finder's commune search: a copy of geo/search.py (CommuneSearch: same tiers, same order, same
 * fuzzy score as rapidfuzz's ratio) over the index that Python built; the query is folded as loaders/text.py
 * folds it. tests/test_static_finder.py checks both against Python on samples of queries (window.carteRecherche).
 *
 * Runs after common.js (settings, loading); shares designation, communeSearch and searchFor with the scripts
 * after it (see common.js).
 */
(function () {
  "use strict";

  const { SETTINGS, load } = window.carteFinder;

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

  Object.assign(window.carteFinder, { designation, communeSearch, searchFor });

  // For the tests: the search and the fold of this page, to compare with Python's.
  window.carteRecherche = { fold, ratio, splitDepartement, searchFor,
                            ready: (departement = null) => communeSearch(departement) };
})();
