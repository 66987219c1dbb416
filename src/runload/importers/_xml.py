"""The streaming XML machinery shared by the GPX and TCX readers.

Why expat (``xml.parsers.expat``) and not lxml or ElementTree
--------------------------------------------------------------
Measured on a generated 10 km run with one point a second (3,001 points;
best of 5 in one process on the project's 2-core machine):

=========================================  =========  =========
pass                                         GPX [ms]   TCX [ms]
=========================================  =========  =========
expat, no handlers                              2.5        4.6
expat, no-op Python start + end handlers        8.3       12.8
expat, no-op Python start handler only          6.0        9.3
``xml.etree.ElementTree.fromstring``           12.7       16.0
lxml 6.1 ``fromstring`` (a whole DOM)           4.0        5.1
lxml 6.1 ``iterparse(tag=Trackpoint)`` + 2
``findtext`` per point + clearing                —         23.7
lxml 6.1 parser with a Python target             —         18.9
gpxpy 1.6 ``parse`` + ``length_2d``             57.6        —
=========================================  =========  =========

lxml is only faster when it builds a whole DOM, which an unbounded input must
never do; as soon as Python looks at each point it is slower than expat.
So the readers run expat (the C parser of the standard library, no new
dependency) with *one* small Python function per element start, and nothing
else in Python per element:

* the end-of-element handler is the C method ``list.append`` of a list
  that only counts ends (the nesting depth is ``starts - len(ends)``), and
  the text handler is ``list.append`` too, switched on only while the text
  of a wanted element (``<time>``, ``<ele>``, ``<hr>``...) is being read;
  that text is taken when the next element starts (or at the end);
* the element's parent is known from a preallocated stack indexed by depth,
  so structure is checked exactly (a ``<time>`` directly under a
  ``<trkpt>``, a ``<DistanceMeters>`` of a ``<Lap>`` or of a
  ``<Trackpoint>``) without an end handler in Python;
* values are kept as text and converted in bulk with NumPy every
  :data:`CHUNK_POINTS` points (times through ``datetime64`` when they are
  all plain UTC ISO times, one ``fromisoformat`` each otherwise), so memory
  stays bounded by the chunk whatever the file's length (16,384 points cost
  about 20 MB of text; 65,536 cost 70 MB and were no faster).

The limit of that scanner: a TCX trackpoint has 9 to 13 elements, and one
Python call per element start already costs about what ElementTree's C tree
builder spends on the whole element (the no-op rows above), so it reads TCX
at roughly ElementTree's speed, not faster. It stays as the general path:
the fallback for anything unusual and the oracle of the fast path in the
tests (``read_tcx(data, fast=False)``, ``read_gpx(data, fast=False)``).

The fast path
-------------
The points are most of a file, and they come in a few regular shapes. So the
content of each ``<Track>`` (TCX) or ``<trkseg>`` (GPX), a *region*, is read
by a compiled ``re`` pattern of one strict point with capture groups, and
the parser's handlers are switched off while expat parses that region:

* safety is unchanged: :func:`runload.importers.check_xml` first, then the
  document goes through the same expat parser (same DTD and entity
  refusals, same error and line), in :data:`FEED_BYTES` slices, so
  well-formedness and bound prefixes are proved at C speed; except a region
  whose every point the literal common shape took: that shape is balanced by
  construction, so once the region's bytes are printable ASCII without ``&``
  or ``]`` (in a document whose encoding agrees with ASCII) and its prefixes
  are bound, it is well-formed, and the parser gets only its line breaks
  (:func:`proven`; anything else is parsed as before);
* regions are found from their name (:func:`regions`) only when no comment,
  CDATA section or processing instruction holds that name
  (:func:`fast_eligible`), so every match is a real tag;
* each point pattern ends in a catch-all alternative: any ``<`` or text in
  the region that does not start a strict point is reported, and the whole
  document is then read by the general scanner (:class:`Fallback`); so are
  entity and character references in values (captures are ``[^<&]``),
  numbers the pattern does not know (``nan``, ``1_0``), repeated values
  that the general scanner would take differently, non-ASCII times, any
  text after a region that the general scanner's capture would append to a
  point's last value, a point outside every region, and any parser error
  (the general scanner then reports it, exactly as before);
* the scanner sees the rest of the document (laps, ids, creator, names),
  which is small, and meets each region where its points would be: it hands
  the converted columns on in chunks cut exactly where it cuts its own
  (:class:`Chunker`; sums over a chunk depend on its bounds in their last
  bits), so the results are identical, including the out-of-order re-read;
  a region whose points could pass the nesting limit is left to it too;
* a region is matched in :data:`SLICE_BYTES` slices cut where a point
  starts, and converted with NumPy, so the reader adds a few MB to the
  file's own bytes (2-million-point GPX import: 252 MB peak, 257 MB before;
  200 MB TCX: 252 MB, 272 MB before);
* patterns are tried from the most literal: the common shape under the
  file's own prefix, then any strict shape under that prefix, then under
  any prefix (a literal prefix halves the matching time).

Measured on the same generated runs (2,701 points; best of 9 in one process):

=========================================  =========  =========
pass                                         GPX [ms]   TCX [ms]
=========================================  =========  =========
``xml.etree.ElementTree.fromstring``           11.1       17.4
expat, no handlers                              3.0        4.1
finding the regions                             0.3        0.4
matching the points (``findall``)               4.6        4.6
general scanner, whole read                    19.2       26.7
fast path, whole read                          10.9       11.2
=========================================  =========  =========

For the TCX points: the common shape takes 3.7 ms, any strict shape under
the file's prefix 4.6 ms, under any prefix 7.2 ms.

Then (generated 10 km runs, one point a second; best of 45 in one process):
skipping the parser in proven regions, converting numbers with ``float`` and
plain times from their digits, a chunk at a time, took the whole read from
9.5 to 5.5 ms (GPX, 665 KB) and from 10.8 to 6.3 ms (TCX, 1 MB), where
``xml.etree.ElementTree.fromstring`` takes 8.1 and 10.4-13 ms; the 2,000-file
mixed import (``--jobs 1``) from 5.3 to 4.1 s.

Safety (unchanged rules): :func:`runload.importers.check_xml` refuses DTDs,
entity declarations and any token over 4 MB before the parser runs; the
parser itself also refuses a DOCTYPE, entity declarations and external
entities (``SetParamEntityParsing(NEVER)``), and elements nested deeper than
:data:`runload.importers.MAX_XML_DEPTH`. The bytes are fed in
:data:`FEED_BYTES` slices of a ``memoryview`` (expat copies what it is fed
into its own buffer, so a single call on a 200 MB file would double it).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import itertools
import re
from xml.parsers import expat

import numpy as np

from runload.errors import ImportFormatError

#: Points converted to arrays at once [points] (bounds the text held in lists).
CHUNK_POINTS = 16_384
#: Bytes handed to expat per call.
FEED_BYTES = 1024 * 1024
#: Separator between namespace URI and local name in the names expat reports.
NS_SEP = "\x1f"

_DTD_REASON = "XML with a DTD or entities is refused"


class TooDeep(Exception):
    """Raised from a start handler when nesting exceeds the limit."""


def _refuse_dtd(*_args):
    raise ImportFormatError(_DTD_REASON)


def make_parser():
    """A namespace-aware expat parser that refuses DTDs and entities."""
    parser = expat.ParserCreate(namespace_separator=NS_SEP)
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.UnparsedEntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd
    parser.buffer_text = True
    parser.buffer_size = 64 * 1024
    return parser


def run(parser, data: bytes) -> None:
    """Feed ``data`` to ``parser`` in slices; translate parser errors to one-line reasons."""
    view = memoryview(data)
    with one_line_errors(view):
        for offset in range(0, len(view), FEED_BYTES):
            parser.Parse(view[offset : offset + FEED_BYTES], False)
        parser.Parse(b"", True)


@contextlib.contextmanager
def one_line_errors(view: memoryview):
    """Parser errors as one-line :class:`ImportFormatError` reasons; ``view`` (of the fed bytes) released."""
    from .base import MAX_XML_DEPTH

    try:
        yield
    except expat.ExpatError as exc:
        raise ImportFormatError(expat_reason(exc)) from None
    except TooDeep:
        raise ImportFormatError(f"XML nested more than {MAX_XML_DEPTH} levels deep: not an activity file") from None
    finally:
        view.release()


def expat_reason(exc: expat.ExpatError) -> str:
    """``"not well-formed XML at line 4653: unbound prefix"``."""
    return f"not well-formed XML at line {exc.lineno}: {expat.ErrorString(exc.code)}"


def local_codes(codes: dict[str, int]):
    """A ``name -> code`` lookup for expat names (``uri<sep>local`` or ``local``), cached per name."""
    cache: dict[str, int] = {}

    def lookup(name: str) -> int:
        code = codes.get(name.rpartition(NS_SEP)[2], 0)
        if len(cache) < 4096:  # a file with millions of distinct names must not grow the cache
            cache[name] = code
        return code

    return cache, lookup


# ------------------------------------------------------------------ bulk conversion

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_ONE_US = _dt.timedelta(microseconds=1)
_PLAIN_UTC = re.compile(r"(?:[1-9]\d{3}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z\n)*")


def parse_time(text: str | None) -> _dt.datetime | None:
    """ISO-8601 -> aware UTC datetime; naive times are taken as UTC (TCX/GPX times are UTC)."""
    if not text:
        return None
    text = text.strip()
    try:
        value = _dt.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=_dt.timezone.utc)
    return value.astimezone(_dt.timezone.utc)


def unix_us(texts: list) -> np.ndarray:
    """Unix microseconds (float64, exact integers until 2255) of ISO-8601 texts; None or unreadable -> NaN.

    The same instants as :func:`parse_time`; microseconds keep the differences
    between times exact, as gpxpy's ``timedelta`` arithmetic does.
    """
    if not texts:
        return np.empty(0)
    if None not in texts:
        joined = "\n".join(texts) + "\n"
        if _PLAIN_UTC.fullmatch(joined):
            try:
                micro = np.array(joined.replace("Z\n", "\n").split("\n")[:-1], dtype="datetime64[us]")
            except ValueError:  # e.g. 2023-02-30: fall back to one parse each
                pass
            else:
                return micro.astype(np.int64).astype(float)
    out = np.empty(len(texts))
    for i, text in enumerate(texts):
        value = parse_time(text)
        out[i] = (value - _EPOCH) // _ONE_US if value is not None else np.nan
    return out


def floats(texts: list) -> np.ndarray:
    """Finite floats of texts; None, unreadable and non-finite -> NaN."""
    if not texts:
        return np.empty(0)
    try:
        values = np.array(texts, dtype=float)
    except (ValueError, TypeError):
        values = np.empty(len(texts))
        for i, text in enumerate(texts):
            try:
                values[i] = float(text) if text is not None else np.nan
            except (ValueError, TypeError):
                values[i] = np.nan
    values[~np.isfinite(values)] = np.nan
    return values


#: Whole bpm values above this go to a dict instead of the array (a 1e9 bpm must not allocate).
_MAX_BIN_BPM = 400


class HeartRate:
    """Running heart-rate totals: mean of recorded values, max, seconds at each whole bpm.

    Each value is weighted by the time to the next timed sample of the same
    series (a segment or an activity), at most ``max_gap_s``; zero or missing
    values are not heart rates.
    """

    def __init__(self, max_gap_s: float):
        self.max_gap_s = max_gap_s
        self.total = 0.0
        self.count = 0
        self.max = None
        self.seconds = np.zeros(0)
        self.extra: dict[int, float] = {}

    def add(self, t: np.ndarray, hr: np.ndarray, next_t: np.ndarray) -> None:
        """``t``/``hr`` of samples, ``next_t`` the time of each one's successor (NaN for none) [µs]."""
        ok = ~np.isnan(hr) & (hr != 0)
        if not ok.any():
            return
        values = hr[ok].astype(float)
        self.total += float(values.sum())
        self.count += int(values.size)
        top = float(values.max())
        self.max = top if self.max is None or top > self.max else self.max
        with np.errstate(invalid="ignore"):
            gap = (next_t[ok] - t[ok]) / 1e6
            use = gap > 0
        if not use.any():
            return
        bpm = np.rint(values[use])
        weight = np.minimum(gap[use], self.max_gap_s)
        odd = (bpm < 0) | (bpm > _MAX_BIN_BPM)
        if odd.any():  # nonsense values: kept exactly, outside the array
            for b, w in zip(bpm[odd].tolist(), weight[odd].tolist()):
                self.extra[int(b)] = self.extra.get(int(b), 0.0) + w
            bpm, weight = bpm[~odd], weight[~odd]
        counts = np.bincount(bpm.astype(np.int64), weights=weight)
        if counts.size > self.seconds.size:
            counts[: self.seconds.size] += self.seconds
            self.seconds = counts
        else:
            self.seconds[: counts.size] += counts

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

    def histogram(self) -> dict[int, float] | None:
        nonzero = np.nonzero(self.seconds)[0]
        hist = {int(b): float(self.seconds[b]) for b in nonzero}
        for b, w in self.extra.items():
            hist[b] = hist.get(b, 0.0) + w
        return hist or None


# ------------------------------------------------------------------ the fast path: regions of strict points
#
# See "The fast path" in this module's docstring for the design and its numbers.

#: Bytes of a region matched by one ``findall`` [bytes] (bounds the rows held at once: about
#: 10,000 points; 2 MB slices cost the 2-million-point GPX import 13 MB more peak, no less time).
SLICE_BYTES = 1024 * 1024
#: An optional namespace prefix of a tag (the readers match local names, whatever the prefix).
PREFIX = rb"(?:[A-Za-z_][\w.\-]*+:)?"
#: Attributes of a tag whose attributes are not read.
ATTRS = rb"""(?:\s++[A-Za-z_][\w.\-:]*+\s*+=\s*+(?:"[^"<]*+"|'[^'<]*+'))*+\s*+"""
#: A number as both ``float`` and NumPy read it alike (whitespace around it is stripped by the pattern).
NUM = rb"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
#: The last alternative of a point pattern: a ``<`` or other text that does not start a strict point,
#: up to the next ``<`` (one row per odd tag, not one per byte).
NOT_STRICT = rb"|(<[^<]*+|[^\s<][^<]*+)"


class Fallback(Exception):
    """The fast path does not apply to this document: it is read by the general scanner."""


def other_name(reserved: list[str]) -> bytes:
    """A local name that is none of ``reserved`` (names whose place in a point changes a result)."""
    return rb"(?!(?:" + "|".join(reserved).encode() + rb")[\s/>])[A-Za-z_][\w.\-]*+"


def leaf(name: bytes) -> bytes:
    """An element named ``name`` (a pattern) with only text inside, or empty; its text is not read."""
    return rb"<" + PREFIX + name + ATTRS + rb"(?:/>|>[^<]*+</[^<>]*+>)"


def fast_eligible(data: bytes, name: bytes) -> bool:
    """True when every ``name`` in ``data`` that looks like a tag is one: no comment, CDATA section or
    processing instruction holds ``name`` (attribute values cannot hold ``<``).

    A few markup spans (a creator's comment, a CDATA name) keep the fast path: the
    points' regions never start or end inside them, and one inside a region is
    not a strict point. More than 1,000 of them: the general path.
    """
    from .base import find_markup

    for opener, closer in ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>")):
        start = find_markup(data, opener)
        for _ in range(1000):
            if start == -1:
                break
            end = data.find(closer, start + len(opener))
            if end == -1 or data.find(name, start, end) != -1:
                return False
            start = find_markup(data, opener, end + len(closer))
        else:
            return False
    return True


def regions(data: bytes, name: bytes):
    """``(begin, end)`` byte spans of the content of every ``<name>`` element (any prefix, not empty ones),
    one at a time (a file of a million empty tracks must not become a list of a million spans).

    Found from the name itself (a literal the ``re`` module searches fast), then
    checked backwards for ``<``/``</`` and a prefix: a pattern that starts with
    ``<`` tries every tag of the file (2 ms per MB against 0.2).
    """
    candidate = re.compile(re.escape(name) + rb"(?=[\s/>])")
    opener = re.compile(rb"<" + PREFIX + name + ATTRS + rb">")
    closer = re.compile(rb"</" + PREFIX + name + rb"\s*+>")
    begin = None
    pos = 0
    while True:
        m = candidate.search(data, pos)
        if m is None:
            if begin is not None:
                raise Fallback  # truncated: the general scanner reports it
            return
        pos = m.end()
        lt = data.rfind(b"<", max(0, m.start() - 256), m.start())
        if lt == -1:
            continue
        if begin is None:
            tag = opener.match(data, lt)
            if tag is not None and tag.end() > m.start():
                begin = tag.end()
                pos = begin
        else:
            tag = closer.match(data, lt)
            if tag is not None and tag.end() > m.start():
                yield begin, lt
                begin = None
                pos = tag.end()


def point_rows(patterns_for, point_start, ext_names: tuple, data: bytes, begin: int, end: int, proof: dict):
    """Columns (tuples of captures) of the strict points in ``data[begin:end]``, a few MB at a time.

    ``patterns_for(prefix, *ext)`` are point patterns (the same groups) with the
    reader's own elements under that literal prefix (``b""`` for none), or
    under any prefix for None, tried in turn: the first is the common shape
    only (its extension elements ``ext_names`` under the literal prefixes
    ``ext`` the first points use), the next any strict shape. A literal prefix halves the matching time,
    and a file uses one prefix for them (``point_start`` finds it, group 1).
    Slices are cut where a point starts (inside a strict region every such
    start is a tag). Raises :class:`Fallback` when anything in the region is
    not a strict point (the pattern's last group caught it).

    ``proof`` gets ``ok``: True when every point of the region was taken by a
    common shape (well-formed by construction, see :func:`proven`), and
    ``prefixes``: the namespace prefixes those shapes used.
    """
    proof["ok"] = True
    proof["prefixes"] = used = set()
    proof.setdefault("maybe", ())
    while begin < end:
        cut = end
        if end - begin > SLICE_BYTES:
            m = point_start.search(data, begin + SLICE_BYTES, end)
            if m is not None:
                cut = m.start()
        first = point_start.search(data, begin, cut)
        if first is not None:
            # the extension's prefix from the first few points (a whole slice without one costs a full scan)
            near = min(cut, first.start() + 8192)
            key = (first.group(1), *(ext_prefix(data, name, first.start(), near) for name in ext_names))
            patterns = list(patterns_for(*key))
        else:
            key, patterns = (), []
        common = patterns[0] if patterns else None
        patterns.append(patterns_for(None)[-1])
        if first is not None:
            # from the first pattern that takes the first point; the later ones are compiled only if tried
            while patterns and not _strict_at(patterns[0], data, first.start()):
                del patterns[0]
            if not patterns:
                raise Fallback  # most such files have no strict point at all: no need to look at the rest
        while True:
            columns = _columns(patterns[0], data, begin, cut)
            if not columns or not any(columns[-1]):
                break
            patterns = _patterns_after(patterns, columns[-1], point_start, data, begin, cut)
        begin = cut
        if columns:
            if patterns[0] is common:
                used.update(key)
            else:
                proof["ok"] = False
            yield columns


def ext_prefix(data: bytes, name: bytes, begin: int, end: int) -> bytes:
    """The namespace prefix (``b"ns3:"``, or ``b""``) of the first ``name`` element in ``data[begin:end]``.

    Found from the name (a literal search), then checked backwards for ``<``.
    """
    at = data.find(name, begin, end)
    lt = data.rfind(b"<", max(begin, at - 256), at) if at != -1 else -1
    if lt != -1:
        m = _EXT_TAG.match(data, lt, at)
        if m is not None and m.end() == at:
            return m.group(1)
    return b""


_EXT_TAG = re.compile(rb"<(" + PREFIX + rb")")


def _patterns_after(patterns: list, not_strict: tuple, point_start, data: bytes, begin: int, end: int) -> list:
    """The patterns after ``patterns[0]`` that take the first point it did not take; :class:`Fallback` for none.

    The rows before the first one it did not take are whole points, one per
    point start: so that point is the k-th point start, and only it is tried
    (a file whose last point is odd must not be matched three times over).
    Anything else it did not take lies between points, where no pattern takes
    anything.
    """
    k = next(n for n, text in enumerate(not_strict) if text)
    for n, m in enumerate(point_start.finditer(data, begin, end)):
        if n == k:
            if not data.startswith(not_strict[k], m.start()):
                break  # the odd text is not this point: it lies between points
            later = [p for p in patterns[1:] if _strict_at(p, data, m.start())]
            if later:
                return later
            break
    raise Fallback


class Lazy:
    """A ``re`` pattern compiled when first used: a strict point pattern takes 9-14 ms to compile,
    and a run of files in the common shape never uses one (40 ms less per process)."""

    def __init__(self, make):
        self._make = make
        self._pattern = None

    def __getattr__(self, name: str):
        if self._pattern is None:
            self._pattern = self._make()
        return getattr(self._pattern, name)


def _strict_at(pattern, data: bytes, pos: int) -> bool:
    m = pattern.match(data, pos)
    return m is not None and m.lastindex != pattern.groups


def _columns(pattern, data: bytes, begin: int, end: int) -> list:
    rows = pattern.findall(data, begin, end)
    return list(zip(*rows)) if rows else []


def run_regions(parser, data: bytes, spans, on_region, after_region) -> None:
    """Feed ``data`` to ``parser`` with its handlers on outside ``spans`` and off inside them.

    ``on_region(begin, end)`` runs once the parser has seen the region's opening
    tag, ``after_region()`` once its content has been parsed (the handlers are
    back, and the text that follows up to the next tag is being collected: the
    caller marks its capture as running, so that its start handler ends it).
    That text must be blank: the general scanner would have added it to the
    last point's last value (:class:`Fallback` otherwise). The whole document
    still goes through the parser, so well-formedness is proved at C speed
    exactly as by :func:`run`, except for a region that ``on_region`` proves
    well-formed by construction (it returns :func:`point_rows`' ``proof``, with
    ``maybe``: prefixes the common shape may use; see :func:`proven`): the parser gets only that region's newlines,
    so that the lines of later errors stay the same.
    """
    view = memoryview(data)
    handlers = parser.StartElementHandler, parser.EndElementHandler
    tail: list[str] = []
    bound: dict = {}  # prefix -> number of open elements that declare it
    ascii_doc = ascii_compatible(data)

    def declared(prefix, _uri):
        bound[prefix] = bound.get(prefix, 0) + 1

    def undeclared(prefix):
        bound[prefix] -= 1

    with one_line_errors(view):
        pos = 0
        for begin, end in spans:
            parser.StartNamespaceDeclHandler, parser.EndNamespaceDeclHandler = declared, undeclared
            _feed(parser, view, pos, begin)
            _check_tail(tail)
            proof = on_region(begin, end)
            parser.StartElementHandler = parser.EndElementHandler = parser.CharacterDataHandler = None
            # a region's own declarations open and close inside it: the counts stay right without them
            parser.StartNamespaceDeclHandler = parser.EndNamespaceDeclHandler = None
            if ascii_doc and proof and proof["ok"] and proven(data, begin, end, proof["prefixes"], bound, proof["maybe"]):
                _feed_newlines(parser, line_breaks(data, begin, end))
            else:
                _feed(parser, view, begin, end)
            parser.StartElementHandler, parser.EndElementHandler = handlers
            parser.CharacterDataHandler = tail.append
            after_region()
            pos = end
        parser.StartNamespaceDeclHandler = parser.EndNamespaceDeclHandler = None
        _feed(parser, view, pos, len(view))
        parser.Parse(b"", True)
        _check_tail(tail)


#: The bytes a region proven well-formed by construction may hold: printable ASCII and XML whitespace,
#: but not ``&`` (a reference) nor ``]`` (so no ``]]>`` in text). ``\f`` and ``\v``, which the patterns'
#: ``\s`` takes, are not XML whitespace: they are not here. Checked by deleting them with
#: ``bytes.translate`` 1 MB at a time: 0.03 ms per 100 KB, against 0.2 ms for a ``re`` character
#: class search (and 0.5 ms for expat's parse).
_PROVEN_BYTES = bytes(b for b in range(256) if b in b"\t\n\r" or (0x20 <= b <= 0x7E and b not in b"&]"))
_ENCODING = re.compile(rb"<\?xml[^>]*?\sencoding\s*=\s*[\"']([A-Za-z0-9._\-]*)[\"']")
_ASCII_ENCODINGS = {b"utf-8", b"utf8", b"us-ascii", b"ascii", b"iso-8859-1", b"latin-1", b"latin1"}


def ascii_compatible(data: bytes) -> bool:
    """True when the document's bytes below 0x80 are ASCII to the parser: UTF-8 (the only BOM a
    document keeps after :func:`runload.importers.base.check_xml`), or a declared encoding that
    agrees with ASCII. Anything else (an EBCDIC code page, say) is parsed in full."""
    head = data[3:259] if data.startswith(b"\xef\xbb\xbf") else data[:256]
    if not head.startswith(b"<"):
        return False
    if not head.startswith(b"<?xml"):
        return True
    decl = head[: head.find(b"?>") + 1 or len(head)]
    if b"encoding" not in decl:
        return True
    m = _ENCODING.match(decl)
    return m is not None and m.group(1).lower() in _ASCII_ENCODINGS


def proven(data: bytes, begin: int, end: int, prefixes, bound: dict, maybe=()) -> bool:
    """True when ``data[begin:end]``, all of whose points a common shape took, is well-formed without
    the parser looking at it.

    A common shape is balanced by construction: every tag is a literal name
    under a literal prefix, each end tag the literal of its start tag,
    attributes literal (no duplicates), text ``[^<]`` or a number; between
    points there is only whitespace (anything else is a row of the pattern's
    last group). What the patterns do not prove, this checks: the bytes (one
    C-speed pass over :data:`_PROVEN_BYTES`), and that every prefix the points
    used is bound where the region starts (the parser reported its declaration
    and it is still open; declarations never end inside an element's content).
    """
    for prefix in prefixes:
        if prefix and bound.get(prefix[:-1].decode("ascii"), 0) <= 0:
            return False
    for prefix in maybe:  # prefixes a common shape may use (in a literal attribute), looked for only if unbound
        if bound.get(prefix[:-1].decode("ascii"), 0) <= 0 and data.find(prefix, begin, end) != -1:
            return False
    for offset in range(begin, end, FEED_BYTES):
        if data[offset : min(offset + FEED_BYTES, end)].translate(None, _PROVEN_BYTES):
            return False
    return True


def line_breaks(data: bytes, begin: int, end: int) -> int:
    """Line breaks in ``data[begin:end]`` as the parser counts them: ``\n``, ``\r\n`` and a lone ``\r``.

    A region starts after a ``>`` and ends at a ``<``, so no ``\r\n`` straddles its bounds.
    """
    lines = data.count(b"\n", begin, end)
    if data.find(b"\r", begin, end) != -1:
        lines += data.count(b"\r", begin, end) - data.count(b"\r\n", begin, end)
    return lines


_NEWLINES = b"\n" * FEED_BYTES


def _feed_newlines(parser, count: int) -> None:
    while count > 0:
        parser.Parse(_NEWLINES[: min(count, FEED_BYTES)], False)
        count -= FEED_BYTES


def _check_tail(tail: list[str]) -> None:
    if any(text.strip() for text in tail):
        raise Fallback
    tail.clear()


def _feed(parser, view: memoryview, begin: int, end: int) -> None:
    for offset in range(begin, end, FEED_BYTES):
        parser.Parse(view[offset : min(offset + FEED_BYTES, end)], False)


def num_column(captures) -> np.ndarray:
    """Floats of captures that are :data:`NUM` or empty (-> NaN); non-finite -> NaN, as :func:`floats`.

    ``float`` of each capture, straight into an array: 123 µs for 3,000 values against 255 µs for
    ``np.array(captures, dtype=bytes).astype(float)`` (both round correctly: the same floats).
    """
    n = len(captures)
    if not any(captures):
        return np.full(n, np.nan)
    try:
        values = np.fromiter(map(float, captures), float, n)
    except ValueError:  # some are empty
        values = np.full(n, np.nan)
        texts = np.array(captures, dtype=bytes)
        have = texts != b""
        values[have] = texts[have].astype(float)
    if not np.isfinite(values).all():
        values[~np.isfinite(values)] = np.nan
    return values


def time_texts(captures) -> list[str]:
    """The captured texts of times as ``str`` (the general scanner's texts, before stripping)."""
    try:
        return b"<".join(captures).decode("ascii").split("<")
    except UnicodeDecodeError:
        raise Fallback from None


def times_us(captures) -> np.ndarray:
    """:func:`unix_us` of captured times (bytes): the same values, computed from the digits when every
    time is plain UTC of one length (``2021-05-24T10:00:05Z``, ``...05.000Z``), else through
    :func:`time_texts` (:class:`Fallback` for non-ASCII).

    On 3,000 times: 130 µs, against 810 µs decoding, checking and parsing them as text.
    """
    n = len(captures)
    size = len(captures[0]) if n else 0
    shape = _time_shape(size) if 20 <= size <= 27 else None
    if shape is not None:
        # one row of size + 1 bytes per time, each ending in "<" (which no capture holds): every
        # other byte of a row is checked to be a digit or a separator, so the rows are the times
        joined = b"<".join(captures) + b"<"
        if len(joined) == n * (size + 1):
            chars = np.frombuffer(joined, np.uint8).reshape(n, size + 1)
            if (chars[:, size] == 60).all():
                us = _plain_utc_us(chars, *shape)
                if us is not None:
                    return us
    return unix_us(time_texts(captures))


@functools.lru_cache(maxsize=8)
def _time_shape(size: int):
    """Positions of the digits, and positions and bytes of the separators, of a plain UTC time
    of ``size`` bytes; None for a size no plain time has."""
    if size != 20 and size < 22:
        return None
    digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18] + list(range(20, size - 1))
    seps = {4: b"-", 7: b"-", 10: b"T", 13: b":", 16: b":", size - 1: b"Z"}
    if size > 20:
        seps[19] = b"."
    return (np.array(digits), np.array(list(seps)), np.frombuffer(b"".join(seps.values()), np.uint8))


def _plain_utc_us(chars: np.ndarray, digits, sep_at, sep_bytes) -> np.ndarray | None:
    """Unix µs of rows of time characters of one shape; None when any row is not a plain, valid time
    in the range :func:`unix_us` reads alike (years 1000-9999, seconds up to 59).

    A region's points are mostly of one day: its date is then checked and counted once, in Python
    (a region of 250 points: 25 µs, against 50 µs for every row's date in NumPy).
    """
    if not (chars[:, sep_at] == sep_bytes).all():
        return None
    d = chars[:, digits] - np.uint8(48)
    if d.max() > 9:
        return None
    d = d.astype(np.int64)
    pairs = d[:, 0:14:2] * 10 + d[:, 1:14:2]  # century, year, month, day, hour, minute, second
    if not (pairs[:, 4:] <= _HMS_MAX).all():
        return None
    if (chars[:, :10] == chars[0, :10]).all():
        century, year, month, day = pairs[0, :4].tolist()
        if century < 10:
            return None
        try:
            days = _dt.date(century * 100 + year, month, day).toordinal() - _EPOCH_ORDINAL
        except ValueError:
            return None
    else:
        days = _days_since_epoch(pairs)
        if days is None:
            return None
    us = (days * 86_400 + pairs[:, 4:] @ _HMS_SECONDS) * 1_000_000
    fraction = d[:, 14:]
    if fraction.shape[1]:
        us += fraction @ (10 ** np.arange(5, 5 - fraction.shape[1], -1))
    return us.astype(float)


_HMS_MAX = np.array([23, 59, 59])
_HMS_SECONDS = np.array([3600, 60, 1])
_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()


def _days_since_epoch(pairs: np.ndarray) -> np.ndarray | None:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's ``days_from_civil``);
    None when any date is not valid or before the year 1000."""
    year = pairs[:, 0] * 100 + pairs[:, 1]
    month, day = pairs[:, 2], pairs[:, 3]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _MONTH_DAYS[np.clip(month, 0, 12)] + (leap & (month == 2))
    if not ((year >= 1000) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)).all():
        return None
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def present(captures) -> np.ndarray:
    """True where an optional group that captures one byte matched."""
    return np.array(captures, dtype=bytes) != b""


def pick(*captures) -> tuple:
    """Per row, the first non-empty of several groups for one value (e.g. lat before or after lon)."""
    used = [c for c in captures if any(c)]
    if len(used) <= 1:
        return used[0] if used else captures[0]
    out = np.array(used[0], dtype=bytes)
    for more in used[1:]:
        more = np.array(more, dtype=bytes)
        out = np.where(out != b"", out, more)
    return tuple(out.tolist())


class Chunker:
    """Point columns handed on in chunks of exactly :data:`CHUNK_POINTS` points.

    The general scanner converts its texts when the point after a full chunk
    starts, and the rest when the series closes; sums over a chunk depend on its
    bounds in the last bits, so the fast path cuts exactly there too.
    ``add`` takes the captures of a region (tuples of bytes), ``convert`` turns
    a chunk's captures into arrays (every conversion is point by point, so a chunk
    converted at once gives what its regions converted apart would give: a TCX
    file has a region per lap, and converting 9 regions at once takes a third of
    the time), ``emit(columns, final)`` gets them, or None.
    """

    def __init__(self, emit, convert):
        self.emit = emit
        self.convert = convert
        self.parts: list[tuple] = []
        self.n = 0

    def add(self, columns: tuple) -> None:
        total = len(columns[0])
        start = 0
        while start < total:
            if self.n == CHUNK_POINTS:
                self._emit(False)
            take = min(CHUNK_POINTS - self.n, total - start)
            self.parts.append(columns if take == total else tuple(c[start : start + take] for c in columns))
            self.n += take
            start += take

    def flush(self, final: bool) -> None:
        self._emit(final)

    def _emit(self, final: bool) -> None:
        if not self.parts:
            self.emit(None, final)
            return
        if len(self.parts) == 1:
            joined = self.parts[0]
        else:
            joined = tuple(list(itertools.chain.from_iterable(cols)) for cols in zip(*self.parts))
        self.parts.clear()
        self.n = 0
        self.emit(self.convert(joined), final)
