"""The ``homesim`` command: ``simulate``, ``compare``, ``validate`` (:mod:`.simulation`); ``import``
(:mod:`.history`: a measured history in, a calibrated home out); ``plan``,
``optimize``, ``sweep-worker``, ``sweep-results`` (:mod:`.planning`); ``up``, ``ledger``, ``report``
(:mod:`.live`); ``specs``, ``credentials``, ``tariff`` (:mod:`.tools`). Their shared option types and helpers
are :mod:`.options`. Each command module imports what it runs inside its functions, so that
``homesim --help`` and a bad option answer without loading numpy, pandas or the bus.

Exit status: 0 done, 2 bad input (home file, option or schedule file: one clear message,
no traceback, nothing written), 3 ``sweep-results``: some variants have no result yet (named),
141 the reader of stdout went away (``homesim ... | head -1``: the conventional status of a
process ended by SIGPIPE, quietly), 1 anything else.
"""

from __future__ import annotations

import argparse
import os
import sys

from homesim.cli import history, live, planning, simulation, tools
from homesim.cli.options import EXIT_BAD_INPUT, EXIT_BROKEN_PIPE, EXIT_INCOMPLETE, Parser
from homesim.errors import BadInput

__all__ = ["EXIT_BAD_INPUT", "EXIT_BROKEN_PIPE", "EXIT_INCOMPLETE", "build_parser", "main"]

#: The command groups, in the order ``homesim --help`` lists their commands.
GROUPS = (simulation, history, planning, live, tools)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="homesim",
        description="Home energy simulator: PV, battery, hybrid inverter, grid and loads, Joule for Joule.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a command; the exit status (see the module's doc). A closed stdout (``| head -1``)
    ends any command quietly with :data:`EXIT_BROKEN_PIPE`."""
    try:
        status = _main(argv)
        sys.stdout.flush()  # here, not at exit: a reader gone is seen here
        return status
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_BROKEN_PIPE


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a file (captured, replaced)
        pass


def _main(argv: list[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help (0) or an option error (2, already printed)
        return done.code if isinstance(done.code, int) else EXIT_BAD_INPUT
    from homesim.devices.generic_load import ProfileError
    from homesim.devices.weather import WeatherFileError
    from homesim.home import HomeFileError
    from homesim.loadshedding import ScheduleError

    try:
        return args.run(args)
    except (HomeFileError, ScheduleError, ProfileError, WeatherFileError, BadInput) as error:
        print(f"homesim: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
