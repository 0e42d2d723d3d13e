"""The « Autour de moi » button: the browser's geolocation, sent back to the page.

Built on Streamlit's own bidirectional components (``st.components.v2``), defined once at
import so reruns do not re-register it. The position is asked only when the person clicks.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

HTML = """
<button type="button" class="geoloc">Autour de moi</button>
<span class="geoloc-etat" role="status" aria-live="polite"></span>
"""
CSS = """
.geoloc { font: inherit; padding: .45rem .9rem; border: 1px solid #000091; color: #000091; background: #fff;
  border-radius: .5rem; cursor: pointer; }
.geoloc:hover { background: #e3e3fd; }
.geoloc:focus-visible { outline: 3px solid #000091; outline-offset: 2px; }
.geoloc-etat { margin-left: .5rem; font-size: .9rem; }
"""
JS = """
export default function (component) {
  const { parentElement, setTriggerValue } = component;
  const button = parentElement.querySelector("button");
  const state = parentElement.querySelector(".geoloc-etat");
  button.onclick = () => {
    if (!navigator.geolocation) {
      state.textContent = "La géolocalisation n'est pas disponible dans ce navigateur : cherchez une commune.";
      return;
    }
    state.textContent = "Recherche de votre position…";
    navigator.geolocation.getCurrentPosition(
      (position) => {
        state.textContent = "";
        setTriggerValue("position", { lat: position.coords.latitude, lon: position.coords.longitude });
      },
      () => { state.textContent = "Position indisponible : autorisez la géolocalisation ou cherchez une commune."; },
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 }
    );
  };
}
"""

_BUTTON = st.components.v2.component("carte.geolocate", html=HTML, css=CSS, js=JS)


def geolocate_button(on_position: Callable[[float, float], None], key: str = "autour-de-moi") -> None:
    """Show the button; ``on_position(lat, lon)`` runs when the browser gives a position."""

    def forward() -> None:
        position = st.session_state[key].get("position")
        if position:
            on_position(float(position["lat"]), float(position["lon"]))

    _BUTTON(key=key, on_position_change=forward)
