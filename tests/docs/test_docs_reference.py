"""The docs' generated reference (docs/generate.py): complete, described, generic over the kinds.

Every kind and field has a description (units in brackets for numbers), every kind, field, CLI
option, topic, procedure, metric, ledger column, summary key and chart value appears in the
pages, and a kind added to the registry appears with no change to the generator.
"""

from __future__ import annotations

import re
import sys
import types
import typing
from typing import ClassVar, Literal

import pytest
import yaml
from pydantic import Field

from conftest import ROOT

sys.path.insert(0, str(ROOT / "docs"))
import generate  # noqa: E402

from homesim.devices import KINDS  # noqa: E402
from homesim.devices.base import DeviceConfig  # noqa: E402
from homesim.home import Home  # noqa: E402
from homesim.units import quantity, unit_of  # noqa: E402


def test_every_kind_and_field_has_a_description():
    assert generate.missing_descriptions() == []


def _has_float(annotation) -> bool:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _has_float(typing.get_args(annotation)[0])
    if origin is not None:
        return any(_has_float(a) for a in typing.get_args(annotation))
    return annotation is float


def test_every_number_that_is_a_quantity_has_its_unit_as_data():
    roots = [(Home, "home")] + [(module.Config, kind) for kind, module in KINDS.items()]
    without = [f"{path}.{name}" for root, label in roots for path, model in generate.walk_models(root, label)
               for name, info in model.model_fields.items()
               if _has_float(info.annotation) and not generate.text_and_unit(info)[1]]
    assert without == []


def test_missing_descriptions_names_a_field_and_a_kind_without_one(monkeypatch):
    class Config(DeviceConfig):
        ROLE: ClassVar[str] = "load"
        kind: Literal["undocumented"] = "undocumented"
        power_w: float = 1.0

    Config.__doc__ = None
    monkeypatch.setitem(generate.KINDS, "undocumented", types.SimpleNamespace(Config=Config))
    missing = generate.missing_descriptions()
    assert "undocumented.power_w" in missing
    assert "kind undocumented: no docstring of its own on its Config" in missing
    with pytest.raises(SystemExit, match="undocumented.power_w"):
        generate.home_file_md()


def test_a_new_kind_appears_in_the_home_file_reference_without_changes(monkeypatch):
    """As the kinds another branch adds will: any Config in the registry, its fields and nested parts."""
    from pydantic import BaseModel, ConfigDict

    class Nozzle(BaseModel):
        """A nozzle of the test heater."""

        model_config = ConfigDict(extra="forbid")
        flow_l_per_min: float = quantity("L/min", default=6.0, gt=0, le=30, description="water through it")

    class Config(DeviceConfig):
        """A test heater that heats water on demand."""

        ROLE: ClassVar[str] = "load"
        LABEL: ClassVar[str] = "Test heater"
        kind: Literal["test_heater"] = "test_heater"
        element_w: float = quantity("W", default=8000.0, gt=0, le=20_000, description="power of the element")
        nozzle: Nozzle = Field(default_factory=Nozzle, description="where the water comes out")

    monkeypatch.setitem(generate.KINDS, "test_heater", types.SimpleNamespace(Config=Config))
    page = generate.home_file_md()
    assert "### `test_heater`: Test heater" in page and "A test heater that heats water on demand." in page
    section = page.split("### `test_heater`")[1]
    row = next(line for line in section.splitlines() if line.startswith("| `element_w`"))
    assert "| W |" in row and "> 0; <= 20000" in row and "`8000.0`" in row and "| power of the element |" in row
    assert "#### `test_heater.nozzle`: Nozzle" in section
    assert any(line.startswith("| `flow_l_per_min`") and "| L/min |" in line for line in section.splitlines())
    example = page.split("### `test_heater`")[1].split("```yaml\n")[1].split("```")[0]
    assert Config.model_validate(yaml.safe_load(example)[0]).id == "test_heater"


@pytest.fixture(scope="module")
def home_page():
    return generate.home_file_md()


def test_the_home_file_reference_has_every_kind_and_field_with_unit_range_default_and_example(home_page):
    lines = home_page.splitlines()
    for kind, module in KINDS.items():
        assert f"### `{kind}`: " in home_page, kind
        section = home_page.split(f"### `{kind}`: ")[1].split("\n### ")[0]
        for name, info in module.Config.model_fields.items():
            row = next((line for line in section.splitlines() if line.startswith(f"| `{name}`")), None)
            assert row is not None, f"{kind}.{name}"
            cells = [c.strip() for c in row.strip("|").split(" | ")]
            assert len(cells) == len(generate.HEADER), row
            assert cells[-1], f"{kind}.{name} has no example"
            unit = unit_of(info)
            assert cells[2] == unit, f"{kind}.{name}: unit {cells[2]!r}, its metadata says {unit!r}"
    battery = next(line for line in lines if line.startswith("| `capacity_kwh`"))
    assert "| kWh |" in battery and "> 0; <= 10000" in battery and "`10.24`" in battery
    for name in Home.model_fields:
        assert any(line.startswith(f"| `{name}`") for line in lines), name


def test_every_kinds_example_is_a_valid_device():
    examples = generate.example_devices()
    for kind, module in KINDS.items():
        device, _ = generate.kind_example(kind, examples)
        module.Config.model_validate(device)


def test_the_cli_reference_has_every_subcommand_and_option():
    import argparse

    from homesim.cli import build_parser

    page = generate.cli_md()
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in sub.choices.items():
        section = page.split(f"## `homesim {name}`")[1].split("\n## ")[0]
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            for flag in action.option_strings or [action.dest]:
                assert f"`{flag}" in section, f"homesim {name} {flag}"
            if action.help:
                assert generate.cell(action.help.replace("%%", "%")) in section, f"homesim {name} {action.dest}"


def test_the_bus_reference_has_every_topic_procedure_and_message_field():
    from homesim.messages import PROCEDURES, TOPICS

    page = generate.bus_md()
    for item in (*TOPICS, *PROCEDURES):
        assert f"`{item.address}`" in page
    for topic in TOPICS:
        for model in topic.messages:
            section = page.split(f"### {model.__name__}\n")[1].split("\n### ")[0]
            assert all(f"| `{name}`" in section for name in model.model_fields), model.__name__


def test_the_metrics_reference_has_every_metric_the_code_defines():
    """Every ``Gauge("name"``/``Counter(``/``Histogram(``/``Summary(`` in the services, found in the
    source (so a metric defined anywhere counts), is in the generated table."""
    defined = set()
    for path in (ROOT / "services" / "homesim").rglob("*.py"):
        for kind, name in re.findall(r"\b(Gauge|Counter|Histogram|Summary|Info|Enum)\(\s*\"(homesim_\w+)\"",
                                     path.read_text()):
            defined.add(name + ("_total" if kind == "Counter" else ""))
    assert len(defined) >= 15
    page = generate.metrics_md()
    documented = set(re.findall(r"^\| `(homesim_\w+)`", page, re.MULTILINE))
    assert documented == defined
    assert "| home, device, kind, role, direction |" in page  # labels read from the series


@pytest.fixture(scope="module")
def tiny_ledger():
    from homesim.engine.fastforward import simulate
    from homesim.home import load_home

    return simulate(load_home(ROOT / "examples" / "every_kind.yaml"), days=1, dt_s=60)  # short.<id> too


def test_the_ledger_descriptions_cover_every_column_and_summary_key(tiny_ledger):
    from homesim.ledger import LEDGER_COLUMNS, SUMMARY_KEYS

    patterns = [re.compile("^" + re.escape(name).replace(re.escape("<device_id>"), r"\w+")
                           .replace(re.escape("<load_id>"), r"\w+").replace(re.escape("<battery_id>"), r"\w+") + "$")
                for name, _, _ in LEDGER_COLUMNS]
    columns = list(tiny_ledger.table.columns) + ["missing"]  # homesim ledger adds missing
    assert [c for c in columns if not any(p.match(c) for p in patterns)] == []
    assert all(any(p.match(c) for c in columns) for p in patterns)  # no description of a column that is gone
    summary = tiny_ledger.summary()
    by_load = {"deadlines"}  # a mapping by load id, not of parts
    assert set(summary["deadlines"]) == {"car", "pool"}
    keys = {f"{k}.{part}" for k, v in summary.items() if isinstance(v, dict) and k not in by_load for part in v} | {
        k for k, v in summary.items() if not isinstance(v, dict) or k in by_load}
    assert keys == {name for name, _, _ in SUMMARY_KEYS}
    page = generate.ledger_md()
    assert all(f"`{name}`" in page for name, _, _ in LEDGER_COLUMNS + SUMMARY_KEYS)


def test_the_chart_values_reference_has_every_value():
    page = generate.chart_values_md()
    values = yaml.safe_load((ROOT / "charts" / "home" / "values.yaml").read_text())

    def leaves(node, path=""):
        if isinstance(node, dict) and node and path not in ("resources.requests", "resources.limits"):
            for key, value in node.items():
                yield from leaves(value, f"{path}.{key}" if path else key)
        else:
            yield path

    for path in leaves(values):
        if path.startswith(("home.", "devices")):
            continue  # as in a home file: the schema's rows
        assert f"`{path}`" in page, path
    for path in ("home.location.latitude", "home.currency", "sweep.shards", "devices[]"):
        assert f"`{path}`" in page, path
    assert "An external PostgreSQL for the recorder" in page  # the comments of values.yaml
