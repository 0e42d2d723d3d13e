"""Streamlit entry point: a thin router over the page modules of ``views/``."""

import streamlit as st

st.set_page_config(page_title="Carte des animateurs", page_icon="🗺️", layout="wide")
navigation = st.navigation([st.Page("views/carte.py", title="Carte des animateurs", default=True)])
navigation.run()
