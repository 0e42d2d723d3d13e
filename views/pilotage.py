"""« Pilotage » — for the national team and the hubs: progress month by month, and the imports of each hub.

Aggregates only (counts and shares): no personal data on this page. The definitions live in
:mod:`loaders.progress`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from loaders.progress import Headline, french_count, imports_per_hub, monthly_progress
from loaders.safe_files import xlsx_bytes
from store.access import Agent, Scope
from views import chrome, data, signin, url_state
from views.labels import VEGA_FRENCH_LOCALE, csv_for_french_excel, french_table

EVERYWHERE = ""  # the URL code of « every theme » and of « the whole of France »
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROGRESS_HEADERS: dict[str, str] = {
    "month": "Mois",
    "referenced": "Référencé·es (cumul)",
    "in_training": "En formation",
    "trained": "Formé·es (cumul)",
    "conum_share_referenced": "Part de Conseillers numériques parmi les référencé·es (%)",
    "conum_share_trained": "Part de Conseillers numériques parmi les formé·es (%)",
}
CHART_COLUMNS: dict[str, str] = {"referenced": "Référencé·es", "in_training": "En formation", "trained": "Formé·es"}
# Bleu France, orange and green of the State's design system, in the order of CHART_COLUMNS.
CHART_COLOURS = ("#000091", "#b34000", "#18753c")
SHARE_HEADERS = (PROGRESS_HEADERS["conum_share_referenced"], PROGRESS_HEADERS["conum_share_trained"])
IMPORT_HEADERS: dict[str, str] = {
    "hub": "Hub", "month": "Mois", "batches": "Imports", "rows": "Lignes lues", "accepted_rows": "Lignes acceptées",
    "rejected_rows": "Lignes rejetées",
}
UNNAMED_HUB = "Hub non renseigné"
DEFINITIONS = (
    "Un référencement compte à partir du mois de la réponse au formulaire (à défaut, de son premier import), une "
    "formation à partir du mois de formation (à défaut, du premier import qui la montre), mais jamais avant le "
    "référencement : une personne formée avant de répondre au formulaire compte comme formée à partir de sa "
    "réponse. Les courbes cumulent jusqu'au mois indiqué et ne baissent jamais ; chaque mois, il y a au plus autant "
    "de formé·es que de référencé·es. « En formation » compte les personnes en formation aujourd'hui, et « toutes "
    "les thématiques » compte chaque personne une fois. « En N mois » va du premier mois de référencement au mois "
    "en cours, tous deux inclus, comme la courbe ; les référencements refusés à la vérification sont exclus de "
    "tous les chiffres."
)
INTRODUCTION = (
    "La progression mois par mois des animateur·rices référencé·es, en formation et formé·es, et les "
    "imports de chaque hub."
)


@dataclass(frozen=True)
class Selection:
    """The selection of the page: theme and région codes (``None`` for everything), and how to name it."""

    theme: str | None
    region: str | None
    description: str

    @property
    def file_stem(self) -> str:
        return f"pilotage-{self.theme or 'toutes-thematiques'}-{self.region or 'france'}"


def render() -> None:
    batches = data.batches()
    chrome.page_header("Pilotage", INTRODUCTION, batches)
    agent = signin.pilot_agent()
    selection = _selection(agent.scope)
    records = data.scoped_records(agent.scope)
    # One series for the headline, the chart and the table: « En N mois » counts the months drawn.
    series = monthly_progress(records, selection.theme, selection.region, until=_current_month())
    if series.empty:
        st.info("Aucun animateur référencé pour cette sélection.")
    else:
        _headline(Headline.of(series), selection)
        _progress(series, selection, agent)
    _imports(data.scoped_batches(agent.scope), agent)
    st.caption(DEFINITIONS)
    chrome.footer(batches)


def _selection(scope: Scope) -> Selection:
    registry = data.themes()
    themes = {EVERYWHERE: "Toutes les thématiques", **{slug: registry.get(slug).label for slug in registry.slugs()}}
    # The records are those of the agent's scope already; a national agent may narrow to a région.
    regions = ({EVERYWHERE: "Toute la France", **data.reference().regions["nom"].sort_values().to_dict()}
               if scope.level == "france" else {EVERYWHERE: f"Votre périmètre ({scope.label})"})
    columns = st.columns(2)
    with columns[0]:
        theme = url_state.choice("Thématique", themes, EVERYWHERE, key="theme")
    with columns[1]:
        region = url_state.choice("Région", regions, EVERYWHERE, key="region")
    # For one theme a record is a person; over every theme a person may hold several records.
    counted = " (chaque personne comptée une fois)" if theme == EVERYWHERE else ""
    return Selection(theme or None, region or None, f"{themes[theme]}{counted} · {regions[region]}")


def _current_month() -> pd.Period:
    # The store's own dates are naive UTC.
    return pd.Period(datetime.now(UTC).replace(tzinfo=None), freq="M")


def _headline(figures: Headline, selection: Selection) -> None:
    st.subheader(figures.sentence())
    st.caption(selection.description)
    columns = st.columns(4)
    columns[0].metric("Référencé·es", french_count(figures.referenced))
    columns[1].metric("En formation", french_count(figures.in_training))
    columns[2].metric("Formé·es", french_count(figures.trained))
    columns[3].metric("Part de Conseillers numériques", _percent(figures.conum_share_referenced),
                      help=f"Parmi les référencé·es ; parmi les formé·es : {_percent(figures.conum_share_trained)}.")


def _percent(share: float) -> str:
    return "—" if np.isnan(share) else f"{share * 100:.0f} %"


def _progress(series: pd.DataFrame, selection: Selection, agent: Agent) -> None:
    st.subheader("Évolution mois par mois")
    st.altair_chart(progress_chart(series), width="stretch",
                    alt="Courbes cumulées des référencé·es, en formation et formé·es, mois par mois ; "
                        "les mêmes chiffres sont dans le tableau qui suit.")
    # The same figures as a table: a chart alone is out of reach of screen readers.
    table = _progress_table(series)
    st.dataframe(french_table(table, decimals={share: 1 for share in SHARE_HEADERS}), hide_index=True,
                 width="stretch")
    _downloads(table, "Évolution mensuelle", selection.file_stem, "Pilotage", agent)


def progress_chart(series: pd.DataFrame) -> alt.Chart:
    """The cumulative curves, with French months and numbers whatever the browser's language.

    Months are UTC midnights read with UTC time units: a browser west of Greenwich would otherwise
    show 1 January 00:00 UTC as December.
    """
    long = (series[list(CHART_COLUMNS)].rename(columns=CHART_COLUMNS)
            .set_axis(series.index.to_timestamp(), axis="index").rename_axis("month").reset_index()
            .melt("month", var_name="curve", value_name="count"))
    month = {"field": "month", "type": "temporal", "timeUnit": "utcyearmonth"}
    chart = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X(**month, title="Mois", axis=alt.Axis(format="%b %Y", labelOverlap=True)),
        y=alt.Y("count:Q", title="Animateur·rices", axis=alt.Axis(format=",d", tickMinStep=1)),
        color=alt.Color("curve:N", title=None, sort=list(CHART_COLUMNS.values()),
                        scale=alt.Scale(domain=list(CHART_COLUMNS.values()), range=list(CHART_COLOURS)),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip(**month, title="Mois", format="%B %Y"), alt.Tooltip("curve:N", title="Courbe"),
                 alt.Tooltip("count:Q", title="Animateur·rices", format=",d")],
    )
    # SVG, not canvas: the labels are text that assistive technologies (and tests) can read.
    return chart.properties(usermeta={"embedOptions": {"renderer": "svg"}}).configure(locale=VEGA_FRENCH_LOCALE)


def _progress_table(series: pd.DataFrame) -> pd.DataFrame:
    """The monthly series as shown and exported: French headers, shares in percent."""
    table = series.reset_index()
    table["month"] = table["month"].astype(str)
    for share in ("conum_share_referenced", "conum_share_trained"):
        table[share] = (table[share] * 100).round(1)
    return table[list(PROGRESS_HEADERS)].rename(columns=PROGRESS_HEADERS)


def _imports(batches: pd.DataFrame, agent: Agent) -> None:
    st.subheader("Imports par hub")
    per_hub = imports_per_hub(batches)
    if per_hub.empty:
        st.info("Aucun import pour le moment.")
        return
    table = per_hub.assign(hub=per_hub["hub"].replace("", UNNAMED_HUB), month=per_hub["month"].astype(str))
    table = table.rename(columns=IMPORT_HEADERS)
    st.dataframe(french_table(table), hide_index=True, width="stretch")
    _downloads(table, "Imports par hub", "imports-par-hub", "Imports", agent)


def _downloads(table: pd.DataFrame, label: str, file_stem: str, sheet: str, agent: Agent) -> None:
    downloads = ((f"{label} (CSV)", csv_for_french_excel(table), f"{file_stem}.csv", "text/csv"),
                 (f"{label} (XLSX)", xlsx_bytes(table, sheet), f"{file_stem}.xlsx", XLSX_MIME))
    for column, (button, content, file_name, mime) in zip(st.columns(2), downloads):
        column.download_button(button, content, file_name, mime, on_click=signin.log_export,
                               args=(agent, "pilotage", file_name))


# Streamlit runs a page as ``__main__``; importing it (for its helpers) draws nothing.
if __name__ == "__main__":
    render()
