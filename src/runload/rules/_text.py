"""Small formatting helpers shared by the rule messages (no thresholds here)."""

from __future__ import annotations

from datetime import date
from typing import Callable

from runload.findings import DISCLAIMER
from runload.units import fmt_distance, m_to


def dist(distance_m: float, units: str) -> str:
    """``"12.3 km"`` in the configured unit."""
    return fmt_distance(float(distance_m), units, 1)


def dist_pair(a_m: float, b_m: float, units: str, agrees: Callable[[int, int], bool],
              digits: int = 1, max_digits: int = 6) -> tuple[str, str]:
    """Two distances (``"8.66 mi"``, ``"4.33 mi"``) with the same, fewest decimals (``digits`` or
    more) for which the numbers as shown agree with the band the message states, so a runner
    redoing the arithmetic from the message lands in that band.

    ``agrees(a, b)`` gets the shown numbers as integers in units of their last decimal
    (``8.66`` and ``4.33`` -> 866 and 433): the same scale for both, so any ratio test works.
    """
    va, vb = m_to(float(a_m), units), m_to(float(b_m), units)
    for d in range(digits, max_digits + 1):
        ta, tb = f"{va:.{d}f}", f"{vb:.{d}f}"
        if agrees(int(ta.replace(".", "")), int(tb.replace(".", ""))):
            break
    return f"{ta} {units}", f"{tb} {units}"


def num_above(value: float, threshold: float, above: bool, digits: int = 2) -> str:
    """``value`` with ``digits`` decimals, or more when it is ``above`` the threshold but
    would print as equal to it (1.30004 against 1.3 prints ``"1.30004"``, not ``"1.30"``).
    """
    text = f"{value:.{digits}f}"
    if not above:
        return text
    for d in range(digits, digits + 7):
        text = f"{value:.{d}f}"
        if float(text) > threshold:
            return text
    return text


def num_below(value: float, limit: float, text: str) -> str:
    """``text`` (``value`` shown with some decimals), with more decimals when ``value`` is
    below ``limit`` but ``text`` would print at or above it."""
    if value >= limit or float(text) < limit:
        return text
    digits = len(text.split(".")[1]) if "." in text else 0
    for d in range(digits + 1, digits + 8):
        text = f"{value:.{d}f}"
        if float(text) < limit:
            return text
    return text


def pct_above(ratio: float, threshold_ratio: float, above: bool, digits: int = 1) -> str:
    """A ratio (0.1364) as a percentage (``"13.6%"``), visibly above the threshold when ``above``."""
    return num_above(ratio * 100.0, threshold_ratio * 100.0, above, digits) + "%"


def threshold_text(x: float) -> str:
    """``0.1`` -> ``"10%"``; ``1.3`` -> ``"1.3"`` (shortest exact text)."""
    return f"{x:g}"


def day(d: date) -> str:
    return d.isoformat()


def message(*sentences: str) -> str:
    """Join sentences and append the disclaimer."""
    parts = []
    for s in sentences:
        s = s.strip()
        if not s:
            continue
        if not s.endswith(_ENDS):
            s += "."
        parts.append(s)
    # = with_disclaimer(" ".join(parts)): every part is stripped and already ends a sentence
    return f"{' '.join(parts)} {DISCLAIMER}" if parts else DISCLAIMER


_ENDS = (".", "!", "?")
