"""The opt-in online address search, against a local server speaking the address API's protocol."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from geo._errors import AddressSearchError
from geo.address_search import AddressMatch, search_addresses
from test_app import app, filled_store, html_of  # noqa: F401 (the page fixtures)

SAINT_MALO_HARBOUR = {
    "type": "FeatureCollection",
    "features": [{
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [-2.0166, 48.6453]},
        "properties": {"label": "1 Quai Saint-Louis 35400 Saint-Malo", "citycode": "35288", "score": 0.9},
    }],
}


class _AddressApi(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        query = parse_qs(urlparse(self.path).query)
        self.server.queries.append(query)
        text = query["q"][0]
        if text == "panne":
            self.send_response(500)
            self.end_headers()
            return
        body = b"pas du json" if text == "illisible" else json.dumps(SAINT_MALO_HARBOUR).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
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


def test_matches_are_read_from_the_geojson_answer(address_api):
    server, url = address_api
    matches = search_addresses("1 quai saint-louis saint-malo", url, limit=3)
    assert matches == [AddressMatch("1 Quai Saint-Louis 35400 Saint-Malo", -2.0166, 48.6453, "35288")]
    assert server.queries[-1] == {"q": ["1 quai saint-louis saint-malo"], "limit": ["3"]}


def test_blank_query_asks_nothing(address_api):
    server, url = address_api
    before = len(server.queries)
    assert search_addresses("   ", url) == []
    assert len(server.queries) == before


@pytest.mark.parametrize("query", ["panne", "illisible"])
def test_failures_are_explained_in_french(address_api, query):
    _, url = address_api
    with pytest.raises(AddressSearchError, match="service de recherche d'adresses"):
        search_addresses(query, url)


def test_unreachable_service_is_explained_in_french():
    with pytest.raises(AddressSearchError, match="ne répond pas"):
        search_addresses("rue", "http://127.0.0.1:9/search/")


def test_public_page_searches_around_an_address_when_configured(address_api, monkeypatch, app):
    from geo import settings

    monkeypatch.setattr(settings, "ADDRESS_SEARCH_URL", address_api[1])
    app.run()
    app.text_input(key=next(t.key for t in app.text_input if t.label == "Adresse")).input("1 quai saint-louis").run()
    next(b for b in app.button if b.label == "Chercher autour de cette adresse").click().run()
    assert not app.exception
    page = html_of(app)
    assert "les plus proches de votre position" in page
    assert page.index("Fabrique Malouine") < page.index("Champs Libres")


def test_address_search_is_hidden_by_default(app):
    app.run()
    assert all(t.label != "Adresse" for t in app.text_input)
