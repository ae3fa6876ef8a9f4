"""The guides' commands, as data: ``docs/guides/runs.yaml``, shown in the pages by the
``guide-run`` directive (``homesim_docs``) and run by ``tests/docs/test_docs_guides.py``.

Each command has a ``test``:

``real``
    Run for real (``homesim ...`` as ``python -m homesim.cli ...``) in a scratch folder that
    holds the repository's files (so ``out/...`` lands there); with ``output: true`` the page
    shows its output, kept in ``docs/guides/output/<guide>.<id>.txt``, and the test compares a
    fresh run's output with it (numbers that vary run to run, such as the engine's wall time,
    are masked).
``live``
    ``homesim up`` of a home that the live test starts for real and talks to (what the guide
    does with wampc, done with a WAMP client).
``parse``
    A ``homesim`` command that can't run in a test (a live home until Ctrl-C, a cluster's
    database): its options must parse and every file it names must exist.
``files``
    Another tool's command (docker compose, kubectl, helm, npx): every file it names (its
    ``files:``) must exist.
``render``
    ``helm install`` with a values file: the test renders the chart with those values (Helm's
    own library) and validates what comes out.

A ``real`` command may also name files it writes that its page shows (``shows:``, paths
relative to where it runs, e.g. ``out/own-home/quality.md``): kept in
``docs/guides/output/<guide>.<id>/`` (a markdown file as ``<name>.txt``, so that Sphinx does not
take it for a page; the page includes it), and the test compares a fresh run's text files with
them (images: written, and PNG).

``python docs/_ext/guide_runs.py --update`` runs every ``real`` command and rewrites the outputs.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
RUNS = DOCS / "guides" / "runs.yaml"
OUTPUT = DOCS / "guides" / "output"
TESTS = ("real", "live", "parse", "files", "render")

#: What changes from run to run in an output, and what it is shown as.
MASKS = ((re.compile(r"engine \d+(\.\d+)? s\b"), "engine ... s"),)


@dataclass
class Run:
    guide: str
    id: str
    run: str
    test: str
    output: bool = False
    files: list[str] = field(default_factory=list)
    #: Figures the page quotes in its text: each must be in the output (checked by tests/docs).
    quoted: list[str] = field(default_factory=list)
    #: Files the command writes that its page shows (kept beside its output; see the module doc).
    shows: list[str] = field(default_factory=list)
    timeout_s: float = 300.0

    @property
    def output_path(self) -> Path:
        return OUTPUT / f"{self.guide.replace('/', '.')}.{self.id}.txt"

    @property
    def page(self) -> Path:
        """The page that shows the command: ``docs/guides/<guide>.md``, or ``docs/<guide>.md``
        for a group named after another page (``user/commands``)."""
        return DOCS / (f"{self.guide}.md" if "/" in self.guide else f"guides/{self.guide}.md")

    def kept(self, written: str) -> Path:
        """Where the copy of a file the page shows is kept (``shows``)."""
        name = Path(written).name
        return OUTPUT / f"{self.guide.replace('/', '.')}.{self.id}" / (f"{name}.txt" if name.endswith(".md") else name)

    def argv(self) -> tuple[list[str], str | None]:
        """The command's words and the file its output is redirected to (``> FILE``), if any."""
        words = shlex.split(self.run)
        target = None
        if ">" in words:
            at = words.index(">")
            words, target = words[:at], words[at + 1]
        return words, target


def load() -> dict[str, dict[str, Run]]:
    """Every guide's commands, by guide and id, in the order written."""
    data = yaml.safe_load(RUNS.read_text())
    guides: dict[str, dict[str, Run]] = {}
    for guide, commands in data.items():
        guides[guide] = {}
        for run_id, spec in commands.items():
            run = Run(guide=guide, id=run_id, **spec)
            if run.test not in TESTS:
                raise ValueError(f"{RUNS}: {guide}.{run_id}: test {run.test!r} is not one of {', '.join(TESTS)}")
            guides[guide][run_id] = run
    return guides


def mask(text: str) -> str:
    for pattern, shown in MASKS:
        text = pattern.sub(shown, text)
    return text


def workspace(parent: Path) -> Path:
    """A scratch folder holding the repository's files (symbolic links), without ``out/``."""
    parent.mkdir(parents=True, exist_ok=True)
    for entry in ROOT.iterdir():
        if entry.name not in ("out", ".env", ".git") and not (parent / entry.name).exists():
            (parent / entry.name).symlink_to(entry)
    return parent


def execute(run: Run, cwd: Path) -> str:
    """Run a ``real`` command in ``cwd``; its standard output (raises on a non-zero exit)."""
    words, target = run.argv()
    if words[0] != "homesim":
        raise ValueError(f"{run.guide}.{run.id}: only homesim commands run for real, not {words[0]}")
    env = {**os.environ, "COLUMNS": "100"}
    result = subprocess.run([sys.executable, "-m", "homesim.cli", *words[1:]], cwd=cwd, capture_output=True,
                            text=True, timeout=run.timeout_s, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"{run.run} (in {cwd}) exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    if target is not None:
        (cwd / target).write_text(result.stdout)
    return result.stdout


def shown_output(run: Run) -> str:
    """The output a page shows for ``run`` (kept in ``docs/guides/output/``)."""
    return run.output_path.read_text() if run.output_path.exists() else ""


def update(only: list[str] | None = None) -> int:
    """Run every ``real`` command, guide by guide (``only`` these guides), and rewrite the
    outputs the pages show."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for guide, runs in load().items():
            if only and guide not in only:
                continue
            cwd = workspace(Path(tmp) / guide.replace("/", "-"))
            for run in runs.values():
                if run.test != "real":
                    continue
                print(f"{guide}.{run.id}: {run.run}", flush=True)
                text = mask(execute(run, cwd))
                if run.output:
                    run.output_path.write_text(text)
                for written in run.shows:
                    run.kept(written).parent.mkdir(parents=True, exist_ok=True)
                    run.kept(written).write_bytes((cwd / written).read_bytes())
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="run the real commands and rewrite their outputs")
    parser.add_argument("guides", nargs="*", help="only these guides (default: all)")
    args = parser.parse_args()
    if args.update:
        return update(args.guides)
    for guide, runs in load().items():
        for run in runs.values():
            print(f"{guide}.{run.id} [{run.test}]: {run.run}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
