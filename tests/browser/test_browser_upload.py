"""Real Chromium on the real app: a file goes through the Upload page's real HTTP upload.

The steering committee uploads a network file (organisations named in ``org_code``):
``01_utf8_comma_lf.csv`` is validated, previewed, confirmed and stored; ``14_row_errors.csv`` is
refused with the validation report as a table — one row per faulty line (header = line 1),
starting with line 3 — and nothing is stored.
"""

from __future__ import annotations

import json

from browser_harness import SAMPLES, exceptions_on, full_page_screenshot, wait_until_idle
from playwright.sync_api import expect

from i18n import t

MAIN = '[data-testid="stMain"]'
GOOD = SAMPLES / "01_utf8_comma_lf.csv"
BAD = SAMPLES / "14_row_errors.csv"


def outside_the_demo_years(sample, tmp_path):
    """The sample with its 2024 periods moved to 2022: the demo database stores 2023–2025, and a whole
    sent below the parts already stored for its period is refused (parts within totals), which is not
    what these tests are about. Same name, same rows, same lines."""
    copy = tmp_path / sample.name
    copy.write_bytes(sample.read_bytes().replace(b",2024-", b",2022-").replace(b",2024,", b",2022,"))
    return copy


def choose_network_file(page, lang: str) -> None:
    """In the "on behalf of" box, pick the network file (rows name their organisation)."""
    box = (
        page.locator(MAIN)
        .locator('[data-testid="stSelectbox"]')
        .filter(has_text=t("dashboard.upload.on_behalf", lang))
    )
    box.click()
    label = t("dashboard.upload.network_file", lang)
    page.keyboard.type(label[:12])  # the list is long (every organisation): filter it
    page.get_by_role("option", name=label).click()
    wait_until_idle(page)
    expect(box.get_by_role("combobox")).to_have_value(label)


def upload(page, path) -> None:
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    expect(page.locator('[data-testid="stFileUploader"]')).to_contain_text(path.name)
    wait_until_idle(page)


def table_rows(page, index: int = 0) -> tuple[list[str], list[list[str]]]:
    """Header and body cells of the index-th table in the main area: an ``st.table``, or an
    ``st.dataframe`` (drawn on a canvas; its accessible table mirrors the rows on screen)."""
    table = page.locator(MAIN).locator("table").nth(index)
    expect(table.locator("tr").nth(1)).to_be_attached()
    rows = table.locator("tr").all()
    header = [c.inner_text().strip() for c in rows[0].locator("th, td").all()]
    body = [[c.inner_text().strip() for c in row.locator("th, td").all()] for row in rows[1:]]
    return header, body


def test_steering_uploads_a_network_file_and_it_is_stored(open_page, screenshots, tmp_path):
    page = open_page("upload", "fr", "steering")
    choose_network_file(page, "fr")
    upload(page, outside_the_demo_years(GOOD, tmp_path))
    assert exceptions_on(page) == []
    rows = json.loads((SAMPLES / "INDEX.json").read_text(encoding="utf-8"))["files"][GOOD.name]["rows"]
    checked = t("report.checked", "fr", rows=rows)
    expect(page.locator('[data-testid="stAlertContentSuccess"]').filter(has_text=checked)).to_be_visible()
    # The preview of what will be stored lists every row of the file.
    expect(page.locator(MAIN).get_by_text(t("dashboard.upload.preview_title", "fr"))).to_be_visible()
    header, body = table_rows(page)
    key_columns = [t("dashboard.common.indicator", "fr"), t("dashboard.upload.new_value", "fr")]  # key columns first
    assert [h.lower() for h in header[:2]] == [k.lower() for k in key_columns], header
    assert len(body) == rows
    page.locator(MAIN).get_by_role("button", name=t("dashboard.upload.confirm", "fr")).click()
    wait_until_idle(page)
    accepted = t("report.accepted", "fr", rows=rows, submission="\x00").split("\x00")[0]  # up to the number
    expect(page.locator('[data-testid="stAlertContentSuccess"]').filter(has_text=accepted)).to_be_visible()
    assert exceptions_on(page) == []
    full_page_screenshot(page, screenshots / "upload-accepted-fr.png")


def test_a_file_with_errors_shows_the_report_by_line(open_page, screenshots, tmp_path):
    page = open_page("upload", "fr", "steering")
    choose_network_file(page, "fr")
    upload(page, outside_the_demo_years(BAD, tmp_path))
    assert exceptions_on(page) == []
    expected_lines = json.loads((SAMPLES / "INDEX.json").read_text(encoding="utf-8"))["files"][BAD.name][
        "error_lines"
    ]
    refused = page.locator('[data-testid="stAlertContentError"]').filter(has_text=t("report.rejected", "fr"))
    expect(refused).to_be_visible()
    expect(page.locator(MAIN).get_by_text(t("dashboard.upload.what_to_fix", "fr"))).to_be_visible()
    header, body = table_rows(page)
    lower = [h.lower() for h in header]
    assert lower[:2] == [t("report.line", "fr").lower(), t("report.column", "fr").lower()], header
    lines = [int(row[0]) for row in body if row and row[0].isdigit()]
    assert lines[0] == 3
    assert sorted(set(lines)) == expected_lines
    line3 = next(row for row in body if row[0] == "3")
    assert "N/A" in " ".join(line3)  # the offending value, with its message and hint
    # The annotated copy of the file (an error column) can be downloaded.
    expect(
        page.locator(MAIN).get_by_role("button", name=t("dashboard.upload.download_annotated", "fr"))
    ).to_be_visible()
    full_page_screenshot(page, screenshots / "upload-rejected-fr.png")
