"""The framework hash as it was computed before later fields existed: a framework file that does not
use a later field (roles, counting rules, part-of relations, complete breakdowns, expectations) must
keep the hash it had, so a database's recorded version still matches its files."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

from framework.model import DEFAULT_FRAMEWORK_DIR, Framework

#: The lines that declare each later field in the framework files.
_LATER_LINES = re.compile(r"^(counting|part_of|complete) = .*\n", re.M)


def hash_without_later_fields(framework: Framework) -> str:
    """SHA-256 of the framework's JSON without the later fields (what the hash was before them)."""
    data = framework.model_dump(mode="json")
    data["meta"].pop("roles", None)
    for indicator in data["indicators"]:
        indicator.pop("counting", None)
        indicator.pop("part_of", None)
    for breakdown in data["breakdowns"].values():
        breakdown.pop("complete", None)
    data.pop("expectations", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def copy_without_later_fields(target: Path) -> Path:
    """The default framework files without any later declaration: no roles table, no counting,
    part-of or complete line, no expectations file."""
    shutil.copytree(DEFAULT_FRAMEWORK_DIR, target)
    (target / "expectations.toml").unlink(missing_ok=True)
    for path in target.glob("*.toml"):
        text = _LATER_LINES.sub("", path.read_text(encoding="utf-8"))
        if path.name == "framework.toml" and "[framework.roles]" in text:
            text = text[: text.index("[framework.roles]")] + text[text.index("[[principle]]"):]
        path.write_text(text, encoding="utf-8")
    return target
