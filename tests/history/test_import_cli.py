"""``homesim import``: every file written for a good history, and for bad input exit 2 with one
message naming the file (row, column), no traceback, and --out left as it was."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re

import pytest

from homesim.cli import main
from homesim.cli.history import WRITTEN

CAPE_TOWN = "-33.93,18.47,Africa/Johannesburg"


@pytest.fixture(scope="module")
def histories(tmp_path_factory):
    """Three days of a random home with known truth, as a wide CSV and a Home Assistant export."""
    from homesim.history import render
    from homesim.history.synthetic import synthetic_history

    folder = tmp_path_factory.mktemp("history")
    made = synthetic_history(7, days=3)
    wide = render.write_wide(made.history, folder / "wide.csv")
    ha = render.write_ha_history(made.history, folder / "ha.csv", mapping_path=folder / "ha.mapping.yaml",
                                 energy=("grid_import",), corruptions=render.Corruptions(duplicates=20, seed=2))
    return {"wide": wide.path, "ha": ha.path, "ha_mapping": ha.mapping_path, "truth": made.truth, "folder": folder}


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["import", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def listing(folder):
    return sorted((p.relative_to(folder).as_posix(), p.read_bytes()) for p in folder.rglob("*") if p.is_file())


def test_a_wide_csv_gives_every_file_and_they_hold_what_they_say(histories, tmp_path, capsys):
    out = tmp_path / "mine"
    code, printed, err = run(capsys, histories["wide"], "--location", CAPE_TOWN, "--out", out)
    assert code == 0, err
    for name in WRITTEN:
        assert (out / name).stat().st_size > 0, name
    quality = json.loads((out / "quality.json").read_text())
    assert quality["files"][0]["rows"] == 3 * 1440 and quality["files"][0]["layout"] == "wide_csv"
    assert "| `" + str(histories["wide"]) + "` | wide_csv | 4,320 |" in (out / "quality.md").read_text()
    calibration = json.loads((out / "calibration.json").read_text())
    report = calibration["report"]
    assert set(report["errors"]) == {"pv_w", "load_w", "grid_import_w", "grid_export_w", "battery_w", "soc"}
    assert [d["date"] for d in report["days"]] == ["2026-01-05", "2026-01-06", "2026-01-07"]
    assert "kwp" in calibration["fitted"]
    # the load is replayed as measured: its energy matches to the rounding of the CSV
    for month in report["months"]:
        assert month["energy_kwh"]["load"]["error_share"] == pytest.approx(0.0, abs=0.005)
    text = (out / "calibration.md").read_text()
    images = re.findall(r"!\[[^]]*\]\(([^)]+)\)", text)
    assert len(images) >= 2 and all((out / image).read_bytes()[:4] == b"\x89PNG" for image in images)
    from homesim.home import load_home

    home = load_home(out / "home.yaml")  # the home and every file it names
    assert home.start == dt.date(2026, 1, 5) and home.battery is not None
    named = printed.split(f"wrote {out}/: ")[1].strip().split(", ")
    assert sorted(named) == sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert "the calibrated home over the measured period" in printed
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left


def test_a_home_assistant_export_with_its_mapping_imports_and_replaces_a_previous_import(histories, tmp_path, capsys):
    out = tmp_path / "ha"
    out.mkdir()
    (out / "quality.json").write_text("{}")
    (out / "home.yaml").write_text("old")
    (out / "stale.png").write_text("old")
    code, printed, err = run(capsys, histories["ha"], "--mapping", histories["ha_mapping"], "--location", CAPE_TOWN,
                             "--out", out, "--battery-kwh", "10")
    assert code == 0, err
    assert not (out / "stale.png").exists() and (out / "home.yaml").read_text() != "old"
    quality = json.loads((out / "quality.json").read_text())
    assert quality["files"][0]["layout"] == "ha_history"
    assert any(p["kind"] == "duplicate" and p["count"] > 0 for p in quality["problems"])
    fitted = json.loads((out / "calibration.json").read_text())["fitted"]
    assert "battery.capacity_kwh" in fitted
    import yaml

    home = yaml.safe_load((out / "home.yaml").read_text())
    battery = next(d for d in home["devices"] if d["kind"] == "battery")
    assert battery["capacity_kwh"] == 10.0  # given: fixed, not fitted


def write_csv(path, header, rows):
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def minutes(start: str, n: int, step_min: int = 1):
    t0 = dt.datetime.fromisoformat(start)
    return [(t0 + dt.timedelta(minutes=step_min * i)).isoformat() for i in range(n)]


def bad_files(folder, histories):
    """Each bad input: (files, extra options, what the message must say)."""
    empty = folder / "empty.csv"
    empty.write_text("")
    other = folder / "other.csv"
    other.write_text("a;b\nx;y\n")
    text = write_csv(folder / "text.csv", ["Time", "PV power (W)", "Load (W)"],
                     [(t, "0", "on") for t in minutes("2026-01-05T00:00:00+02:00", 2 * 1440)])
    zeros = write_csv(folder / "zeros.csv", ["Time", "PV power (W)", "Load (W)", "Grid import (W)"],
                      [(t, "0", "0", "0") for t in minutes("2026-01-05T00:00:00+02:00", 365 * 24, 60)])
    short = write_csv(folder / "short.csv", ["Time", "PV power (W)", "Load (W)", "Grid import (W)"],
                      [(t, "100", "200", "100") for t in minutes("2026-01-05T00:00:00+02:00", 12 * 60)])
    return {
        "empty": ([empty], [], [str(empty), "empty"]),
        "other layout": ([other], [], [str(other), "row 1", "unknown layout", "ha_history", "wide_csv"]),
        "text column": ([text], [], [str(text), "row 2", "column 'Load (W)'", "text", "'on'"]),
        "a year of zeros": ([zeros], [], [str(zeros), "zero", "365 days"]),
        "shorter than a day": ([short], [], [str(short), "12.0 h", "shorter than a day"]),
        "the other side of the world": ([histories["wide"]], ["--location", "40,-160,Pacific/Honolulu"],
                                        [str(histories["wide"]), "sun", "local time", "sun down", "longitude"]),
        "no such file": ([folder / "nosuch.csv"], [], [str(folder / "nosuch.csv"), "no such"]),
        "a mapping that is not there": ([histories["wide"]], ["--mapping", folder / "nosuch.yaml"],
                                        ["--mapping", "nosuch.yaml", "no such file"]),
    }


@pytest.mark.parametrize("case", ["empty", "other layout", "text column", "a year of zeros", "shorter than a day",
                                  "the other side of the world", "no such file", "a mapping that is not there"])
@pytest.mark.parametrize("out_state", ["missing", "a previous import"])
def test_bad_input_exits_2_naming_where_and_leaves_out_untouched(case, out_state, histories, tmp_path, capsys):
    files, extra, said = bad_files(tmp_path, histories)[case]
    out = tmp_path / "out" / "home"
    if out_state == "a previous import":
        out.mkdir(parents=True)
        (out / "quality.json").write_text('{"files": []}')
        (out / "home.yaml").write_text("name: before\n")
    before = listing(out) if out.exists() else None
    options = ["--location", CAPE_TOWN, *extra] if "--location" not in extra else extra
    code, printed, err = run(capsys, *files, *options, "--out", out)
    assert code == 2
    message = [line for line in err.splitlines() if line.startswith("homesim:")]
    assert len(message) == 1, err
    for words in said:
        assert words in message[0], (words, message[0])
    assert "Traceback" not in err and printed == ""
    if before is None:
        assert not (tmp_path / "out").exists()  # neither --out nor its parent made
    else:
        assert listing(out) == before
    hidden = [p for p in tmp_path.rglob(".*")]
    assert not hidden, hidden  # no temporary folder left behind


@pytest.mark.parametrize("given, said", [
    ("abc", ["--location", "LAT,LON[,TZ]", "-90..90"]),
    ("100,18", ["--location", "latitude 100", "-90..90"]),
    ("-33.9,200", ["--location", "longitude 200", "-180..180"]),
    ("-33.9,18.4,Mars/Olympus", ["--location", "'Mars/Olympus'", "IANA time zone"]),
    ("-33.9", ["--location", "LAT,LON[,TZ]"]),
])
def test_a_bad_location_is_named_with_what_is_allowed(given, said, histories, tmp_path, capsys):
    code, printed, err = run(capsys, histories["wide"], "--location", given, "--out", tmp_path / "out")
    assert code == 2 and printed == ""
    for words in said:
        assert words in err, (words, err)
    assert not (tmp_path / "out").exists()


def test_a_southern_location_is_a_value_and_without_a_zone_the_longitude_gives_one():
    from homesim.cli import build_parser

    args = build_parser().parse_args(["import", "h.csv", "--location", "-33.9,-18.4", "--out", "o"])
    assert args.location == {"latitude": -33.9, "longitude": -18.4, "timezone": "Etc/GMT+1", "zone_given": False}
    args = build_parser().parse_args(["import", "h.csv", "--location", "-33.9,18.4,Africa/Johannesburg", "--out", "o"])
    assert args.location["timezone"] == "Africa/Johannesburg" and args.location["zone_given"]


@pytest.mark.parametrize("option, value, said", [("--kwp", "-3", "must be > 0"), ("--tilt", "95", "0..90"),
                                                  ("--azimuth", "360", "0..360 degrees (360 not included)"),
                                                  ("--battery-kwh", "x", "not a number"),
                                                  ("--step", "0", "1..86400")])
def test_a_bad_known_fact_is_named(option, value, said, histories, tmp_path, capsys):
    code, _, err = run(capsys, histories["wide"], "--location", CAPE_TOWN, "--out", tmp_path / "o", option, value)
    assert code == 2 and option in err and said in err


def test_an_out_folder_holding_other_files_is_refused(histories, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    code, _, err = run(capsys, histories["wide"], "--location", CAPE_TOWN, "--out", out)
    assert code == 2 and "holds other files" in err
    assert listing(out) == [("notes.txt", b"mine")]


def test_the_layout_choices_are_the_readers_layouts():
    """--layout's choices are written out (the parser loads no numpy); they must be the readers'."""
    import argparse

    from homesim.cli import build_parser
    from homesim.history.mapping import LAYOUTS

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    layout = next(a for a in sub.choices["import"]._actions if a.dest == "layout")
    assert tuple(layout.choices) == LAYOUTS
