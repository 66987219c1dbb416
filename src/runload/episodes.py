"""Episodes: one item for one habit, instead of a flag every week.

Consecutive complete ISO weeks flagged by the same weekly rule (monotony, a
week without rest) form one episode; a week without rest, a run streak and
high monotony whose days overlap are one episode with all three numbers
("ran 84 days in a row …: 12 weeks without a rest day, monotony above 2.0 in
12 weeks, highest 10.00"). See docs/method.md §5 and §11.

:func:`group_episodes` is a pure function over findings (any rules, any
athletes; findings of other rules are ignored). :func:`assign_episodes` returns
the findings with the ``episode`` id of their episode filled in, which JSON
keeps next to every week's own finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterable, Mapping

from runload.findings import Finding, Severity

#: Rules whose findings form episodes, in the order their numbers are written.
EPISODE_RULES = ("run_streak", "week_without_rest", "monotony")
#: Of those, the rules with one finding per complete ISO week.
WEEKLY_RULES = ("week_without_rest", "monotony")


@dataclass(frozen=True)
class Episode:
    """Findings of one habit: consecutive weeks of one rule, or overlapping no-rest/streak/monotony flags.

    ``start``/``end``: first and last day covered (a week counts Monday to
    Sunday, a streak its days). ``count``: findings grouped. ``weeks``:
    ``{rule: number of flagged weeks}`` for the weekly rules. ``values``:
    ``{rule: the most extreme value}`` (highest monotony, longest streak in days,
    fewest rest days). ``value``: the headline number of the first rule in
    :data:`EPISODE_RULES` order. ``severity``: the highest of its findings.
    ``status``: ``provisional`` when a finding still can change (a streak going on
    at as-of), else ``ok``. ``summary``: one line in words, no units.
    """

    id: str
    athlete: str
    rules: tuple[str, ...]
    start: date
    end: date
    count: int
    weeks: Mapping[str, int]
    values: Mapping[str, float]
    value: float
    severity: Severity
    status: str
    summary: str
    findings: tuple[Finding, ...] = field(repr=False)

    @property
    def period(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def to_json(self) -> dict:
        return {
            "id": self.id, "athlete": self.athlete, "rules": list(self.rules), "start": self.start.isoformat(),
            "end": self.end.isoformat(), "count": self.count, "weeks": dict(self.weeks),
            "values": dict(self.values), "value": self.value, "severity": self.severity.value,
            "status": self.status, "summary": self.summary,
        }


def _span(f: Finding) -> tuple[date, date]:
    if f.rule == "run_streak":
        return f.date, f.date + timedelta(days=max(int(round(f.value)), 1) - 1)
    return f.date, f.date + timedelta(days=6)


def _week(d: date) -> str:
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def _above(value: float, threshold: float) -> str:
    """Two decimals, more when the value would print as equal to the threshold it exceeds."""
    for digits in range(2, 9):
        text = f"{value:.{digits}f}"
        if float(text) > threshold or value <= threshold:
            return text
    return text


def _chains(findings: list[Finding]) -> list[list[Finding]]:
    """Same-rule weekly findings in consecutive ISO weeks, chained; every other finding alone."""
    out: list[list[Finding]] = []
    last: dict[str, list[Finding]] = {}
    for f in sorted(findings, key=lambda f: (f.date, f.rule)):
        if f.rule in WEEKLY_RULES:
            chain = last.get(f.rule)
            if chain is not None and (f.date - chain[-1].date).days == 7:
                chain.append(f)
                continue
            chain = [f]
            last[f.rule] = chain
            out.append(chain)
        else:
            out.append([f])
    return out


def _rest_words(need: float) -> str:
    need = int(round(need))
    return "no rest day" if need <= 1 else f"fewer than {need} rest days"


def _summary(by_rule: dict[str, list[Finding]], start: date, end: date, live: bool) -> str:
    span = f"{start.isoformat()} to {end.isoformat()}"
    parts = []
    streaks = by_rule.get("run_streak", [])
    rest = by_rule.get("week_without_rest", [])
    mono = by_rule.get("monotony", [])
    if rest:
        need = rest[0].threshold
        fewest = int(min(f.value for f in rest))
        if len(rest) == 1:
            parts.append(f"{fewest} rest day{'s' if fewest != 1 else ''} in {_week(rest[0].date)} "
                         f"(at least {need:g} wanted)")
        else:
            parts.append(f"{_rest_words(need)} in {'each of the ' if not streaks and not mono else ''}"
                         f"{len(rest)} weeks")
    if mono:
        thr = mono[0].threshold
        top = max(f.value for f in mono)
        if len(mono) == 1:
            parts.append(f"monotony {_above(top, thr)} in {_week(mono[0].date)} (above {thr:g})")
        else:
            parts.append(f"monotony above {thr:g} in {'each of the ' if not streaks and not rest else ''}"
                         f"{len(mono)} weeks, highest {_above(top, thr)}")
    if streaks:
        longest = max(streaks, key=lambda f: f.value)
        s0, s1 = _span(longest)
        head = (f"ran {int(longest.value)} days in a row ({s0.isoformat()} to {s1.isoformat()}"
                f"{', still going' if longest.status == 'provisional' else ''}; more than {longest.threshold:g})")
        if len(streaks) > 1:
            head += f" and {len(streaks) - 1} shorter streak{'s' if len(streaks) > 2 else ''}"
        return head + (": " + ", ".join(parts) if parts else "")
    several = sum(len(v) for v in by_rule.values()) > 1
    text = ", ".join(parts)
    if several:
        text += f", {span}"
    return text + (" (still going)" if live else "")


def group_episodes(findings: Iterable[Finding]) -> list[Episode]:
    """Episodes of the findings of :data:`EPISODE_RULES`, oldest first (per athlete).

    Same-rule weekly findings in consecutive ISO weeks chain; chains and
    streaks whose days overlap merge into one episode. A lone finding is an
    episode of one.
    """
    by_athlete: dict[str, list[Finding]] = {}
    for f in findings:
        if f.rule in EPISODE_RULES:
            by_athlete.setdefault(f.athlete, []).append(f)
    out: list[Episode] = []
    for athlete, items in by_athlete.items():
        spans = {id(f): _span(f) for f in items}
        chains = sorted(_chains(items), key=lambda c: (spans[id(c[0])][0], c[0].rule))
        groups: list[list[list[Finding]]] = []
        group_end: date | None = None
        for chain in chains:
            c0 = spans[id(chain[0])][0]
            c1 = max(spans[id(f)][1] for f in chain)
            if groups and group_end is not None and c0 <= group_end:
                groups[-1].append(chain)
                group_end = max(group_end, c1)
            else:
                groups.append([chain])
                group_end = c1
        for group in groups:
            members = sorted((f for chain in group for f in chain), key=lambda f: f.sort_key)
            by_rule: dict[str, list[Finding]] = {}
            for f in members:
                by_rule.setdefault(f.rule, []).append(f)
            rules = tuple(r for r in EPISODE_RULES if r in by_rule)
            start = min(spans[id(f)][0] for f in members)
            end = max(spans[id(f)][1] for f in members)
            values = {}
            for r, fs in by_rule.items():
                values[r] = float(min(f.value for f in fs) if r == "week_without_rest" else max(f.value for f in fs))
            live = any(f.status == "provisional" for f in members)
            out.append(Episode(
                id=f"{'+'.join(rules)}@{start.isoformat()}",
                athlete=athlete,
                rules=rules,
                start=start,
                end=end,
                count=len(members),
                weeks={r: len(by_rule[r]) for r in WEEKLY_RULES if r in by_rule},
                values=values,
                value=values[rules[0]],
                severity=max((f.severity for f in members), key=lambda s: s.rank),
                status="provisional" if live else "ok",
                summary=_summary(by_rule, start, end, live),
                findings=tuple(members),
            ))
    return sorted(out, key=lambda e: (e.start, e.athlete, e.id))


def assign_episodes(findings: Iterable[Finding]) -> list[Finding]:
    """The findings, those in an episode with its id in ``episode`` (same order)."""
    findings = list(findings)
    ids: dict[int, str] = {}
    for ep in group_episodes(findings):
        for f in ep.findings:
            ids[id(f)] = ep.id
    return [_with_episode(f, ids[id(f)]) if id(f) in ids else f for f in findings]


def _with_episode(f: Finding, episode: str) -> Finding:
    """``dataclasses.replace(f, episode=episode)`` without re-validating a valid finding."""
    out = object.__new__(Finding)
    out.__dict__.update(f.__dict__, episode=episode)
    return out


__all__ = ["Episode", "EPISODE_RULES", "group_episodes", "assign_episodes"]
