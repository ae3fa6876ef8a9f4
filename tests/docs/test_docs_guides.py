"""The guides run: every command a guide shows (docs/guides/runs.yaml) is run, parsed or
rendered here, every output a guide shows equals a fresh run's, and every home file a guide
names is valid. See docs/_ext/guide_runs.py for what each kind of command gets."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT

sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import guide_runs  # noqa: E402

GUIDES = guide_runs.load()
PAGES = {path: path.read_text() for path in (ROOT / "docs").rglob("*.md") if "_build" not in path.parts
         and "_generated" not in path.parts}
DIRECTIVE = re.compile(r"^```\{guide-run\} (\S+) (.+)$", re.MULTILINE)


def shown_in_pages() -> set[tuple[str, str]]:
    return {(m.group(1), run_id) for text in PAGES.values() for m in DIRECTIVE.finditer(text)
            for run_id in m.group(2).split()}


def test_every_command_of_runs_yaml_is_in_a_guide_and_every_guide_run_exists():
    declared = {(guide, run_id) for guide, runs in GUIDES.items() for run_id in runs}
    assert declared == shown_in_pages()
    for guide, runs in GUIDES.items():
        for run in runs.values():
            assert f"{{guide-run}} {guide} " in run.page.read_text(), f"{guide}.{run.id} is not on {run.page}"


def test_the_figures_a_page_quotes_are_in_the_output_it_shows():
    for runs in GUIDES.values():
        for run in runs.values():
            page = run.page.read_text()
            for figure in run.quoted:
                assert figure in guide_runs.shown_output(run), f"{run.guide}.{run.id}: {figure} is not in its output"
                assert figure in page, f"{run.page}: does not quote {figure}"


def test_every_shown_output_belongs_to_a_command_that_shows_it():
    kept = {p.name for p in guide_runs.OUTPUT.glob("*.txt")}
    shown = {run.output_path.name for runs in GUIDES.values() for run in runs.values() if run.output}
    assert kept == shown
    files = {p for p in guide_runs.OUTPUT.glob("*/*")}
    assert files == {run.kept(w) for runs in GUIDES.values() for run in runs.values() for w in run.shows}


@pytest.mark.parametrize("guide", [g for g, runs in GUIDES.items() if any(r.test == "real" for r in runs.values())])
def test_the_real_commands_of_a_guide_run_and_print_what_it_shows(guide, tmp_path):
    cwd = guide_runs.workspace(tmp_path / guide.replace("/", "-"))
    for run in GUIDES[guide].values():
        if run.test != "real":
            continue
        output = guide_runs.mask(guide_runs.execute(run, cwd))
        if run.output:
            assert output == guide_runs.shown_output(run), (
                f"{guide}.{run.id}: `{run.run}` prints other than the guide shows "
                f"(run docs/_ext/guide_runs.py --update {guide} and read the diff)")
        for word in run.argv()[0][1:]:
            if word.startswith("out/"):
                assert (cwd / word).exists(), f"{guide}.{run.id}: wrote no {word}"
        for written in run.shows:  # the files the page shows: as a fresh run writes them
            fresh = (cwd / written).read_bytes()
            if written.endswith(".png"):
                assert fresh[:8] == b"\x89PNG\r\n\x1a\n" and run.kept(written).read_bytes()[:8] == fresh[:8]
            else:
                assert fresh.decode() == run.kept(written).read_text(), (
                    f"{guide}.{run.id}: {written} differs from what the guide shows (run docs/_ext/guide_runs.py "
                    f"--update {guide} and read the diff)")
        _, target = run.argv()
        if target is not None:
            assert (cwd / target).read_text().strip(), f"{guide}.{run.id}: nothing in {target}"


def _named_paths(words: list[str]) -> list[str]:
    """The repository files a command names (home files, values, folders), not its outputs."""
    return [w for w in words if ("/" in w or w.endswith((".yaml", ".yml", ".json"))) and not w.startswith(
        ("out/", "ws://", "http", "postgresql://", "-", "svc/")) and "=" not in w]


def test_the_commands_that_cannot_run_here_parse_and_name_files_that_exist():
    from homesim.cli import build_parser

    checked = 0
    for guide, runs in GUIDES.items():
        for run in runs.values():
            words, _ = run.argv()
            if run.test in ("parse", "live"):
                assert words[0] == "homesim", f"{guide}.{run.id}"
                build_parser().parse_args(words[1:])  # exits 2 on a bad option
            if run.test in ("parse", "live", "files", "render"):
                for path in _named_paths(words) + run.files:
                    assert (ROOT / path).exists(), f"{guide}.{run.id}: {path} does not exist"
                checked += 1
            if run.test == "files":
                assert words[0] not in ("homesim",), f"{guide}.{run.id}: a homesim command is parse or real"
    assert checked >= 20


def test_the_make_targets_the_guides_name_exist():
    makefile = (ROOT / "Makefile").read_text()
    for runs in GUIDES.values():
        for run in runs.values():
            words, _ = run.argv()
            if words[0] == "make":
                assert re.search(rf"^{words[1]}:", makefile, re.MULTILINE), run.run


def test_every_home_file_a_guide_shows_or_runs_is_valid():
    from homesim.home import load_home

    homes = sorted((ROOT / "docs" / "guides" / "homes").glob("*.yaml"))
    # a mapping or finance file is not a home; a home under out/ is one an earlier command wrote
    named = {w for runs in GUIDES.values() for run in runs.values()
             for before, w in zip(["", *run.argv()[0]], run.argv()[0])
             if w.endswith(".yaml") and not w.endswith("values.yaml") and before not in ("--mapping", "--finance")
             and not w.startswith("out/")}
    for text in PAGES.values():
        named |= {f"docs/guides/{m}" for m in re.findall(r"^```\{literalinclude\} (\S+\.yaml)", text, re.MULTILINE)
                  if "examples/history/" not in m}  # a history's mapping file, not a home
    assert {"docs/guides/homes/first-home.yaml", "docs/guides/homes/stage4.yaml"} <= named
    for path in sorted(named | {h.relative_to(ROOT).as_posix() for h in homes}):
        if path.endswith("values.yaml") or path.startswith("docs/guides/kinds/"):
            continue  # (a home with the kind the developers' guide adds: tests/docs/test_docs_kind_guide.py)
        load_home(ROOT / path)


def test_helm_install_with_the_guides_values_renders_valid_objects(tmp_path):
    """What `helm install ... -f docs/guides/homes/my-values.yaml` would create, rendered by
    Helm's own library: valid Kubernetes objects and one Device per device of the values."""
    import helm_python as helm  # a test dependency (pyproject.toml), installed by make test
    run = GUIDES["containers"]["helm-install"]
    words, _ = run.argv()
    values = yaml.safe_load((ROOT / words[words.index("-f") + 1]).read_text())
    chart = helm.Chart.load(ROOT / words[3])
    chart.validate_schema(values)
    rendered = chart.render(values, name=words[2], namespace=words[words.index("-n") + 1], is_install=True)
    docs = [doc for path, text in sorted(rendered.items()) if not path.endswith("NOTES.txt")
            for doc in yaml.safe_load_all(text) if doc]
    devices = {d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == "Device"}
    for device in values["devices"]:
        assert devices[device["id"]]["kind"] == device["kind"]
    assert devices["battery"]["battery"]["capacity_kwh"] == 10.24
    builtin = tmp_path / "builtin.yaml"
    builtin.write_text(yaml.safe_dump_all([d for d in docs if d["kind"] not in ("Device", "PodMonitor")]))
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "kubernetes-validate"), "--strict", "-k", "1.32", str(builtin)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert any(d["kind"] == "Deployment" and d["metadata"]["name"].endswith("router") for d in docs)
    assert "oven" in devices and "lights" in devices


def test_the_kubectl_patches_are_valid_json():
    import json

    for run_id in ("oven-off", "battery-15"):
        words = shlex.split(GUIDES["containers"][run_id].run)
        patch = json.loads(words[words.index("-p") + 1])
        assert patch["spec"]


def test_the_readme_example_runs_and_is_examples_tiny(tmp_path):
    """The README's five-line home is valid, equal to examples/tiny.yaml, and its commands work."""
    from homesim.cli import build_parser
    from homesim.home import load_home

    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```yaml\n(.*?)```", readme, re.S).group(1)
    assert len(block.strip().splitlines()) == 5
    (tmp_path / "tiny.yaml").write_text(block)
    assert load_home(tmp_path / "tiny.yaml").model_dump() == load_home(ROOT / "examples" / "tiny.yaml").model_dump()
    commands = re.findall(r"`\.venv/bin/(homesim [^`]+)`", readme)
    assert "homesim simulate tiny.yaml --days 7 --out out/tiny" in commands
    for command in commands:
        words = shlex.split(command)
        build_parser().parse_args(words[1:])
        if words[1] == "simulate":
            result = subprocess.run([sys.executable, "-m", "homesim.cli", *words[1:]], cwd=tmp_path,
                                    capture_output=True, text=True, timeout=300)
            assert result.returncode == 0, result.stderr
            assert (tmp_path / "out" / "tiny" / "summary.json").exists()
    for target in re.findall(r"\]\(([^)#]+)\)", readme):
        assert (ROOT / target).exists(), target
    for make_target in re.findall(r"^make (\w+)", readme, re.MULTILINE):
        assert re.search(rf"^{make_target}:", (ROOT / "Makefile").read_text(), re.MULTILINE), make_target
