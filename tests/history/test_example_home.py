"""The realistic example history (examples/history/cape_town_home_assistant.csv) comes from
homesim.history.example_home and an import recovers the home that made it (issue 26)."""

from __future__ import annotations

import numpy as np
import pytest

from homesim.history.example_home import DAYS, FILE_STEP_S, TRUTH, write_cape_town_example
from homesim.history.readers import read_history

from conftest import EXAMPLES

NAMES = ("cape_town_home_assistant.csv", "cape_town_home_assistant.yaml")


def test_the_example_is_what_write_cape_town_example_writes(tmp_path):
    rendered = write_cape_town_example(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(NAMES)
    assert rendered.record["gaps"] and rendered.record["resets"] == 2 * (DAYS - 1)
    for name in NAMES:
        assert (tmp_path / name).read_bytes() == (EXAMPLES / "history" / name).read_bytes(), name


def test_the_example_reads_its_days_with_the_faults_it_was_given():
    path = EXAMPLES / "history" / NAMES[0]
    read = read_history([path], timezone="Africa/Johannesburg", mapping=path.with_suffix(".yaml"), step_s=FILE_STEP_S)
    assert read.size * FILE_STEP_S == DAYS * 86400
    assert min(read.quality.coverage.values()) > 0.99
    kinds = {(p.kind, p.quantity) for p in read.quality.problems}
    assert {("reset", "grid_import_w"), ("reset", "grid_export_w"), ("sign", "battery_w")} <= kinds
    assert ("unavailable", "load_w") in kinds
    # the battery in the file holds the truth's capacity: between full and the reserve
    soc = read.values["soc"]
    assert np.nanmin(soc) == pytest.approx(TRUTH["reserve_soc"], abs=0.01)
    assert np.nanmax(soc) == pytest.approx(1.0, abs=0.01)
