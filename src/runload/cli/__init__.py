"""The ``runload`` command line: a thin click layer over the library.

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
130   interrupted (Ctrl-C)
====  ==================================================================
"""

from __future__ import annotations

import os
import sys

import click

from runload import __version__
from runload.errors import RunloadError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_SKIPPED = 3
EXIT_WARNING = 4
EXIT_ALERT = 5
EXIT_NO_ACTIVITY_FILES = 6
EXIT_NO_DATA = 7
EXIT_INTERRUPTED = 130

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
  130 interrupted
"""


class RunloadGroup(click.Group):
    """Turns library errors into one sentence and an exit code; never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except RunloadError as err:
            click.echo(f"Error: {err}", err=True)
            ctx.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            click.echo("Interrupted; whole files already imported are kept.", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:
            sys.stderr.close()
            ctx.exit(EXIT_OK)
        except OSError as err:
            where = f" ({err.filename})" if getattr(err, "filename", None) else ""
            click.echo(f"Error: {err.strerror or err}{where}.", err=True)
            ctx.exit(EXIT_ERROR)
        except Exception as err:  # noqa: BLE001 - last line of defence at the boundary
            if os.environ.get("RUNLOAD_DEBUG"):
                raise
            click.echo(
                f"Error: unexpected problem ({type(err).__name__}: {err}); run again with RUNLOAD_DEBUG=1 "
                "for details and please report it.",
                err=True,
            )
            ctx.exit(EXIT_ERROR)


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


# the command modules register their commands on ``cli`` when imported
from runload.cli import analysis, chart, gaps, imports, log, reports, sync  # noqa: E402,F401
