"""A mock OpenID Connect provider for tests: stdlib ``http.server`` on 127.0.0.1, a random port.

It does what Streamlit's ``st.login`` (Authlib's Starlette client) asks of a real provider:

- ``/.well-known/openid-configuration``: the discovery document (S256 PKCE offered, so
  Streamlit sends a code challenge and the token endpoint checks the verifier);
- ``/authorize``: no login form, it redirects at once to ``redirect_uri`` with a one-time
  ``code`` and the ``state`` it was given, for the identity the test set (``provider.identity``);
- ``/token``: checks the client (HTTP Basic or form), the code, the redirect URI and the PKCE
  verifier, and returns an access token and an RS256-signed ID token (``iss``, ``sub``, ``aud``,
  ``exp``, ``iat``, ``nonce``, ``email``, ``email_verified``, ``name``);
- ``/jwks``: the public key; ``/userinfo``: the claims for a bearer access token;
- ``/logout``: the end-session endpoint, back to ``post_logout_redirect_uri``.

Not a test module. Use it as a context manager::

    with MockOidcProvider(identity={"sub": "u1", "email": "a@b.ma", "email_verified": True}) as idp:
        idp.metadata_url, idp.client_id, idp.client_secret
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlparse, urlunparse

from joserfc import jwt
from joserfc.jwk import RSAKey

DEFAULT_IDENTITY = {"sub": "mock-user-1", "email": "user@example.org", "email_verified": True, "name": "Mock User"}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlparse(url)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    return urlunparse(parts._replace(query=query))


class MockOidcProvider:
    """One provider, one registered client; ``identity`` is what the next sign-in proves."""

    def __init__(
        self,
        identity: dict[str, Any] | None = None,
        *,
        client_id: str = "athar-test",
        client_secret: str | None = None,
        host: str = "127.0.0.1",
    ):
        self.identity: dict[str, Any] = dict(identity or DEFAULT_IDENTITY)
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.key = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(8), "use": "sig", "alg": "RS256"})
        #: Every request, as (method, path): tests check what the app really called.
        self.requests: list[tuple[str, str]] = []
        #: Every refusal, as text (a failed flow says why here).
        self.errors: list[str] = []
        self._codes: dict[str, dict[str, Any]] = {}
        self._tokens: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), self._handler())
        self._server.daemon_threads = True
        self.issuer = f"http://{host}:{self._server.server_address[1]}"
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def start(self) -> MockOidcProvider:
        self._thread = threading.Thread(target=self._server.serve_forever, name="mock-oidc", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> MockOidcProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def paths(self) -> list[str]:
        return [path for _, path in self.requests]

    # -- protocol --------------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "end_session_endpoint": f"{self.issuer}/logout",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "email", "email_verified", "name"],
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False)]}

    def id_token(self, claims: dict[str, Any], nonce: str | None) -> str:
        now = int(time.time())
        payload = {"iss": self.issuer, "aud": self.client_id, "iat": now, "exp": now + 600, **claims}
        if nonce:
            payload["nonce"] = nonce
        header = {"alg": "RS256", "kid": self.key.kid, "typ": "JWT"}
        return jwt.encode(header, payload, self.key)

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or not redirect_uri:
            return self._refuse(400, "invalid_client", f"unknown client or no redirect_uri: {query}")
        if query.get("response_type") != "code" or "openid" not in query.get("scope", "").split():
            return self._refuse(400, "invalid_request", f"not an OpenID Connect code request: {query}")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = {
                "redirect_uri": redirect_uri,
                "nonce": query.get("nonce"),
                "challenge": query.get("code_challenge"),
                "method": query.get("code_challenge_method"),
                "claims": dict(self.identity),
            }
        params = {"code": code}
        if "state" in query:
            params["state"] = query["state"]
        return 302, {"Location": _with_query(redirect_uri, params)}, b""

    def token(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict[str, str], bytes]:
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.lower().startswith("basic "):
            decoded = base64.b64decode(authorization[6:]).decode("utf-8")
            client_id, client_secret = (unquote(part) for part in decoded.partition(":")[::2])
        if client_id != self.client_id or not secrets.compare_digest(client_secret or "", self.client_secret):
            return self._refuse(401, "invalid_client", "wrong client credentials")
        if form.get("grant_type") != "authorization_code":
            return self._refuse(400, "unsupported_grant_type", f"grant_type {form.get('grant_type')!r}")
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)
        if grant is None:
            return self._refuse(400, "invalid_grant", "unknown or reused code")
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return self._refuse(400, "invalid_grant", "redirect_uri differs from the authorization request")
        if grant["challenge"]:
            verifier = form.get("code_verifier", "")
            expected = _b64url(hashlib.sha256(verifier.encode("ascii")).digest())
            if grant["method"] != "S256" or expected != grant["challenge"]:
                return self._refuse(400, "invalid_grant", "PKCE verification failed")
        access_token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[access_token] = grant["claims"]
        body = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": "openid email profile",
            "id_token": self.id_token(grant["claims"], grant["nonce"]),
        }
        return 200, {"Content-Type": "application/json", "Cache-Control": "no-store"}, json.dumps(body).encode()

    def userinfo(self, authorization: str | None) -> tuple[int, dict[str, str], bytes]:
        token = (authorization or "")[7:] if (authorization or "").lower().startswith("bearer ") else ""
        with self._lock:
            claims = self._tokens.get(token)
        if claims is None:
            return self._refuse(401, "invalid_token", "unknown access token")
        return 200, {"Content-Type": "application/json"}, json.dumps(claims).encode()

    def logout(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        target = query.get("post_logout_redirect_uri")
        if not target:
            return 200, {"Content-Type": "text/plain"}, b"signed out"
        params = {"state": query["state"]} if "state" in query else {}
        return 302, {"Location": _with_query(target, params) if params else target}, b""

    def _refuse(self, status: int, error: str, why: str) -> tuple[int, dict[str, str], bytes]:
        self.errors.append(f"{error}: {why}")
        return status, {"Content-Type": "application/json"}, json.dumps({"error": error}).encode()

    # -- HTTP ------------------------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

            def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _json(self, data: dict[str, Any]) -> None:
                self._send(200, {"Content-Type": "application/json"}, json.dumps(data).encode())

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                url = urlparse(self.path)
                provider.requests.append(("GET", url.path))
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    self._json(provider.metadata())
                elif url.path == "/jwks":
                    self._json(provider.jwks())
                elif url.path == "/authorize":
                    self._send(*provider.authorize(query))
                elif url.path == "/userinfo":
                    self._send(*provider.userinfo(self.headers.get("Authorization")))
                elif url.path == "/logout":
                    self._send(*provider.logout(query))
                else:
                    self._send(404, {"Content-Type": "text/plain"}, b"not found")

            def do_POST(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                provider.requests.append(("POST", url.path))
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8")
                form = {k: v[0] for k, v in parse_qs(raw).items()}
                if url.path == "/token":
                    self._send(*provider.token(form, self.headers.get("Authorization")))
                elif url.path == "/userinfo":
                    self._send(*provider.userinfo(self.headers.get("Authorization")))
                else:
                    self._send(404, {"Content-Type": "text/plain"}, b"not found")

        return Handler
