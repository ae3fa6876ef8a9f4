"""Fuzzing (hypothesis) the homesim command as a person uses it: WHOLE home files as YAML text
and the command line's options, run in-process through ``homesim.cli.main``.

Home files: the examples with values replaced by nasty scalars written unquoted (impossible
dates, YAML 1.1 booleans, ``.nan``, sexagesimal ``12:30``, explicit tags it can't be, undefined
aliases), YAML 1.1 booleans and numbers as keys, keys removed or renamed, random kinds; and fully
random small homes. Options: every run option with good and bad values.

Always: exit 0, or exit 2 with one first line and, after it, only field-level lines
``  <path>: ...``; never another exception, never exit 1. A home ``validate`` accepts must
``simulate`` too. The case counts are in the settings below (and printed at the end).
"""

from __future__ import annotations

import contextlib
import copy
import io
import re
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import EXAMPLES, paths
from homesim.cli import main
from homesim.devices import KINDS
from homesim.home import parse_yaml

#: Generated cases per test (kept explicit: the fuzzer's case counts).
HOME_CASES = 120
RANDOM_HOME_CASES = 80
OPTION_CASES = 60
HOSTILE_CASES = 40
FUZZ = dict(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: Cases actually run, by test (printed at the end of the module).
RAN: dict[str, int] = {}

#: A field-level line of a refusal: an indented ``<path>: <what>``, or the count of problems
#: beyond the first 20.
FIELD_LINE = re.compile(r"^  \S[^\n]*?: \S|^  \.\.\. and [\d,]+ more problems?$")

#: Scalars written into the YAML text as they are, unquoted.
RAW_VALUES = [
    "true", "false", "yes", "no", "on", "off", "y", "n", "~", "null", "", "[]", "{}", "[1, 2]", "{a: 1}",
    "2026-02-30", "2026-13-01", "2026-01-05", "0000-01-01", "9999-12-31", "2026-02-30T10:00:00",
    "2026-01-05T25:00:00", "2026-01-05T10:00:00+99:00", "1899-12-31",
    "0", "-1", "-5.5", "1e400", "1.0e400", "-.inf", ".inf", ".nan", "0x1F", "0o17", "0b101", "1_000", "12:30",
    "190:20:30", "99999999999999999999999", "-99999999999999999999", "'quoted'", "\"\\u0000\"",
    "!!int abc", "!!float x", "!!timestamp x", "!!bool maybe", "!!str 5", "!!binary ===", "*undefined",
    "&anchor 5", "abc", "x" * 300, "pvlib:nosuch.csv", "loadshedding/stage_timeline.csv", "nope.csv",
    "\"00:00\"", "\"24:00\"", "\"25:61\"", "Africa/Johannesburg", "Not/AZone",
]
#: Keys written into the YAML text as they are.
RAW_KEYS = ["on", "off", "yes", "no", "true", "false", "1", "1.5", "~", "2026-01-05", "kind", "id", "colour",
            "capacty_kwh", "'on'", "\"\""]

KIND_NAMES = sorted(KINDS) + ["nosuch", ""]
EXAMPLE_NAMES = ["home.yaml", "tiny.yaml", "no_battery.yaml"]
EXAMPLE_DATA = {name: parse_yaml((EXAMPLES / name).read_text()) for name in EXAMPLE_NAMES}


EXAMPLE_PATHS = {name: [p for p in paths(data) if p] for name, data in EXAMPLE_DATA.items()}


def render(data, raw: dict[str, str]) -> str:
    """YAML text of ``data`` with each placeholder replaced by its raw (unquoted) YAML."""
    text = yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=10_000)
    for placeholder, token in raw.items():
        text = text.replace(placeholder, token)
    return text


@st.composite
def mutated_example(draw) -> str:
    """An example home with a few values replaced, keys renamed or removed, kinds changed."""
    name = draw(st.sampled_from(EXAMPLE_NAMES))
    data = copy.deepcopy(EXAMPLE_DATA[name])
    raw: dict[str, str] = {}
    for n in range(draw(st.integers(1, 4))):
        where = draw(st.sampled_from([p for p in paths(data) if p]))
        parent = data
        try:
            for step in where[:-1]:
                parent = parent[step]
            parent[where[-1]]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed it
        placeholder = f"RAWTOKENX{n}Q"
        operation = draw(st.sampled_from(["value", "value", "value", "key", "remove", "kind"]))
        if operation == "value":
            raw[placeholder] = draw(st.sampled_from(RAW_VALUES))
            parent[where[-1]] = placeholder
        elif operation == "key" and isinstance(parent, dict):
            raw[placeholder] = draw(st.sampled_from(RAW_KEYS))
            parent[placeholder] = parent.pop(where[-1])
        elif operation == "remove":
            del parent[where[-1]]
        elif operation == "kind":
            devices = data.get("devices") if isinstance(data, dict) else None
            if isinstance(devices, list) and devices and isinstance(devices[0], dict):
                index = draw(st.integers(0, len(devices) - 1))
                if isinstance(devices[index], dict):
                    devices[index]["kind"] = draw(st.sampled_from(KIND_NAMES))
    return render(data, raw)


PLAUSIBLE = st.one_of(st.integers(-10, 5000), st.floats(-10, 5000, allow_nan=False), st.booleans(), st.none(),
                      st.sampled_from(["essential", "non_essential", "05:00", "22:00", "clouds", "file",
                                       "battery_first", "zero_export"]))


@st.composite
def random_home(draw) -> str:
    """A small home of random devices with random (often nonsensical) properties."""
    raw: dict[str, str] = {}
    devices = []
    for i in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(KIND_NAMES))
        device = {"id": draw(st.sampled_from([f"d{i}", kind or "x", "Bad Id", "d0"])), "kind": kind}
        fields = list(KINDS[kind].Config.model_fields) if kind in KINDS else ["power_w"]
        for field in draw(st.lists(st.sampled_from(fields), max_size=3, unique=True)):
            if field in ("id", "kind"):
                continue
            if draw(st.booleans()):
                placeholder = f"RAWTOKENX{i}{field}Q"
                raw[placeholder] = draw(st.sampled_from(RAW_VALUES))
                device[field] = placeholder
            else:
                device[field] = draw(PLAUSIBLE)
        devices.append(device)
    raw["RAWSTARTQ"] = draw(st.sampled_from(["2026-01-05", "2026-02-30", "2026-13-01", "1800-01-01", "x", "true"]))
    data = {
        "name": draw(st.sampled_from(["h", "", "x" * 100, "RAWNAMEQ"])),
        "location": {"latitude": draw(st.sampled_from([-33.9, 0, 95, True])),
                     "longitude": draw(st.sampled_from([18.4, -181, False])),
                     "timezone": draw(st.sampled_from(["Africa/Johannesburg", "UTC", "Nowhere/Else"]))},
        "start": "RAWSTARTQ",
        "devices": devices,
    }
    raw["RAWNAMEQ"] = draw(st.sampled_from(RAW_VALUES))
    if draw(st.booleans()):
        data["seed"] = draw(st.sampled_from([1, -1, True, 2**40]))
    return render(data, raw)


def run(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([str(a) for a in args])
    return status, out.getvalue(), err.getvalue()


def assert_clear(status: int, err: str, what: str) -> None:
    """Exit 0, or exit 2 with a first line and only field-level lines after it."""
    assert status in (0, 2), f"{what}: exit {status}\n{err}"
    if status == 2:
        lines = [line for line in err.splitlines() if not line.startswith("simulating [")]
        assert lines and lines[0].startswith("homesim"), f"{what}: {err}"
        bad = [line for line in lines[1:] if not FIELD_LINE.match(line)]
        assert not bad, f"{what}: not field-level: {bad}\n{err}"
        assert "Traceback" not in err
        assert len(lines) <= 22 and all(len(line) < 2_000 for line in lines), f"{what}: not capped"


def workspace() -> Path:
    """A folder with the examples' load-shedding files next to where the home is written."""
    folder = Path(tempfile.mkdtemp(prefix="fuzz_cli_"))
    (folder / "loadshedding").symlink_to(EXAMPLES / "loadshedding")
    return folder


def check_home_text(text: str) -> None:
    folder = workspace()
    home = folder / "home.yaml"
    home.write_text(text)
    status, _, err = run("validate", home)
    assert_clear(status, err, f"validate\n{text}")
    out = folder / "out"
    simulated, _, serr = run("simulate", home, "--days", "0.05", "--step", "600", "--no-plots", "--format", "csv",
                             "--out", out)
    assert_clear(simulated, serr, f"simulate\n{text}")
    if status == 0:
        assert simulated == 0, f"validate accepted, simulate refused:\n{serr}\n{text}"
        assert (out / "ledger.csv").exists()
    else:
        assert simulated == 2 and not out.exists(), "simulate accepted what validate refused (or wrote)"


@settings(max_examples=HOME_CASES, **FUZZ)
@given(text=mutated_example())
def test_a_mutated_example_home_validates_and_simulates_or_is_refused_clearly(text):
    RAN["mutated example homes"] = RAN.get("mutated example homes", 0) + 1
    check_home_text(text)


@settings(max_examples=RANDOM_HOME_CASES, **FUZZ)
@given(text=random_home())
def test_a_random_small_home_validates_and_simulates_or_is_refused_clearly(text):
    RAN["random small homes"] = RAN.get("random small homes", 0) + 1
    check_home_text(text)


OPTION_VALUES = {
    "--days": ["0.05", "0.0001", "1e300", "-1", "nan", "inf", "x", "0.5", ""],
    "--step": ["600", "3600", "0", "86401", "x", "1.5", "-60"],
    "--start": ["2026-06-01", "2026-02-30", "1899-12-31", "2199-12-31", "x", "0001-01-01"],
    "--seed": ["1", "-1", "4294967296", "x"],
    "--format": ["csv", "parquet", "xls"],
    "--plot-day": ["2026-03-01", "2030-01-01", "2026-02-30"],
}


@settings(max_examples=OPTION_CASES, **FUZZ)
@given(options=st.dictionaries(st.sampled_from(sorted(OPTION_VALUES)), st.just(None), max_size=4),
       data=st.data(), out=st.sampled_from(["folder", "file", "below_file", "fresh/nested"]),
       home=st.sampled_from(["tiny.yaml", "no_battery.yaml", "missing.yaml"]))
def test_simulate_options_run_or_are_refused_clearly(options, data, out, home):
    RAN["simulate option sets"] = RAN.get("simulate option sets", 0) + 1
    folder = workspace()
    (folder / "file").write_text("x")
    (folder / "folder").mkdir()
    target = {"folder": folder / "folder", "file": folder / "file", "below_file": folder / "file" / "x",
              "fresh/nested": folder / "fresh" / "nested"}[out]
    args = ["simulate", EXAMPLES / home, "--out", target, "--no-plots"]
    if "--days" not in options:
        args += ["--days", "0.05"]
    for option in options:
        args += [option, data.draw(st.sampled_from(OPTION_VALUES[option]))]
    status, _, err = run(*args)
    assert_clear(status, err, " ".join(map(str, args)))
    if status == 0:
        assert out in ("folder", "fresh/nested")


@settings(max_examples=OPTION_CASES // 2, **FUZZ)
@given(vary=st.lists(st.sampled_from([
    "pv.rated_power_w=500,1000", "pv.rated_power_w=[", "pv.rated_power_w=true", "pv.rated_power_w=2026-02-30",
    "pv.rated_power_w.x=1", "pv.=1", "=1", "pv.rated_power_w=", "nosuch.x=1", "load.power_w=!!int x",
    "load.power_w=1,,2", "load.switch.min_pv_surplus_w=10", "load.switch=5", "load.on=1", "grid.outages=[]",
]), min_size=1, max_size=2), workers=st.sampled_from([None, "0", "1", "x"]))
def test_compare_options_run_or_are_refused_clearly(vary, workers):
    RAN["compare option sets"] = RAN.get("compare option sets", 0) + 1
    folder = workspace()
    args = ["compare", EXAMPLES / "tiny.yaml", "--days", "0.05", "--step", "600", "--out", folder / "c"]
    for v in vary:
        args += ["--vary", v]
    if workers is not None:
        args += ["--workers", workers]
    status, _, err = run(*args)
    assert_clear(status, err, " ".join(map(str, args)))


@st.composite
def hostile_document(draw) -> str:
    """A YAML document built to hang or exhaust a reader (issue 24): nested aliases ("billion
    laughs") of any depth and breadth, a value that contains itself, tens of thousands of keys
    or list items, a scalar of megabytes, deep nesting."""
    shape = draw(st.sampled_from(["laughs", "recursive", "keys", "items", "huge", "deep"]))
    field = draw(st.sampled_from(["pv_per_kwp", "name", "devices", "loan", "nosuch"]))
    if shape == "laughs":
        levels, breadth = draw(st.integers(1, 12)), draw(st.integers(1, 12))
        text = "a0: &a0 [" + ", ".join(["lol"] * breadth) + "]\n"
        for level in range(1, levels):
            text += f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * breadth) + "]\n"
        return text + f"{field}: *a{levels - 1}\n"
    if shape == "recursive":
        return f"{field}: &r [1, *r]\n"
    if shape == "keys":
        return "".join(f"{field}_{i}: {i}\n" for i in range(draw(st.integers(1, 60_000))))
    if shape == "items":
        return f"{field}: [" + ", ".join(["1"] * draw(st.integers(1, 60_000))) + "]\n"
    if shape == "huge":
        return f"{field}: " + "x" * draw(st.integers(1, 9_000_000)) + "\n"
    depth = draw(st.integers(1, 5_000))
    return f"{field}: " + "[" * depth + "]" * depth + "\n"


@settings(max_examples=HOSTILE_CASES, **FUZZ)
@given(document=hostile_document(), where=st.sampled_from(["home file", "home's finance:", "finance file"]))
def test_a_hostile_home_or_finance_file_is_refused_at_once(document, where):
    RAN["hostile files"] = RAN.get("hostile files", 0) + 1
    folder = workspace()
    home = folder / "home.yaml"
    reference = (EXAMPLES / "home.yaml").read_text()
    if where == "home file":
        home.write_text(document)
        args = ["validate", home]
    elif where == "home's finance:":
        home.write_text(reference + "finance:\n" + "".join(f"  {line}\n" for line in document.splitlines()))
        args = ["plan", home, "--years", "1", "--out", folder / "out"]
    else:
        home.write_text(reference)
        (folder / "finance.yaml").write_text(document)
        args = ["plan", home, "--finance", folder / "finance.yaml", "--years", "1", "--out", folder / "out"]
    status, _, err = run(*args)
    assert status == 2, f"{where}: {document[:300]}"  # no document of these shapes is a home or prices
    assert_clear(status, err, f"{where}: {document[:300]}")
    assert not (folder / "out").exists()


def test_zz_case_counts(request):
    """The fuzzer's case counts (settings above; what ran is printed)."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    line = "fuzz_cli cases run: " + ", ".join(f"{k} {v}" for k, v in RAN.items()) + \
        f" (settings: {HOME_CASES} mutated, {RANDOM_HOME_CASES} random, {OPTION_CASES} simulate options, " \
        f"{OPTION_CASES // 2} compare options, {HOSTILE_CASES} hostile files)"
    if reporter is not None:
        reporter.write_line("\n" + line)
    print(line)
