"""What the end-to-end UI tests share: the UI's links as ``homesim up`` prints them, and running
one of ``ui/e2e/*.mjs`` against a link with its screenshots in a fresh folder."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from conftest import ROOT

UI = ROOT / "ui"


def ui_urls(output: str) -> dict[str, str]:
    """``{"operator": URL, "viewer": URL}`` from ``homesim up``'s output."""
    return dict(re.findall(r"UI \((operator|viewer)[^)]*\): (\S+)", output))


def run_script(script: str, url: str, artifacts: Path, timeout_s: int, **env: str) -> subprocess.CompletedProcess:
    """``node e2e/<script>`` in ``ui/`` with ``UI_URL`` and ``OUT_DIR`` (emptied first) set."""
    shutil.rmtree(artifacts, ignore_errors=True)
    return subprocess.run(["node", f"e2e/{script}"], cwd=UI, capture_output=True, text=True, timeout=timeout_s,
                          env={**os.environ, "UI_URL": url, "OUT_DIR": str(artifacts), **env})
