"""What every reader and source shares: the limits, :class:`SourceHints` and :class:`Source`, bounded
gunzip and the XML safety checks (no DTDs or entities, token and depth limits). The readers import
this module, never the package, so the package can import the readers without a circle."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from typing import Callable

from runload.errors import ImportFormatError

#: Largest decompressed size accepted from a gzip file or an archive member [bytes].
MAX_DECOMPRESSED_BYTES = 200 * 1024 * 1024
#: How many gzip layers are unwrapped (``x.fit.gz`` = 1, ``x.fit.gz.gz`` = 2).
MAX_GZIP_LAYERS = 2
#: Longest XML token accepted (attribute, text node, comment...) [bytes]. The system
#: expat (2.5.0, no reparse deferral) rescans a token from its start at every chunk
#: it is fed, so a 50 MB attribute took minutes; no activity file has such a token.
MAX_XML_TOKEN_BYTES = 4 * 1024 * 1024
#: Deepest element nesting accepted in XML (GPX/TCX need fewer than 10 levels).
MAX_XML_DEPTH = 1000
#: Bytes handed to the XML parser per call (defusedxml's iterparse feeds 16 KB).
XML_FEED_BYTES = 1024 * 1024

_GZIP_MAGIC = b"\x1f\x8b"
_BLANK = re.compile(rb"\s*\Z")
_UNDECLARED_PREFIX = "sport not declared"


@dataclass(frozen=True)
class SourceHints:
    """What is known about a file from outside it (command line, Strava ``activities.csv``)."""

    sport: str | None = None
    """Sport word (any vocabulary: "Run", "Trail Run", "cycling"); overrides an undeclared sport."""
    name: str | None = None
    """Activity title; fills an empty name."""
    gear: str | None = None
    """Gear (shoe) name; fills an empty gear."""
    tz: str | None = None
    """The athlete's IANA zone, used only when a file has local wall-clock time but no absolute time."""


@dataclass
class Source:
    """One candidate activity file: a path, or a member of a (nested) zip archive."""

    label: str
    """What the user sees: a path, or ``export.zip!activities/123.fit.gz``."""
    size: int
    """Size of the bytes as stored [bytes] (before gzip decompression)."""
    mtime: float | None
    """Modification time [Unix s], when known."""
    read: Callable[[], bytes]
    """Return the raw bytes as stored (possibly gzip). Do not call when ``error`` is set."""
    hints: SourceHints = field(default_factory=SourceHints)
    error: str | None = None
    """Why the source itself is refused (encrypted member, path traversal, zip bomb, symlink...)."""


# --------------------------------------------------------------- decompression


def gunzip_bounded(data: bytes, limit: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """Decompress a gzip stream (all members), refusing more than ``limit`` bytes of output."""
    out = bytearray()
    rest = data
    while rest[:2] == _GZIP_MAGIC:
        decompressor = zlib.decompressobj(wbits=31)
        try:
            chunk = decompressor.decompress(rest, limit + 1 - len(out))
        except zlib.error as exc:
            raise ImportFormatError(f"damaged gzip file ({exc})") from None
        out += chunk
        if len(out) > limit:
            raise ImportFormatError(f"gzip file expands to more than {limit // (1024 * 1024)} MB; refused")
        if not decompressor.eof:
            if decompressor.unconsumed_tail:
                raise ImportFormatError(f"gzip file expands to more than {limit // (1024 * 1024)} MB; refused")
            if not out:
                raise ImportFormatError("truncated gzip file")
            break  # truncated gzip: keep what was decompressed, the decoder will judge it
        rest = decompressor.unused_data
    return bytes(out)


# --------------------------------------------------------------- sniffing

_XML_PROLOG = re.compile(
    rb"\A(?:\s+|<\?xml[^>]*\?>|<!--.*?-->|<\?[^>]*\?>)*",
    re.S,
)
_ROOT = re.compile(rb"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)
_ENCODING_DECL = re.compile(rb"(<\?xml[^>]*?)\sencoding\s*=\s*(['\"])[^'\"]*\2", re.S)


def _normalise_xml(data: bytes) -> bytes:
    """Strip a BOM; re-encode UTF-16/32 XML as UTF-8 (dropping its encoding declaration)."""
    for bom, codec in (
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError as exc:
                raise ImportFormatError(f"XML file with a broken {codec} encoding ({exc.reason})") from None
            return _ENCODING_DECL.sub(rb"\1", text.encode("utf-8"), count=1)
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:]
    return data


def sniff(data: bytes) -> str | None:
    """Return ``"fit"``, ``"gpx"``, ``"tcx"``, ``"xml"`` (other XML) or ``None``."""
    if len(data) >= 12 and data[8:12] == b".FIT":
        return "fit"
    head = data[:65536]
    prolog = _XML_PROLOG.match(head)
    rest = head[prolog.end() :] if prolog else head
    if rest.startswith(b"<!"):
        return "xml"  # DOCTYPE (refused later) or CDATA junk
    m = _ROOT.match(rest)
    if not m:
        return None
    name = m.group(2)
    if name == b"gpx":
        return "gpx"
    if name == b"TrainingCenterDatabase":
        return "tcx"
    return "xml"


def xml_error_reason(exc: Exception) -> str:
    """``"not well-formed XML at line 4653: unbound prefix"`` from an expat ``ParseError``."""
    message = str(exc)
    position = getattr(exc, "position", None)
    what = message.split(":", 1)[0].strip() or "parse error"
    if position:
        return f"not well-formed XML at line {position[0]}: {what}"
    return f"not well-formed XML: {what}"


def refuse_dtd(data: bytes) -> None:
    """Raise ImportFormatError for XML with a DOCTYPE or ENTITY declaration."""
    if b"!" in data and _DTD.search(data):  # no "!" (a memchr) -> no "<!" to look for
        raise ImportFormatError("XML with a DTD or entities is refused")


_DELIMITED = ((b"<!--", b"-->", "comment"), (b"<![CDATA[", b"]]>", "CDATA section"), (b"<?", b"?>", "processing instruction"))


def refuse_huge_tokens(data: bytes, limit: int | None = None) -> None:
    """Raise ImportFormatError when an XML token is longer than ``limit`` bytes.

    Attribute values, tags and text cannot contain ``<``, so any run of more
    than ``limit`` bytes without one is such a token; comments, CDATA sections
    and processing instructions are measured between their delimiters. Costs
    about ``len(data) / limit`` searches (no Python loop over every byte or tag).
    """
    limit = limit or MAX_XML_TOKEN_BYTES
    mb = max(limit // (1024 * 1024), 1)
    n = len(data)
    pos = 0
    while pos + limit < n:
        last = data.rfind(b"<", pos, pos + limit + 1)
        if last == -1:  # data[pos : pos + limit + 1] holds no '<'
            what = "attribute" if data.find(b">", pos, pos + limit + 1) == -1 else "text"
            raise ImportFormatError(f"XML {what} longer than {mb} MB: not an activity file")
        pos = last + 1
    for opener, closer, what in _DELIMITED:
        start = find_markup(data, opener)
        while start != -1:
            body = start + len(opener)
            end = data.find(closer, body, body + limit + len(closer))
            if end == -1:
                if body + limit < n:
                    raise ImportFormatError(f"XML {what} longer than {mb} MB: not an activity file")
                break  # unterminated: the parser reports it
            start = find_markup(data, opener, end + len(closer))


def find_markup(data: bytes, opener: bytes, start: int = 0) -> int:
    """``data.find(opener, start)`` for an opener of ``<`` and a rare byte (``<!--``, ``<?``), found by that byte.

    Measured on a 0.8 MB TCX: ``find(b"<?")`` 0.62 ms, ``find(b"?")`` 0.01 ms (a
    ``memchr``); the bytes search checks every ``<`` of the file. After 64
    occurrences of the rare byte that open nothing, the plain search takes over.
    """
    key = opener[1:2]
    pos = data.find(key, start + 1)
    for _ in range(64):
        if pos == -1:
            return -1
        if data.startswith(opener, pos - 1):
            return pos - 1
        pos = data.find(key, pos + 1)
    return -1 if pos == -1 else data.find(opener, pos - 1)


def _too_deep() -> ImportFormatError:
    return ImportFormatError(f"XML nested more than {MAX_XML_DEPTH} levels deep: not an activity file")


def check_xml(data: bytes) -> None:
    """Checks run on XML before any parser sees it: no DTD or entities, no huge token."""
    refuse_dtd(data)
    refuse_huge_tokens(data)


def iter_xml(data: bytes, events: tuple[str, ...] = ("start", "end")):
    """``defusedxml`` iterparse over bytes, fed in large blocks, refusing deep nesting.

    Yields ``(event, element)`` like ``iterparse`` for the ``start``/``end``
    events asked for. DTDs and entities are forbidden (defusedxml raises
    ``ValueError`` subclasses); malformed XML raises ``ParseError``; nesting
    deeper than :data:`MAX_XML_DEPTH` raises :class:`ImportFormatError`. Call
    :func:`check_xml` first: it bounds the tokens, so that big blocks are cheap.
    """
    from xml.etree.ElementTree import TreeBuilder, XMLPullParser

    from defusedxml.ElementTree import DefusedXMLParser

    parser = XMLPullParser(("start", "end"), _parser=DefusedXMLParser(target=TreeBuilder(), forbid_dtd=True))
    wanted = set(events)
    depth = 0
    size = len(data)
    offset = 0
    while True:
        last = offset >= size
        if last:
            parser.close()
        else:
            parser.feed(data[offset : offset + XML_FEED_BYTES])
            offset += XML_FEED_BYTES
        for event, element in parser.read_events():
            if event == "start":
                depth += 1
                if depth > MAX_XML_DEPTH:
                    raise _too_deep()
            else:
                depth -= 1
            if event in wanted:
                yield event, element
        if last:
            return


def _check_other_xml(data: bytes) -> None:
    """Explain why XML that is neither GPX nor TCX was refused (malformed, or another XML)."""
    check_xml(data)
    from defusedxml import ElementTree as SafeET

    try:
        root = None
        for event, element in iter_xml(data):
            if event == "start":
                if root is None:
                    root = element
            else:
                element.clear()
    except SafeET.ParseError as exc:
        raise ImportFormatError(xml_error_reason(exc)) from None
    except ValueError:
        raise ImportFormatError("XML with a DTD or entities is refused") from None
    tag = root.tag.rsplit("}", 1)[-1] if root is not None else "?"
    raise ImportFormatError(f"not a FIT, GPX or TCX file (XML with root <{tag}>)")


# --------------------------------------------------------------- reading
