"""Commands that write what other tools read: ``specs`` (the AsyncAPI document), ``credentials``
(a Docker Compose ``.env``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from homesim.cli.options import (
    out_dir,
)


def add_commands(commands) -> None:
    """This group's subcommands, each with its options and the function that runs it."""
    spec = commands.add_parser("specs", help="write the AsyncAPI document of the bus (from homesim/messages.py)")
    spec.add_argument("--out", type=Path, default=Path("specs"), help="output folder (default specs/)")
    spec.set_defaults(run=cmd_specs)

    cred = commands.add_parser("credentials", help="print fresh random credentials of a home for Docker Compose (.env)",
                               description="Print a .env file with fresh random credentials for the home's router, "
                                           "services and devices: `homesim credentials HOME > .env`, then "
                                           "`docker compose up`. Keep it private; never commit it.")
    cred.add_argument("home", type=Path, help="home definition file (YAML)")
    cred.set_defaults(run=cmd_credentials)


def cmd_specs(args: argparse.Namespace) -> int:
    from homesim.generators import specs
    out_dir(args.out)
    print(f"wrote {specs.write(args.out)}")
    return 0


def cmd_credentials(args: argparse.Namespace) -> int:
    from homesim.generators.compose import credentials_env
    from homesim.home import home_from_dict, read_home_file

    home = home_from_dict(read_home_file(args.home), source=str(args.home), home_dir=args.home.parent)
    sys.stdout.write(credentials_env(home))
    return 0
