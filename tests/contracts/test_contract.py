"""The contract: pydantic models -> AsyncAPI -> TypeScript, one source of truth."""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from conftest import ROOT
from homesim import messages
from homesim.generators import specs
from samples import samples

CD = ROOT / "cd"
NODE_MODULES = CD / "node_modules"
GENERATED_TS = ROOT / "ui" / "src" / "app" / "generated"


def models_by_name():
    return {m.__name__: m for m in specs._payload_models()}


def test_every_message_model_has_samples_that_validate():
    examples = samples()
    assert set(models_by_name()) <= set(examples)
    for name, payloads in examples.items():
        for payload in payloads:
            getattr(messages, name).model_validate(payload)


def test_the_document_is_valid_asyncapi_3_with_units_and_closed_objects():
    document = specs.build()
    specs.validate(document)
    schemas = document["components"]["schemas"]
    assert schemas["Settlement"]["additionalProperties"] is False
    assert schemas["Settlement"]["properties"]["loss_j"]["x-unit"] == "J"
    assert "sum(e.values()) == loss_j" in schemas["Settlement"]["description"]
    assert schemas["PvEnergy"]["properties"]["available_j"]["minimum"] == 0
    for channel in document["channels"].values():
        for name in ("home", "device"):
            assert (f"{{{name}}}" in channel["address"]) == (name in channel["parameters"])
    # every operation names a channel that exists, and every message it sends is in that channel
    for operation in document["operations"].values():
        channel = operation["channel"]["$ref"].split("/")[-1]
        for message in operation["messages"]:
            assert message["$ref"].startswith(f"#/channels/{channel}/messages/")
            assert message["$ref"].split("/")[-1] in document["channels"][channel]["messages"]


def test_the_parser_of_the_asyncapi_project_accepts_the_committed_spec():
    script = ("import {Parser} from '@asyncapi/parser'; import {readFileSync} from 'node:fs';"
              "const {document, diagnostics} = await new Parser().parse(readFileSync(process.argv[1], 'utf8'));"
              "const errors = diagnostics.filter(d => d.severity === 0);"
              "console.log(JSON.stringify({ok: !!document, errors: errors.map(e => e.message + ' at ' + e.path.join('.')),"
              " channels: document ? document.channels().length : 0}));")
    result = subprocess.run(["node", "--input-type=module", "-e", script, str(ROOT / "specs" / specs.SPEC_FILE)],
                            cwd=CD, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["errors"] == [] and report["ok"], report
    assert report["channels"] == len(messages.TOPICS) + len(messages.PROCEDURES)


def test_committed_generated_files_are_fresh(tmp_path):
    """Everything regenerated into a temporary folder equals what is committed."""
    result = subprocess.run(["bash", str(CD / "process_specs.sh"), str(tmp_path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    stale = []
    for fresh in sorted(p for p in tmp_path.rglob("*") if p.is_file()):
        committed = ROOT / fresh.relative_to(tmp_path)
        if not committed.exists() or committed.read_bytes() != fresh.read_bytes():
            stale.append(str(committed.relative_to(ROOT)))
    for committed in GENERATED_TS.glob("*.ts"):
        if not (tmp_path / committed.relative_to(ROOT)).exists():
            stale.append(f"{committed.relative_to(ROOT)} (no longer generated)")
    assert not stale, f"stale generated files (run cd/process_specs.sh): {', '.join(stale)}"


@pytest.fixture(scope="module")
def compiled_ts(tmp_path_factory):
    out = tmp_path_factory.mktemp("ts")
    tsc = NODE_MODULES / "typescript" / "bin" / "tsc"
    strict = subprocess.run(["node", str(tsc), "-p", str(ROOT / "ui" / "tsconfig.generated.json")],
                            capture_output=True, text=True, timeout=300)
    assert strict.returncode == 0, strict.stdout + strict.stderr
    build = subprocess.run(["node", str(tsc), "--strict", "--target", "ES2022", "--module", "commonjs",
                            "--outDir", str(out), *map(str, sorted(GENERATED_TS.glob("*.ts")))],
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stdout + build.stderr
    return out


def test_typescript_round_trip_is_lossless_for_every_message(compiled_ts, tmp_path):
    """Python model -> JSON -> TS unmarshal -> marshal -> JSON -> Python model."""
    examples = samples()
    classes = [name for name in examples if "static unmarshal" in (GENERATED_TS / f"{name}.ts").read_text()]
    aliases = set(examples) - set(classes)
    assert aliases <= {"SetProperties"}, aliases  # an open mapping: a plain object in TypeScript
    wire = {name: [getattr(messages, name).model_validate(p).model_dump_json(exclude_unset=True) for p in examples[name]]
            for name in classes}
    (tmp_path / "in.json").write_text(json.dumps(wire))
    script = ("const fs = require('fs'); const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));"
              "const out = {}; for (const [name, payloads] of Object.entries(input)) {"
              " const cls = require(process.argv[3] + '/' + name + '.js')[name];"
              " out[name] = payloads.map(p => cls.unmarshal(p).marshal()); }"
              "fs.writeFileSync(process.argv[4], JSON.stringify(out));")
    result = subprocess.run(["node", "-e", script, "x", str(tmp_path / "in.json"), str(compiled_ts),
                             str(tmp_path / "out.json")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    back = json.loads((tmp_path / "out.json").read_text())
    assert set(back) == set(classes)
    for name in classes:
        model = getattr(messages, name)
        for sent, returned in zip(wire[name], back[name], strict=True):
            assert json.loads(returned) == json.loads(sent), name
            assert model.model_validate_json(returned) == model.model_validate_json(sent), name


def test_the_device_crd_is_a_valid_kubernetes_object_with_each_kinds_properties(tmp_path):
    from homesim.generators import k8s_schemas
    from homesim.devices import KINDS

    crd = k8s_schemas.device_crd()
    path = tmp_path / "device.yaml"
    path.write_text(yaml.safe_dump(crd))
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "kubernetes-validate"), "--strict", "-k", "1.32", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert spec["properties"]["kind"]["enum"] == sorted(KINDS)
    text = json.dumps(crd)
    for forbidden in ('"$ref"', '"anyOf"', '"oneOf"', '"const"', '"x-unit"', '"additionalProperties": false'):
        assert forbidden not in text  # Kubernetes structural schemas allow none of these
    for kind, module in KINDS.items():
        block = spec["properties"][kind]
        expected = set(module.Config.model_fields) - {"id", "kind", "enabled"}
        assert set(block["properties"]) == expected, kind
    battery = spec["properties"]["battery"]["properties"]["capacity_kwh"]
    assert battery["minimum"] == 0 and battery["exclusiveMinimum"] is True


def test_values_schema_accepts_the_reference_home_and_names_bad_devices():
    import jsonschema

    from homesim.generators import k8s_schemas
    from homesim.home import load_home

    schema = k8s_schemas.values_schema()
    home = load_home(ROOT / "examples" / "home.yaml").model_dump(mode="json")
    values = {"home": {k: home[k] for k in ("name", "location", "start", "currency", "seed")},
              "devices": [{**d, "enabled": True} for d in home["devices"]]}
    jsonschema.validate(values, schema)
    values["devices"][4]["capacity_kwh"] = -5
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(values, schema)


def test_the_image_locks_hold_every_pin_of_pyproject():
    """infra/docker/*.lock (what the images install) agree with pyproject.toml and the router's pin."""
    import sys

    result = subprocess.run([sys.executable, str(ROOT / "infra" / "docker" / "lock.py"), "--check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    lock = (ROOT / "infra" / "docker" / "homesim.lock").read_text()
    assert all("--hash=sha256:" in line for line in lock.splitlines() if line and not line.startswith("#"))
