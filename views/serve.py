"""Start the app with its caches already filled: ``python -m views.serve [options of streamlit run]``.

``streamlit run app.py`` starts at once, but its first visitor pays for what the caches do not hold
yet: importing geopandas, scipy and folium, building the reference geography and the commune search
index, reading the store, building the public map's markers (about 5 s on a 2-core machine). This
launcher does that work in the server's own process, then starts Streamlit exactly as
``streamlit run app.py`` would (same options, same configuration): the server takes that much longer
to answer, and no visitor waits for it.

The caches filled here are the ones the pages read. ``st.cache_resource`` is one store per process.
``st.cache_data`` keeps one cache per decorated function for the whole process, created by its first
call and reused by every script run afterwards (Streamlit only warns that, before its runtime exists,
the cache lives in memory, which is where the runtime keeps it too: nothing here is persisted).

Modules that declare Streamlit components (``streamlit_folium``, ``views.geolocate``, and so the page
modules that use them) are not imported here: a component declared outside a script run is never
registered with the server, and its frame would not load. The first script run imports them.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app.py"
# Warnings that Streamlit's caches are used outside a script run and before the runtime exists: true and intended.
OUTSIDE_RUNTIME_LOGGERS = ("streamlit.runtime.caching.cache_data_api",
                           "streamlit.runtime.scriptrunner_utils.script_run_context")
# What app.py and the public page import, except the modules that declare components (see above);
# streamlit.emojis is what st.set_page_config reads to check its icon (0.2 s of regular expressions).
PAGE_IMPORTS = ("views.oidc", "views.chrome", "views.url_state", "views.labels", "views.basemap", "geo.nearby",
                "geo.address_search", "folium", "shapely", "streamlit.emojis")
LOGGER = logging.getLogger(__name__)


def main(options: list[str]) -> None:
    """Fill the caches, then run ``streamlit run app.py OPTIONS`` in this process (exits when it stops)."""
    print("Préparation de l'application (référentiel géographique, base, carte publique)…", file=sys.stderr,
          flush=True)
    fill_caches()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(APP), *options]
    cli.main()


def fill_caches() -> None:
    """Compute what the first visit of the public page would: imports, reference geography, commune
    search, store reads, and the selection and markers of the page's default filters.

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
            data.selection(data.PUBLIC_THEME, data.PUBLIC_STATUSES, False)
            data.marker_points(data.PUBLIC_THEME, data.PUBLIC_STATUSES, False)
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
