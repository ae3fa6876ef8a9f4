"""The realistic example history (examples/history/cape_town_home_assistant.csv) comes from
homesim.history.example_home and an import recovers the home that made it (issue 26)."""

from __future__ import annotations

import numpy as np
import pytest

from homesim.history.example_home import DAYS, FILE_STEP_S, TRUTH, write_cape_town_example
from homesim.history.readers import read_history

from conftest import EXAMPLES, ROOT

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


def _guide_row(text: str, label: str) -> list[str]:
    rows = [line for line in text.splitlines() if line.startswith(f"| {label} |")]
    assert len(rows) == 1, label
    return [cell.strip() for cell in rows[0].strip("|").split("|")]


def test_the_guide_sets_the_truth_beside_what_its_kept_import_found():
    """The guide's table quotes TRUTH and the kept import output (which tests/docs compares with
    a fresh run), so a fit that changes shows here, not as a stale table."""
    guide = (ROOT / "docs" / "guides" / "own-home.md").read_text(encoding="utf-8")
    report = (ROOT / "docs" / "guides" / "output" / "own-home.import" / "calibration.md.txt").read_text(
        encoding="utf-8")
    found = {cells[0]: cells[1] for cells in (
        [c.strip() for c in line.strip("|").split("|")] for line in report.splitlines() if line.startswith("| "))}
    t = TRUTH
    assert _guide_row(guide, "PV tilt")[1:3] == [f"{t['tilt_deg']:g}°", found["tilt_deg"].replace(" degrees", "°")]
    assert _guide_row(guide, "PV azimuth")[1:3] == [f"{t['azimuth_deg']:g}°",
                                                    found["azimuth_deg"].replace(" degrees", "°")]
    kwp = float(found["kwp"].split()[0])
    assert _guide_row(guide, "PV kWp × (1 − DC losses)")[1].startswith(
        f"{t['kwp']:.2f} × {1 - t['dc_loss_fraction']:.2f}")
    assert _guide_row(guide, "PV kWp × (1 − DC losses)")[2].startswith(f"{kwp:.2f} ×")
    assert _guide_row(guide, "battery round trip")[1:3] == [
        f"{t['charge_efficiency'] * t['discharge_efficiency']:.4f} ({t['charge_efficiency']} × "
        f"{t['discharge_efficiency']})", found["battery.round_trip_efficiency"]]
    reserve = f"{float(found['inverter.reserve_soc']) * 100:g} %"
    assert _guide_row(guide, "backup reserve")[1:3] == [f"{t['reserve_soc'] * 100:g} %", reserve]
    gc = t["grid_charge"]
    assert f"start {gc['start']}, power_w {gc['power_w']:,.0f}, soc {gc['soc']:g}, grid_charge True; " \
           f"start {gc['end']}" in found["inverter.programs"]
    assert _guide_row(guide, "grid-charge program")[1] == _guide_row(guide, "grid-charge program")[2] == \
        f"{gc['start']}–{gc['end']} to {gc['soc'] * 100:g} % at {gc['power_w'] / 1000:g} kW"
