"""The page icon is the dashboard's own PNG, inline: nothing to fetch per page switch."""

from __future__ import annotations

import base64

from dashboard import favicon


def test_the_icon_data_url_holds_the_png_file_byte_for_byte() -> None:
    url = favicon.data_url()
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == favicon.ICON.read_bytes()
    assert favicon.ICON.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
