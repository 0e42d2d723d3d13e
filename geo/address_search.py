"""Opt-in street-address search through an online geocoder (off unless configured).

The protocol is that of the national address API (« API Adresse », BAN): ``GET
<url>?q=<text>&limit=<n>`` answers a GeoJSON FeatureCollection whose features carry
``label`` and ``citycode`` properties. Offline use never reaches this module.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from geo._errors import AddressSearchError

TIMEOUT_SECONDS = 5.0
USER_AGENT = "carte-des-animateurs"


@dataclass(frozen=True)
class AddressMatch:
    """One address found by the online geocoder."""

    label: str
    lon: float
    lat: float
    insee_code: str


def search_addresses(query: str, url: str, limit: int = 5) -> list[AddressMatch]:
    """Ask the configured geocoder for the addresses matching ``query``, best first.

    Raises
    ------
    AddressSearchError
        When the service cannot be reached, fails or answers something unreadable.
    """
    if not query.strip():
        return []
    request = urllib.request.Request(
        f"{url}?{urllib.parse.urlencode({'q': query.strip(), 'limit': limit})}",
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (configured URL)
            payload = json.load(response)
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise AddressSearchError("Le service de recherche d'adresses ne répond pas ; cherchez une commune.") from error
    except ValueError as error:
        raise AddressSearchError("Le service de recherche d'adresses a répondu de façon illisible.") from error
    return _matches(payload)


def _matches(payload: object) -> list[AddressMatch]:
    try:
        return [
            AddressMatch(
                label=str(feature["properties"]["label"]),
                lon=float(feature["geometry"]["coordinates"][0]),
                lat=float(feature["geometry"]["coordinates"][1]),
                insee_code=str(feature["properties"].get("citycode", "")),
            )
            for feature in payload["features"]  # type: ignore[index]
        ]
    except (KeyError, IndexError, TypeError, ValueError) as error:
        raise AddressSearchError("Le service de recherche d'adresses a répondu de façon illisible.") from error
