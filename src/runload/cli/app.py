"""The ``runload`` group, its error boundary and the exit codes; the commands live in the sibling modules.

Exit codes (also in the README and ``runload --help``):

====  ==================================================================
0     success; for ``summary``/``check --fail-on``: nothing at or above the level
1     error: one sentence on stderr (bad store, unknown athlete, bad config ...)
2     usage error (unknown option, bad value)
3     ``import``/``sync`` finished but some files were skipped for the first time (each listed with its reason)
4     ``summary``/``check --fail-on``: a finding at ``warning`` level (none higher)
5     ``summary``/``check --fail-on``: a finding at ``alert`` level
6     ``import`` found no FIT, GPX or TCX file at all in the paths given (one line on stderr)
7     ``summary``: the week has no data (no activity recorded since an earlier date)
129   stopped by SIGHUP (terminal closed); whole files already imported are kept
130   interrupted (Ctrl-C)
143   stopped by SIGTERM (``kill``, ``timeout``, systemd); whole files already imported are kept
====  ==================================================================
"""

from __future__ import annotations

import gc
import importlib
import os
import signal
import sqlite3
import sys
import threading

import click

from runload import __version__
from runload.errors import RunloadError
from runload.safetext import one_line, safe_label, terminal_safe

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_SKIPPED = 3
EXIT_WARNING = 4
EXIT_ALERT = 5
EXIT_NO_ACTIVITY_FILES = 6
EXIT_NO_DATA = 7
EXIT_INTERRUPTED = 130
EXIT_HANGUP = 128 + signal.SIGHUP
EXIT_TERMINATED = 128 + signal.SIGTERM

EXIT_CODES_HELP = """\b
Exit codes:
  0  success (summary/check --fail-on: nothing at or above the level)
  1  error, explained in one sentence on stderr
  2  usage error (unknown option or bad value)
  3  import/sync finished but some files were skipped (new skips only)
  4  summary/check --fail-on: a warning was found (no alert)
  5  summary/check --fail-on: an alert was found
  6  import found no FIT, GPX or TCX file at all
  7  summary: no data in the week (check that the import works)
  129 stopped by SIGHUP
  130 interrupted (Ctrl-C)
  143 stopped by SIGTERM
"""


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised in the main thread and handled like Ctrl-C."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _raise_terminated(signum, frame):
    raise Terminated(signum)


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
_STOPPED_BY = {signal.SIGTERM: "Stopped (SIGTERM)", signal.SIGHUP: "Stopped (SIGHUP, terminal closed)"}


#: The module of :mod:`runload.cli` that registers each command. A command's module is imported when the
#: command is first asked for, so each command loads only its own (``runload import`` does not load the
#: report commands: 10 ms of its start-up); ``--help`` and completion list them all. A test holds this
#: table to what the modules register.
COMMAND_MODULES = {
    "activities": "log", "athletes": "log", "changes": "log", "chart": "chart", "check": "analysis",
    "gaps": "gaps", "import": "imports", "imports": "log", "report": "reports", "shoes": "analysis",
    "summary": "reports", "sync": "sync", "weeks": "imports",
}


class RunloadGroup(click.Group):
    """Turns library errors into one sentence and an exit code; never a traceback. Loads commands on demand."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMAND_MODULES) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            importlib.import_module(f"runload.cli.{COMMAND_MODULES[cmd_name]}")  # registers its commands
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context):
        previous = {}
        if threading.current_thread() is threading.main_thread():
            for signum in _STOP_SIGNALS:
                previous[signum] = signal.signal(signum, _raise_terminated)
            if hasattr(signal, "SIGXFSZ"):  # a file-size limit: a write fails (a sentence), not a kill
                previous[signal.SIGXFSZ] = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        try:
            return self._invoke(ctx)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except RunloadError as err:
            click.echo(f"Error: {terminal_safe(str(err))}", err=True)
            ctx.exit(EXIT_ERROR)
        except Terminated as err:
            for signum in _STOP_SIGNALS:  # a second signal while the pool stops must not cut the message
                signal.signal(signum, signal.SIG_IGN)
            _say(f"{_STOPPED_BY[err.signum]}; whole files already imported are kept.")
            ctx.exit(128 + err.signum)
        except KeyboardInterrupt:
            click.echo("Interrupted; whole files already imported are kept.", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except sqlite3.DatabaseError as err:
            from runload.store import _db_error_sentence, default_db_path

            path = (ctx.obj or {}).get("db_path") or default_db_path()
            click.echo(f"Error: {_db_error_sentence(path, err)}", err=True)
            ctx.exit(EXIT_ERROR)
        except UnicodeDecodeError as err:
            if not _raised_in_store(err):
                _unexpected(ctx, err)
            from runload.store import default_db_path

            path = (ctx.obj or {}).get("db_path") or default_db_path()
            click.echo(f"Error: the store {path} is damaged (a stored text is not valid UTF-8); it was left "
                       "untouched — restore a backup or use another --db", err=True)
            ctx.exit(EXIT_ERROR)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:
            sys.stderr.close()
            ctx.exit(EXIT_OK)
        except OSError as err:
            where = f" ({safe_label(err.filename)})" if getattr(err, "filename", None) else ""
            click.echo(f"Error: {err.strerror or err}{where}.", err=True)
            ctx.exit(EXIT_ERROR)
        except Exception as err:  # noqa: BLE001 - last line of defence at the boundary
            _unexpected(ctx, err)


def main() -> None:
    """The ``runload`` program (the console script and ``python -m runload``): :func:`cli`, then exit."""
    try:
        cli(prog_name="runload")
    finally:
        # The process ends now, and every object it holds goes with it: frozen, they are not walked by the
        # collector's last full pass at shutdown (measured: 8 ms of the 0.5 s 280-file FIT import). Only
        # here, not in ``cli``: a process that calls ``cli`` and goes on keeps its collector whole.
        gc.freeze()


def _unexpected(ctx: click.Context, err: Exception) -> None:
    if os.environ.get("RUNLOAD_DEBUG"):
        raise err
    click.echo(
        f"Error: unexpected problem ({type(err).__name__}: {one_line(str(err))}); run again with "
        "RUNLOAD_DEBUG=1 for details and please report it.",
        err=True,
    )
    ctx.exit(EXIT_ERROR)


def _raised_in_store(err: BaseException) -> bool:
    """True when the innermost runload frame of ``err`` is the store's (SQLite handed it bad text)."""
    tb, last = err.__traceback__, None
    while tb is not None:
        if f"{os.sep}runload{os.sep}" in tb.tb_frame.f_code.co_filename:
            last = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    return last is not None and os.path.basename(last) == "store.py"


def _say(text: str) -> None:
    """One line on stderr that may find it closed (SIGHUP: the terminal is gone)."""
    try:
        click.echo(text, err=True)
    except OSError:
        pass


@click.group(cls=RunloadGroup, epilog=EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_path", type=click.Path(dir_okay=False), envvar="RUNLOAD_DB", show_envvar=True,
              help="The store file (default: ~/.local/share/runload/runload.db).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), envvar="RUNLOAD_CONFIG",
              show_envvar=True, help="A TOML file of thresholds (default: ~/.config/runload/config.toml).")
@click.version_option(__version__, prog_name="runload")
@click.pass_context
def cli(ctx: click.Context, db_path: str | None, config_path: str | None) -> None:
    """runload: training-load risk flags for runners, from your watch's files.

    Import watch exports (FIT, GPX, TCX, gzip, folders, Strava/Garmin export
    zips) into a local store, then look at weekly mileage and load risk flags.
    """
    ctx.ensure_object(dict)
    ctx.obj["db_path"] = db_path
    ctx.obj["config_path"] = config_path
