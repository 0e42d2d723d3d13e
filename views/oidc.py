"""What ``st.login`` needs to work with ProConnect, the French public agents' OpenID Connect federation.

Streamlit signs in through Authlib and keeps the ID token's claims as ``st.user``. ProConnect
differs from that default flow in ways handled here:

* **state and nonce of at least 32 characters.** Authlib draws a 30-character ``state`` and a
  20-character ``nonce``; ProConnect refuses them. :func:`lengthen_state_and_nonce` makes Authlib
  draw 43-character values (32 random bytes, URL-safe base64) for every authorisation request, and
  :func:`add_state_to_logout` adds such a ``state`` to the logout redirect, where Streamlit sends none.
* **claims in a signed userinfo JWT.** ProConnect's ID token carries no ``email``, ``given_name``,
  ``usual_name`` or ``siret``: they come from the userinfo endpoint, which answers with a signed
  JWT (``application/jwt``) where Authlib expects JSON. :func:`userinfo_claims` calls that endpoint
  with the access token (``expose_tokens = ["access"]`` in ``secrets.toml``), checks the JWT's
  signature against the provider's published keys, its issuer and its audience, and returns the
  claims. Providers that answer in JSON are read as well.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from functools import cache
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

STATE_AND_NONCE_BYTES = 32
HTTP_TIMEOUT_SECONDS = 10
JWT_CONTENT_TYPE = "application/jwt"


class SignInError(Exception):
    """The identity provider's answer could not be trusted or read (French message)."""


def adapt_to_proconnect() -> None:
    """Install the two adaptations of the sign-in flow below (idempotent; called by ``app.py``)."""
    lengthen_state_and_nonce()
    add_state_to_logout()


def add_state_to_logout() -> None:
    """Give the logout redirect a 43-character ``state``, which ProConnect's ``end_session`` requires.

    Streamlit sends ``client_id``, ``id_token_hint`` and ``post_logout_redirect_uri`` only.
    """
    from streamlit.web.server.starlette import starlette_auth_routes

    original = starlette_auth_routes.build_logout_url
    if getattr(original, "with_state", False):
        return

    def build_logout_url(*args, **kwargs) -> str:
        url = original(*args, **kwargs)
        return f"{url}&state={secrets.token_urlsafe(STATE_AND_NONCE_BYTES)}"

    build_logout_url.with_state = True
    starlette_auth_routes.build_logout_url = build_logout_url


def lengthen_state_and_nonce() -> None:
    """Make every authorisation request carry a 43-character ``state`` and ``nonce`` (idempotent)."""
    from authlib.integrations.base_client.async_app import AsyncOAuth2Mixin

    original = AsyncOAuth2Mixin.create_authorization_url
    if getattr(original, "lengthened", False):
        return

    async def create_authorization_url(self, redirect_uri=None, **kwargs):
        kwargs.setdefault("state", secrets.token_urlsafe(STATE_AND_NONCE_BYTES))
        kwargs.setdefault("nonce", secrets.token_urlsafe(STATE_AND_NONCE_BYTES))
        return await original(self, redirect_uri, **kwargs)

    create_authorization_url.lengthened = True
    AsyncOAuth2Mixin.create_authorization_url = create_authorization_url


@cache
def provider_metadata(discovery_url: str) -> dict[str, Any]:
    """The provider's discovery document (read once per server process)."""
    return _get_json(discovery_url)


def userinfo_claims(access_token: str, auth: Mapping[str, Any]) -> dict[str, Any]:
    """Claims of the userinfo endpoint for ``access_token``, JWT-verified when the provider signs them.

    Parameters
    ----------
    access_token
        The access token exposed by Streamlit (``st.user.tokens["access"]``).
    auth
        The ``[auth]`` section of ``secrets.toml`` (``server_metadata_url``, ``client_id``).

    Raises
    ------
    SignInError
        The endpoint is unreachable, refuses the token, or returns a JWT that fails verification.
    """
    metadata = provider_metadata(auth["server_metadata_url"])
    try:
        response = httpx.get(metadata["userinfo_endpoint"], headers={"Authorization": f"Bearer {access_token}"},
                             timeout=HTTP_TIMEOUT_SECONDS)
        response.raise_for_status()
    except httpx.HTTPError as error:
        raise SignInError(f"le fournisseur d'identité n'a pas donné votre profil ({error.__class__.__name__})") \
            from error
    if response.headers.get("content-type", "").split(";")[0].strip() == JWT_CONTENT_TYPE:
        keys = KeySet.import_key_set(_get_json(metadata["jwks_uri"]))
        return verified_jwt_claims(response.text, keys, issuer=metadata["issuer"], audience=auth["client_id"])
    return response.json()


def verified_jwt_claims(token: str, keys: KeySet, *, issuer: str, audience: str) -> dict[str, Any]:
    """Claims of a signed JWT, after checking its signature, issuer and audience.

    Raises
    ------
    SignInError
        Bad signature, unexpected algorithm, other issuer or audience.
    """
    try:
        decoded = jwt.decode(token.strip(), keys, algorithms=["RS256", "ES256", "PS256"])
        jwt.JWTClaimsRegistry(iss={"essential": True, "value": issuer},
                              aud={"essential": True, "value": audience}).validate(decoded.claims)
    except (JoseError, ValueError) as error:
        raise SignInError(f"le profil renvoyé par le fournisseur d'identité n'est pas fiable ({error})") from error
    return dict(decoded.claims)


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=HTTP_TIMEOUT_SECONDS)
        response.raise_for_status()
        return response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise SignInError(f"le fournisseur d'identité est injoignable ({error.__class__.__name__})") from error
