"""Shared fixtures: repository paths and the real reference geography."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
# A few rows of each real hub export of ../shared/realdata, copied as they are (tests/fixtures/README.md).
REALDATA_EXTRACTS = REPO / "tests" / "fixtures" / "realdata"
REAL_EXPORTS = ("corse.json", "epernay.json", "etapes-numerique.json", "hub-lo.json", "la-creuse.json")
# Screenshots and other files worth looking at after a run (CI keeps this folder).
ARTIFACTS = Path(os.environ.get("CARTE_TEST_ARTIFACTS", REPO / "test-artifacts"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
# A map's frame exposes its Leaflet map: how many markers its clusters hold (they load in chunks).
CLUSTERED_MARKERS = """
() => {
  const map = Object.values(window).find((value) => value instanceof L.Map);
  let count = 0;
  if (map) map.eachLayer((layer) => { if (layer instanceof L.MarkerClusterGroup) count += layer.getLayers().length; });
  return count;
}
"""


@pytest.fixture(scope="session", autouse=True)
def error_details_in_app_tests() -> None:
    """A page's unexpected error reaches AppTest as Streamlit's exception element, so that every
    ``assert not app.exception`` still catches it; production hides it (views/errors.py, .streamlit/config.toml)."""
    from streamlit import config

    config.set_option("client.showErrorDetails", "full")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def realdata_dir() -> Path:
    """The whole real exports of ../shared/realdata; skipped when absent, unless ``CARTE_REQUIRE_SHARED=1``
    (``.ci/run``)."""
    path = SHARED / "realdata"
    if not path.is_dir():
        if os.environ.get("CARTE_REQUIRE_SHARED") == "1":
            pytest.fail(f"the shared real data is required (CARTE_REQUIRE_SHARED=1) but not found at {path}")
        pytest.skip(f"shared real data not found at {path}")
    return path


@pytest.fixture(scope="session", params=["extracts", "whole"])
def realdata(request: pytest.FixtureRequest) -> Path:
    """The folder of the real exports: the extracts of tests/fixtures/realdata, then the whole files of
    ../shared/realdata (an extra check, see :func:`realdata_dir`)."""
    return REALDATA_EXTRACTS if request.param == "extracts" else request.getfixturevalue("realdata_dir")


def json_records(path: Path) -> int:
    """How many records a JSON export holds, as the ``json`` module counts them (not the loader)."""
    return len(json.loads(path.read_text(encoding="utf-8")))


@pytest.fixture(scope="session")
def reference():
    """The real reference geography (built once, then read from the user cache)."""
    from geo.reference import load_reference

    return load_reference()


@pytest.fixture(scope="session")
def gazetteer(reference):
    from loaders.geocoding import Gazetteer

    return Gazetteer(reference)


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory) -> Path:
    """A store holding the demo export, imported by the command line as ``make run`` does (one per module)."""
    home = tmp_path_factory.mktemp("demo-home")
    environment = {**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, "CARTE_DATA_HOME": str(home)}
    subprocess.run([sys.executable, "-m", "carte", "import", str(REPO / "data/demo/demo-animateurs.csv"), "--demo"],
                   env=environment, check=True, capture_output=True)
    return home


@pytest.fixture()
def store_home(tmp_path, monkeypatch):
    """An empty embedded store for one test (CARTE_DATA_HOME points to a temporary folder)."""
    monkeypatch.setenv("CARTE_DATA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path / "home"


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium; skipped when absent, unless ``CARTE_REQUIRE_BROWSER=1`` (``.ci/run``)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CARTE_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is required (CARTE_REQUIRE_BROWSER=1) but not installed")
        pytest.skip("chromium is not installed")
    if not (REPO / "static" / "vendor" / ".installed").exists():
        pytest.fail("map assets missing: run `make` (static/vendor)")
    return path


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture()
def downloads(monkeypatch) -> dict[str, bytes]:
    """The bytes behind every download button of AppTest runs, by file name."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    files: dict[str, bytes] = {}
    keep = MemoryMediaFileStorage.load_and_get_id

    def recording(self, path_or_data, mimetype, kind, filename=None):
        files[filename] = path_or_data
        return keep(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", recording)
    return files


@contextlib.contextmanager
def running_app(home: Path, *, port: int | None = None, options: Sequence[str] = (), launcher: bool = True,
                **env: str) -> Iterator[str]:
    """Start the app as ``make run`` does (``python -m views.serve``: caches filled before it serves; with
    ``launcher=False``, plain ``streamlit run app.py``) on a loopback port (free one by default) over the
    store in ``home``, with extra Streamlit command-line ``options``; yield its URL."""
    environment = {**os.environ, "CARTE_DATA_HOME": str(home), "CARTE_TILES_URL": "", **env}
    port = port or free_port()
    command = ["-m", "views.serve"] if launcher else ["-m", "streamlit", "run", "app.py"]
    server = subprocess.Popen(
        [sys.executable, *command, "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.fileWatcherType", "none", *options],
        cwd=REPO, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/_stcore/health")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


@contextlib.contextmanager
def serving(directory: Path) -> Iterator[str]:
    """Serve ``directory`` as any plain web server would (Python's ``http.server``, in a thread); yield its URL."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> None:
    """Wait until ``url`` answers 200, or fail the test."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"the app did not start: {url}")


# ----------------------------------------------------------------------------------------------------------
# PostgreSQL (issue 5 §5): one throw-away cluster per session (tests/postgres.py), and `store_url`, which
# runs every test that takes it on both engines, each time on an empty database of its own.
# ----------------------------------------------------------------------------------------------------------

from postgres import Cluster, find_bin_dir, fresh_database, running_cluster  # noqa: E402  (tests/ is on sys.path)

STORE_ENGINES = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """A private PostgreSQL 15+ cluster on a loopback port, deleted after the session.

    Skipped when the server binaries are absent, unless ``CARTE_REQUIRE_POSTGRES=1`` (``.ci/run``).
    """
    if find_bin_dir() is None:
        if os.environ.get("CARTE_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL 15+ is required (CARTE_REQUIRE_POSTGRES=1) but initdb/pg_ctl were not found")
        pytest.skip("PostgreSQL 15+ is not installed (initdb/pg_ctl not found)")
    with contextlib.ExitStack() as stack:
        # Only the start is guarded: pytest.fail shows initdb's or pg_ctl's own explanation.
        try:
            cluster = stack.enter_context(running_cluster())
        except subprocess.CalledProcessError as error:
            pytest.fail(f"the throw-away PostgreSQL did not start: {error.cmd}\n{error.stdout}\n{error.stderr}")
        yield cluster


@pytest.fixture(params=STORE_ENGINES, ids=STORE_ENGINES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database: a SQLite file in ``tmp_path``, or a new database of the cluster (dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'carte.sqlite'}"
        return
    # Asked for here, not as an argument, so that SQLite-only runs never start PostgreSQL.
    cluster: Cluster = request.getfixturevalue("postgres_cluster")
    with fresh_database(cluster) as url:
        yield url


@pytest.fixture()
def engine(store_url: str):
    """A connected store on ``store_url`` (so, once per engine), disposed after the test."""
    import store

    engine = store.connect(store_url)
    yield engine
    engine.dispose()
