"""Two app processes on one PostgreSQL database (issue 15), driven by Debian's Chromium, with the
command line working between them.

Both servers (``python -m server``, tests/browser/browser_harness.running_server) run on one copy of the
PostgreSQL demo, started side by side. A member uploads through one server's Upload page, the committee
approves from the command line while both run, and the other server's API serves the values. Then eight
uploads at once — three pages on each server and two ``python -m ingest load`` — are all stored whole.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser_harness import (
    PAGE_TIMEOUT_MS,
    REPO,
    VIEWPORT,
    demo_username,
    exceptions_on,
    open_page,
    page_url,
    running_server,
    wait_until_idle,
)
from playwright.sync_api import expect
from server_harness import call

from i18n import t
from store import accounts, api_tokens, links
from store.db import Store

PERIOD = "2022"  # the demo stores 2023–2025: a year of its own for every file here
MAIN = '[data-testid="stMain"]'


@dataclass(frozen=True)
class Replicas:
    url: str  # the PostgreSQL database both servers share
    first: str
    second: str
    env: dict[str, str]  # what a command line beside them needs (the database, the raw/ folder)


@contextlib.contextmanager
def _side_by_side(db: Path, folder: Path, env: dict[str, str]) -> Iterator[tuple[str, str]]:
    """Both servers started at once (each waits for its own /healthz); both stopped at the end."""
    servers = [running_server(db, folder / name, env) for name in ("first", "second")]
    with contextlib.ExitStack() as stack, ThreadPoolExecutor(2) as pool:
        started = [pool.submit(server.__enter__) for server in servers]
        urls = []
        for server, future in zip(servers, started, strict=True):
            with contextlib.suppress(Exception):
                urls.append(future.result())
                stack.push(server.__exit__)
        if len(urls) != 2:
            started[0].result(), started[1].result()  # raise the failure (the other is stopped on the way out)
        yield urls[0], urls[1]


@pytest.fixture(scope="module")
def replicas(pg_cluster, demo_pg_template, tmp_path_factory) -> Iterator[Replicas]:
    url = pg_cluster.fresh_database(template=demo_pg_template)
    folder = tmp_path_factory.mktemp("replicas")
    shutil.copytree(tmp_path_factory.getbasetemp() / "demo-pg" / "raw", folder / "raw")  # the demo's raw files
    env = {"ATHAR_DATABASE_URL": url, "ATHAR_AUTO_SCORE": "0"}
    try:
        with _side_by_side(folder / "athar.duckdb", folder, env) as (first, second):
            yield Replicas(url, first, second, {**os.environ, **env, "ATHAR_DB": str(folder / "athar.duckdb")})
    finally:
        pg_cluster.drop_database(url)


@pytest.fixture
def store(replicas: Replicas) -> Iterator[Store]:
    opened = Store(replicas.url)
    yield opened
    opened.close()


def annual_file(folder: Path, org: str, values: dict[str, float], name: str | None = None) -> Path:
    """A member's file for ``PERIOD``: one row per indicator."""
    path = folder / (name or f"{org}_{PERIOD}.csv")
    lines = ["org_code,indicator_code,period,value"]
    lines += [f"{org},{code},{PERIOD},{value:g}" for code, value in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def choose_file(page, path: Path) -> None:
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))


def confirm_button(page):
    return page.locator(MAIN).get_by_role("button", name=t("dashboard.upload.confirm", "fr"))


def accepted_alert(page, rows: int, submission: int | str = "\x00"):
    """The page's "accepted — N values stored (submission n° …)" (up to the number when it is not given)."""
    accepted = t("report.accepted", "fr", rows=rows, submission=submission).split("\x00")[0]
    return page.locator('[data-testid="stAlertContentSuccess"]').filter(has_text=accepted)


def load_command(path: Path, org: str, url: str) -> list[str]:
    return [sys.executable, "-m", "ingest", "load", str(path), "--db", url, "--org", org,
            "--uploaded-by", f"member:{org}", "--no-score", "--json"]


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def indicator_values(base: str, token: str, org: str | None = None) -> dict[tuple[str, str], float]:
    reply = call(base, f"/api/v1/indicators?period={PERIOD}" + (f"&org={org}" if org else ""), token=token)
    assert reply.status == 200, reply.body
    return {(row["org_code"], row["indicator_code"]): row["value"] for row in reply.json()["data"]}


def stored(store: Store, org: str) -> list[tuple[int, str, float]]:
    """(submission, indicator, value) of every current value ``org`` holds for ``PERIOD``."""
    frame = store.query(
        "SELECT submission_id, indicator_code, value FROM observations "
        "WHERE org_code = ? AND period = ? AND valid_to IS NULL ORDER BY indicator_code",
        [org, PERIOD],
    )
    return [tuple(row) for row in frame.iter_rows()]


def test_a_member_uploads_on_one_server_the_committee_approves_from_the_command_line_and_the_other_serves_it(
    replicas: Replicas, store: Store, browser, tmp_path: Path
) -> None:
    org, values = "FON-RBT-003", {"R01": 412, "R02": 63.5, "R04": 71.25}
    _, token = links.create_link(store, label="bailleur", org_codes=[org], created_by="cli:test")
    page = open_page(browser, replicas.first, "upload", "fr", act_as=org)
    try:
        choose_file(page, annual_file(tmp_path, org, values))
        expect(page.locator('[data-testid="stFileUploader"]')).to_contain_text(f"{org}_{PERIOD}.csv")
        wait_until_idle(page)
        confirm_button(page).click()
        wait_until_idle(page)
        expect(accepted_alert(page, len(values))).to_be_visible()
        assert exceptions_on(page) == []
        rows = stored(store, org)
        submission = rows[0][0]
        assert rows == [(submission, code, value) for code, value in sorted(values.items())]
        expect(accepted_alert(page, len(values), submission)).to_be_visible()
    finally:
        page.context.close()
    # The link shows approved values only: the committee approves from the command line, then scores.
    approved = json.loads(run([sys.executable, "-m", "store", "review", "approve", str(submission), "--db",
                               replicas.url, "--json"], replicas.env).stdout)
    assert approved["locked"] == [f"{org} {PERIOD}"]
    run([sys.executable, "-m", "metrics", "score", "--pending", "--db", replicas.url], replicas.env)
    served = indicator_values(replicas.second, token, org)
    assert served == {(org, code): pytest.approx(value) for code, value in values.items()}
    assert indicator_values(replicas.first, token, org) == served


#: Who uploads in the eight-at-once test: three members on each server's page, two on the command line.
ON_FIRST = ("ASS-CAS-001", "ASS-TIN-002", "COO-TRD-004")
ON_SECOND = ("ASS-OUJ-005", "ENT-CAS-006", "PUB-FES-007")
BY_COMMAND = ("ASS-MAR-008", "ASS-ZAG-009")


def eight_files(folder: Path) -> dict[str, dict[str, float]]:
    """Each organisation's values: two to four indicators, no two files alike."""
    orgs = (*ON_FIRST, *ON_SECOND, *BY_COMMAND)
    indicators = ("R01", "R02", "R04", "R03")
    return {org: dict(zip(indicators[: 2 + i % 3], (100 + 17 * i, 40.5 + i, 55.25 + i, 30 + i), strict=False))
            for i, org in enumerate(orgs)}


def upload_pages(browser, members: dict[str, str]) -> dict[str, object]:
    """The Upload page of ``base`` for each ``member: base``, each in its own context, signed in as the member.
    Opened and signed in side by side (each step sent to every page before any is waited for)."""
    from store.accounts import DEMO_PASSWORD

    pages = {}
    for org, base in members.items():
        page = browser.new_context(viewport=VIEWPORT, locale="fr-FR").new_page()
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        page.goto(page_url(base, "upload", "fr"), wait_until="commit")
        pages[org] = page
    for org, page in pages.items():
        wait_until_idle(page)
        form = page.locator('[data-testid="stForm"]')
        form.locator("input[type=text], input:not([type])").first.fill(demo_username(org))
        form.locator("input[type=password]").fill(DEMO_PASSWORD)
        form.get_by_role("button", name=t("dashboard.access.sign_in", "fr")).click()
    for page in pages.values():
        page.wait_for_timeout(300)
        wait_until_idle(page)
    return pages


def steering_token(store: Store) -> str:
    """A personal API token of the demo committee account (made by the servers in demo mode)."""
    committee = accounts.find_by_username(store, accounts.DEMO_STEERING)
    return api_tokens.create_token(store, committee.id, "replicas", actor="cli:test")[1]


def test_eight_uploads_at_once_over_both_servers_and_the_command_line_are_all_stored_whole(
    replicas: Replicas, store: Store, browser, tmp_path: Path
) -> None:
    files = eight_files(tmp_path)
    paths = {org: annual_file(tmp_path, org, values) for org, values in files.items()}
    pages = upload_pages(browser, dict.fromkeys(ON_FIRST, replicas.first) | dict.fromkeys(ON_SECOND, replicas.second))
    try:
        for org, page in pages.items():
            choose_file(page, paths[org])
        for page in pages.values():  # each file checked and previewed, nothing stored yet
            wait_until_idle(page)
            expect(confirm_button(page)).to_be_visible()
        assert not any(stored(store, org) for org in files)
        # All eight at once: the two command lines start, then the six pages confirm.
        commands = [subprocess.Popen(load_command(paths[org], org, replicas.url), cwd=REPO, env=replicas.env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                    for org in BY_COMMAND]
        for page in pages.values():
            confirm_button(page).click(no_wait_after=True)
        outputs = [command.communicate(timeout=300) for command in commands]
        assert [command.returncode for command in commands] == [0, 0], outputs
        for org, page in pages.items():
            expect(accepted_alert(page, len(files[org]))).to_be_visible()
            assert exceptions_on(page) == []
    finally:
        for page in pages.values():
            page.context.close()
    assert [json.loads(out)[0]["status"] for out, _ in outputs] == ["accepted", "accepted"]
    submissions = {}
    for org, values in files.items():  # one submission each, with exactly its file's rows
        rows = stored(store, org)
        submissions[org] = rows[0][0]
        assert rows == [(submissions[org], code, value) for code, value in sorted(values.items())], org
    assert len(set(submissions.values())) == 8
    new = sorted(submissions.values())
    kept = store.query("SELECT id, org_code, row_count, status FROM submissions WHERE id >= ? ORDER BY id", [new[0]])
    assert kept.rows() == [(submissions[org], org, len(files[org]), "accepted")
                           for org in sorted(files, key=submissions.get)]
    audited = store.query("SELECT target, count(*) AS n FROM audit_log WHERE action = 'upload' AND outcome = 'ok' "
                          "AND target LIKE 'submission:%' GROUP BY target")
    counts = dict(audited.rows())
    assert [counts.get(f"submission:{number}") for number in new] == [1] * 8
    # Nothing half-written anywhere: no value without its submission, no submission without its values.
    assert store.scalar("SELECT count(*) FROM observations o "
                        "WHERE NOT EXISTS (SELECT 1 FROM submissions s WHERE s.id = o.submission_id)") == 0
    assert store.scalar("SELECT count(*) FROM submissions s "
                        "WHERE NOT EXISTS (SELECT 1 FROM observations o WHERE o.submission_id = s.id)") == 0
    # Scored from the command line, both servers' APIs answer alike, with every file's values.
    run([sys.executable, "-m", "metrics", "score", "--pending", "--db", replicas.url], replicas.env)
    token = steering_token(store)
    served = indicator_values(replicas.first, token)
    assert served == indicator_values(replicas.second, token)
    assert served == {(org, code): pytest.approx(value) for org, values in files.items()
                      for code, value in values.items()} | {k: v for k, v in served.items() if k[0] not in files}
    for endpoint in ("organisations", "runs", "scores"):
        assert call(replicas.first, f"/api/v1/{endpoint}", token=token).json() == \
            call(replicas.second, f"/api/v1/{endpoint}", token=token).json()
