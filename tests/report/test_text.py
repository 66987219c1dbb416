"""findings_text / findings_markdown (used by ``check``) and the HTML escaping helpers."""

from __future__ import annotations

from datetime import date

from runload.findings import DISCLAIMER, Finding, Severity
from runload.report.text import findings_markdown, findings_text

XSS = "<script>alert(1)</script>"


def _f(rule, sev, day, value, threshold, unit="ratio", msg="A message."):
    return Finding(rule=rule, severity=sev, athlete="a", date=day, period="p", value=value, threshold=threshold,
                   window="w", method="m", message=f"{msg} {DISCLAIMER}", source="s", unit=unit)


FINDINGS = [
    _f("acwr", Severity.INFO, date(2024, 1, 3), 1.42, 1.3),
    _f("weekly_increase", Severity.WARNING, date(2024, 1, 1), 0.1364, 0.1),
    _f("weekly_increase", Severity.WARNING, date(2024, 1, 15), 0.25, 0.1),
    _f("run_spike", Severity.ALERT, date(2024, 1, 10), 150.0, 100.0, unit="%"),
    _f("shoe_wear", Severity.INFO, date(2024, 1, 9), 500_000.0, 482_803.0, unit="m", msg=f"Shoe {XSS}."),
]


def test_text_grouped_by_severity_newest_first_with_numbers():
    text = findings_text(FINDINGS)
    lines = text.splitlines()
    heads = [ln for ln in lines if ln.endswith("):") and not ln.startswith("-")]
    assert heads == ["Alerts (1):", "Warnings (2):", "Information (2):"]
    assert text.index("2024-01-15 weekly_increase") < text.index("2024-01-01 weekly_increase")
    assert "+25.0% (allowance +10%)" in text and "+13.6% (allowance +10%)" in text
    assert "+150.0% (threshold 100%)" in text
    assert "500.0 km (mark 482.8 km)" in text
    assert "1.42 (threshold 1.3)" in text
    assert text.count(DISCLAIMER.split(";")[0].lower()) <= 1  # disclaimer once, not per finding
    assert all(len(ln) < 78 for ln in lines)
    assert "\x1b" not in text


def test_text_units_and_empty():
    assert "310.7 mi" in findings_text(FINDINGS, units="mi")
    assert findings_text([]).startswith("No risk flags.")


def test_markdown_escapes_and_groups():
    md = findings_markdown(FINDINGS, title="alex")
    assert md.startswith("## alex")
    assert "### Alerts (1)" in md and "### Warnings (2)" in md
    assert XSS not in md and "&lt;script&gt;" in md
    assert md.index("| 2024-01-15 |") < md.index("| 2024-01-01 |")
