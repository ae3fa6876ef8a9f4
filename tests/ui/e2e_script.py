"""What the end-to-end UI tests share: the UI's links as ``homesim up`` prints them, and running
one of ``ui/e2e/*.mjs`` against a link with its screenshots in a fresh folder."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

from conftest import ROOT

UI = ROOT / "ui"


def ui_urls(output: str) -> dict[str, str]:
    """``{"operator": URL, "viewer": URL}``: the UI's links with their tickets, from the files
    (readable by their owner only) whose ``file://`` addresses ``homesim up`` prints."""
    from urllib.parse import unquote, urlparse

    links = {}
    for role, printed in re.findall(r"UI \((operator|viewer)[^)]*\): (\S+)", output):
        page = Path(unquote(urlparse(printed).path)).read_text()
        links[role] = html.unescape(re.search(r'url=([^"]+)"', page).group(1))
    return links


def run_script(script: str, url: str, artifacts: Path, timeout_s: int, **env: str) -> subprocess.CompletedProcess:
    """``node e2e/<script>`` in ``ui/`` with ``UI_URL`` and ``OUT_DIR`` (emptied first) set."""
    shutil.rmtree(artifacts, ignore_errors=True)
    return subprocess.run(["node", f"e2e/{script}"], cwd=UI, capture_output=True, text=True, timeout=timeout_s,
                          env={**os.environ, "UI_URL": url, "OUT_DIR": str(artifacts), **env})
