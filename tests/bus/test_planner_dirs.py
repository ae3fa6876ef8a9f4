"""Where the planner keeps uploaded histories: a container's planner has no live folder.

Compose and Kubernetes give the planner no ``HOMESIM_LIVE_DIR`` (only the controller keeps the
live home) and a read-only root with a writable /tmp. The planner read the variable at start and
exited without it: its container was never healthy (tests/containers caught it).
"""

from __future__ import annotations

import tempfile

from homesim.bus.planner import imports_dir


def test_a_planner_without_a_live_folder_keeps_imports_in_the_temporary_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("HOMESIM_LIVE_DIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert imports_dir() == tmp_path / "homesim" / "imports"


def test_a_planner_of_homesim_up_keeps_imports_in_the_live_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("HOMESIM_LIVE_DIR", str(tmp_path / "live"))
    assert imports_dir() == tmp_path / "live" / "imports"
