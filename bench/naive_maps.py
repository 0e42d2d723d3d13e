"""The maps that ``bench/bench_app.py`` measures the app's against: naive folium maps of the same data, each
built in its own Python process, then drawn in the same browser.

``python bench/naive_maps.py KIND OUT SELECTION`` builds one naive map (run by :func:`build_naive`).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FRANCE_CENTER = (46.6, 2.4)
DEPARTEMENT = "62"
TIMEOUT_MS = 60_000
# folium's popups parse their HTML with jQuery's ``$``, which new_map leaves out and which is offline here:
# a minimal stand-in (lighter than jQuery, so the naive figures are, if anything, flattering).
JQUERY_STAND_IN = ("<script>window.$ = (html) => { const t = document.createElement('template'); "
                   "t.innerHTML = html.trim(); return [t.content.firstChild]; };</script>")


@dataclass
class Naive:
    """A naive folium map: built in its own process, then drawn in the browser."""

    build_s: float
    html_bytes: int
    peak_rss_bytes: int
    items: int
    html: Path
    draw_s: float = float("nan")


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
    if kind == "complete":
        animators = pd.read_parquet(selection)
    if kind == "communes":
        communes = reference.communes
        contours = communes[(communes["departement_code"] == DEPARTEMENT) & ~communes.geometry.is_empty]
    else:
        contours = reference.epcis if kind in ("epci", "complete") else None
    start = time.perf_counter()
    fmap = new_map(FRANCE_CENTER, zoom_start=6)
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
    done = subprocess.run([sys.executable, __file__, kind, str(out), str(selection)], check=True,
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
    block_other_hosts(page)
    selector = ".leaflet-marker-icon" if markers else "path.leaflet-interactive"
    start = time.perf_counter()
    page.goto(address, wait_until="commit", timeout=TIMEOUT_MS)
    page.wait_for_function(f"() => document.querySelectorAll({json.dumps(selector)}).length >= {naive.items}",
                           timeout=TIMEOUT_MS, polling=50)
    seconds = time.perf_counter() - start
    context.close()
    return seconds


def block_other_hosts(page) -> None:
    """Fail at once what would leave the machine (the naive maps have no other remote file, but be sure)."""
    page.route(lambda address: not address.startswith(("http://127.0.0.1", "data:", "about:")),
               lambda route: route.abort())


if __name__ == "__main__":
    naive_child(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
