"""The public finder as a static page (``python -m loaders publish``), in a real headless Chromium.

The store holds a few hand-placed animators (see ``ROWS``); the publication is served by a plain web
server (Python's ``http.server``), as it would be behind any web server or CDN. The browser's commune
search is checked against :class:`geo.search.CommuneSearch` on samples of queries, and its fold against
:func:`loaders.text.fold` on every commune name.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from conftest import CHROMIUM_ARGS, serving
from geo.search import CommuneSearch
from loaders import publish, store
from loaders.pipeline import LoadOptions, load_files
from loaders.text import fold

HEADER = ("Adresse e-mail;Nom de votre structure;Téléphone;Code postal;Commune;Thématiques;"
          "Avez-vous suivi la formation ?;Êtes-vous conseiller·ère numérique ?;"
          "J'accepte que mes coordonnées apparaissent sur la carte publique")
ROWS = [
    "rennes@x.fr;Champs Libres;02 99 00 00 01;35000;Rennes;Café IA, Parentalité numérique;Oui;Non;Oui",
    "cesson@x.fr;Espace Cesson;02 99 00 00 02;35510;Cesson-Sévigné;Café IA;Oui;Oui;Non",
    "marseille@x.fr;Cité Marseille;04 91 00 00 03;13001;Marseille;Café IA;Oui;Non;Oui",
    "nice@x.fr;Nice Numérique;04 93 00 00 04;06000;Nice;Café IA;Oui;Oui;Oui",
    "brest1@x.fr;Brest Un;;29200;Brest;Café IA;Oui;Non;Non",
    "brest2@x.fr;Brest Deux;;29200;Brest;Café IA;Oui;Non;Non",
    "vitre@x.fr;Vitré Avenir;02 99 00 00 07;35500;Vitré;Café IA;Non;Non;Oui",
    "malo@x.fr;Fabrique Malouine;02 99 00 00 08;35400;Saint-Malo;Parentalité numérique;Oui;Non;Oui",
]
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def search(reference) -> CommuneSearch:
    return CommuneSearch(reference)


@pytest.fixture(scope="module")
def site(tmp_path_factory, gazetteer) -> Path:
    """The publication of a store holding ``ROWS`` (demo data: published without a moderator)."""
    home = tmp_path_factory.mktemp("home")
    export = home / "export.csv"
    export.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CARTE_DATA_HOME", str(home))
        patch.setenv("CARTE_TILES_URL", "")
        patch.delenv("DATABASE_URL", raising=False)
        engine = store.connect()
        store.save_import(engine, load_files([export], gazetteer, LoadOptions()), is_demo=True)
        publish.publish(engine, home / "public")
    return home / "public"


@pytest.fixture(scope="module")
def site_url(site) -> str:
    with serving(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture()
def page(browser):
    """A fresh page (French, geolocated in Saint-Malo) that fails the test on any dialog or script error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR",
                                  geolocation={"latitude": 48.649, "longitude": -2.007}, permissions=["geolocation"])
    page = context.new_page()
    problems: list[str] = []
    page.on("dialog", lambda dialog: (problems.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.set_default_timeout(WAIT_MS)
    yield page
    context.close()
    assert problems == []


# ---------------------------------------------------------------------------------------------------------
# The browser's search is Python's
# ---------------------------------------------------------------------------------------------------------

FIXED_QUERIES = [
    "rennes", "Rennes", "RENNES ", "35000", "35238", "35", "3", "350", "35 000", "75\u00a0015", "75015", "75115",
    "Paris 15e Arrondissement", "paris 15", "paris", "lyon 3", "69003", "13001", "13", "2A004", "2a004", "20000",
    "st malo", "SAINT-MALO", "saint-malô", "St-Malo", "st", "ste", "sts", "saint", "st etienne", "ste colombe",
    "Sainte-Colombe", "Sainte-Colombe (89)", "sainte-colombe (05)", "Saint-Denis", "saint denis (974)",
    "Rennes (35) — 35000, 35200, 35700", "Ajaccio (2a) — 20000, 20090, 20167", "Paris (75) — 75001, 75002…",
    "Saint-Denis (Réunion)", "bordaux", "Marseile", "rene", "Orléans", "orleans", "le mans", "mans", "Le Mans",
    "l'hay", "L’Haÿ-les-Roses", "malo", "Châlons-en-Champagne", "chalons", "Pont s/ Seine", "bar s/ aube",
    "Aix", "aix en provence", "Œuilly", "oeuilly", "Saint-Étienne", "", "   ", "-", "1", "123456", "\u200b",
    "<script>alert(1)</script>", "'; DROP TABLE communes; --", "%00", "🙂 paris", "x" * 300, "ß", "Straße",
    "ǅ", "İstanbul", "ﬁgeac", "Ⅸ", "st/", "(35)", "Rennes (99)", "Rennes ( 35 )", "rennes\r", "rennes\nbrest",
]


def _sample_queries(search: CommuneSearch, count: int = 400) -> list[str]:
    """Commune names, their beginnings, typing errors and postcodes, drawn at random (fixed seed)."""
    entries = search.entries()
    chosen = random.Random(14).sample(range(len(entries)), count)
    queries = []
    for position, entry in enumerate(chosen):
        name, postcodes = entries["nom"].iloc[entry], entries["postcodes"].iloc[entry]
        kind = position % 5
        if kind == 0:
            queries.append(name)
        elif kind == 1:
            queries.append(name[: max(2, len(name) // 2)])
        elif kind == 2 and len(name) > 4:
            cut = len(name) // 2
            queries.append(name[:cut] + name[cut + 1:])  # one letter forgotten
        elif kind == 3 and postcodes:
            queries.append(postcodes[0])
        else:
            queries.append(f"{name} ({entries['departement_code'].iloc[entry]})")
    return queries


LOOKUPS = """
async (queries) => {
  const search = await window.carteRecherche.ready();
  return queries.map((query) => {
    const found = search.lookup(query);
    return [found.found, found.candidates.map((row) => [row.insee_code, row.label]),
            found.commune ? [found.commune.insee_code, found.commune.lat, found.commune.lon] : null,
            search.suggest(query, 20).map((row) => row.insee_code)];
  });
}
"""


def _python_lookup(search: CommuneSearch, query: str) -> list:
    found = search.lookup(query)
    commune = found.commune
    return [found.found.value, [[row.insee_code, row.label] for row in found.candidates.itertuples()],
            None if commune is None else [commune["insee_code"], round(commune["lat"], 5), round(commune["lon"], 5)],
            search.suggest(query, limit=20)["insee_code"].tolist()]


def test_browser_search_finds_what_python_finds(page, site_url, search):
    queries = FIXED_QUERIES + _sample_queries(search)
    page.goto(f"{site_url}/")
    found = page.evaluate(LOOKUPS, queries)
    differences = [(query, got, _python_lookup(search, query)) for query, got in zip(queries, found)
                   if got != _python_lookup(search, query)]
    assert differences == [], "\n".join(f"{query!r}:\n  navigateur {got}\n  Python     {expected}"
                                        for query, got, expected in differences[:5])


def test_browser_folds_every_commune_name_as_python(page, site_url, search):
    names = search.entries()["nom"].tolist()
    page.goto(f"{site_url}/")
    odd = ["  Adresse e-mail ", "L’Haÿ-les-Roses", "Cœur_de_ville", "ÆØŁĐı", "Straße", "ﬁ", "Ⅸ", "ℌ", "½",
           "a\u2028b", "x\u0301y", "\u00a0n\u202fo", "ǅ", "İ", "ς", "Ω", "日本", "١٢٣", "e\u0308"]
    folded = page.evaluate("(texts) => texts.map((text) => window.carteRecherche.fold(text))", names + odd)
    differences = [(text, got, fold(text)) for text, got in zip(names + odd, folded) if got != fold(text)]
    assert differences == []


DEPARTEMENT_LOOKUPS = """
async (queries) => {
  const found = [];
  for (const query of queries) {
    const search = await window.carteRecherche.ready(window.carteRecherche.splitDepartement(query)[1]);
    const result = search.lookup(query);
    found.push([result.found, result.candidates.map((row) => [row.insee_code, row.label]),
                result.commune ? [result.commune.insee_code, result.commune.lat, result.commune.lon] : null,
                search.suggest(query, 20).map((row) => row.insee_code)]);
  }
  return found;
}
"""


def test_a_query_naming_its_departement_needs_only_that_departements_index(page, site_url, search):
    """« Nom (dép.) », as suggestions and shared links write it, is looked up in its département's small file."""
    designations = [query for query in _sample_queries(search, 200) if query.endswith(")")]
    queries = designations + ["Sainte-Colombe (89)", "sainte colombe (05)", "st malo (35)", "35000 (35)",
                              "Rennes (35) — 35000, 35200, 35700", "Paris 15e Arrondissement (75)", "75015 (75)",
                              "Ajaccio (2A)", "Saint-Denis (974)", "rene (35)", "Rennes (13)", "x (971)"]
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{site_url}/")
    found = page.evaluate(DEPARTEMENT_LOOKUPS, queries)
    differences = [(query, got) for query, got in zip(queries, found) if got != _python_lookup(search, query)]
    assert differences == []
    assert not any("/data/communes." in url for url in requested)  # never the whole index
    assert any("/data/communes-" in url and url.endswith("/89.json") for url in requested)
