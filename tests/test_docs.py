"""The README's examples work as written; the documentation links only files of the repository and
docs/method.md (runload's method) agrees with the code: its defaults, severities and worked examples."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from pathlib import Path

import pytest

from runload.config import Config, load_config, settable_fields
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def test_readme_config_example_loads(tmp_path):
    toml = re.search(r"```toml\n(\[thresholds\].*?)```", README, re.S).group(1)
    path = tmp_path / "config.toml"
    path.write_text(toml)
    cfg = load_config(path)
    assert cfg.max_weekly_increase_ratio == 0.15
    alex = cfg.for_athlete("alex")
    assert (alex.timezone, alex.hr_rest_bpm, alex.hr_max_bpm, alex.sex) == ("Europe/Berlin", 48, 186, "female")
    assert "monotony" in alex.disabled_rules


def test_readme_python_api_example_runs(tmp_path, monkeypatch, capsys):
    code = re.search(r"## Python API.*?```python\n(.*?)```", README, re.S).group(1)
    monkeypatch.chdir(ROOT)
    code = code.replace('open_store("season.db")', f'open_store(r"{tmp_path / "season.db"}")')
    assert str(tmp_path) in code
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    # alex's season has five findings (see sample_activities/expected.json); W40 is a warning: +29.7 % over
    # 2026-W36, the highest of the previous 4 complete weeks (+56 % over the cutback week W39 before it)
    assert len(lines) == 5
    assert any(line.startswith("warning 2026-09-28") and "29.7%" in line and "2026-W36" in line for line in lines)


# ---- the method page and the links of the documentation ---------------------------------------
#
# docs/method.md is runload's method; README.md, docs/ and sample_activities/ cite it and nothing
# outside the repository.

METHOD = ROOT / "docs" / "method.md"
METHOD_TEXT = METHOD.read_text(encoding="utf-8")

#: Markdown files whose relative links must resolve to files inside the repository.
LINKED_DOCS = ("README.md", "docs/*.md", "sample_activities/*.md")
#: Files that must not cite material outside the repository (the project's own method is
#: docs/method.md). To widen the check, add globs here, e.g. "src/**/*.py", "scripts/*.py".
NO_OUTSIDE_CITATIONS = ("README.md", "docs/*.md", "sample_activities/*.md", "src/**/*.py", "scripts/*.py",
                        "notebooks/*.ipynb")
OUTSIDE_CITATIONS = ("../shared", "science.md")

#: The numbered sections of docs/method.md. Code cites them as "docs/method.md §N": renumbering
#: or renaming one breaks those citations, so change this list only together with them.
METHOD_SECTIONS = {
    0: "Conventions",
    1: "Weekly increase (the 10 % rule)",
    2: "Rest days and run streaks",
    3: "Shoe wear",
    4: "Acute:chronic workload ratio (ACWR)",
    5: "Training monotony and strain",
    6: "Single-run spike",
    7: "Heart-rate and RPE load (TRIMP, session-RPE)",
    8: "Fitness, fatigue and form (PMC)",
    9: "Evidence summary and default severities",
    10: "Wording rules",
    11: "Episodes: one item per habit",
    12: "Defaults",
    13: "What counts: sport, plausibility, each activity once",
}


def repo_files(globs) -> list[Path]:
    """Files of the repository matching ``globs`` (relative to the root), never under tests/."""
    out = set()
    for pattern in globs:
        for path in ROOT.glob(pattern):
            rel = path.relative_to(ROOT)
            if path.is_file() and rel.parts[0] not in ("tests", ".venv", ".git") and ".egg-info" not in str(rel):
                out.add(path)
    return sorted(out)


_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
_LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)


def markdown_links(text: str) -> list[str]:
    """Targets of the inline links, images and reference definitions outside code blocks."""
    text = _FENCE.sub("", text)
    text = re.sub(r"`[^`\n]*`", "", text)  # inline code is not a link
    return _LINK.findall(text) + _REF_DEF.findall(text)


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.strip().lower()
    text = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = _FENCE.sub("", path.read_text(encoding="utf-8"))
    return {github_slug(m) for m in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.M)}


def link_problems(path: Path, text: str | None = None) -> list[str]:
    """Why each relative link of ``path`` (or of ``text`` placed at ``path``) does not resolve to a
    file (and anchor) in the repository."""
    problems = []
    if text is None:
        text = path.read_text(encoding="utf-8")
    for target in markdown_links(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # https:, mailto: ...
            continue
        where, _, fragment = target.partition("#")
        if where.startswith("/"):
            problems.append(f"{target}: an absolute path; link files of the repository relatively")
            continue
        dest = (path.parent / where).resolve() if where else path.resolve()
        if not dest.is_relative_to(ROOT.resolve()):
            problems.append(f"{target}: points outside the repository")
        elif not dest.exists():
            problems.append(f"{target}: no such file")
        elif fragment and dest.suffix == ".md" and fragment not in anchors(dest):
            problems.append(f"{target}: {dest.name} has no heading with the anchor #{fragment}")
    return problems


@pytest.mark.parametrize("path", repo_files(LINKED_DOCS), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve_inside_the_repository(path):
    assert link_problems(path) == []


def test_link_checker_catches_outside_and_missing_targets():
    text = ("[a](../../shared/science.md) [b](nope.md) [c](method.md#12-defaults) [d](#no-such) "
            "[e](/etc/passwd) [f](../README.md#python-api) [g](https://doi.org/10.1/x) `[h](inline-code.md)`")
    problems = [p.split(": ")[0] for p in link_problems(ROOT / "docs" / "probe.md", text)]
    assert problems == ["../../shared/science.md", "nope.md", "#no-such", "/etc/passwd"]


def outside_citations(path: Path, text: str | None = None) -> list[str]:
    """``file:line: text`` for each line of ``path`` that names material outside the repository."""
    if text is None:
        text = path.read_text(encoding="utf-8", errors="replace")
    return [f"{path.relative_to(ROOT)}:{no}: {line.strip()}"
            for no, line in enumerate(text.splitlines(), 1) if any(word in line for word in OUTSIDE_CITATIONS)]


def test_docs_cite_nothing_outside_the_repository():
    found = [hit for path in repo_files(NO_OUTSIDE_CITATIONS) for hit in outside_citations(path)]
    assert found == [], "cite docs/method.md and its sections instead"


def test_outside_citation_check_sees_both_forms():
    text = "see science.md C3\nok line\ndata in ../shared/real-activities\n"
    assert [h.split(": ")[0] for h in outside_citations(ROOT / "README.md", text)] == ["README.md:1", "README.md:3"]


def test_method_sections_keep_their_numbers_and_anchors():
    headings = dict((int(n), title) for n, title in re.findall(r"^## (\d+)\. (.+?)\s*$", METHOD_TEXT, re.M))
    assert headings == METHOD_SECTIONS
    for c in range(1, 8):  # conventions C1..C7, cited as "docs/method.md §0 C3"
        assert re.search(rf"^### C{c}\. ", METHOD_TEXT, re.M), f"§0 lost its subsection C{c}"
    assert "references" in anchors(METHOD)


def _section(number: int) -> str:
    m = re.search(rf"^## {number}\. .*?(?=^## |\Z)", METHOD_TEXT, re.M | re.S)
    assert m, f"docs/method.md has no section {number}"
    return m.group(0)


def _table_rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not re.match(r"^\|[\s|:-]+\|$", line):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows[1:]  # without the header


def _parse_default(text: str):
    if text == "unset":
        return None
    m = re.fullmatch(r"`(.+)`", text)
    assert m, f"write the default {text!r} as `literal` or unset"
    value = tomllib.loads(f"v = {m.group(1)}")["v"]
    return tuple(value) if isinstance(value, list) else value


def method_defaults() -> dict[str, tuple[object, bool]]:
    """``{config key: (default, pending)}`` from the table of docs/method.md §12."""
    out = {}
    for row in _table_rows(_section(12)):
        m = re.fullmatch(r"`(\w+)`(\\\*)?", row[0])
        assert m, f"§12 Defaults: cannot read the key cell {row[0]!r}"
        assert m.group(1) not in out, f"§12 Defaults lists {m.group(1)} twice"
        out[m.group(1)] = (_parse_default(row[1]), bool(m.group(2)))
    return out


def test_method_defaults_agree_with_config():
    cfg = Config()
    fields = settable_fields(athlete=True)
    table = method_defaults()
    wrong = []
    for key, (stated, pending) in table.items():
        if key not in fields:
            assert pending, f"docs/method.md §12 lists {key}, which is not a Config field"
            continue
        assert not pending, f"{key} is in Config now: drop its asterisk and note in docs/method.md §12"
        actual = getattr(cfg, key)
        if stated != actual or isinstance(stated, bool) != isinstance(actual, bool):
            wrong.append(f"{key}: page says {stated!r}, Config() has {actual!r}")
    assert wrong == []
    undocumented = sorted(k for k in fields if not k.startswith("severity_") and k not in table)
    assert undocumented == [], "add these Config keys to docs/method.md §12"


def test_defaults_table_reader_sees_a_wrong_default(monkeypatch):
    monkeypatch.setattr(
        "tests.test_docs.METHOD_TEXT",
        METHOD_TEXT.replace("| `max_weekly_increase_ratio` | `0.10` |", "| `max_weekly_increase_ratio` | `0.15` |"))
    with pytest.raises(AssertionError, match="max_weekly_increase_ratio"):
        test_method_defaults_agree_with_config()


#: Bands of a rule whose severity is set per band.
SEVERITY_BANDS = {"run_spike": ("small", "moderate", "large")}


def default_severity(rule_id: str, band: str | None = None) -> str:
    """The code's default severity of a rule (or of one band of it); the one place to change
    when severities move out of Config."""
    from runload.rules.registry import severity

    return severity(Config(), rule_id, band).value


def test_evidence_table_severities_agree_with_the_code():
    checked = 0
    for row in _table_rows(_section(9)):
        m = re.fullmatch(r"`(\w+)`", row[0])
        if not m:  # measurement-only row
            assert row[-1] == "none"
            continue
        rule_id = m.group(1)
        base, *overrides = [part.strip() for part in row[-1].split(";")]
        per_band = dict(re.fullmatch(r"(\w+) = (\w+)", o).groups() for o in overrides)
        base = base.split()[0]
        for band in SEVERITY_BANDS.get(rule_id, (None,)):
            assert default_severity(rule_id, band) == per_band.get(band, base), (rule_id, band)
            checked += 1
    assert checked == 9  # 6 rules + the three spike bands


# ---- the worked examples of docs/method.md, recomputed with runload's own functions -------------

def test_method_monotony_examples_match_the_code():
    from runload.rules.monotony import monotony_of

    rows = [r for r in _table_rows(_section(5)) if r[0].count("`") == 2]
    assert len(rows) == 6
    for row in rows:
        days_km = [float(x) for x in re.search(r"`\[(.*?)\]`", row[0]).group(1).split(",")]
        mono, strain, _ = monotony_of([km * 1000 for km in days_km], Config())
        stated = float(re.search(r"(\d+\.\d+)(?!.*=)", row[1].split("(")[0]).group(1))
        assert round(mono, 4 if stated != 10.0 else 1) == stated, row
        assert round(strain / 1000, 2) == float(row[2]), row
        assert (row[3] == "yes") == (mono > Config().monotony_flag_above), row


def test_method_acwr_examples_match_the_code():
    from runload.rules.acwr import acwr_frame

    d35_km = [6, 0, 8, 0, 6, 0, 10] * 4 + [6, 0, 8, 0, 6, 0, 25]
    frame = acwr_frame([km * 1000 for km in d35_km], Config())
    table = {row[0]: row for row in _table_rows(_section(4))}
    assert set(table["t = 26"][1:]) == {"`insufficient_history`"}
    assert frame.loc[26, "coupled_status"] == "insufficient_history"
    for t in (27, 34):
        row = table[f"t = {t}"]
        numbers = [float(x) for x in re.findall(r"(\d+\.\d{3,4})", " ".join(row[1:]))]
        ewma_ratio, ewma_a_km, ewma_c_km = numbers[-3:]
        r = frame.loc[t]
        assert numbers[0] == round(r["coupled"], len(str(numbers[0]).split(".")[1]))
        assert numbers[1] == round(r["uncoupled"], len(str(numbers[1]).split(".")[1]))
        assert (ewma_ratio, ewma_a_km, ewma_c_km) == (
            round(r["ewma"], 4), round(r["ewma_acute_m"] / 1000, 4), round(r["ewma_chronic_m"] / 1000, 4))


def test_method_pmc_and_trimp_examples_match_the_code():
    from runload.measures.load import banister_trimp_average, pmc, trimp_coefficients

    text = " ".join(_section(8).split())  # one line: the page wraps its sentences
    day0 = pmc([100, 0, 0, 0, 0, 0, 0])
    m = re.search(r"day 0 CTL ([\d.]+) and ATL ([\d.]+), day 6 CTL ([\d.]+) and ATL ([\d.]+), TSB on day 1 "
                  r"−(\d+\.\d+)", text)
    assert [float(x) for x in m.groups()] == [
        round(day0.loc[0, "ctl"], 4), round(day0.loc[0, "atl"], 4), round(day0.loc[6, "ctl"], 4),
        round(day0.loc[6, "atl"], 4), round(-day0.loc[1, "tsb"], 4)]
    for variant in ("gc", "ewma"):
        m = re.search(rf"`{variant}` day 0: (\d+\.\d+) / (\d+\.\d+)", text)
        p = pmc([100, 0, 0, 0, 0, 0, 0], variant=variant)
        assert [float(x) for x in m.groups()] == [round(p.loc[0, "ctl"], 4), round(p.loc[0, "atl"], 4)]
    m = re.search(r"men (\d+\.\d+), women (\d+\.\d+)", " ".join(_section(7).split()))
    values = []
    for sex in ("male", "female"):
        a, b, _ = trimp_coefficients(Config(sex=sex))
        values.append(round(banister_trimp_average(45, 150, 60, 190, a, b), 2))
    assert [float(x) for x in m.groups()] == values


# ---- §13: what counts, recomputed from the importers and the store --------------------------------

#: Subsections of §13 that code cites by name ("docs/method.md, "Each activity once"").
WHAT_COUNTS_SUBSECTIONS = ("Sport of an undeclared activity", "Plausibility at the door", "Each activity once")


def test_method_what_counts_agrees_with_the_code():
    try:  # the dedup policy: runload.store.dedup, or runload.store while the store is one module
        from runload.store import dedup as store
    except ImportError:
        from runload import store
    from runload.importers import (EARLIEST_START_UTC, FUTURE_SLACK_S, MAX_ACTIVITY_DISTANCE_M,
                                   MAX_ACTIVITY_DURATION_S, SPEED_CHECK_MIN_DISTANCE_M)
    from runload.importers import sports as sp

    text = _section(13)
    assert re.findall(r"^### (.+?)\s*$", text, re.M) == list(WHAT_COUNTS_SUBSECTIONS)
    flat = " ".join(text.split())
    sport_text, plausible_text, _ = text.split("\n### ")[1:]
    # the sport table: speed bounds [km/h] and cadence bounds [1/min] per sport
    rows = {r[0]: r for r in (
        [c.strip() for c in line.strip().strip("|").split("|")] for line in sport_text.splitlines()
        if line.startswith("| running |") or line.startswith("| walking |") or line.startswith("| cycling |"))}
    assert rows["running"][1:3] == [f"{sp.RUN_SPEED_MIN_KMH:g}–{sp.RUN_SPEED_MAX_KMH:g} km/h",
                                    f"≥ {sp.RUN_STEPS_MIN_PER_MIN:g} /min (a step rate)"]
    assert rows["walking"][1:3] == [f"{sp.WALK_SPEED_MIN_KMH:g}–{sp.WALK_SPEED_MAX_KMH:g} km/h",
                                    f"< {sp.WALK_STRIDES_MAX_PER_MIN:g} /min (a stride rate)"]
    assert rows["cycling"][1:3] == [f"> {sp.RUN_SPEED_MAX_KMH:g} to {sp.CYCLE_SPEED_MAX_KMH:g} km/h",
                                    f"{sp.PEDAL_CADENCE_MIN_PER_MIN:g}–{sp.PEDAL_CADENCE_MAX_PER_MIN:g} /min (pedalling)"]
    # the fastest human speed per sport: every sport of the code listed once, with its limit
    limits = {}
    for sports, limit in re.findall(r"^\| ([a-z, ]+) \| (\d+) km/h \|", plausible_text, re.M):
        for sport in sports.split(", "):
            assert sport not in limits, sport
            limits[sport] = float(limit)
    assert limits == sp.MAX_HUMAN_SPEED_KMH
    # the plausibility bounds and the dedup policy
    assert f"before {EARLIEST_START_UTC:%Y-%m-%d} UTC" in flat
    assert f"more than {FUTURE_SLACK_S // 3600} h after now" in flat
    assert f"> {MAX_ACTIVITY_DISTANCE_M / 1e6:g} 000 km" in flat
    assert f"> {MAX_ACTIVITY_DURATION_S / 86400:g} days" in flat
    assert f"only from {SPEED_CHECK_MIN_DISTANCE_M:g} m on" in flat
    assert f"({store.DEDUP_START_S} s:" in flat and store.DEDUP_START_S == 120  # "within 2 minutes"
    assert f"distances within {store.DEDUP_DISTANCE_RATIO * 100:g} % of the longer" in flat
    assert f"or within {store.DEDUP_OVERLAP_DISTANCE_RATIO * 100:g} % while they overlap in time by at least " \
           f"{store.DEDUP_OVERLAP_RATIO * 100:g} % of the shorter" in flat
    assert f"overlap by at least {store.DEDUP_CROSS_OVERLAP_RATIO * 100:g} % of the longer" in flat
