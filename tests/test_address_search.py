"""The opt-in online address search of the public finder, against a local server speaking the address API's
protocol (``GET <url>?q=<text>&limit=<n>`` → GeoJSON features with a ``label``), in a real Chromium."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import CHROMIUM_ARGS, serving

import store
from loaders.pipeline import LoadOptions, load_files
from store import publish

SAINT_MALO_HARBOUR = {
    "type": "FeatureCollection",
    "features": [{
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [-2.0166, 48.6453]},
        "properties": {"label": "1 Quai Saint-Louis 35400 Saint-Malo", "citycode": "35288", "score": 0.9},
    }],
}
HEADER = "Adresse e-mail;Nom de votre structure;Code postal;Commune;Thématiques;Formé(e) ?"
ROWS = ["rennes@x.fr;Champs Libres;35000;Rennes;Café IA;Oui",
        "malo@x.fr;Fabrique Malouine;35400;Saint-Malo;Café IA;Oui"]


class _AddressApi(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        query = parse_qs(urlparse(self.path).query)
        self.server.queries.append(query)
        text = query["q"][0]
        if text == "panne":
            self.send_response(500)
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            return
        body = b"pas du json" if text == "illisible" else json.dumps(SAINT_MALO_HARBOUR).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Access-Control-Allow-Origin", "*")  # as the national address API answers
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_):
        pass


@pytest.fixture(scope="module")
def address_api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AddressApi)
    server.queries = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}/search/"
    server.shutdown()
    server.server_close()


def _site(directory, gazetteer, monkeypatch, address_url: str):
    monkeypatch.setenv("CARTE_DATA_HOME", str(directory))
    monkeypatch.setenv("CARTE_TILES_URL", "")
    monkeypatch.setattr("geo.settings.ADDRESS_SEARCH_URL", address_url)
    export = directory / "export.csv"
    export.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    engine = store.connect()
    store.save_import(engine, load_files([export], gazetteer, LoadOptions()), is_demo=True)
    return publish.publish(engine, directory / "public").directory


@pytest.fixture()
def page(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(30_000)
        yield page
        browser.close()


def test_public_finder_searches_around_an_address_when_configured(address_api, tmp_path, gazetteer, monkeypatch,
                                                                  page):
    server, url = address_api
    with serving(_site(tmp_path, gazetteer, monkeypatch, url)) as site:
        page.goto(f"{site}/")
        page.get_by_text("Chercher une adresse précise (service en ligne)").click()
        page.get_by_label("Adresse", exact=True).fill("1 quai saint-louis")
        page.get_by_role("button", name="Chercher cette adresse").click()
        page.get_by_text("Adresse retenue : 1 Quai Saint-Louis 35400 Saint-Malo").wait_for()
        assert server.queries[-1] == {"q": ["1 quai saint-louis"], "limit": ["5"]}
        page.get_by_role("button", name="Chercher autour de cette adresse").click()
        page.wait_for_function("() => document.querySelector('#titre-resultats').textContent"
                               ".includes('votre position')")
        assert page.locator(".carte-resultats li strong").all_inner_texts() == ["Fabrique Malouine", "Champs Libres"]
        assert "position=48.65%2C-2.02" in page.url


@pytest.mark.parametrize(("query", "message"),
                         [("panne", "ne répond pas"), ("illisible", "répondu de façon illisible")])
def test_a_failing_service_is_explained_in_french(address_api, tmp_path, gazetteer, monkeypatch, page, query, message):
    with serving(_site(tmp_path, gazetteer, monkeypatch, address_api[1])) as site:
        page.goto(f"{site}/")
        page.get_by_text("Chercher une adresse précise (service en ligne)").click()
        page.get_by_label("Adresse", exact=True).fill(query)
        page.get_by_role("button", name="Chercher cette adresse").click()
        page.locator("#adresse-etat", has_text=message).wait_for()
        assert page.get_by_role("button", name="Chercher autour de cette adresse").is_hidden()


def test_address_search_is_hidden_by_default(tmp_path, gazetteer, monkeypatch, page):
    with serving(_site(tmp_path, gazetteer, monkeypatch, "")) as site:
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(f"{site}/")
        page.wait_for_function("() => document.body.dataset.etat === 'pret'")
        assert page.get_by_text("Chercher une adresse précise").is_hidden()
        assert all(urlparse(address).hostname == "127.0.0.1" for address in requested)
