"""The pilot pages' maps in a real headless Chromium with 10,000 animators: budgets of issue 4 §5, beside
naive maps. The public page is a static publication since issue 14: ``bench/bench_publish.py`` measures it.

Steps, all in one run on this machine:

1. a synthetic export of 10,204 rows (``scripts/make_demo_export.py``, its shares changed
   so that most animators are trained and all run Café IA) is imported with
   ``python -m carte import FILE --demo`` into a temporary ``CARTE_DATA_HOME``: 10,000 animators;
2. the baselines (``bench/naive_maps.py``): naive folium maps of the same data, each built in its own
   Python process (time to build the HTML, its size, the process's peak memory): the EPCI and commune
   contours as they are in the reference (no simplification, no rounding), and with
   ``--complete-baseline`` the EPCI with one ``folium.Marker`` per animator (the figure quoted by the
   issue; about a minute more); they use the app's self-hosted Leaflet so that they draw offline;
3. the app is started as ``make run`` starts it (``tests/conftest.py`` ``running_app``: the launcher
   ``views/serve.py``, which fills the caches before the server answers; no basemap tiles) and
   driven by Debian's chromium through Playwright: the national EPCI choropleth (``/couverture``) and
   the Pas-de-Calais commune map (``/couverture?region=32&dep=62``): the bytes of the WebSocket messages
   that carry the ``st_folium`` map, the time until its contours are drawn; then the server's memory
   (``VmRSS`` and peak ``VmHWM`` of the streamlit process and its children, from ``/proc``);
4. the naive maps are drawn alone in the same browser (served at a loopback URL of the app, so that
   their Leaflet files load): time until every contour (or marker icon) is in the page.

A script run is over when the server's ``script_finished`` message arrives (read from the
WebSocket); Streamlit's status widget is not shown by this app.

Usage, from the repository root::

    .venv/bin/python bench/bench_app.py
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from naive_maps import (  # noqa: E402
    DEPARTEMENT,
    TIMEOUT_MS,
    Naive,
    block_other_hosts,
    build_naive,
    draw_naive,
)

CHROMIUM = "/usr/bin/chromium"
ROWS = 10_204  # 1 % rejected and 1 % answering twice: 10,000 animators
SEED = 4
STATUS_SHARES = (0.9, 0.05, 0.05)  # trained, in training, not trained
THEME_SHARES = {"cafe-ia": 1.0, "parentalite-numerique": 0.2, "cyber-malveillance": 0.1}
NATIONAL_PATH = "/couverture"
DEPARTEMENT_PATH = "/couverture?region=32&dep=62"
MAP_FRAME = "iframe[title*='streamlit_folium']"
MB = 1_000_000
GB = 1e9

BUDGET_NATIONAL_MB = 2.0
BUDGET_DEPARTEMENT_MB = 1.0
BUDGET_MEMORY_GB = 1.5


@dataclass
class Visit:
    """What one page load or one interaction cost (seconds from navigation or from the click)."""

    seconds: float = float("nan")
    map_bytes: list[int] = field(default_factory=list)
    socket_bytes: int = 0
    note: str = ""

    @property
    def map_mb(self) -> float:
        return max(self.map_bytes, default=0) / MB


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


# --------------------------------------------------------------------- the app in the browser


class Socket:
    """The messages the server sends one page (Streamlit ``ForwardMsg``), with their size and arrival time."""

    def __init__(self, page) -> None:
        self.page = page
        self.frames: list[tuple[float, int, str]] = []
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
        return visit


def new_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    block_other_hosts(page)
    return context, page, Socket(page)


def map_frames(page):
    return [frame for frame in page.frames if "streamlit_folium" in frame.url]


def frame_value(frame, script: str, default):
    try:
        return frame.evaluate(script)
    except Exception:  # noqa: BLE001 — a frame replaced while we ask
        return default


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
        loaded, done = timed(subprocess.run, [sys.executable, "-m", "carte", "import", str(export), "--demo"],
                             cwd=ROOT, check=True, capture_output=True, text=True)
        print(f"Export synthétique : {rows} lignes en {made:.1f} s ; import en {loaded:.1f} s : "
              f"{done.stdout.strip().splitlines()[0]}")
        shown = public_selection()
        selection = folder / "selection.parquet"
        shown.to_parquet(selection)
        kinds = ("epci", "communes") + (("complete",) if complete_baseline else ())
        naive = {kind: build_naive(kind, folder, selection) for kind in kinds}

        with running_app(home) as url, sync_playwright() as playwright:
            pid = server_pid(int(url.rsplit(":", 1)[1]))
            figures = {"started": memory(pid)}
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            figures["national"] = coverage_visit(browser, url, NATIONAL_PATH)
            figures["departement"] = coverage_visit(browser, url, DEPARTEMENT_PATH)
            figures["after_all"] = memory(pid)
            for kind in naive:
                naive[kind].draw_s = draw_naive(browser, url, naive[kind], markers=kind == "complete")
            browser.close()

    _report(figures, naive)
    print(f"Durée totale du banc : {time.perf_counter() - began:.0f} s ; charge moyenne à la fin {_load()}")


def _load() -> str:
    """Load average over 1, 5 and 15 minutes: other work on the machine slows every figure."""
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


def _chromium_version() -> str:
    try:
        return subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30).stdout.split()[1]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"


def _report(figures: dict, naive: dict[str, Naive]) -> None:
    national, departement = figures["national"], figures["departement"]
    peak = figures["after_all"][1] / GB

    def size(kind: str) -> str:
        return f"{naive[kind].html_bytes / MB:.2f} Mo de HTML"

    rows = [
        ("Carte EPCI nationale : charge utile", f"≤ {BUDGET_NATIONAL_MB:g} Mo", f"{national.map_mb:.2f} Mo",
         size("epci"), verdict(national.map_mb, BUDGET_NATIONAL_MB)),
        (f"Carte des communes du {DEPARTEMENT} : charge utile", f"≤ {BUDGET_DEPARTEMENT_MB:g} Mo",
         f"{departement.map_mb:.2f} Mo", size("communes"), verdict(departement.map_mb, BUDGET_DEPARTEMENT_MB)),
        ("Mémoire du serveur, pages de couverture (pic)", f"< {BUDGET_MEMORY_GB:g} Go", f"{peak:.2f} Go",
         f"{naive['epci'].peak_rss_bytes / GB:.2f} Go (processus de la carte naïve)",
         verdict(peak, BUDGET_MEMORY_GB)),
    ]
    header = ("chiffre", "budget", "mesuré", "référence naïve (même passage)", "verdict")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(5)]
    print()
    for row in (header, tuple("-" * width for width in widths), *rows):
        print(" | ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    print()
    started, after_all = figures["started"], figures["after_all"]
    print(f"Mémoire du serveur (streamlit et ses enfants, VmRSS / pic VmHWM) : au démarrage "
          f"{started[0] / GB:.2f} Go ; après les pages de couverture {after_all[0] / GB:.2f} / "
          f"{after_all[1] / GB:.2f} Go")
    print(f"Couverture : carte EPCI nationale dessinée en {national.seconds:.2f} s ({national.note}), communes du "
          f"{DEPARTEMENT} en {departement.seconds:.2f} s ({departement.note}) ; contours simplifiés lus du cache "
          "disque s'il existe déjà")
    titles = {"epci": "EPCI", "communes": f"communes du {DEPARTEMENT}", "complete": "EPCI + marqueurs (issue)"}
    for kind, item in naive.items():
        title = titles[kind]
        print(f"  carte naïve {title:<24}: {item.html_bytes / MB:6.2f} Mo, générée en {item.build_s:5.1f} s, "
              f"affichée en {item.draw_s:5.1f} s, {item.items} objets, pic mémoire {item.peak_rss_bytes / GB:.2f} Go")
    print("La page publique (« Trouver un animateur ») est une publication statique : bench/bench_publish.py.")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complete-baseline", action="store_true",
                        help="ajoute la carte naïve citée par l'issue (contours EPCI bruts + un Marker par "
                             "animateur) : environ une minute de plus")
    main(parser.parse_args().complete_baseline)
