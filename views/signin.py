"""The door of the pilot pages: who is signed in, with which role and territory, and the access log.

Three cases, decided on every run of a pilot page by :func:`pilot_agent`:

* sign-in configured (an ``[auth]`` section in ``.streamlit/secrets.toml``): the agent signs in
  with ``st.login`` (ProConnect or any OpenID Connect provider) and the store must give their
  e-mail a role, else the page explains whom to ask;
* no sign-in configured and only demonstration data in the store: the page opens in a labelled
  demo mode, as the national team would see it;
* no sign-in configured and real data: the page refuses and says how to configure sign-in.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from store import access
from store.access import FRANCE, Agent
from views import data, oidc
from views.safe_html import escape

DEMO_AGENT = Agent("mode démonstration", "national", FRANCE)
USERINFO_KEY = "signin-userinfo"
LOGGED_KEY = "signin-logged"
SETUP_HELP = """
**La connexion des agents n'est pas configurée.** Ces pages montrent des données personnelles :
elles ne s'ouvrent sans connexion que sur les données de démonstration.

Pour les ouvrir sur des données réelles :
1. déclarez l'application auprès de ProConnect (ou d'un autre fournisseur OpenID Connect) et
   renseignez la section `[auth]` de `.streamlit/secrets.toml` (voir le README, « Connexion des agents ») ;
2. donnez un rôle à chaque agent : `python -m carte users add prenom.nom@exemple.gouv.fr --role hub --scope region:53`.
"""


def sign_in_configured() -> bool:
    """Whether ``secrets.toml`` configures ``st.login``."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False


def pilot_agent(*, editing: bool = False) -> Agent:
    """The agent allowed on the current pilot page; otherwise explain why and stop the page.

    Parameters
    ----------
    editing
        The page changes what the public sees (import, moderation): hubs and the national team only.
    """
    if not sign_in_configured():
        if data.demo_only():
            st.info("**Mode démonstration** : la base ne contient que des données de démonstration, cette page "
                    "s'ouvre donc sans connexion. Avec des données réelles, elle demande une connexion.", icon=":material/lock_open:")
            return DEMO_AGENT
        st.error(SETUP_HELP, icon=":material/lock:")
        st.stop()
    if not st.user.is_logged_in:
        _ask_to_sign_in()
    claims = _claims()
    agent = _agent_of(_email_of(claims))
    _show_who(agent, claims)
    if editing and not agent.may_edit:
        st.warning("Cette page est réservée aux hubs et à l'équipe nationale : votre rôle "
                   f"({access.ROLE_LABELS[agent.role]}) permet de consulter, pas de modifier.", icon=":material/lock:")
        st.stop()
    return agent


def log_once(agent: Agent, action: str, page: str, detail: str = "") -> None:
    """Record a view of personal data once per session and subject (reruns do not repeat it)."""
    key = (action, page, detail)
    logged: set = st.session_state.setdefault(LOGGED_KEY, set())
    if key not in logged:
        access.log_access(data.engine(), agent, action, page, detail)
        logged.add(key)


def log_export(agent: Agent, page: str, what: str) -> None:
    """Record an export (called when its download button is clicked)."""
    access.log_access(data.engine(), agent, "export", page, what)


def _ask_to_sign_in() -> None:
    st.info("Cette page est réservée aux agents des préfectures, des hubs et de l'équipe nationale.", icon=":material/lock:")
    st.button("Se connecter avec ProConnect", type="primary", on_click=st.login)
    st.stop()


def _email_of(claims: dict[str, Any]) -> str:
    email = str(claims.get("email") or "")
    if not email:
        _refuse("Le fournisseur d'identité n'a pas transmis votre adresse e-mail : impossible de vous "
                "reconnaître.")
    return email


def _claims() -> dict[str, Any]:
    """The ID token's claims, completed by the userinfo endpoint when the access token is exposed."""
    claims = {name: value for name, value in st.user.to_dict().items() if name != "tokens"}
    access_token = st.user.tokens.to_dict().get("access")
    if access_token:
        cached = st.session_state.get(USERINFO_KEY)
        if cached is None or cached[0] != access_token:
            try:
                cached = (access_token, oidc.userinfo_claims(access_token, st.secrets["auth"]))
            except oidc.SignInError as error:
                _refuse(f"Connexion impossible : {error}.")
            st.session_state[USERINFO_KEY] = cached
        claims |= cached[1]
    return claims


def _agent_of(email: str) -> Agent:
    agent = access.find_agent(data.engine(), email)
    if agent is None:
        _refuse(f"Vous êtes connecté·e en tant que {escape(email)}, mais aucun rôle ne vous est attribué. "
                "Demandez à l'équipe nationale ou à votre hub de vous ajouter "
                "(`python -m carte users add …`).")
    return agent


def _refuse(message: str) -> None:
    st.warning(message, icon=":material/lock:")
    st.button("Se déconnecter", on_click=st.logout)
    st.stop()


def _show_who(agent: Agent, claims: dict[str, Any]) -> None:
    """Who is signed in: ProConnect's ``given_name`` and ``usual_name`` (or the OIDC ``family_name``),
    e-mail and organisation SIRET, then the role and scope the store gives them."""
    name = " ".join(str(claims[c]) for c in ("given_name", "usual_name") if claims.get(c)) or claims.get("name", "")
    siret = f" · SIRET {claims['siret']}" if claims.get("siret") else ""
    with st.sidebar:
        st.caption(f"Connecté·e : {escape(name)} {escape(agent.email)}{escape(siret)} — "
                   f"{access.ROLE_LABELS[agent.role]}, {agent.scope.label}")
        st.button("Se déconnecter", on_click=st.logout, key="signin-logout")
