"""Kubernetes schemas generated from the pydantic device configs (run by cd/process_specs.sh).

``python -m homesim.generators.k8s_schemas --out charts/home`` writes

``crds/device.yaml``
    The ``Device`` custom resource (``homesim.io/v1alpha1``, namespaced; a home is a
    namespace). ``spec.kind`` names the device kind, ``spec.enabled`` switches it (false: its
    Deployment is scaled to 0), and the block named like the kind holds its properties, e.g.
    ``spec: {kind: oven, enabled: true, oven: {rated_power_w: 2000}}``. Each kind's block is a
    structural schema converted from its pydantic model (types, bounds, enums, defaults), so
    the API server checks properties as the home file loader does.
``--ui-kinds FILE``
    Each device kind's role and properties schema, for the UI's property forms (each number's
    unit as ``x-unit``, from :mod:`homesim.units`; the CRD writes it after the description).
``values.schema.json``
    JSON Schema of the chart's values: ``home`` (location, start, currency, seed) and
    ``devices`` (each as in a home file, plus ``enabled``), straight from the pydantic models.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from homesim import units
from homesim.credentials import SERVICES
from homesim.devices import KINDS
from homesim.home import Home, Location
from homesim.planning.sweep import ID_PATTERN

GROUP = "homesim.io"
VERSION = "v1alpha1"

#: JSON Schema keywords the Kubernetes structural schema keeps as they are.
_KEEP = ("type", "title", "description", "enum", "minimum", "maximum", "minLength", "maxLength", "pattern", "format",
         "minItems", "maxItems", "default", "nullable", "uniqueItems")


def _resolve(schema: Any, defs: dict[str, Any]) -> Any:
    """``schema`` with every ``$ref`` replaced by its definition."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            target = copy.deepcopy(defs[schema["$ref"].split("/")[-1]])
            extra = {k: v for k, v in schema.items() if k != "$ref"}
            return _resolve({**target, **extra}, defs)
        return {k: _resolve(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_resolve(v, defs) for v in schema]
    return schema


def structural(schema: dict[str, Any]) -> dict[str, Any]:
    """A resolved JSON schema as a Kubernetes structural OpenAPI v3 schema."""
    schema = dict(schema)
    options = schema.pop("anyOf", None) or schema.pop("oneOf", None)
    if options:
        non_null = [o for o in options if o.get("type") != "null"]
        nullable = len(non_null) < len(options)
        if len(non_null) == 1:
            merged = structural({**non_null[0], **{k: v for k, v in schema.items()
                                                   if k in ("title", "description", "default", units.KEY)}})
        elif all(o.get("type") == "object" for o in non_null):
            merged = {"type": "object", "properties": {}}
            for option in non_null:
                merged["properties"].update(structural(option).get("properties", {}))
        elif all("const" in o or "enum" in o or o.get("type") == "string" for o in non_null) and \
                all(o.get("type", "string") == "string" for o in non_null):
            values = [v for o in non_null for v in ([o["const"]] if "const" in o else o.get("enum", []))]
            merged = {"type": "string", **({"enum": values} if len(values) == len(non_null) else {})}
        else:  # e.g. a number or "max": checked by the operator with the pydantic model
            merged = {"x-kubernetes-int-or-string": True} if {o.get("type") for o in non_null} <= {
                "integer", "string"} else {"x-kubernetes-preserve-unknown-fields": True}
        for key in ("title", "description", units.KEY):
            if key in schema:
                merged[key] = schema[key]
        if nullable:
            merged["nullable"] = True
        if schema.get("default") is not None:
            merged["default"] = schema["default"]
        return merged
    out: dict[str, Any] = {k: schema[k] for k in _KEEP if k in schema}
    if "const" in schema:
        out["enum"] = [schema["const"]]
        out.setdefault("type", "string")
    if "exclusiveMinimum" in schema:
        out["minimum"], out["exclusiveMinimum"] = schema["exclusiveMinimum"], True
    if "exclusiveMaximum" in schema:
        out["maximum"], out["exclusiveMaximum"] = schema["exclusiveMaximum"], True
    if units.KEY in schema:  # the UI's forms read it; the CRD turns it into text (units_into_descriptions)
        out[units.KEY] = schema[units.KEY]
    kind = schema.get("type")
    if kind == "object":
        if "properties" in schema:
            out["properties"] = {k: structural(v) for k, v in schema["properties"].items()}
            if schema.get("required"):
                out["required"] = list(schema["required"])
        elif isinstance(schema.get("additionalProperties"), dict):
            out["additionalProperties"] = structural(schema["additionalProperties"])
        else:
            out["x-kubernetes-preserve-unknown-fields"] = True
    elif kind == "array":
        if "prefixItems" in schema:  # a fixed-length tuple: its items share one type here
            types = {i.get("type") for i in schema["prefixItems"]}
            out["items"] = {"type": types.pop()} if len(types) == 1 else {"x-kubernetes-preserve-unknown-fields": True}
            out["minItems"] = out["maxItems"] = len(schema["prefixItems"])
        elif "items" in schema:
            out["items"] = structural(schema["items"])
        else:
            out["items"] = {"x-kubernetes-preserve-unknown-fields": True}
    elif kind is None and "enum" not in out:
        out["x-kubernetes-preserve-unknown-fields"] = True
    if "default" in out and out["default"] is None:
        del out["default"]
    return out


def kind_schema(kind: str) -> dict[str, Any]:
    """The properties block of one device kind (without ``id`` and ``kind``)."""
    raw = KINDS[kind].Config.model_json_schema()
    schema = structural(_resolve(raw, raw.get("$defs", {})))
    for field in ("id", "kind", "enabled"):  # the name is metadata.name; spec.enabled switches
        schema["properties"].pop(field, None)
        if field in schema.get("required", []):
            schema["required"].remove(field)
    if not schema.get("required"):
        schema.pop("required", None)
    schema.pop("title", None)  # the pydantic class name (Config)
    schema["description"] = (KINDS[kind].Config.__doc__ or kind).strip().splitlines()[0]
    return schema


def units_into_descriptions(schema: Any) -> Any:
    """``schema`` without ``x-unit`` (a Kubernetes structural schema allows no such key), each
    unit written after its description instead, for ``kubectl explain`` (``at its terminals [W]``)."""
    if isinstance(schema, list):
        return [units_into_descriptions(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: units_into_descriptions(value) for key, value in schema.items() if key != units.KEY}
    if units.KEY in schema:
        out["description"] = units.with_unit(out.get("description", ""), schema[units.KEY])
    return out


def device_crd() -> dict[str, Any]:
    kinds = sorted(KINDS)
    spec = {
        "type": "object",
        "required": ["kind"],
        "properties": {
            "kind": {"type": "string", "enum": kinds, "description": "The device kind"},
            "enabled": {"type": "boolean", "default": True,
                        "description": "false: switched off (its Deployment scaled to 0)"},
            **{kind: units_into_descriptions(kind_schema(kind)) for kind in kinds},
        },
        "x-kubernetes-validations": [{
            "rule": " && ".join(f"(self.kind == '{k}' || !has(self.{k}))" for k in kinds),
            "message": "only the properties block named like spec.kind may be set",
        }],
    }
    status = {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
              "description": "Set by the operator: phase, replicas, observedGeneration and lastEnergy "
                             "(reachable, powerW, energyInJ, energyOutJ, tick: read from the device's metrics)"}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"devices.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"plural": "devices", "singular": "device", "kind": "Device", "shortNames": ["dev"]},
            "versions": [{
                "name": VERSION, "served": True, "storage": True,
                "subresources": {"status": {}},
                "additionalPrinterColumns": [
                    {"name": "Kind", "type": "string", "jsonPath": ".spec.kind"},
                    {"name": "Enabled", "type": "boolean", "jsonPath": ".spec.enabled"},
                    {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
                    {"name": "Power W", "type": "number", "jsonPath": ".status.lastEnergy.powerW"},
                ],
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "description": "A device of a home; the home is the namespace",
                    "properties": {"spec": spec, "status": status},
                }},
            }],
        },
    }


def values_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the chart's ``home``, ``devices`` and ``sweep`` values."""
    home = Home.model_json_schema()
    defs = home.get("$defs", {})
    device = copy.deepcopy(home["properties"]["devices"]["items"])
    for option in device.get("oneOf", []):
        name = option["$ref"].split("/")[-1]
        defs[name] = copy.deepcopy(defs[name])
        defs[name]["properties"]["enabled"] = {"type": "boolean", "default": True,
                                               "description": "false: switched off (scaled to 0)"}
    location = Location.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "homesim home chart values",
        "type": "object",
        "properties": {
            "home": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "name": home["properties"]["name"],
                    "location": {k: v for k, v in location.items() if k != "title"},
                    "start": home["properties"]["start"],
                    "currency": home["properties"]["currency"],
                    "seed": home["properties"]["seed"],
                },
            },
            "devices": {"type": "array", "items": device, "description": "The home's devices, as in a home file"},
            "sweep": sweep_values_schema(),
        },
        "$defs": dict(sorted(defs.items())),
    }


def sweep_values_schema() -> dict[str, Any]:
    """The chart's ``sweep`` values: a what-if sweep run as an Indexed Job (``templates/sweep-job.yaml``)."""
    whole = lambda low, description: {"type": "integer", "minimum": low, "description": description}  # noqa: E731
    return {
        "type": "object",
        "additionalProperties": False,
        "description": "A what-if sweep stored by `homesim compare --kubernetes`, run as an Indexed Job",
        "properties": {
            "enabled": {"type": "boolean", "default": False, "description": "render the sweep's Job"},
            "id": {"type": "string", "description": "the sweep's id (printed by homesim compare --kubernetes)",
                   "anyOf": [{"const": ""}, {"pattern": ID_PATTERN.pattern}]},
            "shards": whole(1, "pods in all (completions); pod i evaluates every variant v with v % shards == i"),
            "parallelism": whole(1, "pods at once"),
            "databaseSecret": {"type": "string", "minLength": 1, "description": "Secret holding the database URL"},
            "databaseSecretKey": {"type": "string", "minLength": 1, "description": "its key holding the URL"},
            "backoffLimitPerIndex": whole(0, "retries of a failed shard"),
            "ttlSecondsAfterFinished": whole(0, "seconds a finished Job is kept"),
            "resources": {"type": "object", "description": "the worker container's resources"},
        },
        "if": {"properties": {"enabled": {"const": True}}, "required": ["enabled"]},
        "then": {"properties": {"id": {"minLength": 1}}, "required": ["id"]},
    }


def device_kinds() -> dict[str, Any]:
    """Per device kind, for the UI's palette and forms: role, description, the kind's name for
    people (``label``), ``icon``, place in the palette (``order``, null: not offered), the usual
    ``circuit`` of a load (where the palette adds it), whether it can be removed or switched off
    while the home runs (``removable``), the schema of its properties and the
    order of the form's ``fields``: as the model declares them (name and circuit first, the
    kind's own after), the smart switch last."""
    out: dict[str, Any] = {}
    for kind in sorted(KINDS):
        config = KINDS[kind].Config
        schema = kind_schema(kind)
        circuit = getattr(config, "USUAL_CIRCUIT", None) if "circuit" in schema["properties"] else None
        if circuit:
            field = schema["properties"]["circuit"]
            field["description"] = f"{field['description']}. Usually {circuit}: {config.USUAL_CIRCUIT_WHY}"
        declared = [name for name in config.model_fields if name in schema["properties"]]
        fields = [name for name in declared if name != "switch"] + [name for name in declared if name == "switch"]
        _nested_fields(schema["properties"])
        out[kind] = {"role": config.ROLE, "label": config.LABEL or kind, "icon": config.ICON,
                     "order": config.PALETTE_ORDER, "circuit": circuit, "removable": config.REMOVABLE,
                     "fields": fields, **schema}
    return out


def _nested_fields(properties: dict[str, Any]) -> None:
    """Give every nested object (a list's items too) its ``fields`` in declaration order (the
    file is written with sorted keys; the forms show a record's fields as the model has them)."""
    for schema in properties.values():
        target = schema.get("items", schema) if schema.get("type") == "array" else schema
        if isinstance(target, dict) and target.get("type") == "object" and "properties" in target:
            target["fields"] = list(target["properties"])
            _nested_fields(target["properties"])


def write_ui(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(device_kinds(), indent=1, sort_keys=True) + "\n")
    return path


def kinds_include() -> str:
    """The chart's include of what its templates need to know of the kinds (``_kinds.tpl``):
    the kinds whose process joins the bus as a service (``JOINS_AS``)."""
    services = " ".join(kind for kind, module in KINDS.items() if module.Config.JOINS_AS == "service")
    return ("{{/* Generated by cd/process_specs.sh from the device kinds (homesim.devices): do not edit. */}}\n"
            "{{/* Kinds whose process joins the bus with a service's credential (JOINS_AS), space-separated. */}}\n"
            f'{{{{- define "home.serviceKinds" -}}}}{services}{{{{- end -}}}}\n')


def services_include() -> str:
    """The chart's include of the home's services (``_services.tpl``): one Deployment, secret and
    credential each, from the one list (:data:`homesim.credentials.SERVICES`)."""
    return ("{{/* Generated by cd/process_specs.sh from homesim.credentials.SERVICES: do not edit. */}}\n"
            "{{/* The home's service processes (python -m homesim.bus.services NAME), space-separated. */}}\n"
            f'{{{{- define "home.services" -}}}}{" ".join(SERVICES)}{{{{- end -}}}}\n')


def write(out: Path) -> list[Path]:
    (out / "crds").mkdir(parents=True, exist_ok=True)
    crd = out / "crds" / "device.yaml"
    crd.write_text("# Generated by cd/process_specs.sh from the pydantic device configs: do not edit.\n"
                   + yaml.safe_dump(device_crd(), sort_keys=False, width=100))
    values = out / "values.schema.json"
    values.write_text(json.dumps(values_schema(), indent=2) + "\n")
    (out / "templates").mkdir(parents=True, exist_ok=True)
    kinds = out / "templates" / "_kinds.tpl"
    kinds.write_text(kinds_include())
    services = out / "templates" / "_services.tpl"
    services.write_text(services_include())
    return [crd, values, kinds, services]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m homesim.generators.k8s_schemas", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="the chart folder, e.g. charts/home")
    parser.add_argument("--ui-kinds", type=Path, help="also write the device kinds' form schemas (JSON) here")
    args = parser.parse_args(argv)
    for path in write(args.out) + ([write_ui(args.ui_kinds)] if args.ui_kinds else []):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
