"""A scoring run end to end: nominal scores, data quality, rank robustness, trends — then recorded.

:func:`compute_run` is pure (frames in, frames out); :func:`score_store` reads the store, calls
it and records the run in one transaction, so a run is either complete or absent.

This is the only module of ``metrics`` that touches the store (``tests/test_architecture.py``):
the command line (``metrics.cli``) opens the database, finds the framework in use and the latest
run, and reads a method card's inputs through the functions at the end of this module. The command
line is run by whoever holds the database file, so it reads as the steering committee
(:data:`COMMAND_LINE_VIEWER`): every organisation, principle and period — through the same scoped
reads as the dashboard (``store.reads.method``), never an unscoped table read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

import settings
from framework.model import Framework, RobustnessSettings
from framework.periods import Granularity
from metrics.expectations import expected_indicators
from metrics.outliers import flagged_values
from metrics.quality import quality, robust_z
from metrics.robustness import robustness
from metrics.scoring import ScoringResult, score
from metrics.sustainability import complete_periods, trends
from store import Store
from store.audit import cli_actor as cli_actor  # the command line's audit actor, for metrics.cli
from store.db import database_arg as database_arg  # the command line's --db type, for metrics.cli
from store.db import open_store, utc_now
from store.errors import DatabaseBusy, DatabaseUnreachable  # noqa: F401 — the command line's refusals to open
from store.expectations import expectation_inputs
from store.reads import method as method_reads
from store.registry import framework_in_use as recorded_framework
from store.scores import RunRecord, latest_granularity, latest_run_id, record_run, scoring_inputs
from store.scoring_requests import Claim, claim, fail, release
from store.scoring_requests import requests as all_requests
from store.viewer import Viewer

ENGINE_VERSION = 1


@dataclass(frozen=True)
class RunFrames:
    """What a run computes, as frames ready to be stored or shown."""

    result: ScoringResult
    scores: pl.DataFrame
    indicators: pl.DataFrame
    trends: pl.DataFrame
    sensitivity: pl.DataFrame
    method: dict
    submission_ids: list[int]
    unusual: pl.DataFrame
    expected: pl.DataFrame | None = None  # org_code, indicator_code (``metrics.expectations``)


class NothingToScore(Exception):
    """The store holds no current value of any indicator of this framework."""


def method_choices(
    framework: Framework, granularity: Granularity, robustness_settings: RobustnessSettings | None = None
) -> dict:
    """Every choice behind the run's numbers, recorded with it (the framework itself is stored too)."""
    meta = framework.meta
    return {
        "engine": ENGINE_VERSION,
        "granularity": Granularity(granularity).value,
        "principle_aggregation": {
            p.code: framework.aggregation_of(p.code).value for p in framework.principles
        },
        "principle_weights": {p.code: p.weight for p in framework.principles},
        "composite_aggregation": meta.composite_aggregation.value,
        "coverage_threshold": meta.coverage_threshold,
        "composite_coverage_threshold": meta.composite_threshold,
        "geometric_floor": meta.geometric_floor,
        "indicators": {
            i.code: {
                "aggregation": i.aggregation.value,
                "weight_by": i.weight_by,
                "numerator": i.numerator,
                "denominator": i.denominator,
                "transform": i.transform.value,
                "normalisation": i.normalisation.value,
                "goalposts": list(i.goalposts) if i.goalposts else None,
                "target": i.target,
                "direction": i.direction.value,
                "weights": dict(i.weights),
            }
            for i in framework.indicators
        },
        "sustainability": meta.sustainability.model_dump(mode="json"),
        "quality": meta.quality.model_dump(mode="json"),
        "robustness": (robustness_settings or meta.robustness).model_dump(mode="json"),
    }


@dataclass(frozen=True)
class Completeness:
    """What decides which periods are complete when a run is made (``framework.periods.period_states``):
    the active members, the day the run is made and the share of members that completes a period."""

    members: list[str]
    today: date
    share: float


def compute_run(
    observations: pl.DataFrame,
    framework: Framework,
    granularity: Granularity = Granularity.YEAR,
    robustness_settings: RobustnessSettings | None = None,
    expected: pl.DataFrame | None = None,
    completeness: Completeness | None = None,
) -> RunFrames:
    """Score, grade, rank under uncertainty and read trends (pure); ``expected`` (org_code,
    indicator_code) is what completeness counts (None: every required indicator); trends use the
    complete periods only (``completeness`` None: every period counts as complete)."""
    granularity = Granularity(granularity)
    result = score(observations, framework, granularity)
    if not result.cube.present().any():
        raise NothingToScore()
    complete = (
        None
        if completeness is None
        else complete_periods(
            result,
            completeness.members,
            today=completeness.today,
            deadline_days=float(framework.meta.quality.timeliness_days[0]),
            share=completeness.share,
        )
    )
    keys = ["org_code", "period_key", "principle"]
    graded = quality(observations, result, framework, expected)
    ranks, sensitivity = robustness(result, framework, robustness_settings)
    scores = (
        result.scores.join(graded, on=keys, how="left", nulls_equal=True)
        .join(ranks, on=keys, how="left", nulls_equal=True)
        .sort("org_code", "period_key", _principle_order(framework))
    )
    z = robust_z(result.cube.values, framework.meta.quality.min_history)
    reported = ~np.isnan(result.cube.values)
    z_values = z[reported]
    outlier = framework.meta.quality.outlier_z
    indicators = result.values.with_columns(
        robust_z=pl.Series(z_values).fill_nan(None),
        flagged=pl.Series(np.nan_to_num(np.abs(z_values), nan=0.0) > outlier),
    )
    submission_ids = (
        sorted(int(s) for s in observations.get_column("submission_id").drop_nulls().unique().to_list())
        if "submission_id" in observations.columns
        else []
    )
    return RunFrames(
        result=result,
        scores=scores,
        indicators=indicators,
        trends=trends(result, framework, complete),
        sensitivity=sensitivity,
        method=method_choices(framework, granularity, robustness_settings),
        submission_ids=submission_ids,
        unusual=flagged_values(observations, framework.meta.quality),
        expected=expected,
    )


def _principle_order(framework: Framework) -> pl.Expr:
    """Principles in framework order, the composite last."""
    order = {p.code: n for n, p in enumerate(framework.principles)}
    return pl.col("principle").replace_strict(order, default=len(order), return_dtype=pl.Int64)


def score_store(
    store: Store,
    framework: Framework,
    granularity: Granularity = Granularity.YEAR,
    robustness_settings: RobustnessSettings | None = None,
    *,
    actor: str,
    today: date | None = None,
    claimed: Claim | None = None,
) -> tuple[int, RunFrames]:
    """Read the current observations, compute a run and record it with its audit entry (by ``actor``:
    ``cli:<user>`` or the signed-in account) in the same transaction; returns (run id, frames).
    ``today`` (default: the clock) decides which periods are complete, hence what trends span.
    The run covers the ``claimed`` scoring requests and every one pending before it read its inputs."""
    with run_lock(store):
        return _score_store(store, framework, granularity, robustness_settings, actor=actor, today=today,
                            claimed=claimed)


_run_locks: dict[Path, threading.RLock] = {}
_run_locks_guard = threading.Lock()


def run_lock(store: Store) -> threading.RLock:
    """One run at a time per database: within a process this lock (the background worker, the
    Framework page's button), across processes DuckDB's single read-write holder of the file."""
    with _run_locks_guard:
        return _run_locks.setdefault(store.path.resolve(), threading.RLock())


def _score_store(
    store: Store,
    framework: Framework,
    granularity: Granularity,
    robustness_settings: RobustnessSettings | None,
    *,
    actor: str,
    today: date | None,
    claimed: Claim | None,
) -> tuple[int, RunFrames]:
    inputs_read_at = utc_now()
    observations = scoring_inputs(store)
    known = {i.code for i in framework.indicators}
    observations = observations.filter(pl.col("indicator_code").is_in(known))
    if observations.is_empty():
        raise NothingToScore()
    orgs, overrides = expectation_inputs(store)
    expected = expected_indicators(framework, orgs, overrides)
    completeness = Completeness(
        members=orgs["org_code"].to_list(),
        today=today or date.today(),
        share=float(settings.get("ATHAR_COMPLETE_SHARE")),
    )
    frames = compute_run(observations, framework, granularity, robustness_settings, expected, completeness)
    run_id = record_run(
        store,
        RunRecord(
            framework_hash=framework.content_hash,
            framework=framework.model_dump(mode="json"),
            granularity=Granularity(granularity).value,
            method=frames.method,
            submission_ids=frames.submission_ids,
            scores=frames.scores,
            indicators=frames.indicators,
            trends=frames.trends,
            sensitivity=frames.sensitivity,
            unusual=frames.unusual,
            expected=frames.expected,
        ),
        actor=actor,
        inputs_read_at=inputs_read_at,
        claimed=claimed.ids if claimed else None,
        origins=claimed.origins if claimed else None,
    )
    return run_id, frames


# -- scores that follow: pending scoring requests ---------------------------------------------------
#: Who the audit log names for a run made because data changed (the request's origin is in the detail).
AUTO_ACTOR = "system:auto"


@dataclass(frozen=True)
class PendingOutcome:
    """What one pass over the pending requests did: nothing (``claimed`` empty), a run, or a failure."""

    claimed: list[int]
    run_id: int | None = None
    error: str | None = None


def run_pending(
    store: Store,
    framework_source: Callable[[Store], Framework] = lambda store: recorded_framework(store, None),
    *,
    today: date | None = None,
) -> PendingOutcome:
    """Claim every pending scoring request and cover them with one run (``AUTO_ACTOR``), scoring with
    the framework ``framework_source`` gives (default: the version recorded in the store), at the
    granularity of the latest run (year before the first). A failure is
    recorded on the requests (retried once, then failed) and returned, never raised: a background
    worker must survive it. Nothing pending: nothing done; a run under way in this process is waited for
    (it covers what was pending before it read its inputs)."""
    with run_lock(store):
        return _run_claimed(store, framework_source, today)


def _run_claimed(store: Store, framework_source: Callable[[Store], Framework], today: date | None) -> PendingOutcome:
    claimed = claim(store)
    if claimed is None:
        return PendingOutcome([])
    try:
        framework = framework_source(store)
        granularity = Granularity(latest_granularity(store) or Granularity.YEAR.value)
        run_id, _ = score_store(store, framework, granularity, actor=AUTO_ACTOR, today=today, claimed=claimed)
    except NothingToScore:
        release(store, claimed.ids, "nothing to score")
        return PendingOutcome(claimed.ids, error="nothing to score")
    except Exception as exc:  # noqa: BLE001 — recorded on the requests; the worker goes on
        error = f"{type(exc).__name__}: {exc}"
        fail(store, claimed, error, actor=AUTO_ACTOR)
        return PendingOutcome(claimed.ids, error=error)
    return PendingOutcome(claimed.ids, run_id=run_id)


def scoring_requests(store: Store) -> list[dict[str, Any]]:
    """Every scoring request, oldest first (``python -m metrics score --pending --json``)."""
    return all_requests(store)


# -- the store, for the command line ---------------------------------------------------------------
#: Who ``python -m metrics explain`` reads as: the holder of the database file sees everything.
COMMAND_LINE_VIEWER = Viewer.steering("cli")


def open_database(path: Path) -> Store:
    """The process's handle on the DuckDB file at ``path``, or the PostgreSQL database a URL names
    (``store.db.database_arg``, the ``--db`` of the command line), migrated to the current schema."""
    return open_store(path)


def framework_for_scoring(store: Store, directory: Path | None = None) -> Framework:
    """The framework a run scores with: ``directory`` when given, else the version recorded in the store."""
    return recorded_framework(store, directory)


def latest_run(store: Store) -> int | None:
    """The id of the latest recorded run, ``None`` before the first."""
    return latest_run_id(store)


def recorded_run(store: Store, run_id: int) -> dict[str, Any] | None:
    """A recorded run's header (framework as recorded, granularity, time), read as the command line."""
    return method_reads.run_header(store, COMMAND_LINE_VIEWER, run_id)


def card_reads(
    store: Store, run_id: int, org_code: str, period: str, principle: str | None, lang: str
) -> dict[str, Any] | None:
    """The scoped reads behind one method card (``metrics.method_card.build_card``), as the command line."""
    return method_reads.card_reads(store, COMMAND_LINE_VIEWER, run_id, org_code, period, principle, lang)
