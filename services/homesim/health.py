"""Is this container healthy? The images' HEALTHCHECK: ``python -m homesim.health``.

A homesim process is healthy when its metrics server answers and says the process has a
session on the router (``homesim_bus_connected 1``); the router is healthy when it accepts
connections on its port. Standard library only: the router image runs it too.

    python -m homesim.health                  # a homesim process (port $HOMESIM_METRICS_PORT)
    python -m homesim.health --router         # the router (port $HOMESIM_ROUTER_PORT)

Exit status 0 healthy, 1 not (with the reason on stderr).
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import sys
import urllib.request

CONNECTED = re.compile(r"^homesim_bus_connected\{[^}]*\}\s+([0-9.eE+-]+)\s*$", re.MULTILINE)


def process_health(port: int, timeout_s: float = 3.0) -> str | None:
    """``None`` when the process on metrics ``port`` is connected to the router, else why not."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=timeout_s) as response:
            text = response.read().decode()
    except OSError as error:
        return f"no metrics on port {port}: {error}"
    values = CONNECTED.findall(text)
    if not values:
        return f"port {port} serves no homesim_bus_connected metric"
    if float(values[0]) != 1.0:
        return "not connected to the router"
    return None


def router_health(port: int, timeout_s: float = 3.0) -> str | None:
    """``None`` when something accepts connections on ``port``, else why not."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout_s):
            return None
    except OSError as error:
        return f"the router does not accept connections on port {port}: {error}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m homesim.health", description=__doc__.splitlines()[0])
    parser.add_argument("--router", action="store_true", help="check the router instead of a homesim process")
    parser.add_argument("--port", type=int, help="port to check (default from the environment)")
    args = parser.parse_args(argv)
    if args.router:
        problem = router_health(args.port or int(os.environ.get("HOMESIM_ROUTER_PORT", "8080")))
    else:
        problem = process_health(args.port or int(os.environ.get("HOMESIM_METRICS_PORT", "9100")))
    if problem:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
