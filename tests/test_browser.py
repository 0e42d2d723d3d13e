"""The map page in a real headless Chromium: it draws, and asks nothing of any other host.

Needs Debian's chromium (``.ci/run`` installs it). Without it the test is skipped, unless
``CARTE_REQUIRE_BROWSER=1`` (set by ``.ci/run``) turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from urllib.parse import urlparse

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, repo_root):
    if CHROMIUM is None:
        if os.environ.get("CARTE_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is required (CARTE_REQUIRE_BROWSER=1) but not installed")
        pytest.skip("chromium is not installed")
    if not (repo_root / "static" / "vendor" / ".installed").exists():
        pytest.fail("map assets missing: run `make` (static/vendor)")
    home = tmp_path_factory.mktemp("home")
    env = {**os.environ, "CARTE_DATA_HOME": str(home), "CARTE_TILES_URL": ""}
    subprocess.run([sys.executable, "-m", "loaders", str(repo_root / "data/demo/demo-animateurs.csv"), "--demo"],
                   env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.fileWatcherType", "none"],
        cwd=repo_root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{url}/_stcore/health")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"the app did not start: {url}")


def test_map_draws_from_self_hosted_assets_and_contacts_no_other_host(app_url):
    from playwright.sync_api import sync_playwright

    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("request", lambda request: requested.append(request.url))
        page.goto(f"{app_url}/?theme=cafe-ia")
        map_frame = page.frame_locator("iframe[title*='st_folium'], iframe[title*='streamlit_folium']").first
        map_frame.locator(".leaflet-container").wait_for(timeout=60_000)
        map_frame.locator(".marker-cluster").first.wait_for(timeout=60_000)
        clusters = map_frame.locator(".marker-cluster").count()
        page.get_by_text("Données de démonstration").first.wait_for()
        browser.close()
    assert clusters > 0
    hosts = {urlparse(url).hostname for url in requested if url.startswith(("http:", "https:", "ws:", "wss:"))}
    assert hosts == {"127.0.0.1"}, f"requests to other hosts: {sorted(hosts - {'127.0.0.1'})}"
    assert any(url.endswith("/app/static/vendor/leaflet/leaflet.js") for url in requested)
