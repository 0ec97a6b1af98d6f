"""Which text encoding an uploaded file uses, decided from its bytes — never lossy, never a guess.

Order of the checks (first that applies wins):

1. BOM ``EF BB BF`` → ``utf-8-sig``; BOM ``FF FE`` / ``FE FF`` → ``utf-16`` (Excel "Unicode text").
2. No BOM but NUL bytes on one parity of the first KiBs (ASCII delimiters, digits and codes are
   ``xx 00`` in UTF-16LE) → ``utf-16-le`` / ``utf-16-be``.
3. Strict UTF-8 → ``utf-8``. A pure-ASCII file is UTF-8 without decoding anything; for a large
   non-ASCII file the caller may let the CSV parser validate the bytes (see ``read.py``) and only
   fall back to step 4 when it refuses them.
4. Otherwise the file is a Windows "ANSI" file: Windows-1256 (Arabic Excel) or Windows-1252
   (French Excel). DuckDB and Polars cannot be trusted with these, so the bytes are decoded here,
   and the choice is made on evidence:

   * Mac Excel's "CSV" is MacRoman, whose French letters sit where Windows has symbols and
     Persian letters: é è à ç ê = 0x8E 0x8F 0x88 0x8D 0x90. Such bytes inside Latin words (at
     least two), with no Windows French letter (0xC0-0xFF) inside a Latin word and no run of
     Arabic letters, mean ``mac_roman``.
   * cp1252 leaves 0x81 0x8D 0x8F 0x90 0x9D undefined; cp1256 defines every byte. A file with one
     of them is not cp1252.
   * cp1256 keeps the French letters é è à â ç ê ë î ï ô ù û ü « » – at the cp1252 code points,
     so only the other high bytes tell the two apart. Decoded as cp1256, Arabic text gives runs of
     two or more Arabic letters with no ASCII letter next to them; French text (É À Ç Ô Î ß …
     inside Latin words) gives single Arabic letters glued to ASCII letters ("ةTAT"). The side
     with more evidence wins; no evidence at all (the two decodings agree on every letter) means
     cp1252, the Western default, which then loses nothing.

A file that was already damaged before upload (Arabic saved as ``?`` by a Western Excel, or UTF-8
read as cp1252 and saved again) decodes fine; ``read.py`` reports that text as a warning.
"""

from __future__ import annotations

import re

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_LE_BOM = b"\xff\xfe"
UTF16_BE_BOM = b"\xfe\xff"

#: How much of the file the UTF-16 and UTF-8 checks look at before deciding.
HEAD_BYTES = 64 * 1024

_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
_AR = "\u0621-\u063a\u0641-\u0652\u0670-\u06d3"  # Arabic letters and harakat that cp1256 can produce
_ARABIC_RUN = re.compile(rf"(?<![A-Za-z])[{_AR}]{{2,}}(?![A-Za-z])")
_ARABIC_IN_LATIN_WORD = re.compile(rf"(?<=[A-Za-z])[{_AR}]|[{_AR}](?=[A-Za-z])")
_EVIDENCE_CHARS = 2_000_000


class EncodingError(ValueError):
    """The bytes are not text in any encoding we accept."""


def sniff_utf16(head: bytes) -> str | None:
    """``utf-16-le`` / ``utf-16-be`` when NUL bytes sit on one parity only (BOM-less UTF-16)."""
    sample = head[: 8192 - (min(len(head), 8192) % 2)]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    pairs = len(sample) // 2
    if odd >= 0.2 * pairs and even <= 0.01 * pairs:
        return "utf-16-le"
    if even >= 0.2 * pairs and odd <= 0.01 * pairs:
        return "utf-16-be"
    return None


def head_is_utf8(data: bytes) -> bool:
    """The first ``HEAD_BYTES`` are valid UTF-8 (a character cut at the end of the window is fine)."""
    head = data[:HEAD_BYTES]
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as error:
        truncated = (
            len(data) > HEAD_BYTES
            and error.start >= len(head) - 3
            and error.reason == "unexpected end of data"
        )
        return truncated


def is_utf8(data: bytes) -> bool:
    """Strict check of the whole file (pure ASCII needs no decoding)."""
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def detect_encoding(data: bytes, *, verify_utf8: bool = True) -> str:
    """The codec name for ``data`` (see module docstring); ``decode`` then refuses what is not text.

    With ``verify_utf8=False`` a file whose head is UTF-8 is reported as ``utf-8`` without decoding
    the rest: the caller must validate it (the Polars CSV reader refuses invalid UTF-8).
    """
    if data.startswith(UTF8_BOM):
        return "utf-8-sig"
    if data.startswith((UTF16_LE_BOM, UTF16_BE_BOM)):
        return "utf-16"
    utf16 = sniff_utf16(data[:HEAD_BYTES])
    if utf16 is not None:
        return utf16
    if data.isascii() or (head_is_utf8(data) and (not verify_utf8 or is_utf8(data))):
        return "utf-8"
    return single_byte_encoding(data)


_MAC_FRENCH_IN_WORD = re.compile(rb"[A-Za-z][\x88\x8d\x8e\x8f\x90]|[\x88\x8d\x8e\x8f\x90][A-Za-z]")
_WINDOWS_LETTER_IN_WORD = re.compile(rb"[A-Za-z][\xc0-\xff]|[\xc0-\xff][A-Za-z]")
_HIGH_RUN = re.compile(rb"[\xc1-\xff]{2,}")


def _is_mac_roman(head: bytes) -> bool:
    """French text saved by Mac Excel (see module docstring)."""
    return (len(_MAC_FRENCH_IN_WORD.findall(head)) >= 2 and _WINDOWS_LETTER_IN_WORD.search(head) is None
            and _HIGH_RUN.search(head) is None)


def single_byte_encoding(data: bytes) -> str:
    """Windows-1256, Windows-1252 or MacRoman, by evidence from the bytes (see module docstring)."""
    if _is_mac_roman(data[:_EVIDENCE_CHARS]):
        return "mac_roman"
    if any(byte in data for byte in _CP1252_UNDEFINED):
        return "cp1256"
    text = data.decode("cp1256")
    arabic, latin = _evidence(text[:_EVIDENCE_CHARS])
    if arabic == latin == 0 and len(text) > _EVIDENCE_CHARS:
        arabic, latin = _evidence(text)
    return "cp1256" if arabic > latin else "cp1252"


def _evidence(cp1256_text: str) -> tuple[int, int]:
    """(letters in Arabic words, Arabic letters glued to Latin letters) in the cp1256 reading."""
    arabic = sum(len(m) for m in _ARABIC_RUN.findall(cp1256_text))
    latin = len(_ARABIC_IN_LATIN_WORD.findall(cp1256_text))
    return arabic, latin


def decode(data: bytes, encoding: str) -> str:
    """Strict decoding; raises ``EncodingError`` (never replaces a character)."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise EncodingError(f"{encoding}: {error.reason} at byte {error.start}") from error
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise EncodingError("NUL character in text")
    return text


def utf8_bytes(data: bytes, encoding: str) -> bytes:
    """UTF-8 bytes for the CSV parser. UTF-8 input is returned as is (no copy; the parser skips a BOM)."""
    if encoding in ("utf-8", "utf-8-sig"):
        if b"\x00" in data:
            raise EncodingError("NUL byte in text")
        return data
    return decode(data, encoding).encode("utf-8")
