"""The progress bar: silent on quick runs, a bar on long ones."""

from __future__ import annotations

import io

from homesim.progress import ProgressBar


def test_quick_runs_draw_nothing():
    stream = io.StringIO()
    bar = ProgressBar("x", stream=stream, delay_s=60)
    for done in range(1, 11):
        bar(done, 10)
    assert stream.getvalue() == ""


def test_long_runs_draw_a_bar_with_percent_and_rate():
    stream = io.StringIO()
    bar = ProgressBar("simulating", stream=stream, delay_s=0)
    for done in range(0, 101, 5):
        bar(done, 100)
    lines = stream.getvalue().splitlines()
    assert lines[-1].startswith("simulating [" + "#" * 30 + "] 100% 100/100 ticks")
    assert 2 <= len(lines) <= 12  # not a line per call on a non-terminal: one per 10 %
    assert "ticks/s" in lines[-1]
