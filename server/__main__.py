"""``python -m server [--db PATH] [--host 127.0.0.1] [--port 8501]``: serve the dashboard and the API.

One process, uvicorn, every log record redacted (``server.logs``). A TLS proxy on the same host is
believed for ``X-Forwarded-Proto`` (HSTS) and the client address; one on another host needs
``ATHAR_TRUST_PROXY=1``.
"""

from __future__ import annotations

import argparse
import os

import uvicorn

import settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m server")
    parser.add_argument("--db", help="the database file (default: ATHAR_DB)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8501)
    args = parser.parse_args(argv)
    if args.db:
        os.environ["ATHAR_DB"] = args.db  # the pages read the database from the setting
    from server.app import create_app  # after ATHAR_DB is set

    app = create_app()
    # As under ``streamlit run``: X-Forwarded-For/-Proto are believed from a proxy on this host
    # (uvicorn's FORWARDED_ALLOW_IPS, default 127.0.0.1); ATHAR_TRUST_PROXY=1 believes any address
    # (a proxy on another host, the app port reachable by it alone).
    trust_any = bool(settings.get("ATHAR_TRUST_PROXY"))
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=None,  # Streamlit's handlers print uvicorn's records (once)
        proxy_headers=True,
        forwarded_allow_ips="*" if trust_any else None,
        ws="auto",
    )

if __name__ == "__main__":
    main()
