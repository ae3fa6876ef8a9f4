"""The shape of homesim's code, in the figures issue 25 asked for: the largest function, imports
inside functions (all and homesim's own), modules over 500 lines, import-linter contracts.

    .venv/bin/python bench/codeshape.py [--top N]

Reads ``services/homesim`` as text (ast), runs nothing of it. Duplicate pairs come from the tool
library's ``duplicates`` command (``cd services && duplicates``), not from here.
"""

from __future__ import annotations

import argparse
import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "services" / "homesim"
#: A module longer than this wants a reason at its top [lines].
LONG_MODULE = 500


def functions(tree: ast.AST):
    """Every function and method of a module, nested ones included."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def inner_imports(tree: ast.AST):
    """The import statements inside a function's body (not at module or class level)."""
    seen: set[int] = set()
    for function in functions(tree):
        for node in ast.walk(function):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in seen:
                seen.add(id(node))
                yield node


def is_own(node: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level > 0 or (node.module or "").split(".")[0] == "homesim"
    return any(alias.name.split(".")[0] == "homesim" for alias in node.names)


def measure(top: int = 5) -> dict:
    modules = sorted(PACKAGE.rglob("*.py"))
    biggest: list[tuple[int, str]] = []
    inner = own = 0
    long_modules = []
    for path in modules:
        text = path.read_text()
        tree = ast.parse(text)
        name = str(path.relative_to(PACKAGE.parent))
        lines = text.count("\n")
        if lines > LONG_MODULE:
            long_modules.append((lines, name))
        for function in functions(tree):
            biggest.append((function.end_lineno - function.lineno + 1, f"{name}:{function.lineno} {function.name}"))
        for node in inner_imports(tree):
            inner += 1
            own += is_own(node)
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    return {"modules": len(modules), "largest functions": sorted(biggest, reverse=True)[:top],
            "imports inside functions": inner, "of them homesim's own": own,
            "modules over 500 lines": sorted(long_modules, reverse=True), "import-linter contracts": len(contracts)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=5, help="how many of the largest functions to list")
    figures = measure(parser.parse_args().top)
    for key, value in figures.items():
        if isinstance(value, list):
            print(f"{key}: {len(value)}" if key.startswith("modules over") else f"{key}:")
            for lines, name in value:
                print(f"  {lines:5d}  {name}")
        else:
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
