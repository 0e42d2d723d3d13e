"""« Trouver un animateur » — the public page: the trained animators nearest to a commune or to me."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import folium
import pandas as pd
import shapely
import streamlit as st
from streamlit_folium import st_folium

from geo import settings as geo_settings
from geo._errors import AddressSearchError
from geo.address_search import search_addresses
from geo.nearby import nearest
from loaders.normalize import TRAINED
from views import chrome, data, url_state
from views.basemap import marker_cluster, new_map
from views.geolocate import geolocate_button
from views.labels import STATUS_LABELS, km, status_badge
from views.safe_html import escape

RESULTS = 20
MAP_HEIGHT = 520
EMBED_SNIPPET_KEY = "integration"
FRANCE_CENTER = (46.6, 2.4)
# Positions from the browser are kept to about a kilometre in the URL: enough to rank
# animators, not enough to point at someone's home in a shared link.
POSITION_DECIMALS = 2
OUTLINE_TOLERANCE_DEG = 2e-4
# streamlit-folium 0.27 under Streamlit 1.67 leaves its iframe at height 0 (the map inside is drawn).
FRAME_HEIGHT_CSS = f"<style>iframe[title='streamlit_folium.st_folium']{{height:{MAP_HEIGHT}px !important}}</style>"
# Markers are drawn in the browser from one compact JSON array (see data.marker_points), as vector
# circles on a canvas, so 10,000 stay smooth; each popup is built only when it is opened. Its texts
# were escaped by views.safe_html before they were serialised.
MARKER_CALLBACK = """
function (row) {
    var marker = L.circleMarker(new L.LatLng(row[0], row[1]),
                                {radius: 7, color: "#000091", weight: 2, fillColor: "#6a6af4", fillOpacity: 0.9});
    marker.bindPopup(function () { return "<strong>" + row[2] + "</strong><br>" + row[3] + "<br>" + row[4]; },
                     {maxWidth: 320});
    return marker;
}
"""


@dataclass(frozen=True)
class Place:
    """Where the person searches from."""

    label: str
    lat: float
    lon: float
    insee_code: str | None = None


def render() -> None:
    embedded = chrome.is_embedded()
    chrome.apply_style()
    batches = data.batches()
    if not embedded:
        chrome.masthead()
        st.title("Trouver un animateur")
        st.markdown("Des animateur·rices formé·es près de chez vous pour animer un Café IA ou un autre atelier.")
    chrome.demo_banner(batches)
    place = _search(embedded)
    theme, statuses, conum_only = _filters(embedded)
    animators = data.selection(theme, tuple(statuses), conum_only)
    closest = nearest(animators, place.lon, place.lat, RESULTS) if place and not animators.empty else None
    # The list is written before the map is built (the map stays above it on the page): people see
    # their nearest animators as soon as possible.
    map_slot = st.container()
    _results(animators, closest, place)
    with map_slot:
        _map(data.marker_points(theme, tuple(statuses), conum_only), place)
    if not embedded:
        _embed_snippet()
        chrome.footer(batches)


def _search(embedded: bool) -> Place | None:
    if embedded:
        return _place(st.query_params.get("q", ""), embedded)
    columns = st.columns([3, 1], vertical_alignment="bottom")
    with columns[0]:
        query = url_state.text("Commune ou code postal", key="q", placeholder="ex. Rennes, 35000, St-Malo",
                               on_change=_forget_position)
    with columns[1]:
        geolocate_button(_remember_position)
    if geo_settings.ADDRESS_SEARCH_URL:
        _address_search()
    return _place(query, embedded)


def _place(query: str, embedded: bool) -> Place | None:
    """The searched commune, else a position shared in the link (``?position=48.11,-1.68``)."""
    if query:
        return _commune(query, embedded)
    match = re.fullmatch(r"(-?\d{1,2}(?:\.\d+)?),(-?\d{1,3}(?:\.\d+)?)", st.query_params.get("position", ""))
    if match:
        return Place(label="votre position", lat=float(match[1]), lon=float(match[2]))
    return None


def _commune(query: str, embedded: bool) -> Place | None:
    suggestions = data.commune_search().suggest(query)
    if suggestions.empty:
        st.error(f"Aucune commune ne correspond à « {escape(query)} ». "
                 "Vérifiez l'orthographe ou essayez le code postal.")
        return None
    codes = suggestions["insee_code"].tolist()
    chosen = codes[0]
    if embedded:
        chosen = st.query_params.get("commune") if st.query_params.get("commune") in codes else chosen
    elif len(codes) > 1:
        chosen = url_state.choice("Commune trouvée", dict(zip(codes, suggestions["label"])), codes[0], key="commune")
    row = suggestions.set_index("insee_code").loc[chosen]
    return Place(label=str(row["nom"]), lat=float(row["lat"]), lon=float(row["lon"]), insee_code=chosen)


def _remember_position(lat: float, lon: float) -> None:
    st.session_state[url_state.widget_key("q")] = ""
    url_state.publish("q", None)
    url_state.publish("position", f"{lat:.{POSITION_DECIMALS}f},{lon:.{POSITION_DECIMALS}f}")


def _forget_position() -> None:
    url_state.publish("position", None)


def _address_search() -> None:
    with st.expander("Chercher une adresse précise (service en ligne)"):
        address = st.text_input("Adresse", key="adresse", placeholder="ex. 20 avenue de Ségur, Paris")
        if not address:
            return
        try:
            matches = search_addresses(address, geo_settings.ADDRESS_SEARCH_URL)
        except AddressSearchError as error:
            st.error(str(error))
            return
        if not matches:
            st.info("Aucune adresse trouvée.")
            return
        st.caption(f"Adresse retenue : {escape(matches[0].label)}")
        st.button("Chercher autour de cette adresse", on_click=_remember_position,
                  args=(matches[0].lat, matches[0].lon))


def _filters(embedded: bool) -> tuple[str, list[str], bool]:
    registry = data.themes()
    theme_options = {slug: registry.get(slug).label for slug in registry.slugs()}
    container = st.container() if not embedded else st.expander("Filtres")
    with container:
        columns = st.columns([2, 3, 2], vertical_alignment="bottom")
        with columns[0]:
            theme = url_state.choice("Thématique", theme_options, data.PUBLIC_THEME, key="theme")
        with columns[1]:
            statuses = url_state.choices("Statut de formation", STATUS_LABELS, list(data.PUBLIC_STATUSES), key="statut")
        with columns[2]:
            conum_only = url_state.flag("Conseillers numériques uniquement", key="conum")
    return theme, statuses, conum_only


def _map(points: list[tuple], place: Place | None) -> None:
    center, zoom = ((place.lat, place.lon), 11) if place else (FRANCE_CENTER, 6)
    fmap = new_map(center, zoom_start=zoom, prefer_canvas=True)
    if place:
        _add_place(fmap, place)
    # The markers travel beside the map, as a feature group that st_folium replaces in the map's frame:
    # a filter change swaps them without reloading the frame (whose key hashes the map's script alone).
    markers = folium.FeatureGroup(name="Animateurs")
    marker_cluster(points, MARKER_CALLBACK).add_to(markers)
    st.html(FRAME_HEIGHT_CSS)
    # No returned objects: panning or zooming the map never reruns the page.
    st_folium(fmap, height=MAP_HEIGHT, use_container_width=True, returned_objects=[], key="carte-public",
              feature_group_to_add=markers)


def _add_place(fmap: folium.Map, place: Place) -> None:
    if place.insee_code:
        outline = data.reference().communes.geometry.get(place.insee_code)
        if outline is not None and not outline.is_empty:
            light = shapely.set_precision(shapely.simplify(outline, OUTLINE_TOLERANCE_DEG), 1e-5)
            folium.GeoJson(shapely.geometry.mapping(light), name="Commune",
                           style_function=lambda _: {"color": "#000091", "weight": 2, "fillOpacity": 0.05}
                           ).add_to(fmap)
    folium.CircleMarker((place.lat, place.lon), radius=7, color="#E1000F", fill=True,
                        tooltip=escape(place.label)).add_to(fmap)


def _results(animators: pd.DataFrame, closest: pd.DataFrame | None, place: Place | None) -> None:
    if animators.empty:
        st.info("Aucun animateur ne correspond à ces filtres.")
        return
    if closest is None:
        st.markdown(f"**{len(animators)}** animateur·rices correspondent à ces filtres. "
                    "Cherchez une commune pour voir les plus proches.")
        return
    listed = tuple(closest["animator_id"])
    st.html(results_html(closest, place.label, data.theme_labels(listed), data.consented_contacts(listed)))


def results_html(closest: pd.DataFrame, place_label: str, themes_of: pd.Series, contacts: pd.DataFrame) -> str:
    """The accessible result list: an ordered list whose items are reachable with the keyboard."""
    title = f"Les {len(closest)} animateur·rices les plus proches de {escape(place_label)}"
    items = "".join(_result_item(row, themes_of, contacts) for row in closest.itertuples(index=False))
    return (f'<section class="carte-resultats" aria-labelledby="titre-resultats">'
            f'<h2 id="titre-resultats">{title}</h2><ol>{items}</ol></section>')


def _result_item(row, themes_of: pd.Series, contacts: pd.DataFrame) -> str:
    badge_class = "carte-badge" if row.training_status == TRAINED else "carte-badge carte-badge-secondaire"
    parts = [
        f"<strong>{escape(row.structure or 'Structure non renseignée')}</strong>",
        f" — {escape(row.commune)} ({escape(row.departement_code)}), à {km(row.distance_km)}",
        f'<br><span class="{badge_class}">{escape(status_badge(row.training_status, row.training_date))}</span>',
    ]
    if row.is_conum:
        parts.append(' <span class="carte-badge carte-badge-secondaire">Conseiller·ère numérique</span>')
    parts.append(f"<br>Thématiques : {escape(themes_of.get(row.animator_id, ''))}")
    if row.public_consent and row.animator_id in contacts.index:
        parts.append(_contact(contacts.loc[row.animator_id]))
    return f'<li tabindex="0">{"".join(parts)}</li>'


def _contact(contact: pd.Series) -> str:
    """Name, e-mail and phone of someone whose consent to show them is recorded (``store.read_public_contacts``)."""
    parts = [escape(contact["name"])] if contact["name"] else []
    if contact["email"]:
        parts.append(f'<a href="mailto:{escape(contact["email"])}">{escape(contact["email"])}</a>')
    if contact["phone"]:
        dial = re.sub(r"[^\d+]", "", str(contact["phone"]))
        parts.append(f'<a href="tel:{escape(dial)}">{escape(contact["phone"])}</a>')
    return "<br>Contact : " + " · ".join(parts) if parts else ""


def _embed_snippet() -> None:
    # Written only once opened: the code block loads Streamlit's syntax highlighter (1.5 MB of
    # JavaScript, about 0.4 s of the browser's time), which would delay the map of every visitor.
    snippet = st.expander("Intégrer cette carte sur votre site", key=EMBED_SNIPPET_KEY, on_change="rerun")
    if not snippet.open:
        return
    with snippet:
        st.markdown("Copiez ce code dans votre page : la carte et la liste s'affichent seules, "
                    "avec les filtres de l'adresse actuelle.")
        query = urlencode({key: st.query_params.get_all(key) for key in st.query_params}, doseq=True)
        # The query is percent-encoded by urlencode; the base URL is the app's own, re-quoted.
        base = quote((st.context.url or "").rstrip("/"), safe=":/")
        source = f"{base}/?embed=1" + (f"&amp;{query.replace('&', '&amp;')}" if query else "")
        st.code(f'<iframe src="{source}" title="Carte des animateurs" width="100%" height="900" '
                'loading="lazy" style="border:0"></iframe>', language="html")


# Streamlit runs a page as ``__main__``; importing it (for its helpers) draws nothing.
if __name__ == "__main__":
    render()
