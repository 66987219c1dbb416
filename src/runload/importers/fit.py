"""FIT activity files -> :class:`runload.models.Activity`.

Readers
-------
The **lean reader** (:func:`_read_fit_lean`) reads only what the analysis uses:
one pass over the FIT framing (:func:`_scan_lean`; strided byte slices step
over runs of same-type messages and over cycles of types taking turns, such as
a record then an HRV message) copies the summary messages (file and device info,
sport, sessions, laps, activity) into a small well-formed FIT file for
``fitfast.parse`` and reads the record fields it needs (time, heart rate,
distance, position present) straight from the bytes with NumPy; the file
checksum is checked with NumPy too (:func:`fit_crc_fast`). No decoder sees
the records, so it runs faster than fitfast's own full decode, memory stays
near the file's size, and damage (found by the scan) is handled in the same
single pass. It declines (returns None) where only a full decoder can answer:
compressed-timestamp headers, records with compressed speed/distance or odd
field layouts, developer fields named like a record column, or a cut-down
file that says too little; then :func:`_read_fit_full` decodes everything.

``fitfast`` (Rust-backed) is the full decoder: on the 25 shared real FIT
files it parses ~40x faster than ``fitparse``. It is all-or-nothing (one bad
byte and it returns nothing), so damaged files go through a small framing
scanner (:func:`scan_fit`) written here that walks the FIT record headers
without decoding fields, finds the last complete message before the damage and
rebuilds a well-formed FIT byte string that fitfast can read. ``fitparse`` is
the last-resort fallback (and the test suite's second opinion, see
:func:`read_fit_with_fitparse`). The test suite checks that the lean reader
and both full paths give identical activities on every shared real file.

fitfast 0.1.0 quirks handled here
---------------------------------
* It checks the file CRC over the data records only. For a 14-byte header with
  a header CRC of 0x0000 the FIT SDK computes the file CRC over header + data,
  so valid files are refused ("checksum mismatch, found X calculated Y"). We
  re-check the CRC ourselves (:func:`fit_crc`) and patch the trailer to the
  value fitfast expects; a genuinely wrong CRC is read anyway with the note
  ``"file checksum mismatch: the file may be damaged"``.
* It turns device-relative times (FIT ``date_time`` < 0x10000000: seconds since
  power-on) into bogus Unix times before 1998. We detect them and rebuild the
  start from ``activity.local_timestamp`` and the athlete's zone.

In the full decode, large files (:data:`COLUMNAR_MIN_BYTES` and up) are read column-wise:
``fitfast.records`` gives the record fields as NumPy arrays and
``fitfast.parse`` only sees a copy of the file cut down to its summary
messages (:func:`_select_messages`), instead of a dict per record (a 50 MB
file peaked at 2.3 GB RSS that way, 1.3 GB now). Results are identical; the
test suite checks it on every real file.

One :class:`Activity` per ``session`` message (a triathlon gives five).
"""

from __future__ import annotations

import calendar
import datetime as _dt
import re
import sys
from array import array
from zoneinfo import ZoneInfo

import fitfast
import numpy as np

from runload.errors import ImportFormatError, NotAnActivity
from runload.models import Activity
from runload.units import FIT_EPOCH_UNIX_S, FIT_MIN_ABSOLUTE_S

from .sports import normalise_fit_sport

#: Unix times below this are FIT device-relative times shifted by the FIT epoch.
DEVICE_RELATIVE_LIMIT_UNIX_S = FIT_EPOCH_UNIX_S + FIT_MIN_ABSOLUTE_S
#: Gaps between records longer than this [s] are pauses: not counted as time
#: at a heart rate, nor as moving time when rebuilding from records.
MAX_RECORD_GAP_S = 30.0
#: ``activity.local_timestamp - activity.timestamp`` farther than this from 0 [s]
#: is not a time-zone offset (Zwift writes local_timestamp = 0).
MAX_UTC_OFFSET_S = 14 * 3600

_RECORD_MSG = 20

#: FIT files at least this large [bytes] are read column-wise: ``fitfast.records``
#: for the records and ``fitfast.parse`` only on a copy holding the other messages
#: that are needed (``fitfast.parse`` keeps a dict per record: ~45 bytes of RAM per
#: byte of file, 2.3 GB for a 50 MB file).
COLUMNAR_MIN_BYTES = 4 * 1024 * 1024
#: Global message numbers kept for ``fitfast.parse`` in the column-wise path:
#: file_id, sport, session, lap, device_info, activity, developer_data_id, field_description.
_SUMMARY_MSGS = frozenset({0, 12, 18, 19, 23, 34, 206, 207})

# --------------------------------------------------------------------------- CRC

_CRC_TABLE: list[int] = []
for _byte in range(256):
    _crc = _byte
    for _ in range(8):
        _crc = (_crc >> 1) ^ 0xA001 if _crc & 1 else _crc >> 1
    _CRC_TABLE.append(_crc)


def fit_crc(data: bytes, crc: int = 0) -> int:
    """FIT CRC-16 (CRC-16/ARC: reflected polynomial 0x8005, init 0) of ``data``."""
    table = _CRC_TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


# ------------------------------------------------------- CRC with NumPy
#
# CRC-16/ARC is linear: with register r, two bytes b0 b1 give G(r ^ (b0 | b1 << 8)),
# G being two steps over zero bytes; and crc(A + B) = shift(crc(A), len(B)) ^ crc(B)
# (starting from 0). So a block is cut into equal chunks whose CRCs are computed side
# by side (one NumPy step per pair of bytes of a chunk), then combined pairwise with
# shift tables. Leading zero bytes leave a CRC from 0 unchanged, which pads the block.

_CRC_BYTE = np.array(_CRC_TABLE, dtype=np.uint16)
_CRC_SHIFTS: list[np.ndarray] = []  # _CRC_SHIFTS[k]: register after 2 ** (k + 1) zero bytes


def _crc_shift_table(k: int) -> np.ndarray:
    if not _CRC_SHIFTS:
        x = np.arange(65536, dtype=np.uint32)
        y = (x >> 8) ^ _CRC_BYTE[x & 0xFF]
        _CRC_SHIFTS.append(((y >> 8) ^ _CRC_BYTE[y & 0xFF]).astype(np.uint16))
    while len(_CRC_SHIFTS) <= k:
        last = _CRC_SHIFTS[-1]
        _CRC_SHIFTS.append(last[last])
    return _CRC_SHIFTS[k]


def _crc_shift(crc: int, nbytes: int) -> int:
    """The register ``crc`` after ``nbytes`` zero bytes."""
    if nbytes & 1:
        crc = (crc >> 8) ^ _CRC_TABLE[crc & 0xFF]
    pairs, k = nbytes >> 1, 0
    while pairs:
        if pairs & 1:
            crc = int(_crc_shift_table(k)[crc])
        pairs >>= 1
        k += 1
    return crc


_CRC_BLOCK = 1 << 22  # bytes per block: bounds the working memory
#: Below this many bytes a Python loop over pairs of bytes is faster than NumPy's chunks (measured:
#: 512 B 11 µs by pairs, 16 µs by NumPy, 22 µs by the byte loop; 1 KiB 21, 18 and 45 µs); the summary
#: copy of a file is often 1-4 KiB.
_CRC_NUMPY_MIN_BYTES = 1024
#: Below this many bytes the plain byte loop (64 B: 3.0 µs against 1.7 µs by pairs, with less set-up).
_CRC_PAIRS_MIN_BYTES = 64
_CRC_PAIRS = array("H")  # the two-byte step of :func:`_crc_shift_table` (0), filled on first use


def _crc_pairs(view: memoryview, crc: int) -> int:
    """:func:`fit_crc` two bytes a step: register r and bytes b0 b1 give G(r ^ (b0 | b1 << 8))."""
    table = _CRC_PAIRS
    if not table:
        table.frombytes(_crc_shift_table(0).tobytes())  # native byte order, as the words below
    n = len(view)
    words = array("H")
    words.frombytes(view[: n & ~1])
    if sys.byteorder == "big":
        words.byteswap()  # the pairs are little-endian
    for word in words:
        crc = table[crc ^ word]
    if n & 1:
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ view[n - 1]) & 0xFF]
    return crc


def fit_crc_fast(data, crc: int = 0) -> int:
    """:func:`fit_crc` of ``data`` (bytes-like) at NumPy speed."""
    view = memoryview(data).cast("B")
    n = len(view)
    if n < _CRC_NUMPY_MIN_BYTES:
        return fit_crc(view, crc) if n < _CRC_PAIRS_MIN_BYTES else _crc_pairs(view, crc)
    for block_start in range(0, n, _CRC_BLOCK):
        block = view[block_start : block_start + _CRC_BLOCK]
        size = len(block)
        crc = _crc_shift(crc, size) ^ _crc_block(block)
    return crc


def _crc_block(block) -> int:
    """CRC (from 0) of one block, chunks side by side."""
    size = len(block)
    log_words = max(4, (size.bit_length() - 1) // 2 - 3)  # 16-bit words per chunk: about sqrt(size) / 16 (measured)
    words = 1 << (log_words - 1)
    chunk = 2 * words
    chunks = -(-size // chunk)
    padded = np.zeros(chunks * chunk, np.uint8)
    padded[len(padded) - size :] = np.frombuffer(block, np.uint8)
    columns = padded.view("<u2").reshape(chunks, words)  # (a transposed copy measured no faster)
    table = _crc_shift_table(0)
    reg = np.zeros(chunks, np.uint16)
    for j in range(words):
        reg = table[reg ^ columns[:, j]]
    k = log_words - 1  # shift table index for one chunk (2 ** log_words bytes)
    while reg.size > 1:
        if reg.size & 1:  # a leading all-zero chunk changes nothing
            reg = np.concatenate((np.zeros(1, np.uint16), reg))
        reg = _crc_shift_table(k)[reg[0::2]] ^ reg[1::2]
        k += 1
    return int(reg[0])


# ---------------------------------------------------------------- framing scan


class FitSegment:
    """One FIT sequence (header + data records + CRC) as found by :func:`scan_fit`."""

    __slots__ = ("start", "header_size", "data_size", "good_end", "complete", "records", "error")

    def __init__(self, start: int, header_size: int, data_size: int):
        self.start = start
        self.header_size = header_size
        self.data_size = data_size
        self.good_end = start + header_size  # end of the last complete message
        self.complete = False
        self.records = 0
        self.error: str | None = None

    @property
    def data_start(self) -> int:
        return self.start + self.header_size

    @property
    def data_end(self) -> int:
        return self.data_start + self.data_size


def scan_fit(data: bytes) -> tuple[list[FitSegment], str | None]:
    """Walk the FIT framing (headers, definitions, data record sizes) without decoding fields.

    Returns the segments found and, when the walk stopped on damage, a short
    description of it. The last segment may be incomplete (``complete`` False)
    with ``good_end`` at the end of its last whole message.
    """
    segments: list[FitSegment] = []
    n = len(data)
    pos = 0
    while pos < n:
        if n - pos < 12 or data[pos] not in (12, 14) or data[pos + 8 : pos + 12] != b".FIT":
            if not segments:
                return segments, "not a FIT file (bad header)"
            return segments, f"unreadable bytes after byte {pos:,} (corrupt FIT header of a chained segment)"
        header_size = data[pos]
        if pos + header_size > n:
            return segments, f"file ends inside a FIT header at byte {pos:,}"
        seg = FitSegment(pos, header_size, int.from_bytes(data[pos + 4 : pos + 8], "little"))
        segments.append(seg)
        defs: dict[int, tuple[int, int]] = {}
        p = seg.data_start
        limit = min(seg.data_end, n)
        error = None
        while p < limit:
            h = data[p]
            if h & 0x80:  # compressed-timestamp data message
                local = (h >> 5) & 0x03
            elif h & 0x40:  # definition message
                if p + 6 > limit:
                    error = "eof"
                    break
                nfields = data[p + 5]
                q = p + 6 + 3 * nfields
                if q > limit:
                    error = "eof"
                    break
                size = sum(data[p + 7 : q : 3])
                if h & 0x20:  # developer fields
                    if q + 1 > limit:
                        error = "eof"
                        break
                    ndev = data[q]
                    q2 = q + 1 + 3 * ndev
                    if q2 > limit:
                        error = "eof"
                        break
                    size += sum(data[q + 2 : q2 : 3])
                    q = q2
                order = "big" if data[p + 2] == 1 else "little"
                defs[h & 0x0F] = (size, int.from_bytes(data[p + 3 : p + 5], order))
                p = q
                seg.good_end = p
                continue
            else:
                local = h & 0x0F
            definition = defs.get(local)
            if definition is None:
                error = f"missing message definition for local message number {local}"
                break
            size, global_num = definition
            if p + 1 + size > limit:
                error = "eof"
                break
            p += 1 + size
            seg.good_end = p
            if global_num == _RECORD_MSG:
                seg.records += 1
        if error is None and p == seg.data_end and p + 2 <= n:
            seg.complete = True
            pos = p + 2
            continue
        if error is None or error == "eof":
            seg.error = f"file ends early (unexpected end of file after {n:,} bytes)"
        else:
            seg.error = f"unreadable data at byte {seg.good_end:,} ({error})"
        return segments, seg.error
    return segments, None


_CRC_ERR = re.compile(r"checksum mismatch, found (\d+) calculated (\d+)")
_AFTER_SEQ = re.compile(r"after (\d+) valid FIT sequence")


def _repair(data: bytes, segments: list[FitSegment]) -> tuple[bytearray, list[int]]:
    """Rebuild a well-formed FIT byte string from the readable part of ``data``.

    Complete segments are kept as they are; an incomplete one is cut at its last
    whole message, its header's data size rewritten, its header CRC cleared and
    a placeholder file CRC appended. Returns the bytes and the offsets of each
    segment's file CRC in them.
    """
    out = bytearray()
    crc_offsets = []
    for seg in segments:
        if seg.complete:
            out += data[seg.start : seg.data_end + 2]
        else:
            if seg.good_end <= seg.data_start:
                break
            header = bytearray(data[seg.start : seg.data_start])
            header[4:8] = (seg.good_end - seg.data_start).to_bytes(4, "little")
            if seg.header_size == 14:
                header[12:14] = b"\0\0"
            out += header + data[seg.data_start : seg.good_end] + b"\0\0"
        crc_offsets.append(len(out) - 2)
    return out, crc_offsets


class _DecoderFailure(Exception):
    pass


def _call_fitfast(fn, *args):
    """Call a fitfast function with every failure (including Rust panics, which derive
    from BaseException) turned into :class:`_DecoderFailure`."""
    try:
        return fn(*args)
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except fitfast.FitDecodeError as exc:
        raise _DecoderFailure(str(exc)) from None
    except BaseException as exc:  # noqa: BLE001 - pyo3 PanicException is a BaseException
        raise _DecoderFailure(f"decoder crashed: {type(exc).__name__}: {exc}") from None


def _fitfast(data: bytes) -> dict:
    """fitfast.parse (messages as dicts), failures as :class:`_DecoderFailure`."""
    return _call_fitfast(fitfast.parse, data)


def _fitfast_records(data: bytes) -> dict:
    """fitfast.records (NumPy columns of the record messages), failures as :class:`_DecoderFailure`."""
    return _call_fitfast(fitfast.records, data, "record")


def _parse_fitfast(data: bytes, decode=None, with_bytes: bool = False, framing=None):
    """Decode with fitfast, repairing framing and CRC problems. Returns (messages, notes, recovered).

    ``decode`` is :func:`_fitfast` (default) or :func:`_fitfast_records`; with
    ``with_bytes`` the well-formed bytes that were decoded (``data`` itself or
    its repaired copy) are returned as a fourth item. ``framing``: the
    ``(segments, damage)`` the lean scan found (the same as :func:`scan_fit`'s, a
    test holds it), so the file is not walked again; known damage skips the
    attempt on ``data`` as it is: the repaired copy, its checksums written
    beforehand, is then decoded once.
    """
    decode = decode or _fitfast
    first_error = "damaged framing"
    if framing is None or framing[1] is None:
        try:
            result = decode(data)
            return (result, [], None, data) if with_bytes else (result, [], None)
        except _DecoderFailure as exc:
            first_error = str(exc)

    segments, damage = framing if framing is not None else scan_fit(data)
    if not segments or (damage and not any(s.complete or s.good_end > s.data_start for s in segments)):
        reason = damage or first_error
        if "ends early" in reason or "ends inside" in reason:
            raise ImportFormatError("truncated FIT file and no activity summary could be recovered")
        raise ImportFormatError(f"not a readable FIT file ({_short(reason)})")
    repaired, crc_offsets = _repair(data, segments)
    notes: list[str] = []
    recovered = None
    if damage:
        kept = sum(s.records for s in segments if s.complete or s.good_end > s.data_start)
        if segments[-1].complete:
            recovered = f"{damage}; kept the {len(segments)} complete FIT segment(s) before it"
        else:
            recovered = f"{damage}; kept the {kept:,} records before the cut"
    _prepare_checksums(data, segments, repaired, crc_offsets, notes)
    checked_crc = set()
    for _ in range(len(crc_offsets) + 2):
        try:
            good = bytes(repaired)
            messages = decode(good)
            return (messages, notes, recovered, good) if with_bytes else (messages, notes, recovered)
        except _DecoderFailure as exc:
            text = str(exc)
        m = _CRC_ERR.search(text)
        if not m:
            raise ImportFormatError(f"damaged FIT file ({_short(text)})")
        after = _AFTER_SEQ.search(text)
        index = int(after.group(1)) if after else 0
        if index >= len(crc_offsets) or index in checked_crc:
            raise ImportFormatError(f"damaged FIT file ({_short(text)})")
        checked_crc.add(index)
        seg = segments[index]
        if seg.complete:
            stored = int.from_bytes(data[seg.data_end : seg.data_end + 2], "little")
            if stored not in (int(m.group(2)), fit_crc(data[seg.start : seg.data_end])):
                note = "file checksum mismatch: the file may be damaged"
                if note not in notes:
                    notes.append(note)
        offset = crc_offsets[index]
        repaired[offset : offset + 2] = int(m.group(2)).to_bytes(2, "little")
    raise ImportFormatError("damaged FIT file (checksums cannot be repaired)")


def _prepare_checksums(data: bytes, segments: list[FitSegment], repaired: bytearray, crc_offsets: list[int],
                       notes: list[str]) -> None:
    """Write the file CRC fitfast expects into each segment of ``repaired``, so that it decodes at the
    first try; note a complete segment whose stored CRC is wrong."""
    start = 0
    for seg, offset in zip(segments, crc_offsets):
        if seg.complete:
            stored = int.from_bytes(data[seg.data_end : seg.data_end + 2], "little")
            body = memoryview(data)[seg.data_start : seg.data_end]
            if stored != fit_crc_fast(body) and stored != fit_crc_fast(body, fit_crc(data[seg.start : seg.data_start])):
                note = "file checksum mismatch: the file may be damaged"
                if note not in notes:
                    notes.append(note)
        # fitfast checks a 12-byte header's file CRC over header + data, a 14-byte one's over the data alone
        # (the same when the header CRC is right; 0x0000 "no header CRC" is what the repair writes)
        first = start + (14 if repaired[start] == 14 else 0)
        repaired[offset : offset + 2] = fit_crc_fast(memoryview(repaired)[first:offset]).to_bytes(2, "little")
        start = offset + 2


# ------------------------------------------------------- message selection
#
# A data message's size depends only on its local message type, so a run of headers of one type at
# ``step`` strides is a run of whole messages. Runs are measured on ``bytes`` slices taken at that stride
# (``data[first:stop:step]``): one C-speed slice and ``lstrip`` a probe, where NumPy's strided views cost
# about 5 µs a probe (measured: the lean scan of the benchmark's 280 FIT files, 29 MB, took 111 ms with
# NumPy probes after eight Python steps, 72 ms with these slices; both find the same messages).

#: After no cycle was found from a header, its next this many messages are passed without looking
#: (headers are counted apart: a record between cycles of other types does not stop the search for them).
_CYCLE_RETRY_AFTER = 8
#: Messages (or cycles) in the first probe of a run; each later probe is four times longer. Most runs are
#: short (half of them 2-6 messages on the shared real files), a synthetic file's records one long run.
_FIRST_PROBE = 16
#: For each compressed-timestamp header class (its top three bits): 1 for the bytes of that class, else 0.
_CLASS_MARKS = {cls: bytes(int(b & 0xE0 == cls) for b in range(256)) for cls in (0x80, 0xA0, 0xC0, 0xE0)}
_ONE_BYTE = [bytes((b,)) for b in range(256)]


def _leading_matches(data: bytes, first: int, stop: int, step: int, header: int) -> int:
    """How many of ``data[first:stop:step]``, from the first on, are headers of ``header``'s local type."""
    heads = data[first:stop:step]
    if header & 0x80:  # compressed timestamp: the low 5 bits are a time offset
        heads, header = heads.translate(_CLASS_MARKS[header & 0xE0]), 1
    return len(heads) - len(heads.lstrip(_ONE_BYTE[header]))


def _same_local_run(data: bytes, start: int, step: int, limit: int, header: int) -> int:
    """How many messages of ``step`` bytes, starting at ``start``, have the same local message type as ``header``."""
    last_start = limit - step  # a message starting here still fits
    count, probe = 0, _FIRST_PROBE
    while True:
        first = start + count * step
        if first > last_start:
            return count
        stop = min(last_start + 1, first + probe * step)
        found = _leading_matches(data, first, stop, step, header)
        count += found
        if found < -(-(stop - first) // step):
            return count
        probe *= 4


def _cycle_run(data: bytes, p: int, step: int, header: int, definition: tuple, limit: int, defs: dict,
               keep: frozenset[int]):
    """Repeats, from ``p``, of a cycle of 2 to 4 data messages of different types taking turns
    (a record, then an HRV message...), none of them kept and at most one a record.

    Returns (cycles, period, [(offset in the cycle, header, global number, layout)]) for at
    least two whole cycles, else None.
    """
    members = [(0, header, definition[1], definition[2])]
    period = step
    mask, want = (0xE0, header & 0xE0) if header & 0x80 else (0xFF, header)
    for _k in range(3):
        q = p + period
        if q >= limit:
            return None
        head = data[q]
        if head & 0xC0 == 0x40:  # a definition
            return None
        other = defs.get((head >> 5) & 0x03 if head & 0x80 else head & 0x0F)
        if other is None or other[1] in keep:
            return None
        members.append((period, head, other[1], other[2]))
        period += 1 + other[0]
        if p + 2 * period > limit or data[p + period] & mask != want:
            continue
        if sum(m[2] == _RECORD_MSG for m in members) > 1:
            return None  # two record types in one cycle: their order could not be kept
        last_start = limit - period  # a cycle starting here still fits
        count, probe = 0, _FIRST_PROBE
        while True:
            first = p + count * period
            if first > last_start:
                break
            stop = min(last_start + 1, first + probe * period)
            window = -(-(stop - first) // period)
            found = window
            for offset, head, _kind, _layout in members:
                found = min(found, _leading_matches(data, first + offset, stop + offset, period, head))
            count += found
            if found < window:
                break
            probe *= 4
        if count >= 2:
            return count, period, members
    return None


def _select_messages(data: bytes, keep: frozenset[int]) -> bytes | None:
    """A copy of a well-formed FIT file holding only its definitions and the data messages in ``keep``.

    Each sequence gets a fresh 14-byte header (with its CRC) and its file CRC.
    Returns None when the file cannot be cut safely (damaged framing, or a kept
    message using a compressed timestamp, whose time depends on dropped ones).
    """
    n = len(data)
    out = bytearray()
    pos = 0
    while pos < n:
        if n - pos < 14 or data[pos] not in (12, 14) or data[pos + 8 : pos + 12] != b".FIT":
            return None
        header_size = data[pos]
        data_start = pos + header_size
        data_end = data_start + int.from_bytes(data[pos + 4 : pos + 8], "little")
        if data_end + 2 > n:
            return None
        defs: dict[int, tuple[int, int]] = {}
        body = bytearray()
        p = data_start
        copy_from = None  # start of the pending span of kept bytes
        while p < data_end:
            h = data[p]
            if h & 0x80:
                local = (h >> 5) & 0x03
            elif h & 0x40:
                if p + 6 > data_end:
                    return None
                nfields = data[p + 5]
                q = p + 6 + 3 * nfields
                if q > data_end:
                    return None
                size = sum(data[p + 7 : q : 3])
                if h & 0x20:
                    if q + 1 > data_end:
                        return None
                    q2 = q + 1 + 3 * data[q]
                    if q2 > data_end:
                        return None
                    size += sum(data[q + 2 : q2 : 3])
                    q = q2
                order = "big" if data[p + 2] == 1 else "little"
                defs[h & 0x0F] = (size, int.from_bytes(data[p + 3 : p + 5], order))
                if copy_from is None:
                    copy_from = p
                p = q
                continue
            else:
                local = h & 0x0F
            definition = defs.get(local)
            if definition is None:
                return None
            size, global_num = definition
            step = 1 + size
            if p + step > data_end:
                return None
            if global_num in keep:
                if h & 0x80:
                    return None
                if copy_from is None:
                    copy_from = p
                p += step
                continue
            if copy_from is not None:
                body += data[copy_from:p]
                copy_from = None
            nxt = p + step
            if nxt + step <= data_end and (data[nxt] == h or (h & 0x80 and data[nxt] & 0xE0 == h & 0xE0)):
                p += step * _same_local_run(data, p, step, data_end, h)
            else:
                p = nxt
        if copy_from is not None:
            body += data[copy_from:data_end]
        header = bytearray(data[pos : pos + 12])
        header[0] = 14
        header[4:8] = len(body).to_bytes(4, "little")
        header += fit_crc(bytes(header)).to_bytes(2, "little")
        out += header + body + fit_crc(bytes(body)).to_bytes(2, "little")
        pos = data_end + 2
    return bytes(out)


# ------------------------------------------------------------- lean reading
#
# The analysis keeps session totals, laps, device and file info, and from the
# records only time, heart rate, distance and whether there is a position.
# :func:`_scan_lean` walks the FIT framing once (runs of same-type messages are
# stepped over on strided byte slices, see :func:`_same_local_run`): it copies the summary
# messages into a small well-formed FIT file for ``fitfast.parse`` and notes
# where the records are, whose four fields are then read straight from the
# bytes with NumPy. No decoder ever sees the records, so a 50 MB file costs
# about its own size in memory, and a damaged file is read once: the scan finds
# the damage, and the cut-down copy is written well-formed.

#: Record fields the analysis uses: field number -> (column, FIT base type number, size in bytes).
_LEAN_RECORD_FIELDS = {
    253: ("timestamp", 0x06, 4),
    3: ("heart_rate", 0x02, 1),
    5: ("distance", 0x06, 4),
    0: ("position_lat", 0x05, 4),
}
#: Invalid ("no value") marker of each base type number used above.
_INVALID = {0x02: 0xFF, 0x06: 0xFFFFFFFF, 0x05: 0x7FFFFFFF}
#: Record fields whose components expand into one of the columns above (compressed_speed_distance):
#: such records are left to fitfast, which accumulates the components.
_EXPANDING_RECORD_FIELDS = frozenset({8})
#: Messages kept for ``fitfast.parse`` in the lean path (the same as :data:`_SUMMARY_MSGS`).
_LEAN_MSGS = _SUMMARY_MSGS


class _LeanScan:
    """What :func:`_scan_lean` found: segments, damage, the summary copy and where the records are."""

    __slots__ = ("segments", "damage", "summary", "pieces", "layouts", "answerable")

    def __init__(self):
        self.segments: list[FitSegment] = []
        self.damage: str | None = None
        self.summary = bytearray()
        #: record messages as flat (first byte, count, stride, layout index) quadruples, in file order
        self.pieces = array("q")
        #: per record layout: (big-endian?, {column: byte offset from the message header})
        self.layouts: list[tuple[bool, dict[str, int]]] = []
        #: False when the records or a kept message cannot be read without the full decoder
        self.answerable = True


def _record_layout(data: bytes, p: int, nfields: int, big: bool):
    """Byte offsets of the used record fields in a record definition starting at ``p``, or None when odd."""
    offsets: dict[str, int] = {}
    offset = 1  # the record header byte
    for k in range(nfields):
        number, size, base = data[p + 6 + 3 * k], data[p + 7 + 3 * k], data[p + 8 + 3 * k]
        if number in _EXPANDING_RECORD_FIELDS:
            return None
        spec = _LEAN_RECORD_FIELDS.get(number)
        if spec is not None:
            if (base & 0x1F) != spec[1] or size != spec[2] or spec[0] in offsets:
                return None
            offsets[spec[0]] = offset
        offset += size
    return big, offsets


def _scan_lean(data: bytes) -> _LeanScan:
    """One pass over the FIT framing (the checks of :func:`scan_fit`, the cut of :func:`_select_messages`)."""
    scan = _LeanScan()
    n = len(data)
    keep = _LEAN_MSGS
    layout_index: dict[tuple, int] = {}
    pos = 0
    while pos < n:
        if n - pos < 12 or data[pos] not in (12, 14) or data[pos + 8 : pos + 12] != b".FIT":
            if not scan.segments:
                scan.damage = "not a FIT file (bad header)"
            else:
                scan.damage = f"unreadable bytes after byte {pos:,} (corrupt FIT header of a chained segment)"
            return scan
        header_size = data[pos]
        if pos + header_size > n:
            scan.damage = f"file ends inside a FIT header at byte {pos:,}"
            return scan
        seg = FitSegment(pos, header_size, int.from_bytes(data[pos + 4 : pos + 8], "little"))
        scan.segments.append(seg)
        defs: dict[int, tuple[int, int, int]] = {}
        body = bytearray()
        copy_from = None  # start of the pending span of kept bytes
        p = seg.data_start
        limit = min(seg.data_end, n)
        error = None
        no_cycle: dict[int, int] = {}  # header -> messages of that header to pass before looking again
        while p < limit:
            h = data[p]
            if h & 0x80:  # compressed-timestamp data message
                local = (h >> 5) & 0x03
            elif h & 0x40:  # definition message
                if p + 6 > limit:
                    error = "eof"
                    break
                nfields = data[p + 5]
                q = p + 6 + 3 * nfields
                if q > limit:
                    error = "eof"
                    break
                size = sum(data[p + 7 : q : 3])
                has_dev = h & 0x20
                if has_dev:
                    if q + 1 > limit:
                        error = "eof"
                        break
                    q2 = q + 1 + 3 * data[q]
                    if q2 > limit:
                        error = "eof"
                        break
                    size += sum(data[q + 2 : q2 : 3])
                    q = q2
                big = data[p + 2] == 1
                global_num = int.from_bytes(data[p + 3 : p + 5], "big" if big else "little")
                layout = -1
                if global_num == _RECORD_MSG:
                    found = _record_layout(data, p, nfields, big)
                    if found is not None:
                        key = (found[0], tuple(sorted(found[1].items())))
                        layout = layout_index.get(key, -1)
                        if layout < 0:
                            layout = layout_index[key] = len(scan.layouts)
                            scan.layouts.append(found)
                defs[h & 0x0F] = (size, global_num, layout)
                if global_num in keep:
                    if copy_from is None:
                        copy_from = p
                elif copy_from is not None:  # no kept message uses it: not copied (a fifth of the copy's bytes)
                    body += data[copy_from:p]
                    copy_from = None
                p = q
                seg.good_end = p
                continue
            else:
                local = h & 0x0F
            definition = defs.get(local)
            if definition is None:
                error = f"missing message definition for local message number {local}"
                break
            size, global_num, layout = definition
            step = 1 + size
            if p + step > limit:
                error = "eof"
                break
            if global_num in keep:
                if h & 0x80:  # its time depends on messages that are not copied
                    scan.answerable = False
                if copy_from is None:
                    copy_from = p
                p += step
                seg.good_end = p
                continue
            if copy_from is not None:
                body += data[copy_from:p]
                copy_from = None
            nxt = p + step
            if nxt + step <= limit and (data[nxt] == h or (h & 0x80 and data[nxt] & 0xE0 == h & 0xE0)):
                count = _same_local_run(data, p, step, limit, h)
            else:
                count = 1
                cycle = None
                wait = no_cycle.get(h)
                if wait:
                    no_cycle[h] = wait - 1
                else:
                    cycle = _cycle_run(data, p, step, h, definition, limit, defs, keep)
                    if cycle is None:  # none from this header: do not look again at its next few
                        no_cycle[h] = _CYCLE_RETRY_AFTER
                if cycle is not None:  # types taking turns (a record, then an HRV message...)
                    cycles, period, members = cycle
                    for offset, head, kind, lay in members:
                        if kind == _RECORD_MSG:
                            seg.records += cycles
                            if head & 0x80 or lay < 0:
                                scan.answerable = False
                            else:
                                scan.pieces.extend((p + offset, cycles, period, lay))
                    p += period * cycles
                    seg.good_end = p
                    continue
            if global_num == _RECORD_MSG:
                seg.records += count
                if h & 0x80 or layout < 0:  # compressed timestamps or an odd layout: fitfast's job
                    scan.answerable = False
                else:
                    scan.pieces.extend((p, count, step, layout))
            p += step * count
            seg.good_end = p
        if copy_from is not None:
            body += data[copy_from : seg.good_end]
        if error is None and p == seg.data_end and p + 2 <= n:
            seg.complete = True
        elif error is None or error == "eof":
            seg.error = f"file ends early (unexpected end of file after {n:,} bytes)"
        else:
            seg.error = f"unreadable data at byte {seg.good_end:,} ({error})"
        if seg.good_end > seg.data_start:
            header = bytearray(data[pos : pos + 12])
            header[0] = 14
            header[4:8] = len(body).to_bytes(4, "little")
            header += fit_crc(bytes(header)).to_bytes(2, "little")
            scan.summary += header + body + fit_crc_fast(body).to_bytes(2, "little")
        if not seg.complete:
            scan.damage = seg.error
            return scan
        pos = p + 2
    return scan


#: Records gathered per step of :func:`_records_from_scan` (bounds its temporary arrays).
_GATHER_BATCH = 1 << 18
#: Records per piece from which the pieces are read as strided views (:func:`_records_by_views`) instead
#: of gathered (measured: 12 pieces of 3,600 records 45 µs against 88 µs; 81 pieces of about 30 records
#: 240 µs against 120 µs: a view costs about 2.5 µs a piece, a gather 20 µs a file and a little a record).
_VIEW_MIN_RECORDS_PER_PIECE = 150


def _records_from_scan(data: bytes, scan: _LeanScan) -> "_Records":
    """The record columns found by :func:`_scan_lean`, read from the bytes (the values fitfast.records gives).

    Only the output columns are file-sized (25 bytes per record); offsets and
    raw values are worked out a batch of records at a time.
    """
    pieces = np.frombuffer(scan.pieces, dtype=np.int64).reshape(-1, 4) if scan.pieces else np.zeros((0, 4), np.int64)
    counts = pieces[:, 1]
    ends = np.cumsum(counts)
    total = int(ends[-1]) if len(ends) else 0
    if total and total >= len(pieces) * _VIEW_MIN_RECORDS_PER_PIECE:
        return _records_by_views(data, scan, total)
    n = len(data)
    views: dict[tuple, np.ndarray] = {}

    def view(size: int, big: bool) -> np.ndarray:
        """Every (unaligned) unsigned ``size``-byte integer of the file, one starting at each byte."""
        if (size, big) not in views:
            dtype = np.dtype(f"{'>' if big else '<'}u{size}")
            views[size, big] = np.ndarray((max(n - size + 1, 0),), dtype, buffer=data, offset=0, strides=(1,))
        return views[size, big]

    wanted = [(name, base, size) for name, base, size in _LEAN_RECORD_FIELDS.values()
              if any(name in fields for _big, fields in scan.layouts)]  # fmt: skip
    columns = {name: np.empty(total, np.float64) for name, _b, _s in wanted if name != "position_lat"}
    gps = np.zeros(total, bool)
    first_piece = 0
    for lo in range(0, total, _GATHER_BATCH):
        hi = min(lo + _GATHER_BATCH, total)
        last_piece = int(np.searchsorted(ends, hi, side="left"))  # the piece holding record hi - 1
        batch = pieces[first_piece : last_piece + 1]
        starts = ends[first_piece : last_piece + 1] - batch[:, 1]  # index of each piece's first record
        inside = np.minimum(starts + batch[:, 1], hi) - np.maximum(starts, lo)  # its records in [lo, hi)
        which = np.repeat(np.arange(len(batch)), inside)
        # byte offset of each record header: the piece's first byte + (index in the piece) * stride
        offsets = batch[which, 0] + (np.arange(lo, hi, dtype=np.int64) - starts[which]) * batch[which, 2]
        layout_of = batch[which, 3]
        for layout, (big, fields) in enumerate(scan.layouts):
            mine = None if len(scan.layouts) == 1 else layout_of == layout
            at = offsets if mine is None else offsets[mine]
            for name, base, size in wanted:
                out = gps if name == "position_lat" else columns[name]
                target = out[lo:hi]
                offset = fields.get(name)
                if offset is None:
                    if name != "position_lat":
                        if mine is None:
                            target[:] = np.nan
                        else:
                            target[mine] = np.nan
                    continue
                raw = view(size, big)[at + offset]
                if name == "position_lat":
                    values = raw != _INVALID[base]
                else:
                    values = raw.astype(np.float64)
                    values[raw == _INVALID[base]] = np.nan
                if mine is None:
                    target[:] = values
                else:
                    target[mine] = values
        first_piece = last_piece
    if "timestamp" in columns:
        columns["timestamp"] += FIT_EPOCH_UNIX_S
    if "distance" in columns:
        columns["distance"] /= 100.0
    return _Records.from_arrays(
        total, columns.get("timestamp"), columns.get("heart_rate"), columns.get("distance"), gps
    )


def _records_by_views(data: bytes, scan: _LeanScan, total: int) -> "_Records":
    """:func:`_records_from_scan` for files of long runs: each piece of records is a strided structured view
    of the bytes (no copy), its fields joined piece after piece and converted once."""
    parts: dict[str, list] = {name: [] for name, _base, _size in _LEAN_RECORD_FIELDS.values()}
    dtypes: dict[tuple, np.dtype] = {}  # (layout, stride) -> the structured dtype of its messages
    pieces = scan.pieces
    for i in range(0, len(pieces), 4):
        first, count, stride, layout = pieces[i : i + 4]
        big, fields = scan.layouts[layout]
        dtype = dtypes.get((layout, stride))
        if dtype is None:
            order = ">" if big else "<"
            used = [(name, f"{order}u{size}", fields[name]) for name, _b, size in _LEAN_RECORD_FIELDS.values()
                    if name in fields]  # fmt: skip
            dtype = dtypes[layout, stride] = np.dtype({"names": [u[0] for u in used], "formats": [u[1] for u in used],
                                                       "offsets": [u[2] for u in used], "itemsize": stride})
        messages = np.ndarray((count,), dtype, buffer=data, offset=first)
        for name, part in parts.items():
            part.append(messages[name] if name in fields else count)  # a count: ``count`` records lack it
    columns = {}
    for name, base, size in _LEAN_RECORD_FIELDS.values():
        invalid = _INVALID[base]
        raw = [np.full(p, invalid, f"u{size}") if isinstance(p, int) else p for p in parts[name]]
        raw = np.concatenate(raw) if len(raw) > 1 else raw[0]
        if name == "position_lat":
            columns[name] = raw != invalid
            continue
        values = raw.astype(np.float64)
        values[raw == invalid] = np.nan
        columns[name] = values
    columns["timestamp"] += FIT_EPOCH_UNIX_S
    columns["distance"] /= 100.0
    return _Records.from_arrays(total, columns["timestamp"], columns["heart_rate"], columns["distance"],
                                columns["position_lat"])


def _short(text: str) -> str:
    text = text.replace("FIT decode error: ", "").strip()
    return text[:120]


# ---------------------------------------------------------------- fitparse path


def _parse_fitparse(data: bytes) -> tuple[dict, list[str], str | None]:
    """Decode with fitparse (no CRC check), keeping every message read before an error.

    Values are converted to fitfast's conventions: date-times as Unix epoch
    ints (device-relative ones shifted by the FIT epoch like fitfast does).
    """
    import fitparse

    messages: dict[str, list[dict]] = {}
    recovered = None
    notes: list[str] = []
    try:
        fit = fitparse.FitFile(data, check_crc=False)
        for message in fit.get_messages():
            values = {}
            for key, value in message.get_values().items():
                if value is None:
                    continue
                if isinstance(value, _dt.datetime):
                    value = calendar.timegm(value.timetuple())
                elif key in ("timestamp", "start_time", "time_created", "local_timestamp") and isinstance(value, int):
                    value = value + FIT_EPOCH_UNIX_S
                values[key] = value
            messages.setdefault(message.name, []).append(values)
    except Exception as exc:  # noqa: BLE001 - keep what was read
        if not messages:
            raise ImportFormatError(f"not a readable FIT file ({_short(str(exc))})") from None
        recovered = (
            f"file damaged ({type(exc).__name__}: {_short(str(exc))}); "
            f"kept the {len(messages.get('record', [])):,} records before the damage"
        )
    return messages, notes, recovered


# ------------------------------------------------------------------ build


def _first(items):
    return items[0] if items else {}


def _device(messages: dict) -> str | None:
    file_id = _first(messages.get("file_id"))
    manufacturer = file_id.get("manufacturer")
    product = file_id.get("product_name") or file_id.get("garmin_product") or file_id.get("product")
    for info in messages.get("device_info", ()):
        if info.get("device_index") in ("creator", 0) and info.get("product_name"):
            product = product if isinstance(product, str) else info["product_name"]
            break
    if isinstance(product, int) and manufacturer in ("garmin", "dynastream", "dynastream_oem"):
        product = _garmin_product_name(product) or product
    parts = [str(p) for p in (manufacturer, product) if p not in (None, "")]
    if isinstance(product, int):
        parts[-1] = f"product {product}"
    return " ".join(parts) or None


def _garmin_product_name(number: int) -> str | None:
    try:
        from fitparse.profile import FIELD_TYPES

        return FIELD_TYPES["garmin_product"].values.get(number)
    except Exception:  # noqa: BLE001 - names are a nicety
        return None


class _Records:
    """Record columns needed for the summaries (NumPy, sorted by time)."""

    @classmethod
    def from_columns(cls, columns: dict) -> "_Records":
        """From ``fitfast.records`` columns (float64, NaN where a field is missing)."""
        n = len(next(iter(columns.values()))) if columns else 0
        nan_column = np.full(n, np.nan)
        ts = np.asarray(columns.get("timestamp", nan_column), float)
        hr = np.asarray(columns.get("heart_rate", nan_column), float)
        dist = np.asarray(columns.get("distance", nan_column), float)
        lat = columns.get("position_lat")
        gps = ~np.isnan(lat) if lat is not None else np.zeros(n, bool)
        self = cls.__new__(cls)
        self._set(ts, hr, dist, gps)
        return self

    @classmethod
    def from_arrays(cls, n: int, ts, hr, dist, gps) -> "_Records":
        """From float64 columns (None where the file has no such field) and a has-position flag."""
        self = cls.__new__(cls)
        nan_column = None if ts is not None and hr is not None and dist is not None else np.full(n, np.nan)
        self._set(
            ts if ts is not None else nan_column,
            hr if hr is not None else nan_column,
            dist if dist is not None else nan_column,
            gps,
        )
        return self

    def __init__(self, records: list[dict]):
        n = len(records)
        nan = float("nan")
        try:
            ts = np.fromiter((r.get("timestamp", nan) for r in records), float, n)
            hr = np.fromiter((r.get("heart_rate", nan) for r in records), float, n)
            dist = np.fromiter((r.get("distance", nan) for r in records), float, n)
        except (TypeError, ValueError):  # odd field types: take the numbers one by one
            ts = np.array([_number(r.get("timestamp")) for r in records], float)
            hr = np.array([_number(r.get("heart_rate")) for r in records], float)
            dist = np.array([_number(r.get("distance")) for r in records], float)
        gps = np.fromiter(("position_lat" in r for r in records), bool, n)
        self._set(ts, hr, dist, gps)

    def _set(self, ts, hr, dist, gps) -> None:
        keep = ~np.isnan(ts)
        if not keep.all():
            ts, hr, dist, gps = ts[keep], hr[keep], dist[keep], gps[keep]
        if ts.size > 1 and (np.diff(ts) < 0).any():
            order = np.argsort(ts, kind="stable")
            ts, hr, dist, gps = ts[order], hr[order], dist[order], gps[order]
        self.ts, self.hr, self.dist, self.gps = ts, hr, dist, gps

    def __len__(self):
        return int(self.ts.size)

    #: Records per step of :meth:`summary` (bounds its temporary arrays; all sums are of whole numbers,
    #: FIT times and heart rates being integers, so the steps change no result).
    SUMMARY_STEP = 1 << 20

    def summary(self, lo: int, hi: int) -> dict:
        """HR histogram, mean/max HR, GPS flag, max distance, moving time for records[lo:hi]."""
        moving = 0.0
        hr_sum, hr_count, hr_max = 0.0, 0, None
        sums = np.zeros(0)
        for a in range(lo, hi, self.SUMMARY_STEP):
            b = min(a + self.SUMMARY_STEP, hi)
            gaps = np.diff(self.ts[a : min(b + 1, hi)])  # the gap after each record (none after the last)
            moving += float(gaps[(gaps > 0) & (gaps <= MAX_RECORD_GAP_S)].sum())
            next_gap = gaps if gaps.size == b - a else np.append(gaps, 0.0)
            hr = self.hr[a:b]
            with np.errstate(invalid="ignore"):
                valid = ~np.isnan(hr) & (hr > 0)
            if not valid.any():
                continue
            values = hr[valid]
            hr_sum += float(values.sum())
            hr_count += values.size
            hr_max = max(hr_max or 0.0, float(values.max()))
            del values
            counted = valid & (next_gap > 0)
            if counted.any():
                bpm = np.rint(hr[counted]).astype(np.int64)
                part = np.bincount(bpm, weights=np.minimum(next_gap[counted], MAX_RECORD_GAP_S))
                if part.size > sums.size:
                    part[: sums.size] += sums
                    sums = part
                else:
                    sums[: part.size] += part
        hist = {int(k): float(sums[k]) for k in np.flatnonzero(sums)}
        distances = self.dist[lo:hi]
        has_distance = bool((~np.isnan(distances)).any())
        return {
            "hist": hist or None,
            "hr_mean": hr_sum / hr_count if hr_count else None,
            "hr_max": hr_max,
            "gps": bool(self.gps[lo:hi].any()),
            "distance": float(np.nanmax(distances)) if has_distance else None,
            "moving": moving,
            "first": float(self.ts[lo]) if hi > lo else None,
            "last": float(self.ts[hi - 1]) if hi > lo else None,
        }


def _number(value) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else float("nan")


def _positive(value):
    return value if value else None


def _to_datetime_utc(unix_s: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(unix_s, tz=_dt.timezone.utc)


def build_activities(
    messages: dict, notes: list[str], recovered: str | None, tz: str | None = None, records: _Records | None = None
) -> list[Activity]:
    """Turn decoded FIT messages (fitfast conventions) into activities.

    ``records`` replaces ``messages["record"]`` when the records were decoded column-wise.
    """
    file_id = _first(messages.get("file_id"))
    file_type = file_id.get("type")
    if file_type is not None and file_type != "activity":
        raise NotAnActivity(f"not an activity (FIT file type: {file_type})")
    sessions = [s for s in messages.get("session", ()) if s.get("start_time") is not None]
    if records is None:
        records = _Records(messages.get("record", ()))
    if not sessions and not len(records) and not messages.get("lap"):
        if recovered:
            raise ImportFormatError("truncated FIT file and no activity summary could be recovered")
        raise ImportFormatError("FIT file holds no session, lap or record")
    device = _device(messages)
    activity_msg = _first(messages.get("activity"))
    sport_msg = _first(messages.get("sport"))
    notes = list(notes)

    # Summaries: from sessions, else rebuilt from records, else from laps.
    summaries = []
    rebuilt = None
    if sessions:
        sessions.sort(key=lambda s: s["start_time"])
        for s in sessions:
            summaries.append(
                {
                    "start": s["start_time"],
                    "end": s.get("timestamp"),
                    "sport": s.get("sport"),
                    "sub_sport": s.get("sub_sport"),
                    "distance": s.get("total_distance"),
                    "moving": s.get("total_timer_time"),
                    "elapsed": s.get("total_elapsed_time"),
                    "avg_hr": _positive(s.get("avg_heart_rate")),
                    "max_hr": _positive(s.get("max_heart_rate")),
                    "ascent": s.get("total_ascent"),
                    "cadence": _session_cadence(s),
                }
            )
    elif len(records):
        rec = records.summary(0, len(records))
        # a file cut before its sport message still says what it is in each complete lap
        lap_sport = next((lap for lap in messages.get("lap", ()) if lap.get("sport") is not None), {})
        summaries.append(
            {
                "start": rec["first"],
                "end": rec["last"],
                "sport": sport_msg.get("sport") or lap_sport.get("sport"),
                "sub_sport": sport_msg.get("sub_sport") or lap_sport.get("sub_sport"),
                "distance": rec["distance"],
                "moving": rec["moving"] or None,
                "elapsed": rec["last"] - rec["first"],
                "avg_hr": None,
                "max_hr": None,
                "ascent": None,
                "cadence": None,
            }
        )
        rebuilt = "no session summary in the file: totals rebuilt from its records"
    else:
        laps = sorted((lap for lap in messages["lap"] if lap.get("start_time") is not None), key=lambda lap: lap["start_time"])
        if not laps:
            raise ImportFormatError("FIT file holds no session and no usable lap or record")
        summaries.append(
            {
                "start": laps[0]["start_time"],
                "end": laps[-1].get("timestamp"),
                "sport": laps[0].get("sport") or sport_msg.get("sport"),
                "sub_sport": laps[0].get("sub_sport") or sport_msg.get("sub_sport"),
                "distance": _sum(lap.get("total_distance") for lap in laps),
                "moving": _sum(lap.get("total_timer_time") for lap in laps),
                "elapsed": _sum(lap.get("total_elapsed_time") for lap in laps),
                "avg_hr": None,
                "max_hr": max((lap.get("max_heart_rate") or 0 for lap in laps), default=0) or None,
                "ascent": _sum(lap.get("total_ascent") for lap in laps),
                "cadence": None,
            }
        )
        rebuilt = "no session summary in the file: totals rebuilt from its laps"
    if rebuilt:
        recovered = f"{recovered}; {rebuilt}" if recovered else rebuilt

    # Absolute time: device-relative files are placed with activity.local_timestamp.
    shift_s = 0.0
    zone_note = None
    relative = summaries[0]["start"] < DEVICE_RELATIVE_LIMIT_UNIX_S
    local_ts = activity_msg.get("local_timestamp")
    act_ts = activity_msg.get("timestamp")
    if relative:
        end_rel = act_ts if act_ts is not None else max((s["end"] or s["start"]) for s in summaries)
        if local_ts is None or local_ts < DEVICE_RELATIVE_LIMIT_UNIX_S or end_rel is None:
            raise ImportFormatError("no absolute start time in the file (device-relative timestamps only)")
        zone_name = tz or "UTC"
        try:
            zone = ZoneInfo(zone_name)
        except Exception:  # noqa: BLE001 - bad zone names are the caller's, fall back to UTC
            zone, zone_name = _dt.timezone.utc, "UTC"
        local_start = summaries[0]["start"] + (local_ts - end_rel)
        naive = _dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=local_start)
        start_utc = naive.replace(tzinfo=zone).astimezone(_dt.timezone.utc)
        shift_s = start_utc.timestamp() - summaries[0]["start"]
        zone_note = f"start time from the watch's local clock, time zone assumed {zone_name}"
    utc_offset_s = None
    if not relative and local_ts is not None and act_ts is not None and local_ts >= DEVICE_RELATIVE_LIMIT_UNIX_S:
        diff = local_ts - act_ts
        if abs(diff) <= MAX_UTC_OFFSET_S:
            utc_offset_s = int(round(diff / 900.0)) * 900

    activities = []
    skipped = []
    starts = [s["start"] for s in summaries]
    for index, s in enumerate(summaries):
        # Records belong to the session with the latest start at or before them;
        # a single session owns all records.
        if len(summaries) == 1:
            lo, hi = 0, len(records)
        else:
            lo = 0 if index == 0 else int(np.searchsorted(records.ts, starts[index], side="left"))
            hi = len(records) if index == len(summaries) - 1 else int(np.searchsorted(records.ts, starts[index + 1], side="left"))
        rec = records.summary(lo, hi) if hi > lo else None
        sport, sub_sport = normalise_fit_sport(s["sport"], s["sub_sport"])
        if s["sport"] is None and s["sub_sport"] is None:
            sport = "other"
        avg_hr = s["avg_hr"] or (rec and rec["hr_mean"])
        max_hr = s["max_hr"] or (rec and rec["hr_max"])
        has_gps = bool(rec and rec["gps"])
        distance = s["distance"]
        if distance is None and rec and rec["distance"] is not None and not rebuilt:
            distance = rec["distance"]
        these_notes = list(notes)
        if zone_note:
            these_notes.append(zone_note)
        if sport == "running" and not distance:
            # kept: a heart-rate-only run still counts as a running day and carries its time and load
            these_notes.append("run without distance: counts as a running day with its time and heart rate")
        if sub_sport == "treadmill":
            these_notes.append("treadmill")
        if sport == "running" and not has_gps and distance:
            these_notes.append("no GPS: distance from the watch")
        activities.append(
            Activity(
                start_utc=_to_datetime_utc(s["start"] + shift_s),
                sport=sport,
                source_format="fit",
                sub_sport=sub_sport,
                distance_m=float(distance) if distance is not None else None,
                moving_s=float(s["moving"]) if s["moving"] is not None else None,
                elapsed_s=float(s["elapsed"]) if s["elapsed"] is not None else None,
                utc_offset_s=utc_offset_s,
                avg_hr_bpm=float(avg_hr) if avg_hr else None,
                max_hr_bpm=float(max_hr) if max_hr else None,
                ascent_m=float(s["ascent"]) if s["ascent"] is not None else None,
                avg_cadence_per_min=s["cadence"],
                device=device,
                has_gps=has_gps,
                hr_seconds_by_bpm=rec["hist"] if rec else None,
                recovered=recovered,
                notes=tuple(these_notes),
            )
        )
    if not activities:
        raise ImportFormatError("; ".join(skipped) + " (skipped)" if skipped else "FIT file holds no usable session")
    if skipped:
        extra = tuple(f"skipped: {text}" for text in skipped)
        activities = [a.with_(notes=a.notes + extra) for a in activities]
    return activities


def _session_cadence(session: dict) -> float | None:
    """The session's average cadence per minute as recorded (running: strides/min), with its fraction.

    fitparse names the running sub-field ``avg_running_cadence``; fitfast keeps ``avg_cadence``.
    0 is what devices write without a cadence sensor: None.
    """
    whole = session.get("avg_cadence", session.get("avg_running_cadence"))
    if not isinstance(whole, (int, float)) or isinstance(whole, bool) or not whole > 0:
        return None
    fraction = session.get("avg_fractional_cadence")
    if isinstance(fraction, (int, float)) and not isinstance(fraction, bool) and 0 <= fraction < 1:
        return float(whole) + float(fraction)
    return float(whole)


def _sum(values):
    values = [v for v in values if v is not None]
    return sum(values) if values else None


# ------------------------------------------------------------------ public


def read_fit(data: bytes, tz: str | None = None) -> list[Activity]:
    """Read a FIT file's bytes: the lean reader, else fitfast's full decode (repairing damage), else fitparse.

    ``tz`` is the athlete's IANA zone, used only for files with device-relative
    times (see module docstring).
    """
    scan = _scan_lean(data)
    activities = _read_fit_lean(data, tz, scan)
    if activities is not None:
        return activities
    return _read_fit_full(data, tz, framing=(scan.segments, scan.damage))


def _read_fit_lean(data: bytes, tz: str | None = None, scan: _LeanScan | None = None) -> list[Activity] | None:
    """Read only what the analysis uses (see :func:`_scan_lean`); None where only the full decode can answer."""
    scan = scan or _scan_lean(data)
    segments = [s for s in scan.segments if s.complete or s.good_end > s.data_start]
    if not scan.answerable or not segments:
        return None  # unreadable files get today's messages (and fitparse's try) from the full path
    notes: list[str] = []
    for seg in segments:
        if not seg.complete:
            continue
        stored = int.from_bytes(data[seg.data_end : seg.data_end + 2], "little")
        body = memoryview(data)[seg.data_start : seg.data_end]
        # the FIT SDK's CRC covers header and data; fitfast 0.1.0 checks the data alone: either is fine
        if stored != fit_crc_fast(body, fit_crc(data[seg.start : seg.data_start])) and stored != fit_crc_fast(body):
            notes = ["file checksum mismatch: the file may be damaged"]
    recovered = None
    if scan.damage:
        if scan.segments[-1].complete:
            recovered = f"{scan.damage}; kept the {len(scan.segments)} complete FIT segment(s) before it"
        else:
            kept = sum(s.records for s in segments)
            recovered = f"{scan.damage}; kept the {kept:,} records before the cut"
    try:
        messages = _fitfast(bytes(scan.summary))
    except _DecoderFailure:
        return None
    names = [d.get("field_name") for d in messages.get("field_description", ())]
    names = {str(x) for name in names for x in (name if isinstance(name, list) else [name])}
    if names & {spec[0] for spec in _LEAN_RECORD_FIELDS.values()}:
        return None  # a developer field named like a record column: fitfast decides which wins
    messages.pop("record", None)
    records = _records_from_scan(data, scan)
    try:
        return build_activities(messages, notes, recovered, tz, records=records)
    except NotAnActivity:
        raise
    except ImportFormatError:
        if scan.damage is None:
            raise
        return None  # what the cut kept is not enough: the full path (and fitparse) may read past the damage


def _read_fit_full(data: bytes, tz: str | None = None, framing=None) -> list[Activity]:
    """The full decode: fitfast (repairing damage; ``framing``: what the lean scan found), fitparse as last resort."""
    if len(data) >= COLUMNAR_MIN_BYTES:
        try:
            return _read_fit_columnar(data, tz, framing)
        except NotAnActivity:
            raise
        except ImportFormatError:
            pass  # damaged beyond what fitfast reads: try fitparse below
    try:
        messages, notes, recovered = _parse_fitfast(data, framing=framing)
    except NotAnActivity:
        raise
    except ImportFormatError as fitfast_error:
        try:
            messages, notes, recovered = _parse_fitparse(data)
        except ImportFormatError:
            raise fitfast_error from None
        if not (messages.get("session") or messages.get("record") or messages.get("lap")):
            raise fitfast_error from None
    return build_activities(messages, notes, recovered, tz)


def _read_fit_columnar(data: bytes, tz: str | None = None, framing=None) -> list[Activity]:
    """Like :func:`read_fit` for large files, without a Python dict per record (see :data:`COLUMNAR_MIN_BYTES`)."""
    columns, notes, recovered, good = _parse_fitfast(data, decode=_fitfast_records, with_bytes=True, framing=framing)
    records = _Records.from_columns(columns)
    del columns
    summary = _select_messages(good, _SUMMARY_MSGS)
    messages = None
    if summary is not None:
        try:
            messages = _fitfast(summary)
        except _DecoderFailure:
            messages = None
    if messages is None:  # cannot be cut safely: decode everything (memory-hungry, but correct)
        try:
            messages = _fitfast(good)
        except _DecoderFailure as exc:
            raise ImportFormatError(f"damaged FIT file ({_short(str(exc))})") from None
    messages.pop("record", None)
    return build_activities(messages, notes, recovered, tz, records=records)


def read_fit_with_fitparse(data: bytes, tz: str | None = None) -> list[Activity]:
    """Read a FIT file with fitparse only (slow; the test suite's cross-check)."""
    messages, notes, recovered = _parse_fitparse(data)
    return build_activities(messages, notes, recovered, tz)


def decoder_versions() -> dict[str, str]:
    """Versions of the FIT decoders in use."""
    import fitparse

    return {"fitfast": fitfast.__version__, "fitparse": getattr(fitparse, "__version__", "?")}
