"""The app's route of the publication (views/public_site.py), in process through Starlette's test client."""

from __future__ import annotations

import gzip
import json
import re
import warnings

import pytest
from starlette.applications import Starlette

import store
from core import settings as core_settings
from loaders.pipeline import LoadOptions, load_files
from store import publish
from views import public_site

HEADER = "Adresse e-mail;Nom de votre structure;Code postal;Commune;Thématiques;Formé(e) ?"


@pytest.fixture()
def client(tmp_path, gazetteer, monkeypatch):
    monkeypatch.setenv("CARTE_DATA_HOME", str(tmp_path))
    monkeypatch.setenv("CARTE_TILES_URL", "")
    monkeypatch.delenv("CARTE_PUBLIC_DIR", raising=False)
    monkeypatch.setattr(public_site, "_engines", {})
    export = tmp_path / "export.csv"
    export.write_text(f"{HEADER}\nrennes@x.fr;Champs Libres;35000;Rennes;Café IA;Oui\n", encoding="utf-8")
    store.save_import(store.connect(), load_files([export], gazetteer, LoadOptions()), is_demo=True)
    with warnings.catch_warnings():
        # Starlette 1.10 would rather drive its test client with httpx2 (not installed); httpx works the same.
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

        client = TestClient(Starlette(routes=public_site.routes()))
    with client:
        yield client


def test_the_first_visit_publishes_and_the_page_is_revalidated(client):
    assert not (core_settings.public_dir() / "index.html").exists()
    answer = client.get("/carte/?q=Rennes")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-cache"
    assert answer.headers["content-type"].startswith("text/html") and "Trouver un animateur" in answer.text
    assert publish.registered_dirs(store.connect()) == [core_settings.public_dir().resolve()]  # writes keep it current


def test_hashed_files_are_immutable_and_sent_precompressed(client):
    page = client.get("/carte/").text
    data = json.loads(re.search(r'application/json">(.*?)</script>', page)[1])["files"]["carte"]
    answer = client.get(f"/carte/{data}", headers={"Accept-Encoding": "gzip"})
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert answer.headers["content-encoding"] == "gzip" and answer.headers["content-type"] == "application/json"
    assert json.loads(answer.content)["count"] == 1  # the client decoded the gzip body
    plain = client.get(f"/carte/{data}", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and json.loads(plain.content)["count"] == 1
    script = re.search(r'src="(assets/finder\.[0-9a-f]+\.js)"', page)[1]
    assert client.get(f"/carte/{script}").headers["content-type"] in ("text/javascript; charset=utf-8",
                                                                       "application/javascript")
    assert gzip.decompress((core_settings.public_dir() / f"{data}.gz").read_bytes()) == plain.content


@pytest.mark.parametrize("path", ["/carte/.publication.json", "/carte/.publication.lock", "/carte/data/",
                                  "/carte/data", "/carte/../carte.sqlite", "/carte/%2e%2e/carte.sqlite",
                                  "/carte/nulle-part.json"])
def test_nothing_but_the_publications_files_is_served(client, path):
    client.get("/carte/")
    assert client.get(path).status_code in (400, 404)


def test_the_folder_without_its_slash_keeps_the_query(client):
    answer = client.get("/carte?q=Rennes", follow_redirects=False)
    assert answer.status_code == 308 and answer.headers["location"] == "/carte/?q=Rennes"
