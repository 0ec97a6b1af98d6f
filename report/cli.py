"""``python -m report``: report cards, the network report, and checking a card is genuine.

- ``card --db PATH --org CODE --period P --lang fr|ar|en --out FILE.pdf [--link ID]``: one card, as
  the steering committee sees it, or as the funder of link ``ID`` does (refused when the link is
  revoked or expired, or the organisation or period is outside it);
- ``cards --db PATH --period P --lang L --out-dir DIR``: a card for every organisation scored in the
  period, in one process (one warm exporter);
- ``network --db PATH --period P --lang L --out FILE.pdf``: the committee's network report;
- ``verify --db PATH (--sha256 HEX | --file FILE.pdf)``: whether the audit log holds that document.

Exit status: 0 done (verify: found), 1 refused with the reason in ``--lang`` (verify: unknown), 2 usage.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import polars as pl

from i18n import LANGUAGES, t
from report import card_data, make
from store.audit import cli_actor
from store.db import open_store
from store.errors import StoreError
from store.reads import compare as compare_reads
from store.report_cards import find_card, link_viewer
from store.viewer import Viewer


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m report", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("card", "cards", "network", "verify"):
        cmd = sub.add_parser(name)
        cmd.add_argument("--db", required=True, type=Path)
        cmd.add_argument("--lang", choices=LANGUAGES, default="fr")
        if name != "verify":
            cmd.add_argument("--period", required=True)
    card = sub.choices["card"]
    card.add_argument("--org", required=True)
    card.add_argument("--out", required=True, type=Path)
    card.add_argument("--link", type=int)
    sub.choices["cards"].add_argument("--out-dir", required=True, type=Path)
    sub.choices["network"].add_argument("--out", required=True, type=Path)
    verify = sub.choices["verify"].add_mutually_exclusive_group(required=True)
    verify.add_argument("--sha256")
    verify.add_argument("--file", type=Path)
    return parser


def _write(path: Path, pdf: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pdf)


def _card(args: argparse.Namespace) -> int:
    store = open_store(args.db)
    viewer = link_viewer(store, args.link) if args.link is not None else Viewer.steering(cli_actor())
    made = make.card(store, viewer, args.org, args.period, args.lang, actor=cli_actor())
    _write(args.out, made.pdf)
    print(t("card.cli.done", args.lang, path=str(args.out), sha256=made.sha256))
    return 0


def _cards(args: argparse.Namespace) -> int:
    store = open_store(args.db)
    viewer = Viewer.steering(cli_actor())
    run = card_data.run_for(store, viewer)
    card_data.check_period(store, viewer, int(run["id"]), args.period)
    scores = compare_reads.period_scores(store, viewer, int(run["id"]), args.period, args.lang)
    codes = scores.filter(pl.col("principle").is_null())["org_code"].unique().sort().to_list()
    for code in codes:
        card = make.card(store, viewer, code, args.period, args.lang, actor=cli_actor())
        _write(args.out_dir / f"athar_card_{code}_{args.period}_{args.lang}.pdf", card.pdf)
    print(t("card.cli.cards_done", args.lang, count=len(codes), dir=str(args.out_dir)))
    return 0


def _network(args: argparse.Namespace) -> int:
    store = open_store(args.db)
    made = make.network_report(store, Viewer.steering(cli_actor()), args.period, args.lang, actor=cli_actor())
    _write(args.out, made.pdf)
    print(t("card.cli.network_done", args.lang, path=str(args.out), sha256=made.sha256))
    return 0


def _verify(args: argparse.Namespace) -> int:
    digest = args.sha256 or hashlib.sha256(args.file.read_bytes()).hexdigest()
    found = find_card(open_store(args.db), Viewer.steering(cli_actor()), digest)
    if not found:
        print(t("card.cli.verify_unknown", args.lang))
        return 1
    for entry in found:
        d = entry.detail
        print(
            t(
                "card.cli.verify_found",
                args.lang,
                action=t(f"dashboard.audit.action.{entry.action}", args.lang),
                at=entry.logged_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                actor=entry.actor,
                org=d.get("org") or "—",
                period=d.get("period"),
                language=d.get("lang"),
                run=d.get("run"),
                link=d.get("link") if d.get("link") is not None else "—",
            )
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = {"card": _card, "cards": _cards, "network": _network, "verify": _verify}[args.command]
    try:
        return command(args)
    except StoreError as exc:
        print(exc.message(args.lang), file=sys.stderr)
        return 1
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 2
