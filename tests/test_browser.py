"""The app in a real headless Chromium (Playwright driving Debian's chromium).

The store holds the bundled demo export plus a small export whose structure names are
hostile. Every test fails on any JavaScript dialog: an injected ``alert`` would open one.
Screenshots of each page are saved in the test artifacts folder.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from urllib.parse import urlparse

import pytest

from conftest import CHROMIUM_ARGS, CLUSTERED_MARKERS, running_app
from layout_checks import CHIPS_CLIPPED, TRUNCATED_LABELS

HOSTILE_NAMES = ["<img src=x onerror=alert(1)>", "`${alert(2)}`", "\\`${alert(3)}\\`", "[clic](javascript:alert(4))"]
MAP_FRAME = "iframe[title*='streamlit_folium']"


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
        subprocess.run([sys.executable, "-m", "loaders", *command], env=env, check=True, capture_output=True)
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


def _search(page, app_url: str, query: str) -> list[str]:
    page.goto(f"{app_url}/")
    box = page.get_by_label("Commune ou code postal")
    box.fill(query)
    box.press("Enter")
    page.locator(".carte-resultats li").first.wait_for(timeout=60_000)
    return page.locator(".carte-resultats li").all_inner_texts()


def _distance_km(item: str) -> float:
    return float(re.search(r"à ([\d,]+) km", item)[1].replace(",", "."))


def test_map_draws_from_self_hosted_assets_and_contacts_no_other_host(browser_page, app_url, artifacts):
    page = browser_page
    page.goto(f"{app_url}/?theme=cafe-ia")
    map_frame = page.frame_locator(MAP_FRAME).first
    map_frame.locator(".leaflet-container").wait_for(timeout=60_000)
    map_frame.locator(".marker-cluster").first.wait_for(timeout=60_000)
    page.get_by_text("Données de démonstration").first.wait_for()
    page.screenshot(path=artifacts / "trouver.png", full_page=True)
    hosts = {urlparse(url).hostname for url in page.requested if url.startswith(("http:", "https:", "ws:", "wss:"))}
    assert hosts == {"127.0.0.1"}, f"requests to other hosts: {sorted(hosts - {'127.0.0.1'})}"
    assert any(url.endswith("/app/static/vendor/leaflet/leaflet.js") for url in page.requested)


def test_search_lists_the_nearest_animators_in_order(browser_page, app_url, artifacts):
    items = _search(browser_page, app_url, "Rennes")
    browser_page.screenshot(path=artifacts / "trouver-rennes.png", full_page=True)
    distances = [_distance_km(item) for item in items]
    assert len(items) == 20
    assert distances == sorted(distances)
    assert distances[0] < 1.0
    assert "les plus proches de Rennes" in browser_page.locator(".carte-resultats h2").inner_text()


def test_public_map_ends_with_every_marker_clustered(browser_page, app_url, store_home_of_app):
    """The map clusters the markers around the searched commune first, then all the others: every trained
    Café IA animator of the store ends up in the cluster group, and nothing is requested from another host."""
    from loaders import store

    animators = store.read_public(store.connect(f"sqlite:///{store_home_of_app / 'carte.sqlite'}"))
    expected = int(((animators["theme"] == "cafe-ia") & (animators["training_status"] == "trained")).sum())
    page = browser_page
    page.goto(f"{app_url}/?q=rennes")
    page.frame_locator(MAP_FRAME).first.locator(".marker-cluster").first.wait_for(timeout=60_000)
    (frame,) = [frame for frame in page.frames if "streamlit_folium" in frame.url]
    frame.wait_for_function(f"({CLUSTERED_MARKERS})() === {expected}", timeout=60_000)
    assert {urlparse(url).hostname for url in page.requested if url.startswith(("http:", "ws:"))} == {"127.0.0.1"}



def test_plain_streamlit_run_still_serves_the_public_page(store_home_of_app, chromium):
    """Without the launcher (``streamlit run app.py``), the first visit fills the caches itself."""
    from playwright.sync_api import sync_playwright

    with running_app(store_home_of_app, launcher=False) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{url}/?q=rennes")
        page.locator(".carte-resultats li").first.wait_for(timeout=60_000)
        page.frame_locator(MAP_FRAME).first.locator(".marker-cluster").first.wait_for(timeout=60_000)
        browser.close()


def test_hostile_names_show_as_text_in_the_list_and_the_map(browser_page, app_url):
    items = _search(browser_page, app_url, "35000")
    shown = "\n".join(items)
    for name in HOSTILE_NAMES:
        assert name in shown
    frame = browser_page.frame_locator(MAP_FRAME).first
    frame.locator(".leaflet-container").wait_for(timeout=60_000)
    # Open, as Leaflet would on click, the popup of every marker around Rennes.
    opened = browser_page.frames[-1].evaluate(OPEN_POPUPS_NEAR_RENNES)
    assert opened >= len(HOSTILE_NAMES)
    popup_text = frame.locator(".leaflet-popup-content").all_inner_texts()
    assert any("<img src=x onerror=alert(1)>" in text for text in popup_text)


def test_hostile_search_text_shows_literally_in_the_message(browser_page, app_url):
    """The query is echoed in a Markdown message: it must stay text, not become a link or an image."""
    page = browser_page
    page.goto(f"{app_url}/")
    box = page.get_by_label("Commune ou code postal")
    box.fill("[clic](javascript:alert(5)) ![x](x.png) <img src=x onerror=alert(6)>")
    box.press("Enter")
    message = page.locator("[data-testid='stAlertContentError']")
    message.wait_for(timeout=60_000)
    assert "[clic](javascript:alert(5)) ![x](x.png) <img src=x onerror=alert(6)>" in message.inner_text()
    assert message.locator("a, img").count() == 0


OPEN_POPUPS_NEAR_RENNES = """
() => {
  const map = Object.values(window).find((value) => value instanceof L.Map);
  let opened = 0;
  map.eachLayer((layer) => {
    if (!layer.getLayers) return;
    layer.getLayers().forEach((marker) => {
      if (!marker.getLatLng || !marker.getPopup()) return;
      const at = marker.getLatLng();
      if (Math.abs(at.lat - 48.11) > 0.05 || Math.abs(at.lng + 1.68) > 0.08) return;
      const content = marker.getPopup().getContent();
      const html = typeof content === "function" ? content(marker) : content;
      L.popup({autoClose: false}).setLatLng(at).setContent(html).addTo(map);
      opened += 1;
    });
  });
  return opened;
}
"""


def test_around_me_uses_the_browser_position(browser_page, app_url):
    page = browser_page
    page.goto(f"{app_url}/")
    page.get_by_role("button", name="Autour de moi").click()
    page.locator(".carte-resultats li").first.wait_for(timeout=60_000)
    assert "votre position" in page.locator(".carte-resultats h2").inner_text()
    assert "position=48.65%2C-2.01" in page.url or "position=48.65,-2.01" in page.url
    first = page.locator(".carte-resultats li").first.inner_text()
    assert _distance_km(first) < 25


def test_pages_switch_and_render(browser_page, app_url, artifacts):
    page = browser_page
    page.goto(f"{app_url}/")
    page.locator("a", has_text="Couverture du territoire").click()
    page.get_by_role("heading", name="Couverture du territoire").wait_for(timeout=60_000)
    page.frame_locator(MAP_FRAME).first.locator("path.leaflet-interactive").first.wait_for(timeout=60_000)
    page.screenshot(path=artifacts / "couverture.png", full_page=True)
    page.locator("a", has_text="Préparer les formations").click()
    page.get_by_role("heading", name="Préparer les formations").wait_for(timeout=60_000)
    page.goto(f"{app_url}/formations?region=53")
    page.get_by_text("Le vivier à former").wait_for(timeout=60_000)
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


def test_embed_mode_shows_the_map_and_list_alone(browser_page, app_url, artifacts):
    page = browser_page
    page.goto(f"{app_url}/?embed=1&q=rennes")
    page.locator(".carte-resultats li").first.wait_for(timeout=60_000)
    page.screenshot(path=artifacts / "integration.png", full_page=True)
    assert page.get_by_role("heading", name="Trouver un animateur").count() == 0
    assert page.locator("a", has_text="Couverture du territoire").count() == 0


def test_accessibility_smoke(browser_page, app_url):
    """Every input has a label, every image has a text alternative, the results are keyboard-reachable."""
    page = browser_page
    _search(page, app_url, "Rennes")
    unlabelled = page.evaluate(UNLABELLED_INPUTS)
    assert unlabelled == []
    assert page.locator("img:not([alt])").count() == 0
    frame = page.frame_locator(MAP_FRAME).first
    frame.locator(".leaflet-container").wait_for(timeout=60_000)
    assert frame.locator("img:not([alt])").count() == 0
    reached = False
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('.carte-resultats li') !== null"):
            reached = True
            break
    assert reached, "the result list cannot be reached with the Tab key"


UNLABELLED_INPUTS = """
() => [...document.querySelectorAll("input, select, textarea")]
  .filter((el) => el.type !== "hidden" && el.offsetParent !== null)
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
                  && !el.getAttribute("aria-labelledby"))
  .map((el) => el.outerHTML.slice(0, 120))
"""


def test_nearest_order_matches_a_naive_distance_sort(browser_page, app_url, store_home_of_app, reference):
    """The page's order equals a plain-Python sort of the store's trained Café IA animators by distance."""
    import math

    from loaders import store

    items = _search(browser_page, app_url, "Rennes")
    town_hall = reference.communes.loc["35238"]
    animators = store.read_public(store.connect(f"sqlite:///{store_home_of_app / 'carte.sqlite'}"))
    trained = animators[(animators["theme"] == "cafe-ia") & (animators["training_status"] == "trained")]

    def naive_km(lat: float, lon: float) -> float:
        phi1, phi2 = math.radians(town_hall["lat"]), math.radians(lat)
        dphi, dlmb = phi2 - phi1, math.radians(lon - town_hall["lon"])
        a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
        return 2 * 6371.0088 * math.asin(math.sqrt(a))

    # Python's sort is stable: equal distances keep the store's order, as the page does.
    expected = sorted(((naive_km(row.lat, row.lon), row.structure) for row in trained.itertuples()),
                      key=lambda pair: pair[0])[:20]
    shown = [item.split("\n")[0].split(" — ")[0] for item in items]
    assert shown == [structure for _, structure in expected]


# « Trouver un animateur », issue 16: the search box, the map's words and markers, the phone layout.

RESULTS_TITLE = ".carte-resultats h2"


def _wait_for_title(page, text: str) -> str:
    page.wait_for_function("(text) => { const title = document.querySelector('.carte-resultats h2');"
                           " return title !== null && title.textContent.includes(text); }", arg=text, timeout=60_000)
    return page.locator(RESULTS_TITLE).inner_text()


def test_search_box_suggests_while_typing_and_back_undoes_a_search(browser_page, app_url):
    page = browser_page
    page.goto(f"{app_url}/")
    box = page.get_by_label("Commune ou code postal")
    box.press_sequentially("Sainte-Colombe", delay=30)  # no Enter: suggestions come while typing
    page.get_by_role("option", name="Sainte-Colombe (89) — 89440").wait_for(timeout=30_000)
    shown = page.get_by_role("option").all_inner_texts()
    for departement in ("05", "17", "46", "89"):  # beyond the first eight homonyms
        assert any(label.startswith(f"Sainte-Colombe ({departement})") for label in shown), departement
    assert box.get_attribute("aria-expanded") == "true"
    assert "Press Enter" not in page.locator("body").inner_text()
    page.get_by_role("option", name="Sainte-Colombe (89) — 89440").click()
    assert "Sainte-Colombe (89)" in _wait_for_title(page, "Sainte-Colombe (89)")
    # With the keyboard: the first suggestion for « Renne » is Rennes.
    box.fill("")
    box.press_sequentially("Renne", delay=30)
    page.get_by_role("option", name="Rennes (35) — 35000, 35200, 35700").wait_for(timeout=30_000)
    box.press("ArrowDown")
    box.press("Enter")
    _wait_for_title(page, "Rennes (35)")
    assert "q=Rennes+%2835%29" in page.url
    page.go_back()
    _wait_for_title(page, "Sainte-Colombe (89)")
    assert box.input_value() == "Sainte-Colombe (89)"
    page.go_forward()
    _wait_for_title(page, "Rennes (35)")
    assert box.input_value() == "Rennes (35)"


LISTED_MARKERS = """
() => {
  const map = Object.values(window).find((value) => value instanceof L.Map);
  const listed = [];
  map.eachLayer((layer) => {
    if (!(layer instanceof L.MarkerClusterGroup)) return;
    layer.getLayers().forEach((marker) => { if (marker.options.rank) listed.push(marker); });
  });
  const rank = (marker) => marker.options.rank;
  window.listedMarkers = listed.sort((a, b) => rank(a) - rank(b));
  const view = map.getBounds();
  return {ranks: listed.map(rank),
          inView: listed.filter((marker) => view.contains(marker.getLatLng())).length};
}
"""
OPEN_FIRST_POPUP = """
() => new Promise((resolve) => {
  const marker = window.listedMarkers[0];
  const group = Object.values(window).find((value) => value instanceof L.Map);
  let cluster = null;
  group.eachLayer((layer) => { if (layer instanceof L.MarkerClusterGroup) cluster = layer; });
  cluster.zoomToShowLayer(marker, () => { marker.openPopup(); resolve(marker.getPopup().getElement().innerText); });
})
"""
OPEN_AN_UNLISTED_POPUP = """
() => new Promise((resolve) => {
  const map = Object.values(window).find((value) => value instanceof L.Map);
  let cluster = null;
  map.eachLayer((layer) => { if (layer instanceof L.MarkerClusterGroup) cluster = layer; });
  const marker = cluster.getLayers().find((layer) => !layer.options.rank);
  const at = marker.getLatLng();
  cluster.zoomToShowLayer(marker, () => {
    marker.openPopup();
    resolve([at.lat, at.lng, marker.getPopup().getElement().innerText]);
  });
})
"""
SPIDERFY_A_SHARED_POINT = """
() => new Promise((resolve) => {
  const map = Object.values(window).find((value) => value instanceof L.Map);
  let cluster = null;
  map.eachLayer((layer) => { if (layer instanceof L.MarkerClusterGroup) cluster = layer; });
  const seen = new Map();
  let pair = null;
  for (const marker of cluster.getLayers()) {
    const key = marker.getLatLng().toString();
    if (seen.has(key)) { pair = [seen.get(key), marker]; break; }
    seen.set(key, marker);
  }
  if (pair === null) { resolve("no two markers at one point"); return; }
  cluster.zoomToShowLayer(pair[0], () => {
    const [a, b] = pair.map((marker) => map.latLngToContainerPoint(marker.getLatLng()));
    resolve({visible: map.hasLayer(pair[0]) && map.hasLayer(pair[1]), apart: a.distanceTo(b)});
  });
})
"""


def test_public_map_speaks_french_fits_and_numbers_the_listed_animators(browser_page, app_url, reference):
    page = browser_page
    items = _search(page, app_url, "Rennes")
    assert page.evaluate(TRUNCATED_LABELS) == []  # « Conseillers numériques u… » beside the other filters
    frame = page.frame_locator(MAP_FRAME).first
    frame.locator(".marker-cluster").first.wait_for(timeout=60_000)
    zoom_in, zoom_out = frame.locator(".leaflet-control-zoom-in"), frame.locator(".leaflet-control-zoom-out")
    assert (zoom_in.get_attribute("title"), zoom_in.get_attribute("aria-label")) == ("Zoomer", "Zoomer")
    assert (zoom_out.get_attribute("title"), zoom_out.get_attribute("aria-label")) == ("Dézoomer", "Dézoomer")
    attribution = frame.locator(".leaflet-control-attribution").inner_html()
    assert "A JavaScript library" not in attribution and "Leaflet" in attribution
    scale = frame.locator(".leaflet-control-scale").inner_text()
    assert re.fullmatch(r"\s*\d+ k?m\s*", scale), scale  # metric only: no miles, no feet
    (map_frame,) = [frame_ for frame_ in page.frames if "streamlit_folium" in frame_.url]
    map_frame.wait_for_function(f"({CLUSTERED_MARKERS})() > 20", timeout=60_000)
    markers = map_frame.evaluate(LISTED_MARKERS)
    assert markers["ranks"] == list(range(1, len(items) + 1))  # numbered as the list
    assert markers["inView"] == len(items)  # the map is fitted on the listed animators
    popup = map_frame.evaluate(OPEN_FIRST_POPUP)
    first_structure = items[0].split("\n")[0].split(" — ")[0]
    assert popup.startswith(f"1. {first_structure}")
    assert f"à {_distance_km(items[0]):.1f} km".replace(".", ",") in popup  # the list's distance (< 10 km)
    close = frame.locator(".leaflet-popup-close-button")
    assert (close.get_attribute("aria-label"), close.get_attribute("title")) == ("Fermer", "Fermer")
    # An animator beyond the list: its popup gives its distance to Rennes too, as the page would write it.
    from geo.distances import haversine_km
    from views.labels import km

    lat, lon, text = map_frame.evaluate(OPEN_AN_UNLISTED_POPUP)
    rennes = reference.communes.loc["35238"]
    assert f"à {km(float(haversine_km(rennes['lon'], rennes['lat'], lon, lat)))}" in text
    spread = map_frame.evaluate(SPIDERFY_A_SHARED_POINT)
    assert spread["visible"] and spread["apart"] > 5, spread  # animators of one point fan out


PHONE = {"width": 390, "height": 844}


def _intersect(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def test_phone_shows_the_list_first_and_nothing_clipped_or_overlapping(browser_page, app_url, artifacts):
    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto(f"{app_url}/?q=Rennes&statut=trained&statut=in_training&statut=referenced")
    page.locator(".carte-resultats li").first.wait_for(timeout=60_000)
    frame = page.frame_locator(MAP_FRAME).first
    frame.locator(".leaflet-control-scale").wait_for(timeout=60_000)
    page.screenshot(path=artifacts / "trouver-telephone.png")
    title = page.locator(RESULTS_TITLE).bounding_box()
    map_box = page.locator(MAP_FRAME).bounding_box()
    assert title["y"] + title["height"] <= PHONE["height"], title  # the results start on the first screen
    assert map_box["height"] <= 320 and map_box["y"] > title["y"]
    assert page.evaluate(CHIPS_CLIPPED) == []
    assert page.evaluate(TRUNCATED_LABELS) == []
    # The attribution of the real basemap (the tests run without tiles), as Leaflet shows it.
    (map_frame,) = [frame_ for frame_ in page.frames if "streamlit_folium" in frame_.url]
    map_frame.evaluate("""(text) => Object.values(window).find((value) => value instanceof L.Map)
                          .attributionControl.addAttribution(text)""", "© IGN – Géoplateforme, Plan IGN")
    scale = frame.locator(".leaflet-control-scale").bounding_box()
    attribution = frame.locator(".leaflet-control-attribution").bounding_box()
    assert not _intersect(scale, attribution), (scale, attribution)
    page.get_by_role("link", name="Voir ces animateur·rices sur la carte").click()
    page.wait_for_function(f"""() => {{ const box = document.querySelector("{MAP_FRAME}").getBoundingClientRect();
                                       return box.top >= -1 && box.top < {PHONE['height']}; }}""", timeout=10_000)
