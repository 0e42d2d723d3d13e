"""Placing a rejected row by hand: pick its commune, or click on the map; the fix is remembered.

Used by the « Contrôler la cartographie » page. The fix is stored by the row's location key
(:func:`loaders.pipeline.location_keys`), so the next import of the same row is placed with it.
Rows that no fix may place (:class:`loaders.fixes.Placeability`) are listed apart, with the reason.
"""

from __future__ import annotations

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

import store
from geo.nearby import commune_at
from geo.search import CommuneSearch
from loaders.fixes import Placeability, Placing, placing_of
from store.access import Agent, OutOfScopeError
from views import data
from views.basemap import new_map
from views.safe_html import escape
from views.wording import counted

MAP_HEIGHT = 420
FRANCE_CENTER = (46.6, 2.4)
# Communes proposed for a search: a postcode may hold a few dozen.
PROPOSED_COMMUNES = 30
ROW_CHOICE_KEY = "placing-row"
NOTHING_SAID = "aucun lieu indiqué"
WHY_COLUMN = "Pourquoi elle ne peut pas être placée"
NOT_PLACEABLE = {
    Placeability.NO_LOCATION: "aucun lieu indiqué : à compléter dans le fichier",
    Placeability.OUTSIDE_REFERENCE: "{territory} : hors du référentiel géographique de la carte",
}


def place_rejected_rows(agent: Agent) -> None:
    """Rejected rows of the files the agent imported (every file's for the national team)."""
    st.subheader("Lignes rejetées à placer")
    rows = data.rejected_rows(agent)
    if rows.empty:
        st.caption("Aucune ligne rejetée à placer : toutes les lignes des imports ont trouvé leur commune.")
        return
    placings = pd.Series([placing_of(key, text) for key, text in zip(rows["location_key"], rows["location_text"])],
                         index=rows.index, dtype=object)
    placeable = placings.map(lambda placing: placing.placeability is Placeability.PLACEABLE)
    if placeable.any():
        _place_one(rows[placeable], placings[placeable], agent)
    else:
        st.caption("Aucune ligne rejetée ne peut être placée à la main.")
    if not placeable.all():
        _not_placeable(rows[~placeable], placings[~placeable])


def _place_one(rows: pd.DataFrame, placings: pd.Series, agent: Agent) -> None:
    """Choose one placeable row, its commune, and save the fix."""
    st.markdown(f"{counted(len(rows), 'ligne rejetée', 'lignes rejetées')} faute de lieu. Choisissez la commune d'une ligne : la correction "
                "sera reprise à chaque prochain import de cette même ligne.")
    # A row is named by its import and spreadsheet row: once a row is placed, the others keep their widgets.
    ids = row_ids(rows)
    labels = dict(zip(ids, map(row_label, rows["file_name"], rows["source_row"], rows["location_text"],
                               rows["reason"]), strict=True))
    chosen = st.selectbox("Ligne à placer", ids, format_func=labels.get, key=ROW_CHOICE_KEY)
    position = ids.index(chosen)
    row, placing = rows.iloc[position], placings.iloc[position]
    insee_code = _choose_place(placing, key=chosen)
    if insee_code is None:
        return
    commune = data.reference().communes.loc[insee_code]
    if st.button(f"Placer cette ligne à {commune['nom']} ({commune['departement_code']})"):
        said = shown(row["location_text"])
        try:
            store.save_fix(data.engine(), row["location_key"], insee_code, description=said, agent=agent)
        except OutOfScopeError as error:
            st.error(str(error))
            return
        data.refresh()
        st.success(f"Correction enregistrée : « {escape(said)} » → {escape(commune['nom'])}.")


def _not_placeable(rows: pd.DataFrame, placings: pd.Series) -> None:
    """The rejected rows no fix may place, with the reason, so that the hub corrects them in the file."""
    st.markdown(f"{counted(len(rows), 'ligne rejetée ne peut pas être placée', 'lignes rejetées ne peuvent pas être placées')} ici. Une ligne sans lieu se "
                "corrige dans le fichier (code postal et commune), qui est ensuite importé de nouveau ; la carte "
                "ne couvre que la métropole et les départements d'outre-mer (référentiel géographique du COG).")
    st.dataframe(not_placeable_table(rows, placings), hide_index=True, width="stretch",
                 column_config={"Ligne": st.column_config.NumberColumn(width="small")})


def not_placeable_table(rows: pd.DataFrame, placings: pd.Series) -> pd.DataFrame:
    """File, row, why no fix may place it and what the row said, one line per row."""
    return pd.DataFrame({
        "Fichier": rows["file_name"].map(shown).to_numpy(),
        "Ligne": rows["source_row"].astype(int).to_numpy(),
        WHY_COLUMN: [_why_not(placing) for placing in placings],
        "Ce que dit la ligne": [shown(text) or NOTHING_SAID for text in rows["location_text"]],
    })


def _why_not(placing: Placing) -> str:
    why = NOT_PLACEABLE[placing.placeability].format(territory=placing.territory)
    return why[:1].upper() + why[1:]


def row_ids(rows: pd.DataFrame) -> list[str]:
    """Each rejected row's identity: its import and its spreadsheet row (``"12:5"``)."""
    return [f"{int(batch)}:{int(row)}" for batch, row in zip(rows["batch_id"], rows["source_row"], strict=True)]


def row_label(file_name: object, source_row: int, location_text: object, reason: object) -> str:
    """How a rejected row is named in the list: file, row, what it said about its place, why it was rejected.

    Examples
    --------
    >>> row_label("export.csv", 4, None, "Aucune localisation")
    'export.csv, ligne 4 — « aucun lieu indiqué » : Aucune localisation'
    """
    said = shown(location_text) or NOTHING_SAID
    return f"{shown(file_name)}, ligne {int(source_row)} — « {said} » : {shown(reason)}"


def shown(value: object) -> str:
    """A stored value as a person reads it: a missing one (``None``, NaN) is empty, never « nan ».

    Examples
    --------
    >>> shown(None), shown(float("nan")), shown(pd.NA), shown(" Renne ")
    ('', '', '', 'Renne')
    """
    return value.strip() if isinstance(value, str) else ""


def _choose_place(placing: Placing, key: str) -> str | None:
    """A commune picked by name, or the commune under a click on the map."""
    # Widgets are keyed by row: choosing another row starts again from what that row said.
    query = st.text_input("Commune (nom ou code postal)", key=f"placing-query-{key}", value=placing.search)
    suggestions = proposed_communes(data.commune_search(), query)
    picked = None
    if not suggestions.empty:
        codes = suggestions["insee_code"].tolist()
        picked = st.selectbox("Commune proposée", codes, key=f"placing-commune-{key}",
                              format_func=dict(zip(codes, suggestions["label"])).get)
    elif query.strip():
        st.caption("Aucune commune ne correspond : modifiez la recherche, ou cliquez sur la carte.")
    clicked = _clicked_point(picked)
    if clicked:
        found = commune_at(data.reference().communes, *clicked)
        if found is None:
            st.warning("Ce point n'est dans aucune commune française.")
        return found or picked
    return picked


def proposed_communes(search: CommuneSearch, query: str) -> pd.DataFrame:
    """The communes proposed for a search: for « postcode name », the communes of that postcode of
    that name, else all the communes of the postcode, else those of the name; otherwise what
    :meth:`geo.search.CommuneSearch.suggest` finds.

    A row is often rejected because its commune name is wrong: its postcode still tells where it is.
    """
    wanted = placing_of(None, query)
    if not (wanted.code and wanted.commune):
        return search.suggest(query, limit=PROPOSED_COMMUNES)
    by_code = search.suggest(wanted.code, limit=PROPOSED_COMMUNES)
    by_name = search.suggest(wanted.commune, limit=PROPOSED_COMMUNES)
    both = by_code[by_code["insee_code"].isin(by_name["insee_code"])]
    return next((found for found in (both, by_code, by_name) if not found.empty), by_name)


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
