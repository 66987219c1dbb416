"""Findings: severity order, JSON stability and the wording rules (science.md §9)."""

import json
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from loadfixtures import D35_KM, activity, ctx_for, d35_ctx, daily_runs, frame, shoes_frame
from runload.config import Config
from runload.findings import (BANNED_PHRASES, DISCLAIMER, JSON_KEYS, Finding, Severity, check_message,
                              findings_to_json)
from runload.rules import run_rules


def make(**kw):
    base = dict(rule="acwr", severity="info", athlete="anna", date=date(2026, 10, 5), period="2026-W41",
                value=1.33, threshold=1.3, window="w", method="m", message="x. " + DISCLAIMER, source="s")
    return Finding(**{**base, **kw})


def test_severity_order():
    assert Severity.INFO < Severity.WARNING < Severity.ALERT
    assert Severity.ALERT > Severity.INFO and Severity.WARNING >= Severity.WARNING
    assert [s.rank for s in Severity] == [0, 1, 2]
    assert max([Severity.WARNING, Severity.ALERT, Severity.INFO]) is Severity.ALERT
    assert Severity("warning") == "warning" and Severity.parse("ALERT") is Severity.ALERT


def test_json_is_stable():
    f = make(date=pd.Timestamp("2026-10-05"), value=np.float64(1.33), status="provisional", unit="ratio")
    j = f.to_json()
    assert tuple(j) == JSON_KEYS
    assert j == {
        "rule": "acwr", "severity": "info", "athlete": "anna", "date": "2026-10-05", "period": "2026-W41",
        "value": 1.33, "threshold": 1.3, "unit": "ratio", "window": "w", "method": "m",
        "status": "provisional", "source": "s", "message": "x. " + DISCLAIMER, "episode": None,
    }
    assert type(j["value"]) is float
    json.dumps(findings_to_json([f, make(date=date(2026, 1, 1))]))  # serialisable
    assert [d["date"] for d in findings_to_json([f, make(date=date(2026, 1, 1))])] == ["2026-01-01", "2026-10-05"]


def test_finding_rejects_nan_and_unknown_status():
    with pytest.raises(ValueError):
        make(value=float("nan"))
    with pytest.raises(ValueError):
        make(status="great")


@pytest.mark.parametrize("word", ["safe", "Danger", "danger zone", "overtrained", "Overtraining",
                                  "you will get injured"])
def test_check_message_catches_banned_words(word):
    assert check_message(f"This is {word}. {DISCLAIMER}")
    assert check_message("No disclaimer here.") == ["does not end with the disclaimer"]


def busy_log():
    """A log that trips every rule: ramps, streaks, spikes, even weeks, worn shoes, breaks."""
    km = D35_KM + [5] * 14 + [0] * 40 + [12, 0, 30, 0] + [10] * 9
    acts = daily_runs(km, shoe="Pegasus")
    shoes = shoes_frame({"name": "Pegasus", "start_distance_m": 400_000.0, "is_default": True})
    return ctx_for(acts, shoes=shoes, as_of=date(2024, 1, 1) + timedelta(days=len(km) - 1))


@pytest.mark.parametrize("method", ["coupled", "uncoupled", "ewma"])
def test_every_message_follows_the_wording_rules(method, scanned_messages):
    cfg = Config(acwr_method=method)
    findings = run_rules(busy_log(), cfg) + run_rules(d35_ctx(cfg), cfg)
    assert {f.rule for f in findings} == {"weekly_increase", "week_without_rest", "run_streak", "run_spike",
                                           "acwr", "monotony", "shoe_wear"}
    for cfg_units in ("mi",):
        findings += run_rules(busy_log(), Config(units=cfg_units, acwr_method=method))
    for f in findings:
        assert check_message(f.message) == [], f.message
        assert f.message.endswith(DISCLAIMER)
        assert f.source and f.window
        assert any(ch.isdigit() for ch in f.message)  # states the number
    assert len(scanned_messages) >= len(findings)  # the autouse scan saw them all
    assert BANNED_PHRASES
