"""Display measures: pure computations that flag nothing (ACWR series, monotony table,
rest days and streaks, weekly increase table, shoe status, TRIMP and fitness/fatigue).

The rules in :mod:`runload.rules` build their findings on these.
"""
