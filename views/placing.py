"""Placing a rejected row by hand: pick its commune, or click on the map; the fix is remembered.

Used by the « Contrôler la cartographie » page. The fix is stored by the row's location key
(:func:`loaders.pipeline.location_keys`), so the next import of the same row is placed with it.
"""

from __future__ import annotations

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.nearby import commune_at
from loaders import store
from loaders.access import Agent
from views import data
from views.basemap import new_map
from views.safe_html import escape

MAP_HEIGHT = 420
FRANCE_CENTER = (46.6, 2.4)


def place_rejected_rows(agent: Agent) -> None:
    """Rejected rows of the files the agent imported (every file's for the national team)."""
    st.subheader("Lignes rejetées à placer")
    rows = data.rejected_rows(None if agent.role == "national" else agent.email)
    if rows.empty:
        st.caption("Aucune ligne rejetée à placer : toutes les lignes des imports ont trouvé leur commune.")
        return
    st.markdown(f"{len(rows)} ligne(s) rejetée(s) faute de lieu. Choisissez la commune d'une ligne : la correction "
                "sera reprise à chaque prochain import de cette même ligne.")
    labels = {index: f"{row.file_name}, ligne {row.source_row} — « {row.location_text} » : {row.reason}"
              for index, row in rows.iterrows()}
    index = st.selectbox("Ligne à placer", list(labels), format_func=labels.get, key="placing-row")
    row = rows.loc[index]
    insee_code = _choose_place(row, key=str(index))
    if insee_code is None:
        return
    commune = data.reference().communes.loc[insee_code]
    if st.button(f"Placer cette ligne à {commune['nom']} ({commune['departement_code']})"):
        store.save_fix(data.engine(), row["location_key"], insee_code, description=row["location_text"],
                       actor=agent.email)
        data.refresh()
        st.success(f"Correction enregistrée : « {escape(row['location_text'])} » → {escape(commune['nom'])}.")


def _choose_place(row: pd.Series, key: str) -> str | None:
    """A commune picked by name, or the commune under a click on the map."""
    # Widgets are keyed by row: choosing another row starts again from what that row said.
    query = st.text_input("Commune (nom ou code postal)", key=f"placing-query-{key}",
                          value=_likely_commune(str(row["location_text"])))
    suggestions = data.commune_search().suggest(query) if query else pd.DataFrame()
    picked = None
    if not suggestions.empty:
        codes = suggestions["insee_code"].tolist()
        picked = st.selectbox("Commune proposée", codes, key=f"placing-commune-{key}",
                              format_func=dict(zip(codes, suggestions["label"])).get)
    clicked = _clicked_point(picked)
    if clicked:
        found = commune_at(data.reference().communes, *clicked)
        if found is None:
            st.warning("Ce point n'est dans aucune commune française.")
        return found or picked
    return picked


def _likely_commune(location_text: str) -> str:
    """The part of what the row said that looks most like a commune name (for the search box).

    Examples
    --------
    >>> _likely_commune("99999, Renne"), _likely_commune("35000"), _likely_commune("")
    ('Renne', '35000', '')
    """
    parts = [part.strip() for part in location_text.split(",") if part.strip()]
    named = [part for part in parts if any(char.isalpha() for char in part)]
    if named:
        return named[-1]
    return parts[0] if parts else ""


def _clicked_point(picked: str | None) -> tuple[float, float] | None:
    """Or click on the map: the point clicked last (lon, lat)."""
    center, zoom = FRANCE_CENTER, 6
    if picked:
        commune = data.reference().communes.loc[picked]
        center, zoom = (float(commune["lat"]), float(commune["lon"])), 12
    fmap = new_map(center, zoom_start=zoom)
    if picked:
        folium.CircleMarker(center, radius=7, color="#E1000F", fill=True, tooltip="Commune proposée").add_to(fmap)
    st.caption("… ou cliquez sur la carte à l'endroit de la structure.")
    state = st_folium(fmap, height=MAP_HEIGHT, use_container_width=True, returned_objects=["last_clicked"],
                      key=f"placing-map-{picked}")
    clicked = (state or {}).get("last_clicked")
    return (float(clicked["lng"]), float(clicked["lat"])) if clicked else None
