"""One truth per athlete: every view shows the same weeks, distances, runs, rest days and changes.

A property test over 100 random seasons (many zones, DST changes, runs within an hour of local
midnight, zones set only in the config, declared gaps, 0 m records, two runs a day, as-of dates after
the newest run): ``weeks --format json``, ``summary --format json``, the HTML report's weekly table,
the Python API's weekly frame and the weekly totals the rules use agree exactly, in km and in mi.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import json
import random
import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from click.testing import CliRunner

import runload
from runload import service
from runload.cli import EXIT_NO_DATA, cli
from runload.config import load_config
from runload.models import Activity
from runload.store import Store
from runload.units import M_PER_MILE, m_to

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Pacific/Chatham",
         "America/St_Johns", "UTC", "Europe/London"]
#: Seasons start near a DST change in one hemisphere or the other.
STARTS = [date(2026, 3, 2), date(2026, 9, 21), date(2025, 10, 13), date(2026, 3, 23)]


def _season(seed: int):
    """A random season: (zone, zone only in the config?, runs as (local datetime, km, moving s), gaps, as_of)."""
    rnd = random.Random(seed)
    tz = rnd.choice(ZONES)
    weeks = rnd.randint(3, 9)
    first = rnd.choice(STARTS) + timedelta(days=rnd.randint(0, 6))
    runs = []
    for d in range(weeks * 7):
        day = first + timedelta(days=d)
        if rnd.random() < 0.45:
            continue
        for _ in range(2 if rnd.random() < 0.12 else 1):  # doubles
            kind = rnd.random()
            if kind < 0.15:  # within an hour of local midnight, on either side
                t = rnd.choice([time(0, rnd.randint(0, 59)), time(23, rnd.randint(0, 59))])
            else:
                t = time(rnd.randint(5, 21), rnd.randint(0, 59))
            km = 0.0 if rnd.random() < 0.05 else round(rnd.uniform(3, 25), 3)  # a 0 m record now and then
            runs.append((datetime.combine(day, t), km, 1800.0 if km == 0 else km * 330))
    gaps = []
    if rnd.random() < 0.35:
        g0 = first + timedelta(days=rnd.randint(0, weeks * 7 - 1))
        gaps.append((g0, g0 + timedelta(days=rnd.randint(0, 9))))
    last = first + timedelta(days=weeks * 7 - 1)
    as_of = last + timedelta(days=rnd.choice([0, 0, 1, 3, 9, 20]))
    return tz, rnd.random() < 0.3, runs, gaps, as_of


def _build(tmp_path, seed: int):
    tz, config_only, runs, gaps, as_of = _season(seed)
    db = tmp_path / f"s{seed}.db"
    cfg_path = tmp_path / f"c{seed}.toml"
    cfg_path.write_text(f'[athletes.ann]\ntimezone = "{tz}"\n' if config_only else "")
    with Store.open(db) as store:
        aid = store.athlete_id("ann", create=True, tz=None if config_only else tz)
        for i, (local, km, moving) in enumerate(runs):
            start = local.replace(tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)
            act = Activity(start_utc=start, sport="running", source_format="fit", distance_m=km * 1000.0,
                           moving_s=moving, elapsed_s=moving + 60)
            digest = hashlib.sha256(f"{seed}-{i}".encode()).hexdigest()
            store.add_file(aid, [act], source_path=f"/w/{seed}-{i}.fit", content_hash=digest)
        if not runs:  # a season always has one run
            pytest.skip("empty season")
        for a, b in gaps:
            store.add_gap("ann", a, b, "flu")
    return db, cfg_path, as_of


def _cli(db, cfg, *args):
    result = CliRunner().invoke(cli, ["--db", str(db), "--config", str(cfg), *map(str, args)])
    assert "Traceback" not in result.output, result.output
    return result


def _html_rows(page: str) -> dict[str, list[str]]:
    """The HTML weekly table as {iso week: cells} (text of each <td>)."""
    out = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S):
        cells = [htmllib.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        if cells and re.fullmatch(r"\d{4}-W\d{2}", cells[0]):
            out[cells[0]] = cells
    return out


@pytest.mark.parametrize("seed", range(100))
def test_every_view_agrees(tmp_path, seed):
    from runload.report.html import _weekly_table

    db, cfg_path, as_of = _build(tmp_path, seed)
    units = "mi" if seed % 2 else "km"
    u_per_m = 1 / M_PER_MILE if units == "mi" else 1 / 1000
    cfg = load_config(str(cfg_path))

    # the Python API and the rules
    with Store.open(db, readonly=True) as store:
        settings = service.resolve(store, "ann", cfg, as_of=as_of, units=units)
        assert settings.tz_source in ("store", "config")  # a zone only in the config is used, never UTC
        api = runload.weekly_table(store, "ann", as_of=as_of, units=units, config=cfg)
        checked = service.check_athlete(store, settings)
        data = service.collect(store, settings)
    ctx = checked.context
    assert list(api["distance_m"]) == list(ctx.week_distance_m)  # the rules' weekly totals
    assert list(api.index) == list(data.weekly.index)

    # weeks --format json, in the chosen units and in km
    weeks = _cli(db, cfg_path, "weeks", "--format", "json", "--as-of", as_of, "--units", units)
    assert weeks.exit_code == 0, weeks.output
    rows = {r["iso_week"]: r for r in json.loads(weeks.stdout)}
    km_rows = {r["iso_week"]: r for r in json.loads(_cli(db, cfg_path, "weeks", "--format", "json", "--as-of",
                                                          as_of, "--units", "km").stdout)}
    assert list(rows) == list(api["iso_week"])

    weekly_html = _html_rows(_weekly_table(data.weekly, units))
    for monday, w in api.iterrows():
        r = rows[w["iso_week"]]
        change = None if pd.isna(w["change_ratio"]) else round(w["change_ratio"] * 100, 1)
        rest = None if pd.isna(w["rest_days"]) else int(w["rest_days"])
        assert r[f"distance_{units}"] == pytest.approx(w["distance_m"] * u_per_m, abs=6e-4)
        assert km_rows[w["iso_week"]]["distance_km"] * 1000 == pytest.approx(w["distance_m"], abs=0.6)
        assert (r["runs"], r["rest_days"], r["change_pct"], r["status"]) == (int(w["runs"]), rest, change, w["status"])
        # a week made only of no-data days has no change and no rest-day count
        if w["status"] == "no data":
            assert r["rest_days"] is None and r["change_pct"] is None and r["runs"] == 0
        # the HTML report's weekly table
        cells = weekly_html[w["iso_week"]]
        assert cells[2] == f"{m_to(w['distance_m'], units):.1f}"
        assert cells[3].split()[0] == ("–" if change is None else f"{w['change_ratio'] * 100:+.0f}%")
        assert (cells[4], cells[5]) == (str(int(w["runs"])), "–" if rest is None else str(rest))

    # summary --format json of some weeks through the CLI, and of every week through the service
    mondays = list(api.index)
    rnd = random.Random(seed)
    for monday in rnd.sample(mondays, min(2, len(mondays))):
        week = api.loc[monday, "iso_week"]
        result = _cli(db, cfg_path, "summary", "--format", "json", "--as-of", as_of, "--week", week,
                      "--units", units, "--fail-on", "never")
        (s,) = json.loads(result.stdout)
        assert s["week"]["iso_week"] == week and s["athlete"] == "ann"
        r = rows[week]
        assert (s["week"][f"distance_{units}"], s["week"]["runs"], s["week"]["rest_days"],
                s["week"]["change_pct"]) == (r[f"distance_{units}"], r["runs"], r["rest_days"],
                                             r["change_pct"])
        assert result.exit_code == (EXIT_NO_DATA if r["status"] == "no data" else 0)
    from runload.report.summary import build_summary

    for monday in mondays:
        s = build_summary(data, monday.date(), units)
        w = api.loc[monday]
        assert s.week.distance_m == w["distance_m"] and s.week.runs == w["runs"]
        assert s.week.status == w["status"]


# ---- the cases of the issue, one test each ---------------------------------------------------------

def _store(tmp_path, runs, *, tz="Europe/Berlin", stored_tz=True, name="ann"):
    """A store with ``runs`` as (local ISO datetime, km) in ``tz``."""
    db = tmp_path / "c.db"
    with Store.open(db) as store:
        aid = store.athlete_id(name, create=True, tz=tz if stored_tz else None)
        for i, (local, km) in enumerate(runs):
            start = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)
            act = Activity(start_utc=start, sport="running", source_format="fit", distance_m=km * 1000.0,
                           moving_s=max(km, 5) * 330, elapsed_s=max(km, 5) * 340)
            store.add_file(aid, [act], source_path=f"/w/{i}.fit", content_hash=f"h{i}-{local}")
    return db


def _weeks_json(tmp_path, db, *args, config=""):
    cfg = tmp_path / "c.toml"
    cfg.write_text(config)
    return json.loads(_cli(db, cfg, "weeks", "--format", "json", *args).stdout)


def test_zone_only_in_the_config_puts_a_monday_0030_run_in_the_same_week_everywhere(tmp_path):
    # W12 of 2026: Mon 16 .. Sun 22 March; 10 km a week, then a 15 km run at Monday 00:30 Berlin (W13) = +50 %
    runs = [(f"2026-03-{d:02d}T07:00", 5) for d in (2, 4, 9, 11, 16, 18)] + [("2026-03-23T00:30", 15)]
    db = _store(tmp_path, runs, stored_tz=False)
    config = '[athletes.ann]\ntimezone = "Europe/Berlin"\n'
    rows = {r["iso_week"]: r for r in _weeks_json(tmp_path, db, "--as-of", "2026-03-29", config=config)}
    assert rows["2026-W13"]["distance_km"] == 15.0 and rows["2026-W12"]["distance_km"] == 10.0
    cfg = tmp_path / "c.toml"
    found = json.loads(_cli(db, cfg, "check", "--format", "json", "--as-of", "2026-03-29").stdout)
    (inc,) = [f for f in found if f["rule"] == "weekly_increase"]
    assert inc["period"].startswith("2026-W13") and inc["value"] == pytest.approx(0.5)
    assert rows["2026-W13"]["change_pct"] == 50.0
    # without any zone: UTC with a one-line notice naming it and how to set one, never silently
    (tmp_path / "none.toml").write_text("")
    result = _cli(db, tmp_path / "none.toml", "weeks", "--as-of", "2026-03-29")
    assert "ann has no time zone; dates are shown in UTC. Set one with 'runload athletes set-tz ann ZONE'" \
        in result.stderr


def test_a_week_without_data_is_not_rest_and_its_summary_says_so(tmp_path):
    runs = [(f"2026-11-{d:02d}T07:00", 8) for d in (2, 4, 6, 9, 11, 13, 16, 18)]
    db = _store(tmp_path, runs)
    cfg = tmp_path / "c.toml"
    cfg.write_text("")
    # nine days after the last sync (Wed 18th): the last complete week W48 has no data at all
    result = _cli(db, cfg, "summary", "--as-of", "2026-11-27", "--week", "2026-W48")
    assert result.exit_code == EXIT_NO_DATA
    text = " ".join(result.stdout.split())
    assert "no activity recorded since 2026-11-18 (9 days); if you ran, check that the import works" in text.lower()
    assert "Rest days" not in text and "0.0 km" not in text and "-100" not in text and "No risk flags" not in text
    (s,) = json.loads(_cli(db, cfg, "summary", "--as-of", "2026-11-27", "--week", "2026-W48", "--format",
                           "json").stdout)
    assert s["no_data"] and s["week"]["rest_days"] is None and s["week"]["change_pct"] is None
    assert s["data_end"] == "2026-11-18"
    # the weekly table: W47 is partial (Thu..Sun without data), W48 no data; no change, no rest days there
    rows = {r["iso_week"]: r for r in _weeks_json(tmp_path, db, "--as-of", "2026-11-27")}
    assert rows["2026-W47"]["status"] == "partial" and rows["2026-W47"]["rest_days"] == 1
    assert rows["2026-W47"]["no_data_days"] == 4
    assert rows["2026-W48"]["status"] == "no data" and rows["2026-W48"]["rest_days"] is None
    # the daily table and the ratio: no data is not rest, and no ratio is drawn over it
    with Store.open(db, readonly=True) as store:
        result = runload.analyze(store, "ann", as_of="2026-11-27", config=load_config(str(cfg)))
    assert result.daily.loc["2026-11-19":, "status"].eq("no data").all()
    assert result.acwr.loc["2026-11-19":, "ratio"].isna().all()


def test_old_data_only_says_when_the_data_ends(tmp_path):
    runs = [(f"2026-03-{d:02d}T07:00", 8) for d in range(2, 31, 2)]
    db = _store(tmp_path, runs)
    cfg = tmp_path / "c.toml"
    cfg.write_text("")
    result = _cli(db, cfg, "summary", "--as-of", "2026-11-27", "--week", "this")
    assert "no activity recorded since 2026-03-30 (242 days)" in result.stdout
    assert "not enough history" not in result.stdout


def test_a_streak_across_two_week_ends_is_in_every_weeks_summary(tmp_path):
    # Sun 2026-10-18 (W42) .. Mon 2026-11-02 (W45): 16 running days in a row
    runs = [("2026-10-01T07:00", 5), ("2026-10-05T07:00", 5)] + [
        ((date(2026, 10, 18) + timedelta(days=i)).isoformat() + "T07:00", 5) for i in range(16)]
    db = _store(tmp_path, runs)
    cfg = tmp_path / "c.toml"
    cfg.write_text("")
    for week in ("2026-W42", "2026-W43", "2026-W44", "2026-W45"):
        (s,) = json.loads(_cli(db, cfg, "summary", "--as-of", "2026-11-08", "--week", week, "--format", "json",
                               "--fail-on", "never").stdout)
        assert "run_streak" in {f["rule"] for f in s["findings"]}, week
    (s,) = json.loads(_cli(db, cfg, "summary", "--as-of", "2026-11-08", "--week", "2026-W41", "--format",
                           "json", "--fail-on", "never").stdout)
    assert "run_streak" not in {f["rule"] for f in s["findings"]}


def test_a_partial_first_week_shows_no_change(tmp_path):
    # the log starts on a Saturday: W10 holds 5 km, W11 20 km: never "+300 %"
    runs = [("2026-03-07T07:00", 5), ("2026-03-09T07:00", 10), ("2026-03-11T07:00", 10), ("2026-03-16T07:00", 20)]
    db = _store(tmp_path, runs)
    rows = _weeks_json(tmp_path, db, "--as-of", "2026-03-16")
    assert [r["status"] for r in rows] == ["partial", "complete", "so far"]
    assert [r["change_pct"] for r in rows] == [None, None, None]
    table = _cli(db, tmp_path / "c.toml", "weeks", "--as-of", "2026-03-16").stdout
    assert "+300" not in table and "so far" in table and "partial" in table


def test_a_0_m_record_is_a_run_day_everywhere(tmp_path):
    # a heart-rate-only run (0 m, 30 min) on Tuesday: a run day, not a rest day, in every view
    runs = [("2026-03-02T07:00", 5), ("2026-03-03T07:00", 0), ("2026-03-04T07:00", 5), ("2026-03-08T07:00", 5)]
    db = _store(tmp_path, runs)
    (row,) = _weeks_json(tmp_path, db, "--as-of", "2026-03-08")
    assert row["runs"] == 4 and row["run_days"] == 4 and row["rest_days"] == 3
    cfg = tmp_path / "c.toml"
    (s,) = json.loads(_cli(db, cfg, "summary", "--as-of", "2026-03-08", "--week", "this", "--format",
                           "json").stdout)
    assert s["week"]["rest_days"] == 3
    with Store.open(db, readonly=True) as store:
        api = runload.weekly_table(store, "ann", as_of="2026-03-08", config=load_config(str(cfg)))
    assert int(api["rest_days"].iloc[0]) == 3


_KM = re.compile(r"\d+(?:\.\d+)?\s?km\b")
_MI_THEN_KM = re.compile(r"\d+(?:\.\d+)?\s?mi \(\d+(?:\.\d+)?\s?km\)")


@pytest.mark.parametrize("how", ["option", "config"])
def test_miles_first_in_every_command(tmp_path, how):
    from tests.report.helpers import ALERT_WEEK, add_runs

    db = tmp_path / "m.db"
    with Store.open(db) as store:
        add_runs(store, "alex", ALERT_WEEK, shoe="Pegasus 40")
    cfg = tmp_path / "c.toml"
    cfg.write_text('[thresholds]\nunits = "mi"\n' if how == "config" else "")
    extra = ["--units", "mi"] if how == "option" else []
    outputs = {
        "check": _cli(db, cfg, "check", "--as-of", "2024-01-17", "--verbose", *extra).stdout,
        "summary": _cli(db, cfg, "summary", "--as-of", "2024-01-17", "--fail-on", "never", *extra).stdout,
        "weeks": _cli(db, cfg, "weeks", "--as-of", "2024-01-17", *extra).stdout,
        "activities": _cli(db, cfg, "activities", *extra).stdout,
        "shoes": _cli(db, cfg, "shoes", "list", "--as-of", "2024-01-17", *extra).stdout,
    }
    out = tmp_path / "r.html"
    assert _cli(db, cfg, "report", "--as-of", "2024-01-17", "--out", out, *extra).exit_code == 0
    outputs["report"] = re.sub(r"<[^>]+>", " ", out.read_text())
    for name, text in outputs.items():
        text = " ".join(text.split())  # wrapped lines: "16.3 mi\n    (26.2 km)"
        assert " mi" in text or "mi " in text, name
        rest = _MI_THEN_KM.sub("", text)
        assert not _KM.findall(rest), (name, _KM.findall(rest)[:3])
    # and in km, no mile first
    km_text = _cli(db, cfg, "check", "--as-of", "2024-01-17", "--units", "km", "--verbose").stdout
    assert not re.findall(r"\d+(?:\.\d+)?\s?mi\b(?! \()", re.sub(r"\d+(?:\.\d+)?\s?km \(\d+(?:\.\d+)?\s?mi\)", "",
                                                              km_text))


def test_pace_in_weeks_and_activities_worked_out_by_hand(tmp_path):
    # one 10 km run in 3,300 s: 5:30 min/km; 10 km = 6.21371 mi, 3,300 / 6.21371 = 531.1 s = 8:51 min/mi
    db = _store(tmp_path, [("2026-03-02T07:00", 10)])
    cfg = tmp_path / "c.toml"
    cfg.write_text("")
    for units, pace in (("km", "5:30"), ("mi", "8:51")):
        weeks = _cli(db, cfg, "weeks", "--as-of", "2026-03-08", "--units", units).stdout
        (row,) = [line for line in weeks.splitlines() if line.startswith("2026-W10")]
        assert pace in row.split(), (units, row)
        acts = _cli(db, cfg, "activities", "--units", units).stdout
        assert pace in acts.splitlines()[-1].split(), (units, acts)
