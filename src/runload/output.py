"""Render rows as a plain-text table, CSV, JSON or Markdown (one place for all commands).

Text that came from a file or a user is made safe on the way out: table cells and
titles show control characters escaped (no escape sequence reaches the terminal, a
newline cannot split a row), CSV text cells that a spreadsheet would run as a formula
get a leading ``'`` (OWASP), Markdown escapes link and image syntax.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Sequence

from runload.safetext import csv_cell, one_line, terminal_safe

FORMATS = ("table", "csv", "json", "markdown")


@dataclass(frozen=True)
class Column:
    """One output column: ``key`` in the row dicts, ``header`` for humans, ``fmt`` for text cells."""

    key: str
    header: str
    fmt: Callable[[Any], str] = str
    align: str = "right"


def _cell(value: Any, fmt: Callable[[Any], str]) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return one_line(fmt(value))


def _plain(value: Any) -> Any:
    """A JSON/CSV-safe scalar."""
    if value is None:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        return _plain(value.item())
    return value


def json_items(items: Sequence[dict]) -> list[str]:
    """Each item as one indented line of JSON (written by the C encoder: ``indent=``
    would switch json to its much slower pure-Python encoder)."""
    return ["  " + json.dumps(item, ensure_ascii=False) for item in items]


def json_array(lines: Sequence[str]) -> str:
    """A JSON array of :func:`json_items` lines, one object per line: stable for scripts, readable."""
    if not lines:
        return "[]\n"
    return "[\n" + ",\n".join(lines) + "\n]\n"


def plain_rows(rows: Sequence[dict]) -> list[dict]:
    """Rows with JSON-safe values (dates ISO, NaN as None, numpy scalars as Python)."""
    return [{k: _plain(v) for k, v in r.items()} for r in rows]


def render(rows: Sequence[dict], columns: Sequence[Column], fmt: str = "table", *, title: str | None = None) -> str:
    """Render ``rows`` (dicts) in ``fmt`` (table, csv, json, markdown).

    CSV and JSON carry the raw values under the stable ``key`` names (numbers
    unformatted, dates ISO); table and Markdown carry the formatted cells.
    """
    if fmt == "json":
        return json.dumps([{c.key: _plain(r.get(c.key)) for c in columns} for r in rows], indent=2,
                          ensure_ascii=False) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow([c.key for c in columns])
        for r in rows:
            writer.writerow(["" if _plain(r.get(c.key)) is None else csv_cell(_plain(r.get(c.key))) for c in columns])
        return buf.getvalue()
    cells = [[_cell(r.get(c.key), c.fmt) for c in columns] for r in rows]
    headers = [c.header for c in columns]
    if fmt == "markdown":
        out = []
        if title:
            out.append(f"### {md_escape(title)}\n")
        out.append("| " + " | ".join(md_escape(h) for h in headers) + " |")
        out.append("|" + "|".join("---:" if c.align == "right" else ":---" for c in columns) + "|")
        for row in cells:
            out.append("| " + " | ".join(md_escape(v) for v in row) + " |")
        return "\n".join(out) + "\n"
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}")
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]

    def line(values: list[str]) -> str:
        parts = []
        for i, v in enumerate(values):
            parts.append(v.rjust(widths[i]) if columns[i].align == "right" else v.ljust(widths[i]))
        return "  ".join(parts).rstrip()

    out = []
    if title:
        out.append(terminal_safe(title))
    out.append(line(headers))
    out.append(line(["-" * w for w in widths]))
    out.extend(line(row) for row in cells)
    return "\n".join(out) + "\n"


def md_escape(text: str) -> str:
    """Escape text for a Markdown table cell or line: pipes, backticks, HTML-looking text, and link and
    image syntax (``[x](javascript:...)``, ``![](http://...)``: with ``[`` and ``]`` escaped, user text
    never becomes a link or a remote image)."""
    return one_line(
        str(text)
        .replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("`", "\\`")
        .replace("[", "\\[")
        .replace("]", "\\]")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\n", " ")
    )
