"""Every pilot page, for every filter value a person can pick, on the demo data: no page ever crashes.

The store is the demo export imported as ``make run`` imports it. One AppTest per page walks the
whole grid of its filters by changing widget values between runs, so the caches stay warm:

* « Couverture » and « Préparer les formations »: every région (its « Toute la région » view) and
  every département of it × every theme × « Conseillers numériques uniquement » on and off. The
  training page draws both plans on every run (both tabs); its invitation list follows the open
  tab, « Couvrir » in the passes without the CoNum filter and « Réduire les trajets » in the others.
* « Pilotage »: every theme × every région (its only filters).
* « Contrôler la cartographie »: every département code with every theme, records of every
  verification status shown (the longest list).
* « Importer »: every form theme × every column profile without a file; with the demo export,
  every form theme and every profile.

The pages are swept in two worker processes at once (the CI machine has two cores; the rest of the
suite runs on one), the longest first. A run fails when it shows Streamlit's exception element or
the app's own « Une erreur inattendue » message (``views.errors``): a page's failure lists every
filter combination that crashed with its error, so that one run finds all the siblings of a crash.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from views.errors import UNEXPECTED_ERROR

APP = str(Path(__file__).resolve().parent.parent / "app.py")
DEMO_EXPORT = Path(__file__).resolve().parent.parent / "data/demo/demo-animateurs.csv"
CONUM = "Conseillers numériques uniquement"
PLAN_STATE = "formations-plan"  # views/formations.py: the open tab of the plans
SWEEP_WORKERS = 2
# Longest first, so that the two workers end together.
SWEPT_PAGES = ("couverture", "formations", "controle", "pilotage", "importer")
# « Couverture » and « Préparer les formations » are swept one theme per task, so that the two workers
# share their grids; the other pages are one task each.
THEMED_PAGES = ("couverture", "formations")


def sweep_tasks() -> list[tuple[str, str | None]]:
    """(page, theme) of every task, the longest first: one theme of a themed page, or a whole page."""
    themed = [(page, slug) for page in THEMED_PAGES for slug in theme_slugs()]
    return themed + [(page, None) for page in SWEPT_PAGES if page not in THEMED_PAGES]


@pytest.fixture(scope="module")
def sweeps(demo_home) -> Iterator[dict[tuple[str, str | None], Future]]:
    """Every sweep task, started at once in worker processes; each test waits for those of its page."""
    with ProcessPoolExecutor(SWEEP_WORKERS, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield {task: pool.submit(sweep_page, *task, str(demo_home)) for task in sweep_tasks()}


@pytest.mark.slow
@pytest.mark.parametrize("page", SWEPT_PAGES)
def test_no_pilot_page_crashes_for_any_value_of_its_filters(sweeps, page):
    results = [future.result() for (swept, _), future in sweeps.items() if swept == page]
    result = SweepResult(runs=sum(r.runs for r in results), seconds=sum(r.seconds for r in results),
                         cpu_seconds=sum(r.cpu_seconds for r in results),
                         failures=[failure for r in results for failure in r.failures])
    print(f"{page}: {result.summary()}")
    assert result.runs >= MINIMUM_RUNS[page], result.summary()
    assert not result.failures, result.summary()


# Fewer runs than this would mean the grid was not walked (a label changed, a loop ended early).
MINIMUM_RUNS = {"couverture": 700, "formations": 700, "importer": 50, "pilotage": 70, "controle": 100}


# The sweep itself, run in a worker process

@dataclass
class SweepResult:
    """What the runs of one page showed, and how long they took."""

    runs: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.runs} runs in {self.seconds:.0f} s ({self.cpu_seconds:.0f} s of processor), "
                f"{len(self.failures)} crashed"
                + "".join(f"\n  {failure}" for failure in self.failures))


class Sweep:
    """Runs one page's AppTest and records what each run showed."""

    def __init__(self, page: str) -> None:
        self.started = time.perf_counter()
        self.started_cpu = time.process_time()
        self.result = SweepResult()
        self.app = AppTest.from_file(APP, default_timeout=120)
        self.app.switch_page(f"views/{page}.py")
        self.run("ouverture")

    def run(self, what: str) -> AppTest:
        self.app.run()
        self.result.runs += 1
        self.result.failures += [f"{what}: {message}" for message in crashes(self.app)]
        self.result.seconds = time.perf_counter() - self.started
        self.result.cpu_seconds = time.process_time() - self.started_cpu
        return self.app


def sweep_page(page: str, theme: str | None, home: str) -> SweepResult:
    """Walk every filter value of ``page`` (for one ``theme`` of a themed page) on the store at ``home``.

    Runs in a worker process; the worker keeps its caches from one task to the next.
    """
    from streamlit import config
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    os.environ["CARTE_DATA_HOME"] = home
    os.environ.pop("DATABASE_URL", None)
    os.environ["CARTE_TILES_URL"] = ""
    # As in the other tests (tests/conftest.py): errors reach the sweep with their message.
    config.set_option("client.showErrorDetails", "full")
    # AppTest compiles every script again on every run; the scripts do not change during a sweep.
    shared = ScriptCache()
    import streamlit.testing.v1.app_test as app_test
    import streamlit.testing.v1.local_script_runner as local_script_runner

    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared
    sweep = Sweep(page)
    if theme is None:
        PAGE_SWEEPS[page](sweep)
    else:
        THEMED_SWEEPS[page](sweep, theme)
    return sweep.result


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
    from loaders.themes import load_themes

    return list(load_themes().slugs())


def sweep_territory_page(sweep: Sweep, theme: str,
                         before_pass: Callable[[AppTest, bool], None] = lambda app, conum: None) -> None:
    """Every (région, département) × CoNum on/off of « Couverture » or « Préparer les formations », one theme."""
    app = sweep.app
    # « Préparer les formations » shows its filters once a région is chosen.
    widget(app.selectbox, "Région").set_value(next(territories())[0])
    sweep.run("première région")
    for conum in (False, True):
        widget(app.selectbox, "Thématique").set_value(theme)
        widget(app.checkbox, CONUM).set_value(conum)
        before_pass(app, conum)
        for region, departement in territories():
            if departement:
                widget(app.selectbox, "Département").set_value(departement)
            else:
                widget(app.selectbox, "Région").set_value(region)
            sweep.run(f"{theme}, CoNum {'oui' if conum else 'non'}, {departement or f'région {region}'}")


def sweep_training_page(sweep: Sweep, theme: str) -> None:
    from views.formations import PLAN_TABS, PlanKind

    def open_tab(app: AppTest, conum: bool) -> None:
        app.session_state[PLAN_STATE] = PLAN_TABS[PlanKind.SESSIONS if conum else PlanKind.COVERAGE]

    sweep_territory_page(sweep, theme, open_tab)


def sweep_pilotage(sweep: Sweep) -> None:
    from views.pilotage import EVERYWHERE

    app = sweep.app
    for theme in [EVERYWHERE, *theme_slugs()]:
        widget(app.selectbox, "Thématique").set_value(theme)
        for region in [EVERYWHERE, *sorted({region for region, _ in territories()})]:
            widget(app.selectbox, "Région").set_value(region)
            sweep.run(f"thème {theme or 'tous'}, région {region or 'France'}")


def sweep_controle(sweep: Sweep) -> None:
    from core.vocabulary import PENDING, REFUSED, VALIDATED

    app = sweep.app
    widget(app.multiselect, "Vérification").set_value([PENDING, VALIDATED, REFUSED])
    for theme in ["", *theme_slugs()]:
        widget(app.selectbox, "Thématique").set_value(theme)
        for departement in [""] + [code for _, code in territories() if code]:
            widget(app.text_input, "Département (code)").input(departement)
            sweep.run(f"thème {theme or 'tous'}, département {departement or 'tous'}")


def sweep_importer(sweep: Sweep) -> None:
    from loaders.column_options import list_profiles

    app = sweep.app
    themes = [None, *theme_slugs()]
    profiles = [None, *(profile.name for profile in list_profiles())]

    def choose(theme: str | None, profile: str | None, what: str) -> None:
        widget(app.selectbox, "Thématique du formulaire").set_value(theme)
        widget(app.selectbox, "Profil de colonnes (facultatif)").set_value(profile)
        sweep.run(f"{what}, thème {theme or 'détecté'}, profil {profile or 'aucun'}")

    for theme in themes:
        for profile in profiles:
            choose(theme, profile, "sans fichier")
    app.file_uploader[0].set_value([(DEMO_EXPORT.name, DEMO_EXPORT.read_bytes(), "text/csv")])
    for theme in themes:
        choose(theme, None, "export de démonstration")
    for profile in profiles[1:]:
        choose(None, profile, "export de démonstration")


THEMED_SWEEPS: dict[str, Callable[[Sweep, str], None]] = {
    "couverture": sweep_territory_page, "formations": sweep_training_page,
}
PAGE_SWEEPS: dict[str, Callable[[Sweep], None]] = {
    "importer": sweep_importer, "pilotage": sweep_pilotage, "controle": sweep_controle,
}


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
    """The public page, whose check of the publication fails with details no visitor should read."""
    from views import public_site

    def failing(*args, **kwargs):
        raise RuntimeError(SECRET_DETAIL)

    monkeypatch.setenv("CARTE_DATA_HOME", str(demo_home))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("CARTE_TILES_URL", "")
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setattr(public_site, "is_served", failing)
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
