"""Bad input gets a clear field-level error, exit status 2, no traceback, nothing written
(issue 13, hardening): impossible dates, YAML 1.1 booleans as keys, booleans for numbers,
files a home names, run options, a closed stdout."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import sqlite3
import subprocess
import sys

import pytest
import yaml

from conftest import EXAMPLES, ROOT
from homesim.cli import main
from homesim.home import HomeFileError, home_from_dict, load_home, read_home_file


def parse_yaml(text: str):
    from homesim.home import parse_yaml

    return parse_yaml(text)

HEAD = """name: t
location: {latitude: -33.9, longitude: 18.4, timezone: Africa/Johannesburg}
start: 2026-01-05
devices:
  - {id: pv, kind: pv_array, rated_power_w: 1000}
"""


def run(*args) -> tuple[int, str, str]:
    """``homesim ARGS`` in this process: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([str(a) for a in args])
    return status, out.getvalue(), err.getvalue()


def home_file(tmp_path, text: str):
    path = tmp_path / "home.yaml"
    path.write_text(text)
    return path


def refused(tmp_path, text: str, *args) -> list[str]:
    """The lines of a refusal by ``validate`` (exit 2, no traceback)."""
    status, _, err = run("validate", home_file(tmp_path, text), *args)
    assert status == 2, err
    assert "Traceback" not in err
    return err.splitlines()


# --- 1. impossible dates -----------------------------------------------------------------------

@pytest.mark.parametrize("date", ["2026-02-30", "2026-13-01", "2026-00-10"])
def test_an_impossible_start_date_names_the_field(tmp_path, date):
    lines = refused(tmp_path, HEAD.replace("2026-01-05", date))
    assert f"  start: '{date}' is not allowed: must be a date YYYY-MM-DD" in "\n".join(lines)


def test_an_impossible_outage_time_names_the_field(tmp_path):
    text = HEAD + "  - {id: grid, kind: grid, outages: [{start: 2026-02-30T10:00:00, end: 2026-03-01T10:00:00}]}\n"
    lines = refused(tmp_path, text)
    assert any(line.startswith("  devices[1].outages[0].start: '2026-02-30T10:00:00' is not allowed") for line in lines)


def test_the_loader_keeps_an_impossible_date_as_its_text():
    assert parse_yaml("a: 2026-02-30\nb: 2026-01-05") == {"a": "2026-02-30", "b": dt.date(2026, 1, 5)}
    with pytest.raises(yaml.YAMLError):  # an explicit tag it can't be: a YAML error, not a crash
        parse_yaml("a: !!int abc")


# --- 2. YAML 1.1 booleans as keys ----------------------------------------------------------------

def test_on_and_yes_keys_stay_names_and_values_stay_booleans():
    data = parse_yaml("lights: {on: 1, off: 2, yes: 3, no: 4, true: 5, false: 6, enabled: yes, other: off}\n"
                      "base: &b {on: 7}\nmerged: {<<: *b}")
    assert data["lights"] == {"on": 1, "off": 2, "yes": 3, "no": 4, "true": 5, "false": 6, "enabled": True,
                              "other": False}
    assert data["merged"] == {"on": 7}


def test_the_readmes_lights_on_loads(tmp_path):
    text = HEAD + "  - {id: lights, kind: lights, power_w: 60, on: [{start: '18:00', end: '22:00'}], enabled: yes}\n"
    home = load_home(home_file(tmp_path, text))
    lights = home.device("lights")
    assert lights.on[0].start == "18:00" and lights.enabled is True


def test_a_number_as_a_key_names_the_field_and_the_fix(tmp_path):
    lines = refused(tmp_path, HEAD + "  - {id: load, kind: generic_load, power_w: 5, 1: x}\n")
    assert "  devices[1]: key 1 must be a name in quotes, e.g. \"1\": ...; field names are text" in lines


def test_what_safe_dump_writes_reads_back_the_same(tmp_path):
    home = load_home(EXAMPLES / "home.yaml")
    data = home.model_dump(mode="json")
    assert parse_yaml(yaml.safe_dump(data, sort_keys=False)) == data
    assert home_from_dict(parse_yaml(yaml.safe_dump(data)), home_dir=EXAMPLES).model_dump(mode="json") == data


# --- 3. booleans for numbers -------------------------------------------------------------------

@pytest.mark.parametrize("device, field, line", [
    ("{id: lights, kind: lights, power_w: true}", None, "devices[1].power_w: True is not allowed: must be a number"),
    ("{id: battery, kind: battery, capacity_kwh: false}", None,
     "devices[1].capacity_kwh: False is not allowed: must be a number"),
    ("{id: weather, kind: weather, mean_cloud_cover: [true, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]}", None,
     "devices[1].mean_cloud_cover[0]: True is not allowed: must be a number"),
    ("{id: load, kind: generic_load, power_w: 5, switch: {min_pv_surplus_w: true}}", None,
     "devices[1].switch.min_pv_surplus_w: True is not allowed: must be a number"),
])
def test_a_boolean_where_a_number_goes_is_refused(tmp_path, device, field, line):
    assert f"  {line}" in refused(tmp_path, HEAD + f"  - {device}\n")


def test_a_boolean_for_a_number_of_the_home_or_location_is_refused(tmp_path):
    text = HEAD.replace("latitude: -33.9", "latitude: true") + "seed: true\n"
    lines = refused(tmp_path, text)
    assert "  location.latitude: True is not allowed: must be a number" in lines
    assert "  seed: True is not allowed: must be a whole number" in lines


def test_a_live_set_refuses_a_boolean_for_a_number():
    from autobahn.wamp.exception import ApplicationError

    from homesim.bus.device import changed_home

    home = load_home(EXAMPLES / "home.yaml")
    before = home.model_dump(mode="json")
    with pytest.raises(ApplicationError) as caught:
        changed_home(home, "battery", {"capacity_kwh": True}, EXAMPLES)
    assert "capacity_kwh: True is not allowed: must be a number" in caught.value.args[0]
    assert home.model_dump(mode="json") == before


# --- 4. validate checks the files a home names ------------------------------------------------------

def test_validate_names_each_missing_or_unreadable_file(tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "binary.csv").write_bytes(bytes(range(128, 256)))
    text = HEAD + """  - {id: weather, kind: weather, model: file, file: "pvlib:nosuch.csv"}
  - {id: l1, kind: generic_load, profile_csv: missing.csv}
  - {id: l2, kind: generic_load, profile_csv: folder}
  - {id: l3, kind: generic_load, profile_csv: binary.csv}
  - {id: grid, kind: grid, load_shedding: {area_schedule_csv: nope.csv, stages: [{stage: 2, start: 2026-01-05T00:00:00, end: 2026-01-06T00:00:00}]}}
"""
    lines = refused(tmp_path, text)
    assert lines[1].startswith("  devices[1].file: 'pvlib:nosuch.csv' is not a weather file shipped with pvlib")
    assert lines[2].startswith("  devices[2].profile_csv: ") and "no such profile file" in lines[2]
    assert lines[3].startswith("  devices[3].profile_csv: ") and "Is a directory" in lines[3]
    assert lines[4].startswith("  devices[4].profile_csv: ") and "not a text file" in lines[4]
    assert lines[5].startswith("  devices[5].load_shedding.area_schedule_csv: ") and "no such file" in lines[5]
    status, _, err = run("simulate", tmp_path / "home.yaml", "--days", "1", "--out", tmp_path / "out")
    assert status == 2 and err.splitlines() == lines and not (tmp_path / "out").exists()


def test_up_refuses_a_missing_file_before_starting_anything(tmp_path):
    lines = refused(tmp_path, HEAD + "  - {id: l1, kind: generic_load, profile_csv: missing.csv}\n")
    status, out, err = run("up", tmp_path / "home.yaml", "--out", tmp_path / "live", "--ticks", "1")
    assert status == 2 and err.splitlines() == lines
    assert not (tmp_path / "live").exists()  # no router, no process, no folder


def test_validate_refuses_a_weather_file_that_does_not_exist(tmp_path):
    lines = refused(tmp_path, HEAD + "  - {id: weather, kind: weather, model: file, file: nope.epw}\n")
    assert lines[1].startswith("  devices[1].file: weather file ") and "does not exist" in lines[1]


# --- 5. run options and every command ----------------------------------------------------------------

def test_fewer_days_than_one_tick_is_refused(tmp_path):
    status, _, err = run("simulate", EXAMPLES / "home.yaml", "--days", "0.0001", "--step", "3600",
                         "--out", tmp_path / "out")
    assert status == 2
    assert err.startswith("homesim: --days 0.0001 at --step 3600 is less than one tick: give --days of at least")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args, expected", [
    (["--days", "inf"], "argument --days: inf is not allowed: must be a finite number"),
    (["--days", "1e300"], "argument --days: 1e300 is not allowed: must be at most"),
    (["--start", "0001-01-01"], "argument --start: 0001-01-01 is not allowed: must be 1900-01-01..2199-12-31"),
    (["--start", "2026-02-30"], "argument --start: '2026-02-30' is not a date YYYY-MM-DD"),
    (["--plot-day", "2030-01-01"], "--plot-day 2030-01-01 is not allowed: must be a day of the run"),
    (["--step", "x"], "argument --step: 'x' is not a whole number of seconds"),
])
def test_bad_simulate_options_are_one_line_naming_the_option(tmp_path, args, expected):
    status, _, err = run("simulate", EXAMPLES / "tiny.yaml", "--days", "1", "--out", tmp_path / "out", *args)
    assert status == 2 and expected in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "out").exists()


def test_an_out_folder_that_is_a_file_or_cannot_be_made(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    for command in (["simulate", EXAMPLES / "tiny.yaml", "--days", "1", "--no-plots"], ["specs"]):
        status, _, err = run(*command, "--out", afile)
        assert status == 2 and err == f"homesim: --out {afile}: is a file; give a folder\n"
        status, _, err = run(*command, "--out", afile / "below")
        assert status == 2 and err.startswith(f"homesim: --out {afile / 'below'}: can't make the folder")


@pytest.mark.parametrize("vary, expected", [
    ("pv.rated_power_w=[", "'[' is not a value"),
    ("pv.rated_power_w=2026-02-30", "devices[0].rated_power_w: '2026-02-30' is not allowed: must be a number"),
    ("pv.rated_power_w=true", "devices[0].rated_power_w: True is not allowed: must be a number"),
    ("pv.rated_power_w.x=1", "pv.rated_power_w is not a group of properties"),
])
def test_a_malformed_vary_is_refused(tmp_path, vary, expected):
    status, _, err = run("compare", EXAMPLES / "tiny.yaml", "--vary", vary, "--days", "1", "--out", tmp_path / "c")
    assert status == 2 and expected in err and "Traceback" not in err, err


@pytest.mark.parametrize("args, expected", [
    (["compare", EXAMPLES / "tiny.yaml", "--vary", "pv.rated_power_w=1", "--workers", "0"],
     "argument --workers: 0 is not allowed: must be >= 1"),
    (["up", EXAMPLES / "tiny.yaml", "--port", "70000"], "argument --port: 70000 is not allowed: must be 0..65535"),
    (["up", EXAMPLES / "tiny.yaml", "--ticks", "-1"], "argument --ticks: -1 is not allowed: must be >= 0"),
    (["report", "x.sqlite", "--day", "2026-02-30"], "argument --day: '2026-02-30' is not a date YYYY-MM-DD"),
    (["report", "x.sqlite", "--month", "2026-13"], "argument --month: '2026-13' is not a month YYYY-MM"),
    (["nosuch"], "invalid choice: 'nosuch'"),
])
def test_bad_options_of_every_command(args, expected):
    status, _, err = run(*args)
    assert status == 2 and expected in err and len(err.splitlines()) == 1, err


def test_ledger_and_report_of_a_file_that_is_not_a_database(tmp_path):
    for command in (["ledger", EXAMPLES / "home.yaml", "--out", tmp_path / "l"], ["report", EXAMPLES / "home.yaml",
                                                                                    "--out", tmp_path / "r"]):
        status, _, err = run(*command)
        assert status == 2 and "not a homesim recorder database" in err and len(err.splitlines()) == 1, err
    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).close()
    status, _, err = run("ledger", empty, "--out", tmp_path / "l")
    assert status == 2 and "not a homesim recorder database" in err
    assert not (tmp_path / "l").exists() and not (tmp_path / "r").exists()


def test_a_closed_stdout_ends_quietly_with_141():
    env = dict(os.environ, PYTHONPATH=str(ROOT / "services"))
    process = subprocess.Popen([sys.executable, "-m", "homesim", "validate", str(EXAMPLES / "home.yaml")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    process.stdout.close()  # the reader is gone before the first line (as `| head -0`)
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141  # cli.EXIT_BROKEN_PIPE
    assert err == ""


def test_help_is_exit_0_in_process():
    status, out, _ = run("--help")
    assert status == 0 and out.startswith("usage: homesim")


def test_the_bus_reads_the_live_home_as_a_home_file(tmp_path):
    # what `homesim up` writes for the controller reads back through the home loader
    home = load_home(EXAMPLES / "home.yaml")
    path = tmp_path / "home.yaml"
    path.write_text("# live\n" + yaml.safe_dump(home.model_dump(mode="json"), sort_keys=False))
    assert home_from_dict(read_home_file(path), home_dir=EXAMPLES).model_dump(mode="json") == home.model_dump(mode="json")


def test_a_bad_home_file_error_is_still_a_home_file_error(tmp_path):
    with pytest.raises(HomeFileError):
        load_home(home_file(tmp_path, "start: 2026-02-30\n"))
