"""Scope in the data layer: every public read of ``store.reads``, called as a member and as a funder,
returns nothing outside what that viewer may see; a pinned link reads only its run.

The functions are enumerated from the module, so a read added later is checked too: a parameter
this file does not know how to fill fails the test, asking for a plausible value.
"""

from __future__ import annotations

import dataclasses
import inspect
import itertools
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

import polars as pl
import pytest
from conftest import REPO
from polars.testing import assert_frame_equal
from pydantic import BaseModel

from framework.groups import GROUPS
from store import accounts, audit, links
from store.db import Store
from store.reads import common as common_reads
from store.reads import compare as compare_reads
from store.reads import every_read
from store.reads import overview as overview_reads
from store.reads import profile as profile_reads
from store.viewer import LinkScope, Viewer

MEMBER_ORG = "ASS-CAS-001"
OTHER_ORG = "ENT-CAS-006"
FUNDER_ORGS = frozenset({MEMBER_ORG, "FON-RBT-003"})
FUNDER_PRINCIPLES = frozenset({"P2"})
FUNDER_PERIODS = frozenset({"2024"})
LANGS = ("fr", "ar", "en")

MEMBER = Viewer.member(MEMBER_ORG)
FUNDER = Viewer.funder(LinkScope(FUNDER_ORGS, principles=FUNDER_PRINCIPLES, periods=FUNDER_PERIODS, link_id=1))
#: The same organisations with every principle and period, unpinned and pinned to the first run.
WIDE = LinkScope(FUNDER_ORGS, link_id=2)
WIDE_FUNDER = Viewer.funder(WIDE)
PINNED_FUNDER = Viewer.funder(dataclasses.replace(WIDE, run_id=1))
#: A link for P5 only: it shows S01 = S02 / R01 (cost per beneficiary), S02 (budget) serves no principle.
RATIO_FUNDER = Viewer.funder(LinkScope(frozenset({MEMBER_ORG}), principles=frozenset({"P5"}), link_id=3))
#: What would give S02 back: S02 itself and, with S01 shown, R01 (S02 = S01 × R01).
RATIO_HIDDEN = frozenset({"S02", "R01"})

pytestmark = pytest.mark.backends("duckdb", "postgres")

READS: dict[str, Callable] = every_read()
RUN_READS = sorted(name for name, f in READS.items() if "run_id" in inspect.signature(f).parameters)
#: Known gaps in store/reads/, each a bug to fix there. Strict: the fix turns the test red until
#: its entry here is removed.
FUNDER_SCOPE_GAPS: dict[str, str] = {}  # reads known to leak outside a link (none left)


def _with_gaps(names: list[str], gaps: dict[str, str]) -> list:
    return [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=gaps[n])) if n in gaps else n for n in names]


@pytest.fixture(scope="module")
def store(backend, tmp_path_factory, request) -> Iterator[Store]:
    """The demo network with two scoring runs (the second altered so they differ), plus a link,
    accounts and audit entries."""
    if backend == "postgres":
        cluster = request.getfixturevalue("pg_cluster")
        path = cluster.fresh_database(template=request.getfixturevalue("demo_pg_template"))
        request.addfinalizer(lambda: cluster.drop_database(path))
    else:
        path = tmp_path_factory.mktemp("scope") / "demo.duckdb"
        shutil.copy(request.getfixturevalue("demo_db_pristine"), path)
    done = subprocess.run([sys.executable, "-m", "metrics", "score", "--db", str(path)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    handle = Store(path)
    handle.write(lambda cur: cur.execute(
        """
        UPDATE scores SET score = 100 - score WHERE run_id = 2;
        UPDATE score_indicators SET value = value + 1, normalised = 1 - normalised WHERE run_id = 2;
        UPDATE score_trends SET slope = -slope, progress = progress / 2 WHERE run_id = 2;
        """
    ))
    links.create_link(handle, label="bailleur", org_codes=sorted(FUNDER_ORGS), created_by="cli:test")
    accounts.create_account(handle, "alice", "member", org_code=MEMBER_ORG, created_by="cli:test")
    accounts.authenticate(handle, "alice", "wrong password")
    yield handle
    handle.close()


@pytest.fixture(scope="module")
def facts(store: Store) -> dict[str, Any]:
    """What the arguments are made of, read as the steering committee would."""
    orgs = store.query("SELECT code, name_fr, name_ar, name_en FROM organizations").rows()
    keys = store.query(
        "SELECT org_code, indicator_code, period, sex, age_band, disability, area, region FROM observations_current"
    )
    return {
        "run": int(store.scalar("SELECT max(id) FROM score_runs")),
        "orgs": orgs,
        "codes": tuple(sorted(code for code, *_ in orgs)),
        "keys": keys,
        "submissions": {
            org: int(store.scalar("SELECT min(id) FROM submissions WHERE org_code = ?", [org]))
            for org in (MEMBER_ORG, OTHER_ORG)
        },
    }


def _values(parameter: inspect.Parameter, facts: dict[str, Any], run_id: int) -> list[Any]:
    """Plausible arguments for one parameter (with in-scope and out-of-scope choices)."""
    optional = parameter.default is None
    choices: dict[str, list[Any]] = {
        "run_id": [run_id],
        "period": ["2024", "2025"],
        "previous": ["2023", "2024"],
        "lang": list(LANGS),
        "org_code": [MEMBER_ORG, OTHER_ORG] + ([None] if optional else []),
        "org_codes": [facts["codes"]],
        "principle": [None, "P1", "P2"],
        "by": list(GROUPS),
        "indicator_code": ["R01", "E03", "S02"],
        "indicator_codes": [("R01", "E03", "S02", "J01")],
        "how": ["sum", "median", "share"],
        "yes_no": [(), ("S04",)],
        "beneficiaries": ["R01"],
        "band": [5.0],
        "deadline_days": [90.0],
        "width": [10],
        "min_history": [1, 3],
        "limit": [500],
        "submission_id": list(facts["submissions"].values()),
        "keys": [facts["keys"]],
        "weight_by": [None, "R01"],
        "numerator": [None, "S02"],
        "denominator": [None, "R01"],
        "granularity": ["year", "quarter"],
        "time_rule": ["sum", "last"],
        "today": [date(2026, 3, 1)],
        "default_deadline": [90],
    }
    if parameter.name not in choices:
        raise AssertionError(f"give tests/security/test_store_scope.py a plausible value for {parameter.name!r}")
    return choices[parameter.name]


def _calls(name: str, facts: dict[str, Any], run_id: int) -> Iterator[dict[str, Any]]:
    parameters = list(inspect.signature(READS[name]).parameters.values())[2:]
    options = [_values(p, facts, run_id) for p in parameters]
    for combination in itertools.product(*options):
        yield dict(zip([p.name for p in parameters], combination, strict=True))


def _strings(value: Any) -> Iterator[str]:
    """Every text anywhere in a result (frames, dicts, lists, dataclasses, models)."""
    if value is None or isinstance(value, bool | int | float | date | datetime):
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, pl.DataFrame):
        yield from value.columns
        for column in value.columns:
            yield from _strings(value.get_column(column).to_list())
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings(item)
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            yield from _strings(getattr(value, field.name))
    elif isinstance(value, BaseModel):
        yield from _strings(value.model_dump())
    else:
        raise AssertionError(f"cannot inspect a {type(value).__name__}")


def _forbidden(facts: dict[str, Any], allowed: frozenset[str]) -> list[str]:
    """Codes and names (fr, ar, en) of every organisation outside ``allowed``."""
    return [text for code, *names in facts["orgs"] if code not in allowed for text in (code, *names) if text]


def _leaks(result: Any, forbidden: list[str]) -> set[str]:
    texts = list(_strings(result))
    return {bad for bad in forbidden if any(bad in text for text in texts)}


@pytest.mark.parametrize("name", sorted(READS))
def test_member_sees_no_other_organisation(store, facts, name) -> None:
    forbidden = _forbidden(facts, frozenset({MEMBER_ORG}))
    for kwargs in _calls(name, facts, facts["run"]):
        result = READS[name](store, MEMBER, **kwargs)
        assert not _leaks(result, forbidden), (name, kwargs, sorted(_leaks(result, forbidden))[:5])


def _frames(result: Any) -> Iterator[pl.DataFrame]:
    if isinstance(result, pl.DataFrame):
        yield result
    elif dataclasses.is_dataclass(result):
        for field in dataclasses.fields(result):
            yield from _frames(getattr(result, field.name))


def _period_in_scope(period: str | None) -> bool:
    return period is None or period in FUNDER_PERIODS or period[:4] in FUNDER_PERIODS


def _scope_breaches(name: str, result: Any) -> list[str]:
    """Principles and periods outside the funder's link, wherever a result names them."""
    breaches = []
    if name.endswith("periods") and isinstance(result, list):
        breaches += [f"period {p}" for p in result if not _period_in_scope(p)]
    for frame in _frames(result):
        for row in frame.iter_rows(named=True):
            if "principle" in row and row["principle"] not in FUNDER_PRINCIPLES and (
                row["principle"] is not None or row.get("indicator_code") is None
            ):
                breaches.append(f"principle {row['principle']}")
            for column in ("period", "last_period"):
                if column in row and not _period_in_scope(row[column]):
                    breaches.append(f"{column} {row[column]}")
    if dataclasses.is_dataclass(result):
        if getattr(result, "principle", None) not in FUNDER_PRINCIPLES:
            breaches.append(f"card principle {result.principle}")
        if not _period_in_scope(getattr(result, "period", None)):
            breaches.append(f"card period {result.period}")
        trend = getattr(result, "trend", None) or {}
        if not _period_in_scope(trend.get("last_period")):
            breaches.append(f"card trend last_period {trend.get('last_period')}")
    return breaches


@pytest.mark.parametrize("name", _with_gaps(sorted(READS), FUNDER_SCOPE_GAPS))
def test_funder_sees_only_the_organisations_principles_and_periods_of_its_link(store, facts, name) -> None:
    forbidden = _forbidden(facts, FUNDER_ORGS)
    for kwargs in _calls(name, facts, facts["run"]):
        result = READS[name](store, FUNDER, **kwargs)
        assert not _leaks(result, forbidden), (name, kwargs, sorted(_leaks(result, forbidden))[:5])
        breaches = _scope_breaches(name, result)
        assert not breaches, (name, kwargs, sorted(set(breaches))[:5])


def _ratio_inputs_shown(result: Any) -> list[str]:
    """Values of S02 or R01 anywhere in a result (a row naming one with a number, a beneficiaries sum)."""
    found = []
    if isinstance(result, dict) and result.get("beneficiaries") is not None:
        found.append(f"beneficiaries {result['beneficiaries']}")
    for frame in _frames(result):
        for row in frame.iter_rows(named=True):
            if row.get("indicator_code") not in RATIO_HIDDEN:
                continue
            numbers = {k: v for k, v in row.items() if isinstance(v, int | float) and k != "weight"}
            if any(v is not None for v in numbers.values()):
                found.append(f"{row['indicator_code']} {numbers}")
    return found


@pytest.mark.parametrize("name", sorted(READS))
def test_a_p5_link_reads_no_input_that_gives_back_the_budget(store, facts, name) -> None:
    for kwargs in _calls(name, facts, facts["run"]):
        result = READS[name](store, RATIO_FUNDER, **kwargs)
        shown = _ratio_inputs_shown(result)
        assert not shown, (name, kwargs, shown[:3])


def test_the_p5_link_check_means_something(store, facts) -> None:
    """S01 is there for the P5 link, and R01 for a P2 link (no ratio of P2 has a hidden input)."""
    own = profile_reads.org_indicators(store, RATIO_FUNDER, facts["run"], MEMBER_ORG, "2024")["indicator_code"]
    assert "S01" in own.to_list()
    assert "R01" in profile_reads.org_indicators(store, FUNDER, facts["run"], MEMBER_ORG, "2024")["indicator_code"]
    assert _ratio_inputs_shown(profile_reads.org_indicators(store, WIDE_FUNDER, facts["run"], MEMBER_ORG, "2024"))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, pl.DataFrame) and isinstance(b, pl.DataFrame):
        try:
            assert_frame_equal(a, b)
        except AssertionError:
            return False
        return True
    if dataclasses.is_dataclass(a) and dataclasses.is_dataclass(b):
        return type(a) is type(b) and all(
            _same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a)
        )
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


@pytest.mark.parametrize("name", RUN_READS)
def test_pinned_link_reads_its_run_whatever_run_is_asked_for(store, facts, name) -> None:
    latest = facts["run"]
    assert latest == 2
    for kwargs in _calls(name, facts, latest):
        asked_latest = READS[name](store, PINNED_FUNDER, **kwargs)
        its_run = READS[name](store, WIDE_FUNDER, **{**kwargs, "run_id": 1})
        assert _same(asked_latest, its_run), (name, kwargs)


def test_the_two_runs_differ_so_the_pin_test_means_something(store, facts) -> None:
    assert common_reads.latest_run(store, PINNED_FUNDER)["id"] == 1
    assert common_reads.latest_run(store, WIDE_FUNDER)["id"] == 2
    assert common_reads.latest_run(store, MEMBER)["id"] == 2
    for read in (profile_reads.org_scores, profile_reads.org_trends):
        first = read(store, WIDE_FUNDER, 1, MEMBER_ORG)
        assert not first.is_empty() and not _same(first, read(store, WIDE_FUNDER, 2, MEMBER_ORG))
    assert not _same(profile_reads.org_indicators(store, WIDE_FUNDER, 1, MEMBER_ORG, "2024"),
                     profile_reads.org_indicators(store, WIDE_FUNDER, 2, MEMBER_ORG, "2024"))


def test_the_reads_were_not_all_empty(store, facts) -> None:
    """A scope test passes trivially on empty results: both viewers do get their own data."""
    assert common_reads.organisations(store, MEMBER, "fr")["org_code"].to_list() == [MEMBER_ORG]
    assert set(common_reads.organisations(store, FUNDER, "fr")["org_code"]) == FUNDER_ORGS
    funder_scores = compare_reads.period_scores(store, FUNDER, facts["run"], "2024", "fr")
    assert set(funder_scores["org_code"]) == FUNDER_ORGS and set(funder_scores["principle"]) == FUNDER_PRINCIPLES
    assert not profile_reads.org_scores(store, MEMBER, facts["run"], MEMBER_ORG).is_empty()
    assert not overview_reads.score_distribution(store, MEMBER, facts["run"], "2024").is_empty()


@pytest.mark.parametrize("viewer", [MEMBER, FUNDER, PINNED_FUNDER], ids=["member", "funder", "pinned"])
def test_administration_reads_return_nothing_but_to_the_steering_committee(store, viewer) -> None:
    steering = Viewer.steering()
    assert not audit.entries(store, steering).is_empty()
    assert not links.list_links(store, steering).is_empty()
    assert not accounts.list_accounts(store, steering).is_empty()
    assert audit.entries(store, viewer).is_empty()
    assert audit.entries(store, viewer, actions=["sign_in_failed"], actor="account:alice").is_empty()
    assert links.list_links(store, viewer).is_empty()
    assert accounts.list_accounts(store, viewer).is_empty()
