"""The app in a real headless Chromium (Playwright driving Debian's chromium).

The store holds the bundled demo export plus a small export whose structure names are
hostile. Every test fails on any JavaScript dialog: an injected ``alert`` would open one.
Screenshots of each page are saved in the test artifacts folder. The public finder itself is tested
page by page in tests/test_static_finder.py; here, as the app publishes, serves and frames it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from urllib.parse import urlparse

import pytest
from conftest import CHROMIUM_ARGS, running_app

HOSTILE_NAMES = ["<img src=x onerror=alert(1)>", "`${alert(2)}`", "\\`${alert(3)}\\`", "[clic](javascript:alert(4))"]
MAP_FRAME = "iframe[title*='streamlit_folium']"  # the pilot pages' maps


@pytest.fixture(scope="module")
def store_home_of_app(tmp_path_factory, repo_root):
    """A store with the demo export and a few hostile rows, imported by the command line."""
    home = tmp_path_factory.mktemp("home")
    hostile = home / "hostile.csv"
    rows = [f"h{n}@x.fr;{name};35000;Rennes;Café IA;Oui;Oui" for n, name in enumerate(HOSTILE_NAMES)]
    hostile.write_text("Adresse e-mail;Nom de votre structure;Code postal;Commune;Thématiques;Formé(e) ?;"
                       "Consentement\n" + "\n".join(rows) + "\n", encoding="utf-8")
    env = {**os.environ, "CARTE_DATA_HOME": str(home)}
    # Both demo imports: published at once, without a moderator.
    for command in ([str(repo_root / "data/demo/demo-animateurs.csv"), "--demo"], [str(hostile), "--demo"]):
        subprocess.run([sys.executable, "-m", "carte", "import", *command], env=env, check=True, capture_output=True)
    return home


@pytest.fixture(scope="module")
def app_url(store_home_of_app, chromium):
    with running_app(store_home_of_app) as url:
        yield url


@pytest.fixture()
def browser_page(app_url, chromium):
    """A fresh page that records every request and fails the test on any dialog."""
    from playwright.sync_api import sync_playwright

    dialogs: list[str] = []
    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR",
                                      geolocation={"latitude": 48.649, "longitude": -2.007},
                                      permissions=["geolocation"])
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on("request", lambda request: requested.append(request.url))
        page.requested = requested
        yield page
        browser.close()
    assert dialogs == [], f"injected code ran: {dialogs}"


FINDER_FRAME = "iframe[src^='/carte/']"


def _finder(page):
    """The frame of the static finder in the app's page, once it shows a title."""
    page.frame_locator(FINDER_FRAME).locator("#titre-resultats").wait_for(timeout=60_000)
    (frame,) = [frame for frame in page.frames if "/carte/" in frame.url]
    return frame


def test_app_shows_the_static_finder_that_it_publishes_and_serves(browser_page, app_url, artifacts):
    page = browser_page
    page.goto(f"{app_url}/?q=rennes")
    finder = _finder(page)
    finder.wait_for_function("() => document.querySelector('#titre-resultats').textContent.includes('Rennes')")
    page.screenshot(path=artifacts / "trouver-rennes.png", full_page=True)
    items = finder.locator(".carte-resultats li").all_inner_texts()
    assert len(items) == 20 and "les plus proches de Rennes" in finder.locator("#titre-resultats").inner_text()
    assert finder.get_by_text("Données de démonstration").is_visible()
    hosts = {urlparse(url).hostname for url in page.requested if url.startswith(("http:", "https:", "ws:", "wss:"))}
    assert hosts == {"127.0.0.1"}, f"requests to other hosts: {sorted(hosts - {'127.0.0.1'})}"
    assert any("/carte/assets/leaflet-1.9.4/leaflet.js" in url for url in page.requested)


def test_around_me_works_inside_the_apps_frame(browser_page, app_url):
    page = browser_page
    page.goto(f"{app_url}/")
    finder = _finder(page)
    finder.get_by_role("button", name="Autour de moi").click()
    finder.wait_for_function("() => document.querySelector('#titre-resultats').textContent.includes('votre position')")
    assert "position=48.65%2C-2.01" in finder.url


def test_embed_mode_shows_the_finder_alone(browser_page, app_url, artifacts):
    page = browser_page
    page.goto(f"{app_url}/?embed=1&q=rennes")
    finder = _finder(page)
    finder.locator(".carte-resultats li").first.wait_for(timeout=60_000)
    page.screenshot(path=artifacts / "integration.png", full_page=True)
    assert "embed=1" in finder.url
    assert page.locator("a", has_text="Couverture du territoire").count() == 0
    assert finder.get_by_role("heading", name="Trouver un animateur").is_hidden()


def test_the_app_serves_the_publication_with_cache_headers(app_url):
    import gzip
    import json
    import urllib.error
    import urllib.request

    with urllib.request.urlopen(f"{app_url}/carte/") as response:
        page = response.read().decode()
        assert response.headers["Cache-Control"] == "no-cache"
        assert response.headers["Content-Type"].startswith("text/html")
    data = json.loads(re.search(r'application/json">(.*?)</script>', page)[1])["files"]["carte"]
    request = urllib.request.Request(f"{app_url}/carte/{data}", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request) as response:
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["Content-Encoding"] == "gzip"
        assert json.loads(gzip.decompress(response.read()))["count"] > 2000
    for hidden in ("/carte/.publication.json", "/carte/data/", "/carte/..%2Fcarte.sqlite"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{app_url}{hidden}")
        refused.value.close()
        assert refused.value.code in (400, 404), hidden


def test_an_import_republishes_what_the_app_serves(store_home_of_app, app_url, repo_root, tmp_path):
    """The store's write hook republishes the registered publication: the next visit sees the new animator."""
    import urllib.request

    export = tmp_path / "nouveau.csv"
    export.write_text("Adresse e-mail;Nom de votre structure;Code postal;Commune;Thématiques;Formé(e) ?\n"
                      "nouveau@x.fr;Tiers-lieu tout neuf;29200;Brest;Café IA;Oui\n", encoding="utf-8")
    env = {**os.environ, "CARTE_DATA_HOME": str(store_home_of_app)}
    subprocess.run([sys.executable, "-m", "carte", "import", str(export), "--demo"], env=env, check=True,
                   capture_output=True, cwd=repo_root)
    with urllib.request.urlopen(f"{app_url}/carte/") as response:
        data = re.search(r'"carte":"([^"]+)"', response.read().decode())[1]
    with urllib.request.urlopen(f"{app_url}/carte/{data}") as response:
        assert "Tiers-lieu tout neuf" in response.read().decode()


def test_plain_streamlit_run_app_py_says_where_the_finder_is(store_home_of_app, chromium):
    """Without server.py (``streamlit run app.py``), the public page says how to start the app in full."""
    from playwright.sync_api import sync_playwright

    with running_app(store_home_of_app, launcher=False) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{url}/")
        notice = page.locator("[data-testid='stAlertContentInfo']", has_text="make run")
        notice.wait_for(timeout=60_000)
        assert notice.is_visible() and page.locator(FINDER_FRAME).count() == 0
        browser.close()


def test_pages_switch_and_render(browser_page, app_url, artifacts):
    """The sidebar links open each pilot page at its own address, drawn without error (map, heading, pool)."""
    page = browser_page
    page.goto(f"{app_url}/")
    page.locator("a", has_text="Couverture du territoire").click()
    page.get_by_role("heading", name="Couverture du territoire").wait_for(timeout=60_000)
    shapes = page.frame_locator(MAP_FRAME).first.locator("path.leaflet-interactive")
    shapes.first.wait_for(timeout=60_000)
    assert urlparse(page.url).path == "/couverture" and shapes.count() > 1
    page.screenshot(path=artifacts / "couverture.png", full_page=True)
    page.locator("a", has_text="Préparer les formations").click()
    page.get_by_role("heading", name="Préparer les formations").wait_for(timeout=60_000)
    assert urlparse(page.url).path == "/formations"
    assert page.get_by_role("heading", name="Couverture du territoire").count() == 0
    page.goto(f"{app_url}/formations?region=53")
    page.get_by_text("Le vivier à former").wait_for(timeout=60_000)
    page.get_by_role("heading", name="Liste d'invitation").wait_for(timeout=60_000)  # the end of the page
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=artifacts / "formations.png", full_page=True)


def test_clicking_a_territory_shows_its_details(browser_page, app_url, artifacts):
    page = browser_page
    page.goto(f"{app_url}/couverture?region=53&dep=35")
    shapes = page.frame_locator(MAP_FRAME).first.locator("path.leaflet-interactive")
    shapes.first.wait_for(timeout=60_000)
    population = page.locator("[data-testid='stMetricLabel']", has_text="Population")
    assert population.count() == 0
    shapes.nth(shapes.count() // 2).click(force=True)
    population.wait_for(timeout=60_000)
    assert "zone=" in page.url
    page.screenshot(path=artifacts / "couverture-detail.png", full_page=True)
