"""Hostile strings in every user field, rendered by every page and map in a real Chromium (issue 6 §3).

A corpus of hostile strings (HTML, JavaScript template literals, Markdown, quotes, line
separators, a very long string...) goes into every field of an export that the loader stores
and the pages show, into the names of the file, hub and form, into extra column headers, and
into what a person types or puts in a URL. The export is imported by ``python -m carte import``
(demo data, so the pilot pages open without sign-in) and through the Importer page; every page
and every map is then drawn in Chromium, popups and tooltips opened, so that their lazily built
HTML runs.

No payload calls ``alert``: each one sets a marker of its own, ``window.__pwned_<field>_<n>``,
or requests a ``/pwned/`` path, or renames the document ``PWNED``. After each page, in the
main frame and in every iframe, no marker may be set, no element may carry injected markup
(``on*`` handlers, ``javascript:`` links, ``/pwned/`` sources), no request may have gone to a
``/pwned/`` path, no dialog may have opened, no script error may have been thrown and the page
may not have crashed. The first tests show that the detector fires: on the corpus unescaped in a
page, and on the public finder whose script is made to write texts as HTML. Figures (strings, fields,
popups and tooltips opened) are written to ``hostile-render.json`` in the test artifacts.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlparse

import pytest
from conftest import CHROMIUM_ARGS, CLUSTERED_MARKERS, running_app
from playwright.sync_api import TimeoutError as PlaywrightTimeout

MAP_FRAME = "iframe[title*='streamlit_folium']"
WAIT_MS = 60_000
LONG_PADDING = 3_000

# (name, template): ``{js}`` becomes the marker assignment of the field, ``{tag}`` its name.
TEMPLATES: tuple[tuple[str, str], ...] = (
    ("script", "<script>{js}</script>"),
    ("img-onerror", "<img src=x onerror={js}>"),
    ("svg-onload", "<svg onload={js}>"),
    ("backticks", "`+({js})+`"),
    ("interpolation", "${{js}}"),
    ("backslash-backtick", "\\`${{js}}\\`"),
    ("markdown-js-link", "[clic](javascript:{js})"),
    ("raw-js-url", "javascript:{js}"),
    ("markdown-image", "![x](/pwned/{tag}/image.png)"),
    ("markdown-link",
     "[site](https://pwned.invalid/{tag}) <https://pwned.invalid/{tag}/auto> www.pwned.invalid/{tag}"),
    ("entities", "&lt;img src=x onerror={js}&gt; &#60;svg onload={js}&#62; &amp;lt;b&amp;gt;"),
    ("script-breakout", "</script><script>{js}</script>"),
    ("attribute-quotes", "\"'><img src=x onerror={js}>"),
    ("string-quotes", "'\";{js};//"),
    ("template", "{{constructor.constructor('{js}')()}} {{ 7*7 }} {% raw %}"),
    ("line-separators", "a\u2028b\u2029';{js};//\u2028</script><script>{js}</script>"),
    ("html-js-link", "<a href=\"javascript:{js}\">lien</a>"),
    ("iframe-srcdoc", "<iframe srcdoc=\"<img src=x onerror={js}>\"></iframe>"),
    ("details-ontoggle", "<details open ontoggle={js}>"),
    ("fetch", "<img src=x onerror=\"fetch('/pwned/{tag}/fetch')\">"),
    ("title", "<img src=x onerror=\"document.title='PWNED {tag}'\">"),
    ("css-import", "<style>@import url(/pwned/{tag}/style.css);</style>"),
    ("katex-href", "$\\href{javascript:{js}}{x}$ $$\\url{javascript:{js}}$$"),
    ("url-encoded", "%3Cimg%20src%3Dx%20onerror%3D{js}%3E"),
    ("long", "A" * LONG_PADDING + "<img src=x onerror={js}>"),
)


def hostile(tag: str, index: int) -> str:
    """The hostile string number ``index`` of the corpus, with markers naming the field ``tag``.

    Parameters
    ----------
    tag
        Where the string goes (a JavaScript identifier part, such as ``structure``).
    index
        Position in `TEMPLATES`.

    Returns
    -------
    str
        The string; should it run, it sets ``window.__pwned_<tag>_<index>`` or requests
        ``/pwned/<tag>/...``.
    """
    template = TEMPLATES[index][1]
    return template.replace("{js}", f"window.__pwned_{tag}_{index}=1").replace("{tag}", f"{tag}_{index}")


# The short hostile strings that share one value (names of hubs and forms; typed text; URL parameters).
MIXED = (1, 2, 3, 4, 5, 6, 8, 9, 12, 13, 14)
# Those that fit in a file name (255 bytes at most on Linux; no ``/``).
MIXED_IN_FILE_NAMES = (1, 4, 5, 6, 14)


def hostile_mix(tag: str, indexes: tuple[int, ...] = MIXED) -> str:
    """Several short hostile strings in one value."""
    return " ".join(hostile(tag, index) for index in indexes)


def file_name(tag: str, suffix: str) -> str:
    """A hostile file name: several hostile strings, ``/`` and ``|`` (refused by the importer) replaced."""
    name = hostile_mix(tag, MIXED_IN_FILE_NAMES).replace("/", "∕").replace("|", "¦") + suffix
    assert len(name.encode()) <= 255, len(name.encode())
    return name


# ---------------------------------------------------------------------------------------------------------
# The hostile export
# ---------------------------------------------------------------------------------------------------------

# Accepted rows are placed on real communes: trained ones alternate between Rennes and Brest (the
# public page lists the 20 nearest), those still to train are in Saint-Malo (the training pool).
# (postcode, commune, (lat, lon) near the commune's point, where its markers cluster)
RENNES = ("35000", "Rennes", (48.11, -1.68))
BREST = ("29200", "Brest", (48.39, -4.49))
SAINT_MALO = ("35400", "Saint-Malo", (48.65, -2.0))
TRAINED_PLACES = (RENNES, BREST)
POOL_PLACE = SAINT_MALO
HEADERS = (
    "Horodateur", "Identifiant de la réponse", "Adresse e-mail", "Prénom", "Nom de famille", "Nom complet",
    "Téléphone", "Nom de votre structure", "Type de structure", "Adresse de la structure", "Code postal",
    "Commune", "Êtes-vous conseiller·ère numérique ?", "Thématiques", "Formé(e) ?", "Date de la formation",
    "Organisme de formation", "Consentement",
)
# Extra columns whose headers are hostile: no field takes them, the Importer lists them as unused.
EXTRA_HEADERS = tuple(hostile("header", index) for index in (1, 2, 6, 12))
# The user fields the export fills with hostile text (canonical names of loaders/column_options.py).
CSV_FIELDS = (
    "submitted_at", "submission_id", "email", "first_name", "last_name", "full_name", "phone", "structure",
    "structure_type", "address", "postcode", "city", "conum", "themes", "training_date", "training_body",
    "consent",
)
# Other user-supplied text: names of the imported file, of the hub and of the form (command line), column
# headers, the name of an uploaded file, the public page's search box and URL parameters.
OTHER_FIELDS = ("file_name", "hub", "form", "column_header", "upload_name", "search_query", "url_parameter")


def _trained_row(index: int) -> list[str]:
    postcode, commune, _ = TRAINED_PLACES[index % 2]
    text = lambda tag: hostile(tag, index)  # noqa: E731
    return ["02/09/2024 08:42:11", f"t{index} {text('submission_id')}", f"t{index}@exemple.fr {text('email')}",
            text("first_name"), text("last_name"), text("full_name"), text("phone"), text("structure"),
            text("structure_type"), text("address"), postcode, f"{commune} {text('city')}", "Non",
            f"Café IA, {text('themes')}", "Oui", "13/03/2024", text("training_body"), "Oui"]


def _pool_row(index: int) -> list[str]:
    text = lambda tag: hostile(tag, index)  # noqa: E731
    return ["03/09/2024 10:00:00", f"p{index} {text('submission_id')}", f"p{index}@exemple.fr {text('email')}",
            text("first_name"), text("last_name"), text("full_name"), text("phone"), text("structure"),
            text("structure_type"), text("address"), POOL_PLACE[0], f"{POOL_PLACE[1]} {text('city')}",
            text("conum"), f"Café IA ; {text('themes')}", "Non", text("training_date"), text("training_body"),
            "Oui"]


def _rejected_row(index: int) -> list[str]:
    """A row whose place cannot be found: its postcode (every other row) and commune are hostile."""
    text = lambda tag: hostile(tag, index)  # noqa: E731
    return [text("submitted_at"), f"x{index} {text('submission_id')}", f"x{index}@exemple.fr {text('email')}",
            text("first_name"), text("last_name"), text("full_name"), text("phone"), text("structure"),
            text("structure_type"), text("address"), text("postcode") if index % 2 else "99999", text("city"),
            text("conum"), text("themes"), "Oui", text("training_date"), text("training_body"), text("consent")]


def hostile_export() -> bytes:
    """The export: per hostile string, one trained row, one row to train and one rejected row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([*HEADERS, *EXTRA_HEADERS])
    for index in range(len(TEMPLATES)):
        for row in (_trained_row(index), _pool_row(index), _rejected_row(index)):
            writer.writerow([*row, *(hostile("extra", index) for _ in EXTRA_HEADERS)])
    return buffer.getvalue().encode("utf-8")


CLI_FILE_NAME = file_name("file", ".csv")
UPLOAD_FILE_NAME = file_name("upload", ".csv")


# ---------------------------------------------------------------------------------------------------------
# The detector
# ---------------------------------------------------------------------------------------------------------

# Run in every frame: markers set, injected markup, and the document title. Streamlit's Markdown turns
# bare web addresses into links (GFM autolinks: ``https://…``, ``www.…``), escaped or not; such a link,
# whose text is its own address, runs nothing and is listed apart, in ``autolinks``.
INSPECT_FRAME = r"""
() => {
  const markers = Object.keys(window).filter((key) => key.startsWith("__pwned"));
  const injected = [];
  const autolinks = [];
  const isAutolink = (element, url) => element.tagName === "A" && /^(https?:\/\/|www\.)/.test(url)
    && /^(https?:\/\/|www\.)/i.test((element.textContent || "").trim())
    && url.includes((element.textContent || "").trim().toLowerCase().replace(/^https?:\/\//, "").slice(0, 12));
  const urlAttributes = ["href", "src", "srcdoc", "action", "formaction", "xlink:href", "data", "poster", "background"];
  for (const element of document.querySelectorAll("*")) {
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      const value = attribute.value;
      const url = value.replace(/[\s\u0000-\u001f]/g, "").toLowerCase();
      const isHandler = name.startsWith("on") && /pwned/i.test(value);
      // The app's page frames the public finder with the link's parameters, percent-encoded: text, not a source.
      const ownFinder = name === "src" && element.tagName === "IFRAME" && /^\/carte\/(\?|$)/.test(value);
      const isUrl = urlAttributes.includes(name) && (/^(javascript|vbscript|data:text\/html)/.test(url)
        || (/pwned/.test(url) && !/^(mailto|tel):/.test(url) && !ownFinder));
      const markup = `<${element.tagName.toLowerCase()} ${name}="${value.slice(0, 80)}">`;
      if (isUrl && name === "href" && isAutolink(element, url)) autolinks.push(markup);
      else if (isHandler || isUrl) injected.push(markup);
    }
    const text = element.textContent || "";
    if ((element.tagName === "SCRIPT" || element.tagName === "STYLE") && /pwned/i.test(text) && text.length < 300) {
      injected.push(`<${element.tagName.toLowerCase()}>${text.slice(0, 80)}`);
    }
  }
  return {url: location.href, markers, injected, autolinks, title: document.title};
}
"""


@dataclass
class Recorder:
    """What the browser reported since the last check: dialogs, requests, script errors."""

    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    opened: Counter = field(default_factory=Counter)
    autolinks: set[str] = field(default_factory=set)

    def clear(self) -> None:
        self.dialogs.clear()
        self.requests.clear()
        self.errors.clear()


def inspect(page, autolinks: set[str] | None = None) -> list[str]:
    """Every sign that injected code ran or injected markup exists, in the page and all its frames.

    Links that Markdown made of bare web addresses are added to ``autolinks`` instead (see `INSPECT_FRAME`).
    """
    problems = []
    for frame in page.frames:
        if frame.is_detached() or frame.url.startswith("chrome-error:"):
            continue
        try:
            found = frame.evaluate(INSPECT_FRAME)
        except Exception as error:  # a frame navigating away while inspected
            if "detached" in str(error) or "destroyed" in str(error):
                continue
            raise
        where = "main frame" if frame == page.main_frame else f"iframe {found['url'][:80]}"
        problems += [f"{where}: marker {marker} set" for marker in found["markers"]]
        problems += [f"{where}: injected markup {markup}" for markup in found["injected"]]
        if autolinks is not None:
            autolinks.update(found["autolinks"])
        if "PWNED" in found["title"]:
            problems.append(f"{where}: document title changed to {found['title']!r}")
    return problems


def _is_payload_request(url: str) -> bool:
    """A request that only a payload makes: a ``/pwned/`` path or the ``pwned.invalid`` host."""
    parts = urlparse(url)
    return parts.path.lower().startswith("/pwned/") or "pwned" in (parts.hostname or "")


def assert_inert(page, recorder: Recorder) -> None:
    """No injected code ran, and no injected markup, request, dialog or script error showed up."""
    problems = inspect(page, recorder.autolinks)
    problems += [f"request to {url}" for url in recorder.requests if _is_payload_request(url)]
    problems += [f"dialog: {message}" for message in recorder.dialogs]
    problems += [f"script error: {error}" for error in recorder.errors]
    crashes = page.locator("[data-testid='stException']").all_inner_texts()
    problems += [f"page crashed: {text[:300]}" for text in crashes]
    assert problems == [], "hostile input was not inert:\n" + "\n".join(problems)


# Run in a map's frame: open, as Leaflet does on a click or a hover, the popup and the tooltip of every
# layer (markers inside clusters included), so that their HTML, often built only then, is inserted.
OPEN_OVERLAYS = r"""
(limit) => {
  const map = Object.values(window).find((value) => value instanceof L.Map);
  if (!map) return null;
  const seen = new Set();
  let popups = 0, tooltips = 0;
  const place = (layer) => layer.getLatLng ? layer.getLatLng()
    : layer.getBounds && layer.getBounds().isValid() ? layer.getBounds().getCenter() : null;
  const open = (layer, group) => {
    const at = place(layer);
    if (!at) return;
    const popup = (layer.getPopup && layer.getPopup()) || (group && group.getPopup && group.getPopup());
    if (popup && popups < limit) {
      Object.assign(popup.options, {autoClose: false, closeOnClick: false, autoPan: false});
      popup._source = layer;
      map.openPopup(popup, at);
      popups += 1;
    }
    const tooltip = (layer.getTooltip && layer.getTooltip()) || (group && group.getTooltip && group.getTooltip());
    if (tooltip && tooltips < limit) {
      tooltip._source = layer;
      map.openTooltip(tooltip, at);
      tooltips += 1;
    }
  };
  const visit = (layer, group) => {
    if (seen.has(layer)) return;
    seen.add(layer);
    if (layer.getLayers) layer.getLayers().forEach((child) => visit(child, layer));
    else open(layer, group);
  };
  map.eachLayer((layer) => visit(layer, null));
  return {popups, tooltips, shown: document.querySelectorAll(".leaflet-popup-content, .leaflet-tooltip").length};
}
"""
OVERLAY_LIMIT = 400
# Run in a map's frame: zoom to the most detailed level on the clustered marker nearest to a point
# (the markers of one commune share its point).
ZOOM_ON = """
([lat, lon]) => new Promise((resolve) => {
  const map = Object.values(window).find((value) => value instanceof L.Map);
  let nearest = null;
  map.eachLayer((layer) => {
    if (!(layer instanceof L.MarkerClusterGroup)) return;
    layer.getLayers().forEach((marker) => {
      const at = marker.getLatLng();
      const distance = Math.hypot(at.lat - lat, at.lng - lon);
      if (!nearest || distance < nearest.distance) nearest = {at, distance};
    });
  });
  map.setView(nearest.at, map.getMaxZoom(), {animate: false});
  setTimeout(resolve, 500);
})
"""
# Run in a map's frame: where the markers shown on the map (a spiderfied cluster's legs) are, in pixels.
SHOWN_MARKERS = """
(overlay) => {
  const map = Object.values(window).find((value) => value instanceof L.Map);
  const size = map.getSize();
  const frame = map.getContainer().getBoundingClientRect();
  let centre = null;  // the cluster icon stays there, above the markers' canvas
  map.eachLayer((layer) => {
    if (layer instanceof L.MarkerClusterGroup && layer._spiderfied) {
      centre = map.latLngToContainerPoint(layer._spiderfied.getLatLng());
    }
  });
  const points = [];
  map.eachLayer((layer) => {
    if (!(layer instanceof L.CircleMarker) || !(overlay === "popup" ? layer.getPopup() : layer.getTooltip())) return;
    const point = map.latLngToContainerPoint(layer.getLatLng());
    if (centre && point.distanceTo(centre) < 30) return;
    const inside = point.x > 20 && point.y > 20 && point.x < size.x - 20 && point.y < size.y - 20;
    if (inside) points.push([frame.left + point.x, frame.top + point.y]);
  });
  return points;
}
"""


@pytest.fixture(scope="module")
def hostile_home(tmp_path_factory, repo_root) -> Path:
    """A store holding the hostile export, imported as demo data by the command line."""
    home = tmp_path_factory.mktemp("hostile-home")
    export = home / "exports" / CLI_FILE_NAME
    export.parent.mkdir()
    export.write_bytes(hostile_export())
    env = {**os.environ, "CARTE_DATA_HOME": str(home)}
    command = [sys.executable, "-m", "carte", "import", str(export), "--demo", "--hub", hostile_mix("hub"),
               "--form", hostile_mix("form"), "--out", str(home / "out")]
    done = subprocess.run(command, env=env, cwd=repo_root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    report = json.loads((home / "out" / "rapport.json").read_text(encoding="utf-8"))
    assert (report["lignes_acceptees"], report["lignes_rejetees"]) == (2 * len(TEMPLATES), len(TEMPLATES))
    return home


@pytest.fixture(scope="module")
def app_url(hostile_home, chromium) -> Iterator[str]:
    with running_app(hostile_home) as url:
        yield url


@pytest.fixture(scope="module")
def browser(chromium, artifacts) -> Iterator[tuple]:
    """One Chromium page for the module, and what it reports (see `Recorder`)."""
    from playwright.sync_api import sync_playwright

    recorder = Recorder()
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = instance.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
        context.on("page", lambda page: _record(page, recorder))
        page = context.new_page()
        yield page, recorder
        instance.close()
    (artifacts / "hostile-render.json").write_text(json.dumps(_summary(recorder), indent=2), encoding="utf-8")


def _record(page, recorder: Recorder) -> None:
    page.on("dialog", lambda dialog: (recorder.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: recorder.requests.append(request.url))
    page.on("pageerror", lambda error: recorder.errors.append(str(error)))
    page.set_default_timeout(WAIT_MS)


def _summary(recorder: Recorder) -> dict:
    return {"hostile_strings": len(TEMPLATES), "csv_fields": len(CSV_FIELDS), "other_fields": len(OTHER_FIELDS),
            "fields": len(CSV_FIELDS) + len(OTHER_FIELDS), "opened": dict(recorder.opened),
            "bare_url_autolinks": sorted(recorder.autolinks)}


@pytest.fixture()
def page(browser):
    """The module's page, its reports cleared; after the test, nothing injected may have run."""
    page, recorder = browser
    recorder.clear()
    page.recorder = recorder
    yield page
    assert_inert(page, recorder)


def map_frame(page):
    """The frame of the page's folium map (each page draws one), once the map is drawn."""
    page.frame_locator(MAP_FRAME).first.locator(".leaflet-container").wait_for()
    (frame,) = [frame for frame in page.frames if "streamlit_folium" in frame.url and not frame.is_detached()]
    return frame


def open_overlays(page, frame, kind: str, markers: int = 0) -> dict:
    """Open every popup and tooltip of a map (after its ``markers`` clustered markers loaded)."""
    if markers:
        frame.wait_for_function(f"({CLUSTERED_MARKERS})() >= {markers}", timeout=WAIT_MS)
    opened = frame.evaluate(OPEN_OVERLAYS, OVERLAY_LIMIT)
    assert opened is not None, "no Leaflet map in this frame"
    page.recorder.opened[f"{kind} popups"] += opened["popups"]
    page.recorder.opened[f"{kind} tooltips"] += opened["tooltips"]
    return opened


def click_markers(page, frame, lat: float, lon: float, overlay: str = "popup", in_page: bool = False) -> list[str]:
    """Click, with the mouse, the markers of the cluster nearest to a point: the texts of what opened.

    ``overlay`` is ``"popup"`` (opened by a click) or ``"tooltip"`` (opened under the mouse); ``in_page``: the
    map is in the page itself (the public finder), not in a folium frame.
    """
    frame.evaluate(ZOOM_ON, [lat, lon])
    container = page.locator("#carte") if in_page else page.locator(MAP_FRAME).first
    container.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    # At the most detailed level, a click on a cluster spreads its markers around it.
    icons = page.locator("#carte .marker-cluster") if in_page else page.frame_locator(MAP_FRAME).first.locator(
        ".marker-cluster")
    icon = icons.first.bounding_box()
    page.mouse.click(icon["x"] + icon["width"] / 2, icon["y"] + icon["height"] / 2)
    page.wait_for_timeout(600)  # the spider's legs unfold
    box = container.bounding_box()
    # SHOWN_MARKERS gives points in the map's document: the frame's offset is added, the page's is not.
    offset = (0, 0) if in_page else (box["x"], box["y"])
    content = frame.locator(".leaflet-popup-content" if overlay == "popup" else ".leaflet-tooltip")
    texts = []
    for x, y in frame.evaluate(SHOWN_MARKERS, overlay):
        if overlay == "popup":
            page.mouse.click(offset[0] + x, offset[1] + y)
        else:
            page.mouse.move(offset[0] + x, offset[1] + y)
        try:
            content.first.wait_for(timeout=1_000)
        except PlaywrightTimeout:  # a marker under another one
            continue
        texts.append(content.first.inner_text())
        if overlay == "popup":
            frame.locator(".leaflet-popup-close-button").first.click()
        else:
            page.mouse.move(box["x"] + 5, box["y"] + box["height"] - 5)
        content.first.wait_for(state="detached")
    page.recorder.opened[f"{overlay}s opened by the mouse"] += len(texts)
    return texts


def hover_shapes(page, frame, kind: str, count: int = 6) -> None:
    """Move the mouse over a few territories of a choropleth: their tooltips open as a person sees them."""
    shapes = page.frame_locator(MAP_FRAME).first.locator("path.leaflet-interactive")
    shapes.first.wait_for()
    page.locator(MAP_FRAME).first.scroll_into_view_if_needed()
    total = shapes.count()
    hovered = 0
    for position in range(0, total, max(1, total // count)):
        shapes.nth(position).hover(force=True)
        tooltip = frame.locator(".leaflet-tooltip")
        try:
            tooltip.first.wait_for(timeout=2_000)
        except PlaywrightTimeout:  # a shape hidden under another one, or outside the frame
            continue
        hovered += 1
    assert hovered > 0, "no tooltip opened under the mouse"
    page.recorder.opened[f"{kind} hovered tooltips"] += hovered


def settle(page) -> None:
    """Wait until Streamlit has finished running the page."""
    page.wait_for_timeout(300)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="detached", timeout=WAIT_MS)


def shot(page, artifacts: Path, name: str) -> None:
    page.screenshot(path=artifacts / f"hostile-{name}.png", full_page=True)


def shown(text: str) -> str:
    """How a hostile string reads on screen: line breaks and runs of spaces as one space.

    Character references are decoded: in a Markdown autolink (see `INSPECT_FRAME`) they stay undecoded.
    """
    return re.sub(r"\s+", " ", html.unescape(text).replace("\u2028", " ").replace("\u2029", " ")).strip()


def indexes_at(commune_position: int) -> list[int]:
    """The corpus positions of the trained rows placed in `TRAINED_PLACES[commune_position]`."""
    return [index for index in range(len(TEMPLATES)) if index % 2 == commune_position]


# ---------------------------------------------------------------------------------------------------------
# The detector fires
# ---------------------------------------------------------------------------------------------------------


def test_detector_catches_a_live_payload(browser, app_url):
    """Unescaped, the corpus runs and the detector says so; escaped as the app does, nothing runs."""
    from views.safe_html import escape

    _, recorder = browser
    probe = browser[0].context.new_page()
    try:
        recorder.clear()
        live = "".join(f"<p>{hostile('probe', index)}</p>" for index in range(len(TEMPLATES)))
        serve(probe, app_url, f"<html><body>{live}</body></html>")
        probe.wait_for_timeout(500)
        problems = "\n".join(inspect(probe))
        for index in (1, 2, 17, 18):  # img onerror, svg onload, iframe srcdoc, details ontoggle
            assert f"marker __pwned_probe_{index}_" in problems or f"marker __pwned_probe_{index} " in problems \
                or f"__pwned_probe_{index}" in problems, TEMPLATES[index][0]
        assert 'injected markup <a href="javascript:' in problems
        assert "PWNED probe_20" in problems
        assert any(_is_payload_request(url) and url.endswith("/pwned/probe_19/fetch") for url in recorder.requests)
        assert any(_is_payload_request(url) and "/pwned/probe_21/style.css" in url for url in recorder.requests)
        recorder.clear()
        inert = "".join(f"<p>{escape(hostile('probe', index))}</p>" for index in range(len(TEMPLATES)))
        serve(probe, app_url, f"<html><body>{inert}</body></html>")
        probe.wait_for_timeout(500)
        assert inspect(probe) == []
        assert not any(_is_payload_request(url) for url in recorder.requests)
    finally:
        probe.close()
        recorder.clear()


def test_detector_catches_a_payload_in_a_lazily_built_popup(browser, app_url):
    """The public finder, had its el() helper (static_site/common.js) written texts as HTML (``innerHTML``),
    would run a structure's name once its popup opened: the detector says so; the real script runs nothing."""
    _, recorder = browser
    probe = browser[0].context.new_page()
    unescaping = ('element.append(typeof child === "string" ? document.createTextNode(child) : child);',
                  'if (typeof child === "string") element.insertAdjacentHTML("beforeend", child); '
                  "else element.append(child);")
    try:
        for broken in (True, False):
            probe.unroute("**/carte/assets/finder.*.js")
            if broken:
                probe.route("**/carte/assets/finder.*.js", lambda route: route.fulfill(
                    body=route.fetch().text().replace(*unescaping), content_type="text/javascript"))
            probe.goto(f"{app_url}/carte/")
            probe.wait_for_function(f"({CLUSTERED_MARKERS})() >= {len(TEMPLATES)}")
            assert inspect(probe) == [], "ran before any popup opened"
            assert probe.evaluate(OPEN_OVERLAYS, OVERLAY_LIMIT)["popups"] >= len(TEMPLATES)
            probe.wait_for_timeout(300)
            assert ("marker __pwned_structure_1 set" in "\n".join(inspect(probe))) is broken
    finally:
        probe.close()
        recorder.clear()


def serve(probe, app_url: str, html: str) -> None:
    """Show ``html`` at a page of the app's origin (its scripts and ``/pwned/`` requests resolve there)."""
    address = f"{app_url}/probe.html"
    probe.unroute(address)
    probe.route(address, lambda route: route.fulfill(body=html, content_type="text/html"))
    probe.goto(address)


def test_map_data_reaches_the_browser_as_written():
    """Folium's templates leave the escaped corpus alone: branca compiles a map's rendered script as a Jinja
    template once more, so ``{{ 7*7 }}`` or ``{% raw %}`` in map data would run on the server (or crash it)."""
    import folium

    from views.basemap import marker_cluster, new_map
    from views.safe_html import escape

    texts = [hostile("structure", index) for index in range(len(TEMPLATES))]
    fmap = new_map((48.11, -1.68), 11)
    marker_cluster([(48.11, -1.68, escape(text)) for text in texts], "function (row) { return L.marker(row); }"
                   ).add_to(fmap)
    features = [{"type": "Feature", "properties": {"nom": escape(text)},
                 "geometry": {"type": "Point", "coordinates": [-1.68, 48.11]}} for text in texts]
    folium.GeoJson({"type": "FeatureCollection", "features": features},
                   tooltip=folium.GeoJsonTooltip(fields=["nom"])).add_to(fmap)
    page = fmap.get_root().render()
    markers = json.loads(re.search(r"var data = (\[.*?\]);\n", page)[1])
    shapes = json.loads(re.search(r"_add\((\{\"features\".*?\})\);\n", page)[1])["features"]
    expected = [re.sub(r"[\u2028\u2029]", " ", text) for text in texts]
    assert [html.unescape(row[2]) for row in markers] == expected
    assert [html.unescape(shape["properties"]["nom"]) for shape in shapes] == expected


# ---------------------------------------------------------------------------------------------------------
# The pages
# ---------------------------------------------------------------------------------------------------------


def finder_frame(page):
    """The public finder: the static page itself (the map is in the page, not in a frame of its own)."""
    page.locator("#carte .leaflet-control-zoom").wait_for()
    return page.main_frame


def test_public_page_lists_and_maps_hostile_animators_as_text(page, app_url, artifacts):
    page.goto(f"{app_url}/carte/?q=Rennes")
    items = page.locator(".carte-resultats li")
    items.first.wait_for()
    page.locator(".carte-contact").first.wait_for()
    listed = shown(" ".join(items.all_inner_texts()))
    for index in indexes_at(0):
        for tag in ("structure", "email", "phone", "full_name"):
            assert shown(hostile(tag, index)) in listed, (tag, TEMPLATES[index][0])
    assert page.locator(".carte-resultats a[href^='mailto:']").count() >= len(indexes_at(0))
    frame = finder_frame(page)
    frame.wait_for_function(f"({CLUSTERED_MARKERS})() >= {len(TEMPLATES)}")
    clicked = shown(" ".join(click_markers(page, frame, *RENNES[2], in_page=True)))
    in_popups = [index for index in indexes_at(0) if shown(hostile("structure", index)) in clicked]
    assert len(in_popups) >= len(indexes_at(0)) - 2  # one or two legs may lie under the cluster's icon
    opened = open_overlays(page, frame, "public map", markers=len(TEMPLATES))
    assert opened["popups"] >= len(TEMPLATES)
    popups = shown(" ".join(frame.locator(".leaflet-popup-content").all_inner_texts()))
    for index in range(len(TEMPLATES)):
        assert shown(hostile("structure", index)) in popups, TEMPLATES[index][0]
    shot(page, artifacts, "trouver")


def test_public_page_shows_hostile_search_text_and_url_parameters_as_text(page, app_url, artifacts):
    """What a person types, or a forged link carries, is echoed as text (message, embed snippet), in the
    static finder and in the app's page that frames it."""
    forged = hostile_mix("url_parameter")
    parameters = {"q": forged, "theme": forged, "statut": forged, "conum": forged, "position": forged,
                  "commune": forged, "embed": forged}
    page.goto(f"{app_url}/carte/?{urlencode(parameters)}")
    message = page.locator(".erreur")
    message.first.wait_for()
    assert shown(forged) in shown(message.first.inner_text())
    page.get_by_text("Intégrer cette carte sur votre site").click()
    assert "embed=1" in page.get_by_label("Code à copier").input_value()
    assert_inert(page, page.recorder)
    typed = hostile_mix("search_query")
    box = page.get_by_label("Commune ou code postal")
    box.fill(typed)
    box.press("Enter")
    page.wait_for_function("(text) => document.querySelector('.erreur') && "
                           "document.querySelector('.erreur').textContent.includes(text)", arg=typed[:40])
    assert shown(typed) in shown(message.first.inner_text())
    assert message.locator("a, img, svg, iframe, details, script").count() == 0
    shot(page, artifacts, "trouver-recherche")
    page.goto(f"{app_url}/?{urlencode(parameters)}")
    page.frame_locator("iframe[src^='/carte/']").locator(".erreur").first.wait_for()
    settle(page)


def test_embedded_public_page_lists_and_maps_hostile_animators_as_text(page, app_url, artifacts):
    for query, indexes, tags in (("q=Brest", indexes_at(1), ("structure", "email", "phone")),
                                 ("q=Saint-Malo&statut=referenced", range(len(TEMPLATES)), ("structure",))):
        page.goto(f"{app_url}/carte/?embed=1&{query}")
        items = page.locator(".carte-resultats li")
        items.first.wait_for()
        if "Brest" in query:
            page.locator(".carte-contact").first.wait_for()
        listed = shown(" ".join(items.all_inner_texts()))
        shown_indexes = [index for index in indexes if shown(hostile("structure", index)) in listed]
        assert len(shown_indexes) >= min(len(indexes), 20) - 1, query
        for index in shown_indexes:
            assert all(shown(hostile(tag, index)) in listed for tag in tags), (query, TEMPLATES[index][0])
        frame = finder_frame(page)
        clicked = click_markers(page, frame, *(BREST if "Brest" in query else SAINT_MALO)[2], in_page=True)
        assert len(clicked) >= 10
        open_overlays(page, frame, "public map (embedded)", markers=len(TEMPLATES))
        assert_inert(page, page.recorder)
    shot(page, artifacts, "trouver-integration")


def test_coverage_page_epci_map(page, app_url, artifacts):
    page.goto(f"{app_url}/couverture?region=53")
    page.get_by_role("heading", name="Territoires prioritaires").wait_for()
    frame = map_frame(page)
    hover_shapes(page, frame, "coverage map (EPCI)")
    opened = open_overlays(page, frame, "coverage map (EPCI)")
    assert opened["tooltips"] > 10
    shot(page, artifacts, "couverture-epci")


def test_coverage_page_commune_map_and_details(page, app_url, artifacts):
    """Ille-et-Vilaine by commune, Saint-Malo's details: nearest animators and training pool (hostile)."""
    page.goto(f"{app_url}/couverture?region=53&dep=35&zone=35288")
    page.locator("[data-testid='stMetricLabel']", has_text="Population").wait_for()
    pool = page.locator("[data-testid='stMarkdownContainer']", has_text="Vivier à former")
    pool.wait_for()
    assert f"{len(TEMPLATES)} animateur" in pool.inner_text()
    frame = map_frame(page)
    hover_shapes(page, frame, "coverage map (communes)")
    opened = open_overlays(page, frame, "coverage map (communes)")
    assert opened["tooltips"] > 100
    shot(page, artifacts, "couverture-communes")


def test_training_page_pool_map_and_plans(page, app_url, artifacts):
    page.goto(f"{app_url}/formations?region=53")
    page.get_by_text("Le vivier à former").wait_for()
    frame = map_frame(page)
    frame.wait_for_function(f"({CLUSTERED_MARKERS})() >= {len(TEMPLATES)}")
    hovered = shown(" ".join(click_markers(page, frame, *SAINT_MALO[2], overlay="tooltip")))
    assert hovered
    opened = open_overlays(page, frame, "training pool map", markers=len(TEMPLATES))
    assert opened["tooltips"] >= len(TEMPLATES)
    tooltips = shown(" ".join(frame.locator(".leaflet-tooltip").all_inner_texts()))
    for index in range(len(TEMPLATES)):
        assert shown(hostile("structure", index)) in tooltips, TEMPLATES[index][0]
    page.get_by_role("tab", name="Réduire les trajets des stagiaires").click()
    page.get_by_text("p-médiane").wait_for()
    page.get_by_role("button", name="Liste d'invitation (CSV)").wait_for()
    shot(page, artifacts, "formations")


def test_moderation_page_queue_and_rejected_rows(page, app_url, artifacts):
    """The queue (every record shown), then a rejected row placed by hand: its hostile text stays text."""
    page.goto(f"{app_url}/controle?verif=validated&verif=pending")
    page.get_by_text("Lignes rejetées à placer").wait_for()
    settle(page)
    chooser = page.locator("[data-testid='stSelectbox']", has_text="Ligne à placer")
    assert shown(hostile("city", 0)) in shown(chooser.get_by_role("combobox").input_value())
    options = page.locator("[role='option']")
    for _ in range(3):  # the list opens on a click once the page is interactive
        chooser.get_by_role("combobox").click()
        try:
            options.first.wait_for(timeout=5_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    labels = shown(" ".join(options.all_inner_texts()))
    assert options.count() >= 8
    for index in range(options.count()):  # a long list would be virtualised: only the drawn rows
        assert shown(hostile("city", index)) in labels, TEMPLATES[index][0]
    assert_inert(page, page.recorder)
    page.keyboard.press("Escape")
    commune = page.get_by_label("Commune (nom ou code postal)")
    # The row's postcode and commune, never its street.
    assert shown(commune.input_value()) == shown(f"99999 {hostile('city', 0)}")
    commune.fill("Rennes")
    commune.press("Enter")
    place = page.get_by_role("button", name=re.compile("Placer cette ligne à Rennes"))
    place.wait_for()
    frame = map_frame(page)
    open_overlays(page, frame, "placing map")
    place.click()
    success = page.locator("[data-testid='stAlertContentSuccess']")
    success.wait_for()
    assert shown(hostile("city", 0)) in shown(success.inner_text())
    assert success.locator("a, img, svg, iframe, details").count() == 0
    shot(page, artifacts, "controle")


def test_steering_page(page, app_url, artifacts):
    """Pilotage counts the hostile store's records (half of them trained) and draws its two tables."""
    page.goto(f"{app_url}/pilotage")
    page.get_by_role("heading", name="Imports par hub").wait_for()
    page.get_by_role("heading", name="Évolution mois par mois").wait_for()
    settle(page)
    headline = f"{2 * len(TEMPLATES)} référencé·es, {len(TEMPLATES)} formé·es"
    assert page.get_by_role("heading", name=headline).count() == 1
    shot(page, artifacts, "pilotage")


def test_every_other_page_of_the_navigation(page, app_url, artifacts):
    """Pages added later (« Données personnelles »...) are rendered over the hostile store too: each one draws
    its own title, and nothing injected runs or shows on it (checked page by page)."""
    page.goto(f"{app_url}/pilotage")
    links = page.locator("[data-testid='stSidebarNav'] a")
    links.first.wait_for()
    covered = {"", "trouver", "couverture", "formations", "importer", "pilotage", "controle"}
    others = [href for href in links.evaluate_all("(links) => links.map((link) => link.href)")
              if urlparse(href).path.strip("/") not in covered]
    assert others, "no page left to check"
    titles = []
    for href in others:
        page.goto(href)
        page.locator("h1").first.wait_for()
        settle(page)
        shot(page, artifacts, urlparse(href).path.strip("/"))
        titles.append(page.locator("h1").first.inner_text())
        assert_inert(page, page.recorder)
    assert len(set(titles)) == len(others) and "Pilotage" not in titles, titles  # each page drew its own
    page.recorder.opened["other pages"] += len(others)


def test_importer_page_report_of_a_hostile_upload(page, app_url, artifacts):
    """Upload under a hostile name, the row report, rejets.csv; demo mode offers no save of real data."""
    page.goto(f"{app_url}/importer")
    upload = page.locator("input[type='file']")
    upload.set_input_files(files=[{"name": UPLOAD_FILE_NAME, "mimeType": "text/csv", "buffer": hostile_export()}])
    page.get_by_role("heading", name="Rapport ligne à ligne").wait_for()
    settle(page)
    page.get_by_text("Colonnes retenues, fichier par fichier").click()
    assert shown(UPLOAD_FILE_NAME) in shown(page.locator("[data-testid='stText']").first.inner_text())
    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger rejets.csv").click()
    written = download.value.path().read_text(encoding="utf-8-sig")
    rejects = list(csv.DictReader(io.StringIO(written), delimiter=";"))
    assert [row["Commune"] for row in rejects] == [hostile("city", index) for index in range(len(TEMPLATES))]
    page.locator("[data-testid='stAlertContentInfo']", has_text="Mode démonstration").last.wait_for()
    assert page.get_by_role("button", name="Enregistrer l'import").count() == 0
    shot(page, artifacts, "importer")
    assert_inert(page, page.recorder)
    # An unreadable file: the French error quotes its hostile name as text.
    unreadable = file_name("upload", ".xls")
    upload.set_input_files(files=[{"name": unreadable, "mimeType": "application/vnd.ms-excel",
                                   "buffer": b"\xd0\xcf\x11\xe0 not a workbook"}])
    error = page.locator("[data-testid='stAlertContentError']")
    error.first.wait_for()
    assert shown(unreadable) in shown(error.first.inner_text())
    assert error.locator("a, img, svg, iframe, details").count() == 0
    shot(page, artifacts, "importer-erreur")

