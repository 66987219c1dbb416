"""The ``runload`` command line: a thin click layer over the service layer (:mod:`runload.service`).

:mod:`runload.cli.app` holds the group, its error boundary and the exit codes
(also in the README and ``runload --help``); each sibling module registers its
commands on the group when imported (parse the options, make one service call,
render), and the group imports a command's module only when that command is
asked for (:data:`runload.cli.app.COMMAND_MODULES`). Heavy libraries (pandas,
numpy, matplotlib, the importers) load inside the commands that need them, so
``runload --help`` and shell completion stay fast.
"""

from runload.cli.app import (  # noqa: F401  (the public names of the command line)
    COMMAND_MODULES, EXIT_ALERT, EXIT_CODES_HELP, EXIT_ERROR, EXIT_HANGUP, EXIT_INTERRUPTED, EXIT_NO_ACTIVITY_FILES,
    EXIT_NO_DATA, EXIT_OK, EXIT_SKIPPED, EXIT_TERMINATED, EXIT_USAGE, EXIT_WARNING, RunloadGroup, Terminated, cli,
    main,
)
