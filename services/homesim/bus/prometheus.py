"""A local Prometheus for a live home (``homesim up --prometheus``): Debian's ``prometheus``
scraping every process of the home through the file_sd targets ``homesim up`` writes."""

from __future__ import annotations

import shutil
import subprocess
import urllib.request
from pathlib import Path

import yaml

from homesim.bus.starting import start_and_wait

#: Scrape every process this often: ticks go by fast.
SCRAPE_INTERVAL = "2s"


def config(targets_file: str = "targets.json") -> dict:
    """A Prometheus configuration scraping the home's file_sd targets."""
    return {
        "global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL},
        "scrape_configs": [{
            "job_name": "homesim",
            # The series' own home/device/kind/process labels win over the targets' (no exported_*).
            "honor_labels": True,
            "file_sd_configs": [{"files": [targets_file], "refresh_interval": "5s"}],
        }],
    }


def write_config(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "prometheus.yml"
    path.write_text("# Written by homesim up --prometheus: scrape every process of the home.\n"
                    + yaml.safe_dump(config(), sort_keys=False))
    return path


def binary() -> str:
    found = shutil.which("prometheus")
    if not found:
        raise FileNotFoundError("prometheus not found: install Debian's package (apt-get install prometheus; "
                                "`make run` does where it can)")
    return found


def start(folder: Path, port: int, log_path: Path, timeout_s: float = 30.0,
          with_parent: bool = False) -> subprocess.Popen:
    """Start Prometheus on 127.0.0.1:``port`` with its data under ``folder`` and wait until ready."""
    path = write_config(folder)

    def ready() -> bool:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=1) as response:
            return response.status == 200

    return start_and_wait([binary(), f"--config.file={path}", f"--storage.tsdb.path={folder / 'data'}",
                           f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                          log_path, ready, "prometheus", timeout_s, with_parent)
