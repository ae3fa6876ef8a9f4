"""The property tests draw their device kinds from the kinds' registry, so a kind added is
drawn by every fuzzer (the balance fuzzer once drew from a hand-typed list of 7 load kinds and
never drew the three kinds added after it)."""

from __future__ import annotations

import ast
import importlib.util

import pytest

from conftest import ROOT
from homesim import devices

from kinds_drawn import activity_kinds, all_kinds, load_kinds

TESTS = ROOT / "tests"
THROWAWAY_KIND = TESTS / "contracts" / "churn" / "dishwasher.py"


def hand_typed_kind_lists(source: str, kinds: set[str]) -> list[int]:
    """Lines where ``sampled_from`` is given a literal list (tuple, set) of two or more strings,
    every one a kind's name."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.List | ast.Tuple | ast.Set)):
            continue
        called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        names = [e.value for e in node.args[0].elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        if called == "sampled_from" and len(names) >= 2 and len(names) == len(node.args[0].elts) \
                and set(names) <= kinds:
            lines.append(node.lineno)
    return lines


def test_no_test_samples_a_hand_typed_list_of_kinds():
    kinds = set(devices.KINDS)
    found = [f"{path.relative_to(ROOT)}:{line}" for path in sorted(TESTS.rglob("*.py"))
             for line in hand_typed_kind_lists(path.read_text(), kinds)]
    assert not found, f"draw kinds from the registry (tests/kinds_drawn.py), not a hand-typed list: {found}"


def test_the_check_finds_a_hand_typed_list():
    kinds = {"fridge", "tv", "oven"}
    assert hand_typed_kind_lists('k = st.sampled_from(["fridge", "tv"])', kinds) == [1]
    assert hand_typed_kind_lists('k = st.sampled_from(("oven", "tv", "fridge"))', kinds) == [1]
    # device ids that are not all kinds, or one kind, are not a list of kinds
    assert hand_typed_kind_lists('k = st.sampled_from(["tv", "pv_east", "nosuch"])', kinds) == []
    assert hand_typed_kind_lists('k = st.sampled_from(kinds() + ["tv"])', kinds) == []


def test_the_registry_is_what_is_drawn():
    loads = {k for k, m in devices.KINDS.items() if issubclass(m.Config, devices.base.LoadConfig)}
    assert set(all_kinds()) == set(devices.KINDS) and set(load_kinds()) == loads
    assert {"ev_charger", "pool_pump", "heat_pump_water_heater"} <= loads  # the three the 7-kind list missed
    assert {"kettle", "lights", "tv", "generic_load", "oven", "geyser", "fridge"} == set(activity_kinds())


def test_a_kind_added_is_drawn(monkeypatch):
    """A throwaway profile load put in the registry is drawn with no change to the fuzzers."""
    spec = importlib.util.spec_from_file_location("throwaway_dishwasher", THROWAWAY_KIND)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    before = set(load_kinds())
    monkeypatch.setitem(devices.KINDS, "dishwasher", module)
    assert set(all_kinds()) - set(devices.KINDS) == set() and "dishwasher" in all_kinds()
    assert set(load_kinds()) == before | {"dishwasher"}
    assert "dishwasher" in activity_kinds()  # a ProfileLoad: the bounded-activity fuzzer draws it too


@pytest.mark.parametrize("path", ["engine/test_properties.py", "invariants/test_invariant_bounded_activities.py",
                                  "invariants/invariants_homes.py", "faults/test_fuzz.py"])
def test_the_fuzzers_read_the_registry(path):
    """Each fuzzer that samples kinds takes them from tests/kinds_drawn.py."""
    assert "from kinds_drawn import" in (TESTS / path).read_text()
    assert not hand_typed_kind_lists((TESTS / path).read_text(), set(devices.KINDS))


def test_a_kind_drawn_is_not_left_out_by_hand():
    """The bounded-activity reference knows every profile and thermostat kind of the registry."""
    source = (TESTS / "invariants" / "invariants_activities.py").read_text()
    missing = [kind for kind in activity_kinds() if f'"{kind}"' not in source]
    assert not missing, f"tests/invariants/invariants_activities.py has no reference for {missing}"
