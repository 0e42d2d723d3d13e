"""Cached access to the store and to the reference geography, for every page.

Each function wraps a pure function (``store``, ``geo``) in Streamlit's caches, so a
rerun that does not change its inputs recomputes nothing. Store reads expire after a minute
and are cleared at once by :func:`refresh` after an import.

This is the one data-access layer of the pages: what a pilot page reads goes through a
``scope`` argument (the signed-in agent's territory, :class:`store.access.Scope`), applied here
to maps, tables and exports alike, never taken from the URL. Public reads use the default,
France, and only ever see published records without personal columns.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st

import store
from core.vocabulary import STATUSES
from geo.aggregates import territory_aggregates
from geo.choropleth import simplified_territories
from geo.coverage import commune_indicators
from geo.reference import ReferenceGeography, load_reference
from geo.search import CommuneSearch
from loaders.themes import ThemeRegistry, load_themes
from store.access import FRANCE, Agent, Scope

STORE_TTL_SECONDS = 60
# How often a replica asks the store whether anything changed (one cheap query).
VERSION_TTL_SECONDS = 10


@st.cache_resource
def engine():
    return store.connect()


@st.cache_resource
def reference() -> ReferenceGeography:
    return load_reference()


@st.cache_resource
def commune_search() -> CommuneSearch:
    return CommuneSearch(reference())


@st.cache_resource
def themes() -> ThemeRegistry:
    return load_themes()


@st.cache_data(ttl=VERSION_TTL_SECONDS)
def store_version() -> tuple:
    """Changes with every import, verdict or fix, in this replica or another one."""
    return store.version(engine())


def records() -> pd.DataFrame:
    """One row per (animator, theme, active place), without personal columns (read again only when the store changed)."""
    return _records_at(store_version())


def scoped_records(scope: Scope) -> pd.DataFrame:
    """:func:`records` at the places in ``scope``: an animator is seen through those places only."""
    table = records()
    return table if scope == FRANCE or table.empty else table[scope.mask(table)].reset_index(drop=True)


@st.cache_data(max_entries=2)
def _records_at(_version: tuple) -> pd.DataFrame:
    return store.read_animators(engine(), scope=FRANCE)


@st.cache_data(ttl=STORE_TTL_SECONDS)
def personal_details(scope: Scope) -> pd.DataFrame:
    """Name, e-mail and phone of every animator placed in ``scope``, indexed by ``animator_id``.

    For pilot pages only: whoever calls it must have checked the right to see personal data.
    """
    table = (store.read_animators(engine(), personal=True, scope=scope).drop_duplicates("animator_id")
             .set_index("animator_id"))
    given = (table["first_name"].fillna("") + " " + table["last_name"].fillna("")).str.strip()
    names = table["full_name"].where(table["full_name"].fillna("") != "", given)
    return pd.DataFrame({"full_name": names, "email": table["email"], "phone": table["phone"]})


@st.cache_data(ttl=STORE_TTL_SECONDS)
def batches() -> pd.DataFrame:
    """Every import (the demo banner and the date of the last import, on every page)."""
    return store.read_batches(engine(), scope=FRANCE)


@st.cache_data(ttl=STORE_TTL_SECONDS)
def scoped_batches(scope: Scope) -> pd.DataFrame:
    """The imports that last declared a place in ``scope``."""
    return store.read_batches(engine(), scope=scope)


def demo_only() -> bool:
    """Whether the store holds no real data (nothing, or demonstration imports only)."""
    history = batches()
    return history.empty or bool(history["is_demo"].all())


@st.cache_data(ttl=STORE_TTL_SECONDS)
def selection(theme: str, statuses: tuple[str, ...], conum_only: bool,
              moderation: tuple[str, ...] | None = None, scope: Scope = FRANCE) -> pd.DataFrame:
    """The records of one theme in the given training statuses (Conseillers numériques only if asked).

    One row per (animator, place): an animator at three places is three rows, those in ``scope`` only.
    ``moderation=None`` keeps what the public may see (validated, in their form's last export);
    pilot pages pass the moderation statuses they show and the agent's ``scope``.
    """
    table = records()
    if table.empty:
        return table
    chosen = (table["theme"] == theme) & table["training_status"].isin(statuses)
    chosen &= table["published"] if moderation is None else table["moderation_status"].isin(moderation)
    if conum_only:
        chosen &= table["is_conum"]
    table = table[chosen]
    return table[scope.mask(table)].reset_index(drop=True)


@st.cache_data(ttl=STORE_TTL_SECONDS)
def fixes() -> dict[str, str]:
    """Manual geocoding fixes for the loader (location key → INSEE code)."""
    return store.fix_map(engine())


@st.cache_data(ttl=STORE_TTL_SECONDS)
def rejected_rows(agent: Agent) -> pd.DataFrame:
    """Rejected rows that a manual fix could place and that nobody placed yet, among those ``agent`` sees."""
    return store.read_rejected_rows(engine(), agent)


def refresh() -> None:
    """Forget cached store reads (after an import), keeping the reference geography."""
    for function in (store_version, personal_details, batches, scoped_batches, selection, theme_records,
                     commune_coverage, territory_table, rejected_rows, fixes):
        function.clear()


@st.cache_data(ttl=STORE_TTL_SECONDS)
def theme_records(theme: str, conum_only: bool, moderation: tuple[str, ...], scope: Scope) -> pd.DataFrame:
    """Every record of one theme, whatever its training status (see :func:`selection`)."""
    return selection(theme, STATUSES, conum_only, moderation, scope)


@st.cache_data(ttl=STORE_TTL_SECONDS)
def commune_coverage(theme: str, statuses: tuple[str, ...], conum_only: bool, moderation: tuple[str, ...],
                     radius_km: float, scope: Scope) -> pd.DataFrame:
    """The communes of ``scope`` (without contour) with the coverage indicators of the selected animators."""
    communes = pd.DataFrame(reference().communes.drop(columns="geometry")).rename_axis(None)
    communes = communes[scope.mask(communes)]
    chosen = selection(theme, statuses, conum_only, moderation, scope)
    if scope != FRANCE:
        # An animator's places outside the scope still take their share of her supply (geo.coverage.place_supply).
        places_of = selection(theme, statuses, conum_only, moderation)["animator_id"].value_counts()
        chosen = chosen.assign(person_places=chosen["animator_id"].map(places_of).to_numpy())
    indicators = commune_indicators(communes, chosen, radius_km)
    return communes.join(indicators).assign(insee_code=communes.index)


@st.cache_data(ttl=STORE_TTL_SECONDS)
def territory_table(level: str, theme: str, statuses: tuple[str, ...], conum_only: bool,
                    moderation: tuple[str, ...], radius_km: float, scope: Scope) -> pd.DataFrame:
    """Aggregates of :func:`geo.aggregates.territory_aggregates` over ``scope``, with the territory names."""
    communes = commune_coverage(theme, statuses, conum_only, moderation, radius_km, scope)
    table = territory_aggregates(communes, theme_records(theme, conum_only, moderation, scope), level)
    names = {"commune": communes["nom"], "epci": reference().epcis["nom"],
             "departement": reference().departements["nom"], "region": reference().regions["nom"]}[level]
    table.insert(0, "nom", names.reindex(table.index))
    return table


@st.cache_resource
def territory_shapes(level: str, departement: str | None = None) -> gpd.GeoDataFrame:
    """Light, gap-free contours for web maps (shared by every session)."""
    return simplified_territories(reference(), level, departement=departement)
