"""What the browser tests and the README screenshot script share: a demo database built through
the real ingestion path, the real app started as a subprocess, Debian's Chromium through
Playwright, and a wait for Streamlit to finish running a page.

Not a test module: ``conftest.py`` and ``take_readme_screenshots.py`` import it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: ``../shared/samples`` beside the checkout (in CI), or beside a folder holding it (a git worktree),
#: as ``tests/conftest.py`` finds them.
SAMPLES = next(
    (folder / "shared" / "samples" for folder in REPO.parents if (folder / "shared" / "samples").is_dir()),
    REPO.parent / "shared" / "samples",
)
# Debian's Chromium (apt-get install chromium); ATHAR_CHROMIUM only to point elsewhere.
CHROMIUM = Path(os.environ.get("ATHAR_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = REPO / "test-artifacts" / "screenshots"
# docs/engineering-notes.md: the flags Debian's Chromium needs here (no sandbox as root, no GPU,
# small /dev/shm, and nothing that calls out to the network).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1440, "height": 1000}
HEALTH_TIMEOUT_S = 60.0
PAGE_TIMEOUT_MS = 60_000


def _page_keys() -> tuple[str, ...]:
    """The app's pages in menu order (dashboard/navigation.py: the key is also the URL path)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from dashboard.navigation import PAGES as SPECS

    return tuple(spec.key for spec in SPECS)


PAGES = _page_keys()


def chromium_missing_reason() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install -y chromium fonts-noto-core; .ci/run does it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -r requirements.txt)"
    return None


def _python() -> str:
    venv = REPO / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def build_demo_database(folder: Path) -> Path:
    """The demo network through the real path: ``python -m ingest demo`` then ``python -m metrics score``."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "athar.duckdb"
    for args in (["-m", "ingest", "demo", "--db", str(db)], ["-m", "metrics", "score", "--db", str(db)]):
        proc = subprocess.run(
            [_python(), *args], cwd=REPO, capture_output=True, text=True, timeout=600, check=False
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return db


def register_sample_organisations(db: Path, folder: Path) -> list[str]:
    """Register the shared samples' organisations missing from the demo (``python -m ingest orgs``).

    The samples name five organisations; only ASS-CAS-001 is in the demo network. The ones already
    registered are left as they are, so the demo keeps its names.
    """
    import csv

    with open(REPO / "data" / "demo" / "organizations.csv", encoding="utf-8", newline="") as fh:
        demo_codes = {row["code"] for row in csv.DictReader(fh)}
    with open(SAMPLES / "organizations.csv", encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = [row for row in reader if row["code"] not in demo_codes]
        fields = reader.fieldnames
    if not rows:
        return []
    extra = folder / "sample-organizations.csv"
    with open(extra, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    proc = subprocess.run(
        [_python(), "-m", "ingest", "orgs", str(extra), "--db", str(db)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"ingest orgs failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return [row["code"] for row in rows]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.status == 200 and resp.read().decode().strip() == "ok"
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def _healthy_server(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


@contextlib.contextmanager
def _serving(cmd: list[str], url: str, healthy, log_path: Path, env: dict[str, str]) -> Iterator[str]:
    """Start ``cmd`` from the checkout, output to ``log_path``; yield ``url`` once ``healthy(url)``."""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while not healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the app did not become healthy at {url} "
                    f"(exit code {proc.poll()}):\n{log_path.read_text(errors='replace')[-4000:]}"
                )
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def _child_env(db: Path, env: dict[str, str] | None) -> dict[str, str]:
    return {**os.environ, "ATHAR_DB": str(db), "ATHAR_DEMO_MODE": "1", "PYTHONUNBUFFERED": "1", **(env or {})}


@contextlib.contextmanager
def running_app(db: Path, log_dir: Path | None = None, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start ``streamlit run dashboard/app.py`` on a free port with ``ATHAR_DB=db``; yield its base URL.

    Run from the checkout (``.streamlit/config.toml`` turns static serving on: maps need it).
    The server's output goes to ``log_dir/streamlit.log`` (shown when it fails to start).
    """
    port = free_port()
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="athar-app-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        _python(),
        "-m",
        "streamlit",
        "run",
        "dashboard/app.py",
        "--server.headless=true",
        f"--server.port={port}",
        "--server.address=127.0.0.1",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",
    ]
    with _serving(cmd, f"http://127.0.0.1:{port}", _healthy, log_dir / "streamlit.log", _child_env(db, env)) as url:
        yield url


@contextlib.contextmanager
def running_server(db: Path, log_dir: Path | None = None, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start Athar's one ASGI server (``python -m server``: dashboard, API, security headers) on a free
    port with ``ATHAR_DB=db``; yield its base URL. Its output goes to ``log_dir/server.log``."""
    port = free_port()
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="athar-server-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    cmd = [_python(), "-m", "server", "--db", str(db), "--host", "127.0.0.1", "--port", str(port)]
    with _serving(cmd, f"http://127.0.0.1:{port}", _healthy_server, log_dir / "server.log", _child_env(db, env)) as url:
        yield url


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """A Playwright (sync API) Chromium: Debian's binary, never a downloaded one."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def page_url(base: str, page: str | None = "overview", lang: str = "fr", link: str | None = None) -> str:
    """The URL of a page: its key is its path (``/overview``); ``page=None`` is the root ``/``,
    which opens the viewer's first page. ``link``: a funder link's token."""
    query = f"lang={lang}" + (f"&link={link}" if link else "")
    return f"{base}/{page or ''}?{query}"


def demo_username(act_as: str | None) -> str:
    """The demo account of ``act_as`` (None or ``steering``: the committee; else an org code)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from store.accounts import DEMO_STEERING

    return DEMO_STEERING if act_as in (None, "steering") else act_as.lower()


def sign_in(page, username: str, password: str | None = None, lang: str = "fr") -> None:
    """Fill and submit the sign-in form shown on any page of a new session, then wait."""
    from i18n import t
    from store.accounts import DEMO_PASSWORD

    form = page.locator('[data-testid="stForm"]')
    form.locator("input[type=text], input:not([type])").first.fill(username)
    form.locator("input[type=password]").fill(password or DEMO_PASSWORD)
    form.get_by_role("button", name=t("dashboard.access.sign_in", lang)).click()
    page.wait_for_timeout(300)
    wait_until_idle(page)


def wait_until_idle(page, timeout_ms: int = PAGE_TIMEOUT_MS) -> None:
    """Wait until Streamlit has finished running the script and the browser has drawn the charts.

    Connected, the script not running (``data-test-script-state``), no running-man status widget,
    every Plotly chart with its SVG attached (maps with their regions drawn).
    Two consecutive idle checks, so a rerun triggered by a widget writing to the URL is waited for too.
    """
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=timeout_ms
    )
    idle_js = """() => {
        const app = document.querySelector('[data-testid="stApp"]');
        if (!app) return false;
        const state = app.getAttribute('data-test-script-state');
        if (state !== 'notRunning') return false;
        if (document.querySelector('[data-testid="stStatusWidget"] [data-testid="stStatusWidgetRunningIcon"], '
                                   + '[data-testid="stStatusWidgetRunningManIcon"]')) return false;
        if (document.querySelector('[data-testid="stSkeleton"]')) return false;
        for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
            if (!chart.querySelector('.main-svg')) return false;
            // A map draws its regions only once the GeoJSON has been fetched.
            const gd = chart.querySelector('.js-plotly-plot');
            const maps = gd && Array.isArray(gd.data) && gd.data.some(t => (t.type || '').startsWith('choropleth'));
            if (maps && !chart.querySelector('path.choroplethlocation')) return false;
        }
        return true;
    }"""
    deadline = time.monotonic() + timeout_ms / 1000
    settled = 0
    while settled < 2:
        remaining = max(1000, int((deadline - time.monotonic()) * 1000))
        page.wait_for_function(idle_js, timeout=remaining)
        page.wait_for_timeout(250)
        settled = settled + 1 if page.evaluate(idle_js) else 0
        if time.monotonic() > deadline:
            raise TimeoutError("Streamlit did not settle")


def exceptions_on(page) -> list[str]:
    """The text of every Streamlit exception box on the page (should be none)."""
    return [e.inner_text() for e in page.locator('[data-testid="stException"]').all()]


def dialogs_on(page) -> list[str]:
    """The text of every dialog open on the page (Streamlit's "Page not found" is one)."""
    return [d.inner_text() for d in page.locator('[role="dialog"]').all() if d.is_visible()]


def legends_over_titles(page) -> list[str]:
    """Titles of the drawn Plotly charts whose legend box overlaps the title box (should be none)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].flatMap(chart => {
            const title = chart.querySelector('.gtitle'), legend = chart.querySelector('.legend');
            if (!title || !legend) return [];
            const a = title.getBoundingClientRect(), b = legend.getBoundingClientRect();
            const apart = a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top;
            return apart ? [] : [title.textContent];
        })"""
    )


def open_page(
    browser,
    base: str,
    page_key: str = "overview",
    lang: str = "fr",
    act_as: str | None = None,
    requests: list[str] | None = None,
    link: str | None = None,
):
    """A fresh browser context on one page of the app, signed in, waited until idle.

    ``act_as``: ``steering`` (default) or an organisation code — the demo account signs in through
    the form; ``link``: open the page with a funder link's token instead (no sign-in).
    ``requests``, when given, receives the URL of every request the page makes.
    """
    context = browser.new_context(
        viewport=VIEWPORT, locale={"fr": "fr-FR", "ar": "ar-MA", "en": "en-GB"}[lang]
    )
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    if requests is not None:
        page.on("request", lambda request: requests.append(request.url))
    page.goto(page_url(base, page_key, lang, link), wait_until="domcontentloaded")
    wait_until_idle(page)
    if link is None and act_as != "anonymous":
        sign_in(page, demo_username(act_as), lang=lang)
    return page


def full_page_screenshot(page, path: Path) -> Path:
    """A screenshot of the whole page, main area scrolled out in full (Streamlit scrolls inside it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Streamlit's main area scrolls inside a fixed-height container; make the window as tall as
    # its content so the screenshot shows the whole page, then restore the viewport.
    height = page.evaluate(
        """() => {
            const main = document.querySelector('[data-testid="stMain"]')
                || document.querySelector('section.main') || document.body;
            const sidebar = document.querySelector('[data-testid="stSidebarContent"]');
            return Math.max(main.scrollHeight, sidebar ? sidebar.scrollHeight : 0, window.innerHeight);
        }"""
    )
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 12000)})
    wait_until_idle(page)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path
