"""``python -m store backup --db PATH --out DIR`` and ``python -m store restore DIR --db NEW_PATH``.

Exit status: 0 done, 1 refused (the database busy, an altered or incomplete backup, a non-empty target,
a schema newer than this code), 2 usage error (the database to back up does not exist).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from i18n import formatting as fmt
from i18n import t
from store import backup
from store.audit import cli_actor
from store.cli_refusal import refused
from store.db import open_store
from store.errors import DatabaseBusy, StoreError


def add_parsers(sub: argparse._SubParsersAction, common) -> None:
    made = common(sub.add_parser("backup", help="a consistent snapshot: schema version, every table (Parquet), "
                                                "the raw uploaded files, a manifest of SHA-256 hashes (audited)"))
    made.add_argument("--out", type=Path, required=True, help="a new or empty directory")
    made.add_argument("--json", action="store_true")
    back = common(sub.add_parser("restore", help="restore a backup into a new or empty database (audited there)"))
    back.add_argument("source", type=Path, help="the backup directory")
    back.add_argument("--json", action="store_true")


class _BusyOnDuckDB(StoreError):
    """The app holds the file: say so, then how to back up on DuckDB."""

    def __init__(self, busy: DatabaseBusy):
        super().__init__("database_busy", path=str(busy.path))

    def message(self, lang: str) -> str:
        return t("store.errors.database_busy", lang, path=self.params["path"]) + "\n" + t("backup.busy_hint", lang)


def run(args: argparse.Namespace) -> int:
    """Both commands; they open the databases themselves (a restore must not migrate its target first)."""
    try:
        if args.command == "backup":
            if not args.db.exists():
                print(t("store_cli.db_not_found", args.lang, db=args.db), file=sys.stderr)
                return 2
            done = backup.back_up(open_store(args.db), args.out, cli_actor())
            rows = sum(e["rows"] for e in done["tables"].values())
            return _done(args, done, "backup.done", out=done["out"], tables=len(done["tables"]), rows=rows,
                         raw=len(done["raw_files"]), digest=done["manifest_sha256"])
        done = backup.restore(args.source, args.db, cli_actor())
        return _done(args, done, "backup.restored", db=done["db"], tables=len(done["rows"]),
                     rows=sum(done["rows"].values()), raw=done["raw_files"], version=done["schema_version"])
    except DatabaseBusy as exc:
        return refused(_BusyOnDuckDB(exc), args)
    except StoreError as exc:
        return refused(exc, args)


def _done(args: argparse.Namespace, done: dict[str, Any], key: str, **params: Any) -> int:
    if args.json:
        json.dump(done, sys.stdout, ensure_ascii=False, default=str)
        print()
    else:  # counts written for the language (CLDR), the rest as it is
        shown = {k: fmt.number(v, args.lang) if isinstance(v, int) else v for k, v in params.items()}
        print(t(key, args.lang, **shown))
    return 0
