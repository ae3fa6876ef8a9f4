"""The AsyncAPI 3.0 document of a home's bus, built from ``homesim.messages`` and nothing else.

``homesim specs --out specs/`` writes ``specs/homesim.asyncapi.yaml``. The document is built
as plain data, validated with pydantic-asyncapi's AsyncAPI 3 models (asyncapi-schema-pydantic,
named in the design, does not import under pydantic v2), and written with sorted schemas so
that regenerating an unchanged contract gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic.json_schema import models_json_schema

from homesim import messages
from homesim.devices import KINDS
from homesim.bus.uris import CONFLICT, INVALID_PROPERTY, REALM

SPEC_FILE = "homesim.asyncapi.yaml"
VERSION = "0.1.0"

#: RPCs that may answer ``homesim.error.conflict`` (a write based on a stale read).
CONFLICTING = {"device_set", "controller_add", "controller_remove", "controller_switch"}

#: RPC replies that are bare lists: name -> item model.
LIST_REPLIES = {"controller_list": messages.DeviceSummary, "settlements_since": messages.Settlement,
                "report_recent": messages.Settlement}

DESCRIPTION = f"""\
The WAMP bus of one homesim home (realm `{REALM}`). Every device runs as its own process and
publishes, per tick, the energy it needs or can give; the inverter settles the tick.

**A tick**: the clock publishes `tick`; each energy device answers on
`device.<id>.energy`; the inverter publishes the `settlement` once every present device has
reported (or after a barrier timeout: absent devices are listed in `missing`, never zeroed);
devices apply it and publish their `state`.

**Payloads**: a topic's payload and an RPC's reply are the first positional argument of the
WAMP message; an RPC's request is its keyword arguments. SI units throughout (`x-unit` on each
field): energy in integer Joules [J], power [W], time [s]. A flow `e[device]` is positive into
the home's bus (PV, battery discharge, grid import) and negative out of it (loads, battery
charge, export); per tick `sum(e.values()) == loss_j` exactly.

**Errors**: a refused property change or malformed request is the WAMP error
`{INVALID_PROPERTY}`, whose message names the field and what is allowed. A write based on a
stale read is `{CONFLICT}`: a `device.<id>.set` naming the `revision` it read (from `get` or
the retained `config`) when a property it sets changed since ("changed elsewhere since
revision N (now M): reload"; its keyword arguments `revision` and `fields`), or a controller
action that kept meeting a concurrent change of the same Device. A `set` without a revision
is last-writer-wins.

**Security**: services authenticate with WAMP-CRA, devices, viewer and operator with tickets
made per run; a device may publish and register only under `home.<home>.device.<its id>.`.
"""


def _schemas() -> dict[str, Any]:
    models = sorted({*_payload_models()}, key=lambda m: m.__name__)
    _, top = models_json_schema([(m, "validation") for m in models], ref_template="#/components/schemas/{model}")
    schemas = dict(top.get("$defs", {}))
    kinds = _device_schemas(schemas)
    # A device's properties, as in the home file: one of the kinds' (by its ``kind``).
    view = schemas["DeviceView"]["properties"]["properties"]
    view.pop("additionalProperties", None)
    view.pop("type", None)
    view["oneOf"] = [{"$ref": f"#/components/schemas/{name}"} for name in kinds]
    _name_enums(schemas)
    return dict(sorted(schemas.items()))


def _name_enums(schemas: dict[str, Any]) -> None:
    """Every enumeration written inside a schema becomes a schema of its own, named by where it
    is: ``BatteryProperties.ageing_model`` -> ``BatteryAgeingModel``, ``ReportRequest.by`` ->
    ``ReportRequestBy``. Left inline, Modelina names it by its title, or by a counter over the
    whole document (``AnonymousSchema_162``), so adding a kind would renumber the types of the
    others, or two kinds' fields of one title would overwrite each other's type. Types shared by
    several models are named in the models themselves (``Weekday``, ``Circuit``: a $ref already)."""
    found: dict[str, Any] = {}
    for owner, schema in list(schemas.items()):
        for field, part in schema.get("properties", {}).items():
            name = owner.removesuffix("Properties") + "".join(w[:1].upper() + w[1:] for w in field.split("_"))
            schema["properties"][field] = _hoist(part, name, found)
    for name, enum in sorted(found.items()):
        if schemas.setdefault(name, enum) != enum:
            raise ValueError(f"two schemas named {name!r} differ: rename a field or a model")


def _hoist(part: Any, name: str, found: dict[str, Any]) -> Any:
    """``part`` with its inline enumerations replaced by references to schemas in ``found``."""
    if not isinstance(part, dict):
        return part
    if "enum" in part and "$ref" not in part:
        enum = {key: part[key] for key in ("type", "enum") if key in part}
        if found.setdefault(name, {**enum, "title": name}) != {**enum, "title": name}:
            raise ValueError(f"two enumerations would be named {name!r}: rename a field or a model")
        return {"$ref": f"#/components/schemas/{name}",
                **{key: value for key, value in part.items() if key not in enum}}
    out = dict(part)
    for key in ("anyOf", "oneOf"):
        if key in out:
            out[key] = [_hoist(option, name, found) for option in out[key]]
    for key in ("items", "additionalProperties"):
        if key in out:
            out[key] = _hoist(out[key], name, found)
    return out


def properties_schema_name(kind: str) -> str:
    """The schema of a device kind's properties: ``ev_charger`` -> ``EvChargerProperties``."""
    return "".join(part.title() for part in kind.split("_")) + "Properties"


def _device_schemas(schemas: dict[str, Any]) -> list[str]:
    """Each device kind's properties (its pydantic config, ``homesim.devices``) added to
    ``schemas`` with the models they use; their names."""
    names = []
    for kind, module in KINDS.items():
        schema = module.Config.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, part in schema.pop("$defs", {}).items():
            if schemas.setdefault(name, part) != part:
                raise ValueError(f"two schemas named {name!r} differ (kind {kind!r}): rename one model")
        name = properties_schema_name(kind)
        schema["title"] = name
        schema["description"] = f"A {module.Config.LABEL or kind} ({kind}) device's properties: " + \
            (module.Config.__doc__ or "").strip().splitlines()[0]
        schemas[name] = schema
        names.append(name)
    return names


def _payload_models() -> list[type[messages.Message]]:
    found = [m for topic in messages.TOPICS for m in topic.messages]
    for procedure in messages.PROCEDURES:
        found.append(procedure.request)
        if procedure.reply is not None:
            found.append(procedure.reply)
    found += list(LIST_REPLIES.values())
    return found


def _message(model: type[messages.Message]) -> dict[str, Any]:
    doc = (model.__doc__ or model.__name__).strip().splitlines()[0]
    return {"name": model.__name__, "title": model.__name__, "summary": doc, "contentType": "application/json",
            "payload": {"$ref": f"#/components/schemas/{model.__name__}"}}


def _parameters(address: str) -> dict[str, Any]:
    params = {}
    if "{home}" in address:
        params["home"] = {"description": "The home's id (the home file's stem, e.g. `home`)"}
    if "{device}" in address:
        params["device"] = {"description": "A device's id in the home file, e.g. `battery`"}
    return params


def build() -> dict[str, Any]:
    """The AsyncAPI document as plain data."""
    components_messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}

    def ref_message(model: type[messages.Message]) -> dict[str, str]:
        components_messages.setdefault(model.__name__, _message(model))
        return {"$ref": f"#/components/messages/{model.__name__}"}

    for topic in messages.TOPICS:
        channels[topic.name] = {
            "address": topic.address,
            "title": topic.name,
            "description": f"{topic.description} Published by {topic.publisher}"
                           f"{'; retained (a new subscriber gets the last one)' if topic.retained else ''}.",
            "parameters": _parameters(topic.address),
            "messages": {m.__name__: ref_message(m) for m in topic.messages},
        }
        operations[f"publish_{topic.name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{topic.name}"},
            "summary": f"{topic.publisher} publishes {topic.name}",
            "messages": [{"$ref": f"#/channels/{topic.name}/messages/{m.__name__}"} for m in topic.messages],
        }
    for procedure in messages.PROCEDURES:
        request = procedure.request
        channel_messages = {request.__name__: ref_message(request)}
        if procedure.name in LIST_REPLIES:
            item = LIST_REPLIES[procedure.name]
            name = f"{item.__name__}List"
            components_messages.setdefault(name, {
                "name": name, "title": name, "summary": f"A list of {item.__name__}", "contentType": "application/json",
                "payload": {"title": name, "type": "array",
                            "items": {"$ref": f"#/components/schemas/{item.__name__}"}}})
            reply_name = name
        else:
            reply_name = procedure.reply.__name__
            ref_message(procedure.reply)
        channel_messages[reply_name] = {"$ref": f"#/components/messages/{reply_name}"}
        channels[procedure.name] = {
            "address": procedure.address,
            "title": procedure.name,
            "description": f"RPC. {procedure.description} Registered by {procedure.callee}; "
                           f"callable by {procedure.callers}. Errors: {INVALID_PROPERTY}"
                           + (f", {CONFLICT}." if procedure.name in CONFLICTING else "."),
            "parameters": _parameters(procedure.address),
            "messages": channel_messages,
        }
        operations[f"call_{procedure.name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{procedure.name}"},
            "summary": f"call {procedure.address}",
            "messages": [{"$ref": f"#/channels/{procedure.name}/messages/{request.__name__}"}],
            "reply": {"address": {"location": "$message.header#/request",
                                  "description": "WAMP returns the result to the caller of this call"},
                      "channel": {"$ref": f"#/channels/{procedure.name}"},
                      "messages": [{"$ref": f"#/channels/{procedure.name}/messages/{reply_name}"}]},
        }
    return {
        "asyncapi": "3.0.0",
        "id": "urn:homesim:bus",
        "info": {"title": "homesim home bus", "version": VERSION, "description": _reflow(DESCRIPTION)},
        "servers": {"local": {"host": "127.0.0.1:{port}", "protocol": "ws", "pathname": "/ws",
                              "description": f"The home's Crossbar router (WAMP over WebSocket, realm `{REALM}`); "
                                             "`homesim up` prints the port.",
                              "variables": {"port": {"description": "Printed by homesim up", "default": "8080"}}}},
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"schemas": _schemas(), "messages": dict(sorted(components_messages.items()))},
    }


def _reflow(text: str) -> str:
    """Paragraphs as single lines (the YAML stays readable)."""
    return "\n\n".join(" ".join(p.split()) for p in text.strip().split("\n\n"))


def validate(document: dict[str, Any]) -> None:
    """Check the document against the AsyncAPI 3 object models (raises on a problem)."""
    from pydantic_asyncapi.v3 import AsyncAPI

    AsyncAPI.model_validate(document)


def render(document: dict[str, Any]) -> str:
    return ("# Generated by `homesim specs` from services/homesim/messages.py: do not edit.\n"
            + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100))


def write(out_dir: Path) -> Path:
    document = build()
    validate(document)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / SPEC_FILE
    path.write_text(render(document))
    return path
