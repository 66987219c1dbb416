"""Exceptions. The library raises these; only the CLI turns them into messages and exit codes."""

from __future__ import annotations


class RunloadError(Exception):
    """Base class: a problem a user can act on. ``str(err)`` is one sentence."""


class ImportFormatError(RunloadError):
    """A file cannot be read as an activity (corrupt, truncated, unknown format, no time...).

    ``reason`` is the short per-file reason shown in the import summary.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class NotAnActivity(ImportFormatError):
    """A well-formed file that holds no activity (FIT monitoring, settings, a GPX route)."""


class StoreError(RunloadError):
    """The store cannot be opened or written (corrupt, read-only, locked, newer schema)."""


class ConfigError(RunloadError):
    """A configuration file or option value is invalid."""


class NotFound(RunloadError):
    """A named athlete, shoe or week does not exist."""
