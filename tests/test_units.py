"""Units as data (issue 25): every number a home file, a device kind or a bus message carries
says its unit as typed metadata (``homesim.units.quantity``: ``x-unit`` in its schema), and no
reader takes a unit out of a description with a regular expression."""

from __future__ import annotations

import inspect
import re
import types
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from homesim import messages, units
from homesim.devices import KINDS
from homesim.home import Home

ROOT = Path(__file__).resolve().parents[1]


def _is_number(annotation) -> bool:
    """Whether a field holds numbers: a number, or an optional one, a list or a map of them."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _is_number(typing.get_args(annotation)[0])
    if origin is typing.Literal:
        return False
    if origin in (typing.Union, types.UnionType, list, tuple, dict):
        args = typing.get_args(annotation)
        if origin is dict:
            args = args[1:]
        return any(_is_number(a) for a in args if a is not Ellipsis)
    return annotation in (int, float)


def _models_in(annotation) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _walk(model: type[BaseModel], seen: set[type[BaseModel]]):
    if model in seen:
        return
    seen.add(model)
    yield model
    for info in model.model_fields.values():
        for inner in _models_in(info.annotation):
            yield from _walk(inner, seen)


def _message_models() -> list[type[BaseModel]]:
    return [obj for obj in vars(messages).values()
            if isinstance(obj, type) and issubclass(obj, BaseModel) and obj.__module__ == messages.__name__]


def _roots() -> dict[str, type[BaseModel]]:
    """Every model whose numbers need a unit: each kind's config and state (from the registry, so a
    new kind is checked with no change here), the home file, every bus message."""
    roots: dict[str, type[BaseModel]] = {}
    for kind, module in KINDS.items():
        roots[kind] = module.Config
        if getattr(module.Config, "STATE_MODEL", None) is not None:
            roots[f"{kind} state"] = module.Config.STATE_MODEL
    roots.update({f"messages.{model.__name__}": model for model in _message_models()})
    roots["home"] = Home
    return roots


def numeric_fields() -> list[tuple[str, type[BaseModel], str, typing.Any]]:
    seen: set[type[BaseModel]] = set()
    out = []
    for label, root in _roots().items():
        for model in _walk(root, seen):
            for name, info in model.model_fields.items():
                if _is_number(info.annotation):
                    out.append((f"{label}: {model.__name__}", model, name, info))
    return out


NUMERIC = numeric_fields()


def test_the_walk_finds_every_kind_and_message():
    owners = {owner.split(":")[0] for owner, _, _, _ in NUMERIC}
    assert set(KINDS) <= owners, "every kind has numbers (a kind without any: drop it from this check)"
    models = {model.__name__ for _, model, _, _ in NUMERIC}
    assert {"Settlement", "Home", "Finance", "Switch", "PlanTotals"} <= models, models
    assert len(NUMERIC) > 150


IDS = [f"{owner}.{name}" for owner, _, name, _ in NUMERIC]


@pytest.mark.parametrize(("owner", "model", "name", "info"), NUMERIC, ids=IDS)
def test_every_numeric_field_has_a_unit_in_its_schema(owner, model, name, info):
    unit = units.unit_of(info)
    assert unit, f"{owner}.{name}: a number without a unit (give it one with homesim.units.quantity)"
    assert unit in units.UNITS
    schema = model.model_json_schema(mode="serialization")
    assert schema["properties"][info.alias or name][units.KEY] == unit


@pytest.mark.parametrize(("owner", "model", "name", "info"), NUMERIC, ids=IDS)
def test_no_description_carries_its_unit_in_brackets(owner, model, name, info):
    """The unit is data, not prose: a description ending in ``[W]`` would show it twice."""
    unit = units.unit_of(info)
    assert f"[{unit}]" not in (info.description or ""), f"{owner}.{name}: {info.description!r}"


def test_a_unit_not_in_the_table_is_refused_when_the_model_is_defined():
    with pytest.raises(ValueError, match="unit 'kwh' is not one of"):
        units.quantity("kwh", ge=0)


def test_the_schema_of_a_message_carries_its_unit():
    schema = messages.Settlement.model_json_schema()
    assert schema["properties"]["loss_j"][units.KEY] == "J"
    assert "[J]" not in schema["properties"]["loss_j"]["description"]


#: Where readers of field metadata live: Python, the docs generator and the UI's sources.
SOURCES = [*(ROOT / "services" / "homesim").rglob("*.py"), *(ROOT / "docs").glob("*.py"),
           *(p for p in (ROOT / "ui" / "src").rglob("*.ts") if "generated" not in p.parts)]

#: A regular expression that picks a bracketed word out of text, or cuts it: ``\[([^\]]+)\]``,
#: ``\s*\[[^\]]+\]`` and their kin (the ways units were read from, and stripped off, descriptions).
_BRACKET_CAPTURE = re.compile(r"\\\[\s*\(?\s*\[\s*\^\s*(\\\[)?\s*\\\]")


def bracket_readers(text: str) -> list[str]:
    """The lines of ``text`` holding a regular expression that captures a ``[...]`` group."""
    return [line.strip() for line in text.splitlines() if _BRACKET_CAPTURE.search(line)]


def test_the_check_for_unit_readers_finds_the_old_ones():
    """As the UI read units before (ui/src/app/property-form.ts) and the docs generator did."""
    assert bracket_readers(r"const unit = /\[([^\]]+)\]/.exec(description)?.[1] ?? '';")
    assert bracket_readers(r'_UNIT = re.compile(r"\s*\[([^\[\]]+)\]")')
    assert bracket_readers(r"help: description.replace(/\s*\[[^\]]+\]/g, '').trim(),")
    assert not bracket_readers(r'text += f"[{part}]"')
    assert not bracket_readers(r'home_id = re.sub(r"[^a-z0-9_]", "_", stem)')


def test_no_source_reads_a_unit_from_a_description_with_a_regular_expression():
    found = {str(path.relative_to(ROOT)): lines for path in SOURCES
             if (lines := bracket_readers(path.read_text(encoding="utf-8")))}
    assert found == {}, "read units from x-unit (homesim.units.unit_of, or the schema's 'x-unit'), not from prose"


def test_units_is_a_leaf():
    imports = re.findall(r"^(?:from|import) (\S+)", inspect.getsource(units), re.MULTILINE)
    assert all(not name.startswith("homesim") for name in imports), imports
