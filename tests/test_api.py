"""The read-only API ``/api/v1`` on the REAL server: its OpenAPI description, JSON and CSV answers,
filters, neutralised CSV cells and the per-token rate limit.

Scope (what a token may see) is tested in ``tests/security/test_api_scope.py``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
from conftest import pg_module_copy
from server_harness import Served, call, serving, serving_postgres

from server.models import ENDPOINTS
from store import links
from store.db import Store

HOSTILE = '=HYPERLINK("http://evil.example","x")'
RATE = 20

#: On both backends: the same server over a DuckDB file and a PostgreSQL copy of the demo.
pytestmark = pytest.mark.backends("duckdb", "postgres")


def _prepare(store: Store) -> dict[str, str]:
    store.write(lambda cur: cur.execute("UPDATE organizations SET name_fr = ? WHERE code = 'ASS-CAS-001'", [HOSTILE]))
    orgs = ["ASS-CAS-001", "FON-RBT-003", "ASS-ZAG-009"]
    return {
        "wide": links.create_link(store, label="Large", org_codes=orgs, created_by="test")[1],
        "rate": links.create_link(store, label="Pressé", org_codes=orgs, created_by="test")[1],
    }


@pytest.fixture(scope="module")
def served(backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Served]:
    env = {"ATHAR_API_RATE_PER_MINUTE": str(RATE)}
    folder = tmp_path_factory.mktemp(f"api-{backend}")
    if backend == "postgres":
        with serving_postgres(pg_module_copy(request, folder), folder, folder / "live", _prepare, env) as live:
            yield live
        return
    with serving(request.getfixturevalue("demo_db_pristine"), folder, _prepare, env) as live:
        yield live


def test_the_openapi_description_is_valid_json_listing_every_endpoint(served: Served) -> None:
    reply = call(served.url, "/api/v1/openapi.json")
    spec = json.loads(reply.body)
    assert reply.status == 200 and spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {f"/{name}" for name in ENDPOINTS}
    assert {"Score", "Organisation", "IndicatorValue", "Error"} <= set(spec["components"]["schemas"])
    assert "rank_p05" in spec["components"]["schemas"]["Score"]["properties"]


def test_scores_carry_coverage_rank_and_rank_interval(served: Served) -> None:
    rows = call(served.url, "/api/v1/scores", token=served.prepared["wide"]).json()["data"]
    assert rows and {"score", "coverage", "nominal_rank", "rank_p05", "rank_p95", "ranked_count"} <= set(rows[0])
    assert any(r["principle"] is None for r in rows) and any(r["principle"] == "P1" for r in rows)


def test_filters_narrow_the_rows_by_period_principle_and_organisation(served: Served) -> None:
    token = served.prepared["wide"]
    rows = call(served.url, "/api/v1/scores?period=2024&principle=composite&org=FON-RBT-003", token=token).json()
    assert rows["data"] and all(
        (r["period"], r["principle"], r["org_code"]) == ("2024", None, "FON-RBT-003") for r in rows["data"]
    )
    p2 = call(served.url, "/api/v1/scores?principle=P2", token=token).json()["data"]
    assert p2 and {r["principle"] for r in p2} == {"P2"}


def test_csv_is_answered_for_format_csv_and_for_accept_text_csv(served: Served) -> None:
    token = served.prepared["wide"]
    by_param = call(served.url, "/api/v1/scores?format=csv&period=2024", token=token)
    by_accept = call(served.url, "/api/v1/scores?period=2024", token=token, headers={"Accept": "text/csv"})
    assert by_param.headers["content-type"].startswith("text/csv")
    assert by_param.body == by_accept.body
    rows = list(csv.DictReader(io.StringIO(by_param.body.decode("utf-8-sig"))))
    assert rows and {r["period"] for r in rows} == {"2024"} and "rank_p95" in rows[0]


def test_a_csv_cell_that_a_spreadsheet_would_run_is_neutralised(served: Served) -> None:
    token = served.prepared["wide"]
    text = call(served.url, "/api/v1/organisations?format=csv", token=token).body.decode("utf-8-sig")
    names = {r["org_code"]: r["name"] for r in csv.DictReader(io.StringIO(text))}
    assert names["ASS-CAS-001"] == "'" + HOSTILE  # quote-prefixed: a spreadsheet shows it as text
    assert not any(line.startswith(("=", '"=')) or ',"=' in line or ",=" in line for line in text.splitlines())
    json_names = {r["org_code"]: r["name"] for r in call(served.url, "/api/v1/organisations", token=token).json()["data"]}
    assert json_names["ASS-CAS-001"] == HOSTILE  # JSON is data, not a spreadsheet: unchanged


def test_runs_name_the_run_read_and_its_periods(served: Served) -> None:
    runs = call(served.url, "/api/v1/runs", token=served.prepared["wide"]).json()
    assert runs["data"][0]["id"] == runs["run_id"] and runs["data"][0]["periods"] == ["2023", "2024", "2025"]


def test_errors_are_in_the_requested_language(served: Served) -> None:
    from i18n import t

    body = call(served.url, "/api/v1/scores?lang=ar").json()
    assert body["error"] == {"code": "unauthenticated", "message": t("api.errors.unauthenticated", "ar")}


def test_a_token_over_its_rate_gets_429_with_retry_after_and_a_json_error(served: Served) -> None:
    token = served.prepared["rate"]
    replies = [call(served.url, "/api/v1/runs", token=token) for _ in range(RATE + 3)]
    assert [r.status for r in replies[:RATE]] == [200] * RATE
    limited = replies[-1]
    assert limited.status == 429 and int(limited.headers["retry-after"]) >= 1
    assert limited.json()["error"]["code"] == "rate_limited"
    assert call(served.url, "/api/v1/runs", token=served.prepared["wide"]).status == 200  # per token
