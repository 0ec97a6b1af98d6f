"""A throwaway PostgreSQL cluster for the tests: Debian's binaries, a temporary data directory, a Unix socket.

``initdb`` and ``postgres`` refuse to run as root, so as root they run as the ``postgres`` user
(``runuser -u postgres --``); as any other user they run as that user. Authentication is ``trust`` on a
socket inside the temporary directory (no TCP port is opened), and durability is switched off
(``fsync``, ``synchronous_commit``, ``full_page_writes``): a crash loses a test database, nothing else.

A migrated template database is made once; each test gets ``CREATE DATABASE … TEMPLATE`` of it (a file
copy, a few hundredths of a second) so no test sees another's rows.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

#: Set by ``.ci/run``: on CI the PostgreSQL tests must run, so missing binaries are an error, not a skip.
REQUIRE_ENV = "ATHAR_REQUIRE_PG"


def binaries() -> Path | None:
    """The directory holding ``initdb`` and ``postgres`` (the newest Debian version), or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class Cluster:
    """One running cluster; :meth:`url` names a database on it, :meth:`fresh_database` makes one."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="athar-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "socket"
        self._as_root = os.geteuid() == 0
        self._process: subprocess.Popen | None = None
        self._counter = itertools.count(1)
        self.template: str | None = None

    def _command(self, *args: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *args] if self._as_root else list(args)

    def start(self) -> Cluster:
        self.socket_dir.mkdir()
        if self._as_root:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.socket_dir, "postgres")
        subprocess.run(
            self._command(str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                          "-E", "UTF8", "--locale=C", "--no-sync"),
            check=True, capture_output=True,
        )
        settings = {"listen_addresses": "", "unix_socket_directories": str(self.socket_dir), "fsync": "off",
                    "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "200",
                    "shared_buffers": "64MB", "timezone": "UTC", "log_min_messages": "fatal"}
        args = [arg for name, value in settings.items() for arg in ("-c", f"{name}={value}")]
        self._process = subprocess.Popen(self._command(str(self.bindir / "postgres"), "-D", str(self.data), *args),
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                         start_new_session=True)
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 30.0) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"postgres stopped: {self._process.stderr.read().decode(errors='replace')}")
            try:
                psycopg.connect(self.url("postgres"), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@/{database}?host={self.socket_dir}"

    def execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as con:
            con.execute(sql)

    def make_template(self) -> str:
        """A database migrated to the current schema, to copy for each test (made once)."""
        if self.template is None:
            from store.db import Store

            self.execute("CREATE DATABASE athar_template")
            Store(self.url("athar_template")).close()
            self.template = "athar_template"
        return self.template

    def fresh_database(self, *, migrated: bool = True, template: str | None = None) -> str:
        """The URL of a new database: a copy of ``template``, of the migrated template, or empty."""
        name = f"athar_test_{next(self._counter)}"
        template = template or (self.make_template() if migrated else "template0")
        self.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        from urllib.parse import urlsplit

        name = urlsplit(url).path.strip("/")  # not the URL's last "/": the socket folder's ``?host=…/socket`` ends it
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            group = os.getpgid(self._process.pid)  # its own session: runuser and postgres both get the signal
            os.killpg(group, signal.SIGINT)  # "fast" shutdown: ends the sessions, no checkpoint wait
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(group, signal.SIGKILL)
                self._process.wait()
        shutil.rmtree(self.root, ignore_errors=True)
