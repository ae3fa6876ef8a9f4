"""Commands that write what other tools read: ``specs`` (the AsyncAPI document), ``credentials``
(a Docker Compose ``.env``), ``tariff`` (a URDB tariff in the home file's native form)."""

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

    tar = commands.add_parser(
        "tariff", help="write a tariff in the OpenEI Utility Rate Database's JSON layout as the home file's tariff:",
        description="Read a URDB rate (a JSON record, or the API's answer with 'items') and write it in homesim's "
                    "native form, the YAML a grid's tariff: takes. Notes on what is read differently go to stderr; "
                    "demand charges and other parts homesim can't bill are refused, named.")
    tar.add_argument("file", type=Path, help="URDB JSON file")
    tar.add_argument("--out", type=Path, default=None, help="write the YAML here (default: print it)")
    tar.set_defaults(run=cmd_tariff)


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


def cmd_tariff(args: argparse.Namespace) -> int:
    import yaml

    from homesim.errors import BadInput
    from homesim.tariffs.urdb import UrdbError, native_data, read_urdb

    try:
        tariff, notes = read_urdb(args.file)
    except UrdbError as error:
        raise BadInput(str(error)) from None
    text = (f"# homesim tariff from {args.file.name} (homesim tariff): put it under a grid's tariff: in a home file\n"
            + yaml.safe_dump(native_data(tariff), sort_keys=False, default_flow_style=None, allow_unicode=True,
                             width=110))
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    if args.out.parent and not args.out.parent.is_dir():
        raise BadInput(f"--out {args.out}: no folder {args.out.parent}")
    partial = args.out.with_name(args.out.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(args.out)  # whole or not at all
    print(f"wrote {args.out}")
    return 0
