"""« Trouver un animateur » — the public page, as the static publication of the public finder.

There is one implementation of the public finder: the static page that ``python -m carte publish``
writes (``store/publish.py``, ``static_site/``) and that the app serves at ``/carte/``
(``views/public_site.py``). This page shows it in a frame filling the window, handing it the app's URL
parameters (search, filters, ``embed``); it costs the server nothing per visit beyond this script run,
and the finder itself runs in the visitor's browser. Partner sites embed ``/carte/?embed=1`` directly.
"""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from views import chrome, public_site

FRAME = '[data-testid="stIFrame"]'
# The frame fills the window below Streamlit's header; the finder scrolls inside it.
PAGE_CSS = f"""<style>
{FRAME} {{ height: calc(100vh - 4.5rem) !important; border: 0; }}
[data-testid="stMainBlockContainer"] {{ padding-top: 3.5rem; padding-bottom: 0; }}
</style>"""
NOT_SERVED = ("La carte publique est servie par l'application lancée avec « make run » (ou « streamlit run "
              "server.py ») : lancée avec « streamlit run app.py », elle n'est pas disponible ici.")


def frame_source() -> str:
    """The finder's address, with the page's URL parameters (and ``embed`` when the app is embedded)."""
    parameters = [(key, value) for key in st.query_params for value in st.query_params.get_all(key)]
    if chrome.is_embedded():
        parameters.append(("embed", "1"))
    query = urlencode(parameters)
    return f"{public_site.PREFIX}/" + (f"?{query}" if query else "")


def render() -> None:
    chrome.apply_style()
    if not public_site.is_served():
        chrome.masthead()
        st.title("Trouver un animateur")
        st.info(NOT_SERVED)
        return
    st.html(PAGE_CSS)
    st.iframe(frame_source(), height=900)


# Streamlit runs a page as ``__main__``; importing it (for its helpers) draws nothing.
if __name__ == "__main__":
    render()
