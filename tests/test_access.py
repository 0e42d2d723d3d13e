"""Roles, scopes and the access log: the store, the ``users`` command, and the pilot pages (AppTest).

The store holds real (non-demo) records in Bretagne (Rennes, Vitré) and in Normandie (Caen). A hub of
Bretagne must never read a Normandy e-mail, on any page or export, whatever the URL says.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest
import streamlit as st
from signin import sign_in
from streamlit.testing.v1 import AppTest
from test_app import APP, HEADER, text_of

import store
from loaders._errors import ConfigurationError
from loaders.pipeline import LoadOptions, load_files
from loaders.read import read_bytes
from store import access
from store.access import FRANCE, Agent, Scope

ROWS = [
    "01/09/2026 10:00;rennes@x.fr;Médiathèque Rennes;;35000;Rennes;Non;Café IA;Oui;10/09/2026;Oui",
    "01/09/2026 10:01;vitre@x.fr;Tiers-lieu Vitré;;35500;Vitré;Non;Café IA;Non;;Oui",
    "01/09/2026 10:02;caen@x.fr;Espace Caen;;14000;Caen;Non;Café IA;Non;;Oui",
]
BRETAGNE_HUB = "hub@bretagne.fr"
PILOT_PAGES = ["couverture", "formations", "importer", "pilotage", "controle"]


@pytest.fixture(scope="module")
def real_store(tmp_path_factory, gazetteer):
    home = tmp_path_factory.mktemp("acces")
    export = home / "export.csv"
    export.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CARTE_DATA_HOME", str(home))
        patch.delenv("DATABASE_URL", raising=False)
        engine = store.connect()
        store.save_import(engine, load_files([export], gazetteer, LoadOptions()), hub="Bretagne",
                          imported_by=BRETAGNE_HUB)
        access.add_agent(engine, BRETAGNE_HUB, "hub", Scope("region", "53"), "tests")
        yield home


@pytest.fixture()
def app(real_store, monkeypatch):
    monkeypatch.setenv("CARTE_DATA_HOME", str(real_store))
    monkeypatch.setenv("CARTE_TILES_URL", "")
    st.cache_data.clear()
    st.cache_resource.clear()
    return AppTest.from_file(APP, default_timeout=120)


def page_text(app: AppTest) -> str:
    """Everything the page shows as text, tables included."""
    tables = [frame.value.to_csv() for frame in [*app.dataframe, *app.get("arrow_data_frame")]
              if isinstance(getattr(frame, "value", None), pd.DataFrame)]
    return "\n".join([text_of(app), *tables])


# --- Scopes and agents in the store -------------------------------------------------------


@pytest.mark.parametrize("text, scope", [("france", FRANCE), ("region:53", Scope("region", "53")),
                                         ("departement:2a", Scope("departement", "2A"))])
def test_scopes_read_as_the_command_line_writes_them(text, scope):
    assert Scope.parse(text) == scope
    assert Scope.parse(str(scope)) == scope


@pytest.mark.parametrize("role, scope, message", [
    ("maire", FRANCE, "Rôle inconnu"),
    ("national", Scope("region", "53"), "France entière"),
    ("hub", Scope("region", "99"), "Code inconnu"),
    ("prefecture", Scope("departement", "999"), "Code inconnu"),
])
def test_impossible_roles_are_refused_in_french(reference, role, scope, message):
    with pytest.raises(ConfigurationError, match=message):
        access.check_agent(role, scope, reference.departements.index, reference.regions.index)


def test_a_scope_needs_a_code_except_france():
    with pytest.raises(ConfigurationError):
        Scope("region")
    with pytest.raises(ConfigurationError):
        Scope("france", "53")


def test_scope_filters_the_store_reads_on_both_engines(store_url, gazetteer, tmp_path):
    engine = store.connect(store_url)
    export = tmp_path / "export.csv"
    export.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    store.save_import(engine, load_files([export], gazetteer, LoadOptions()))
    everything = store.read_animators(engine, personal=True, scope=FRANCE)
    for scope in (FRANCE, Scope("region", "53"), Scope("region", "28"), Scope("departement", "14")):
        naive = everything[[scope == FRANCE or row[f"{scope.level}_code"] == scope.code
                            for _, row in everything.iterrows()]]
        scoped = store.read_animators(engine, personal=True, scope=scope)
        assert sorted(scoped["email"]) == sorted(naive["email"]), scope
    assert sorted(store.read_animators(engine, personal=True, scope=Scope("region", "53"))["email"]) == [
        "rennes@x.fr", "vitre@x.fr"]
    engine.dispose()


def test_agents_are_added_changed_found_and_removed_case_insensitively(store_home):
    engine = store.connect()
    access.add_agent(engine, "Agent@Exemple.gouv.fr", "hub", Scope("region", "53"), "tests")
    access.add_agent(engine, "agent@exemple.gouv.fr", "prefecture", Scope("departement", "35"), "tests")
    assert access.find_agent(engine, "AGENT@exemple.gouv.fr") == Agent("agent@exemple.gouv.fr", "prefecture",
                                                                       Scope("departement", "35"))
    assert len(access.read_agents(engine)) == 1
    assert access.remove_agent(engine, "agent@exemple.gouv.fr")
    assert access.find_agent(engine, "agent@exemple.gouv.fr") is None
    assert not access.remove_agent(engine, "agent@exemple.gouv.fr")


def run_cli(*args: str, home) -> subprocess.CompletedProcess:
    env = {**os.environ, "CARTE_DATA_HOME": str(home)}
    env.pop("DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "carte", "users", *args], env=env, capture_output=True,
                          text=True, check=False)


def test_users_command_adds_lists_and_removes_agents(tmp_path):
    added = run_cli("add", "Prefet@Calvados.gouv.fr", "--role", "prefecture", "--scope", "departement:14",
                    home=tmp_path)
    assert added.returncode == 0 and "prefet@calvados.gouv.fr" in added.stdout and "département 14" in added.stdout
    listed = run_cli("list", home=tmp_path)
    assert "prefet@calvados.gouv.fr\tprefecture\tdepartement:14" in listed.stdout and "1 agent(s)" in listed.stdout
    assert run_cli("remove", "prefet@calvados.gouv.fr", home=tmp_path).returncode == 0
    assert "0 agent(s)" in run_cli("list", home=tmp_path).stdout


@pytest.mark.parametrize("args, message", [
    (("add", "a@b.fr", "--role", "national", "--scope", "region:53"), "France entière"),
    (("add", "a@b.fr", "--role", "hub", "--scope", "canton:1"), "Périmètre inconnu"),
    (("remove", "personne@b.fr"), "aucun agent"),
])
def test_users_command_refuses_in_french_without_traceback(tmp_path, args, message):
    result = run_cli(*args, home=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


# --- The pilot pages --------------------------------------------------------------------------


@pytest.mark.parametrize("page", PILOT_PAGES)
def test_real_data_without_sign_in_configured_refuses_and_explains(app, page):
    app.switch_page(f"views/{page}.py").run()
    assert not app.exception
    assert "La connexion des agents n'est pas configurée" in text_of(app)
    assert "python -m carte users add" in text_of(app)
    assert "caen@x.fr" not in page_text(app) and not app.dataframe


def test_the_public_page_needs_no_sign_in(app):
    app.run()
    assert not app.exception and app.title[0].value == "Trouver un animateur"


@pytest.mark.parametrize("page", PILOT_PAGES)
def test_signed_out_agents_are_asked_to_sign_in(app, page):
    sign_in(app, "x@y.fr", role=None)
    app.user = {"is_logged_in": False}
    app.switch_page(f"views/{page}.py").run()
    assert not app.exception
    assert [b.label for b in app.main.button] == ["Se connecter avec ProConnect"]
    assert not app.dataframe


def test_a_signed_in_agent_without_role_is_told_whom_to_ask(app):
    sign_in(app, "inconnu@exemple.gouv.fr", role=None).switch_page("views/couverture.py").run()
    assert "aucun rôle ne vous est attribué" in text_of(app) and "inconnu@exemple.gouv.fr" in text_of(app)
    assert [b.label for b in app.main.button] == ["Se déconnecter"]
    assert not app.dataframe


def test_logging_out_returns_to_the_sign_in_button(app):
    sign_in(app, BRETAGNE_HUB, role=None).switch_page("views/pilotage.py").run()
    app.sidebar.button(key="signin-logout").click().run()
    assert [b.label for b in app.main.button] == ["Se connecter avec ProConnect"]


def test_a_forged_url_cannot_widen_the_coverage_view_or_its_exports(app, downloads):
    sign_in(app, BRETAGNE_HUB, role=None).switch_page("views/couverture.py")
    app.query_params.update({"region": "28", "dep": "14"})
    app.run()
    assert not app.exception
    region = next(s for s in app.selectbox if s.label == "Région")
    assert region.options == ["Bretagne"] and region.value == "53"
    (csv_name,) = [name for name in downloads if name.endswith(".csv")]
    assert csv_name.startswith("couverture-epci-region-53-")  # the file name says the territory of the export
    exported = read_bytes(downloads[csv_name], "couverture.csv").frame
    assert set(exported["Code"]) <= set(app_reference_epcis_of_region("53"))
    assert "Caen" not in page_text(app)


def app_reference_epcis_of_region(region: str) -> set[str]:
    from views import data

    communes = data.reference().communes
    return set(communes.loc[communes["region_code"] == region, "epci_code"].dropna())


def test_a_forged_url_cannot_put_a_normandy_email_in_the_invitation_list(app, downloads):
    sign_in(app, BRETAGNE_HUB, role=None).switch_page("views/formations.py")
    app.query_params.update({"region": "28"})
    app.run()
    assert not app.exception
    invitations = {name: content for name, content in downloads.items() if name.startswith("invitations")}
    assert invitations, "the Bretagne pool has Vitré to invite"
    for name, content in invitations.items():
        assert b"caen@x.fr" not in content, name
    csv_name = next(name for name in invitations if name.endswith(".csv"))
    assert read_bytes(invitations[csv_name], csv_name).frame["Courriel"].tolist() == ["vitre@x.fr"]


def test_a_view_of_personal_data_is_logged_once_with_who_and_scope(app):
    engine = store.connect()
    before = access.read_access_log(engine)["event_id"].max()
    sign_in(app, BRETAGNE_HUB, role=None).switch_page("views/controle.py").run()
    app.run()  # a rerun of the same view is not logged again
    log = access.read_access_log(engine)
    new = log[log["event_id"] > (0 if pd.isna(before) else before)]
    assert new[["actor", "role", "scope", "action", "page"]].values.tolist() == [
        [BRETAGNE_HUB, "hub", "region:53", "view_personal", "controle"]]


def test_a_prefecture_of_calvados_sees_caen_and_not_rennes(app):
    sign_in(app, "pref@calvados.gouv.fr", "prefecture", Scope("departement", "14")).switch_page(
        "views/couverture.py").run()
    assert not app.exception
    region = next(s for s in app.selectbox if s.label == "Région")
    departement = next(s for s in app.selectbox if s.label == "Département")
    assert region.value == "28" and departement.options == ["Calvados (14)"]
