"""No English left in the interface (issue 16, point 10), in a real headless Chromium.

Every page is walked as a visitor or an agent would meet it (the public page, its embedded version,
and the pilot pages in demo mode), and what only shows on demand is revealed first: each select box's
and multiselect's list, text typed in the boxes (Streamlit's « Press Enter » hint), expanders, tabs, a
file in the uploader, a search. Then every text of the document and of its frames (the maps) is read,
with the attributes a screen reader or a mouse shows (``title``, ``aria-label``, ``placeholder``,
``alt``), and none may contain a word of :data:`ENGLISH`.

One app and one browser serve the whole module.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import CHROMIUM_ARGS, running_app

# English words and phrases of Streamlit's, Leaflet's and the browser's interface, as whole words,
# case-sensitive (« Format », « Page » or « option » are French too, and are left out).
ENGLISH = (
    "Choose an option", "Choose options", "Select all", "Select", "selected", "Clear all", "Clear", "Open", "Close",
    "Upload", "per file", "Drag and drop", "file upload", "Add files", "Browse files", "Skip to main content",
    "Link to heading", "Help", "Press Enter", "Press Ctrl", "submit form", "Remove", "Delete", "Selected values",
    "No results", "No options", "available", "Dismiss", "Sidebar", "sidebar", "App pages", "View less", "more",
    "Download", "Search", "search", "Fullscreen", "fullscreen", "columns", "Sort", "Zoom in", "Zoom out",
    "Running", "Stop", "Rerun", "Copy", "Show", "Hide", "Connecting", "Loading", "Page not found", "Main menu",
    "Settings", "Print", "About", "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)
ENGLISH_WORD = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(word) for word in ENGLISH) + r")(?![\w-])")
# A name of an animator's structure that is also a phrase of Streamlit's interface: the app writes it, so it
# must show as written (see test_app_text_is_left_as_written).
STRUCTURE_NAMED_IN_ENGLISH = "Select all"
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
MAP_FRAME = "iframe[title*='streamlit_folium']"
# A list that has just closed may stay in the document for a moment, hidden: the one shown.
SHOWN_LIST = '[role="listbox"]:visible'
WAIT_MS = 90_000
TRANSLATION_WAIT_MS = 10_000
# Every text node (except scripts, styles, and Material icons, which are ligatures drawn as glyphs) and every
# attribute read aloud or shown on hover, in the document and its shadow roots.
READ_TEXTS = """
() => {
  const attributes = ["title", "aria-label", "placeholder", "alt", "aria-roledescription", "aria-valuetext"];
  const skipped = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE"]);
  const found = [];
  const visit = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (let node = walker.currentNode; node; node = walker.nextNode()) {
      if (node.nodeType === Node.TEXT_NODE) {
        const parent = node.parentElement;
        if (parent && !skipped.has(parent.tagName) && !parent.closest('[data-testid="stIconMaterial"]')) {
          found.push(["texte", node.nodeValue]);
        }
        continue;
      }
      if (node.nodeType !== Node.ELEMENT_NODE) continue;
      for (const name of attributes) {
        const value = node.getAttribute(name);
        if (value) found.push([name, value]);
      }
      if (node.shadowRoot) visit(node.shadowRoot);
    }
  };
  visit(document.documentElement);
  return found;
}
"""


@dataclass
class Visit:
    """What one page showed, across the steps that revealed its hidden texts."""

    page: object
    offenders: dict[str, str] = field(default_factory=dict)
    languages: set[str] = field(default_factory=set)

    def read(self, step: str) -> None:
        """Record the English found now in the page and its frames, and the document's language."""
        for frame in self.page.frames:
            try:
                texts = frame.evaluate(READ_TEXTS)
            except Exception:  # noqa: BLE001 — a frame replaced while it was read: read at the next step
                continue
            for kind, text in texts:
                if ENGLISH_WORD.search(text):
                    self.offenders.setdefault(f"{kind} : {' '.join(text.split())[:120]}", step)
        self.languages.add(self.page.evaluate("document.documentElement.lang"))


@pytest.fixture(scope="module")
def home_with_demo_data(tmp_path_factory, repo_root) -> Path:
    """The demo export, plus one animator in Ajaccio whose structure is named like a Streamlit button."""
    home = tmp_path_factory.mktemp("home")
    extra = home / "structure-anglaise.csv"
    extra.write_text("Adresse e-mail;Nom de votre structure;Code postal;Commune;Thématiques;Formé(e) ?;Consentement\n"
                     f"anglais@demo.invalid;{STRUCTURE_NAMED_IN_ENGLISH};20000;Ajaccio;Café IA;Oui;Oui\n",
                     encoding="utf-8")
    env = {**os.environ, "CARTE_DATA_HOME": str(home)}
    for path in (repo_root / "data/demo/demo-animateurs.csv", extra):
        subprocess.run([sys.executable, "-m", "carte", "import", str(path), "--demo"], env=env, check=True,
                       capture_output=True)
    return home


@pytest.fixture(scope="module")
def app_url(home_with_demo_data, chromium) -> Iterator[str]:
    with running_app(home_with_demo_data) as url:
        yield url


@pytest.fixture(scope="module")
def browser_context(chromium):
    """One headless Chromium for the module, in French like the people the app serves."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
        browser.close()


@pytest.fixture()
def visit(browser_context) -> Iterator[Visit]:
    page = browser_context.new_page()
    page.set_default_timeout(WAIT_MS)
    yield Visit(page)
    page.close()


def _open(visit: Visit, url: str) -> None:
    visit.page.goto(url)
    _settle(visit.page)
    visit.read("page ouverte")


def _settle(page) -> None:
    """Wait for the script run to end, then for the maps (Leaflet draws its controls after loading), then for
    the translation to have run.

    Streamlit fetches the code of an HTML element the first time a tab shows one, which may end after the
    script run: the translating script then starts a moment later. A page it never reaches is not waited
    for long, and the English it leaves is what the test reports.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.wait_for_timeout(300)
    page.locator(READY).wait_for()
    for index in range(page.locator(MAP_FRAME).count()):
        page.frame_locator(MAP_FRAME).nth(index).locator(".leaflet-control-zoom").wait_for()
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function("document.documentElement.lang === 'fr'", timeout=TRANSLATION_WAIT_MS)


def _reveal_lists(visit: Visit) -> None:
    """Open each select box's and multiselect's list (and its screen-reader announcement), then close it."""
    page = visit.page
    toggles = page.locator('[data-testid="stSelectbox"] button[aria-haspopup], '
                           '[data-testid="stMultiSelect"] button[aria-haspopup]')
    for index in range(toggles.count()):
        toggle = toggles.nth(index)
        if toggle.is_visible() and toggle.is_enabled():
            _open_list(page, toggle)
            visit.read(f"liste {index + 1} ouverte")
            page.keyboard.press("Escape")
            page.locator(SHOWN_LIST).first.wait_for(state="detached")


def _open_list(page, toggle) -> None:
    """Click ``toggle`` until its list shows: a rerun (a map sending its first view) closes an open list."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(3):
        toggle.click()
        try:
            page.locator(SHOWN_LIST).first.wait_for(timeout=10_000)
            return
        except PlaywrightTimeout:
            _settle(page)
    pytest.fail(f"the list of {toggle.get_attribute('aria-label')} did not open")


def _reveal_typing_hints(visit: Visit) -> None:
    """Type in each text box inside a form (Streamlit then shows its « Press Enter » hint), then empty it."""
    page = visit.page
    boxes = page.locator('[data-testid="stForm"] [data-testid="stTextInput"] input')
    for index in range(boxes.count()):
        boxes.nth(index).fill("essai")
        visit.read(f"saisie dans la case {index + 1} du formulaire")
        boxes.nth(index).fill("")


def _reveal_expanders(visit: Visit) -> None:
    page = visit.page
    summaries = page.locator('[data-testid="stExpander"] summary')
    for index in range(summaries.count()):
        summaries.nth(index).click()
        _settle(page)
    visit.read("sections dépliées")


def _reveal_tabs(visit: Visit) -> None:
    page = visit.page
    tabs = page.locator('[role="tab"]')
    for index in range(tabs.count()):
        tabs.nth(index).click()
        visit.read(f"onglet {index + 1}")


def _reveal_everything(visit: Visit) -> None:
    _reveal_lists(visit)
    _reveal_typing_hints(visit)
    _reveal_expanders(visit)
    _reveal_tabs(visit)


def _assert_french(visit: Visit) -> None:
    found = [f"{text}   ({step})" for text, step in sorted(visit.offenders.items())] + [f"langue du document : {lang}" for lang in sorted(visit.languages - {"fr"})]
    assert not found, "anglais dans l'interface :\n" + "\n".join(found)


def _settle_finder(page) -> None:
    """The static public finder has drawn its view (list or message, map controls)."""
    page.wait_for_function("() => document.body.dataset.etat === 'pret'")
    page.locator("#carte .leaflet-control-zoom").wait_for()


def _reveal_finder(visit: Visit) -> None:
    """Open what the static finder folds (filters, snippet, a map popup), reading after each step."""
    page = visit.page
    for summary in page.locator("summary:visible").all():
        summary.click()
    visit.read("sections dépliées")
    page.evaluate("""() => { const marker = window.carteListedMarkers[0]; if (marker) marker.openPopup(); }""")
    visit.read("fenêtre d'un marqueur")


def test_public_finder_and_its_search_speak_french(visit, app_url):
    page = visit.page
    page.goto(f"{app_url}/carte/")
    _settle_finder(page)
    visit.read("page ouverte")
    box = page.get_by_label("Commune ou code postal")
    box.press_sequentially("Renne", delay=20)
    page.get_by_role("option").first.wait_for()
    visit.read("suggestions")
    box.fill("Rennes")
    box.press("Enter")
    page.locator(".carte-resultats li").first.wait_for()
    visit.read("après la recherche")
    _reveal_finder(visit)
    box.fill("zzzqqq")
    box.press("Enter")
    page.locator(".erreur").wait_for()
    visit.read("commune introuvable")
    _assert_french(visit)


def test_embedded_public_finder_speaks_french(visit, app_url):
    visit.page.goto(f"{app_url}/carte/?embed=1&q=rennes")
    _settle_finder(visit.page)
    visit.read("page ouverte")
    _reveal_finder(visit)
    _assert_french(visit)


def test_apps_public_page_speaks_french(visit, app_url):
    """The app's page around the finder (navigation, frame) and the finder in it."""
    _open(visit, f"{app_url}/?q=rennes")
    visit.page.frame_locator("iframe[src^='/carte/']").locator(".carte-resultats li").first.wait_for()
    visit.read("carte dans la page")
    _assert_french(visit)


@pytest.mark.parametrize("path", ["donnees", "couverture", "formations?region=53", "pilotage", "controle"])
def test_page_speaks_french(visit, app_url, path):
    _open(visit, f"{app_url}/{path}")
    _reveal_everything(visit)
    _assert_french(visit)


def test_unknown_page_message_speaks_french(visit, app_url):
    """A mistyped link: Streamlit says so in a dialog over the home page."""
    visit.page.goto(f"{app_url}/page-inconnue")
    visit.page.get_by_role("dialog").wait_for()
    _settle(visit.page)
    visit.read("page inconnue")
    _assert_french(visit)


def test_importer_with_a_file_speaks_french(visit, app_url, repo_root, tmp_path):
    page = visit.page
    _open(visit, f"{app_url}/importer")
    lines = (repo_root / "data/demo/demo-animateurs.csv").read_text(encoding="utf-8-sig").splitlines()[:30]
    upload = tmp_path / "export.csv"
    upload.write_text("\n".join(lines) + "\n", encoding="utf-8")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(upload)
    page.locator('[data-testid="stFileChip"]').wait_for()
    page.get_by_text("Rapport ligne à ligne", exact=False).first.wait_for()
    _settle(page)
    visit.read("fichier déposé")
    _reveal_everything(visit)
    _assert_french(visit)


def test_app_text_is_left_as_written(visit, app_url):
    """The finder writes what the data says, even when a structure's name reads like a button of Streamlit's."""
    page = visit.page
    page.goto(f"{app_url}/?q=ajaccio")
    finder = page.frame_locator("iframe[src^='/carte/']")
    finder.locator(".carte-resultats li").first.wait_for()
    _settle(page)
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert STRUCTURE_NAMED_IN_ENGLISH in finder.locator(".carte-resultats").inner_text()
