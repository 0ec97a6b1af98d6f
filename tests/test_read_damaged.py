"""Reading stage, damaged files: a workbook whose zip or XML is broken gets its own precise issue
(``damaged_workbook``), never "not an indicator table" with a traceback on stderr; an exception
that no damage explains is a bug and reaches the caller."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest
from conftest import SAMPLES

import ingest.csv_parser as parser_module
from ingest.pipeline import check_file
from ingest.read import RawTable, read_table

WORKBOOK = SAMPLES / "16_excel_workbook.xlsx"


def codes(table: RawTable) -> list[str]:
    return table.issues["code"].to_list()


def member_data_offset(data: bytes, name: str) -> int:
    """Where ``name``'s compressed bytes start (after its local header)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(name)
    name_length, extra_length = struct.unpack_from("<HH", data, info.header_offset + 26)
    return info.header_offset + 30 + name_length + extra_length


def rewritten(data: bytes, name: str, change) -> bytes:
    """The workbook with one part's text changed, the zip itself intact."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            target.writestr(info.filename, change(content) if info.filename == name else content)
    return out.getvalue()


@pytest.fixture
def workbook() -> bytes:
    if not WORKBOOK.exists():
        pytest.skip(f"shared samples not found at {SAMPLES}")
    return WORKBOOK.read_bytes()


def test_a_workbook_whose_deflate_stream_is_damaged_is_a_damaged_workbook(
    workbook: bytes, framework, capfd: pytest.CaptureFixture[str]
) -> None:
    broken = bytearray(workbook)
    broken[member_data_offset(workbook, "xl/workbook.xml")] = 0xFF  # a deflate block of the reserved type
    table = read_table(bytes(broken), "rapport.xlsx")
    assert codes(table) == ["damaged_workbook"]
    assert table.issues["value"].to_list() == ["ZIP"]
    result, _ = check_file(bytes(broken), "rapport.xlsx", framework=framework)
    assert result.status == "rejected"
    assert result.report("fr")["message"].to_list() == [
        "Le classeur est endommagé : une partie de son contenu compressé ou de son XML est illisible (ZIP)."
    ]
    assert "LibreOffice" in result.report("ar")["hint"][0]
    assert capfd.readouterr().err == ""


def test_a_member_marked_as_zip_encrypted_is_a_damaged_workbook(workbook: bytes) -> None:
    broken = bytearray(workbook)
    central = workbook.index(b"PK\x01\x02")  # the first member's central directory entry
    broken[central + 8] |= 0x01  # its "encrypted" flag: Excel never sets it, a damaged byte does
    assert codes(read_table(bytes(broken), "rapport.xlsx")) == ["damaged_workbook"]


def test_xml_declaring_an_encoding_that_does_not_exist_is_damaged_xml(workbook: bytes) -> None:
    broken = rewritten(workbook, "docProps/core.xml", lambda xml: b'<?xml version="1.0" encoding="U2F-8"?>' + xml)
    table = read_table(broken, "rapport.xlsx")
    assert codes(table) == ["damaged_workbook"]
    assert table.issues["value"].to_list() == ["XML"]


def test_a_sheet_whose_xml_is_cut_short_is_damaged_xml(workbook: bytes) -> None:
    broken = rewritten(workbook, "xl/worksheets/sheet1.xml", lambda xml: xml[: len(xml) // 2])
    table = read_table(broken, "rapport.xlsx")
    assert codes(table) == ["damaged_workbook"]
    assert table.issues["value"].to_list() == ["XML"]


def test_a_workbook_cut_short_is_damaged_but_a_zip_cut_short_is_not_a_workbook(workbook: bytes) -> None:
    cut = workbook[: len(workbook) // 2]
    assert codes(read_table(cut, "rapport.xlsx")) == ["damaged_workbook"]
    assert codes(read_table(cut, "archive.zip")) == ["xlsx_invalid"]


def test_an_exception_no_damage_explains_reaches_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    def bug(*args):
        raise ZeroDivisionError("a bug of ours")

    monkeypatch.setattr(parser_module, "parse_text", bug)
    with pytest.raises(ZeroDivisionError):
        read_table(b"org_code,indicator_code,period,value\nASS-CAS-001,R01,2024,3\n", "f.csv")
