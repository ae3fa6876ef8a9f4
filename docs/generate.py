"""The docs' reference pages, generated from the code at every docs build (never hand-copied).

    python docs/generate.py [--out docs/_generated]

``conf.py`` runs :func:`write_all` before Sphinx reads the pages, which include these files:

``home-file.md``
    Every field of the home file (:class:`homesim.home.Home`, its location and finance
    section) and of every device kind in :data:`homesim.devices.KINDS`, with its type, unit
    (the field's ``x-unit``, :func:`homesim.units.unit_of`: never read from its description), range, default, description and an example, read from
    the pydantic models; nested models (a switch, a tariff, a program slot...) get their own
    tables. A kind added under ``services/homesim/devices/`` appears with no change here.
``cli.md``
    Every subcommand and option of ``homesim`` (:func:`homesim.cli.build_parser`) with its help.
``bus.md``
    Every topic and RPC of :data:`homesim.messages.TOPICS` and :data:`~homesim.messages.PROCEDURES`
    with its payload models and their fields.
``metrics.md``
    Every Prometheus metric the processes define, read from the registries of the real
    metrics classes (``homesim.bus.metrics``, the recorder's writer), with the kinds exposing it.
``ledger.md``
    The ledger's columns and ``summary.json``'s keys (:data:`homesim.ledger.LEDGER_COLUMNS`,
    :data:`~homesim.ledger.SUMMARY_KEYS`).
``chart-values.md``
    The chart's values: ``charts/home/values.schema.json`` and the other values of
    ``charts/home/values.yaml`` with their comments.
``plan-assumptions.md``
    What every plan assumes (:data:`homesim.planning.plan.ASSUMPTIONS`).
``extra/asyncapi/index.html``
    The bus's AsyncAPI HTML (``specs/html/index.html``, from ``cd/process_specs.sh``), copied.

:func:`missing_descriptions` lists every kind and field without a description (the build and
``tests/docs`` fail on any).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import types
import typing
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services"))

import yaml  # noqa: E402
from pydantic import BaseModel  # noqa: E402
from pydantic.fields import FieldInfo  # noqa: E402
from pydantic_core import PydanticUndefined  # noqa: E402
from typing_extensions import TypeAliasType  # noqa: E402

from homesim.devices import KINDS  # noqa: E402
from homesim.home import Home, parse_yaml  # noqa: E402
from homesim.units import KEY, unit_of  # noqa: E402

GENERATED = Path(__file__).resolve().parent / "_generated"
EXAMPLE_HOMES = sorted((ROOT / "examples").glob("*.yaml"))


# --- helpers ---------------------------------------------------------------------------------

def cell(text: Any) -> str:
    """Text for one Markdown table cell (pipes escaped, one line)."""
    return " ".join(str(text).split()).replace("|", "\\|")


def code(value: Any) -> str:
    """A value as inline code in a table cell."""
    if value is None or value == "":
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > 120 and isinstance(value, list) and value:  # a long list: its first item
        text = "[" + json.dumps(value[0], ensure_ascii=False, default=str) + ", ...]"
    text = " ".join(text.split()).replace("|", "\\|")
    return f"``{text}``" if "`" in text else f"`{text}`"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def text_and_unit(info: FieldInfo) -> tuple[str, str]:
    """``(description, unit)`` of a model's field: the unit is its metadata (``x-unit``, given by
    :func:`homesim.units.quantity`), never parsed out of the description."""
    return " ".join((info.description or "").split()), unit_of(info)


def first_paragraph(doc: str | None) -> str:
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models inside a field's type (``list[Window]``, ``Tariff | None``, unions)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        for model in models_in(arg):
            if model not in found:
                found.append(model)
    return found


def type_name(annotation: Any) -> str:
    """A field's type as people read it: ``number``, ``list of Window``, ``Tariff or null``."""
    if isinstance(annotation, TypeAliasType):  # a named type (``Weekday``): what it stands for
        return type_name(annotation.__value__)
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return type_name(typing.get_args(annotation)[0])
    if origin is typing.Literal:
        return "one of " + ", ".join(json.dumps(a) for a in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(dict.fromkeys(type_name(a) for a in typing.get_args(annotation)))
    if origin in (list, tuple, set):
        args = typing.get_args(annotation)
        if origin is tuple and args:
            return "[" + ", ".join(type_name(a) for a in args if a is not Ellipsis) + "]"
        return f"list of {type_name(args[0])}" if args else "list"
    if origin is dict:
        key, value = typing.get_args(annotation) or (str, Any)
        return f"map of {type_name(key)} to {type_name(value)}"
    if annotation is type(None):
        return "null"
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return annotation.__name__
        return {"float": "number", "int": "integer", "str": "text", "bool": "true/false", "date": "date",
                "datetime": "date and time", "Path": "path"}.get(annotation.__name__, annotation.__name__)
    return str(annotation).replace("typing.", "")


def _constraints(schema: dict[str, Any]) -> list[str]:
    parts = []
    for key, symbol in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="), ("exclusiveMaximum", "<")):
        if key in schema:
            value = schema[key]
            parts.append(f"{symbol} {int(value) if isinstance(value, float) and value.is_integer() else value}")
    for key, text in (("minLength", "at least {} characters"), ("maxLength", "at most {} characters"),
                      ("minItems", "at least {} items"), ("maxItems", "at most {} items")):
        if key in schema:
            parts.append(text.format(schema[key]))
    if "pattern" in schema:
        parts.append(f"matches {code(schema['pattern'])}")
    if "enum" in schema and len(schema["enum"]) > 1:
        parts.append("one of " + ", ".join(json.dumps(v) for v in schema["enum"]))
    return parts


def schema_range(schema: dict[str, Any], defs: dict[str, Any]) -> str:
    """The allowed range of a field from its JSON schema (bounds, lengths, patterns)."""
    if "$ref" in schema:  # a model has its own table; a named enumeration (``Weekday``) is listed
        target = defs.get(schema["$ref"].split("/")[-1], {})
        return schema_range(target, defs) if "enum" in target else ""
    parts = _constraints(schema)
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        inner = schema_range(option, defs)
        if inner and inner not in parts:
            parts.append(inner)
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        inner = schema_range(schema["items"], defs)
        if inner:
            parts.append(f"each {inner}")
    return "; ".join(parts)


def default_of(info: FieldInfo) -> tuple[bool, Any]:
    """``(has_default, value)`` of a field (a default factory is called)."""
    if info.default is not PydanticUndefined:
        value = info.default
    elif info.default_factory is not None:
        value = info.default_factory()
    else:
        return False, None
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    if isinstance(value, list):
        value = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
    return True, value


def model_paths(model: type[BaseModel], path: str, stack: tuple = ()) -> Iterator[tuple[str, type[BaseModel]]]:
    """Like :func:`walk_models`, but every place a model is used (a model used twice: twice)."""
    if model in stack:
        return
    yield path, model
    for name, info in model.model_fields.items():
        for inner in models_in(info.annotation):
            yield from model_paths(inner, f"{path}.{name}", stack + (model,))


# --- examples --------------------------------------------------------------------------------

def example_devices() -> dict[str, dict[str, Any]]:
    """The first device of each kind in the example homes (as written there)."""
    found: dict[str, dict[str, Any]] = {}
    for path in EXAMPLE_HOMES:
        data = parse_yaml(path.read_text())
        if not isinstance(data, dict) or "devices" not in data:
            continue
        for device in data["devices"]:
            found.setdefault(device.get("kind"), {**device, "_source": path.relative_to(ROOT).as_posix()})
    return found


def _synthesized(annotation: Any, info: FieldInfo | None = None) -> Any:
    """A value that fits a type: the field's own ``examples``, else made from its constraints."""
    if info is not None and info.examples:
        return info.examples[0]
    if isinstance(annotation, TypeAliasType):
        return _synthesized(annotation.__value__, info)
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        args = typing.get_args(annotation)
        merged = FieldInfo.merge_field_infos(*[a for a in args[1:] if isinstance(a, FieldInfo)]) \
            if any(isinstance(a, FieldInfo) for a in args[1:]) else None
        return _synthesized(args[0], merged)
    if origin is typing.Literal:
        return typing.get_args(annotation)[0]
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _synthesized(options[0], info)
    if origin in (list, set):
        return [_synthesized(typing.get_args(annotation)[0])]
    if origin is tuple:
        return [_synthesized(a) for a in typing.get_args(annotation) if a is not Ellipsis]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return minimal_example(annotation)
    low = high = None
    for meta in (info.metadata if info is not None else []):
        for key in ("ge", "gt"):
            if getattr(meta, key, None) is not None:
                low = getattr(meta, key)
        for key in ("le", "lt"):
            if getattr(meta, key, None) is not None:
                high = getattr(meta, key)
    if annotation is bool:
        return True
    if annotation in (int, float):
        if low is not None and high is not None and high - low <= 10:
            value = (low + high) / 2
        elif low is not None:
            value = low + 1
        else:
            value = 1
        return int(value) if annotation is int else float(value)
    if annotation is str:
        if info is not None and "HH:MM" in (info.description or ""):
            return "09:00" if "end" in (info.description or "") else "07:00"
        return "text"
    return None


def minimal_example(model: type[BaseModel]) -> dict[str, Any]:
    """The required fields of ``model`` with values that fit them."""
    return {name: _synthesized(info.annotation, info) for name, info in model.model_fields.items() if info.is_required()}


def kind_example(kind: str, examples: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], str]:
    """``(device, source)``: the kind as an example home has it, else its required fields made up."""
    if kind in examples:
        device = dict(examples[kind])
        return device, device.pop("_source")
    config = KINDS[kind].Config
    device = {"id": kind, "kind": kind, **{k: v for k, v in minimal_example(config).items() if k not in ("id", "kind")}}
    return device, ""


# --- the home file ---------------------------------------------------------------------------

def walk_models(model: type[BaseModel], path: str, seen: set | None = None) -> Iterator[tuple[str, type[BaseModel]]]:
    """``(path, model)`` for ``model`` and every model nested in its fields, each once."""
    seen = set() if seen is None else seen
    if model in seen:
        return
    seen.add(model)
    yield path, model
    for name, info in model.model_fields.items():
        for inner in models_in(info.annotation):
            if inner.__module__.startswith("homesim.devices.") and inner.__name__ == "Config":
                continue  # the device kinds: their own sections
            yield from walk_models(inner, f"{path}.{name}" if path else name, seen)


def missing_descriptions() -> list[str]:
    """Every kind without a docstring and every field (nested ones too) without a description."""
    missing: list[str] = []
    for path, model in walk_models(Home, "home"):
        missing += [f"{path}.{name}" for name, info in model.model_fields.items() if not info.description]
    for kind, module in KINDS.items():
        config = module.Config
        if not first_paragraph(config.__doc__) or first_paragraph(config.__doc__) == first_paragraph(
                config.__mro__[1].__doc__):
            missing.append(f"kind {kind}: no docstring of its own on its Config")
        for path, model in walk_models(config, kind):
            missing += [f"{path}.{name}" for name, info in model.model_fields.items()
                        if name != "kind" and not info.description]
    return missing


def field_rows(model: type[BaseModel], example: dict[str, Any] | None, anchors: dict[type, str]) -> list[list[str]]:
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    rows = []
    for name, info in model.model_fields.items():
        prop = schema.get("properties", {}).get(name, {})
        text, unit = text_and_unit(info)
        has_default, default = default_of(info)
        if example is not None and name in example:
            shown = example[name]
        elif has_default and default not in (None, [], {}):
            shown = default
        else:
            shown = _synthesized(info.annotation, info)
        kind = type_name(info.annotation)
        inners = models_in(info.annotation)
        if sum(m.__name__ == "Config" for m in inners) > 1:  # the device kinds' union
            kind = "list of devices, each of a [kind](#device-kinds)"
        else:
            for inner in inners:
                if inner in anchors:
                    kind = kind.replace(inner.__name__, f"[{inner.__name__}](#{anchors[inner]})")
        if name == "kind" and not text:
            text = "the device's kind"
        rows.append([
            code(name) + (" (required)" if info.is_required() else ""),
            kind.replace("|", "\\|"),
            cell(unit),
            cell(schema_range(prop, defs)),
            code(default) if has_default and default is not None else ("" if info.is_required() else "none"),
            cell(text),
            code(shown) if shown is not None else "",
        ])
    return rows


HEADER = ["field", "type", "unit", "range", "default", "description", "example"]


def _anchor(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def example_at(example: Any, path: list[str]) -> dict[str, Any] | None:
    """The part of an example at a dotted path (a list's first item), if it is a mapping."""
    node = example
    for part in path:
        while isinstance(node, list):
            node = node[0] if node else None
        node = node.get(part) if isinstance(node, dict) else None
    while isinstance(node, list):
        node = node[0] if node else None
    return node if isinstance(node, dict) else None


def _nested_sections(model: type[BaseModel], path: str, level: str, anchors: dict[type, str],
                     done: set, example: Any = None) -> list[str]:
    out = []
    for sub_path, inner in list(walk_models(model, path))[1:]:
        if inner in done:
            continue
        done.add(inner)
        relative = sub_path.split(".")[1:] if path else sub_path.split(".")
        shown = example_at(example, relative)
        if shown is not None and any(k not in inner.model_fields for k in shown):
            shown = None  # another branch of a union (e.g. a flat efficiency)
        out += [f"({anchors[inner]})=", f"{level} `{sub_path}`: {inner.__name__}", "",
                first_paragraph(inner.__doc__), "", table(HEADER, field_rows(inner, shown, anchors))]
    return out


def home_file_md() -> str:
    problems = missing_descriptions()
    if problems:
        raise SystemExit("docs/generate.py: no description for " + ", ".join(problems)
                         + " (add description=... to the Field, its unit with homesim.units.quantity)")
    examples = example_devices()
    anchors: dict[type, str] = {}
    for _path, model in walk_models(Home, ""):
        anchors.setdefault(model, f"home-{_anchor(model.__name__)}")
    users: dict[type, list[str]] = {}
    for kind, module in KINDS.items():
        for path, model in list(model_paths(module.Config, kind))[1:]:
            users.setdefault(model, []).append(path.split(".", 1)[1])
    shared = {m: paths for m, paths in users.items() if len(paths) > 1}
    for model in shared:
        anchors[model] = f"shared-{_anchor(model.__name__)}"
    for kind, module in KINDS.items():
        for path, model in walk_models(module.Config, kind):
            anchors.setdefault(model, f"kind-{_anchor(kind)}" if path == kind else f"{kind}-{_anchor(model.__name__)}")
    out = ["<!-- generated by docs/generate.py from homesim.home and homesim.devices: do not edit -->", "",
           "(home-top-level)=", "## The home", "", first_paragraph(Home.__doc__), "",
           table(HEADER, field_rows(Home, parse_yaml((ROOT / "examples" / "home.yaml").read_text()), anchors))]
    done = {Home, *shared}
    home_example = parse_yaml((ROOT / "examples" / "home.yaml").read_text())
    home_example["finance"] = parse_yaml((ROOT / "examples" / "finance.yaml").read_text())
    out += _nested_sections(Home, "", "###", anchors, done, home_example)
    out += ["(device-kinds)=", "## Device kinds", "", f"{len(KINDS)} kinds, one module each under `services/homesim/devices/`:", ""]
    out.append(table(["kind", "name", "role", "what it models"],
                     [[f"[`{k}`](#{anchors[m.Config]})", cell(m.Config.LABEL), cell(m.Config.ROLE),
                       cell(first_paragraph(m.Config.__doc__))] for k, m in KINDS.items()]))
    for kind, module in KINDS.items():
        config = module.Config
        device, source = kind_example(kind, examples)
        out += [f"({anchors[config]})=", f"### `{kind}`: {config.LABEL or kind}", "",
                first_paragraph(config.__doc__), "",
                f"Role: {config.ROLE}." + (f" Usually on the {config.USUAL_CIRCUIT.replace('_', '-')} circuit"
                                           f"{': ' + config.USUAL_CIRCUIT_WHY if config.USUAL_CIRCUIT_WHY else ''}."
                                           if getattr(config, "USUAL_CIRCUIT", None) else ""), "",
                table(HEADER, field_rows(config, device, anchors)),
                "Example" + (f" (from `{source}`)" if source else "") + ":", "", "```yaml",
                yaml.safe_dump([device], sort_keys=False, allow_unicode=True, width=100, default_flow_style=None).rstrip(), "```", ""]
        out += _nested_sections(config, kind, "####", anchors, done, device)
    if shared:
        out += ["(shared-parts)=", "## Parts several kinds share", ""]
        for model, paths in shared.items():
            names = sorted(set(paths))
            shown = None
            for kind in KINDS:
                for path in names:
                    found = example_at(kind_example(kind, examples)[0], path.split("."))
                    if shown is None and found and all(k in model.model_fields for k in found):
                        shown = found
            out += [f"({anchors[model]})=", f"### {model.__name__}", "",
                    first_paragraph(model.__doc__) + " Used as " + ", ".join(f"`{n}`" for n in names)
                    + f" ({len(paths)} places).", "", table(HEADER, field_rows(model, shown, anchors))]
    return "\n".join(out) + "\n"


def kinds_overview_md() -> str:
    """One row per device kind: what it models (its module's first paragraph), its role and
    the circuit it is usually on (for the user guide; the reference has every field)."""
    rows = []
    for kind, module in KINDS.items():
        config = module.Config
        circuit = getattr(config, "USUAL_CIRCUIT", None)
        rows.append([f"`{kind}`", cell(config.LABEL or kind), cell(first_paragraph(module.__doc__)), cell(config.ROLE),
                     cell(circuit.replace("_", "-") if circuit else "")])
    return ("<!-- generated by docs/generate.py from homesim.devices: do not edit -->\n\n"
            + table(["kind", "name", "what it models", "role", "usually on"], rows))


# --- the CLI ---------------------------------------------------------------------------------

def cli_md() -> str:
    from homesim.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {a.dest: a.help for a in sub._choices_actions}
    out = ["<!-- generated by docs/generate.py from homesim.cli.build_parser: do not edit -->", "",
           table(["command", "what it does"], [[f"[`homesim {n}`](#cli-{n})", cell(helps.get(n, ""))]
                                               for n in sub.choices]), ""]
    for name, command in sub.choices.items():
        out += [f"(cli-{name})=", f"## `homesim {name}`", "", cell(helps.get(name, "")), ""]
        if command.description and command.description != helps.get(name):
            out += [" ".join(command.description.split()), ""]
        usage = command.format_usage().removeprefix("usage: ").strip()
        out += ["```text", usage, "```", ""]
        for group in command._action_groups:
            actions = [a for a in group._group_actions if not isinstance(a, argparse._HelpAction)]
            if not actions:
                continue
            title = {"positional arguments": "Arguments", "options": "Options"}.get(group.title, group.title)
            out += [f"**{title}**" + (f": {' '.join(group.description.split())}" if group.description else ""), ""]
            rows = []
            for action in actions:
                flags = ", ".join(action.option_strings) or action.dest
                value = action.metavar or ("{" + ",".join(action.choices) + "}" if action.choices else
                                           (action.dest.upper() if action.nargs != 0 and action.option_strings else ""))
                default = action.default if action.default not in (None, False, argparse.SUPPRESS) else ""
                rows.append([code(flags), code(value) if value else "", code(str(default)) if default != "" else "",
                             cell((action.help or "").replace("%%", "%")) + (" (required)" if action.required
                                                                             and action.option_strings else "")])
            out += [table(["option", "value", "default", "help"], rows), ""]
    return "\n".join(out) + "\n"


# --- the bus ---------------------------------------------------------------------------------

def _model_fields(model: type[BaseModel]) -> str:
    parts = []
    for name, info in model.model_fields.items():
        unit = unit_of(info)
        parts.append(f"`{name}`" + (f" [{unit}]" if unit else ""))
    return ", ".join(parts)


def bus_md() -> str:
    from homesim.messages import PROCEDURES, TOPICS

    out = ["<!-- generated by docs/generate.py from homesim.messages.TOPICS and PROCEDURES: do not edit -->", "",
           "## Topics", "",
           table(["topic", "retained", "published by", "what", "payload"],
                 [[code(t.address), "yes" if t.retained else "no", cell(t.publisher), cell(t.description),
                   cell(", ".join(f"[{m.__name__}](#msg-{_anchor(m.__name__)})" for m in t.messages))]
                  for t in TOPICS]),
           "## Procedures (RPC)", "",
           table(["procedure", "callee", "callers", "what", "arguments", "reply"],
                 [[code(p.address), cell(p.callee), cell(p.callers), cell(p.description),
                   f"[{p.request.__name__}](#msg-{_anchor(p.request.__name__)})",
                   f"[{p.reply.__name__}](#msg-{_anchor(p.reply.__name__)})" if p.reply else "a list"]
                  for p in PROCEDURES]),
           "## Messages", ""]
    models: list[type[BaseModel]] = []
    for topic in TOPICS:
        models += [m for m in topic.messages if m not in models]
    for procedure in PROCEDURES:
        models += [m for m in (procedure.request, procedure.reply) if m is not None and m not in models]
    for model in models:
        schema = model.model_json_schema()
        rows = []
        for name, info in model.model_fields.items():
            text, unit = text_and_unit(info)
            rows.append([code(name), type_name(info.annotation).replace("|", "\\|"), cell(unit),
                         cell(schema_range(schema.get("properties", {}).get(name, {}), {})), cell(text)])
        out += [f"(msg-{_anchor(model.__name__)})=", f"### {model.__name__}", "", first_paragraph(model.__doc__), ""]
        out += [table(["field", "type", "unit", "range", "description"], rows) if rows else "No fields.", ""]
    return "\n".join(out) + "\n"


# --- metrics ---------------------------------------------------------------------------------

def metric_families() -> list[dict[str, Any]]:
    """Every metric the live home's processes define: name, type, help, labels and who exposes it,
    read from the registries of the real metrics classes (no server is started)."""
    import os

    os.environ.pop("HOMESIM_METRICS_PORT", None)  # no metrics server from this process
    from homesim.bus.metrics import ClockMetrics, DeviceMetrics, ProcessMetrics
    from homesim.bus.recorder import Writer

    sources: list[tuple[str, Any]] = [("every process", ProcessMetrics("home", "process").registry)]
    for kind, module in KINDS.items():  # what each kind says its process exports (METRICS)
        metrics = DeviceMetrics("home", kind, kind, "ZAR", module.Config.METRICS, module.Config.ROLE)
        sources.append((f"device `{kind}`", metrics.registry))
    recorder = ProcessMetrics("home", "recorder")
    Writer(None, "", recorder)
    sources.append(("the recorder", recorder.registry))
    sources.append(("the clock", ClockMetrics("home").registry))
    families: dict[str, dict[str, Any]] = {}
    for who, registry in sources:
        for family in registry.collect():
            name = family.name + ("_total" if family.type == "counter" else "")
            labels = [k for k in (family.samples[0].labels if family.samples else {})]
            entry = families.setdefault(name, {"name": name, "type": family.type, "help": family.documentation,
                                               "labels": labels, "by": []})
            if who not in entry["by"]:
                entry["by"].append(who)
    for entry in families.values():
        kinds = [b.removeprefix("device `").rstrip("`") for b in entry["by"] if b.startswith("device")]
        if "every process" in entry["by"]:
            entry["by"] = ["every process"]
        elif len(kinds) == len(KINDS):
            entry["by"] = ["every device"]
        elif kinds:
            entry["by"] = [("the device of kind " if len(kinds) == 1 else "devices of kinds ") + ", ".join(kinds)]
    return list(families.values())


def metrics_md() -> str:
    rows = [[code(f["name"]), cell(f["type"]), cell(", ".join(f["labels"])), cell(", ".join(f["by"])), cell(f["help"])]
            for f in metric_families()]
    return ("<!-- generated by docs/generate.py from homesim.bus.metrics and the recorder: do not edit -->\n\n"
            + table(["metric", "type", "labels", "exposed by", "meaning"], rows))


# --- the ledger ------------------------------------------------------------------------------

def ledger_md() -> str:
    from homesim.ledger import LEDGER_COLUMNS, SUMMARY_KEYS

    return ("<!-- generated by docs/generate.py from homesim.ledger: do not edit -->\n\n"
            "## Ledger columns\n\n"
            + table(["column", "unit", "meaning"], [[code(n), cell(u), cell(m)] for n, u, m in LEDGER_COLUMNS])
            + "\n## `summary.json`\n\n"
            + table(["key", "unit", "meaning"], [[code(n), cell(u), cell(m)] for n, u, m in SUMMARY_KEYS]))


# --- the chart's values ----------------------------------------------------------------------

def _schema_rows(schema: dict[str, Any], path: str, defs: dict[str, Any], rows: list[list[str]]) -> None:
    if "$ref" in schema:
        schema = {**defs[schema["$ref"].split("/")[-1]], **{k: v for k, v in schema.items() if k != "$ref"}}
    kind = schema.get("type") or " or ".join(o.get("type", "") for o in schema.get("anyOf", []) if o.get("type"))
    if path.endswith("devices[]"):
        rows.append([code(path), "device", "", "", "a device as in a home file, plus `enabled`: see the home "
                     "file reference"])
        return
    if kind == "object" and "properties" in schema:
        for name, prop in schema["properties"].items():
            _schema_rows(prop, f"{path}.{name}" if path else name, defs, rows)
        return
    if kind == "array" and isinstance(schema.get("items"), dict):
        _schema_rows(schema["items"], f"{path}[]", defs, rows)
        return
    text, unit = " ".join((schema.get("description") or schema.get("title") or "").split()), schema.get(KEY, "")
    described = "; ".join(part for part in (text, schema_range(schema, defs)) if part)
    rows.append([code(path), cell(kind), cell(unit), code(schema["default"]) if "default" in schema else "",
                 cell(described)])


def _values_comments(text: str) -> dict[str, str]:
    """``{dotted key: comment}`` of a values.yaml: the comment lines just above a key and its
    trailing comment."""
    comments: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    above: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            above.append(stripped.lstrip("# "))
            continue
        match = re.match(r"^(\s*)([A-Za-z0-9_]+):(.*)$", line)
        if not match:
            above = [] if not stripped else above
            continue
        indent, key, rest = len(match.group(1)), match.group(2), match.group(3)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, key))
        dotted = ".".join(k for _, k in stack)
        trailing = rest.split(" #", 1)[1].strip() if " #" in rest else ""
        comments[dotted] = " ".join(above + ([trailing] if trailing else []))
        above = []
    return comments


def chart_values_md() -> str:
    schema = json.loads((ROOT / "charts" / "home" / "values.schema.json").read_text())
    rows: list[list[str]] = []
    _schema_rows(schema, "", schema.get("$defs", {}), rows)
    values_text = (ROOT / "charts" / "home" / "values.yaml").read_text()
    values = yaml.safe_load(values_text)
    comments = _values_comments(values_text)
    schema_top = set(schema.get("properties", {}))
    others: list[list[str]] = []

    def flatten(node: Any, path: str) -> None:
        if isinstance(node, dict) and node and path.split(".")[-1] not in ("requests", "limits"):
            if comments.get(path):
                others.append([code(path), "", cell(comments[path])])
            for key, value in node.items():
                flatten(value, f"{path}.{key}" if path else key)
        else:
            others.append([code(path), code(node) if node not in ("", None) else '`""`', cell(comments.get(path, ""))])

    for key, value in values.items():
        if key not in schema_top:
            flatten(value, key)
    return ("<!-- generated by docs/generate.py from charts/home/values.schema.json and values.yaml: do not edit -->\n\n"
            "## Checked by `values.schema.json`\n\n"
            + table(["value", "type", "unit", "default", "description and range"], rows)
            + "\n## The other values (`values.yaml`)\n\n"
            + table(["value", "default", "what"], others))


def plan_assumptions_md() -> str:
    from homesim.planning.plan import ASSUMPTIONS

    return "<!-- generated by docs/generate.py from homesim.planning.plan.ASSUMPTIONS: do not edit -->\n\n" + "".join(
        f"- {a}\n" for a in ASSUMPTIONS)


PAGES = {
    "home-file.md": home_file_md,
    "cli.md": cli_md,
    "kinds-overview.md": kinds_overview_md,
    "bus.md": bus_md,
    "metrics.md": metrics_md,
    "ledger.md": ledger_md,
    "chart-values.md": chart_values_md,
    "plan-assumptions.md": plan_assumptions_md,
}


def write_all(out: Path = GENERATED) -> list[Path]:
    """Write every generated file into ``out`` (a file is rewritten only when it changed)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in PAGES.items():
        path = out / name
        text = make()
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        written.append(path)
    html = out / "extra" / "asyncapi" / "index.html"
    html.parent.mkdir(parents=True, exist_ok=True)
    source = ROOT / "specs" / "html" / "index.html"
    if not html.exists() or html.read_bytes() != source.read_bytes():
        shutil.copyfile(source, html)
    written.append(html)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=GENERATED, help="output folder (default docs/_generated)")
    for path in write_all(parser.parse_args().out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
