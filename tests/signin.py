"""Sign an agent in for AppTest runs (``st.user`` and an ``[auth]`` section, as after ``st.login``).

The real sign-in flow against an OpenID Connect provider is tested in ``tests/test_signin_browser.py``;
page tests only need the app to believe that the OIDC round trip happened.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

import store
from store import access
from store.access import FRANCE, Scope

AUTH_SECTION = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "secret-de-test-de-plus-de-32-caracteres",
    "client_id": "carte-des-animateurs",
    "client_secret": "secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


def sign_in(app: AppTest, email: str, role: str | None = "national", scope: Scope = FRANCE) -> AppTest:
    """Configure sign-in, sign ``email`` in, and give it ``role`` on ``scope`` (no role with ``None``)."""
    app.secrets["auth"] = AUTH_SECTION
    app.user = {"is_logged_in": True, "email": email}
    if role is not None:
        access.add_agent(store.connect(), email, role, scope, "tests")
    return app
