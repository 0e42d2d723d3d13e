"""Every environment variable of the project, read here and nowhere else.

Each function reads its variable at every call, so that a server, a command or a test sees the value
of the moment. Values that need parsing with a French error (sizes, durations) are parsed by the
package that uses them (:mod:`loaders.settings`), from :func:`value`.

=============================  ==========================================================  =======================
variable                       meaning                                                     default
=============================  ==========================================================  =======================
``CARTE_DATA_HOME``            folder of the embedded store (``carte.sqlite``) and of the  the user data directory
                               public map's publication (``public/``)
``DATABASE_URL``               the shared store (``postgresql+psycopg://…``)               the embedded SQLite
``CARTE_PUBLIC_DIR``           where the public map is published and served from           ``$CARTE_DATA_HOME/public``
``CARTE_CACHE_DIR``            built reference geography (GeoParquet) and search index     the user cache directory
``CARTE_DATA_DIR``             themes (``themes.toml``) and column profiles                the repository's ``data/``
``CARTE_TILES_URL``            basemap tiles of every map (empty: no basemap)              Plan IGN (Géoplateforme)
``CARTE_TILES_ATTRIBUTION``    the tiles' attribution                                      « © IGN – Géoplateforme »
``CARTE_ADDRESS_SEARCH_URL``   opt-in online street-address search (national address API)  empty: nothing online
``CARTE_MAX_UPLOAD_MB``        largest file read, in megabytes                             20
``CARTE_RETENTION_MONTHS``     months a record stays published without a newer answer      24
``CARTE_CONTROLLER_NAME``      data controller named on « Données personnelles »           a placeholder
``CARTE_PRIVACY_CONTACT``      where people exercise their rights                          a placeholder
=============================  ==========================================================  =======================

Streamlit's own settings (``STREAMLIT_*``, ``.streamlit/config.toml``, ``secrets.toml`` for sign-in) are
read by Streamlit.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APPLICATION = "carte-des-animateurs"
VARIABLES: tuple[str, ...] = (
    "CARTE_DATA_HOME", "DATABASE_URL", "CARTE_PUBLIC_DIR", "CARTE_CACHE_DIR", "CARTE_DATA_DIR", "CARTE_TILES_URL",
    "CARTE_TILES_ATTRIBUTION", "CARTE_ADDRESS_SEARCH_URL", "CARTE_MAX_UPLOAD_MB", "CARTE_RETENTION_MONTHS",
    "CARTE_CONTROLLER_NAME", "CARTE_PRIVACY_CONTACT",
)
DEFAULT_TILES_URL = (
    "https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2"
    "&STYLE=normal&TILEMATRIXSET=PM&FORMAT=image/png&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
)
DEFAULT_TILES_ATTRIBUTION = "© IGN – Géoplateforme, Plan IGN"
REPOSITORY_DATA = Path(__file__).resolve().parent.parent / "data"


def value(name: str, default: str = "") -> str:
    """The variable ``name`` (one of :data:`VARIABLES`), stripped; ``default`` when it is not set.

    Raises
    ------
    KeyError
        ``name`` is not a variable of the project (a typo would otherwise read nothing, silently).
    """
    if name not in VARIABLES:
        raise KeyError(f"{name} is not one of core.settings.VARIABLES")
    found = os.environ.get(name)
    return default if found is None else found.strip()


def data_home() -> Path:
    """``$CARTE_DATA_HOME``, else the user data directory."""
    return Path(value("CARTE_DATA_HOME") or platformdirs.user_data_dir(APPLICATION))


def database_url() -> str:
    """``$DATABASE_URL``, else the embedded SQLite store in :func:`data_home`."""
    return value("DATABASE_URL") or f"sqlite:///{data_home() / 'carte.sqlite'}"


def public_dir() -> Path:
    """``$CARTE_PUBLIC_DIR``, else ``public`` in :func:`data_home`."""
    return Path(value("CARTE_PUBLIC_DIR") or data_home() / "public")


def cache_dir() -> Path:
    """``$CARTE_CACHE_DIR``, else the user cache directory (``~/.cache/carte-des-animateurs`` on Linux)."""
    return Path(value("CARTE_CACHE_DIR") or platformdirs.user_cache_dir(APPLICATION))


def data_dir() -> Path:
    """``$CARTE_DATA_DIR``, else the repository's ``data`` folder."""
    return Path(value("CARTE_DATA_DIR") or REPOSITORY_DATA)


def tiles_url() -> str:
    """``$CARTE_TILES_URL`` (set empty: maps without a basemap), else Plan IGN."""
    return value("CARTE_TILES_URL", DEFAULT_TILES_URL)


def tiles_attribution() -> str:
    """``$CARTE_TILES_ATTRIBUTION``, else Plan IGN's."""
    return value("CARTE_TILES_ATTRIBUTION", DEFAULT_TILES_ATTRIBUTION)


def address_search_url() -> str:
    """``$CARTE_ADDRESS_SEARCH_URL``: empty by default, so that nothing leaves the machine."""
    return value("CARTE_ADDRESS_SEARCH_URL")
