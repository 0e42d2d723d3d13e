"""The app's server: Streamlit's pages (``app.py``) and, at ``/carte/``, the public finder's static publication.

``streamlit run server.py`` finds the ``st.App`` below and serves both; ``make run`` starts it through the
launcher ``views/serve.py``, which fills the caches and publishes the public finder first. ``streamlit run
app.py`` still serves every page, without the publication (« Trouver un animateur » then says so).
"""

import streamlit as st

from views.public_site import routes

app = st.App("app.py", routes=routes())
