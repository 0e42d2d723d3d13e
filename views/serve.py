"""Start the app as ``make run`` does: ``python -m views.serve [options of streamlit run]``.

Two things happen before the server answers, in the server's own process:

* the public finder is published (``store/publish.py``) into the directory that the app serves at
  ``/carte/`` (``views/public_site.py``), and registered, so that every later write of the store
  republishes it: the public page is static and costs the server nothing per visit;
* the caches of the pilot pages are filled: imports (geopandas, scipy, folium), the reference
  geography, the commune search index (manual placing), the store's import history and themes.

Then Streamlit starts exactly as ``streamlit run server.py`` would (same options, same configuration):
``server.py`` is an ``st.App`` over ``app.py`` with the publication's route. ``st.cache_resource`` is
one store per process; ``st.cache_data`` keeps one cache per decorated function for the whole process,
created by its first call and reused by every script run afterwards (Streamlit only warns that, before
its runtime exists, the cache lives in memory, which is where the runtime keeps it too).

Modules that declare Streamlit components (``streamlit_folium``) are not imported here: a component
declared outside a script run is never registered with the server, and its frame would not load.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "server.py"
# Warnings that Streamlit's caches are used outside a script run and before the runtime exists: true and intended.
OUTSIDE_RUNTIME_LOGGERS = ("streamlit.runtime.caching.cache_data_api",
                           "streamlit.runtime.scriptrunner_utils.script_run_context")
# What app.py and the public page import, except the modules that declare components (see above);
# streamlit.emojis is what st.set_page_config reads to check its icon (0.2 s of regular expressions).
PAGE_IMPORTS = ("views.oidc", "views.chrome", "views.url_state", "views.labels", "views.basemap", "geo.nearby",
                "folium", "shapely", "streamlit.emojis")
LOGGER = logging.getLogger(__name__)


def main(options: list[str]) -> None:
    """Fill the caches, then run ``streamlit run app.py OPTIONS`` in this process (exits when it stops)."""
    print("Préparation de l'application (carte publique, référentiel géographique, base)…", file=sys.stderr,
          flush=True)
    publish_finder()
    fill_caches()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(APP), *options]
    cli.main()


def publish_finder() -> None:
    """Publish the public finder where the app serves it (and register it, so that writes republish it).

    A failure is logged and the server starts anyway: the public page then says it is unavailable.
    """
    import store
    from core import settings as core_settings
    from store import publish

    try:
        done = publish.publish(store.connect(), core_settings.public_dir())
        print(f"Carte publique publiée dans {done.directory} ({done.places} lieux).", file=sys.stderr, flush=True)
    except Exception:  # noqa: BLE001 — the pilot pages work without it
        LOGGER.exception("Publication de la carte publique impossible : l'application démarre sans.")


def fill_caches() -> None:
    """Compute what the pages' first visits would: imports, reference geography, commune search, store reads.

    A failure (a store that cannot be reached, say) is logged and the server starts anyway: the pages
    then show their own message, as they would without this launcher.
    """
    with _quiet(OUTSIDE_RUNTIME_LOGGERS):
        try:
            from views import data

            for name in PAGE_IMPORTS:
                importlib.import_module(name)
            # Declaring a component looks its caller's frame up with inspect.getmodule, which indexes the
            # file of every loaded module on first use (0.2 s here): index them now.
            inspect.getmodule(inspect.currentframe())
            data.commune_search()
            data.themes()
            data.batches()
        except Exception:  # noqa: BLE001 — any failure is the pages' to report, not a reason not to start
            LOGGER.exception("Préchargement des caches impossible : l'application démarre sans.")


@contextmanager
def _quiet(names: tuple[str, ...]) -> Iterator[None]:
    """Drop the records of the given loggers below ERROR for the duration of the block.

    A filter rather than a level: Streamlit sets its loggers' levels again when it reads its configuration.
    """
    loggers = [logging.getLogger(name) for name in names]
    keep_errors = _ErrorsOnly()
    for logger in loggers:
        logger.addFilter(keep_errors)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(keep_errors)


class _ErrorsOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR


if __name__ == "__main__":
    main(sys.argv[1:])
