"""The page icon as a ``data:`` URL, read once per process.

``st.set_page_config`` runs on every script run. Given a file, Streamlit serves it as a media file
and the frontend sets the tab icon's address again on each page-config message, so the browser
fetched the icon from the server one to four times on every page switch (a request in the browser,
its network service and the server each time). A ``data:`` URL is the same image with nothing to fetch.
"""

from __future__ import annotations

import base64
from functools import cache
from pathlib import Path

ICON = Path(__file__).resolve().parent / "static" / "favicon.png"


@cache
def data_url() -> str:
    """``data:image/png;base64,…`` of the dashboard's icon (a local file: no CDN is ever asked)."""
    return "data:image/png;base64," + base64.b64encode(ICON.read_bytes()).decode("ascii")
