"""Command line: ``python -m ingest check|load|orgs|org|template|demo``.

Every write is audited as ``cli:<operating-system user>``. Loading never adopts a framework
version: files are checked against the version in use recorded in the database (``--framework DIR``
checks against other files without adopting them); ``python -m store framework adopt`` adopts one.
A database with no recorded version records the one its first accepted load was checked against,
as an audited first adoption; ``demo`` and ``rebuild`` adopt theirs before loading.

Exit status: 0 when every file was accepted (or already received), 1 when any was rejected,
2 for usage errors (bad arguments, a file that is missing or a directory, a ``--db`` database that
``check`` or ``load`` would read but that does not exist, invalid framework), 3 for a bug of ours
(an unexpected exception, reported in one translated line; the tests call the functions below
``main`` and see the exception itself).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import datetime
from pathlib import Path

import settings
from framework.model import Framework, FrameworkError
from i18n import LANGUAGES, catalogue, normalise_language, t
from ingest import cli_org, prefetch
from ingest.batch import load_files
from ingest.issues import render_report
from ingest.pipeline import FileResult, check_file, load_file, rebuild_from
from store.audit import cli_actor
from store.db import Store, database_arg, open_store
from store.errors import DatabaseBusy, DatabaseUnreachable
from store.registry import (
    adopt_first_framework,
    adopt_framework,
    framework_in_use,
    org_codes,
    upsert_organizations,
)
from store.review import PeriodLocked
from store.submissions import current_value_count

REPO = Path(__file__).resolve().parent.parent
DEMO_DIR = REPO / "data" / "demo"
MAX_PRINTED_ISSUES = 200
#: Exit status of a bug of ours (an unexpected exception): said in one line, never as a traceback.
INTERNAL_ERROR = 3


CHECK_AGAINST = (
    "check against the framework in this directory WITHOUT adopting it (default: the version in use recorded "
    "in the database, else data/framework); adopt a version with: python -m store framework adopt"
)


class UsageError(Exception):
    """Bad arguments or inputs that are not submissions (exit status 2)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ingest", description="Athar: validate and load indicator submissions")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser, framework_help: str = CHECK_AGAINST) -> None:
        p.add_argument("--lang", choices=LANGUAGES, default=normalise_language(settings.get("ATHAR_LANG")))
        p.add_argument("--json", action="store_true", help="machine-readable report on stdout")
        p.add_argument("--framework", type=Path, default=None, help=framework_help)

    check = sub.add_parser("check", help="validate files, store nothing")
    check.add_argument("files", nargs="+", type=Path)
    check.add_argument("--db", type=database_arg, help="check organisations against this database's registry")
    check.add_argument("--org", help="the uploading member organisation")
    common(check)

    load = sub.add_parser("load", help="validate and store files (each whole or absent, with its audit entry)")
    load.add_argument("files", nargs="+", type=Path)
    load.add_argument("--db", type=database_arg, required=True)
    load.add_argument("--org", help="the uploading member organisation (org_code may then be omitted)")
    load.add_argument("--dry-run", action="store_true", help="validate against the database, store nothing")
    load.add_argument("--uploaded-by", default=None,
                      help="on whose behalf the files are submitted (e.g. member:CODE): a label kept with each "
                           "submission; the audit log names the operating-system user (cli:USER)")
    load.add_argument("--score", action=argparse.BooleanOptionalAction, default=None,
                      help="scores follow the data: by default an accepted file records a scoring request (run by "
                           "the app, or by 'python -m metrics score --pending'); --score also runs it now, "
                           "--no-score records none")
    common(load)

    orgs = sub.add_parser("orgs", help="register or update organisations from a CSV file")
    orgs.add_argument("file", type=Path)
    orgs.add_argument("--db", type=database_arg, required=True)
    common(orgs)

    cli_org.add_parsers(sub, common)

    sub.add_parser("template", help="write a ready-to-fill submission template", add_help=False)

    rebuild = sub.add_parser(
        "rebuild", help="rebuild a database from its organisations and kept raw files; the review state (approvals, "
                        "returns, comments, locks, reopen requests), explanations, calendar, reminder schedule, "
                        "deactivations and languages are carried over from --db; scores are requested "
                        "(python -m metrics score --pending)")
    rebuild.add_argument("--db", type=database_arg, required=True, help="the database to rebuild from")
    rebuild.add_argument("--to", type=Path, required=True, help="the new database file (must not exist)")
    common(rebuild, "framework directory the new database adopts (default: the version in use in --db)")

    demo = sub.add_parser("demo", help="create the database and load the demo network through ingestion")
    demo.add_argument("--db", type=database_arg, required=True)
    common(demo, "framework directory the demo database adopts (default: data/framework)")
    return parser


def main(argv: list[str]) -> int:
    if argv and argv[0] == "template":
        from ingest.template import template_main

        return template_main(argv[1:])
    args = _parser().parse_args(argv)
    try:
        if args.command == "rebuild" and not args.db.exists():
            raise UsageError(t("cli.file_not_found", args.lang, path=args.db))
        _require_existing_db(args)
        store = open_store(args.db) if getattr(args, "db", None) is not None else None
        framework = framework_in_use(store, args.framework)
        if args.command == "check":
            return _check(args, framework)
        if args.command == "load":
            return _load(args, framework)
        if args.command == "orgs":
            return _orgs(args, framework)
        if args.command == "org":
            return cli_org.run(args, framework, store)
        if args.command == "rebuild":
            return _rebuild(args, framework)
        return _demo(args, framework)
    except FrameworkError as exc:
        print(exc.report(args.lang), file=sys.stderr)
        return 2
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except (DatabaseBusy, DatabaseUnreachable, PeriodLocked) as refused:  # file held; PostgreSQL out of reach; approved
        print(refused.message(args.lang), file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 — a bug of ours: one clear line for the person, not a traceback
        print(t("cli.internal_error", args.lang, error=type(exc).__name__), file=sys.stderr)
        return INTERNAL_ERROR


def _require_existing_db(args: argparse.Namespace) -> None:
    """``check`` and ``load`` read the registry of an existing database: opening a mistyped path
    would create an empty one, and every organisation would then be rejected as unknown. Only
    ``orgs``, ``org add``, ``demo`` and ``rebuild --to`` create databases."""
    reads = args.command in ("check", "load") or (args.command == "org" and args.action != "add")
    if reads and args.db is not None and not args.db.is_file():
        raise UsageError(t("cli.db_not_found", args.lang, db=args.db))


def _files(args: argparse.Namespace) -> str:
    """The framework directory the command was given (the default files otherwise)."""
    return str(args.framework) if args.framework is not None else "data/framework"


def _read(path: Path, lang: str) -> bytes:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise UsageError(t("cli.file_not_found", lang, path=path)) from None


def _read_submission(path: Path, lang: str) -> prefetch.ReadAhead:
    """A submitted file: its bytes and, when it was read ahead (``ingest.prefetch``), their SHA-256
    and maybe its table."""
    return prefetch.take(path) or prefetch.ReadAhead(_read(path, lang), None)


def _unregistered_member(store: Store | None, org: str | None, lang: str) -> bool:
    """``--org`` names an organisation the registry does not hold (said on stderr): every row would
    be refused for it, so the command is refused instead."""
    if store is None or org is None or org.strip().upper() in {o.upper() for o in org_codes(store)}:
        return False
    print(t("cli.unknown_org_option", lang, org=org), file=sys.stderr)
    return True


def _check(args: argparse.Namespace, framework: Framework) -> int:
    store = open_store(args.db) if args.db else None
    if _unregistered_member(store, args.org, args.lang):
        return 2
    results = []
    for path in args.files:
        ahead = _read_submission(path, args.lang)
        results.append(check_file(ahead.data, path.name, framework=framework, store=store, member_org=args.org,
                                  content_sha256=ahead.content_sha256, raw=ahead.table, limits=ahead.limits)[0])
    if store is None and not args.json:
        print(t("cli.orgs_not_checked", args.lang), file=sys.stderr)
    return _report(results, args)


def _load(args: argparse.Namespace, framework: Framework) -> int:
    catalogue(args.lang)  # the report's messages are loaded while the first file is still being read
    payloads = [(p, _read_submission(p, args.lang)) for p in args.files]
    store = open_store(args.db)
    if _unregistered_member(store, args.org, args.lang):
        return 2
    # each file whole or absent, in order, committed in groups; the database's state is read once (ingest.batch)
    results = load_files(store, payloads, framework=framework, member_org=args.org, uploaded_by=args.uploaded_by,
                         dry_run=args.dry_run, audit_actor=cli_actor(), request_scoring=args.score is not False)
    if any(r.status == "accepted" for r in results) and adopt_first_framework(
        store, framework, actor=cli_actor(), source=f"first load ({_files(args)})"
    ):
        print(t("cli.framework_first_adopted", args.lang, version=framework.content_hash[:12], source=_files(args)),
              file=sys.stderr)
    status = _report(results, args)
    if any(r.status == "accepted" for r in results) and args.score is not False:
        scored = _score_now(store, args) if args.score else None
        if scored is None and not args.json:
            print(t("autoscore.ingest.requested", args.lang, db=args.db), file=sys.stderr)
        status = status or (scored or 0)
    return status


def _score_now(store: Store, args: argparse.Namespace) -> int:
    """``--score``: run the pending scoring requests now, as ``python -m metrics score --pending`` (the
    metrics package sits beside ingest, not below it): the file is handed over to that process."""
    import subprocess

    store.close()
    command = [sys.executable, "-m", "metrics", "score", "--pending", "--db", str(args.db), "--lang", args.lang]
    if args.framework is not None:
        command += ["--framework", str(args.framework)]
    done = subprocess.run(command, stdout=sys.stderr if args.json else None, check=False)
    return done.returncode


def _report(results: list[FileResult], args: argparse.Namespace) -> int:
    if args.json:
        json.dump([r.to_json(args.lang) for r in results], sys.stdout, ensure_ascii=False, indent=2, default=str)
        print()
    else:
        for result in results:
            print_result(result, args.lang)
    return 0 if all(r.accepted for r in results) else 1


def print_result(result: FileResult, lang: str, out=sys.stdout) -> None:
    print(f"{result.file_name}: {result.summary(lang)}", file=out)
    if result.issues.is_empty():
        return
    report = result.report(lang)
    for issue in report.head(MAX_PRINTED_ISSUES).iter_rows(named=True):
        where = []
        if issue["line"] is not None:
            where.append(f"{t('report.line', lang)} {issue['line']}")
        if issue["column"]:
            where.append(f"{t('report.column', lang)} « {issue['column']} »")
        severity = t(f"report.{issue['severity']}", lang)
        print(f"  [{severity}] {' · '.join(where)} — {issue['message']}", file=out)
        print(f"      → {issue['hint']}", file=out)
    if report.height > MAX_PRINTED_ISSUES:
        print("  " + t("report.more_issues", lang, count=report.height - MAX_PRINTED_ISSUES), file=out)


def _orgs(args: argparse.Namespace, framework: Framework) -> int:
    from ingest.orgs import read_org_file

    data = _read(args.file, args.lang)
    parsed = read_org_file(data, args.file.name, framework)
    if parsed.has_errors:
        if args.json:
            json.dump({"file": args.file.name, "status": "rejected", "issues": render_report(parsed.issues, args.lang).to_dicts()},
                      sys.stdout, ensure_ascii=False, indent=2)
            print()
        else:
            print(t("cli.orgs_invalid", args.lang, file=args.file.name))
            for issue in render_report(parsed.issues, args.lang).iter_rows(named=True):
                line = f"{t('report.line', args.lang)} {issue['line']} · " if issue["line"] is not None else ""
                print(f"  {line}« {issue['column']} » — {issue['message']} → {issue['hint']}")
        return 1
    count = upsert_organizations(open_store(args.db), parsed.rows, actor=cli_actor(), source=args.file.name)
    if args.json:
        json.dump({"file": args.file.name, "status": "accepted", "organisations": count}, sys.stdout)
        print()
    else:
        print(t("cli.orgs_loaded", args.lang, count=count, db=args.db))
    return 0


def _rebuild(args: argparse.Namespace, framework: Framework) -> int:
    """Replay every accepted submission, in order, from its kept bytes into a new database, and carry
    over the cycle's state the files do not hold (review, locks, comments, explanations, calendar)."""
    if args.to.exists():
        raise UsageError(t("cli.rebuild_target_exists", args.lang, path=args.to))
    source = open_store(args.db)
    target = open_store(args.to)
    adopt_framework(target, framework, actor=cli_actor(), source=f"rebuild of {args.db}")
    rebuilt = rebuild_from(source, target, framework, actor=cli_actor())
    failed = [r for r in rebuilt.results if r.status == "rejected"]
    if args.json:
        json.dump({"db": str(args.to), "replayed": len(rebuilt.results) - len(failed), "rejected": len(failed),
                   "carried": rebuilt.carried}, sys.stdout, ensure_ascii=False, default=str)
        print()
        return 1 if failed else 0
    for result in failed:
        print_result(result, args.lang)
    print(t("cli.rebuild_done", args.lang, count=len(rebuilt.results) - len(failed), db=args.to))
    carried = rebuilt.carried
    print(t("scorewire.rebuild_carried", args.lang, db=args.db, approved=carried["approved"],
            locks=carried["period_locks"], comments=carried["review_comments"],
            requests=carried["reopen_requests"], explanations=carried["value_explanations"],
            calendar=carried["reporting_calendar"] + carried["org_calendar"]))
    if carried["dropped"]:
        print(t("scorewire.rebuild_dropped", args.lang, count=carried["dropped"]), file=sys.stderr)
    print(t("autoscore.ingest.requested", args.lang, db=args.to))
    return 1 if failed else 0


def _demo(args: argparse.Namespace, framework: Framework) -> int:
    """Register the demo organisations and load every demo file, in order, through ``load_file``;
    the reporting cycle of ``cycle.toml`` (calendar, returns, explanations, approvals) goes with it."""
    from ingest import demo_cycle
    from ingest.orgs import read_org_file

    store = open_store(args.db)
    parsed = read_org_file((DEMO_DIR / "organizations.csv").read_bytes(), "organizations.csv", framework)
    if parsed.has_errors:
        raise UsageError(t("cli.orgs_invalid", args.lang, file="organizations.csv"))
    with open(DEMO_DIR / "manifest.csv", encoding="utf-8", newline="") as fh:
        manifest = list(csv.DictReader(fh))
    cycle = demo_cycle.load_cycle(DEMO_DIR / "cycle.toml", {entry["file"] for entry in manifest})
    adopt_framework(store, framework, actor=cli_actor(), source=f"ingest demo ({_files(args)})")
    upsert_organizations(store, parsed.rows, actor=cli_actor(), source="demo organizations.csv")
    demo_cycle.set_up(store, cycle, actor=cli_actor())
    accepted = rejected = 0
    submission_ids: dict[str, int] = {}
    for entry in manifest:
        path = DEMO_DIR / "submissions" / entry["file"]
        uploaded_at = datetime.fromisoformat(entry["uploaded_at"].replace("Z", "+00:00")).replace(tzinfo=None)
        result = load_file(
            store, path.read_bytes(), path.name, framework=framework, member_org=entry["org_code"] or None,
            uploaded_by=entry.get("uploaded_by") or None, uploaded_at=uploaded_at, audit_actor=cli_actor(),
            explanations=cycle.explanations_for(entry["file"]), narratives=cycle.narratives_for(entry["file"]),
        )
        if result.accepted:
            accepted += 1
            submission_ids[entry["file"]] = result.submission_id
            demo_cycle.after_upload(store, cycle, entry["file"], result.submission_id, actor=cli_actor())
        else:
            rejected += 1
        if not args.json and (result.status == "rejected") != (entry.get("expect") == "reject"):
            print_result(result, args.lang)
    reviewed = demo_cycle.review_all(store, cycle, submission_ids, actor=cli_actor())
    values = current_value_count(store)
    if args.json:
        json.dump({"db": str(args.db), "organisations": parsed.rows.height, "files": len(manifest),
                   "accepted": accepted, "rejected": rejected, "values": values, "review": reviewed}, sys.stdout)
        print()
    else:
        print(t("cli.demo_done", args.lang, db=args.db))
        print(t("cli.demo_summary", args.lang, orgs=parsed.rows.height, files=len(manifest), accepted=accepted,
                rejected=rejected, values=values))
        print(t("demo.review_summary", args.lang, **reviewed))
    return 0
