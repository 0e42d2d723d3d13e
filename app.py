"""Streamlit entry point: a thin router over one page module per audience (``views/``)."""

import streamlit as st

from views.chrome import is_embedded
from views.errors import run_guarded
from views.oidc import adapt_to_proconnect

# ProConnect wants a state and a nonce of 32 characters or more (see views/oidc.py).
adapt_to_proconnect()
st.set_page_config(page_title="Carte des animateurs", page_icon="🗺️", layout="wide")
pages = {
    "Grand public": [
        st.Page("views/trouver.py", title="Trouver un animateur", icon=":material/search:", url_path="trouver", default=True),
        st.Page("views/donnees.py", title="Données personnelles", icon=":material/lock:", url_path="donnees"),
    ],
    "Préfectures et hubs": [
        st.Page("views/couverture.py", title="Couverture du territoire", icon=":material/map:", url_path="couverture"),
        st.Page("views/formations.py", title="Préparer les formations", icon=":material/school:", url_path="formations"),
        st.Page("views/importer.py", title="Importer", icon=":material/upload_file:", url_path="importer"),
        st.Page("views/pilotage.py", title="Pilotage", icon=":material/monitoring:", url_path="pilotage"),
        st.Page("views/controle.py", title="Contrôler la cartographie", icon=":material/fact_check:", url_path="controle"),
    ],
}
# A partner website embeds the public page alone (``?embed=1``): no navigation.
page = st.navigation(pages, position="hidden" if is_embedded() else "sidebar")
# A visitor never sees a traceback: a French message with a reference the team finds in the logs.
run_guarded(page.run)
