"""« Couverture du territoire » — for préfectures: which EPCIs and communes no trained animator reaches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st
from branca.element import MacroElement
from folium.template import Template
from streamlit_folium import st_folium

from core.vocabulary import DEFAULT_MODERATION, MODERATION_LABELS, REFERENCED, STATUS_LABELS, TRAINED
from geo.aggregates import PRIORITY_RULE, priority_ranks
from geo.choropleth import class_breaks, classify, geojson_payload, metropolitan_bounds, single_value_classes
from geo.coverage import DEFAULT_RADIUS_KM
from geo.nearby import nearest
from loaders.progress import french_count
from loaders.safe_files import xlsx_bytes
from store.access import Agent, Scope
from views import chrome, data, signin, url_state
from views.basemap import new_map
from views.labels import (
    E2SFCA_EXPLANATION,
    EXPORT_HEADERS,
    INDICATORS,
    MODERATION_SLUGS,
    STATUS_SLUGS,
    Indicator,
    csv_for_french_excel,
    french_number,
    french_table,
    km,
)
from views.safe_html import escape
from views.territory import territory_choice
from views.wording import plural

MAP_HEIGHT = 560
FRAME_HEIGHT_CSS = f"<style>iframe[title='streamlit_folium.st_folium']{{height:{MAP_HEIGHT}px !important}}</style>"
PALETTE = ("#e3e3fd", "#b1b1f9", "#7b7be8", "#4646c8", "#000091")
NO_VALUE_COLOUR = "#d9d9d9"
PRIORITY_ROWS = 15
NEAREST_IN_DETAILS = 5
FRANCE_CENTER = (46.6, 2.4)
# Quarter zoom levels: the whole of metropolitan France then fills the map instead of half of it.
ZOOM_SNAP = 0.25
# Long EPCI names wrap instead of making tooltips wider than half the map.
TOOLTIP_MAX_WIDTH = "min(20rem, 80vw)"
NATIONAL_EPCI_COUNT = 1_000
INTRODUCTION = (
    "Repérez les EPCI et les communes qu'aucun animateur formé n'atteint, puis emportez la liste."
)
PARIS = ZoneInfo("Europe/Paris")
EXPORT_FORMATS = (
    "Le CSV est fait pour Excel en français : séparateur point-virgule, virgule décimale (dans QGIS, cochez "
    "« virgule comme séparateur décimal »). Le XLSX et le GeoJSON gardent des nombres, pour les tableurs, QGIS et "
    "les scripts. Le nom de chaque fichier dit le territoire, la thématique, les statuts, le rayon et la date."
)


def render() -> None:
    batches = data.batches()
    chrome.page_header("Couverture du territoire", INTRODUCTION, batches)
    agent = signin.pilot_agent()
    region, departement = territory_choice(agent.scope, "Toute la France")
    indicator_code, selected, radius_km = _filters(agent.scope)
    level = "commune" if departement else "epci"
    table = _view_table(level, region, departement, selected, radius_km)
    if table.empty:
        st.info("Aucun territoire à afficher.")
        return
    indicator = INDICATORS[indicator_code]
    clicked = _choropleth(table, level, departement, indicator_code, indicator)
    _priorities(table, level)
    _exports(table, level, departement, export_stem(region, departement, selected, radius_km, _today()), agent)
    _details(table, level, clicked, selected)
    chrome.footer(batches)


@dataclass(frozen=True)
class Selected:
    """Which records the view counts."""

    theme: str
    statuses: tuple[str, ...]
    conum_only: bool
    moderation: tuple[str, ...]
    scope: Scope


def _filters(scope: Scope) -> tuple[str, Selected, int]:
    registry = data.themes()
    with st.container(border=True):
        indicator = url_state.choice("Indicateur", {code: i.label for code, i in INDICATORS.items()},
                                     "uncovered_share", key="indicateur", help=E2SFCA_EXPLANATION)
        # Two rows: the multiselects need room for their chips.
        first, second = st.columns([2, 3, 3], vertical_alignment="bottom"), st.columns(2, vertical_alignment="bottom")
        with first[0]:
            theme = url_state.choice("Thématique", {s: registry.get(s).label for s in registry.slugs()}, "cafe-ia",
                                     key="theme")
        with first[1]:
            statuses = url_state.choices("Animateur·rices pris·es en compte", STATUS_LABELS, [TRAINED], key="statut")
        with first[2]:
            moderation = url_state.choices("Vérification", MODERATION_LABELS, DEFAULT_MODERATION, key="verif")
        with second[0]:
            conum_only = url_state.flag("Conseillers numériques uniquement", key="conum")
        with second[1]:
            radius = url_state.number("Rayon de couverture (km)", key="rayon", minimum=5, maximum=50,
                                      default=int(DEFAULT_RADIUS_KM))
    return indicator, Selected(theme, tuple(statuses), conum_only, tuple(moderation), scope), radius


def _view_table(level: str, region: str, departement: str, selected: Selected, radius_km: int) -> pd.DataFrame:
    """The territories of the view, ranked among themselves."""
    table = data.territory_table(level, selected.theme, selected.statuses, selected.conum_only,
                                 selected.moderation, float(radius_km), selected.scope)
    communes = data.reference().communes
    if departement:
        table = table[table.index.isin(communes.index[communes["departement_code"] == departement])]
    elif region:
        table = table[table.index.isin(communes.loc[communes["region_code"] == region, "epci_code"])]
    table = table.copy()
    table["priority_rank"] = priority_ranks(table)
    return table


def _choropleth(table: pd.DataFrame, level: str, departement: str, code: str, indicator: Indicator) -> str | None:
    """Draw the map; return the code of the territory clicked last, if any."""
    values = table[code].to_numpy(dtype=float) * indicator.factor
    breaks = class_breaks(values)
    shapes = data.territory_shapes(level, departement or None)
    shapes = shapes[shapes.index.isin(table.index)]
    layer = shapes[["geometry"]].assign(
        code=shapes.index,
        nom=table["nom"].reindex(shapes.index).map(escape),
        valeur=table[code].reindex(shapes.index).map(indicator.format),
        classe=classify(table[code].reindex(shapes.index).to_numpy(dtype=float) * indicator.factor, breaks),
    )
    fmap = new_map(FRANCE_CENTER, zoom_start=6)
    fmap.options["zoomSnap"] = ZOOM_SNAP
    colours = class_colours(len(breaks))
    folium.GeoJson(
        geojson_payload(layer, ["code", "nom", "valeur", "classe"]),
        name=indicator.label,
        style_function=lambda feature: _style(feature, colours),
        highlight_function=lambda _: {"weight": 3, "color": "#E1000F"},
        tooltip=folium.GeoJsonTooltip(fields=["nom", "valeur"], aliases=["Territoire", indicator.label]),
    ).add_to(fmap)
    _TooltipsInside().add_to(fmap)
    if level == "commune" or len(shapes) < NATIONAL_EPCI_COUNT:
        # A région or a département: frame it.
        minx, miny, maxx, maxy = shapes.total_bounds
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    else:
        # France: the whole of the mainland, from the Nord to Corsica (overseas EPCIs are reached by zooming out).
        fmap.fit_bounds([list(corner) for corner in metropolitan_bounds(data.reference())])
    st.html(FRAME_HEIGHT_CSS)
    # Only a click on a territory reruns the page; panning and zooming do not.
    state = st_folium(fmap, height=MAP_HEIGHT, use_container_width=True, returned_objects=["last_active_drawing"],
                      key=f"couverture-{level}-{departement}")
    _legend(indicator, values, breaks)
    drawing = (state or {}).get("last_active_drawing") or {}
    return (drawing.get("properties") or {}).get("code")


class _TooltipsInside(MacroElement):
    """Keeps the map's tooltips inside the map: long names wrap, and a tooltip that would cross an edge is
    moved back in.

    Leaflet puts a tooltip beside the pointer (left or right of it, vertically centred), whatever its size:
    near the top or bottom edge, or right of the centre with a long EPCI name, the map's frame cut it. Each
    map is a frame of its own, so changing Leaflet's tooltip placement here changes no other map.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
            (function () {
                var style = document.createElement("style");
                // A tooltip sits in a pane of no width: without "max-content" it would wrap at every word.
                style.textContent = ".leaflet-tooltip { white-space: normal; width: max-content; "
                    + "max-width: {{ this.max_width }}; }"
                    + " .leaflet-tooltip th, .leaflet-tooltip td { white-space: normal; vertical-align: top; }";
                document.head.appendChild(style);
                var place = L.Tooltip.prototype._setPosition;
                L.Tooltip.prototype._setPosition = function (point) {
                    place.call(this, point);
                    var map = this._map, container = this._container;
                    if (!map || !container) { return; }
                    var size = map.getSize(), at = L.DomUtil.getPosition(container);
                    // The drawn box: Leaflet's direction classes shift it by a margin (6 px toward the arrow).
                    var margins = window.getComputedStyle(container);
                    var drawn = map.layerPointToContainerPoint(at)
                        .add([parseFloat(margins.marginLeft) || 0, parseFloat(margins.marginTop) || 0]);
                    var x = Math.min(Math.max(drawn.x, 0), Math.max(size.x - container.offsetWidth, 0));
                    var y = Math.min(Math.max(drawn.y, 0), Math.max(size.y - container.offsetHeight, 0));
                    L.DomUtil.setPosition(container, at.add([x - drawn.x, y - drawn.y]));
                };
            })();
        {% endmacro %}""")

    def __init__(self) -> None:
        super().__init__()
        self._name = "TooltipsInside"
        self.max_width = TOOLTIP_MAX_WIDTH


def class_colours(count: int) -> list[str]:
    """The colours of ``count`` classes: the whole palette, evenly, from the lightest to the darkest.

    Two classes (0 % and 100 % uncovered) are the lightest and the darkest, not two pale blues.
    """
    if count <= 1:
        return list(PALETTE[:count])
    return [PALETTE[round(i * (len(PALETTE) - 1) / (count - 1))] for i in range(count)]


def _style(feature: dict, colours: list[str]) -> dict:
    classe = feature["properties"]["classe"]
    colour = colours[classe] if classe >= 0 else NO_VALUE_COLOUR
    return {"fillColor": colour, "color": "#555555", "weight": 0.4, "fillOpacity": 0.8}


def legend_labels(indicator: Indicator, values: np.ndarray, breaks: list[float] | None = None) -> list[str]:
    """The label of each legend class of ``values`` (already multiplied by the indicator's factor).

    A class whose territories all have the value of its upper break is that value (« 0 % »); the others
    are ranges (« jusqu'à 2,8 », « plus de 2,8 à 4,6 »), the unit last.
    """
    breaks = class_breaks(values) if breaks is None else breaks
    labels = []
    for index, (upper, single) in enumerate(zip(breaks, single_value_classes(values, breaks))):
        if single:
            # An exact value of the data (0,0833333…): three significant digits say it well enough.
            span = _number(float(f"{upper:.3g}"))
        elif index == 0:
            span = f"jusqu'à {_number(upper)}"
        else:
            span = f"plus de {_number(breaks[index - 1])} à {_number(upper)}"
        labels.append(f"{span} {indicator.unit}")
    return labels


def _legend(indicator: Indicator, values: np.ndarray, breaks: list[float]) -> None:
    """The legend, with its units and its class breaks stated (quantiles of the view)."""
    rows = [f'<li><span style="background:{colour}" aria-hidden="true"></span> {escape(label)}</li>'
            for colour, label in zip(class_colours(len(breaks)), legend_labels(indicator, values, breaks))]
    rows.append(f'<li><span style="background:{NO_VALUE_COLOUR}" aria-hidden="true"></span> sans valeur '
                "(aucun habitant, ou aucun animateur à portée)</li>")
    explanation = f"<p>{escape(indicator.explanation)}</p>" if indicator.explanation else ""
    st.html(
        '<style>.carte-legende ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}'
        ".carte-legende span{display:inline-block;width:1rem;height:1rem;border:1px solid #555;"
        "vertical-align:middle}.carte-legende p{margin:.25rem 0 0;font-size:.875rem}</style>"
        f'<div class="carte-legende"><strong>{escape(indicator.label)}</strong> — classes par quantiles '
        f"des territoires affichés<ul>{''.join(rows)}</ul>{explanation}</div>"
    )


def _number(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _priorities(table: pd.DataFrame, level: str) -> None:
    st.subheader("Territoires prioritaires")
    st.markdown(PRIORITY_RULE)
    top = table.sort_values("priority_rank").head(PRIORITY_ROWS)
    shown = pd.DataFrame({
        "Rang": top["priority_rank"],
        "Commune" if level == "commune" else "EPCI": top["nom"],
        "Population": top["population"],
        "Population non couverte": top["uncovered_population"],
        "Part non couverte (%)": (top["uncovered_share"] * 100).round(0),
        "Formé·es": top["animators_trained"],
        "Accessibilité (pour 10 000 hab.)": top["mean_accessibility_per_10k"].round(2),
    })
    st.dataframe(french_table(shown, decimals={"Accessibilité (pour 10 000 hab.)": 2}), hide_index=True,
                 width="stretch")
    st.caption(E2SFCA_EXPLANATION)


def export_table(table: pd.DataFrame) -> pd.DataFrame:
    """The view as exported: French headers, ranked, shares in percent, every territory."""
    ranked = table.sort_values("priority_rank")
    frame = ranked[[c for c in EXPORT_HEADERS if c in ranked.columns and c != "code"]].copy()
    frame["uncovered_share"] = (frame["uncovered_share"] * 100).round(1)
    frame = frame.replace([np.inf, -np.inf], np.nan).round(3)
    frame.insert(0, "code", ranked.index)
    return frame.rename(columns=EXPORT_HEADERS | {"uncovered_share": "Part de la population non couverte (%)"})


def export_stem(region: str, departement: str, selected: Selected, radius_km: int, day: date) -> str:
    """The name of an export without its extension: the filters that made it, then the day.

    Read by people and by CSV readers that skip no line: « couverture-communes-35-cafe-ia-formes-15km-2026-12-05 »
    (territory, theme, statuses, Conseillers numériques only, moderation when not the default, radius, day).
    """
    territory = f"communes-{departement}" if departement else f"epci-region-{region}" if region else "epci-france"
    parts = ["couverture", territory, selected.theme,
             "-et-".join(STATUS_SLUGS[status] for status in STATUS_SLUGS if status in selected.statuses)]
    if selected.conum_only:
        parts.append("conum")
    if set(selected.moderation) != set(DEFAULT_MODERATION):
        parts.append("verif-" + "-".join(MODERATION_SLUGS[m] for m in MODERATION_SLUGS if m in selected.moderation))
    return "-".join([*parts, f"{radius_km}km", day.isoformat()])


def _today() -> date:
    return datetime.now(PARIS).date()


def _exports(table: pd.DataFrame, level: str, departement: str, name: str, agent: Agent) -> None:
    frame = export_table(table)
    shapes = data.territory_shapes(level, departement or None)
    geo = gpd.GeoDataFrame(frame, geometry=shapes.geometry.reindex(frame["Code"]).to_numpy(), crs=shapes.crs)
    downloads = (("Télécharger (CSV)", csv_for_french_excel(frame), f"{name}.csv", "text/csv"),
                 ("Télécharger (XLSX)", xlsx_bytes(frame, "Couverture"), f"{name}.xlsx",
                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                 ("Télécharger (GeoJSON)", geo.to_json(drop_id=True).encode(), f"{name}.geojson",
                  "application/geo+json"))
    for column, (label, content, file_name, mime) in zip(st.columns(3), downloads):
        column.download_button(label, content, file_name, mime, on_click=signin.log_export,
                               args=(agent, "couverture", file_name))
    st.caption(EXPORT_FORMATS)


def _details(table: pd.DataFrame, level: str, clicked: str | None, selected: Selected) -> None:
    st.subheader("Détail d'un territoire")
    options = {"": "Choisir (ou cliquer sur la carte)",
               **table.sort_values("nom")["nom"].astype(str).to_dict()}
    if clicked in table.index and st.session_state.get("dernier-clic") != clicked:
        st.session_state["dernier-clic"] = st.session_state[url_state.widget_key("zone")] = clicked
    code = url_state.choice("Territoire", options, "", key="zone")
    if not code:
        return
    row = table.loc[code]
    cols = st.columns(4)
    cols[0].metric("Population", french_count(int(row["population"])))
    for column, status in zip(cols[1:], STATUS_LABELS):
        column.metric(STATUS_LABELS[status], int(row[f"animators_{status}"]))
    for indicator_code, indicator in INDICATORS.items():
        st.markdown(f"- {indicator.label} : **{indicator.format(row[indicator_code])}**")
    lon, lat = _territory_point(code, level)
    chosen = data.selection(selected.theme, selected.statuses, selected.conum_only, selected.moderation,
                            selected.scope)
    if not chosen.empty:
        # The nearest places: an animator at two places near the territory is listed at each.
        closest = nearest(chosen.drop_duplicates(["animator_id", "place_id"]), lon, lat, NEAREST_IN_DETAILS)
        st.markdown("**Animateur·rices les plus proches**")
        st.dataframe(pd.DataFrame({"Structure": closest["structure"], "Commune": closest["commune"],
                                   "Distance": closest["distance_km"].map(km),
                                   "Statut": closest["training_status"].map(STATUS_LABELS)}),
                     hide_index=True, width="stretch")
    _pool(code, level, selected)


def _territory_point(code: str, level: str) -> tuple[float, float]:
    if level == "commune":
        commune = data.reference().communes.loc[code]
        return float(commune["lon"]), float(commune["lat"])
    point = data.territory_shapes(level).geometry.loc[code].representative_point()
    return point.x, point.y


def _pool(code: str, level: str, selected: Selected) -> None:
    """Referenced animators of the territory not trained yet: the people to invite to a training."""
    records = data.theme_records(selected.theme, selected.conum_only, selected.moderation, selected.scope)
    column = "insee_code" if level == "commune" else "epci_code"
    pool = training_pool(records[(records[column] == code) & (records["training_status"] == REFERENCED)])
    people = plural(len(pool), "animateur·rice référencé·e, pas encore formé·e",
                    "animateur·rices référencé·es, pas encore formé·es")
    st.markdown(f"**Vivier à former** : {french_number(len(pool))} {people}.")
    if not pool.empty:
        st.dataframe(pool.rename(columns={"structure": "Structure", "commune": "Commune"}),
                     hide_index=True, width="stretch")


def training_pool(records: pd.DataFrame) -> pd.DataFrame:
    """One row per person of ``records`` (one per place), with the structures and communes of their places.

    Examples
    --------
    >>> records = pd.DataFrame({"animator_id": ["a", "a", "b"], "structure": ["EPN", "Médiathèque", None],
    ...                         "commune": ["Vitré", "Rennes", "Rennes"]})
    >>> training_pool(records).to_dict("records")
    [{'structure': 'EPN ; Médiathèque', 'commune': 'Vitré ; Rennes'}, {'structure': '', 'commune': 'Rennes'}]
    """
    def joined(values: pd.Series) -> str:
        return " ; ".join(dict.fromkeys(value for value in values.fillna("") if value))

    people = records.groupby("animator_id", sort=False)
    return pd.DataFrame({"structure": people["structure"].agg(joined),
                         "commune": people["commune"].agg(joined)}).reset_index(drop=True)


# Streamlit runs a page as ``__main__``; importing it (for its helpers) draws nothing.
if __name__ == "__main__":
    render()
