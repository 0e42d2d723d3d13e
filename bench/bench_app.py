"""The app in a real headless Chromium with 10,000 animators: budgets of issue 4 §5, beside naive maps.

Steps, all in one run on this machine:

1. a synthetic export of 10,204 rows (``scripts/make_demo_export.py``, its shares changed
   so that most animators are trained and all run Café IA) is imported with
   ``python -m loaders FILE --demo`` into a temporary ``CARTE_DATA_HOME``: 10,000 animators;
2. the baselines: naive folium maps of the same data, each built in its own Python process
   (time to build the HTML, its size, the process's peak memory): one ``folium.Marker``
   with a popup per animator, the EPCI and commune contours as they are in the reference
   (no simplification, no rounding), and with ``--complete-baseline`` both together (the
   figure quoted by the issue; about a minute more).
   They use the app's self-hosted Leaflet (:func:`views.basemap.new_map`) so that they draw
   offline;
3. the app is started as ``make run`` starts it (``tests/conftest.py`` ``running_app``: the launcher
   ``views/serve.py``, which fills the caches before the server answers; no basemap tiles) and
   driven by Debian's chromium through Playwright:

   * the public page ``/?q=rennes``, cold (first visit after the server started, fresh
     browser context), warm (server caches filled, fresh browser context) and again in that
     context (browser cache filled): time from navigation until the result list and the map
     (a cluster visible in the map's frame) are both visible, each watched on its own, with
     the moments the title showed, the list showed, the map's message arrived, the map was
     drawn and all its markers were clustered (the map clusters those around its view first);
   * a filter change (« Conseillers numériques uniquement »): time from the click until the
     run is over, every listed animator is a Conseiller numérique and the new map holds
     exactly the Conseillers numériques of the selection;
   * the server's memory (``VmRSS`` and peak ``VmHWM`` of the streamlit process and its
     children, from ``/proc``) after those steps;
   * map payload: the bytes of the WebSocket messages that carry a ``st_folium`` map
     (what the server sends the browser), on the public page, the national EPCI
     choropleth (``/couverture``) and the Pas-de-Calais commune map
     (``/couverture?region=32&dep=62``);
4. the naive maps, and the app's own public map taken out of its message (same files,
   header and script as the component gets), are drawn alone in the same browser (served at
   a loopback URL of the app, so that their Leaflet files load): time until every marker
   icon, every contour, or every clustered marker and a visible cluster, is in the page.

A script run is over when the server's ``script_finished`` message arrives (read from the
WebSocket); Streamlit's status widget is not shown by this app.

Usage, from the repository root::

    .venv/bin/python bench/bench_app.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

CHROMIUM = "/usr/bin/chromium"
ROWS = 10_204  # 1 % rejected and 1 % answering twice: 10,000 animators
SEED = 4
STATUS_SHARES = (0.9, 0.05, 0.05)  # trained, in training, not trained
THEME_SHARES = {"cafe-ia": 1.0, "parentalite-numerique": 0.2, "cyber-malveillance": 0.1}
RENNES = (48.1116, -1.6800)
FRANCE_CENTER = (46.6, 2.4)
PUBLIC_PATH = "/?q=rennes"
NATIONAL_PATH = "/couverture"
DEPARTEMENT, DEPARTEMENT_PATH = "62", "/couverture?region=32&dep=62"
CONUM_LABEL = "Conseillers numériques uniquement"
CONUM_BADGE = "Conseiller·ère numérique"
MAP_FRAME = "iframe[title*='streamlit_folium']"
LISTED = ".carte-resultats li"
TIMEOUT_MS = 60_000
MB = 1_000_000
GB = 1e9

BUDGET_NATIONAL_MB = 2.0
BUDGET_DEPARTEMENT_MB = 1.0
BUDGET_USABLE_S = 3.0
BUDGET_FILTER_S = 1.0
BUDGET_MEMORY_GB = 1.5

# Markers of the FastMarkerCluster group of the map in this frame (-1: no map yet).
CLUSTERED_MARKERS = """
() => {
  if (!window.map || !window.map.eachLayer) return -1;
  let count = -1;
  window.map.eachLayer((layer) => { if (layer._gridClusters !== undefined) count = layer.getLayers().length; });
  return count;
}
"""
VISIBLE_CLUSTER = """
() => Array.from(document.querySelectorAll('.marker-cluster')).some((element) => {
  const box = element.getBoundingClientRect();
  return box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
      && box.top < window.innerHeight && box.left < window.innerWidth;
})
"""
ALL_LISTED_ARE_CONUM = f"""
() => {{
  const items = Array.from(document.querySelectorAll({json.dumps(LISTED)}));
  return items.length > 0 && items.every((item) => item.innerText.includes({json.dumps(CONUM_BADGE)}));
}}
"""
# folium's popups parse their HTML with jQuery's ``$``, which new_map leaves out and which is offline here:
# a minimal stand-in (lighter than jQuery, so the naive figures are, if anything, flattering).
JQUERY_STAND_IN = ("<script>window.$ = (html) => { const t = document.createElement('template'); "
                   "t.innerHTML = html.trim(); return [t.content.firstChild]; };</script>")


@dataclass
class Visit:
    """What one page load or one interaction cost (seconds from navigation or from the click)."""

    seconds: float = float("nan")
    title_s: float = float("nan")
    map_received_s: float = float("nan")
    map_drawn_s: float = float("nan")
    list_s: float = float("nan")
    markers_loaded_s: float = float("nan")
    map_bytes: list[int] = field(default_factory=list)
    socket_bytes: int = 0
    note: str = ""

    @property
    def map_mb(self) -> float:
        return max(self.map_bytes, default=0) / MB


@dataclass
class Naive:
    """A naive folium map: built in its own process, then drawn in the browser."""

    build_s: float
    html_bytes: int
    peak_rss_bytes: int
    items: int
    html: Path
    draw_s: float = float("nan")


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return time.perf_counter() - start, value


# --------------------------------------------------------------------- the store


def write_export(path: Path) -> int:
    """The synthetic export: the demo generator with most people trained, everyone on Café IA."""
    from geo.reference import load_reference
    from loaders.safe_files import write_csv
    from loaders.themes import load_themes
    from scripts import make_demo_export as demo

    demo.STATUS_SHARES = dict(zip((demo.TRAINED, demo.IN_TRAINING, demo.NOT_TRAINED), STATUS_SHARES))
    demo.THEME_SHARES = dict(THEME_SHARES)
    table = demo.build_demo_export(load_reference(), load_themes(), rows=ROWS, seed=SEED)
    write_csv(table, path)
    return len(table)


def public_selection():
    """The animators of the public page's default filters (Café IA, trained), read from the store."""
    import store
    from core.vocabulary import TRAINED
    from store.access import FRANCE

    table = store.read_animators(store.connect(), scope=FRANCE)
    chosen = table[(table["theme"] == "cafe-ia") & (table["training_status"] == TRAINED)]
    return chosen.reset_index(drop=True)


# --------------------------------------------------------------------- naive baselines


def naive_child(kind: str, out: Path, selection: Path) -> None:
    """Build one naive map in this process and print its figures (run by :func:`build_naive`)."""
    import folium
    import pandas as pd

    from core.vocabulary import STATUS_LABELS
    from geo.reference import load_reference
    from views.basemap import new_map
    from views.safe_html import escape

    reference = load_reference()
    animators = None
    if kind in ("public", "public-conum", "complete"):
        animators = pd.read_parquet(selection)
        if kind == "public-conum":
            animators = animators[animators["is_conum"]]
    if kind == "communes":
        communes = reference.communes
        contours = communes[(communes["departement_code"] == DEPARTEMENT) & ~communes.geometry.is_empty]
    else:
        contours = reference.epcis if kind in ("epci", "complete") else None
    start = time.perf_counter()
    public = kind.startswith("public")
    fmap = new_map(RENNES if public else FRANCE_CENTER, zoom_start=11 if public else 6)
    fmap.get_root().header.add_child(folium.Element(JQUERY_STAND_IN))
    items = 0
    if contours is not None:
        folium.GeoJson(contours[["nom", "geometry"]], name="Contours",
                       style_function=lambda _: {"fillColor": "#7b7be8", "color": "#555555", "weight": 0.4},
                       tooltip=folium.GeoJsonTooltip(fields=["nom"])).add_to(fmap)
        items = len(contours)
    if animators is not None:
        for row in animators.itertuples(index=False):
            popup = "<br>".join([f"<strong>{escape(row.structure)}</strong>", escape(row.commune),
                                 "Café IA", STATUS_LABELS[row.training_status]])
            folium.Marker((row.lat, row.lon), popup=folium.Popup(popup, max_width=320),
                          tooltip=escape(row.structure or row.commune)).add_to(fmap)
        items = len(animators)
    html = fmap.get_root().render()
    build = time.perf_counter() - start
    out.write_text(html, encoding="utf-8")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"build_s": build, "html_bytes": len(html.encode()), "peak_rss_bytes": peak, "items": items}))


def build_naive(kind: str, folder: Path, selection: Path) -> Naive:
    out = folder / f"naive-{kind}.html"
    done = subprocess.run([sys.executable, __file__, "--naive", kind, str(out), str(selection)], check=True,
                          capture_output=True, text=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return Naive(html=out, **figures)


def draw_naive(browser, url: str, naive: Naive, markers: bool) -> float:
    """Seconds from navigation until every marker icon (or every contour) of a naive map is in the page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    address = f"{url}/bench/{naive.html.name}"
    body = naive.html.read_bytes()
    page.route(address, lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=body))
    _block_other_hosts(page)
    selector = ".leaflet-marker-icon" if markers else "path.leaflet-interactive"
    start = time.perf_counter()
    page.goto(address, wait_until="commit", timeout=TIMEOUT_MS)
    page.wait_for_function(f"() => document.querySelectorAll({json.dumps(selector)}).length >= {naive.items}",
                           timeout=TIMEOUT_MS, polling=50)
    seconds = time.perf_counter() - start
    context.close()
    return seconds


def _block_other_hosts(page) -> None:
    """Fail at once what would leave the machine (the naive maps have no other remote file, but be sure)."""
    page.route(lambda address: not address.startswith(("http://127.0.0.1", "data:", "about:")),
               lambda route: route.abort())


# --------------------------------------------------------------------- the app in the browser


class Socket:
    """The messages the server sends one page (Streamlit ``ForwardMsg``), with their size and arrival time."""

    def __init__(self, page) -> None:
        self.page = page
        self.frames: list[tuple[float, int, str]] = []
        self.map_args: list[str] = []
        page.on("websocket", lambda socket: socket.on("framereceived", self._received))

    def _received(self, payload) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        data = payload if isinstance(payload, bytes) else payload.encode()
        kind = "other"
        message = ForwardMsg()
        try:
            message.ParseFromString(data)
            kind = message.WhichOneof("type") or "other"
        except Exception:  # noqa: BLE001 — not a ForwardMsg: counted, not classified
            pass
        if kind == "delta" and message.delta.new_element.component_instance.component_name.startswith(
                "streamlit_folium"):
            kind = "map"
            self.map_args.append(message.delta.new_element.component_instance.json_args)
        self.frames.append((time.perf_counter(), len(data), kind))

    def first(self, kind: str, since: float) -> float | None:
        return next((moment for moment, _, what in self.frames if what == kind and moment >= since), None)

    def wait_finished(self, since: float, quiet: float = 0.5) -> None:
        """Wait until a script run ended after ``since`` and nothing came for ``quiet`` seconds."""
        deadline = time.perf_counter() + TIMEOUT_MS / 1000
        while time.perf_counter() < deadline:
            last = self.frames[-1][0] if self.frames else since
            if self.first("script_finished", since) is not None and time.perf_counter() - last >= quiet:
                return
            self.page.wait_for_timeout(50)  # lets Playwright deliver the socket events
        raise TimeoutError("the script run did not finish")

    def since(self, start: float, visit: Visit) -> Visit:
        frames = [frame for frame in self.frames if frame[0] >= start]
        visit.socket_bytes = sum(size for _, size, _ in frames)
        visit.map_bytes = [size for _, size, kind in frames if kind == "map"]
        received = self.first("map", start)
        visit.map_received_s = received - start if received is not None else float("nan")
        return visit


def new_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    _block_other_hosts(page)
    return context, page, Socket(page)


def map_frames(page):
    return [frame for frame in page.frames if "streamlit_folium" in frame.url]


def frame_value(frame, script: str, default):
    try:
        return frame.evaluate(script)
    except Exception:  # noqa: BLE001 — a frame replaced while we ask
        return default


def public_visit(page, socket: Socket, url: str, markers: int) -> Visit:
    """Load the public page; time until the result list and the map (a visible cluster) are both visible,
    each watched on its own whichever comes first, and until the map holds all its ``markers``."""
    start = time.perf_counter()
    page.goto(url + PUBLIC_PATH, wait_until="commit", timeout=TIMEOUT_MS)
    page.locator("h1").first.wait_for(state="visible", timeout=TIMEOUT_MS)
    moments = {"title": time.perf_counter() - start}
    deadline = start + TIMEOUT_MS / 1000
    while len(moments) < 4:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"public page not shown: {sorted(moments)}")
        if "list" not in moments and page.locator(LISTED).first.is_visible():
            moments["list"] = time.perf_counter() - start
        frames = map_frames(page)
        if "drawn" not in moments and any(frame_value(frame, VISIBLE_CLUSTER, False) for frame in frames):
            moments["drawn"] = time.perf_counter() - start
        if "drawn" in moments and any(frame_value(frame, CLUSTERED_MARKERS, -1) == markers for frame in frames):
            moments.setdefault("loaded", time.perf_counter() - start)
        page.wait_for_timeout(20)
    socket.wait_finished(start)
    visit = Visit(max(moments["list"], moments["drawn"]), title_s=moments["title"], map_drawn_s=moments["drawn"],
                  list_s=moments["list"], markers_loaded_s=moments["loaded"])
    return socket.since(start, visit)


def filter_change(page, socket: Socket, expected_markers: int) -> Visit:
    """Tick « Conseillers numériques uniquement »; time until the list and the map show only them."""
    before = [frame_value(frame, CLUSTERED_MARKERS, -1) for frame in map_frames(page)]
    start = time.perf_counter()
    page.get_by_text(CONUM_LABEL, exact=True).click()
    deadline = start + TIMEOUT_MS / 1000
    listed = mapped = False
    seen: list[int] = []
    while time.perf_counter() < deadline:
        listed = listed or page.evaluate(ALL_LISTED_ARE_CONUM)
        frames = map_frames(page)
        seen = [frame_value(frame, CLUSTERED_MARKERS, -1) for frame in frames]
        mapped = mapped or any(count == expected_markers and frame_value(frame, VISIBLE_CLUSTER, False)
                               for count, frame in zip(seen, frames))
        if listed and mapped and socket.first("script_finished", start) is not None:
            break
        page.wait_for_timeout(20)
    else:
        raise TimeoutError(f"filter change not shown: list {listed}, map {mapped} (markers {seen}, "
                           f"expected {expected_markers})")
    seconds = time.perf_counter() - start
    note = f"{max(before, default=-1)} → {expected_markers} marqueurs sur la carte"
    socket.wait_finished(start)
    return socket.since(start, Visit(seconds, note=note))


def coverage_visit(browser, url: str, path: str) -> Visit:
    """Load a coverage page; time until its choropleth has its contours."""
    context, page, socket = new_page(browser)
    start = time.perf_counter()
    page.goto(url + path, wait_until="commit", timeout=TIMEOUT_MS)
    page.frame_locator(MAP_FRAME).first.locator("path.leaflet-interactive").first.wait_for(state="visible",
                                                                                          timeout=TIMEOUT_MS)
    seconds = time.perf_counter() - start
    socket.wait_finished(start)
    paths = max((frame_value(frame, "() => document.querySelectorAll('path.leaflet-interactive').length", 0)
                 for frame in map_frames(page)), default=0)
    visit = socket.since(start, Visit(seconds, note=f"{paths} contours"))
    context.close()
    return visit


def standalone_map(args_json: str, out: Path) -> Path:
    """The app's map as the component draws it (same files, header, script and feature group), in a page of its
    own."""
    args = json.loads(args_json)
    links = "".join(f'<link rel="stylesheet" href="{href}"/>' for href in args["css_links"])
    scripts = "".join(f'<script src="{src}"></script>' for src in args["js_links"])
    out.write_text(f"<!DOCTYPE html><html><head>{links}{scripts}{args['header']}</head><body>{args['html']}"
                   f'<div id="map_div" style="height:{args["height"]}px"></div>'
                   f"<script>{map_script(args)}\nwindow.map = map_div;</script></body></html>", encoding="utf-8")
    return out


def map_script(args: dict) -> str:
    """The script the component runs: the map's, then its feature group's (the public page's markers)."""
    return args["script"] + "\n" + (args["feature_group"] or "")


def draw_standalone(browser, url: str, html: Path, markers: int) -> float:
    """Seconds from navigation until the app's map, alone, has all its markers and shows a cluster."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    address = f"{url}/bench/{html.name}"
    body = html.read_bytes()
    page.route(address, lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=body))
    _block_other_hosts(page)
    start = time.perf_counter()
    page.goto(address, wait_until="commit", timeout=TIMEOUT_MS)
    page.wait_for_function(f"() => ({CLUSTERED_MARKERS})() === {markers} && ({VISIBLE_CLUSTER})()",
                           timeout=TIMEOUT_MS, polling=50)
    seconds = time.perf_counter() - start
    context.close()
    return seconds


# --------------------------------------------------------------------- server memory


def server_pid(port: int) -> int:
    """The streamlit process serving ``port`` (``running_app`` does not expose its handle)."""
    wanted = f"--server.port\0{port}\0".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if wanted in (entry / "cmdline").read_bytes():
                    return int(entry.name)
            except OSError:
                continue
    raise RuntimeError(f"no streamlit process on port {port}")


def memory(pid: int) -> tuple[int, int]:
    """Resident and peak resident bytes of a process and its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    resident = peak = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        pending.extend(children.get(current, []))
        fields = {}
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                name, _, value = line.partition(":")
                fields[name] = value
        except OSError:
            continue
        resident += int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
        peak += int(fields.get("VmHWM", "0 kB").split()[0]) * 1024
    return resident, peak


# --------------------------------------------------------------------- report


def verdict(value: float, budget: float) -> str:
    return "tenu" if value <= budget else "DÉPASSÉ"


def main(complete_baseline: bool = False) -> None:
    from conftest import CHROMIUM_ARGS, running_app
    from playwright.sync_api import sync_playwright

    if not (ROOT / "static" / "vendor" / ".installed").exists():
        sys.exit("Fichiers de la carte absents (static/vendor) : lancez `make` d'abord.")
    print(f"Machine : {platform.node()} — {platform.processor() or platform.machine()}, "
          f"{len(os.sched_getaffinity(0))} cœurs, Python {platform.python_version()}, chromium "
          f"{_chromium_version()} ; charge moyenne au départ {_load()}")
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        home = folder / "home"
        os.environ.update({"CARTE_DATA_HOME": str(home), "CARTE_TILES_URL": ""})
        export = folder / "animateurs-10000.csv"
        made, rows = timed(write_export, export)
        loaded, done = timed(subprocess.run, [sys.executable, "-m", "loaders", str(export), "--demo"],
                             cwd=ROOT, check=True, capture_output=True, text=True)
        print(f"Export synthétique : {rows} lignes en {made:.1f} s ; import en {loaded:.1f} s : "
              f"{done.stdout.strip().splitlines()[0]}")
        shown = public_selection()
        conum = int(shown["is_conum"].sum())
        print(f"Page publique (Café IA, formé·es) : {len(shown)} animateur·rices sur la carte, "
              f"dont {conum} conseiller·ères numériques")
        selection = folder / "selection.parquet"
        shown.to_parquet(selection)
        kinds = ("public", "public-conum", "epci", "communes") + (("complete",) if complete_baseline else ())
        naive = {kind: build_naive(kind, folder, selection) for kind in kinds}

        with running_app(home) as url, sync_playwright() as playwright:
            pid = server_pid(int(url.rsplit(":", 1)[1]))
            figures = {"started": memory(pid)}
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context, page, socket = new_page(browser)
            figures["cold"] = public_visit(page, socket, url, len(shown))
            context.close()
            context, page, socket = new_page(browser)
            figures["warm"] = public_visit(page, socket, url, len(shown))
            figures["revisit"] = public_visit(page, socket, url, len(shown))
            figures["filter"] = filter_change(page, socket, conum)
            figures["after_public"] = memory(pid)
            ours = standalone_map(socket.map_args[0], folder / "app-map.html")
            context.close()
            figures["national"] = coverage_visit(browser, url, NATIONAL_PATH)
            figures["departement"] = coverage_visit(browser, url, DEPARTEMENT_PATH)
            figures["after_all"] = memory(pid)
            figures["ours_draw"] = draw_standalone(browser, url, ours, len(shown))
            figures["ours_bytes"] = len(map_script(json.loads(socket.map_args[0])).encode())
            for kind in naive:
                naive[kind].draw_s = draw_naive(browser, url, naive[kind], markers=kind not in ("epci", "communes"))
            browser.close()

    _report(figures, naive, len(shown))
    print(f"Durée totale du banc : {time.perf_counter() - began:.0f} s ; charge moyenne à la fin {_load()}")


def _load() -> str:
    """Load average over 1, 5 and 15 minutes: other work on the machine slows every figure."""
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


def _chromium_version() -> str:
    try:
        return subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30).stdout.split()[1]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"


def _report(figures: dict, naive: dict[str, Naive], markers: int) -> None:
    cold, warm, revisit, changed = figures["cold"], figures["warm"], figures["revisit"], figures["filter"]
    national, departement = figures["national"], figures["departement"]
    peak = figures["after_public"][1] / GB

    def naive_load(kind: str) -> str:
        base = naive[kind]
        return f"{base.build_s + base.draw_s:.1f} s (génération {base.build_s:.1f} + affichage {base.draw_s:.1f})"

    def size(kind: str) -> str:
        return f"{naive[kind].html_bytes / MB:.2f} Mo de HTML"

    rows = [
        ("Carte EPCI nationale : charge utile", f"≤ {BUDGET_NATIONAL_MB:g} Mo", f"{national.map_mb:.2f} Mo",
         size("epci"), verdict(national.map_mb, BUDGET_NATIONAL_MB)),
        (f"Carte des communes du {DEPARTEMENT} : charge utile", f"≤ {BUDGET_DEPARTEMENT_MB:g} Mo",
         f"{departement.map_mb:.2f} Mo", size("communes"), verdict(departement.map_mb, BUDGET_DEPARTEMENT_MB)),
        ("Page publique utilisable, à froid", f"≤ {BUDGET_USABLE_S:g} s", f"{cold.seconds:.2f} s",
         naive_load("public"), verdict(cold.seconds, BUDGET_USABLE_S)),
        ("Page publique utilisable, à chaud", f"≤ {BUDGET_USABLE_S:g} s", f"{warm.seconds:.2f} s",
         naive_load("public"), verdict(warm.seconds, BUDGET_USABLE_S)),
        ("  idem, navigateur déjà venu (cache HTTP)", f"≤ {BUDGET_USABLE_S:g} s", f"{revisit.seconds:.2f} s",
         naive_load("public"), verdict(revisit.seconds, BUDGET_USABLE_S)),
        ("Changement de filtre (conseillers num.)", f"≤ {BUDGET_FILTER_S:g} s", f"{changed.seconds:.2f} s",
         naive_load("public-conum"), verdict(changed.seconds, BUDGET_FILTER_S)),
        ("Mémoire du serveur, une session (pic)", f"< {BUDGET_MEMORY_GB:g} Go", f"{peak:.2f} Go",
         f"{naive['public'].peak_rss_bytes / GB:.2f} Go (processus de la carte naïve)",
         verdict(peak, BUDGET_MEMORY_GB)),
        ("Page publique : charge utile de la carte", "—", f"{warm.map_mb:.2f} Mo", size("public"), ""),
        ("Page publique : carte seule, affichage", "—", f"{figures['ours_draw']:.2f} s",
         f"{naive['public'].draw_s:.2f} s", ""),
    ]
    header = ("chiffre", "budget", "mesuré", "référence naïve (même passage)", "verdict")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(5)]
    print()
    for row in (header, tuple("-" * width for width in widths), *rows):
        print(" | ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    print()
    print("Chronologie de la page publique (secondes depuis la navigation) : titre affiché | liste affichée | "
          "message de la carte reçu | carte dessinée | tous les marqueurs regroupés")
    for title, visit in (("à froid", cold), ("à chaud", warm), ("navigateur déjà venu", revisit)):
        print(f"  {title:<21}: {visit.title_s:5.2f} | {visit.list_s:5.2f} | {visit.map_received_s:5.2f} | "
              f"{visit.map_drawn_s:5.2f} | {visit.markers_loaded_s:5.2f}   "
              f"({visit.socket_bytes / MB:.2f} Mo reçus par la WebSocket)")
    print(f"  changement de filtre : message de la carte reçu {changed.map_received_s:.2f} s après le clic, "
          f"tout affiché à {changed.seconds:.2f} s ({changed.map_mb:.2f} Mo ; {changed.note})")
    started, after_public, after_all = figures["started"], figures["after_public"], figures["after_all"]
    print(f"Mémoire du serveur (streamlit et ses enfants, VmRSS / pic VmHWM) : au démarrage "
          f"{started[0] / GB:.2f} Go ; après la page publique {after_public[0] / GB:.2f} / "
          f"{after_public[1] / GB:.2f} Go ; après les pages de couverture {after_all[0] / GB:.2f} / "
          f"{after_all[1] / GB:.2f} Go")
    print(f"Script de la carte publique : {figures['ours_bytes'] / MB:.2f} Mo pour {markers} marqueurs "
          f"({figures['ours_bytes'] / markers:.0f} octets par marqueur)")
    print(f"Couverture : carte EPCI nationale dessinée en {national.seconds:.2f} s ({national.note}), communes du "
          f"{DEPARTEMENT} en {departement.seconds:.2f} s ({departement.note}) ; contours simplifiés lus du cache "
          "disque s'il existe déjà")
    titles = {"public": "publique", "public-conum": "conseillers num.", "epci": "EPCI",
              "communes": f"communes du {DEPARTEMENT}", "complete": "EPCI + marqueurs (issue)"}
    for kind, item in naive.items():
        title = titles[kind]
        print(f"  carte naïve {title:<24}: {item.html_bytes / MB:6.2f} Mo, générée en {item.build_s:5.1f} s, "
              f"affichée en {item.draw_s:5.1f} s, {item.items} objets, pic mémoire {item.peak_rss_bytes / GB:.2f} Go")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complete-baseline", action="store_true",
                        help="ajoute la carte naïve citée par l'issue (contours EPCI bruts + un Marker par "
                             "animateur) : environ une minute de plus")
    parser.add_argument("--naive", nargs=3, metavar=("KIND", "OUT", "SELECTION"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.naive:
        naive_child(arguments.naive[0], Path(arguments.naive[1]), Path(arguments.naive[2]))
    else:
        main(arguments.complete_baseline)
