"""Command line: ``python -m metrics score|explain``.

- ``score --db PATH [--framework DIR] [--granularity year|semester|quarter] [--json]`` records a
  scoring run and prints a summary (``--json``: ``{"run_id": …, "scores": [{org_code, period,
  principle, score, coverage}, …]}``, principle null for the composite).
- ``score --pending --db PATH [--framework DIR] [--json]`` runs only when scoring requests are pending
  (accepted files ask for one): one run covers them all, audited as ``system:auto`` with their origin;
  a failure is recorded on the requests (retried once by the next pass) and exits 1. For cron.
- ``explain --db PATH --org CODE --period P [--principle CODE] [--run ID] [--lang fr|ar|en]``
  prints the method card of a recorded score (all principles and the composite by default). The
  command line reads as the steering committee (whoever holds the database file sees everything),
  through the same scoped reads as the dashboard (``metrics.run.card_reads``).

Only ``metrics.run`` touches the store; this module goes through its functions.

Exit status: 0 done, 1 the run failed (nothing to score, database busy, no such score),
2 usage errors (bad arguments, missing database, invalid framework).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb
import polars as pl

import settings
from framework.model import FrameworkError
from framework.periods import Granularity
from i18n import LANGUAGES, normalise_language, t
from metrics.method_card import CardNotFound, build_card, render
from metrics.run import (
    DatabaseBusy,
    DatabaseUnreachable,
    NothingToScore,
    RunFrames,
    card_reads,
    cli_actor,
    database_arg,
    framework_for_scoring,
    latest_run,
    open_database,
    recorded_run,
    run_pending,
    score_store,
)


class UsageError(Exception):
    """Bad arguments or inputs (exit status 2)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m metrics", description="Athar: score organisations against the framework"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", type=database_arg, required=True, help="the DuckDB file, or a postgresql:// URL")
        p.add_argument("--lang", choices=LANGUAGES, default=normalise_language(settings.get("ATHAR_LANG")))

    score = sub.add_parser("score", help="compute and record a scoring run")
    common(score)
    score.add_argument("--framework", type=Path, default=None,
                       help="framework directory (default: the version recorded in the database, else data/framework)")
    score.add_argument(
        "--granularity", choices=[g.value for g in Granularity], default=Granularity.YEAR.value
    )
    score.add_argument("--json", action="store_true", help="run id and scores as JSON on stdout")
    score.add_argument("--draws", type=int, default=None, help="Monte Carlo draws (default: the framework's)")
    score.add_argument("--seed", type=int, default=None, help="Monte Carlo seed (default: the framework's)")
    score.add_argument("--pending", action="store_true",
                       help="run only if scoring requests are pending (accepted files), covering them all in one "
                            "run audited as system:auto; nothing pending: nothing done (for cron)")

    explain = sub.add_parser("explain", help="print the method card of a score")
    common(explain)
    explain.add_argument("--org", required=True)
    explain.add_argument("--period", required=True)
    explain.add_argument("--principle", default=None, help="one principle (default: all, then the composite)")
    explain.add_argument("--run", type=int, default=None, help="scoring run id (default: the latest)")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        if not args.db.is_file():
            raise UsageError(t("metrics.db_not_found", args.lang, path=args.db))
        if args.command == "score" and args.pending:
            return _score_pending(args)
        if args.command == "score":
            return _score(args)
        return _explain(args)
    except FrameworkError as exc:
        print(exc.report(args.lang), file=sys.stderr)
        return 2
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except (DatabaseBusy, DatabaseUnreachable) as refused:  # the file held by another process; PostgreSQL out of reach
        print(refused.message(args.lang), file=sys.stderr)
        return 1
    except duckdb.Error as exc:
        print(t("metrics.run_failed", args.lang, error=exc), file=sys.stderr)
        return 1


def _score(args: argparse.Namespace) -> int:
    framework = framework_for_scoring(open_database(args.db), args.framework)
    if args.draws is not None and args.draws < 0:
        raise UsageError("--draws must be 0 or more")
    robustness = framework.meta.robustness
    if args.draws is not None or args.seed is not None:
        robustness = robustness.model_copy(
            update={k: v for k, v in (("draws", args.draws), ("seed", args.seed)) if v is not None}
        )
    store = open_database(args.db)
    try:
        run_id, frames = score_store(
            store, framework, Granularity(args.granularity), robustness_settings=robustness, actor=cli_actor()
        )
    except NothingToScore:
        print(t("metrics.nothing_to_score", args.lang), file=sys.stderr)
        return 1
    if args.json:
        rows = frames.scores.select("org_code", "period", "principle", "score", "coverage").to_dicts()
        json.dump(
            {
                "run_id": run_id,
                "framework_hash": framework.content_hash,
                "granularity": args.granularity,
                "scores": rows,
            },
            sys.stdout,
            ensure_ascii=False,
        )
        sys.stdout.write("\n")
    else:
        _summary(run_id, frames, framework.content_hash, args)
    return 0


def _score_pending(args: argparse.Namespace) -> int:
    """``score --pending``: one run for every pending request (``metrics.run.run_pending``); 1 when it failed."""
    store = open_database(args.db)
    directory = args.framework
    outcome = run_pending(store, lambda s: framework_for_scoring(s, directory))
    if args.json:
        json.dump({"requests": outcome.claimed, "run_id": outcome.run_id, "error": outcome.error}, sys.stdout)
        sys.stdout.write("\n")
    elif not outcome.claimed:
        print(t("autoscore.metrics.nothing_pending", args.lang))
    elif outcome.run_id is not None:
        print(t("autoscore.metrics.pending_done", args.lang, run=outcome.run_id,
                requests=", ".join(map(str, outcome.claimed))))
    else:
        print(t("autoscore.metrics.pending_failed", args.lang, error=outcome.error), file=sys.stderr)
    return 1 if outcome.claimed and outcome.run_id is None and outcome.error != "nothing to score" else 0


def _summary(run_id: int, frames: RunFrames, version: str, args: argparse.Namespace) -> None:
    lang = args.lang
    scores = frames.scores
    print(
        t(
            "metrics.run_recorded",
            lang,
            run=run_id,
            orgs=scores.get_column("org_code").n_unique(),
            periods=scores.get_column("period").n_unique(),
            granularity=args.granularity,
            version=version[:12],
        )
    )
    scored = scores.filter(pl.col("score").is_not_null()).height
    print(t("metrics.scores_summary", lang, scored=scored, insufficient=scores.height - scored))
    composite = scores.filter(pl.col("principle").is_null() & pl.col("score").is_not_null())
    if composite.height:
        latest_key = composite.get_column("period_key").max()
        latest = composite.filter(pl.col("period_key") == latest_key)
        period = latest.get_column("period").first()
        print(
            t(
                "metrics.latest_period",
                lang,
                period=period,
                median=f"{latest.get_column('score').median():.1f}",
                count=latest.height,
            )
        )
        sensitivity = frames.sensitivity.filter(pl.col("period") == period)
        if sensitivity.height:
            top = sensitivity.sort("first_order", descending=True).row(0, named=True)
            print(
                t(
                    "metrics.sensitivity",
                    lang,
                    period=period,
                    choice=t(f"metrics.choice_{top['choice']}", lang),
                    value=f"{top['first_order']:.2f}",
                )
            )


def _explain(args: argparse.Namespace) -> int:
    lang = args.lang
    store = open_database(args.db)
    run_id = args.run if args.run is not None else latest_run(store)
    info = recorded_run(store, run_id) if run_id is not None else None
    if info is None:
        print(t("metrics.no_run", lang, db=args.db), file=sys.stderr)
        return 1
    principles = [p["code"] for p in info["framework"]["principles"]]
    if args.principle is not None and args.principle not in principles:
        raise UsageError(
            t("metrics.unknown_principle", lang, principle=args.principle, expected=", ".join(principles))
        )
    wanted = [args.principle] if args.principle else [*principles, None]
    cards = []
    try:
        for principle in wanted:
            reads = card_reads(store, run_id, args.org, args.period, principle, lang)
            if reads is None:
                raise CardNotFound(args.org, args.period, principle)
            cards.append(render(build_card(reads), lang))
    except CardNotFound:
        print(t("metrics.no_scores", lang, org=args.org, period=args.period, run=run_id), file=sys.stderr)
        return 1
    print("\n\n".join(cards))
    return 0
