"""Seeded mutations of realistic submission files, for the fuzz test of the reading stage.

Each mutation is what happens to real files on their way to us: bytes flipped or lost, NUL bytes,
a file cut short, stray quotes and delimiters, a huge cell, text saved again in another encoding,
and for workbooks a damaged zip (bytes flipped inside a member's deflate stream, the archive cut
short, the central directory corrupted) or damaged XML inside an intact zip.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

Mutator = Callable[[bytes, random.Random], bytes]

_LOCAL_HEADER = b"PK\x03\x04"
_CENTRAL_HEADER = b"PK\x01\x02"
_END_OF_DIRECTORY = b"PK\x05\x06"


@dataclass(frozen=True)
class Mutation:
    source: str  # the file mutated
    kind: str  # the mutator's name
    data: bytes


def _positions(data: bytes, rng: random.Random, most: int) -> list[int]:
    return sorted(rng.randrange(len(data) + 1) for _ in range(rng.randint(1, most)))


def _insert(data: bytes, rng: random.Random, pieces: bytes | list[bytes], most: int) -> bytes:
    out, last = [], 0
    for at in _positions(data, rng, most):
        out += [data[last:at], rng.choice(pieces) if isinstance(pieces, list) else pieces]
        last = at
    return b"".join([*out, data[last:]])


def flip_bytes(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        buf[rng.randrange(len(buf))] = rng.randrange(256)
    return bytes(buf)


def nul_bytes(data: bytes, rng: random.Random) -> bytes:
    return _insert(data, rng, b"\x00", 4)


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, len(data))]


def stray_quotes(data: bytes, rng: random.Random) -> bytes:
    return _insert(data, rng, [b'"', b'""', b'"\n', b'\n"'], 5)


def stray_delimiters(data: bytes, rng: random.Random) -> bytes:
    return _insert(data, rng, [b",", b";", b"\t", b"|", b"\n", b"\r", "؛".encode()], 6)


def huge_cell(data: bytes, rng: random.Random) -> bytes:
    size = rng.choice([10_001, 12_000, 40_000])  # just over the limit, and well over it
    text = rng.choice([b"x", "\u0639".encode(), b"? ", b"9"]) * size
    return _insert(data, rng, [text, b'"' + text + b'\n' + text + b'"'], 1)


def _text_of(data: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16", "cp1256"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def reencode(data: bytes, rng: random.Random) -> bytes:
    encoding = rng.choice(["utf-16", "utf-16-le", "utf-16-be", "cp1256", "latin-1", "cp1252", "utf-8-sig"])
    return _text_of(data).encode(encoding, errors="replace")


def _members(data: bytes) -> list[tuple[int, int]]:
    """(start, size) of each member's compressed data, from the local headers."""
    found, at = [], data.find(_LOCAL_HEADER)
    while at >= 0 and at + 30 <= len(data):
        size, = struct.unpack_from("<I", data, at + 18)
        name_length, extra_length = struct.unpack_from("<HH", data, at + 26)
        start = at + 30 + name_length + extra_length
        if size and start + size <= len(data):
            found.append((start, size))
        at = data.find(_LOCAL_HEADER, start + max(size, 1))
    return found


def damaged_deflate(data: bytes, rng: random.Random) -> bytes:
    members = _members(data)
    if not members:
        return flip_bytes(data, rng)
    start, size = rng.choice(members)
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        buf[start + rng.randrange(size)] = rng.randrange(256)
    return bytes(buf)


def damaged_directory(data: bytes, rng: random.Random) -> bytes:
    starts = [i for i in range(len(data)) if data.startswith((_CENTRAL_HEADER, _END_OF_DIRECTORY), i)]
    if not starts:
        return flip_bytes(data, rng)
    buf = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        at = rng.choice(starts) + rng.randrange(4, 46)
        if at < len(buf):
            buf[at] = rng.randrange(256)
    return bytes(buf)


def damaged_xml(data: bytes, rng: random.Random) -> bytes:
    """One XML part of the workbook damaged (flipped, cut, or stray markup), the zip rewritten intact."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = [(info.filename, archive.read(info)) for info in archive.infolist()]
    except (zipfile.BadZipFile, zlib.error, struct.error, OSError, EOFError, ValueError, NotImplementedError):
        return flip_bytes(data, rng)
    xml = [i for i, (name, _) in enumerate(parts) if name.endswith((".xml", ".rels"))]
    index = rng.choice(xml)
    name, text = parts[index]
    damage = rng.choice([flip_bytes, truncate, lambda t, r: _insert(t, r, [b"<", b">", b"&", b'"', b"</x>"], 4)])
    parts[index] = (name, damage(text, rng) if text else text)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for part_name, content in parts:  # a fixed date: the same seed gives the same bytes at any time
            entry = zipfile.ZipInfo(part_name, date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(entry, content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


TEXT_MUTATORS: dict[str, Mutator] = {
    "flip_bytes": flip_bytes,
    "nul_bytes": nul_bytes,
    "truncate": truncate,
    "stray_quotes": stray_quotes,
    "stray_delimiters": stray_delimiters,
    "huge_cell": huge_cell,
    "reencode": reencode,
}
WORKBOOK_MUTATORS: dict[str, Mutator] = {
    "flip_bytes": flip_bytes,
    "truncate": truncate,
    "damaged_deflate": damaged_deflate,
    "damaged_directory": damaged_directory,
    "damaged_xml": damaged_xml,
}


def mutations(sources: dict[str, bytes], count: int, seed: int) -> list[Mutation]:
    """``count`` mutations, the same for the same seed: the sources in turn (a workbook every third
    time: they have the most ways to break), one or two mutators each."""
    rng = random.Random(seed)
    workbooks = sorted(name for name in sources if name.endswith(".xlsx"))
    texts = sorted(name for name in sources if not name.endswith(".xlsx"))
    found = []
    for n in range(count):
        name = workbooks[n // 3 % len(workbooks)] if n % 3 == 2 and workbooks else texts[n % len(texts)]
        table = WORKBOOK_MUTATORS if name.endswith(".xlsx") else TEXT_MUTATORS
        kinds = rng.sample(sorted(table), rng.choice([1, 1, 1, 2]))
        data = sources[name]
        for kind in kinds:
            data = table[kind](data, rng) if data else data
        found.append(Mutation(name, "+".join(kinds), data))
    return found
