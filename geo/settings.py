"""Settings of the :mod:`geo` package.

Every value read from an environment variable (through :mod:`core.settings`) is read once, at import.

CACHE_DIR
    Where built reference tables (GeoParquet) are cached. ``CARTE_CACHE_DIR``,
    else the user cache directory of the platform
    (``~/.cache/carte-des-animateurs`` on Linux).
EARTH_RADIUS_KM
    Mean Earth radius (IUGG) used by every great-circle distance.
ADDRESS_SEARCH_URL
    Opt-in online street-address search: the ``/search/`` endpoint of an API speaking the
    national address API's protocol (``https://api-adresse.data.gouv.fr/search/``).
    ``CARTE_ADDRESS_SEARCH_URL``; empty by default, so nothing leaves the machine.
REFERENCE_BUILD_VERSION
    Version of our own build of the reference tables; bump it whenever
    :mod:`geo.reference` changes what it writes, so stale caches are rebuilt.
"""

from __future__ import annotations

from pathlib import Path

from core import settings

CACHE_DIR: Path = settings.cache_dir()
EARTH_RADIUS_KM: float = 6371.0088
ADDRESS_SEARCH_URL: str = settings.address_search_url()
REFERENCE_BUILD_VERSION: int = 2
WGS84: str = "EPSG:4326"
LAMBERT93: str = "EPSG:2154"
