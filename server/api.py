"""``/api/v1/…``: the read-only API, on the same reads and scope predicates as the pages.

Every endpoint calls ``store.reads`` with the caller's ``Viewer`` (``server.auth``): what a link or an
account may see is decided there, once, for pages and API alike. Filters ``period``, ``principle``
(``composite`` = the composite score) and ``org`` narrow the rows the reads return, never widen them.
JSON by default; CSV with ``?format=csv`` or ``Accept: text/csv``, every cell through the one
neutralising writer (``ingest.safe_write``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel, TypeAdapter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import settings
from i18n import LANGUAGES, t
from ingest.safe_write import csv_bytes
from server.auth import Refusal, authenticate, bearer
from server.models import ENDPOINTS, openapi
from server.ratelimit import RateLimiter
from store import links
from store.db import Store, open_store
from store.errors import DatabaseBusy, DatabaseUnreachable
from store.reads import common, compare, profile, quality, sustainability
from store.viewer import Viewer

#: A funder link opens an endpoint when its pages include one of these (no quality page for links).
ENDPOINT_PAGES: dict[str, frozenset[str] | None] = {
    "organisations": None,
    "runs": None,
    "scores": frozenset({"overview", "profile", "compare"}),
    "indicators": frozenset({"profile", "compare", "indicator"}),
    "trends": frozenset({"sustainability", "profile"}),
    "quality": frozenset({"quality"}),
}
COMPOSITE = "composite"
#: A database the server cannot reach or open answers 503 with one of these codes (and a Retry-After).
UNAVAILABLE = {DatabaseUnreachable: "database_unreachable", DatabaseBusy: "database_busy"}
RETRY_AFTER_S = "30"


class Query(BaseModel):
    period: str | None = None
    principle: str | None = None
    org: str | None = None
    lang: str = "fr"


def error(status: int, code: str, lang: str = "fr", headers: dict[str, str] | None = None) -> JSONResponse:
    """``{"error": {"code", "message"}}`` and nothing else."""
    body = {"error": {"code": code, "message": t(f"api.errors.{code}", lang)}}
    return JSONResponse(body, status_code=status, headers=headers)


def _narrowed(frame: pl.DataFrame, q: Query) -> pl.DataFrame:
    if q.period and "period" in frame.columns:
        frame = frame.filter(pl.col("period") == q.period)
    if q.org and "org_code" in frame.columns:
        frame = frame.filter(pl.col("org_code") == q.org)
    if q.principle and "principle" in frame.columns:
        wanted = pl.col("principle").is_null() if q.principle == COMPOSITE else pl.col("principle") == q.principle
        frame = frame.filter(wanted)
    return frame


def _organisations(store: Store, viewer: Viewer, run_id: int | None, q: Query) -> pl.DataFrame:
    return common.organisations(store, viewer, q.lang)


def _runs(store: Store, viewer: Viewer, run_id: int | None, q: Query) -> pl.DataFrame:
    run = common.latest_run(store, viewer)
    if run is None:
        return pl.DataFrame()
    keep = ("id", "created_at", "framework_hash", "granularity", "org_count", "period_count")
    row = {k: run[k] for k in keep} | {"periods": common.run_periods(store, viewer, run["id"])}
    return pl.DataFrame([row])


def _scores(store: Store, viewer: Viewer, run_id: int, q: Query) -> pl.DataFrame:
    return compare.run_scores(store, viewer, run_id, q.period, q.lang)


def _indicators(store: Store, viewer: Viewer, run_id: int, q: Query) -> pl.DataFrame:
    orgs = tuple(common.organisations(store, viewer, q.lang).get_column("org_code").to_list())
    orgs = tuple(o for o in orgs if q.org in (None, o))
    return compare.run_indicator_values(store, viewer, run_id, q.period, orgs)


def _trends(store: Store, viewer: Viewer, run_id: int, q: Query) -> pl.DataFrame:
    if q.org:
        return profile.org_trends(store, viewer, run_id, q.org).with_columns(pl.lit(q.org).alias("org_code"))
    return sustainability.trend_summary(store, viewer, run_id)


def _quality(store: Store, viewer: Viewer, run_id: int, q: Query) -> pl.DataFrame:
    return quality.quality_table(store, viewer, run_id, q.lang)


READS: dict[str, Callable[[Store, Viewer, Any, Query], pl.DataFrame]] = {
    "organisations": _organisations,
    "runs": _runs,
    "scores": _scores,
    "indicators": _indicators,
    "trends": _trends,
    "quality": _quality,
}


def _may_open(viewer: Viewer, endpoint: str) -> bool:
    needed = ENDPOINT_PAGES[endpoint]
    if viewer.role != "funder" or needed is None:
        return True
    return bool(viewer.link and viewer.link.pages and needed & viewer.link.pages)


def wants_csv(request: Request) -> bool:
    fmt = request.query_params.get("format")
    if fmt is not None:
        return fmt.lower() == "csv"
    return "text/csv" in request.headers.get("accept", "")


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> Response:
    def cell(value: Any) -> Any:
        return ";".join(map(str, value)) if isinstance(value, list) else value

    body = csv_bytes([columns, *([cell(row.get(c)) for c in columns] for row in rows)], ",")
    return Response(body, media_type="text/csv; charset=utf-8")


@functools.cache
def _adapter(model: type[BaseModel]) -> TypeAdapter[list[Any]]:
    """One ``TypeAdapter`` per response model, built once (building one costs more than using it)."""
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def respond(request: Request, endpoint: str, run_id: int | None, frame: pl.DataFrame) -> Response:
    models = ENDPOINTS[endpoint][0]
    model = models[-1] if (endpoint == "trends" and "org_code" in frame.columns) else models[0]
    adapter = _adapter(model)
    rows = adapter.dump_python(adapter.validate_python(frame.to_dicts()), mode="json")
    if wants_csv(request):
        return _csv(rows, list(model.model_fields))
    return JSONResponse({"run_id": run_id, "data": rows})


def _query(request: Request) -> Query:
    params = request.query_params
    lang = params.get("lang", "fr")
    return Query(
        period=params.get("period") or None,
        principle=params.get("principle") or None,
        org=params.get("org") or None,
        lang=lang if lang in LANGUAGES else "fr",
    )


def endpoint_handler(endpoint: str, db: Callable[[], Path], limiter: RateLimiter) -> Callable[[Request], Response]:
    def handle(request: Request) -> Response:
        q = _query(request)
        token = bearer(request)
        if token is not None:
            wait = limiter.take(links.token_digest(token))
            if wait is not None:
                return error(429, "rate_limited", q.lang, {"Retry-After": limiter.retry_after(wait)})
        try:
            return answer(request, endpoint, open_store(db()), q)
        except (DatabaseUnreachable, DatabaseBusy) as exc:
            logging.getLogger("server.api").warning("/api/v1/%s: %s", endpoint, exc.message("en"))
            return error(503, UNAVAILABLE[type(exc)], q.lang, {"Retry-After": RETRY_AFTER_S})

    return handle


def answer(request: Request, endpoint: str, store: Store, q: Query) -> Response:
    """The endpoint's rows for whoever the request's token names, or the refusal."""
    who = authenticate(store, request, endpoint)
    if isinstance(who, Refusal):
        headers = {"WWW-Authenticate": "Bearer"} if who.status == 401 else None
        return error(who.status, who.code, q.lang, headers)
    if not _may_open(who, endpoint):
        return error(403, "outside_scope", q.lang)
    run = common.latest_run(store, who)
    run_id = run["id"] if run else None
    if run_id is None and endpoint not in ("organisations", "runs"):
        return respond(request, endpoint, None, pl.DataFrame())
    frame = _narrowed(READS[endpoint](store, who, run_id, q), q)
    return respond(request, endpoint, run_id, frame)


def openapi_json(_request: Request) -> JSONResponse:
    return JSONResponse(openapi())


def routes(db: Callable[[], Path]) -> list[Route]:
    limiter = RateLimiter(int(settings.get("ATHAR_API_RATE_PER_MINUTE")))
    found = [Route("/api/v1/openapi.json", openapi_json, methods=["GET"])]
    found += [Route(f"/api/v1/{name}", endpoint_handler(name, db, limiter), methods=["GET"]) for name in ENDPOINTS]
    return found
