"""Signing in for real: Chromium, the app, and an OpenID Connect provider started by the test.

The provider is ``oidc-provider-mock`` (a real OIDC server: discovery, authorisation code with PKCE,
signed ID tokens, userinfo, end of session). The app is configured as for ProConnect: ``st.login`` with
the ``email given_name usual_name siret`` scopes and the access token exposed for the userinfo call.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from conftest import CHROMIUM_ARGS, free_port, running_app, wait_for

import store
from loaders.read import read_bytes
from store import access
from store.access import FRANCE, Scope

HEADER = "Horodateur;Adresse e-mail;Nom de votre structure;Code postal;Commune;Thématiques;Formé(e) ?;Consentement"
ROWS = ["01/09/2026 10:00;rennes@x.fr;Médiathèque Rennes;35000;Rennes;Café IA;Oui;Oui",
        "01/09/2026 10:02;caen@x.fr;Espace Caen;14000;Caen;Café IA;Oui;Oui"]
HUB = "hub@bretagne.fr"
CLAIMS = {"email": HUB, "given_name": "Anne", "usual_name": "Le Goff", "siret": "13002526500013"}


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """A running OpenID Connect provider, in a process of its own; yields its base URL."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "oidc_provider_mock", "--host", "localhost", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://localhost:{port}"
    try:
        wait_for(f"{base}/.well-known/openid-configuration")
        httpx.put(f"{base}/users/{HUB}", json=CLAIMS).raise_for_status()
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def signed_app(tmp_path_factory, provider, chromium) -> Iterator[tuple[str, Path]]:
    """The app on real (non-demo) data with sign-in configured against ``provider``; yields URL and store home."""
    home = tmp_path_factory.mktemp("connexion")
    export = home / "export.csv"
    export.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    env = {**os.environ, "CARTE_DATA_HOME": str(home)}
    subprocess.run([sys.executable, "-m", "carte", "import", str(export)], env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "carte", "users", "add", HUB, "--role", "hub", "--scope", "region:53"],
                   env=env, check=True, capture_output=True)
    port = free_port()
    secrets = home / "secrets.toml"
    secrets.write_text(f"""
[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "un-secret-de-test-assez-long-pour-signer-les-cookies"
client_id = "carte-des-animateurs"
client_secret = "secret-de-test"
server_metadata_url = "{provider}/.well-known/openid-configuration"
expose_tokens = ["access"]
client_kwargs = {{ scope = "openid email given_name usual_name siret", prompt = "login" }}
""", encoding="utf-8")
    with running_app(home, port=port, options=("--secrets.files", str(secrets))) as url:
        yield url, home


@pytest.fixture()
def browser(chromium):
    """A fresh browser context that fails the test on any JavaScript dialog; records the requests."""
    from playwright.sync_api import sync_playwright

    dialogs: list[str] = []
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = instance.new_context(locale="fr-FR", accept_downloads=True).new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.requested = []
        page.on("request", lambda request: page.requested.append(request.url))
        yield page
        instance.close()
    assert dialogs == []


def sign_in(page, url: str, who: str) -> None:
    """Open a pilot page, click « Se connecter avec ProConnect », and authorise ``who`` at the provider."""
    page.goto(f"{url}/couverture")
    page.get_by_role("button", name="Se connecter avec ProConnect").click()
    page.locator("input[name=sub]").fill(who)
    page.get_by_role("button", name="Authorize").click()
    # The callback sets the session cookie, then sends the browser back to the app.
    page.wait_for_url(lambda address: address.startswith(url) and "oauth2callback" not in address)


def sidebar_text(page) -> str:
    sidebar = page.locator("[data-testid=stSidebar]")
    sidebar.get_by_text("Connecté·e").wait_for(timeout=60_000)
    return sidebar.inner_text()


def test_sign_in_with_long_state_and_nonce_shows_the_agent_with_role_and_scope(browser, signed_app, artifacts):
    url, _ = signed_app
    sign_in(browser, url, HUB)
    authorize = next(u for u in browser.requested if "/oauth2/authorize" in u)
    query = parse_qs(urlparse(authorize).query)
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["scope"] == ["openid email given_name usual_name siret"]
    browser.goto(f"{url}/couverture")
    who = sidebar_text(browser)
    # ``given_name`` is a « profile » claim for this provider; ProConnect sends it with its own scope.
    assert "Le Goff" in who and HUB in who and "SIRET 13002526500013" in who and "région 53" in who
    browser.screenshot(path=artifacts / "connexion-couverture.png", full_page=True)


def test_a_forged_query_parameter_does_not_leave_the_agents_region(browser, signed_app):
    url, _ = signed_app
    sign_in(browser, url, HUB)
    browser.goto(f"{url}/couverture?region=28&dep=14")
    sidebar_text(browser)
    browser.get_by_text("Territoires prioritaires").wait_for(timeout=60_000)
    main = browser.locator("[data-testid=stMain]").inner_text()
    assert "Normandie" not in main and "Calvados" not in main
    # The page rewrote the link to what it shows: the agent's région (the default, so left out).
    query = parse_qs(urlparse(browser.url).query)
    assert query.get("region", ["53"]) == ["53"] and "dep" not in query
    with browser.expect_download() as download:
        browser.get_by_role("button", name="Télécharger (CSV)").click()
    exported = read_bytes(Path(download.value.path()).read_bytes(), "couverture.csv").frame
    assert "Rennes Métropole" in set(exported["Nom"]) and "Caen la Mer" not in set(exported["Nom"])
    browser.goto(f"{url}/controle?verif=pending")
    sidebar_text(browser)
    count = browser.get_by_text(re.compile(r"^\d+ fiches?$")).first
    count.wait_for(timeout=60_000)
    assert count.inner_text() == "1 fiche"  # Rennes, not Caen


def test_an_export_is_recorded_in_the_access_log(browser, signed_app):
    url, home = signed_app
    sign_in(browser, url, HUB)
    browser.goto(f"{url}/pilotage")
    sidebar_text(browser)
    with browser.expect_download() as download:
        browser.get_by_role("button", name="Imports par hub (CSV)").click()
    assert download.value.suggested_filename == "imports-par-hub.csv"
    engine = store.connect(_store_url(home))
    # The browser has the file before the server has run the click's callback, which logs it.
    deadline = time.monotonic() + 30
    while not (exports := _exports_on(engine, "pilotage")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert exports == [["imports-par-hub.csv", "region:53"]]


def _exports_on(engine, page: str) -> list[list[str]]:
    log = access.read_access_log(engine)
    mine = log[(log["action"] == "export") & (log["actor"] == HUB) & (log["page"] == page)]
    return mine[["detail", "scope"]].values.tolist()


def _store_url(home: Path) -> str:
    previous = os.environ.get("CARTE_DATA_HOME")
    os.environ["CARTE_DATA_HOME"] = str(home)
    try:
        return store.database_url()
    finally:
        if previous is None:
            del os.environ["CARTE_DATA_HOME"]
        else:
            os.environ["CARTE_DATA_HOME"] = previous


def test_a_user_without_role_is_told_whom_to_ask(browser, signed_app):
    url, _ = signed_app
    sign_in(browser, url, "inconnu@exemple.gouv.fr")
    browser.goto(f"{url}/pilotage")
    browser.get_by_text("aucun rôle ne vous est attribué").wait_for(timeout=60_000)
    assert "inconnu@exemple.gouv.fr" in browser.locator("[data-testid=stMain]").inner_text()


def test_logout_ends_the_session_at_the_provider_and_closes_the_pilot_pages(browser, signed_app):
    url, _ = signed_app
    sign_in(browser, url, HUB)
    browser.goto(f"{url}/pilotage")
    sidebar_text(browser)
    browser.locator("[data-testid=stSidebar]").get_by_role("button", name="Se déconnecter").click()
    browser.get_by_role("button", name="End session").click()
    end_session = next(u for u in browser.requested if "/oauth2/end_session?" in u)
    query = parse_qs(urlparse(end_session).query)
    assert len(query["state"][0]) >= 32 and query["id_token_hint"][0].count(".") == 2
    assert query["post_logout_redirect_uri"] == [f"{url}/oauth2callback"]
    browser.goto(f"{url}/pilotage")
    browser.get_by_role("button", name="Se connecter avec ProConnect").wait_for(timeout=60_000)


def test_a_role_removed_in_the_store_closes_the_pages_at_the_next_run(browser, signed_app):
    url, home = signed_app
    sign_in(browser, url, HUB)
    browser.goto(f"{url}/pilotage")
    assert HUB in sidebar_text(browser)
    content = browser.get_by_role("heading", name="Évolution mois par mois")
    content.wait_for(timeout=60_000)
    engine = store.connect(_store_url(home))
    access.remove_agent(engine, HUB)
    try:
        browser.reload()
        refusal = browser.locator("[data-testid='stAlertContentWarning']", has_text="aucun rôle ne vous est attribué")
        refusal.wait_for(timeout=60_000)
        assert HUB in refusal.inner_text() and content.count() == 0
    finally:
        access.add_agent(engine, HUB, "hub", Scope("region", "53"), "tests")


HOSTILE = "<img src=x onerror=alert(1)>"
FILE_NAME = "<img src=x onerror=alert(2)> [clic](javascript:alert(3)).csv"
EXPORT = (
    "Adresse e-mail;Nom de votre structure;Code postal;Commune;Thématiques\n"
    f"d@x.fr;{HOSTILE};35000;Rennes;Café IA\n"
    "d@x.fr;Champs Libres;35000;Rennes;Café IA\n"
    "e@x.fr;Ailleurs;99999;Nulle-Part;Café IA\n"
)


def test_a_hub_uploads_reads_the_report_and_saves_with_a_hostile_file_name(browser, signed_app, artifacts,
                                                                             tmp_path):
    """The structure and the file name are hostile: an injected ``alert`` would open a dialog (test fails)."""
    from playwright.sync_api import expect

    url, home = signed_app
    export = tmp_path / FILE_NAME
    export.write_text(EXPORT, encoding="utf-8")
    sign_in(browser, url, HUB)
    browser.goto(f"{url}/importer")
    browser.get_by_text("Déposez un fichier pour voir").wait_for(timeout=60_000)
    browser.locator("input[type=file]").set_input_files(export)
    expect(browser.locator("[data-testid='stMetric']")).to_have_count(4, timeout=60_000)
    values = dict(zip(browser.locator("[data-testid='stMetricLabel']").all_inner_texts(),
                      browser.locator("[data-testid='stMetricValue']").all_inner_texts(), strict=True))
    # The same person at two structures of Rennes works at two places: no line is merged (issue 13).
    assert values == {"Lignes lues": "3", "Acceptées": "2", "Doublons fusionnés": "0", "Rejetées": "1"}
    browser.get_by_role("button", name="Enregistrer l'import").click()
    # User text is shown as written: neither run as HTML or Markdown, nor left as entities.
    browser.get_by_text(f"Import enregistré : {FILE_NAME}").wait_for(timeout=60_000)
    assert browser.locator("[data-testid='stAlert'] a").count() == 0
    browser.screenshot(path=artifacts / "importer.png", full_page=True)
    batches = store.read_batches(store.connect(_store_url(home)), scope=FRANCE)
    saved = batches[batches["file_name"] == FILE_NAME]
    assert saved["imported_by"].tolist() == [HUB] and saved["rejected_rows"].tolist() == [1]
