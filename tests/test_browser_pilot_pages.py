"""« Pilotage » and « Couverture du territoire » in a real headless Chromium, on the demo export (demo mode).

The browser speaks English and lives in Guadeloupe (UTC−4): the pages must still write French months and
numbers, and show the right month. The national coverage map must show the whole of metropolitan France,
and its tooltips must stay inside the map wherever the pointer is.

One app and one browser serve the whole module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from conftest import CHROMIUM_ARGS, running_app
from layout_checks import CHIPS_CLIPPED, TRUNCATED_LABELS

READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
MAP_FRAME = "iframe[title*='streamlit_folium']"
WAIT_MS = 90_000
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Every pilot page with its multiselects filled as they open (demo mode: no sign-in).
PILOT_PAGES = ("couverture?region=53&dep=35", "formations?region=53", "pilotage", "controle", "importer")
ENGLISH_MONTHS = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b")
FRENCH_MONTH = re.compile(r"^(janv\.|févr\.|mars|avr\.|mai|juin|juil\.|août|sept\.|oct\.|nov\.|déc\.) \d{4}$")
# Extreme points of metropolitan France: Bray-Dunes (Nord), the Lavezzi islands (Corse-du-Sud), Ouessant,
# Lauterbourg (Bas-Rhin) and Cap Corse.
EXTREME_POINTS = {"Bray-Dunes": (51.08, 2.52), "Lavezzi": (41.34, 9.25), "Ouessant": (48.46, -5.13),
                  "Lauterbourg": (48.97, 8.23), "Cap Corse": (43.0, 9.42)}
MAP_OF_FRAME = "() => Object.values(window).find((value) => value instanceof L.Map)"
VIEW_HOLDS = """
(points) => {
  const map = Object.values(window).find((value) => value instanceof L.Map);
  const view = map.getBounds();
  return Object.fromEntries(Object.entries(points).map(([name, point]) => [name, view.contains(point)]));
}
"""
TOOLTIP_AND_MAP = """
() => {
  const tooltip = document.querySelector(".leaflet-tooltip");
  if (!tooltip) return null;
  const box = tooltip.getBoundingClientRect();
  const map = document.querySelector(".leaflet-container").getBoundingClientRect();
  return {tooltip: [box.left, box.top, box.right, box.bottom], map: [map.left, map.top, map.right, map.bottom]};
}
"""


@pytest.fixture(scope="module")
def page(demo_home, chromium) -> Iterator:
    from playwright.sync_api import sync_playwright

    with running_app(demo_home) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US",
                                      timezone_id="America/Guadeloupe")
        page = context.new_page()
        page.app_url = url
        yield page
        browser.close()


def open_page(page, path: str) -> None:
    page.goto(f"{page.app_url}/{path}")
    page.wait_for_selector(READY, timeout=WAIT_MS)


def map_frame(page):
    element = page.locator(MAP_FRAME).first
    element.wait_for(timeout=WAIT_MS)
    element.scroll_into_view_if_needed()
    frame = element.element_handle().content_frame()
    frame.wait_for_function(f"() => typeof L !== 'undefined' && ({MAP_OF_FRAME})() !== undefined", timeout=WAIT_MS)
    # The frame's height is set by the page (560 px) once Streamlit has laid it out.
    page.wait_for_function(f"() => document.querySelector(\"{MAP_FRAME}\").getBoundingClientRect().height > 500",
                           timeout=WAIT_MS)
    return element, frame


def test_pilotage_chart_writes_french_months_and_numbers_in_an_english_browser(page):
    open_page(page, "pilotage")
    page.wait_for_selector(".vega-embed svg text", timeout=WAIT_MS)
    labels = [text.strip() for text in page.locator(".vega-embed svg text").all_text_contents() if text.strip()]
    months = [label for label in labels if re.search(r"\d{4}$", label)]
    assert months and all(FRENCH_MONTH.match(label) for label in months), months
    assert not any(ENGLISH_MONTHS.search(label) for label in labels), labels
    counts = [label for label in labels if re.fullmatch(r"[\d\u202f,. ]+", label)]
    assert "2\u202f000" in counts and not any("," in label for label in counts), counts  # demo: 2,940 referenced
    # The first point is the first month of the demo answers (September 2024), not August in Guadeloupe.
    page.locator(".vega-embed svg path[aria-roledescription='point']").first.hover()
    tooltip = page.locator("#vg-tooltip-element").inner_text(timeout=WAIT_MS)
    assert "septembre 2024" in tooltip, tooltip


def test_national_coverage_map_shows_the_whole_of_metropolitan_france(page):
    open_page(page, "couverture")
    _, frame = map_frame(page)
    frame.wait_for_function("() => document.querySelectorAll('.leaflet-interactive').length > 1000",
                            timeout=WAIT_MS)
    held = frame.evaluate(VIEW_HOLDS, {name: list(point) for name, point in EXTREME_POINTS.items()})
    assert held == dict.fromkeys(EXTREME_POINTS, True)


# Where a tooltip is opened, as shares of the map's width and height: at each edge, and just right of the
# centre, where Leaflet puts it left of the pointer however wide it is.
WHERE = {"top": (0.5, 0.01), "bottom": (0.5, 0.99), "left": (0.01, 0.5), "right": (0.99, 0.5),
         "right-of-centre": (0.55, 0.5)}
# Opens the tooltip of the territory with the longest name (the widest tooltip) at a point of the map, as a
# pointer there would (Leaflet places both alike), and measures it.
OPEN_WIDEST_TOOLTIP_AT = """
([x, y]) => {
  const map = Object.values(window).find((value) => value instanceof L.Map);
  let group = null;
  map.eachLayer((layer) => { if (layer instanceof L.GeoJSON && layer.getTooltip()) group = layer; });
  const widest = group.getLayers().reduce((a, b) => a.feature.properties.nom.length >= b.feature.properties.nom.length
                                                    ? a : b);
  const size = map.getSize();
  group.getTooltip()._source = widest;  // as Leaflet does for the territory under the pointer
  group.openTooltip(map.containerPointToLatLng([size.x * x, size.y * y]));
  const box = group.getTooltip().getElement().getBoundingClientRect();
  const frame = map.getContainer().getBoundingClientRect();
  group.closeTooltip();
  return {tooltip: [box.left, box.top, box.right, box.bottom], map: [frame.left, frame.top, frame.right, frame.bottom]};
}
"""


# Leaflet places a tooltip for good once a zoom animation (the map's first fit) has ended; during it, the
# tooltip waits at the pane's origin.
MAP_SETTLED = """
() => { const map = Object.values(window).find((value) => value instanceof L.Map);
        return map !== undefined && !map._animatingZoom; }
"""


def assert_inside(found: dict) -> None:
    (left, top, right, bottom), (map_left, map_top, map_right, map_bottom) = found["tooltip"], found["map"]
    assert map_left <= left and right <= map_right and map_top <= top and bottom <= map_bottom, found


@pytest.mark.parametrize("where", list(WHERE))
def test_coverage_tooltips_stay_inside_the_map_at_every_edge(page, where):
    if "couverture" not in page.url:
        open_page(page, "couverture")
    _, frame = map_frame(page)
    frame.wait_for_function(MAP_SETTLED, timeout=WAIT_MS)
    assert_inside(frame.evaluate(OPEN_WIDEST_TOOLTIP_AT, list(WHERE[where])))


def test_coverage_tooltip_under_the_pointer_stays_inside_the_map(page):
    if "couverture" not in page.url:
        open_page(page, "couverture")
    element, frame = map_frame(page)
    box = element.bounding_box()
    # Just right of the centre of the framed map: the Centre-Val de Loire.
    page.mouse.move(box["x"] + box["width"] * 0.52, box["y"] + box["height"] * 0.45, steps=3)
    frame.wait_for_function(TOOLTIP_AND_MAP, timeout=10_000)
    assert_inside(frame.evaluate(TOOLTIP_AND_MAP))
    page.mouse.move(0, 0)


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("path", PILOT_PAGES)
def test_no_filter_chip_or_label_of_a_pilot_page_is_clipped(page, path, size):
    page.set_viewport_size(size)
    try:
        open_page(page, path)
        assert page.evaluate(CHIPS_CLIPPED) == []
        assert page.evaluate(TRUNCATED_LABELS) == []
    finally:
        page.set_viewport_size(DESKTOP)


@pytest.mark.parametrize("path", ("donnees", *PILOT_PAGES))
def test_page_icons_are_drawn_from_the_bundled_icon_font_not_emoji(page, path):
    # An emoji is drawn only where the system has a colour emoji font (not on many Linux desktops, where it
    # shows as an empty box); Material Symbols come with the app.
    open_page(page, path)
    emoji = page.evaluate("""() => [...document.querySelectorAll("[data-testid='stIconEmoji']")]
                                   .map((icon) => icon.innerText)""")
    assert emoji == []
    assert page.locator("[data-testid='stSidebarNav'] [data-testid='stIconMaterial']").count() >= 7
