"""How a store command says no: one line on stderr, or ``{"refused": code, "message": …}`` with ``--json``
(exit status 1). Shared by the command-line parts whose errors carry a code and a translated message."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Protocol


class Refusal(Protocol):
    code: str

    def message(self, lang: str) -> str: ...


def refused(exc: Refusal, args: argparse.Namespace) -> int:
    if args.json:
        json.dump({"refused": exc.code, "message": exc.message(args.lang)}, sys.stdout, ensure_ascii=False)
        print()
    else:
        print(exc.message(args.lang), file=sys.stderr)
    return 1
