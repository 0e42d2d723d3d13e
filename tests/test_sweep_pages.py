"""Every pilot page, for every filter value a person can pick, on the demo data: no page ever crashes.

The store is the demo export imported as ``make run`` imports it. One AppTest per page walks the
whole grid of its filters by changing widget values between runs, so the caches stay warm:

* « Couverture » and « Préparer les formations »: every région (its « Toute la région » view) and
  every département of it × every theme × « Conseillers numériques uniquement » on and off. The
  training page draws both plans on every run (both tabs), and the sweep alternates the tab the
  invitation list follows.
* « Pilotage »: every theme × every région (its only filters).
* « Contrôler la cartographie »: every département code × every theme, with every verification
  status shown (the longest list of records).
* « Importer »: every form theme × every column profile, without a file then with the demo export.

A run fails when it shows Streamlit's exception element or the app's own « Une erreur
inattendue » message (``views.errors``): the failure lists every filter combination that crashed
with its error, so that one run finds all the siblings of a crash.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.runtime.scriptrunner.script_cache import ScriptCache
from streamlit.testing.v1 import AppTest

from views.errors import UNEXPECTED_ERROR

APP = str(Path(__file__).resolve().parent.parent / "app.py")
DEMO_EXPORT = Path("data/demo/demo-animateurs.csv")
CONUM = "Conseillers numériques uniquement"


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory, repo_root) -> Path:
    """A store holding the demo export, imported by the command line as ``make run`` does."""
    home = tmp_path_factory.mktemp("demo-home")
    subprocess.run([sys.executable, "-m", "loaders", str(repo_root / DEMO_EXPORT), "--demo"],
                   env={"CARTE_DATA_HOME": str(home), "PATH": ""}, check=True, capture_output=True,
                   cwd=repo_root)
    return home


@pytest.fixture()
def open_page(demo_home, monkeypatch) -> Callable[[str], AppTest]:
    """Open a pilot page on the demo store (demo mode: no sign-in), caches cleared once."""
    monkeypatch.setenv("CARTE_DATA_HOME", str(demo_home))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("CARTE_TILES_URL", "")
    # AppTest compiles every script again on every run; the scripts do not change during a sweep.
    shared = ScriptCache()
    monkeypatch.setattr("streamlit.testing.v1.app_test.ScriptCache", lambda: shared)
    monkeypatch.setattr("streamlit.testing.v1.local_script_runner.ScriptCache", lambda: shared)
    st.cache_data.clear()
    st.cache_resource.clear()

    def opening(page: str) -> AppTest:
        app = AppTest.from_file(APP, default_timeout=120)
        app.switch_page(f"views/{page}.py").run()
        assert not crashes(app), crashes(app)
        return app

    return opening


class Sweep:
    """Runs of one page: what each run showed, and how long the whole walk took."""

    def __init__(self, app: AppTest) -> None:
        self.app = app
        self.runs = 0
        self.failures: list[str] = []
        self.started = time.perf_counter()

    def run(self, what: str) -> AppTest:
        self.app.run()
        self.runs += 1
        self.failures += [f"{what}: {message}" for message in crashes(self.app)]
        return self.app

    def report(self) -> str:
        seconds = time.perf_counter() - self.started
        return f"{self.runs} runs in {seconds:.0f} s, {len(self.failures)} crashed:\n" + "\n".join(self.failures)


def crashes(app: AppTest) -> list[str]:
    """The errors a run showed: Streamlit's exception element and the app's unexpected-error message."""
    return ([element.message for element in app.exception]
            + [element.value for element in app.error if UNEXPECTED_ERROR in element.value])


def widget(elements, label: str):
    """The one widget of a kind with this label."""
    (found,) = [element for element in elements if element.label == label]
    return found


def territories() -> Iterator[tuple[str, str]]:
    """Every région (``""``: its « Toute la région » view) and every département of it."""
    from views import data

    departements = data.reference().departements
    for region in sorted(departements["region_code"].unique()):
        yield region, ""
        for departement in sorted(departements.index[departements["region_code"] == region]):
            yield region, departement


def theme_slugs() -> list[str]:
    from views import data

    return list(data.themes().slugs())


def sweep_territory_page(app: AppTest, each_run: Callable[[AppTest, int], None] = lambda app, n: None) -> Sweep:
    """Every (région, département) × theme × CoNum on/off of « Couverture » or « Préparer les formations »."""
    sweep = Sweep(app)
    # « Préparer les formations » shows its filters once a région is chosen.
    widget(app.selectbox, "Région").set_value(next(territories())[0])
    sweep.run("première région")
    for theme in theme_slugs():
        for conum in (False, True):
            widget(app.selectbox, "Thématique").set_value(theme)
            widget(app.checkbox, CONUM).set_value(conum)
            for region, departement in territories():
                if not departement:
                    widget(app.selectbox, "Région").set_value(region)
                else:
                    widget(app.selectbox, "Département").set_value(departement)
                each_run(app, sweep.runs)
                sweep.run(f"{theme}, CoNum {'oui' if conum else 'non'}, {departement or f'région {region}'}")
    return sweep


@pytest.mark.slow
def test_training_page_never_crashes_on_any_territory_theme_or_conum_filter(open_page):
    sweep = sweep_territory_page(open_page("formations"))
    assert not sweep.failures, sweep.report()
    print(sweep.report())


# What a visitor sees when a page fails anyway

SECRET_DETAIL = "/srv/carte/secret.py: la base a répondu n'importe quoi"


@pytest.fixture()
def production_errors():
    """``client.showErrorDetails`` as production sets it, for one test (the tests run with ``full``)."""
    from streamlit import config

    before = config.get_option("client.showErrorDetails")
    config.set_option("client.showErrorDetails", "none")
    yield
    config.set_option("client.showErrorDetails", before)


@pytest.fixture()
def failing_public_page(demo_home, monkeypatch) -> AppTest:
    """The public page, whose data read fails with details no visitor should read."""
    from views import data

    def failing(*args, **kwargs):
        raise RuntimeError(SECRET_DETAIL)

    monkeypatch.setenv("CARTE_DATA_HOME", str(demo_home))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("CARTE_TILES_URL", "")
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setattr(data, "selection", failing)
    return AppTest.from_file(APP, default_timeout=120)


def test_an_unexpected_error_shows_a_french_message_with_the_reference_logged_with_it(failing_public_page,
                                                                                      production_errors, caplog):
    app = failing_public_page.run()
    assert not app.exception
    (message,) = [error.value for error in app.error]
    assert message.startswith(UNEXPECTED_ERROR)
    reference = re.search(r"la référence \*\*(E-[0-9A-F]{6})\*\*", message).group(1)
    (logged,) = [record for record in caplog.records if record.name == "views.errors"]
    assert reference in logged.getMessage() and logged.exc_info[0] is RuntimeError
    assert SECRET_DETAIL in logged.exc_text  # the traceback is in the server's log…
    shown = "\n".join(str(element.proto) for element in app.main)
    assert SECRET_DETAIL not in shown and "Traceback" not in shown and "RuntimeError" not in shown  # …not on the page


def test_with_full_error_details_the_error_reaches_streamlit(failing_public_page):
    app = failing_public_page.run()
    assert [element.message for element in app.exception] == [SECRET_DETAIL]
    assert not [error for error in app.error if UNEXPECTED_ERROR in error.value]


def test_production_configuration_hides_error_details(repo_root):
    environment = {name: value for name, value in os.environ.items() if name != "STREAMLIT_CLIENT_SHOW_ERROR_DETAILS"}
    shown = subprocess.run([sys.executable, "-m", "streamlit", "config", "show"], cwd=repo_root, env=environment,
                           check=True, capture_output=True, text=True).stdout
    assert re.search(r'^showErrorDetails = "none"$', shown, re.MULTILINE)
