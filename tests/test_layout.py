"""The code's layout holds itself (issue 25): every module of the package imports on its own, none
grows past 500 lines without saying why at its top, and the import rules ruff and import-linter
enforce are switched on (a rule dropped from the configuration would let the rest grow back).
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import homesim  # noqa: E402
from codeshape import LONG_MODULE, measure  # noqa: E402

#: What a long module writes near its top to say why it is long.
REASON = "Over 500 lines:"
MODULES = sorted(m.name for m in pkgutil.walk_packages(homesim.__path__, "homesim.") if not m.name.endswith("__main__"))


def test_every_module_imports_on_its_own():
    """A module importing a name its neighbour no longer has fails here, not in a live process's
    log (a moved ``rpc_arguments`` once stopped every live home's recorder). Each is imported in a
    fresh interpreter of its own: importing the operator registers kopf handlers and reads its
    environment once, which must not leak into the tests that run it."""
    code = ("import importlib, json, sys\nfailed = {}\nfor name in sys.argv[1:]:\n"
            "    try:\n        importlib.import_module(name)\n"
            "    except Exception as error:\n        failed[name] = repr(error)\nprint(json.dumps(failed))")
    done = subprocess.run([sys.executable, "-c", code, *MODULES], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.splitlines()[-1]) == {}


def test_a_module_over_500_lines_says_why_at_its_top():
    package = ROOT / "services" / "homesim"
    unexplained = []
    for path in sorted(package.rglob("*.py")):
        lines = path.read_text().splitlines()
        if len(lines) > LONG_MODULE and not any(REASON in line for line in lines[:40]):
            unexplained.append(f"{path.relative_to(package.parent)} ({len(lines)} lines)")
    assert not unexplained, f"split these or write {REASON!r} and the reason near their top: {unexplained}"


def test_the_import_rules_are_on():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    lint = config["tool"]["ruff"]["lint"]
    assert {"PLC0415", "TID253"} <= set(lint["select"])  # imports inside functions only where allowed
    banned = set(lint["flake8-tidy-imports"]["banned-module-level-imports"])
    assert {"matplotlib", "scipy", "pvlib", "kubernetes", "homesim.plots"} <= banned
    contracts = config["tool"]["importlinter"]["contracts"]
    assert len(contracts) >= 10
    kinds = next(c for c in contracts if c["type"] == "independence" and "homesim.devices.battery" in c["modules"])
    from homesim.devices import KINDS

    assert set(kinds["modules"]) == {module.__name__ for module in KINDS.values()}, \
        "every kind is in the independence contract (a new kind imports no other kind)"


def test_no_homesim_module_is_left_at_the_old_flat_places():
    """The modules moved into packages are gone from the top level (no stale copy shadows them)."""
    top = {path.stem for path in (ROOT / "services" / "homesim").glob("*.py")}
    assert not top & {"plan", "optimize", "finance", "ageing", "sweep", "consistency", "home", "cli", "specs", "compose",
                       "k8s_schemas"}


def test_the_measured_shape_stays_within_what_issue_25_left():
    figures = measure(top=1)
    assert figures["import-linter contracts"] >= 10
    assert figures["largest functions"][0][0] <= 200, figures["largest functions"]


def test_no_two_modules_import_each_other():
    """No import circle, however long, typing-only imports counted (the last one, home <-> consistency
    through a TYPE_CHECKING import, went with issue 25); a
    package's ``__init__`` exporting its own modules' names does not count."""
    import grimp  # import-linter's graph, installed with it

    graph = grimp.build_graph("homesim", exclude_type_checking_imports=False)  # a typing-only import counts too
    circles = set()
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            if importer.startswith(imported + ".") or imported.startswith(importer + "."):
                continue
            if graph.chain_exists(importer=imported, imported=importer):
                circles.add(tuple(sorted((importer, imported))))
    assert not circles, sorted(circles)
