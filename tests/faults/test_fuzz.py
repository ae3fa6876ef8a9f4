"""Fuzzing (hypothesis) the home file loader, every RPC's arguments and every message payload
with random and malformed values: wrong types, NaN, infinities, huge numbers, negative
capacities, unknown fields, deep nesting, huge strings. Always a clear error (or a drop with a
logged reason for messages); never another exception, and never a changed state."""

from __future__ import annotations

import copy
import logging
import math
import sys
from pathlib import Path

import pytest
from autobahn.wamp.exception import ApplicationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contracts"))

from conftest import EXAMPLES, paths, replaced  # noqa: E402
from kinds_drawn import all_kinds  # noqa: E402
from homesim import messages  # noqa: E402
from homesim.bus.arguments import rpc_arguments  # noqa: E402
from homesim.devices import KINDS  # noqa: E402
from homesim.home import HomeFileError, home_from_dict, read_home_file  # noqa: E402

INVALID = "homesim.error.invalid_property"
FUZZ = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])

# Nasty scalars: wrong types, NaN, infinities, huge and negative numbers, huge strings.
NASTY = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63, max_value=2**200),
    st.integers(max_value=-(2**63)), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, -1, -1e300, 1e300, 0, "", "NaN", "inf", "-5"]),
    st.text(max_size=40), st.integers(min_value=1, max_value=20).map(lambda k: "x" * (k * 50_000)),
)
JSONISH = st.recursive(NASTY, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=12)


def deeply_nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


REFERENCE = read_home_file(EXAMPLES / "home.yaml")
REFERENCE_PATHS = [p for p in paths(REFERENCE) if p]


def clear(error: HomeFileError) -> None:
    """A clear error: at least one problem, each a readable line naming where."""
    assert error.problems and all(isinstance(p, str) and p for p in error.problems)
    assert len(str(error)) < 20_000  # a huge bad value is not echoed whole


@FUZZ
@given(path=st.sampled_from(REFERENCE_PATHS), value=JSONISH)
def test_any_field_of_the_reference_home_replaced_by_anything(path, value):
    data = replaced(REFERENCE, path, value)
    try:
        home = home_from_dict(data, home_dir=EXAMPLES)
    except HomeFileError as error:
        clear(error)
        return
    assert home.devices  # accepted: a home that validates


@FUZZ
@given(data=JSONISH)
def test_any_document_as_a_home_file(data):
    try:
        home_from_dict(data, home_dir=EXAMPLES)
    except HomeFileError as error:
        clear(error)


#: Properties set on any kind (besides the drawn kind's own): some of other kinds, one of none.
OTHER_PROPERTIES = ["capacity_kwh", "rated_power_w", "power_w", "setpoint_c", "modules", "soc_min", "volume_l", "colour",
                    "tilt_deg", "mean_cloud_cover"]


@FUZZ
@given(kind=st.sampled_from(all_kinds()), data=st.data())
def test_a_device_with_malformed_properties(kind, data):
    own = sorted(set(KINDS[kind].Config.model_fields) - {"id", "kind"})
    extra = data.draw(st.dictionaries(st.sampled_from(own + OTHER_PROPERTIES), NASTY, min_size=1, max_size=3))
    home = {**REFERENCE, "devices": [{"id": "d", "kind": kind, **extra}]}
    try:
        home_from_dict(home, home_dir=EXAMPLES)
    except HomeFileError as error:
        clear(error)


@pytest.mark.parametrize("text", [
    "[" * 100_000 + "]" * 100_000,  # deep nesting
    "a: &a [*a, *a]\n",  # a self-referencing alias
    "devices: " + "x" * 5_000_000,  # a huge string
    "\x00\x01binary",
    "name: [unclosed",
    "- just\n- a list\n",
])
def test_a_home_file_that_is_not_a_home(tmp_path, text):
    path = tmp_path / "home.yaml"
    path.write_text(text)
    with pytest.raises(HomeFileError) as refused:
        home_from_dict(read_home_file(path), source=str(path), home_dir=tmp_path)
    clear(refused.value)


def shared(leaf: object, levels: int, breadth: int) -> object:
    """``breadth ** levels`` leaves in lists that share their parts (what YAML aliases build):
    up to 12 ** 12 (9e12) leaves in a few kilobytes; formatted whole it would never end."""
    value = leaf
    for _ in range(levels):
        value = [value] * breadth
    return value


@FUZZ
@given(path=st.sampled_from(REFERENCE_PATHS + [("finance",), ("finance", "pv_per_kwp"), ("finance", "loan")]),
       levels=st.integers(1, 12), breadth=st.integers(1, 12), leaf=NASTY)
def test_any_field_replaced_by_a_value_of_billions_of_shared_parts(path, levels, breadth, leaf):
    """Issue 24: an error never formats a huge value whole (it cuts a bounded prefix), and lists
    at most 20 problems and a count."""
    data = copy.deepcopy(REFERENCE)
    if path[0] == "finance" and len(path) > 1:
        data["finance"] = {}
    data = replaced(data, path, shared(leaf, levels, breadth))
    try:
        home_from_dict(data, home_dir=EXAMPLES)
    except HomeFileError as error:
        clear(error)
        assert len(error.problems) <= 21
        assert all(len(p) < 2_000 for p in error.problems)


@FUZZ
@given(count=st.integers(1, 30_000), prefix=st.sampled_from(["x", "pv_per_kwp", "devices", "kind", "on"]))
def test_many_unknown_fields_are_listed_20_and_counted(count, prefix):
    """Issue 24: thousands of problems are formatted in linear time, 20 of them listed."""
    data = {**REFERENCE, **{f"{prefix}_{i}": i for i in range(count)}}
    with pytest.raises(HomeFileError) as error:
        home_from_dict(data, home_dir=EXAMPLES)
    clear(error.value)
    assert len(error.value.problems) == min(count, 20) + (count > 20)
    if count > 20:
        assert error.value.problems[-1] == f"... and {count - 20:,} more problem{'s' if count > 21 else ''}"


# --- messages --------------------------------------------------------------------------------

MODELS = sorted({m for t in messages.TOPICS for m in t.messages} | {p.request for p in messages.PROCEDURES},
                key=lambda m: m.__name__)


def _samples():
    from samples import samples

    return samples()


SAMPLES = _samples()


#: Fields that carry a home, a device, its properties or state, a what-if's values or report
#: rows as free data (validated by the home's models, or the state topic's per-kind models,
#: where they are used); a grid's ``load_shedding`` to preview (validated by the grid's
#: LoadShedding model in bus/shedding.py, tests/bus/test_loadshedding_rpc.py).
FREE_FORM = ("home", "properties", "state", "device", "vary", "rows", "load_shedding")


def assert_sane(parsed) -> None:
    """What passes the boundary holds no NaN, infinity or integer beyond what JS holds."""
    def walk(value):
        if isinstance(value, float):
            assert math.isfinite(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            assert abs(value) <= messages.MAX_SAFE_INTEGER
        elif isinstance(value, dict):
            for k, v in value.items():
                if k not in FREE_FORM:
                    walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)
    walk(parsed.model_dump())


@FUZZ
@given(model=st.sampled_from(MODELS), payload=JSONISH)
def test_any_payload_is_parsed_or_dropped(model, payload):
    parsed = messages.parse(model, payload, "fuzz")
    if parsed is not None and model.model_config.get("extra") != "allow":  # free-form: see below
        assert_sane(parsed)


@FUZZ
@given(model=st.sampled_from([m for m in MODELS if SAMPLES.get(m.__name__)]), data=st.data(), value=NASTY)
def test_a_valid_payload_with_one_field_broken(model, data, value):
    sample = data.draw(st.sampled_from(SAMPLES[model.__name__]))
    field_paths = [p for p in paths(sample) if p]
    if not field_paths:
        return
    broken = replaced(sample, data.draw(st.sampled_from(field_paths)), value)
    parsed = messages.parse(model, broken, "fuzz")
    if parsed is not None and model.model_config.get("extra") != "allow":
        assert_sane(parsed)


def test_a_dropped_message_is_logged_with_its_reason(caplog):
    with caplog.at_level(logging.WARNING, logger="homesim.bus"):
        assert messages.parse(messages.GridEnergy, {"tick": 1, "grid_on": True, "import_price": math.inf,
                                                    "export_price": 0}, "home.h.device.grid.energy") is None
    assert "home.h.device.grid.energy" in caplog.text and "import_price" in caplog.text


# --- RPC arguments and the state behind them ---------------------------------------------------

@FUZZ
@given(request=st.sampled_from([p.request for p in messages.PROCEDURES]),
       arguments=st.dictionaries(st.text(max_size=12), JSONISH, max_size=3))
def test_any_rpc_arguments_are_accepted_or_refused_clearly(request, arguments):
    try:
        parsed = rpc_arguments(request, **arguments)
    except ApplicationError as error:
        assert error.error == INVALID and error.args[0]
        return
    if request.model_config.get("extra") == "allow":
        return  # free-form (a device's property changes): its handler validates them, fuzzed below
    assert_sane(parsed)


@FUZZ
@given(speed=JSONISH)
def test_clock_set_speed_refuses_without_changing_the_pace(speed):
    from homesim.bus.clock import Clock

    clock = Clock(10.0, 60)
    before = clock.view()
    try:
        clock.set_speed(speed)
    except ApplicationError as error:
        assert error.error == INVALID and "speed" in error.args[0]
        assert clock.view() == before
        return
    assert clock.speed is None or (math.isfinite(clock.speed) and clock.speed > 0)


@FUZZ
@given(device=st.sampled_from(["battery", "geyser", "inverter", "pv_east", "grid", "nosuch"]), changes=JSONISH)
def test_device_set_refuses_without_changing_the_home(device, changes):
    from homesim.bus.device import changed_home

    home = home_from_dict(copy.deepcopy(REFERENCE), home_dir=EXAMPLES)
    before = home.model_dump(mode="json")
    try:
        changed_home(home, device, changes, EXAMPLES)
    except ApplicationError as error:
        assert error.error == INVALID and error.args[0]
    except ValueError:  # an unknown device id: the device process answers only for its own id
        assert device == "nosuch"
    assert home.model_dump(mode="json") == before


@FUZZ
@given(operation=st.sampled_from(["add", "remove", "switch", "set_properties"]),
       first=JSONISH, second=JSONISH)
def test_controller_operations_refuse_without_changing_the_desired_home(tmp_path_factory, operation, first, second):
    from homesim.bus.controller import DesiredHome

    live = tmp_path_factory.mktemp("desired")
    desired = DesiredHome.open(live, EXAMPLES, EXAMPLES / "home.yaml")
    before = (desired.home.model_dump(mode="json"), set(desired.off), desired.version,
              (live / "home.yaml").read_text())
    action = getattr(desired, operation)
    try:
        action(first) if operation in ("add", "remove") else action(first, second)
    except ApplicationError as error:
        assert error.error == INVALID and error.args[0]
        after = (desired.home.model_dump(mode="json"), set(desired.off), desired.version,
                 (live / "home.yaml").read_text())
        assert after == before
        return
    reopened = DesiredHome.open(live, EXAMPLES)  # what it accepted, it wrote as a valid home
    assert reopened.home.model_dump(mode="json") == desired.home.model_dump(mode="json")

