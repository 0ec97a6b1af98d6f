"""What the page-level security tests share: the bytes of every download button of a page, the
text of every export, a walk through a page's choices, and demo databases prepared through the
real ingestion and scoring path.

Not a test module (the ``test_pages_*.py`` modules import it).

How a download's bytes are obtained
-----------------------------------
Every export of the dashboard is a *deferred* ``st.download_button``: its data is a callable
(``dashboard.access.guarded``) that Streamlit registers with the runtime's
``MediaFileManager.add_deferred`` and runs only when the person clicks
(``MediaFileManager.execute_deferred``, called by the server's ``deferred_file`` handler). AppTest
builds a fresh ``MediaFileManager`` for each run and drops it afterwards, so
:func:`capturing_downloads` keeps the last few managers alive; :func:`downloads` then does what a
click does on the server: ``execute_deferred(file_id)`` on the button's ``deferred_file_id``, and
reads the stored file back (``read_file``) — the very bytes the browser would receive, produced by
the callable the page registered, with its access re-check.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import io
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from dashboard.testing import _nodes, open_folds, visible_text

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO.parent / "shared" / "samples"
#: Widgets whose options are not a choice of what data to show (the language has its own tests).
NOT_SCOPE_WIDGETS = frozenset({"lang_select", "sign_in_username", "sign_in_password"})

_RECENT: collections.deque[MediaFileManager] = collections.deque(maxlen=6)


@contextlib.contextmanager
def capturing_downloads() -> Iterator[None]:
    """Keep the media file managers AppTest creates, so deferred downloads can be run after a run."""
    original = MediaFileManager.__init__

    def keep(self, *args, **kwargs):
        original(self, *args, **kwargs)
        _RECENT.append(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(MediaFileManager, "__init__", keep)
        yield
    _RECENT.clear()


@dataclass(frozen=True)
class Download:
    key: str
    label: str
    file_name: str
    mime: str
    data: bytes

    @property
    def is_xlsx(self) -> bool:
        return self.data[:2] == b"PK"

    @property
    def is_pdf(self) -> bool:
        return self.data[:5] == b"%PDF-"

    @property
    def text(self) -> str:
        """Everything a person reads in the file (every cell of a workbook, a PDF's text)."""
        if self.is_pdf:  # the report card: its text as poppler extracts it, not its compressed bytes
            return subprocess.run(
                ["pdftotext", "-", "-"], input=self.data, capture_output=True, check=True
            ).stdout.decode("utf-8")
        if self.is_xlsx:
            return "\n".join(
                "\t".join("" if v is None else str(v) for v in row) for row in xlsx_rows(self.data)
            )
        return self.data.decode("utf-8-sig", errors="replace")


def _manager_of(file_id: str) -> MediaFileManager:
    for manager in reversed(_RECENT):
        if file_id in manager._deferred_callables:
            return manager
    raise AssertionError(f"deferred download {file_id} not registered (is capturing_downloads() on?)")


def click_download(button) -> Download:
    """What the server sends when this download button is clicked (see the module docstring)."""
    proto = button.proto
    file_id = proto.deferred_file_id
    assert file_id, f"download {proto.id} is not deferred: its data was computed before any click"
    manager = _manager_of(file_id)
    url = manager.execute_deferred(file_id)
    stored = manager.read_file(url.rsplit("/", 1)[-1].split(".", 1)[0])
    assert stored is not None, url
    key = proto.id.rsplit("-", 1)[-1] if "-" in proto.id else proto.id
    return Download(key, proto.label, stored.filename or "", stored.mimetype, bytes(stored.content))


def downloads(at: AppTest) -> list[Download]:
    """Every download button of the page, clicked."""
    return [click_download(b) for b in at.get("download_button")]


def xlsx_rows(data: bytes) -> list[tuple]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    return [row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]


def csv_rows(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8-sig")
    delimiter = ";" if text.split("\r\n", 1)[0].count(";") > text.split("\r\n", 1)[0].count(",") else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def csv_cells_split_by(data: bytes, delimiter: str) -> list[list[str]]:
    """The cells of a CSV export as a spreadsheet set to ``delimiter`` would split them."""
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter))


def csv_formula_cells(file_name: str, data: bytes) -> list[str]:
    """Cells of a CSV a spreadsheet could run, split on ``;``, ``,`` and tab alike.

    Split on another separator than the file's own, a field after a number runs on over the file's
    separators (``-15;-14,5`` split on ``,``): a number then the file's separator is no formula a
    spreadsheet could run (``;`` is no operator where ``,`` separates), anything else is checked."""
    from ingest.safe_write import formula_like

    head = data.decode("utf-8-sig").split("\r\n", 1)[0]
    own = max((";", ",", "\t"), key=head.count)
    number_then_own = re.compile(r" *[+-]?[0-9]+(?:[.,][0-9]+)?" + re.escape(own))
    found = []
    for delimiter in (";", ",", "\t"):
        for row in csv_cells_split_by(data, delimiter):
            for cell in row:
                if formula_like(cell) and not (delimiter != own and number_then_own.match(cell)):
                    found.append(f"{file_name} split on {delimiter!r}: cell {cell[:40]!r} would run as a formula")
    return found


def _tab_table(data: bytes) -> bool:
    """A ``.txt`` download that is a table (an annotated Excel text file), not prose (a method card)."""
    return "\t" in data.decode("utf-8-sig", errors="replace").split("\r\n", 1)[0]


def export_problems(files: list[Download]) -> list[str]:
    """Cells of the exports a spreadsheet could run as a formula, every header, index and data cell:
    a CSV is split with both separators (``;`` and ``,``: Excel uses its locale's, whatever the
    file's), a workbook is read with openpyxl (no formula cell; formula-like text quote-prefixed)."""
    from openpyxl import load_workbook

    from ingest.safe_write import formula_like

    problems = []
    for f in files:
        if f.is_xlsx:
            book = load_workbook(io.BytesIO(f.data))
            for sheet in book.worksheets:
                for row in sheet.iter_rows():
                    for cell in row:
                        if cell.data_type == "f":
                            problems.append(f"{f.file_name}: formula cell {cell.coordinate} {cell.value!r}")
                        elif isinstance(cell.value, str) and formula_like(cell.value) and not cell.quotePrefix:
                            problems.append(f"{f.file_name}: {cell.coordinate} {cell.value[:40]!r} not quote-prefixed")
        elif f.file_name.endswith(".csv") or (f.file_name.endswith(".txt") and _tab_table(f.data)):
            problems += csv_formula_cells(f.file_name, f.data)
    return problems


def page_text(at: AppTest) -> str:
    """``dashboard.testing.visible_text`` plus static tables (``st.table``), read as cells."""
    parts = [visible_text(at)]
    for node in _nodes(at._tree):
        if getattr(node, "type", None) == "table":
            parts.append(node.value.to_csv())
    return "\n".join(parts)


def everything(at: AppTest) -> tuple[str, list[Download]]:
    """What the page shows, plus the text of every file its download buttons give."""
    files = downloads(at)
    return page_text(at) + "\n" + "\n".join(f"{d.file_name}\n{d.text}" for d in files), files


# -- walking a page's choices ------------------------------------------------------------------
def scope_widgets(at: AppTest) -> list[tuple[str, str, list[str]]]:
    """(kind, key, option labels) of every selectbox, radio and multiselect on the page."""
    found = []
    for kind in ("selectbox", "radio", "multiselect"):
        for widget in at.get(kind):
            if widget.key and widget.key not in NOT_SCOPE_WIDGETS:
                found.append((kind, widget.key, list(widget.options)))
    return found


def choose(widget, label: str | list[str]) -> None:
    """Pick an option by its label, exactly as the browser does: it sends the label, and the server
    maps it back to the value (AppTest's ``set_value`` wants the value, which the tree lacks)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    state = WidgetState()
    state.id = widget.id
    if isinstance(label, list):
        state.string_array_value.data[:] = label
    else:
        state.string_value = label
    cls = type(widget)
    widget.__class__ = type(f"Chosen{cls.__name__}", (cls,), {"_widget_state": property(lambda _self: state)})


def find_widget(at: AppTest, kind: str, key: str):
    matches = [w for w in at.get(kind) if w.key == key]
    return matches[0] if matches else None


def walk(
    at: AppTest, *, limit: int = 12, skip: frozenset[str] = frozenset()
) -> Iterator[tuple[str, AppTest]]:
    """Yield the page as it is, then once for every option of every choice on it (one at a time).

    Every selectbox, radio and multiselect (one option selected) on the page is walked, up to
    ``limit`` options each; a widget that appears only after a choice (the indicator picker after
    "map an indicator") is walked inside that choice. After each widget its first option (a
    multiselect: its original selection) is chosen again, so the next one starts from the default.
    """
    yield "default", at
    yield from _walk(at, limit, set(skip), depth=0)


def _walk(at: AppTest, limit: int, done: set[str], depth: int) -> Iterator[tuple[str, AppTest]]:
    while True:
        pending = [w for w in scope_widgets(at) if w[1] not in done]
        if not pending:
            return
        kind, key, options = pending[0]
        done.add(key)
        first = find_widget(at, kind, key)
        original = (
            list(first.values) if kind == "multiselect" else first.options[0] if first.options else None
        )
        for index in range(min(len(options), limit)):
            widget = find_widget(at, kind, key)
            if widget is None or index >= len(widget.options):
                break
            label = widget.options[index]
            before = {w[1] for w in scope_widgets(at)}
            choose(widget, [label] if kind == "multiselect" else label)
            open_folds(at.run())  # what a choice shows includes its folded tables
            yield f"{key}={label}", at
            revealed = {w[1] for w in scope_widgets(at)} - before - done
            if revealed and depth < 2:
                yield from _walk(at, limit, done | before, depth + 1)
        widget = find_widget(at, kind, key)
        if widget is not None and original is not None:
            choose(widget, original)
            at.run()


# -- forbidden words ---------------------------------------------------------------------------
def org_words(
    store, codes: list[str] | None = None, *, exclude: tuple[str, ...] = ()
) -> dict[str, list[str]]:
    """Code → [code, name_fr, name_ar, name_en] of the registered organisations (minus ``exclude``)."""
    frame = store.query("SELECT code, name_fr, name_ar, name_en FROM organizations ORDER BY code")
    return {
        row[0]: [v for v in row if v]
        for row in frame.rows()
        if row[0] not in exclude and (codes is None or row[0] in codes)
    }


def leaks(text: str, words: dict[str, list[str]]) -> list[str]:
    return [f"{code}: {w!r}" for code, found in words.items() for w in found if w in text]


def period_labels(text: str, periods: tuple[str, ...]) -> list[str]:
    """``periods`` found in ``text`` as labels: not inside a longer number nor the decimals of one."""
    alternatives = "|".join(re.escape(p) for p in periods)
    return sorted(set(re.findall(rf"(?<![0-9.,])({alternatives})(?![0-9]|[.,][0-9])", text)))


_SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u066c\u200f\u200e\u2066-\u2069']")
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def digits_text(text: str) -> str:
    """``text`` with digits in Latin script and no grouping spaces, so ``987 654,3`` reads ``987654,3``."""
    return _SPACES.sub("", text.translate(_ARABIC_DIGITS))


# -- databases ---------------------------------------------------------------------------------
def copy_db(source: Path, folder: Path, name: str = "athar.duckdb") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    shutil.copy(source, target)
    return target


def load_rows(store, framework, rows: list[dict], file_name: str, *, approved: bool = True, **options):
    """A submission file made from ``rows`` (CSV, as Excel writes it), loaded through ``ingest``;
    ``approved``: counted as approved at once, without a lock (funder links read approved values only)."""
    from conftest import reopen_demo_periods

    from ingest.pipeline import load_file
    from store.review import accept_history

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    # The demo approved (locked) its 2025 periods: the committee reopens the ones planted into.
    reopen_demo_periods(store, [(r.get("org_code") or options.get("member_org"), r["period"]) for r in rows])
    result = load_file(store, out.getvalue().encode("utf-8"), file_name, framework=framework, **options)
    assert result.status == "accepted", (file_name, result.status, result.issues)
    if approved:
        accept_history(store, actor="cli:test", source=file_name)
    return result


def score(store) -> int:
    """A scoring run through ``metrics.run.score_store`` with the framework in use."""
    from metrics.run import score_store
    from store.registry import framework_in_use

    run_id, _ = score_store(store, framework_in_use(store), actor="cli:test")
    return run_id


def register_sample_orgs(store, framework) -> list[str]:
    """The shared samples' organisations the database lacks (the demo keeps its own names)."""
    from ingest.orgs import read_org_file
    from store.registry import upsert_organizations

    parsed = read_org_file((SAMPLES / "organizations.csv").read_bytes(), "organizations.csv", framework)
    assert not parsed.has_errors, parsed.issues
    known = set(store.query("SELECT code FROM organizations")["code"].to_list())
    new = parsed.rows.filter(~pl.col("code").is_in(sorted(known)))
    if new.height:
        upsert_organizations(store, new, actor="cli:test")
    return new["code"].to_list()
