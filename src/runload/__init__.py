"""runload: a local-first training-load monitor that flags overuse-injury risk for runners.

The Python API in one import (the notebooks use it); each call resolves the
athlete's time zone, as-of date and units the same way as every command
(:mod:`runload.service`)::

    import runload

    store = runload.open_store("season.db")
    runload.import_paths(store, ["sample_activities/alex"], athlete="alex", tz="Europe/Berlin")
    weekly = runload.weekly_table(store, "alex", as_of="2026-11-21")
    result = runload.analyze(store, "alex", as_of="2026-11-21")

Heavy modules (pandas, numpy, the importers) load on first use, so
``import runload`` and ``runload --help`` stay fast.
"""

from __future__ import annotations

__version__ = "0.1.0"


def open_store(path=None, *, readonly: bool = False):
    """The SQLite store at ``path`` (default: RUNLOAD_DB or ~/.local/share/runload/runload.db)."""
    from runload.store import Store

    return Store.open(path, readonly=readonly)


def import_paths(store, paths, **kwargs):
    """Import files, folders and export archives (see :func:`runload.ingest.import_paths`)."""
    from runload.ingest import import_paths as _import

    return _import(store, paths, **kwargs)


def settings(store, athlete: str, *, as_of=None, units: str | None = None, config=None):
    """The athlete's resolved zone, as-of date, units and config (:func:`runload.service.resolve`)."""
    from runload import service

    return service.resolve(store, athlete, config, as_of=_date(as_of), units=units)


def check(store, athlete: str, *, as_of=None, units: str | None = None, config=None, only=None):
    """The rules' findings on one stored athlete (what ``runload check`` shows)."""
    from runload import service

    return service.check_athlete(store, settings(store, athlete, as_of=as_of, units=units, config=config), only)


def analyze(store, athlete: str, *, as_of=None, units: str | None = None, config=None):
    """The findings and every display table of one stored athlete (what the reports show)."""
    from runload import service

    return service.analyze_athlete(store, settings(store, athlete, as_of=as_of, units=units, config=config))


def weekly_table(store_or_result, athlete: str | None = None, *, as_of=None, units: str | None = None, config=None):
    """The weekly table every view shares (:func:`runload.service.weekly_table`), from a store and an
    athlete or from the result of :func:`check` / :func:`analyze`."""
    from runload import service

    if athlete is None:
        return service.weekly_table(store_or_result)
    return service.weekly_table(check(store_or_result, athlete, as_of=as_of, units=units, config=config, only=[]))


def _date(value):
    if value is None:
        return None
    from datetime import date

    return value if isinstance(value, date) else date.fromisoformat(str(value))


__all__ = ["open_store", "import_paths", "settings", "check", "analyze", "weekly_table", "__version__"]
