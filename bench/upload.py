"""Benchmark: a year of 1-minute history uploaded to a live home's planner over its router, as the
UI sends it (``history.upload`` in chunks of ``messages.MAX_UPLOAD_CHUNK`` characters, each waiting
for its reply), inspected (``history.inspect``) and, with ``--import``, imported through the bus
(``history.import``: ``homesim import`` in the planner's child process).

The file is a wide CSV of a random home with known truth (``homesim.history.synthetic``, seed 7,
``--days`` at 60 s, written by ``homesim.history.render.write_wide``). The home is
``examples/tiny.yaml`` run by ``homesim up`` at 5 ticks a second. Prints the file's size, the
seconds and MB/s of the upload, the inspection's and the import's seconds, the machine and its
load average before and after.

    python bench/upload.py [--days 365] [--import]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services"))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "bus"))

from engine import load_average, machine  # noqa: E402
from live import LiveProcess  # noqa: E402

from homesim.history.render import write_wide  # noqa: E402
from homesim.history.synthetic import synthetic_history  # noqa: E402
from homesim.messages import MAX_UPLOAD_CHUNK  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=float, default=365)
    parser.add_argument("--import", dest="run_import", action="store_true", help="also import it through the bus")
    args = parser.parse_args()
    print(f"machine: {machine()}; load before {load_average()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        synthetic = synthetic_history(7, days=args.days)
        path = folder / "year.csv"
        write_wide(synthetic.history, path)
        text = path.read_text()
        size = path.stat().st_size
        print(f"file: {size / 1e6:.1f} MB, {synthetic.history.size:,} rows (written in {time.perf_counter() - started:.1f} s)")
        live = LiveProcess(ROOT / "examples" / "tiny.yaml", folder / "up", "--speed", "5")
        client = live.client("operator")
        try:
            uri = f"home.{live.home_id}.history."
            started = time.perf_counter()
            reply = {"upload": None, "bytes": 0}
            chunks = 0
            for start in range(0, len(text), MAX_UPLOAD_CHUNK):
                reply = client.call_within(120, uri + "upload", name=path.name, text=text[start:start + MAX_UPLOAD_CHUNK],
                                           upload=reply["upload"], offset=reply["bytes"])
                chunks += 1
            took = time.perf_counter() - started
            assert reply["bytes"] == size, (reply, size)
            print(f"upload: {chunks} chunks of {MAX_UPLOAD_CHUNK:,} characters in {took:.1f} s, "
                  f"{size / 1e6 / took:.1f} MB/s")
            started = time.perf_counter()
            seen = client.call_within(300, uri + "inspect", upload=reply["upload"])
            print(f"inspect: {time.perf_counter() - started:.1f} s ({seen['layout']}, {len(seen['columns'])} columns)")
            if args.run_import:
                started = time.perf_counter()
                result = client.call_within(1800, uri + "import", uploads=[reply["upload"]], mapping=seen["mapping"],
                                            latitude=-33.93, longitude=18.47, timezone="Africa/Johannesburg")
                fitted = result["fitted"]
                print(f"import: {time.perf_counter() - started:.1f} s through the bus; "
                      f"kWp {fitted['kwp']['value']:.2f} (truth {synthetic.truth['kwp']:.2f}), "
                      f"battery {fitted['battery.capacity_kwh']['value']:.2f} kWh (usable truth "
                      f"{synthetic.truth['usable_kwh']:.2f})")
        finally:
            client.close()
            live.stop()
    print(f"load after {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
