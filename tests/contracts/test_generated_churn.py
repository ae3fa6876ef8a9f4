"""Adding a kind changes only the generated files that concern it.

The whole contract chain (``cd/process_specs.sh``: AsyncAPI, TypeScript models, HTML, CRD,
values schema, the UI's kinds, the dispatcher, dashboards, Compose) runs twice on one copy of
``services/``: without and with a throwaway kind (``churn/dishwasher.py``, which uses the shared
window and weekday types and an enumeration of its own). Every generated file that differs
between the two runs must name the new kind; none may disappear. Types numbered by their
position in the document (Modelina's ``AnonymousSchema_<n>``) fail this: a kind added before
them renumbers them, and every file using them, although they have nothing to do with it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

HERE = Path(__file__).resolve().parent
KIND = HERE / "churn" / "dishwasher.py"


def _copy_of_the_repository(root: Path, services: Path) -> Path:
    """The parts ``cd/process_specs.sh`` reads: a copy of ``services`` and of ``cd/``'s scripts,
    the rest linked to the repository's."""
    root.mkdir()
    shutil.copytree(services, root / "services", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    (root / "cd").mkdir()
    for script in (ROOT / "cd").iterdir():
        if script.suffix in (".sh", ".mjs", ".json"):
            shutil.copy(script, root / "cd" / script.name)
    (root / "cd" / "node_modules").symlink_to(ROOT / "cd" / "node_modules")
    for name in ("examples", "infra"):
        (root / name).symlink_to(ROOT / name)
    return root


def _generate(root: Path, out: Path) -> dict[str, bytes]:
    """Every file ``cd/process_specs.sh`` of ``root`` writes into ``out``: path -> bytes."""
    env = {**os.environ, "PYTHON": sys.executable, "HOMESIM_NUMBA_CACHE_BASE": str(root / "numba")}
    env.pop("NUMBA_CACHE_DIR", None)
    result = subprocess.run(["bash", str(root / "cd" / "process_specs.sh"), str(out)], cwd=root, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def churn(tmp: Path, kind: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The generated files without and with ``kind`` added to the same copy of ``services/``."""
    without = _copy_of_the_repository(tmp / "without", ROOT / "services")
    with_kind = _copy_of_the_repository(tmp / "with", without / "services")
    shutil.copy(kind, with_kind / "services" / "homesim" / "devices" / kind.name)
    return _generate(without, tmp / "out-without"), _generate(with_kind, tmp / "out-with")


def unconcerned(without: dict[str, bytes], with_kind: dict[str, bytes], names: tuple[bytes, ...]) -> list[str]:
    """Generated files that adding the kind removed, or changed though they do not name it."""
    gone = [f"{path} (removed)" for path in sorted(set(without) - set(with_kind))]
    changed = [path for path in sorted(with_kind) if with_kind[path] != without.get(path)
               and not any(name in with_kind[path] for name in names)]
    return gone + changed


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return churn(tmp_path_factory.mktemp("churn"), KIND)


def test_adding_a_kind_changes_only_the_generated_files_that_name_it(generated):
    without, with_kind = generated
    assert not unconcerned(without, with_kind, (b"dishwasher", b"Dishwasher")), \
        "generated files changed by adding a kind that has nothing to do with them"


def test_the_kind_does_reach_the_generated_files(generated):
    """The check above is not empty: the kind is in the contract, the chart and the UI's models."""
    without, with_kind = generated
    added = set(with_kind) - set(without)
    assert "ui/src/app/generated/DishwasherProperties.ts" in added
    changed = {path for path in with_kind if path in without and with_kind[path] != without[path]}
    assert {"specs/homesim.asyncapi.yaml", "charts/home/crds/device.yaml", "charts/home/values.schema.json",
            "ui/src/app/generated/device-kinds.json", "ui/src/app/generated/index.ts"} <= changed
    assert b"DishwasherProgram" in with_kind["specs/homesim.asyncapi.yaml"]


def test_no_generated_type_is_named_by_its_position():
    """Modelina names a type without a name by a counter over the document: no such file is committed."""
    numbered = sorted(p.name for p in (ROOT / "ui" / "src" / "app" / "generated").glob("AnonymousSchema*"))
    assert not numbered, f"types named by position (give them a title in the models): {numbered}"
