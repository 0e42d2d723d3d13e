"""« Préparer les formations » — for hubs: whom to train, and where to hold the sessions."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.coverage import DEFAULT_RADIUS_KM
from geo.planning import coverage_sites, session_sites, training_pool
from loaders.normalize import IN_TRAINING, REFERENCED, TRAINED
from loaders.safe_files import csv_bytes, xlsx_bytes
from loaders.access import Agent, Scope
from views import chrome, data, signin, url_state
from views.territory import territory_choice
from views.basemap import marker_cluster, new_map
from views.labels import DEFAULT_MODERATION, MODERATION_LABELS, STATUS_LABELS
from views.safe_html import escape

MAP_HEIGHT = 520
FRAME_HEIGHT_CSS = f"<style>iframe[title='streamlit_folium.st_folium']{{height:{MAP_HEIGHT}px !important}}</style>"
POOL_CALLBACK = """
function (row) {
    var marker = L.circleMarker(new L.LatLng(row[0], row[1]), {radius: 6, color: "#000091", weight: 1,
                                                               fillOpacity: 0.7});
    marker.bindTooltip(row[2]);
    return marker;
}
"""
INVITATION_HEADERS = {
    "full_name": "Nom", "email": "Courriel", "phone": "Téléphone", "structure": "Structure", "commune": "Commune",
    "session_commune": "Session proposée", "travel_km": "Distance à la session (km)",
}
INTRODUCTION = (
    "Pour une région ou un département : qui reste à former, et où organiser les prochaines "
    "sessions."
)


def render() -> None:
    batches = data.batches()
    chrome.page_header("Préparer les formations", INTRODUCTION, batches)
    agent = signin.pilot_agent()
    scope_label, in_scope = _area(agent.scope)
    if in_scope is None:
        st.info("Choisissez une région pour commencer.")
        chrome.footer(batches)
        return
    theme, conum_only, moderation, sites, radius_km = _filters()
    records = data.theme_records(theme, conum_only, moderation, agent.scope)
    scoped = records[records["insee_code"].isin(in_scope)]
    _counts_by_epci(scoped)
    pool = training_pool(records, in_scope)
    _pool_map(pool, in_scope)
    coverage_tab, sessions_tab = st.tabs(["Couvrir le plus d'habitants", "Réduire les trajets des stagiaires"])
    with coverage_tab:
        _coverage_plan(records, in_scope, sites, radius_km)
    with sessions_tab:
        assignments = _session_plan(records, in_scope, sites)
    _invitations(pool, assignments, agent, scope_label)
    chrome.footer(batches)


def _area(scope: Scope) -> tuple[str, pd.Index | None]:
    """Name and communes of the chosen région or département (``None`` until one is chosen)."""
    region, departement = territory_choice(scope, "Choisir une région")
    if not region:
        return "", None
    reference = data.reference()
    communes = reference.communes
    if departement:
        return (f"{reference.departements.loc[departement, 'nom']} ({departement})",
                communes.index[communes["departement_code"] == departement])
    return reference.regions.loc[region, "nom"], communes.index[communes["region_code"] == region]


def _filters() -> tuple[str, bool, tuple[str, ...], int, int]:
    registry = data.themes()
    columns = st.columns([2, 2, 2, 2, 2], vertical_alignment="bottom")
    with columns[0]:
        theme = url_state.choice("Thématique", {s: registry.get(s).label for s in registry.slugs()}, "cafe-ia",
                                 key="theme")
    with columns[1]:
        moderation = url_state.choices("Vérification", MODERATION_LABELS, DEFAULT_MODERATION, key="verif")
    with columns[2]:
        conum_only = url_state.flag("Conseillers numériques uniquement", key="conum")
    with columns[3]:
        sites = url_state.number("Nombre de sessions ou de sites", key="sites", minimum=1, maximum=20, default=5)
    with columns[4]:
        radius = url_state.number("Rayon de couverture (km)", key="rayon", minimum=5, maximum=50,
                                  default=int(DEFAULT_RADIUS_KM))
    return theme, conum_only, tuple(moderation), sites, radius


def _counts_by_epci(scoped: pd.DataFrame) -> None:
    st.subheader("Où en est le territoire ?")
    if scoped.empty:
        st.info("Aucun animateur référencé dans ce territoire pour cette thématique.")
        return
    distinct = scoped.drop_duplicates(["animator_id", "training_status"])
    counts = distinct.groupby(["epci", "training_status"]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=[REFERENCED, IN_TRAINING, TRAINED], fill_value=0)
    counts = counts.rename(columns=STATUS_LABELS).rename_axis("EPCI").sort_values(STATUS_LABELS[REFERENCED],
                                                                                 ascending=False)
    totals = counts.sum()
    st.markdown(" · ".join(f"**{int(totals[label])}** {label.lower()}" for label in counts.columns))
    st.dataframe(counts, width="stretch")


def _pool_map(pool: pd.DataFrame, in_scope: pd.Index) -> None:
    st.subheader("Le vivier à former")
    st.caption(f"{len(pool)} animateur·rice(s) référencé·e(s), pas encore formé·e(s), sur la carte.")
    communes = data.reference().communes.loc[in_scope]
    fmap = new_map((float(communes["lat"].mean()), float(communes["lon"].mean())), zoom_start=8)
    points = [[row.lat, row.lon, escape(f"{row.structure or 'Structure non renseignée'} — {row.commune}")]
              for row in pool.itertuples(index=False)]
    marker_cluster(points, POOL_CALLBACK).add_to(fmap)
    fmap.fit_bounds([[communes["lat"].min(), communes["lon"].min()], [communes["lat"].max(), communes["lon"].max()]])
    st.html(FRAME_HEIGHT_CSS)
    st_folium(fmap, height=MAP_HEIGHT, use_container_width=True, returned_objects=[], key="formations-vivier")


def _coverage_plan(records: pd.DataFrame, in_scope: pd.Index, sites: int, radius_km: int) -> None:
    st.markdown(f"Les communes où former des animateur·rices du vivier couvrirait le plus d'habitants encore à plus "
                f"de {radius_km} km d'un animateur formé (choix glouton, au moins 63 % de l'optimum).")
    plan = coverage_sites(data.reference().communes, records, in_scope, sites, float(radius_km)).sites
    if plan.empty:
        st.info("Aucun site n'ajouterait d'habitants couverts : le territoire est couvert, ou le vivier est vide.")
        return
    st.dataframe(pd.DataFrame({
        "Rang": plan["rank"], "Commune": plan["commune"], "Habitants ajoutés": plan["added_population"],
        "Part couverte cumulée (%)": (plan["cumulative_covered_share"] * 100).round(1),
    }), hide_index=True, width="stretch")


def _session_plan(records: pd.DataFrame, in_scope: pd.Index, sites: int) -> pd.DataFrame | None:
    st.markdown("Les communes où réunir le vivier pour que le trajet total des stagiaires soit le plus court "
                "(p-médiane).")
    sessions = session_sites(data.reference().communes, records, in_scope, sites)
    if sessions.sites.empty:
        st.info("Personne à former dans ce territoire pour cette thématique.")
        return None
    plan, assignments = sessions.sites, sessions.assignments
    st.dataframe(pd.DataFrame({
        "Rang": plan["rank"], "Commune": plan["commune"], "Stagiaires": plan["trainees"].astype(int),
        "Trajet moyen (km)": plan["mean_travel_km"].round(1),
    }), hide_index=True, width="stretch")
    return assignments


def _invitations(pool: pd.DataFrame, assignments: pd.DataFrame | None, agent: Agent, area: str) -> None:
    """The invitation list holds personal data: its downloads are recorded in the access log."""
    st.subheader("Liste d'invitation")
    if pool.empty:
        st.caption("Personne à inviter.")
        return
    table = invitation_list(pool, assignments, agent.scope)
    name = f"invitations-{area}".replace(" ", "-").lower()
    downloads = (("Liste d'invitation (CSV)", csv_bytes(table), f"{name}.csv", "text/csv"),
                 ("Liste d'invitation (XLSX)", xlsx_bytes(table, "Invitations"), f"{name}.xlsx",
                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    for column, (label, content, file_name, mime) in zip(st.columns(2), downloads):
        column.download_button(label, content, file_name, mime, on_click=signin.log_export,
                               args=(agent, "formations", file_name))


def invitation_list(pool: pd.DataFrame, assignments: pd.DataFrame | None, scope: Scope) -> pd.DataFrame:
    """Name, contact, structure and proposed session of each person to invite (French headers)."""
    people = data.personal_details(scope).reindex(pool["animator_id"])
    table = pd.DataFrame({"full_name": people["full_name"].to_numpy(), "email": people["email"].to_numpy(),
                          "phone": people["phone"].to_numpy(), "structure": pool["structure"].to_numpy(),
                          "commune": pool["commune"].to_numpy()})
    if assignments is not None:
        session = assignments.set_index("animator_id").reindex(pool["animator_id"])
        table["session_commune"] = session["insee_code"].map(data.reference().communes["nom"]).to_numpy()
        table["travel_km"] = session["travel_km"].to_numpy()
    return table.rename(columns=INVITATION_HEADERS)


# Streamlit runs a page as ``__main__``; importing it (for its helpers) draws nothing.
if __name__ == "__main__":
    render()
