"""The example history files under examples/history/ come from code and read cleanly (issue 26)."""

from __future__ import annotations

import pytest

from homesim.history.readers import detect_layout, guess_mapping, read_history
from homesim.history.render import write_examples

from conftest import EXAMPLES

FILES = {"wide.csv": ("wide_csv", 300), "home_assistant.csv": ("ha_history", 300),
         "ha_statistics.tsv": ("ha_statistics", 3600), "vrm_stats.json": ("vrm_stats", 900)}


def test_the_examples_are_what_write_examples_writes(tmp_path):
    written = write_examples(tmp_path)
    assert sorted(p.path.name for p in written) == sorted(FILES)
    for path in sorted(tmp_path.iterdir()):
        assert path.read_bytes() == (EXAMPLES / "history" / path.name).read_bytes(), path.name


@pytest.mark.parametrize("name", sorted(FILES))
def test_each_example_reads_four_days_with_its_mapping(name):
    layout, step = FILES[name]
    path = EXAMPLES / "history" / name
    assert detect_layout(path) == layout
    mapping = path.with_suffix(".yaml")
    read = read_history([path], timezone="Africa/Johannesburg", mapping=mapping if mapping.exists() else None,
                        step_s=step)
    assert read.size * step == 4 * 86400
    assert min(read.quality.coverage.values()) > 0.98
    assert read.quality.files[0]["layout"] == layout


def test_the_home_assistant_example_reports_what_it_holds():
    path = EXAMPLES / "history" / "home_assistant.csv"
    read = read_history([path], timezone="Africa/Johannesburg", mapping=path.with_suffix(".yaml"), step_s=300)
    counts = {(p.kind, p.quantity): p.count for p in read.quality.problems}
    assert counts[("reset", "grid_import_w")] == 3 and counts[("reset", "grid_export_w")] == 3
    assert counts[("unavailable", "load_w")] == 1 and ("sign", "battery_w") in counts
    assert guess_mapping(path)["quantities"]["pv"] == {"entity": "sensor.pv_power", "kind": "power", "unit": "kW"}
