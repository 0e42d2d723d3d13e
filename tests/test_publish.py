"""The public finder's publication (store/publish.py): what is public, atomic writes, kept up to date.

Store tests take ``store_url`` and run on SQLite and on a real PostgreSQL, each on an empty database.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import store
from core.vocabulary import REFUSED, VALIDATED
from loaders import people
from loaders.pipeline import LoadOptions, load_files
from store import privacy, publish
from store.access import FRANCE

HEADER = ("Horodateur;Adresse e-mail;Prénom;Nom;Téléphone;Nom de votre structure;Code postal;Commune;"
          "Thématiques;Formé(e) ?;Consentement")
RECENT = (datetime.now() - timedelta(days=30)).replace(second=0, microsecond=0)
OLD = (datetime.now() - timedelta(days=31 * 30)).replace(second=0, microsecond=0)


def row(who: str, *, consent: str = "Oui", when: datetime = RECENT, commune: str = "35000;Rennes") -> str:
    """One answer whose e-mail, names, phone and structure all carry ``who`` (to find them in the files)."""
    return (f"{when:%d/%m/%Y %H:%M};{who}@exemple.fr;Prenom{who};Nom{who};06 00 {who[-2:]} 00 00;"
            f"Structure{who};{commune};Café IA;Oui;{consent}")


@pytest.fixture()
def home(tmp_path, monkeypatch) -> Path:
    """A data home of its own (publication registry, default DIR), without basemap tiles."""
    monkeypatch.setenv("CARTE_DATA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CARTE_TILES_URL", "")
    monkeypatch.delenv("CARTE_PUBLIC_DIR", raising=False)
    return tmp_path / "home"


@pytest.fixture()
def importer(engine, gazetteer, tmp_path):
    """Import rows as one export file; validate them unless asked not to."""
    counter = iter(range(1000))

    def run(rows: list[str], *, validate: bool = True, **options) -> None:
        path = tmp_path / f"export-{next(counter)}.csv"
        path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
        result = load_files([path], gazetteer, LoadOptions(theme="cafe-ia"))
        store.save_import(engine, result, **options)
        if validate:
            records = result.records
            store.moderate(engine, [store.Decision(a, t, VALIDATED, place_id=p) for a, t, p
                                    in zip(records["animator_id"], records["theme"], records["place_id"])], "hub", scope=FRANCE)

    return run


def published_text(directory: Path) -> str:
    """Every file of a publication as text, ``.gz`` copies decompressed (the search index left out: geography)."""
    texts = []
    for path in sorted(directory.rglob("*")):
        if not path.is_file() or "/communes" in str(path.relative_to(directory)).replace("\\", "/").join("/ "):
            continue
        content = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        texts.append(content.decode("utf-8", errors="replace"))
    return "\n".join(texts)


def page_settings(directory: Path) -> dict:
    page = (directory / "index.html").read_text(encoding="utf-8")
    return json.loads(re.search(r'id="carte-reglages" type="application/json">(.*?)</script>', page)[1])


def shown_structures(directory: Path) -> set[str]:
    data = json.loads((directory / page_settings(directory)["files"]["carte"]).read_text(encoding="utf-8"))
    return {data["texts"][code] for code in data["structure"]}


# ---------------------------------------------------------------------------------------------------------
# What is public
# ---------------------------------------------------------------------------------------------------------


def test_nothing_personal_without_consent_and_nothing_unpublished_in_any_file(home, engine, importer, gazetteer,
                                                                              tmp_path):
    """Issue 14 §3: no e-mail, phone or name without consent; no refused, pending, withdrawn, erased, absent
    or expired record; in any file of the publication, compressed copies included."""
    importer([row("shown01"), row("noconsent02", consent="Non")], form="F", full_export=True)
    importer([row("refused03")])
    refused = people.animator_id_of("refused03@exemple.fr")
    store.moderate(engine, [store.Decision(refused, "cafe-ia", REFUSED, "doublon")], "hub", scope=FRANCE)
    importer([row("pending04")], validate=False)
    importer([row("withdrawn05")])
    privacy.withdraw_consent(engine, "withdrawn05@exemple.fr", "test", scope=FRANCE)
    importer([row("erased06")])
    privacy.erase(engine, "erased06@exemple.fr", "test", "demande", scope=FRANCE)
    importer([row("absent07")], form="G", full_export=True)
    importer([row("present08")], form="G", full_export=True)  # the full export without absent07
    importer([row("expired09", when=OLD)])
    done = publish.publish(engine, tmp_path / "public")
    text = published_text(done.directory)
    assert {"Structureshown01", "Structurenoconsent02", "Structurewithdrawn05", "Structurepresent08"} == \
        shown_structures(done.directory)
    for who in ("shown01", "present08"):
        assert all(part in text for part in (f"{who}@exemple.fr", f"Prenom{who}", f"Nom{who}", f"06 00 {who[-2:]}"))
    for who in ("noconsent02", "withdrawn05"):  # on the map, without a name or a contact
        assert not any(part in text for part in (f"{who}@exemple.fr", f"Prenom{who}", f"Nom{who}", f"06 00 {who[-2:]}"))
    for who in ("refused03", "pending04", "erased06", "absent07", "expired09"):  # nowhere at all
        assert who not in text, who
    assert people.animator_id_of("shown01@exemple.fr") not in text  # stored identifiers are hashes of e-mails
    assert done.contacts == 2


def test_the_map_data_decodes_to_the_published_records(home, engine, importer, tmp_path):
    importer([row("a01"), row("b02", commune="29200;Brest"), row("c03", commune="13001;Marseille")])
    done = publish.publish(engine, tmp_path / "public")
    data = json.loads((done.directory / page_settings(done.directory)["files"]["carte"]).read_bytes())
    lat = [sum(data["lat"][: i + 1]) / data["scale"] for i in range(data["count"])]
    lon = [sum(data["lon"][: i + 1]) / data["scale"] for i in range(data["count"])]
    shown = {(data["texts"][s], data["communes"][c], round(y, 5), round(x, 5))
             for s, c, y, x in zip(data["structure"], data["commune"], lat, lon)}
    records = store.read_public(engine)
    expected = {(r.structure, f"{r.commune} ({r.departement_code})", round(r.lat, 5), round(r.lon, 5))
                for r in records.itertuples()}
    assert shown == expected
    assert data["status"]["cafe-ia"] == [0, 0, 0] and set(data["status"]["cyber-malveillance"]) == {-1}


def test_the_page_loads_its_scripts_as_one_hashed_file_joining_every_source_in_order(home, engine, tmp_path):
    """index.html loads one script of its own, after Leaflet (which the map uses): every script of static_site
    joined in :data:`PAGE_SCRIPTS` order, the page's own finder.js last (the others only define what it uses),
    under its content's hash and listed in the publication (kept, then pruned, with it)."""
    done = publish.publish(engine, tmp_path / "public")
    page = (done.directory / "index.html").read_text(encoding="utf-8")
    assert "{{" not in page
    loaded = re.findall(r'<script src="(assets/[^"]+\.js)" defer></script>', page)
    sources = [publish.SITE_SOURCES / f"{stem}.js" for stem in publish.PAGE_SCRIPTS]
    assert sorted(sources) == sorted(publish.SITE_SOURCES.glob("*.js")) and sources[-1].name == "finder.js"
    joined = b"".join(source.read_bytes() for source in sources)
    own = publish.hashed_name("assets", "finder", "js", joined)
    assert loaded[-1] == own and [path for path in loaded if not path.startswith("assets/leaflet")] == [own]
    assert (done.directory / own).read_bytes() == joined and own in done.files


# ---------------------------------------------------------------------------------------------------------
# Atomic publication
# ---------------------------------------------------------------------------------------------------------


def test_the_page_is_replaced_last_and_the_previous_publication_stays_readable(home, engine, importer, tmp_path,
                                                                              monkeypatch):
    directory = tmp_path / "public"
    importer([row("a01")])
    first = publish.publish(engine, directory)
    written: list[str] = []
    missing: list[str] = []
    keep = publish._write_atomically

    def recording(target: Path, content: bytes) -> None:
        written.append(str(target.relative_to(directory)) if directory in target.parents else target.name)
        if target.name == "index.html":  # every file the new page names exists before the page does
            names = re.findall(r'(?:href|src)="([^"]+)"', content.decode()) + list(
                json.loads(re.search(rb'application/json">(.*?)</script>', content)[1])["files"].values())
            missing.extend(name for name in names if "{" not in name and not name.startswith(("#", "data:"))
                           and not (directory / name).is_file())
        keep(target, content)

    monkeypatch.setattr(publish, "_write_atomically", recording)
    importer([row("b02")])  # the write hook republishes (the directory is registered)
    assert written[-2:] == ["index.html", ".publication.json"] and missing == []
    second = publish.read_manifest(directory)["files"]
    assert page_settings(directory)["files"]["carte"] not in first.files  # new data, under a new name
    replaced = [name for name in first.files if name not in second]
    # The first page's scripts stay for a visitor who loaded it; its data about people is gone at once.
    assert sorted(name.split(".")[0] for name in replaced) == ["data/carte", "data/contacts"]
    assert not any((directory / name).exists() or (directory / f"{name}.gz").exists() for name in replaced)
    assert all((directory / name).is_file() for name in first.files if name not in replaced)


def test_concurrent_publications_wait_for_each_other(home, engine, importer, tmp_path):
    """One publication at a time per directory: a second one waits for the lock (here, from a thread)."""
    import threading

    directory = tmp_path / "public"
    importer([row("a01")])
    publish.publish(engine, directory)
    order: list[str] = []
    with publish._locked(directory):
        worker = threading.Thread(target=lambda: (publish.publish(engine, directory), order.append("published")))
        worker.start()
        worker.join(timeout=1.0)
        order.append("lock released")
    worker.join(timeout=60)
    assert order == ["lock released", "published"]


# ---------------------------------------------------------------------------------------------------------
# Kept up to date
# ---------------------------------------------------------------------------------------------------------


def test_every_kind_of_write_republishes_the_registered_directory(home, engine, importer, tmp_path):
    directory = tmp_path / "public"
    importer([row("a01"), row("b02")])
    publish.publish(engine, directory)
    assert shown_structures(directory) == {"Structurea01", "Structureb02"}
    importer([row("c03")])  # import + moderation
    assert shown_structures(directory) == {"Structurea01", "Structureb02", "Structurec03"}
    store.moderate(engine, [store.Decision(people.animator_id_of("c03@exemple.fr"), "cafe-ia", REFUSED, "non")],
                   "hub", scope=FRANCE)
    assert shown_structures(directory) == {"Structurea01", "Structureb02"}
    assert "b02@exemple.fr" in published_text(directory)
    privacy.withdraw_consent(engine, "b02@exemple.fr", "test", scope=FRANCE)
    assert "b02@exemple.fr" not in published_text(directory)
    privacy.erase(engine, "a01@exemple.fr", "test", "demande", scope=FRANCE)
    assert shown_structures(directory) == {"Structureb02"}
    assert publish.is_current(engine, directory)


def test_writes_of_another_store_leave_a_publication_alone(home, engine, importer, tmp_path, gazetteer):
    directory = tmp_path / "public"
    importer([row("a01")])
    publish.publish(engine, directory)
    before = (directory / "index.html").read_bytes()
    other = store.connect(f"sqlite:///{tmp_path / 'autre.sqlite'}")
    path = tmp_path / "autre.csv"
    path.write_text(f"{HEADER}\n{row('z09')}\n", encoding="utf-8")
    store.save_import(other, load_files([path], gazetteer, LoadOptions(theme="cafe-ia")), is_demo=True)
    assert (directory / "index.html").read_bytes() == before
    other.dispose()


def test_a_failed_republication_does_not_fail_the_write(home, engine, importer, tmp_path, monkeypatch, caplog):
    directory = tmp_path / "public"
    importer([row("a01")])
    publish.publish(engine, directory)

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publish, "_write_publication", broken)
    with caplog.at_level(logging.ERROR):
        importer([row("b02")])
    assert len(store.read_public(engine)) == 2  # committed
    assert "Carte publique non republiée" in caplog.text
    assert not publish.is_current(engine, directory)


# ---------------------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------------------


def test_command_line_publishes_and_says_where(tmp_path, repo_root):
    env_home = tmp_path / "home"
    environment = {"CARTE_DATA_HOME": str(env_home), "CARTE_TILES_URL": "", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "carte", "publish", "--out", str(tmp_path / "site")],
                          cwd=repo_root, env=environment, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"Carte publique écrite dans {tmp_path / 'site'}" in done.stdout
    assert (tmp_path / "site" / "index.html").is_file()
    registry = json.loads((env_home / "publications.json").read_text(encoding="utf-8"))
    assert registry[0]["dir"] == str(tmp_path / "site")


def test_missing_map_assets_are_explained_in_french(home, engine, tmp_path, monkeypatch):
    monkeypatch.setattr(publish, "VENDOR_SOURCE", tmp_path / "nulle-part")
    with pytest.raises(publish.PublicationError, match="lancez « make »"):
        publish.publish(engine, tmp_path / "public")
