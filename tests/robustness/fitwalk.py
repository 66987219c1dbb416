"""A tiny FIT framing walker for the fuzz tests: where are the headers, definitions and data messages."""

from __future__ import annotations

import struct
from dataclasses import dataclass


@dataclass
class Definition:
    offset: int
    """Offset of the record header byte."""
    n_fields: int
    n_dev_fields: int
    size: int
    """Bytes of the definition message including its header byte."""

    def field_offset(self, k: int) -> int:
        """Offset of the k-th field definition (3 bytes: number, size, base type)."""
        return self.offset + 6 + 3 * k


def walk(data: bytes) -> tuple[list[int], list[Definition], list[int]]:
    """(FIT header offsets, definition messages, data message offsets) of a well-formed FIT byte string.

    Stops quietly at the first thing it cannot frame.
    """
    headers, defs, rows = [], [], []
    pos = 0
    while pos + 12 <= len(data) and data[pos + 8 : pos + 12] == b".FIT":
        hsize = data[pos]
        (dsize,) = struct.unpack_from("<I", data, pos + 4)
        headers.append(pos)
        sizes: dict[int, int] = {}
        p, end = pos + hsize, pos + hsize + dsize
        while p < end and p < len(data):
            h = data[p]
            if h & 0x80:
                local = (h >> 5) & 3
                if local not in sizes:
                    return headers, defs, rows
                rows.append(p)
                p += 1 + sizes[local]
            elif h & 0x40:
                if p + 6 > len(data):
                    return headers, defs, rows
                n = data[p + 5]
                size = 6 + 3 * n
                total = sum(data[p + 6 + 3 * k + 1] for k in range(n) if p + 6 + 3 * k + 1 < len(data))
                ndev = 0
                if h & 0x20:
                    ndev = data[p + size]
                    total += sum(data[p + size + 1 + 3 * k + 1] for k in range(ndev))
                    size += 1 + 3 * ndev
                defs.append(Definition(p, n, ndev, size))
                sizes[h & 0x0F] = total
                p += size
            else:
                local = h & 0x0F
                if local not in sizes:
                    return headers, defs, rows
                rows.append(p)
                p += 1 + sizes[local]
        pos = end + 2
    return headers, defs, rows
