"""Who calls the API: ``Authorization: Bearer …`` with a funder link's token → the link's Viewer, or
with a personal API token (``store.api_tokens``, ``athar_pat_…``) → its account's Viewer.

The same check as the pages (``store.links.check_token``): scope, pinned run, approved values only.
Every accepted request is counted and audited like a page view (``page="api:<endpoint>"``); every
refused token is audited with the client's fingerprint, never the token. A token in the query string
is refused outright: addresses are written to logs, proxies' included.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from store import api_tokens, links
from store.clients import ClientInfo
from store.db import Store
from store.viewer import Viewer

QUERY_TOKEN_PARAMS = ("token", "link", "access_token")


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str  # catalogue key under ``api.errors``


def client_of(request: Request) -> ClientInfo:
    return ClientInfo.of(request.client.host if request.client else None, request.headers.get("user-agent"))


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def authenticate(store: Store, request: Request, endpoint: str) -> Viewer | Refusal:
    """The viewer of this request, or why not (refusals of a presented token are audited)."""
    page = f"api:{endpoint}"
    if any(name in request.query_params for name in QUERY_TOKEN_PARAMS):
        links.record_refusal(store, "token_in_query", page=page, client=client_of(request))
        return Refusal(400, "token_in_query")
    token = bearer(request)
    if token is None:
        return Refusal(401, "unauthenticated")
    if api_tokens.is_personal(token):
        return _personal(store, request, token, page)
    check = links.check_token(store, token)
    if not check.ok:
        links.record_refusal(store, check.status, page=page, client=client_of(request))
        return Refusal(401, check.status)
    viewer = check.viewer()
    links.record_use(store, viewer.link.link_id, page=page)
    return viewer


def _personal(store: Store, request: Request, token: str, page: str) -> Viewer | Refusal:
    """A personal token: its account's scope (steering or member), counted and audited."""
    check = api_tokens.check_token(store, token)
    if not check.ok:
        api_tokens.record_refusal(store, check, page=page, client=client_of(request))
        return Refusal(401, "unknown" if check.status == "account_unusable" else check.status)
    api_tokens.record_use(store, check, page=page)
    return check.account.viewer()
