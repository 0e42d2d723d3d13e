"""ProConnect particulars (views/oidc.py): userinfo as a signed JWT, and long state and nonce.

A small HTTP server plays ProConnect's discovery, keys and userinfo endpoints; its userinfo answers
``application/jwt`` signed with a real RSA key, as ProConnect does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from views import oidc

CLAIMS = {"sub": "abc", "email": "agent@exemple.gouv.fr", "given_name": "Anne", "usual_name": "Le Goff",
          "siret": "13002526500013"}
CLIENT_ID = "carte-des-animateurs"
TOKEN = "jeton-d-acces"


@pytest.fixture(scope="module")
def key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "cle-1"}, private=True)


def signed(claims: dict, key: RSAKey, alg: str = "RS256") -> str:
    return jwt.encode({"alg": alg, "kid": key.kid}, claims, key)


@pytest.fixture()
def provider(key) -> Iterator[tuple[str, dict]]:
    """A fake provider; the test sets what its userinfo answers in the yielded dict."""
    answer: dict = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            base = f"http://127.0.0.1:{self.server.server_port}"
            if self.path == "/.well-known/openid-configuration":
                self._send("application/json", json.dumps({"issuer": base, "jwks_uri": f"{base}/jwks",
                                                           "userinfo_endpoint": f"{base}/userinfo"}))
            elif self.path == "/jwks":
                self._send("application/json", json.dumps(KeySet([key]).as_dict(private=False)))
            elif self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self.send_response(401)
                self.end_headers()
            else:
                self._send(answer["type"], answer["body"](base))

        def _send(self, content_type: str, body: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    oidc.provider_metadata.cache_clear()
    yield {"server_metadata_url": f"{base}/.well-known/openid-configuration", "client_id": CLIENT_ID}, answer
    server.shutdown()
    server.server_close()


def test_a_signed_userinfo_jwt_is_verified_and_read(provider, key):
    auth, answer = provider
    answer.update(type="application/jwt", body=lambda base: signed({**CLAIMS, "iss": base, "aud": CLIENT_ID}, key))
    claims = oidc.userinfo_claims(TOKEN, auth)
    assert {name: claims[name] for name in CLAIMS} == CLAIMS


def test_a_json_userinfo_is_read_as_is(provider):
    auth, answer = provider
    answer.update(type="application/json; charset=utf-8", body=lambda base: json.dumps(CLAIMS))
    assert oidc.userinfo_claims(TOKEN, auth) == CLAIMS


@pytest.mark.parametrize("forgery", ["other issuer", "other audience", "other key", "unsigned"])
def test_a_userinfo_jwt_that_fails_verification_is_refused(provider, key, forgery):
    auth, answer = provider
    other = RSAKey.generate_key(2048, parameters={"kid": key.kid}, private=True)

    def body(base: str) -> str:
        claims = {**CLAIMS, "iss": base, "aud": CLIENT_ID}
        if forgery == "other issuer":
            return signed({**claims, "iss": "https://pirate.example"}, key)
        if forgery == "other audience":
            return signed({**claims, "aud": "une-autre-application"}, key)
        if forgery == "other key":
            return signed(claims, other)
        header = jwt.encode({"alg": "RS256"}, claims, key).split(".")
        return ".".join([header[0], header[1], ""])

    answer.update(type="application/jwt", body=body)
    with pytest.raises(oidc.SignInError, match="pas fiable"):
        oidc.userinfo_claims(TOKEN, auth)


def test_a_refused_access_token_gives_a_french_error(provider):
    auth, _ = provider
    with pytest.raises(oidc.SignInError, match="n'a pas donné votre profil"):
        oidc.userinfo_claims("jeton-inconnu", auth)


def test_authorisation_requests_get_43_character_state_and_nonce():
    import asyncio

    from authlib.integrations.starlette_client import OAuth

    oidc.lengthen_state_and_nonce()
    oidc.lengthen_state_and_nonce()  # idempotent: one wrapper, not two
    client = OAuth().register("test", client_id="c", client_secret="s", authorize_url="https://idp.example/auth",
                              client_kwargs={"scope": "openid email"})
    created = asyncio.run(client.create_authorization_url("https://app.example/oauth2callback"))
    assert len(created["state"]) == 43 and len(created["nonce"]) == 43
    assert f"state={created['state']}" in created["url"] and f"nonce={created['nonce']}" in created["url"]


def test_the_logout_redirect_gets_a_43_character_state():
    from streamlit.web.server.starlette import starlette_auth_routes

    oidc.adapt_to_proconnect()
    oidc.adapt_to_proconnect()
    url = starlette_auth_routes.build_logout_url("https://idp.example/session/end", "c",
                                                 "https://app.example/oauth2callback", id_token="a.b.c")
    query = parse_qs(urlparse(url).query)
    assert len(query["state"][0]) == 43 and query["id_token_hint"] == ["a.b.c"]
    assert url.count("state=") == 1
