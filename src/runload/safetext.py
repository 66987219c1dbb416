"""Text that came from a file or a user, made safe to show, store and export.

* :func:`terminal_safe` -- control characters (escape sequences, bells, carriage
  returns, C1 controls) shown as ``\\x1b``-style escapes; newlines and tabs kept
  (for whole reports; use :func:`one_line` for a single value);
* :func:`one_line` -- also newlines and tabs escaped: a file name or a name on one line;
* :func:`safe_label` -- a path as text that SQLite, JSON and a terminal accept: bytes
  that are not UTF-8 (a Latin-1 name from an old USB stick) become ``\\xe9``, control
  characters are escaped as in :func:`one_line`;
* :func:`csv_cell` -- the OWASP rule against CSV formula injection: a text cell that
  starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``
  (a number, also a negative one, stays a number).
"""

from __future__ import annotations

import os
import re

_CONTROL = "".join(chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0)))
_KEEP_LAYOUT = "\n\t"
_TERMINAL = {ord(c): f"\\x{ord(c):02x}" for c in _CONTROL if c not in _KEEP_LAYOUT}
_ONE_LINE = {ord(c): f"\\x{ord(c):02x}" for c in _CONTROL}
_ONE_LINE.update({ord("\n"): "\\n", ord("\t"): "\\t", ord("\r"): "\\r"})

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\Z")


def terminal_safe(text: str) -> str:
    """``text`` with every control character but newline and tab shown escaped (``\\x1b``)."""
    return text.translate(_TERMINAL)


def one_line(text: str) -> str:
    """``text`` with every control character, newline and tab included, shown escaped."""
    return text.translate(_ONE_LINE)


def safe_label(text: str | os.PathLike) -> str:
    """A path or name as printable, valid UTF-8 text (see the module docstring)."""
    text = os.fspath(text)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "backslashreplace")
    else:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # undecodable bytes from the file system (surrogateescape)
            text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            text = text.encode("utf-8", "backslashreplace").decode("utf-8")  # lone surrogates left over
    return one_line(text)


def csv_cell(value):
    """``value`` for a CSV cell: text that a spreadsheet would run as a formula gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value
