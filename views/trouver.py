"""« Trouver un animateur » — the public page: the trained animators nearest to a commune or to me."""

from __future__ import annotations

import enum
import json
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
from geo.nearby import NEARBY_KM, Reach, bounds, nearest, reach
from geo.search import Found, Lookup, designation
from loaders.normalize import TRAINED
from views import chrome, data, url_state
from views.basemap import marker_cluster, new_map
from views.commune_box import Suggestion, commune_box
from views.geolocate import geolocate_button
from views.labels import STATUS_LABELS, km, status_badge
from views.safe_html import escape
from views.wording import plural

RESULTS = 20
MAP_HEIGHT = 520
PHONE_MAP_HEIGHT = 300
PHONE_WIDTH = 640  # px: below this viewport width, the page takes its phone layout
FIT_MAX_ZOOM = 13  # fitting the map on results in one place must not zoom down to a street
EMBED_SNIPPET_KEY = "integration"
FRANCE_CENTER = (46.6, 2.4)
# The URL parameters of a search: a new search replaces all of them at once (one history entry).
SEARCH_PARAMETERS = ("q", "commune", "position")
# Positions from the browser are kept to about a kilometre in the URL: enough to rank
# animators, not enough to point at someone's home in a shared link.
POSITION_DECIMALS = 2
OUTLINE_TOLERANCE_DEG = 2e-4
MAP_FRAME = "iframe[title='streamlit_folium.st_folium']"
MAP_ANCHOR = "carte-plan"  # on a phone the list comes first, with a link down to the map
# streamlit-folium 0.27 under Streamlit 1.67 leaves its iframe at height 0 (the map inside is drawn), so
# the page sets it; on a wide screen the map is shown above the list, on a phone it shrinks and comes
# after it (chips and labels wrap on every page: views/chrome.py).
PAGE_CSS = f"""<style>
{MAP_FRAME} {{ height: {MAP_HEIGHT}px !important; }}
.carte-vers-carte {{ display: none; margin-bottom: .5rem; }}
@media (min-width: {PHONE_WIDTH + 1}px) {{
  .st-key-carte-resultats > :has(> .st-key-carte-carte) {{ order: -1; }}
}}
@media (max-width: {PHONE_WIDTH}px) {{
  {MAP_FRAME} {{ height: {PHONE_MAP_HEIGHT}px !important; }}
  [data-testid="stMainBlockContainer"] {{ padding-top: 3.5rem; }}
  .st-key-carte-recherche [data-testid="stHorizontalBlock"] {{ flex-wrap: nowrap; gap: .5rem; }}
  .st-key-carte-recherche [data-testid="stColumn"] {{ min-width: 0; width: auto; flex: 1 1 auto; }}
  .st-key-carte-recherche [data-testid="stColumn"]:last-child {{ flex: 0 0 auto; }}
  h1 {{ font-size: 1.6rem !important; }}
  .carte-resultats h2 {{ font-size: 1.3rem; }}
  .carte-vers-carte {{ display: inline-block; }}
}}
</style>"""
# Inside the map's frame: the map fills the frame, whose height the page sets.
MAP_FRAME_CSS = "<style>#map_div { height: 100vh !important; }</style>"
# Markers are drawn in the browser from one compact JSON array (see data.marker_points), as vector
# circles on a canvas, so 10,000 stay smooth; each popup is built only when it is opened. Its texts
# were escaped by views.safe_html before they were serialised. The listed animators' rows carry three
# more fields: their rank in the list (written on a larger marker), their distance and their contact (when
# consented). The others' distance to the searched place (``window.carteIci``, set by marker_callback)
# is computed here with the haversine formula of geo.distances, written as views.labels.km writes it.
MARKER_CALLBACK = """
function (row) {
    var rank = row[5];
    var at = new L.LatLng(row[0], row[1]);
    // A listed animator's rank is written on its marker, on the map's canvas (it stays a circle marker).
    window.CarteNumbered = window.CarteNumbered || L.CircleMarker.extend({
        _updatePath: function () {
            L.CircleMarker.prototype._updatePath.call(this);
            var context = this._renderer._ctx;
            if (!context || this._empty()) return;
            context.save();
            context.fillStyle = "#fff";
            context.font = "700 12px system-ui, sans-serif";
            context.textAlign = "center";
            context.textBaseline = "middle";
            context.fillText(String(this.options.rank), this._point.x, this._point.y + 0.5);
            context.restore();
        }
    });
    var marker = rank
        ? new window.CarteNumbered(at, {radius: 11, color: "#fff", weight: 2, fillColor: "#000091", fillOpacity: 1,
                                         rank: rank})
        : L.circleMarker(at, {radius: 7, color: "#000091", weight: 2, fillColor: "#6a6af4", fillOpacity: 0.9});
    function distance() {
        var here = window.carteIci;
        if (rank) return row[6];
        if (!here) return "";
        var radians = Math.PI / 180, dLat = (row[0] - here.lat) * radians, dLon = (row[1] - here.lon) * radians;
        var h = Math.pow(Math.sin(dLat / 2), 2)
            + Math.cos(here.lat * radians) * Math.cos(row[0] * radians) * Math.pow(Math.sin(dLon / 2), 2);
        var km = 2 * here.radius * Math.asin(Math.sqrt(Math.min(1, h)));
        return (km < 10 ? km.toFixed(1).replace(".", ",") : km.toFixed(0)) + " km";
    }
    marker.bindPopup(function () {
        var away = distance();
        return "<strong>" + (rank ? rank + ". " : "") + row[2] + "</strong><br>" + row[3] + "<br>" + row[4]
            + (away ? "<br>à " + away : "") + (rank ? row[7] : "");
    }, {maxWidth: 320, maxHeight: 160});  // a taller popup would hide a phone's 300 px map
    return marker;
}
"""


VOWELS = frozenset("aeiouyàâäéèêëîïôöùûüœ")


class Invitation(enum.Enum):
    """What the page asks for when it lists nobody yet."""

    SEARCH = "search"  # the search box is there: search a commune
    CHOOSE = "choose"  # several communes fit the search: choose one
    EXPLORE = "explore"  # embedded, without a search box: the map shows everyone


INVITATIONS: dict[Invitation, str] = {
    Invitation.SEARCH: "Cherchez une commune pour voir les plus proches.",
    Invitation.CHOOSE: "Choisissez votre commune ci-dessus pour voir les plus proches.",
    Invitation.EXPLORE: "Zoomez sur la carte pour trouver les plus proches de chez vous.",
}


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
    st.html(PAGE_CSS)
    batches = data.batches()
    if not embedded:
        chrome.masthead()
        st.title("Trouver un animateur")
        st.markdown("Des animateur·rices formé·es près de chez vous pour animer un Café IA ou un autre atelier.")
    chrome.demo_banner(batches)
    place, invitation = _search(embedded)
    theme, statuses, conum_only = _filters(embedded)
    animators = data.selection(theme, tuple(statuses), conum_only)
    closest = nearest(animators, place.lon, place.lat, RESULTS) if place and not animators.empty else None
    listed = tuple(closest["animator_id"]) if closest is not None else ()
    contacts = data.consented_contacts(listed) if listed else None
    # The list comes first in the page, so that it is the first thing reached with the keyboard (before the
    # map's dozens of clusters) and is written before the map is built; on a wide screen the map is shown
    # above it (PAGE_CSS), on a phone below it.
    with st.container(key="carte-resultats"):
        with st.container(key="carte-liste"):
            _results(animators, closest, place, contacts, invitation)
        with st.container(key="carte-carte"):
            st.html(f'<span id="{MAP_ANCHOR}"></span>')
            _map(data.marker_points(theme, tuple(statuses), conum_only), place, closest, contacts)
    if not embedded:
        _embed_snippet()
        chrome.footer(batches)


def _search(embedded: bool) -> tuple[Place | None, Invitation]:
    """Where to search from (if known yet), and what to ask for while it is not."""
    query = st.query_params.get("q", "").strip()
    if not embedded:
        columns = st.container(key="carte-recherche").columns([3, 1], vertical_alignment="bottom")
        with columns[0]:
            commune_box(query, _suggestions, _search_commune)
        with columns[1]:
            geolocate_button(_remember_position)
        if geo_settings.ADDRESS_SEARCH_URL:
            _address_search()
    if query:
        return _commune(query), Invitation.CHOOSE
    match = re.fullmatch(r"(-?\d{1,2}(?:\.\d+)?),(-?\d{1,3}(?:\.\d+)?)", st.query_params.get("position", ""))
    if match:
        return Place(label="votre position", lat=float(match[1]), lon=float(match[2])), Invitation.SEARCH
    return None, Invitation.EXPLORE if embedded else Invitation.SEARCH


def _suggestions(typed: str) -> list[Suggestion]:
    """The search box's list: each commune's label, and its « Nom (dép.) » as the query it stands for."""
    rows = data.commune_search().suggest(typed)
    return [Suggestion(label, designation(nom, departement))
            for label, nom, departement in zip(rows["label"], rows["nom"], rows["departement_code"])]


def _commune(query: str) -> Place | None:
    """The commune of the search, or ``None`` with a message (nothing found) or a choice (homonyms)."""
    found: Lookup = data.commune_search().lookup(query, chosen=st.query_params.get("commune"))
    if found.found is Found.NOTHING:
        st.error(f"Aucune commune ne correspond à « {escape(query)} ». "
                 "Vérifiez l'orthographe ou essayez le code postal.")
        return None
    if found.found is Found.SEVERAL:
        _choose_commune(query, found.candidates)
        return None
    row = found.commune
    # « Sainte-Colombe (89) »: which of the homonyms the list is about is always said.
    return Place(label=designation(row["nom"], row["departement_code"]), lat=float(row["lat"]), lon=float(row["lon"]),
                 insee_code=row["insee_code"])


def _choose_commune(query: str, candidates: pd.DataFrame) -> None:
    """Every commune the search may mean, none picked: the person chooses (homonyms are never guessed)."""
    labels = dict(zip(candidates["insee_code"], candidates["label"]))
    key = f"choix-commune:{query}"
    st.radio(f"Plusieurs communes correspondent à « {escape(query)} » : laquelle cherchez-vous ?", list(labels),
             index=None, format_func=labels.get, key=key, on_change=_pick_commune, args=(key, candidates))


def _pick_commune(key: str, candidates: pd.DataFrame) -> None:
    row = candidates.set_index("insee_code").loc[st.session_state[key]]
    _search_commune(designation(row["nom"], row["departement_code"]))


def _search_commune(query: str) -> None:
    _set_search(q=query)


def _remember_position(lat: float, lon: float) -> None:
    _set_search(position=f"{lat:.{POSITION_DECIMALS}f},{lon:.{POSITION_DECIMALS}f}")


def _set_search(**values: str) -> None:
    """Replace the search of the URL (commune, choice, position) in one change: one entry in the
    browser's history, which the Back button undoes."""
    kept = {key: st.query_params.get_all(key) for key in st.query_params if key not in SEARCH_PARAMETERS}
    st.query_params.from_dict({**kept, **values})


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


def _map(points: list[tuple], place: Place | None, closest: pd.DataFrame | None,
         contacts: pd.DataFrame | None) -> None:
    center, zoom = ((place.lat, place.lon), 11) if place else (FRANCE_CENTER, 6)
    fmap = new_map(center, zoom_start=zoom, prefer_canvas=True)
    fmap.get_root().header.add_child(folium.Element(MAP_FRAME_CSS), name="carte_cadre")
    if place:
        _add_place(fmap, place)
    if place and closest is not None and not closest.empty:
        # The searched place and every listed animator in view, however far they are.
        corners = bounds([*closest["lat"], place.lat], [*closest["lon"], place.lon])
        fit = folium.FitBounds(corners, padding=(24, 24), max_zoom=FIT_MAX_ZOOM)
        # Not animated: an animation waits for the frame's next paints, which a browser holds back while the
        # map is off screen (below the list on a phone), and Leaflet ignores other moves until it ends.
        fit.options["animate"] = False
        fit.add_to(fmap)
    # The markers travel beside the map, as a feature group that st_folium replaces in the map's frame:
    # a filter change swaps them without reloading the frame (whose key hashes the map's script alone).
    markers = folium.FeatureGroup(name="Animateurs")
    marker_cluster(map_rows(points, closest, contacts), marker_callback(place)).add_to(markers)
    # No returned objects: panning or zooming the map never reruns the page.
    st_folium(fmap, height=MAP_HEIGHT, use_container_width=True, returned_objects=[], key="carte-public",
              feature_group_to_add=markers)


def marker_callback(place: Place | None) -> str:
    """The cluster's callback: MARKER_CALLBACK, once the searched point its popups measure from is set."""
    here = json.dumps({"lat": place.lat, "lon": place.lon, "radius": geo_settings.EARTH_RADIUS_KM} if place else None)
    return f"(function () {{ window.carteIci = {here}; return {MARKER_CALLBACK.strip()}; }})()"


def map_rows(points: list[tuple], closest: pd.DataFrame | None, contacts: pd.DataFrame | None) -> list[tuple]:
    """The map's markers: the listed animators' rows carry their rank, distance and contact, in list order.

    ``points`` are the rows of ``data.marker_points``, one per row of the selection (``data.selection``,
    numbered from 0), of which ``closest`` holds the listed ones under their row numbers.
    """
    if closest is None or closest.empty:
        return points
    listed = [(*points[position], rank, km(distance), _popup_contact(animator, contacts))
              for rank, (position, distance, animator)
              in enumerate(zip(closest.index, closest["distance_km"], closest["animator_id"]), start=1)]
    skipped = set(closest.index)
    return listed + [row for position, row in enumerate(points) if position not in skipped]


def _popup_contact(animator_id: str, contacts: pd.DataFrame | None) -> str:
    if contacts is None or animator_id not in contacts.index:
        return ""
    return _contact(contacts.loc[animator_id])


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


def _results(animators: pd.DataFrame, closest: pd.DataFrame | None, place: Place | None,
             contacts: pd.DataFrame | None, invitation: Invitation) -> None:
    if animators.empty:
        st.info("Aucun animateur ne correspond à ces filtres.")
        return
    if closest is None:
        st.markdown(f"{matching_sentence(animators)} {INVITATIONS[invitation]}")
        return
    listed = tuple(closest["animator_id"])
    st.html(results_html(closest, place.label, data.theme_labels(listed), contacts))


def matching_sentence(animators: pd.DataFrame) -> str:
    """How many animators the filters keep, and at how many places when some have several.

    Examples
    --------
    >>> matching_sentence(pd.DataFrame({"animator_id": ["a", "b"], "place_id": ["p", "q"]}))
    '**2** animateur·rices correspondent à ces filtres.'
    >>> matching_sentence(pd.DataFrame({"animator_id": ["a", "a", "a"], "place_id": ["p", "q", "r"]}))
    '**1** animateur·rice correspond à ces filtres, dans **3** lieux.'
    """
    persons, places = animators["animator_id"].nunique(), len(animators)
    counted = (f"**{persons}** {plural(persons, 'animateur·rice', 'animateur·rices')} "
               f"{plural(persons, 'correspond', 'correspondent')} à ces filtres")
    return counted + (f", dans **{places}** lieux." if places > persons else ".")


def results_html(closest: pd.DataFrame, place_label: str, themes_of: pd.Series, contacts: pd.DataFrame,
                 within_km: float = NEARBY_KM) -> str:
    """The accessible result list: ordered lists whose items are reachable with the keyboard, numbered as
    the map's markers. Animators farther than ``within_km`` are listed apart, under a heading that says so;
    when nobody is that near, the title says it first."""
    kind, near = reach(closest["distance_km"], within_km)
    of, limit = escape(of_place(place_label)), km(within_km)
    items = [_result_item(row, themes_of, contacts) for row in closest.itertuples(index=False)]
    if kind is Reach.NONE_NEAR:
        title = f"Personne à moins de {limit} {of}"
        body = (f'<p class="carte-loin">Voici {_nearest_phrase(len(items))}, à {km(closest["distance_km"].iloc[0])}'
                f' et plus :</p><ol>{"".join(items)}</ol>')
    else:
        title = f"{_nearest_phrase(len(items)).capitalize()} {of}"
        body = f'<ol>{"".join(items[:near])}</ol>'
        if kind is Reach.SOME_FAR:
            body += (f'<h3 class="carte-loin">À plus de {limit}</h3>'
                     f'<ol start="{near + 1}">{"".join(items[near:])}</ol>')
    to_map = f'<a class="carte-vers-carte" href="#{MAP_ANCHOR}">Voir ces animateur·rices sur la carte</a>'
    return (f'<section class="carte-resultats" aria-labelledby="titre-resultats">'
            f'<h2 id="titre-resultats">{title}</h2>{to_map}{body}</section>')


def of_place(name: str) -> str:
    """« de Rennes », « d'Ajaccio », « du Mans », « des Sables-d'Olonne »: a place name after « de ».

    Examples
    --------
    >>> of_place("Rennes"), of_place("Ajaccio (2A)"), of_place("Le Mans (72)"), of_place("Les Ulis (91)")
    ('de Rennes', "d'Ajaccio (2A)", 'du Mans (72)', 'des Ulis (91)')
    >>> of_place("votre position"), of_place("Écully (69)"), of_place("La Rochelle (17)")
    ('de votre position', "d'Écully (69)", 'de La Rochelle (17)')
    """
    if name.startswith("Le "):
        return "du " + name[3:]
    if name.startswith("Les "):
        return "des " + name[4:]
    if name[:1].lower() in VOWELS:
        return "d'" + name
    return "de " + name


def _nearest_phrase(count: int) -> str:
    """« les 20 animateur·rices les plus proches », or the singular for one."""
    if count == 1:
        return "l'animateur·rice le·la plus proche"
    return f"les {count} animateur·rices les plus proches"


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
    if row.public_consent and contacts is not None and row.animator_id in contacts.index:
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
