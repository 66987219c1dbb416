"""Write zip archives byte by byte, so that tests can make members that zipfile would not write
(a genuine 1 GB deflate bomb without compressing 1 GB, lying sizes, encrypted flags, symlinks)."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass


@dataclass
class Member:
    name: str
    payload: bytes
    """The bytes as stored in the archive (already compressed when method == 8)."""
    crc: int
    size: int
    """Uncompressed size as declared."""
    method: int = 8
    flags: int = 0
    external_attr: int = 0o100644 << 16
    create_system: int = 3  # unix, so that external_attr's high word is the st_mode


def stored(name: str, data: bytes, **kw) -> Member:
    return Member(name, data, zlib.crc32(data), len(data), method=0, **kw)


def deflated(name: str, data: bytes, **kw) -> Member:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return Member(name, c.compress(data) + c.flush(), zlib.crc32(data), len(data), method=8, **kw)


def zeros_bomb(name: str, megabytes: int = 1024) -> Member:
    """A genuine deflate stream of ``megabytes`` MB of zeros (~1 MB compressed per GB), built in well under a second."""
    mb = bytes(1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = c.compress(mb) + c.flush(zlib.Z_FULL_FLUSH)  # full flush: the next chunk compresses identically
    payload = chunk * megabytes + b"\x03\x00"  # a final empty fixed-Huffman block
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(mb, crc)
    return Member(name, payload, crc, megabytes << 20, method=8)


def build(members: list[Member]) -> bytes:
    out = bytearray()
    central = bytearray()
    for m in members:
        name = m.name.encode("utf-8")
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, m.flags, m.method, 0, 0x21, m.crc, len(m.payload),
                           m.size, len(name), 0) + name + m.payload
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, (m.create_system << 8) | 20, 20, m.flags, m.method,
                               0, 0x21, m.crc, len(m.payload), m.size, len(name), 0, 0, 0, 0, m.external_attr,
                               offset) + name
    cd_offset = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), cd_offset, 0)
    return bytes(out)
