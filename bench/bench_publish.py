"""The public finder as a static publication, 10,000 animators: budgets of issue 14, beside the Streamlit page.

Steps, all in one run on this machine:

1. the synthetic export of ``bench/bench_app.py`` (10,204 rows, most people trained, everyone on Café IA)
   is imported into a temporary ``CARTE_DATA_HOME``, then ``python -m carte publish`` is timed;
   the size of every file of the publication is given raw and gzipped;
2. the app is started as ``make run`` starts it (``views/serve.py``: it publishes, then serves the
   publication at ``/carte/``) and driven by Debian's chromium through Playwright, each visit in a fresh
   browser context (empty cache): the first view (``/carte/``, ``/carte/?q=Rennes+(35)`` as a shared link
   or a partner's embed writes it, ``/carte/?q=rennes`` as typed), from navigation until the list and a
   cluster of the map are both visible, with the bytes it downloaded (as sent, gzip) and, of those, the
   public data's; then a filter change (« Conseillers numériques uniquement ») and a new search (« Brest »):
   from the click or the Enter key until the list shows the new result and the map holds the new
   selection;
3. visits per second, with a bounded local load test (``bench/load_generator.py``: :data:`CLIENTS`
   concurrent visitors for :data:`LOAD_SECONDS` s, each visit a new connection fetching what a first view
   fetches: the page, its scripts and styles, the map data, gzip accepted): served by the app's own route
   (one process), and by ``python -m http.server`` over the same directory;
4. the Streamlit public page that the static page replaces (the tree at ``--baseline``, by default the
   commit before the static finder, checked out into a temporary git worktree and run with the same
   Python), over the same export imported by its own code: its first view in Chromium (``/?q=rennes``,
   list and map), and its visits per second: concurrent WebSocket sessions, each running the page's script
   once (``rerun_script`` with the visit's query, until ``script_finished``), as a browser's visit does;
   the same figure for today's « Trouver un animateur » page of the app, which only frames the static page.

The load generator runs on the same two cores as the server it measures: the figures are floors.

Usage, from the repository root::

    .venv/bin/python bench/bench_publish.py [--baseline REF]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from load_generator import CLIENTS, LOAD_SECONDS, SOCKET_CLIENTS, SOCKET_SECONDS, socket_load, static_load  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
KB = 1000
BUDGET_USABLE_S = 1.0
BUDGET_FIRST_VIEW_KB = 600
BUDGET_DATA_KB = 300
BUDGET_INTERACTION_S = 0.150
REPEATS = 5
TIMEOUT_MS = 60_000
FIRST_VIEWS = ("/carte/", "/carte/?q=Rennes+%2835%29", "/carte/?q=rennes")
BASELINE_PATH = "/?q=rennes"  # what the baseline's bench_app.public_visit opens

# Visible: the list's first item (or the count when nothing is searched), and a cluster of the map.
USABLE = """
(searched) => {
  const inView = (element) => { const box = element.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < innerHeight && box.left < innerWidth; };
  const listed = document.querySelector(searched ? ".carte-resultats li" : "#resultats-corps strong");
  return listed !== null && inView(listed) && [...document.querySelectorAll(".marker-cluster")].some(inView);
}
"""
CLUSTERED = """
() => { let count = -1;
  window.carteMap.eachLayer((layer) => {
    if (layer instanceof L.MarkerClusterGroup) count = layer.getLayers().length;
  });
  return count; }
"""


@dataclass
class FirstView:
    seconds: list[float] = field(default_factory=list)
    bytes: int = 0
    data_bytes: int = 0
    requests: int = 0


# --------------------------------------------------------------------- the store and the publication


def prepare(home: Path, export: Path, tree: Path) -> str:
    """Import ``export`` into ``home`` with the code of ``tree``; the loader's summary line.

    The baseline's tree is older than the command line's own package: it imports with ``python -m loaders``.
    """
    command = ["carte", "import"] if (tree / "carte").is_dir() else ["loaders"]
    done = subprocess.run([sys.executable, "-m", *command, str(export), "--demo"], cwd=tree, check=True,
                          capture_output=True, text=True, env=_env(home, tree))
    return done.stdout.strip().splitlines()[0]


def _env(home: Path, tree: Path) -> dict[str, str]:
    return {**os.environ, "CARTE_DATA_HOME": str(home), "CARTE_TILES_URL": "", "PYTHONPATH": str(tree)}


def sizes(directory: Path) -> dict[str, tuple[int, int]]:
    """Raw and gzipped size of each file of the publication (``.gz`` copies apart)."""
    found = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.suffix != ".gz" and not path.name.startswith("."):
            raw = path.read_bytes()
            compressed = path.with_name(path.name + ".gz")
            packed = len(compressed.read_bytes()) if compressed.exists() else len(gzip.compress(raw, 9))
            found[str(path.relative_to(directory))] = (len(raw), packed)
    return found


def first_view_files(directory: Path) -> list[str]:
    """What a first view fetches: the page, its scripts and styles, the map data (not contacts nor the index)."""
    page = (directory / "index.html").read_text(encoding="utf-8")
    linked = re.findall(r'(?:href|src)="(assets/[^"]+|data/[^"]+)"', page)
    return ["index.html", *dict.fromkeys(linked)]


# --------------------------------------------------------------------- the browser


def new_context(browser):
    return browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")


def first_view(browser, url: str, searched: bool) -> tuple[float, int, int, int]:
    """Seconds until usable, bytes downloaded (as sent), of which public data, and requests."""
    context = new_context(browser)
    page = context.new_page()
    responses = []
    page.on("requestfinished", lambda request: responses.append(request))
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_function(USABLE, arg=searched, timeout=TIMEOUT_MS, polling="raf")
    usable = time.perf_counter() - start
    page.wait_for_timeout(500)  # what the first view still fetches once usable (the rest of the markers)
    total = data = 0
    for request in responses:
        sent = request.sizes()["responseBodySize"] + request.sizes()["responseHeadersSize"]
        total += sent
        if "/data/" in request.url:
            data += sent
    context.close()
    return usable, total, data, len(responses)


# After an action: the page drew its new view (list, markers around the map's view), and the frame that paints
# it starts (the markers far from the view are clustered after it). Resolves with the in-page time from the
# action's input event to the start of the frame after the one showing the new view (the browser's own clock,
# as the Interaction to Next Paint of web vitals counts it), in milliseconds.
WATCH_INPUT = """
() => { window.carteBenchInput = null;
  for (const type of ["pointerdown", "keydown"]) {
    addEventListener(type, (event) => { if (window.carteBenchInput === null) window.carteBenchInput = event.timeStamp; },
                     { capture: true, once: true });
  } }
"""
DRAWN_AFTER = """
(before) => new Promise((resolve) => {
  const check = () => Number(document.body.dataset.rendu) > before
    ? requestAnimationFrame((painted) => resolve(painted - window.carteBenchInput)) : requestAnimationFrame(check);
  requestAnimationFrame(check);
})
"""


def _timed_action(page, act) -> tuple[float, float, float]:
    """Seconds from an action until its view is painted, as the test driver sees it (its messages to the page
    wait behind the clustering that follows the paint) and as the page's clock sees it (input event to next
    frame), and until the map holds the whole new selection."""
    before = int(page.evaluate("() => Number(document.body.dataset.rendu)"))
    page.evaluate(WATCH_INPUT)
    start = time.perf_counter()
    act()
    in_page = page.evaluate(DRAWN_AFTER, before) / 1000
    drawn = time.perf_counter() - start
    page.wait_for_function(f"() => ({CLUSTERED})() === Number(document.body.dataset.selection)", timeout=TIMEOUT_MS,
                           polling="raf")
    return drawn, in_page, time.perf_counter() - start


def interactions(browser, url: str) -> dict[str, list[tuple[float, float, float]]]:
    """A filter change and a new search: from the click or the Enter key until the list and the markers in view
    are painted, and until the map holds the whole new selection. The search index is loaded first (it is
    fetched when the search box gets the focus: a person types for longer than it takes)."""
    figures: dict[str, list[tuple[float, float, float]]] = {"filter": [], "search": []}
    for _ in range(REPEATS):
        context = new_context(browser)
        page = context.new_page()
        page.goto(f"{url}/carte/?q=Rennes+%2835%29")
        page.wait_for_function(USABLE, arg=True, timeout=TIMEOUT_MS)
        page.wait_for_function(f"() => ({CLUSTERED})() === Number(document.body.dataset.selection)",
                               timeout=TIMEOUT_MS)
        figures["filter"].append(_timed_action(page, page.get_by_label("Conseillers numériques uniquement").click))
        search = page.get_by_label("Commune ou code postal")
        search.focus()
        page.evaluate("() => window.carteRecherche.ready()")
        search.fill("Brest")
        figures["search"].append(_timed_action(page, lambda: search.press("Enter")))
        assert "Brest" in page.locator("#titre-resultats").inner_text()
        context.close()
    return figures


def baseline_first_views(browser, tree: Path, url: str, markers: int, repeats: int = 3) -> list[float]:
    """The Streamlit page's first view, measured by the baseline tree's own bench (``bench_app.public_visit``:
    its list and a visible cluster of its map's frame, in a fresh browser context)."""
    import importlib.util

    path = list(sys.path)
    specification = importlib.util.spec_from_file_location("bench_app_avant", tree / "bench" / "bench_app.py")
    module = importlib.util.module_from_spec(specification)
    sys.modules[specification.name] = module
    specification.loader.exec_module(module)
    sys.path[:] = path  # the baseline module puts its tree first: this process keeps its own
    seconds = []
    for _ in range(repeats):
        context, page, socket = module.new_page(browser)
        seconds.append(module.public_visit(page, socket, url, markers).seconds)
        context.close()
    return seconds


# --------------------------------------------------------------------- the plain static server


@contextlib.contextmanager
def http_server(directory: Path) -> Iterator[str]:
    from conftest import free_port, wait_for

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", str(directory)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/index.html")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


# --------------------------------------------------------------------- the baseline tree


def default_baseline() -> str:
    """The commit before the static finder appeared."""
    added = subprocess.run(["git", "log", "--diff-filter=A", "--format=%H", "--", "static_site/finder.js"], cwd=ROOT,
                           check=True, capture_output=True, text=True).stdout.split()
    return f"{added[-1]}^" if added else "HEAD"


@contextlib.contextmanager
def baseline_tree(ref: str) -> Iterator[Path]:
    """``ref`` checked out into a temporary git worktree (map assets copied), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="carte-base-"))
    tree = folder / "arbre"
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), ref], cwd=ROOT, check=True, capture_output=True)
    try:
        (tree / "static").mkdir(exist_ok=True)
        # A copy: Streamlit's static route refuses a link that leads out of its folder.
        shutil.copytree(ROOT / "static" / "vendor", tree / "static" / "vendor")
        yield tree
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def running(home: Path, tree: Path) -> Iterator[str]:
    """The app of ``tree`` as ``make run`` starts it, over the store in ``home``."""
    from conftest import free_port, wait_for

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "views.serve", "--server.port", str(port), "--server.address",
                               "127.0.0.1", "--server.fileWatcherType", "none"], cwd=tree, env=_env(home, tree),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/_stcore/health", seconds=180)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


# --------------------------------------------------------------------- report


def verdict(value: float, budget: float) -> str:
    return "tenu" if value <= budget else "DÉPASSÉ"


def _load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def main(baseline: str) -> None:
    from bench_app import write_export
    from conftest import CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    if not (ROOT / "static" / "vendor" / ".installed").exists():
        sys.exit("Fichiers de la carte absents (static/vendor) : lancez `make` d'abord.")
    print(f"Machine : {platform.node()}, {len(os.sched_getaffinity(0))} cœurs, Python {platform.python_version()} ; "
          f"charge moyenne au départ {_load_average()}")
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        folder = Path(folder)
        export = folder / "animateurs-10000.csv"
        os.environ["CARTE_TILES_URL"] = ""
        rows = write_export(export)
        home = folder / "home"
        print(f"Export synthétique : {rows} lignes ; {prepare(home, export, ROOT)}")
        start = time.perf_counter()
        published = subprocess.run([sys.executable, "-m", "carte", "publish"], cwd=ROOT, env=_env(home, ROOT),
                                   check=True, capture_output=True, text=True)
        print(f"Publication (python -m carte publish) : {time.perf_counter() - start:.2f} s — "
              f"{published.stdout.strip().splitlines()[0]}")
        directory = home / "public"
        data = json.loads(gzip.decompress((directory / (json.loads(re.search(
            r'id="carte-reglages" type="application/json">(.*?)</script>',
            (directory / "index.html").read_text(encoding="utf-8"))[1])["files"]["carte"] + ".gz")).read_bytes()))
        trained = data["status"]["cafe-ia"].count(0)  # the default view: trained Café IA animators
        files = sizes(directory)
        view = first_view_files(directory)
        print("Fichiers de la publication (brut / gzip, ko) :")
        parts = {"/communes-": "index des communes par département", "/noms-": "index des noms exacts"}
        for name, (raw, packed) in files.items():
            if not any(part in name for part in parts):
                first = "  (première vue)" if name in view else ""
                print(f"  {name:<58} {raw / KB:8.1f} / {packed / KB:7.1f}{first}")
        for part, label in parts.items():
            packed_sizes = [packed for name, (_, packed) in files.items() if part in name]
            print(f"  {label} : {len(packed_sizes)} fichiers, "
                  f"{min(packed_sizes) / KB:.1f} à {max(packed_sizes) / KB:.1f} ko gzip")

        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        with running(home, ROOT) as url:
            views = {}
            for path in FIRST_VIEWS:
                views[path] = FirstView()
                for _ in range(REPEATS):
                    usable, total, data, requests = first_view(browser, url + path, "q=" in path)
                    views[path].seconds.append(usable)
                    views[path].bytes, views[path].data_bytes, views[path].requests = total, data, requests
            timed = interactions(browser, url)
            route = static_load(url, view, "/carte/")
            framed = socket_load(url, "q=rennes")
        with http_server(directory) as plain:
            simple = static_load(plain, view, "/")

        with baseline_tree(baseline) as tree:
            base_home = folder / "base"
            prepare(base_home, export, tree)
            with running(base_home, tree) as base_url:
                baseline_seconds = baseline_first_views(browser, tree, base_url, trained)
                streamlit = socket_load(base_url, "q=rennes")
        browser.close()

    print()
    print(f"Première vue utilisable (liste et carte visibles, Chromium, cache vide ; médiane de {REPEATS}) :")
    for path, figures in views.items():
        usable = statistics.median(figures.seconds)
        print(f"  {path:<30} {usable:.3f} s (budget {BUDGET_USABLE_S} s : {verdict(usable, BUDGET_USABLE_S)}) ; "
              f"téléchargé {figures.bytes / KB:.1f} ko en {figures.requests} requêtes "
              f"(budget {BUDGET_FIRST_VIEW_KB} ko : {verdict(figures.bytes / KB, BUDGET_FIRST_VIEW_KB)}), "
              f"dont données {figures.data_bytes / KB:.1f} ko "
              f"(budget {BUDGET_DATA_KB} ko : {verdict(figures.data_bytes / KB, BUDGET_DATA_KB)})")
    print(f"  page Streamlit d'avant ({baseline}) {BASELINE_PATH} : {statistics.median(baseline_seconds):.3f} s "
          f"(médiane de 3)")
    for kind, label in (("filter", "changement de filtre (CoNum)"), ("search", "nouvelle recherche (Brest)")):
        drawn = [first for first, _, _ in timed[kind]]
        in_page = [seconds for _, seconds, _ in timed[kind]]
        complete = statistics.median(whole for _, _, whole in timed[kind])
        value = statistics.median(in_page)
        print(f"{label} : de l'entrée à l'image qui l'affiche (liste et marqueurs visibles, horloge de la page) "
              f"{value * 1000:.0f} ms, de {min(in_page) * 1000:.0f} à {max(in_page) * 1000:.0f} ms (budget "
              f"{BUDGET_INTERACTION_S * 1000:.0f} ms : {verdict(value, BUDGET_INTERACTION_S)}) ; vu par le pilote de "
              f"test {statistics.median(drawn) * 1000:.0f} ms ; carte complète (tous les marqueurs regroupés) en "
              f"{complete * 1000:.0f} ms")
    print()
    print(f"Visites par seconde (première vue : {len(view)} fichiers, gzip accepté ; {CLIENTS} visiteurs "
          "simultanés, "
          f"{LOAD_SECONDS:.0f} s ; pages Streamlit : {SOCKET_CLIENTS} sessions simultanées, {SOCKET_SECONDS:.0f} s) :")
    print(f"  route /carte/ de l'application (un processus)      : {route.summary()}")
    print(f"  python -m http.server sur le même dossier           : {simple.summary()}")
    print(f"  page Streamlit d'avant (script par visite)          : {streamlit.summary()}")
    print(f"  page Streamlit d'aujourd'hui (cadre, script court)  : {framed.summary()}")
    print(f"Durée totale du banc : {time.perf_counter() - began:.0f} s ; charge moyenne à la fin {_load_average()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=None, help="l'arbre de la page Streamlit d'avant (défaut : le commit "
                                                         "précédant la page statique)")
    main(parser.parse_args().baseline or default_baseline())
