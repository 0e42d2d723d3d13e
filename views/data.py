"""Cached access to the store and the reference geography for the pages."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from loaders import store
from loaders.themes import ThemeRegistry, load_themes


@st.cache_resource
def engine():
    return store.connect()


@st.cache_data(ttl=60)
def public_animators() -> pd.DataFrame:
    """Animator records without personal columns (contact details are added only with consent)."""
    return store.read_animators(engine())


@st.cache_data(ttl=60)
def consented_contacts() -> pd.DataFrame:
    """E-mail and phone of the animators who agreed to publish them."""
    table = store.read_animators(engine(), personal=True)
    return table.loc[table["public_consent"], ["animator_id", "email", "phone"]].drop_duplicates("animator_id")


@st.cache_data(ttl=60)
def batches() -> pd.DataFrame:
    return store.read_batches(engine())


@st.cache_resource
def themes() -> ThemeRegistry:
    return load_themes()
