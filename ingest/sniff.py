"""What an uploaded file is, from its first bytes and never from its name.

An XLSX is a zip holding ``xl/workbook.xml`` whatever its name; old ``.xls``, PDF, images, other
zips and binary files (a NUL byte, or many control bytes: a handful pasted into a note is still
text) are refused; anything else is text (``.txt`` → Excel "Unicode text", else CSV).
"""

from __future__ import annotations

import re
from pathlib import PurePath

from ingest import encoding as enc
from ingest.xlsx import zip_kind

#: Control bytes a text head may hold whatever its size (ESC, BEL… pasted into a note).
STRAY_CONTROL_BYTES = 16

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "XLS"),
    (b"%PDF", "PDF"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"\x1f\x8b", "GZIP"),
    (b"7z\xbc\xaf\x27\x1c", "7Z"),
    (b"Rar!\x1a\x07", "RAR"),
    (b"{\\rtf", "RTF"),
)
#: The stream name of a password-protected Office file (UTF-16LE, in the OLE2 directory).
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_ZIP_LABELS = {"xlsb": "XLSB", "docx": "DOCX", "pptx": "PPTX", "ods": "ODS", "odt": "ODT", "zip": "ZIP"}
#: Bytes that text may hold; what ``translate`` leaves of a head is its control bytes.
_TEXT_BYTES = bytes(range(0x20, 0x100)) + b"\t\n\r\x0b\x0c\x1a"
_BLANK_BYTES = re.compile(rb"[ \t\r\n\x0b\x0c]*\Z")
_BLANK_UTF16 = {
    b"\xff\xfe": re.compile(rb"(?:[ \t\r\n]\x00)*\Z"),
    b"\xfe\xff": re.compile(rb"(?:\x00[ \t\r\n])*\Z"),
}


def is_blank(data: bytes) -> bool:
    """Nothing but a BOM and whitespace."""
    for bom, pattern in _BLANK_UTF16.items():
        if data.startswith(bom):
            return pattern.match(data, len(bom)) is not None
    return _BLANK_BYTES.match(data, 3 if data.startswith(enc.UTF8_BOM) else 0) is not None


def sniff(data: bytes, file_name: str) -> tuple[str, str | None]:
    """("xlsx" | "bad_zip" | "encrypted" | "unsupported" | "binary" | "text", label shown to the user)."""
    extension = PurePath(file_name).suffix.lower()

    def label(kind: str) -> str:
        return f"{kind} ({extension})" if extension and extension[1:].upper() != kind else kind

    if data.startswith(_ZIP_MAGIC):
        kind = zip_kind(data)
        if kind == "xlsx":
            return "xlsx", None
        if kind == "corrupt":
            return "bad_zip", label("ZIP")
        return "unsupported", label(_ZIP_LABELS[kind])
    if data.startswith(_MAGIC[0][0]) and _ENCRYPTED_PACKAGE in data:
        return "encrypted", None  # a workbook saved with a password: an OLE2 box around the encrypted xlsx
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return "unsupported", label(kind)
    head = data[:8192]
    unicode_text = head.startswith((b"\xff\xfe", b"\xfe\xff")) or enc.sniff_utf16(head) is not None
    if not unicode_text:
        controls = head.translate(None, _TEXT_BYTES)
        if b"\x00" in controls or len(controls) > max(STRAY_CONTROL_BYTES, 0.01 * len(head)):
            return "binary", None
        markup = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1024].lower()
        if markup.startswith(b"<"):
            if b"<html" in markup or markup.startswith(b"<!doctype html"):
                return "unsupported", label("HTML")
            if markup.startswith(b"<?xml"):
                return "unsupported", label("XML")
    return "text", None


