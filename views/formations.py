"""« Préparer les formations » — for hubs: whom to train, and where to hold the sessions."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from core.vocabulary import DEFAULT_MODERATION, IN_TRAINING, MODERATION_LABELS, REFERENCED, STATUS_LABELS, TRAINED
from geo.coverage import DEFAULT_RADIUS_KM
from geo.planning import (
    SHORTFALL_NOTES,
    CoveringPlan,
    Shortfall,
    TrainingSessions,
    assign_trainees,
    coverage_sites,
    session_sites,
    training_pool,
    within,
)
from loaders.safe_files import xlsx_bytes
from store.access import Agent, Scope
from views import chrome, data, signin, url_state
from views.basemap import marker_cluster, new_map
from views.labels import csv_for_french_excel, french_number, french_table
from views.safe_html import escape
from views.territory import territory_choice
from views.wording import plural

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
INVITATION_DISTANCE = "Distance à la session (km)"
INVITATION_HEADERS = {
    "full_name": "Nom", "email": "Courriel", "phone": "Téléphone", "structure": "Structure", "commune": "Commune",
    "session_commune": "Session proposée", "travel_km": INVITATION_DISTANCE,
}
INTRODUCTION = (
    "Pour une région ou un département : qui reste à former, et où organiser les prochaines "
    "sessions."
)


class PlanKind(StrEnum):
    """The two plans of the page; the value is the URL code (``?plan=trajets``)."""

    COVERAGE = "couvrir"
    SESSIONS = "trajets"


PLAN_TABS: dict[PlanKind, str] = {PlanKind.COVERAGE: "Couvrir le plus d'habitants",
                                  PlanKind.SESSIONS: "Réduire les trajets des stagiaires"}
DEFAULT_PLAN = PlanKind.COVERAGE
# Session state of the tabs: which one is open (its label). The URL keeps the plan's code.
PLAN_STATE = "formations-plan"
# How each count of the territory reads (« 1 référencé·e », « 8 référencé·es »).
STATUS_COUNT_WORDS: dict[str, tuple[str, str]] = {
    REFERENCED: ("référencé·e", "référencé·es"), IN_TRAINING: ("en formation", "en formation"),
    TRAINED: ("formé·e", "formé·es"),
}


@dataclass(frozen=True)
class Filters:
    """What the agent chose above the plans."""

    theme: str
    conum_only: bool
    moderation: tuple[str, ...]
    sites: int
    radius_km: int


def render() -> None:
    batches = data.batches()
    chrome.page_header("Préparer les formations", INTRODUCTION, batches)
    agent = signin.pilot_agent()
    scope_label, in_scope = _area(agent.scope)
    if in_scope is None:
        st.info("Choisissez une région pour commencer.")
        chrome.footer(batches)
        return
    filters = _filters()
    records = data.theme_records(filters.theme, filters.conum_only, filters.moderation, agent.scope)
    scoped = records[within(records["insee_code"], in_scope)]
    _counts_by_epci(scoped)
    pool = training_pool(scoped, in_scope)
    _pool_map(pool, in_scope)
    chosen, assignments = _plans(records, pool, in_scope, filters)
    _invitations(pool, assignments, chosen, agent, scope_label, filters)
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


def _filters() -> Filters:
    registry = data.themes()
    # Two rows: the multiselect needs room for its chips.
    first, second = st.columns([2, 3, 3], vertical_alignment="bottom"), st.columns(2, vertical_alignment="bottom")
    with first[0]:
        theme = url_state.choice("Thématique", {s: registry.get(s).label for s in registry.slugs()}, "cafe-ia",
                                 key="theme")
    with first[1]:
        moderation = url_state.choices("Vérification", MODERATION_LABELS, DEFAULT_MODERATION, key="verif")
    with first[2]:
        conum_only = url_state.flag("Conseillers numériques uniquement", key="conum")
    with second[0]:
        sites = url_state.number("Nombre de sessions ou de sites", key="sites", minimum=1, maximum=20, default=5)
    with second[1]:
        radius = url_state.number("Rayon de couverture (km)", key="rayon", minimum=5, maximum=50,
                                  default=int(DEFAULT_RADIUS_KM))
    return Filters(theme, conum_only, tuple(moderation), sites, radius)


def _counts_by_epci(scoped: pd.DataFrame) -> None:
    st.subheader("Où en est le territoire ?")
    if scoped.empty:
        st.info("Aucun animateur référencé dans ce territoire pour cette thématique.")
        return
    counts, totals = epci_counts(scoped)
    st.markdown(" · ".join(f"**{french_number(totals[status])}** {plural(totals[status], *STATUS_COUNT_WORDS[status])}"
                           for status in counts.columns))
    counts = counts.rename(columns=STATUS_LABELS).rename_axis("EPCI").sort_values(STATUS_LABELS[REFERENCED],
                                                                                 ascending=False)
    st.dataframe(french_table(counts), width="stretch")


def epci_counts(scoped: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Persons per EPCI and training status, and in the whole territory (one row per place in ``scoped``).

    A person with places in two EPCIs counts in each of them, and once in the territory's totals.
    """
    statuses = [REFERENCED, IN_TRAINING, TRAINED]
    distinct = scoped.drop_duplicates(["animator_id", "training_status", "epci"])
    counts = distinct.groupby(["epci", "training_status"]).size().unstack(fill_value=0)
    totals = scoped.drop_duplicates(["animator_id", "training_status"])["training_status"].value_counts()
    return counts.reindex(columns=statuses, fill_value=0), totals.reindex(statuses, fill_value=0)


def _pool_map(pool: pd.DataFrame, in_scope: pd.Index) -> None:
    st.subheader("Le vivier à former")
    people = plural(len(pool), "animateur·rice référencé·e, pas encore formé·e, sur la carte",
                    "animateur·rices référencé·es, pas encore formé·es, sur la carte")
    st.caption(f"{french_number(len(pool))} {people}.")
    communes = data.reference().communes.loc[in_scope]
    fmap = new_map((float(communes["lat"].mean()), float(communes["lon"].mean())), zoom_start=8)
    points = [[row.lat, row.lon, escape(f"{row.structure or 'Structure non renseignée'} — {row.commune}")]
              for row in pool.itertuples(index=False)]
    marker_cluster(points, POOL_CALLBACK).add_to(fmap)
    fmap.fit_bounds([[communes["lat"].min(), communes["lon"].min()], [communes["lat"].max(), communes["lon"].max()]])
    st.html(FRAME_HEIGHT_CSS)
    st_folium(fmap, height=MAP_HEIGHT, use_container_width=True, returned_objects=[], key="formations-vivier")


def _plans(records: pd.DataFrame, pool: pd.DataFrame, in_scope: pd.Index,
           filters: Filters) -> tuple[PlanKind, pd.DataFrame]:
    """Draw both plans in their tabs; return the open one and who goes to which of its sites.

    Both plans are computed on every run (a few milliseconds): switching tabs shows the other at once,
    and the invitation list below follows the open tab, whose code the URL keeps (``?plan=``).
    """
    st.subheader("Où organiser les sessions ?")
    if PLAN_STATE not in st.session_state:
        st.session_state[PLAN_STATE] = PLAN_TABS[_plan_of_url()]
    coverage_tab, sessions_tab = st.tabs(list(PLAN_TABS.values()), key=PLAN_STATE, on_change="rerun")
    communes = data.reference().communes
    with coverage_tab:
        coverage = _coverage_plan(records, in_scope, filters)
    with sessions_tab:
        sessions = _session_plan(records, in_scope, filters)
    chosen = PlanKind.SESSIONS if sessions_tab.open else PlanKind.COVERAGE
    url_state.publish("plan", None if chosen is DEFAULT_PLAN else chosen.value)
    if chosen is PlanKind.SESSIONS:
        return chosen, sessions.assignments
    return chosen, assign_trainees(pool, communes, coverage.sites["insee_code"].tolist())


def _plan_of_url() -> PlanKind:
    code = st.query_params.get("plan")
    return PlanKind(code) if code in {kind.value for kind in PlanKind} else DEFAULT_PLAN


def _coverage_plan(records: pd.DataFrame, in_scope: pd.Index, filters: Filters) -> CoveringPlan:
    st.markdown(f"Les communes où former des animateur·rices du vivier couvrirait le plus d'habitants encore à plus "
                f"de {filters.radius_km} km d'un animateur formé (choix glouton, au moins 63 % de l'optimum).")
    plan = coverage_sites(data.reference().communes, records, in_scope, filters.sites, float(filters.radius_km))
    _shortfall_notice(len(plan.sites), filters.sites, plan.shortfall)
    if not plan.sites.empty:
        st.dataframe(french_table(pd.DataFrame({
            "Rang": plan.sites["rank"], "Commune": plan.sites["commune"],
            "Habitants ajoutés": plan.sites["added_population"],
            "Part couverte cumulée (%)": (plan.sites["cumulative_covered_share"] * 100).round(1),
        }), decimals={"Part couverte cumulée (%)": 1}), hide_index=True, width="stretch")
    return plan


def _session_plan(records: pd.DataFrame, in_scope: pd.Index, filters: Filters) -> TrainingSessions:
    st.markdown("Les communes où réunir le vivier pour que le trajet total des stagiaires soit le plus court "
                "(p-médiane).")
    sessions = session_sites(data.reference().communes, records, in_scope, filters.sites)
    _shortfall_notice(len(sessions.sites), filters.sites, sessions.shortfall)
    if not sessions.sites.empty:
        st.dataframe(french_table(pd.DataFrame({
            "Rang": sessions.sites["rank"], "Commune": sessions.sites["commune"],
            "Stagiaires": sessions.sites["trainees"].astype(int),
            "Trajet moyen (km)": sessions.sites["mean_travel_km"].round(1),
        }), decimals={"Trajet moyen (km)": 1}), hide_index=True, width="stretch")
    return sessions


def _shortfall_notice(count: int, asked: int, shortfall: Shortfall | None) -> None:
    """Say why a plan holds fewer sites than the agent asked for."""
    if shortfall is None:
        return
    if count == 0:
        st.info(f"Aucun site proposé : {SHORTFALL_NOTES[shortfall]}.")
        return
    st.info(f"{count} {plural(count, 'site proposé', 'sites proposés')} sur {asked} "
            f"{plural(asked, 'demandé', 'demandés')} : {SHORTFALL_NOTES[shortfall]}.")


def _invitations(pool: pd.DataFrame, assignments: pd.DataFrame, plan: PlanKind, agent: Agent, area: str,
                 filters: Filters) -> None:
    """Show and offer the invitation list: its views and downloads are recorded in the access log."""
    st.subheader("Liste d'invitation")
    if pool.empty:
        st.caption("Personne à inviter.")
        return
    table = invitation_list(pool, assignments if not assignments.empty else None, agent.scope)
    people = f"{french_number(len(table))} {plural(len(table), 'personne à inviter', 'personnes à inviter')}"
    if assignments.empty:
        st.caption(f"{people}. Le plan de l'onglet « {PLAN_TABS[plan]} » ne propose aucune session : "
                   "la liste n'indique pas de session.")
    else:
        st.caption(f"{people}. Sessions de l'onglet « {PLAN_TABS[plan]} » : chacun·e est invité·e au site "
                   "le plus proche de chez lui ou elle.")
    signin.log_once(agent, "view_personal", "formations", _viewed(area, plan, filters))
    st.dataframe(french_table(table, decimals={INVITATION_DISTANCE: 1}), hide_index=True, width="stretch")
    name = f"invitations-{area}-{plan.value}".replace(" ", "-").lower()
    downloads = (("Liste d'invitation (CSV)", csv_for_french_excel(table), f"{name}.csv", "text/csv"),
                 ("Liste d'invitation (XLSX)", xlsx_bytes(table, "Invitations"), f"{name}.xlsx",
                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    for column, (label, content, file_name, mime) in zip(st.columns(2), downloads):
        column.download_button(label, content, file_name, mime, on_click=signin.log_export,
                               args=(agent, "formations", file_name))


def _viewed(area: str, plan: PlanKind, filters: Filters) -> str:
    """What the access log records of a view of the list: the selection behind it."""
    conum = ", conseillers numériques" if filters.conum_only else ""
    return (f"invitations {area}, {filters.theme}{conum}, {'+'.join(filters.moderation)}, plan {plan.value}, "
            f"{filters.sites} sites")


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
