"""A progress bar for long runs: shown on stderr once a run has taken more than a second."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Call the instance with ``(done, total)``; it draws nothing for the first ``delay_s``."""

    def __init__(self, label: str, stream: TextIO | None = None, delay_s: float = 1.0, width: int = 30,
                 unit: str = "ticks") -> None:
        self.label = label
        self.unit = unit
        self.stream = stream or sys.stderr
        self.delay_s = delay_s
        self.width = width
        self.began = time.monotonic()
        self.shown = False
        self.last_percent = -1

    def __call__(self, done: int, total: int) -> None:
        elapsed = time.monotonic() - self.began
        if elapsed < self.delay_s and done < total:
            return
        if elapsed < self.delay_s and not self.shown:
            return  # finished within the delay: no bar at all
        percent = int(100 * done / total) if total else 100
        tty = self.stream.isatty()
        if not tty and percent // 10 == self.last_percent // 10 and done < total:
            return
        self.last_percent = percent
        filled = int(self.width * done / total) if total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        rate = done / elapsed if elapsed > 0 else 0.0
        line = f"{self.label} [{bar}] {percent:3d}% {done}/{total} {self.unit}, " + (
            f"{rate:,.0f} {self.unit}/s" if rate >= 10 else f"{rate:,.2f} {self.unit}/s")
        self.stream.write(("\r" if tty else "") + line + ("" if tty and done < total else "\n"))
        self.stream.flush()
        self.shown = True
