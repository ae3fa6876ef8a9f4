"""The home's services, each its own process: ``python -m homesim.bus.services NAME``.

``authorizer`` (tickets and device permissions), ``recorder`` (settlements to SQLite),
``clock`` (ticks and speed), ``watcher`` (live topology), ``controller`` (devices added,
removed, switched) and ``planner`` (what-ifs with the fast-forward engine). The list is :data:`homesim.credentials.SERVICES`. The inverter is a device process
(``python -m homesim.bus.device``) that runs with the service role.
"""

from __future__ import annotations

import importlib
import os
import sys

from homesim.bus.session import setup_logging
from homesim.credentials import SERVICES  # the one list of them


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] not in SERVICES:
        print(f"usage: python -m homesim.bus.services {{{'|'.join(SERVICES)}}}", file=sys.stderr)
        return 2

    setup_logging(args[0])
    module = importlib.import_module(f"homesim.bus.{args[0]}")
    getattr(module, f"run_{args[0]}")()
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] != ["planner"]:  # only the planner runs the engine; the others stay light (homesim.jit)
        os.environ.setdefault("HOMESIM_JIT", "0")
    sys.exit(main())
