"""``homesim import``: a home's measured history in, a calibrated home file and its reports out.

Steps (each long one says so on stderr, with its time): read and clean the history files
(:func:`homesim.history.readers.read_history`), calibrate a twin of the home
(:func:`homesim.history.calibrate.calibrate`), simulate the twin over the measured period and
compare it with the history (:mod:`homesim.history.report`). Everything is written into a
temporary folder beside ``--out`` and moved into place at the end: a bad file (exit 2, its file,
row and column named) leaves ``--out`` as it was.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from homesim.cli.options import positive_float, tick_s
from homesim.errors import BadInput

#: What an import writes (besides the calibrated home's own files and the report's plots).
WRITTEN = ("quality.md", "quality.json", "home.yaml", "calibration.md", "calibration.json")
LOCATION_HELP = ("LAT,LON[,TZ]: latitude -90..90 and longitude -180..180 [degrees, north and east positive], "
                 "and the IANA time zone of the home's clock (e.g. -33.92,18.42,Africa/Johannesburg)")


def add_commands(commands) -> None:
    """This group's subcommands, each with its options and the function that runs it."""
    imp = commands.add_parser(
        "import", help="a home's measured history in: a calibrated home file, its data-quality and calibration reports",
        description="Read a home's measured history (Home Assistant history or statistics CSV, a wide CSV, Victron "
                    "VRM stats JSON), report its data quality, calibrate a home file to it (PV system, battery, "
                    "inverter settings, the household's load) and say how closely that home, simulated over the "
                    "measured period, reproduces the history. Writes OUT/quality.md and .json, OUT/home.yaml and the "
                    "files it refers to, OUT/calibration.md and .json and the report's plots; nothing if an input "
                    "is bad (exit 2, the file, row and column named).")
    imp.add_argument("history", type=Path, nargs="+", metavar="HISTORY", help="history file(s) of one home")
    imp.add_argument("--location", type=location, required=True, metavar="LAT,LON[,TZ]",
                     help=f"where the home is: {LOCATION_HELP}; without TZ, the whole-hour zone of the longitude")
    imp.add_argument("--out", type=Path, required=True, help="output folder (new, empty or a previous import's: replaced)")
    imp.add_argument("--mapping", type=Path, metavar="FILE",
                     help="YAML naming the column or entity of each quantity and its unit (default: guessed from "
                          "names and units, said in quality.md)")
    imp.add_argument("--layout", choices=("ha_history", "ha_statistics", "wide_csv", "vrm_stats"),
                     help="the files' layout (default: recognised from each file)")
    imp.add_argument("--weather", type=Path, metavar="FILE",
                     help="weather of the measured period or a typical year (EPW or TMY3 CSV) for the PV fit "
                          "(default: the clear-sky and clouds model)")
    imp.add_argument("--step", type=tick_s, default=60, help="grid step of the history and the simulation [s] (default 60)")
    known = imp.add_argument_group("known facts", "what you know of the system: fixed, not fitted")
    known.add_argument("--kwp", type=positive_float, metavar="KWP", help="PV array's rated power [kWp]")
    known.add_argument("--tilt", type=angle(0, 90), metavar="DEG", help="PV array's tilt from horizontal [degrees]")
    known.add_argument("--azimuth", type=angle(0, 360, below_high=True), metavar="DEG",
                       help="PV array's azimuth [degrees clockwise from north: 0 north, 90 east, 180 south]")
    known.add_argument("--battery-kwh", type=positive_float, metavar="KWH", help="battery's capacity [kWh] (the home file's capacity_kwh)")
    # A southern or western location starts with "-": argparse takes only a bare number for a
    # negative value, not "-33.9,18.4,...", so it is told that such a word is a value too.
    imp._negative_number_matcher = re.compile(r"^-\d+$|^-\d*\.\d+$|^-\d*\.?\d*,")
    imp.set_defaults(run=cmd_import)


def location(text: str) -> dict:
    """``LAT,LON[,TZ]`` as a home file's location (the time zone checked; without one, the
    whole-hour ``Etc/GMT`` zone of the longitude)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    parts = [p.strip() for p in text.split(",")]
    if len(parts) not in (2, 3):
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed: must be {LOCATION_HELP}")
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: latitude and longitude must be numbers; {LOCATION_HELP}") from None
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        raise argparse.ArgumentTypeError(f"latitude {parts[0]} is not allowed: must be -90..90 degrees")
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        raise argparse.ArgumentTypeError(f"longitude {parts[1]} is not allowed: must be -180..180 degrees")
    if len(parts) == 3:
        zone = parts[2]
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise argparse.ArgumentTypeError(f"time zone {zone!r} is not allowed: must be an IANA time zone name "
                                             f"such as Africa/Johannesburg or Europe/Berlin") from None
    else:
        hours = round(lon / 15)
        zone = "UTC" if hours == 0 else f"Etc/GMT{-hours:+d}"  # Etc/GMT-2 is UTC+2 (POSIX's sign)
    return {"latitude": lat, "longitude": lon, "timezone": zone, "zone_given": len(parts) == 3}


def angle(low: float, high: float, below_high: bool = False):
    """An angle option [degrees] in ``low..high`` (``below_high``: ``high`` itself not allowed)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not (math.isfinite(value) and low <= value and (value < high if below_high else value <= high)):
            bound = f"{low:g}..{high:g} degrees" + (f" ({high:g} not included)" if below_high else "")
            raise argparse.ArgumentTypeError(f"{text} is not allowed: must be {bound}")
        return value
    parse.__name__ = "angle"
    return parse


def _stage(label: str):
    """Say on stderr that a step starts; returns a function that says it ended, and when."""
    began = time.perf_counter()
    print(f"{label}...", file=sys.stderr, flush=True)

    def done(what: str = "") -> float:
        seconds = time.perf_counter() - began
        print(f"{label}: done in {seconds:.2f} s{(' (' + what + ')') if what else ''}", file=sys.stderr, flush=True)
        return seconds
    return done


def _check_out(out: Path) -> None:
    """``--out`` must be new, empty, or a previous import's folder (replaced at the end)."""
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out {out}: is a file; give a folder")
    if out.is_dir() and any(out.iterdir()) and not all((out / name).exists() for name in ("quality.json", "home.yaml")):
        raise BadInput(f"--out {out}: holds other files; give a new or empty folder (a previous import's folder, "
                       f"with its quality.json and home.yaml, is replaced)")
    anchor = out.parent
    while not anchor.exists():
        anchor = anchor.parent
    if not os.access(anchor, os.W_OK | os.X_OK):
        raise BadInput(f"--out {out}: can't write into {anchor} (permission denied)")


def _inputs(args: argparse.Namespace) -> None:
    for path in args.history:
        if not path.is_file():
            raise BadInput(f"{path}: no such history file")
    for option, path in (("--mapping", args.mapping), ("--weather", args.weather)):
        if path is not None and not path.is_file():
            raise BadInput(f"{option} {path}: no such file")


def cmd_import(args: argparse.Namespace) -> int:
    from homesim.history.series import HistoryError

    _inputs(args)
    _check_out(args.out)
    anchor = args.out.parent
    while not anchor.exists():
        anchor = anchor.parent
    tmp = Path(tempfile.mkdtemp(prefix=f".{args.out.name}.importing-", dir=anchor))
    try:
        lines = _import(args, tmp)
        _move_into_place(tmp, args.out)
    except HistoryError as error:
        message = str(error)
        if not any(str(path) in message for path in args.history):  # about the whole history: name its files
            message = f"{', '.join(str(p) for p in args.history)}: {message}"
        raise BadInput(message) from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    for line in lines:
        print(line)
    return 0


def _move_into_place(tmp: Path, out: Path) -> None:
    """``tmp`` becomes ``out``; a previous ``out`` is removed only once the new one is in place."""
    out.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.replaced-{os.getpid()}")
        out.rename(old)
    try:
        os.replace(tmp, out) if tmp.parent == out.parent else shutil.move(str(tmp), str(out))
    except OSError:
        if old is not None:
            old.rename(out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _import(args: argparse.Namespace, tmp: Path) -> list[str]:
    """Every step into ``tmp``; what to print when it is in place."""
    import yaml

    from homesim.engine.fastforward import simulate
    from homesim.history import report, report_plots, report_text
    from homesim.history.calibrate import calibrate
    from homesim.history.readers import read_history
    from homesim.home import Location, load_home
    from homesim.progress import ProgressBar

    loc = args.location
    done = _stage(f"reading {len(args.history)} history file(s)")
    history = read_history(list(args.history), timezone=loc["timezone"], mapping=args.mapping, step_s=args.step,
                           layout=args.layout)
    done(f"{sum(f['rows'] for f in history.quality.files):,} rows")
    if not loc["zone_given"]:
        history.quality.notes.append(f"no time zone given with --location: read in {loc['timezone']}, the whole-hour "
                                     f"zone of longitude {loc['longitude']:g} (no daylight saving time)")
    quality = history.quality.to_dict()
    (tmp / "quality.json").write_text(json.dumps(quality, indent=2, allow_nan=False) + "\n")
    (tmp / "quality.md").write_text(report_text.quality_markdown(quality, history))

    done = _stage("calibrating")
    given = {k: v for k, v in (("kwp", args.kwp), ("tilt_deg", args.tilt), ("azimuth_deg", args.azimuth),
                                 ("capacity_kwh", args.battery_kwh)) if v is not None}
    where = Location(latitude=loc["latitude"], longitude=loc["longitude"], timezone=loc["timezone"])
    cal = calibrate(history, where, weather=args.weather, given=given or None)
    done()
    files = dict(cal.files)
    for rel, text in files.items():
        path = tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    data = json.loads(json.dumps(cal.home, default=_plain))  # plain numbers (a fit may leave numpy's)
    files.update(_take_in(data, args.weather, tmp))
    (tmp / "home.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    home = load_home(tmp / "home.yaml")

    first, days = report.period(history)
    done = _stage(f"simulating the calibrated home from {first} for {days:g} days")
    ledger = simulate(home, days, args.step, first, on_progress=ProgressBar("simulating"))
    done()
    done = _stage("comparing and plotting")
    result = report.compare(history, ledger)
    plots = report_plots.write_plots(result, tmp)
    data = {"fitted": cal.fitted, "notes": list(cal.notes), "report": result.to_dict()}
    (tmp / "calibration.json").write_text(json.dumps(data, indent=2, allow_nan=False, default=_plain) + "\n")
    (tmp / "calibration.md").write_text(report_text.calibration_markdown(cal.fitted, cal.notes, result.to_dict(), plots))
    done()
    return _printed(args, history, quality, cal, result, [*WRITTEN, *sorted(files), *plots.values()])


def _take_in(home: dict, weather: Path | None, folder: Path) -> dict[str, str]:
    """The weather file the calibrated home names by the path it was given (relative to where
    the command runs), copied beside the home file and named from there: the folder stands on
    its own. The copies' relative paths."""
    copied: dict[str, str] = {}
    if weather is None:
        return copied
    for device in home.get("devices", []):
        if device.get("file") == str(weather):
            rel = f"calibrated/{weather.name}"
            (folder / "calibrated").mkdir(exist_ok=True)
            shutil.copyfile(weather, folder / rel)
            device["file"] = rel
            copied[rel] = ""
    return copied


def _plain(value):
    """JSON for numpy numbers and paths a calibration may hold."""
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def _printed(args: argparse.Namespace, history, quality: dict, cal, result, files: list[str]) -> list[str]:
    from homesim.history import report_text

    out = args.out
    lines = report_text.import_summary(quality, history, cal.fitted, result.to_dict())
    lines += ["", f"wrote {out}/: " + ", ".join(dict.fromkeys(files))]
    return lines
