"""Screenshots of every page of the app, at desktop and phone sizes, into ``docs/screens/``.

The app is started as ``make run`` starts it (``python -m views.serve``: caches filled before it
answers) over a throw-away store that holds only the demo export, so the pilot pages open in their
demo mode. Debian's Chromium, driven by Playwright, opens each page at 1280×900 (desktop) and
390×844 (phone, touch), waits until the script run has ended, the maps are drawn and no spinner is
left, then saves the whole page (the window stretched to the page's height) as ``<page>-desktop.png``
and ``<page>-phone.png``.

Usage, from the repository root, after ``make`` (the map assets in static/vendor)::

    .venv/bin/python scripts/screenshots.py [--out DIR] [--no-tiles] [--only trouver couverture …]

The basemap is the one ``make run`` shows (``CARTE_TILES_URL``, else the IGN plan); ``--no-tiles``
leaves it out, for screenshots taken offline.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "data" / "demo" / "demo-animateurs.csv"
OUT = REPO / "docs" / "screens"
# Sizes of the browser window: a laptop, and a common phone (CSS pixels).
SIZES: dict[str, dict] = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
MAP_FRAME = "iframe[title*='streamlit_folium']"
# What Streamlit shows while something is still coming.
STILL_LOADING = '[data-testid="stSpinner"], [data-testid="stSkeleton"], [data-testid="stStatusWidget"]'
WAIT_MS = 120_000
# Time for what follows a script run without being part of it (map tiles, a chart's drawing).
SETTLE_MS = 1_500
# Streamlit scrolls its main area inside the window, so a "full page" screenshot would stop at the window's
# bottom: the window is made as tall as the tallest scrolling area instead.
CONTENT_HEIGHT = """
() => Math.max(...[document.documentElement, ...document.querySelectorAll(
  '[data-testid="stApp"], [data-testid="stAppViewContainer"], [data-testid="stMain"]')].map((e) => e.scrollHeight))
"""


@dataclass(frozen=True)
class Screen:
    """One page to capture: file name stem, path and query of its URL, and what shows it is drawn."""

    name: str
    path: str
    shown: str | None = None


# The public finder is a static page (store/publish.py) that the app serves at /carte/ and frames on « / ».
FINDER = "/carte/"
SCREENS = (
    Screen("trouver", FINDER),
    Screen("trouver-recherche", f"{FINDER}?q=rennes", shown=".carte-resultats li"),
    Screen("trouver-integre", f"{FINDER}?embed=1&q=rennes", shown=".carte-resultats li"),
    Screen("donnees", "/donnees"),
    Screen("couverture", "/couverture"),
    Screen("formations", "/formations?region=53"),
    Screen("importer", "/importer"),
    Screen("pilotage", "/pilotage"),
    Screen("controle", "/controle"),
)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    chromium = arguments.chromium or shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("Chromium introuvable : installez le paquet « chromium » ou passez --chromium.", file=sys.stderr)
        return 2
    if not (REPO / "static" / "vendor" / ".installed").exists():
        print("Fichiers de la carte absents (static/vendor) : lancez d'abord « make ».", file=sys.stderr)
        return 2
    screens = [screen for screen in SCREENS if not arguments.only or screen.name in arguments.only]
    arguments.out.mkdir(parents=True, exist_ok=True)
    env = {"CARTE_TILES_URL": ""} if arguments.no_tiles else {}
    with tempfile.TemporaryDirectory(prefix="carte-captures-") as home, running_app(Path(home), **env) as url:
        for path in capture(url, screens, arguments.out, chromium):
            print(path.relative_to(REPO) if path.is_relative_to(REPO) else path)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Captures d'écran de chaque page, sur ordinateur et sur téléphone.")
    parser.add_argument("--out", type=Path, default=OUT, help="dossier des images (défaut : docs/screens)")
    parser.add_argument("--only", nargs="+", choices=[screen.name for screen in SCREENS], metavar="PAGE",
                        help="ces pages seulement : " + ", ".join(screen.name for screen in SCREENS))
    parser.add_argument("--no-tiles", action="store_true", help="sans fond de carte (captures hors ligne)")
    parser.add_argument("--chromium", help="chemin du navigateur (défaut : chromium du PATH)")
    return parser


@contextlib.contextmanager
def running_app(home: Path, **env: str) -> Iterator[str]:
    """Import the demo export into a store in ``home``, start the app as ``make run`` does, yield its URL."""
    environment = {**os.environ, "CARTE_DATA_HOME": str(home), **env}
    environment.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "carte", "import", str(DEMO), "--demo"], cwd=REPO, env=environment,
                   check=True, capture_output=True)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "views.serve", "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.fileWatcherType", "none"],
        cwd=REPO, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{url}/_stcore/health", server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def capture(url: str, screens: Sequence[Screen], out: Path, chromium: str) -> Iterator[Path]:
    """Save each screen at each size; yield the files written."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            for size, options in SIZES.items():
                context = browser.new_context(locale="fr-FR", **options)
                for screen in screens:
                    page = context.new_page()
                    page.set_default_timeout(WAIT_MS)
                    page.goto(url + screen.path)
                    wait_until_drawn(page, screen)
                    path = out / f"{screen.name}-{size}.png"
                    _show_whole_page(page)
                    page.screenshot(path=path)
                    page.close()
                    yield path
                context.close()
        finally:
            browser.close()


def wait_until_drawn(page, screen: Screen) -> None:
    """Wait for the end of the script run, for what shows the screen is drawn, for the maps, and for no spinner."""
    if screen.path.startswith(FINDER):
        page.wait_for_function("() => document.body.dataset.etat === 'pret'")
        if screen.shown:
            page.locator(screen.shown).first.wait_for()
        page.locator(".leaflet-control-zoom").wait_for()
        page.wait_for_timeout(SETTLE_MS)
        return
    page.locator(READY).wait_for()
    if screen.shown:
        page.locator(screen.shown).first.wait_for()
    for index in range(page.locator(MAP_FRAME).count()):
        page.frame_locator(MAP_FRAME).nth(index).locator(".leaflet-control-zoom").wait_for()
    page.locator(READY).wait_for()
    page.locator(STILL_LOADING).first.wait_for(state="detached")
    # Streamlit's own texts are made French by a script that may start after the run (views/french.py).
    page.wait_for_function("document.documentElement.lang === 'fr'")
    page.wait_for_timeout(SETTLE_MS)


def _show_whole_page(page) -> None:
    """Make the window as tall as the page's content (its width, hence its layout, stays)."""
    viewport = page.viewport_size
    height = max(viewport["height"], int(page.evaluate(CONTENT_HEIGHT)))
    page.set_viewport_size({"width": viewport["width"], "height": height})
    page.wait_for_timeout(SETTLE_MS)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, server: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"L'application n'a pas démarré ({url}).")


if __name__ == "__main__":
    sys.exit(main())
