"""The API's response models (Pydantic) and the OpenAPI description built from them.

Each endpoint answers ``{"run_id": …, "data": [rows]}``; the rows are the columns the pages' reads
return (``store.reads``), so the API and the pages cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Organisation(_Row):
    org_code: str
    name: str | None = None
    kind: str | None = None
    region: str | None = None
    size_band: str | None = None
    thematic_areas: list[str] | None = None


class Run(_Row):
    id: int
    created_at: datetime
    framework_hash: str
    granularity: str | None = None
    org_count: int | None = None
    period_count: int | None = None
    periods: list[str]


class Score(_Row):
    """A composite (``principle`` null) or principle score, its coverage and rank with its 90 % interval."""

    org_code: str
    name: str | None = None
    period: str
    principle: str | None = None
    score: float | None = None
    coverage: float | None = None
    status: str | None = None
    grade: str | None = None
    nominal_rank: float | None = None
    median_rank: float | None = None
    rank_p05: float | None = None
    rank_p95: float | None = None
    ranked_count: int | None = None


class IndicatorValue(_Row):
    org_code: str
    period: str
    indicator_code: str
    value: float | None = None
    normalised: float | None = None
    flagged: bool | None = None


class Trend(_Row):
    """Per principle (null = composite): how many organisations improve, hold or decline."""

    principle: str | None = None
    n: int
    improving: int
    stable: int
    declining: int
    insufficient_data: int
    sustained: int
    median_persistence: float | None = None


class OrgTrend(_Row):
    """One organisation's series (``?org=``): a principle's score or an indicator's values."""

    org_code: str
    principle: str | None = None
    indicator_code: str | None = None
    last_period: str | None = None
    n_periods: int | None = None
    slope: float | None = None
    trend: str | None = None
    persistence: float | None = None
    sustained: bool | None = None
    progress: float | None = None


class Quality(_Row):
    org_code: str
    name: str | None = None
    period: str
    completeness: float | None = None
    timeliness_days: float | None = None
    consistency_flags: int | None = None
    evidence: float | None = None
    grade: str | None = None


class ErrorDetail(BaseModel):
    code: str
    message: str


class Error(BaseModel):
    error: ErrorDetail


#: endpoint → (row models, summary). ``trends`` answers :class:`Trend` rows, or :class:`OrgTrend` with ``org``.
ENDPOINTS: dict[str, tuple[tuple[type[BaseModel], ...], str]] = {
    "organisations": ((Organisation,), "Organisations the token may see"),
    "runs": ((Run,), "The scoring run the token reads (a pinned link's run), with its periods"),
    "scores": ((Score,), "Composite and principle scores with coverage, rank and rank interval"),
    "indicators": ((IndicatorValue,), "Indicator values (raw and normalised) of the organisations in scope"),
    "trends": ((Trend, OrgTrend), "Network trends per principle, or one organisation's series with org="),
    "quality": ((Quality,), "Data quality grades per organisation and period (not for funder links)"),
}
FILTERS = {
    "period": "a period label, e.g. 2024 or 2024-Q3",
    "principle": "a principle code, or `composite`",
    "org": "an organisation code",
    "format": "`json` (default) or `csv` (also `Accept: text/csv`)",
    "lang": "language of names: fr (default), ar, en",
}


def _schemas() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for model in {m for models, _ in ENDPOINTS.values() for m in models} | {Error}:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        found.update(schema.pop("$defs", {}))
        found[model.__name__] = schema
    return found


def _operation(name: str, models: tuple[type[BaseModel], ...], summary: str) -> dict[str, Any]:
    rows = [{"$ref": f"#/components/schemas/{m.__name__}"} for m in models]
    items = rows[0] if len(rows) == 1 else {"oneOf": rows}
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {
        "get": {
            "operationId": name,
            "summary": summary,
            "parameters": [
                {"name": key, "in": "query", "required": False, "description": text, "schema": {"type": "string"}}
                for key, text in FILTERS.items()
            ],
            "responses": {
                "200": {
                    "description": "rows in scope",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"run_id": {"type": ["integer", "null"]},
                                               "data": {"type": "array", "items": items}},
                                "required": ["run_id", "data"],
                            }
                        },
                        "text/csv": {"schema": {"type": "string"}},
                    },
                },
                **{code: {"description": text, "content": error} for code, text in (
                    ("400", "a token in the query string, or a bad filter"),
                    ("401", "no token, or a malformed, unknown, expired or revoked one"),
                    ("403", "outside the token's pages"),
                    ("429", "too many requests for this token (see Retry-After)"),
                    ("503", "the database is out of reach or busy: try again after Retry-After"),
                )},
            },
        }
    }


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 description of ``/api/v1``."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Athar read-only API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {f"/{name}": _operation(name, models, summary) for name, (models, summary) in ENDPOINTS.items()},
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "a funder link's token, or a personal API token"},
            },
        },
    }
