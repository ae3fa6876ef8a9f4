"""Each corruption a real file has is repaired and counted in the data-quality report, never
silently (issue 26): written with a seed by render.py, read back against the truth."""

from __future__ import annotations

import numpy as np
import pytest

from homesim.history.readers import read_history
from homesim.history.render import Corruptions, toy_history, write_ha_history, write_wide
from homesim.history.series import QUANTITIES, History


@pytest.fixture(scope="module")
def truth() -> History:
    return toy_history(4, seed=2)


def read_wide(tmp_path, truth, corruptions, **options):
    out = write_wide(truth, tmp_path / "h.csv", mapping_path=tmp_path / "h.yaml", corruptions=corruptions, **options)
    return out, read_history([out.path], timezone=truth.timezone, mapping=out.mapping_path)


def problems(read: History, kind: str) -> dict[str | None, int]:
    out: dict[str | None, int] = {}
    for p in read.quality.problems:
        if p.kind == kind:
            out[p.quantity] = out.get(p.quantity, 0) + p.count
    return out


def error(read: History, truth: History, q: str) -> np.ndarray:
    return np.abs(read.values[q] - truth.values[q])


def test_duplicate_rows_are_kept_once_and_counted(tmp_path, truth):
    out, read = read_wide(tmp_path, truth, Corruptions(duplicates=7, seed=4))
    assert problems(read, "duplicate") == {q: 7 for q in QUANTITIES}
    assert all(np.nanmax(error(read, truth, q)) < 1e-3 for q in QUANTITIES if q != "soc")


def test_out_of_order_rows_are_sorted_and_counted(tmp_path, truth):
    out, read = read_wide(tmp_path, truth, Corruptions(out_of_order=5, seed=5))
    assert problems(read, "out_of_order") == {q: 5 for q in QUANTITIES}
    assert np.nanmax(error(read, truth, "load_w")) < 1e-3


def test_gaps_longer_than_the_limit_are_nan_counted_with_the_longest(tmp_path, truth):
    out, read = read_wide(tmp_path, truth, Corruptions(gaps=2, gap_s=3 * 3600, seed=6))
    assert problems(read, "gap")["load_w"] == 2
    gap = next(p for p in read.quality.problems if p.kind == "gap" and p.quantity == "load_w")
    assert "the longest 3.0 h" in gap.detail
    missing = np.zeros(truth.size, bool)
    for start, length in out.record["gaps"]:
        missing[start:start + length] = True
    assert np.isnan(read.values["load_w"][missing]).all() and np.isfinite(read.values["load_w"][~missing]).all()
    assert read.quality.coverage["load_w"] == pytest.approx(1 - missing.mean())


def test_spikes_are_dropped_counted_and_bounded(tmp_path, truth):
    out, read = read_wide(tmp_path, truth, Corruptions(spikes=4, seed=7))
    assert sum(problems(read, "spike").values()) == 4
    for q, i in out.record["spikes"]:
        key = {"pv": "pv_w", "load": "load_w", "battery": "battery_w", "grid_import": "grid_import_w",
               "grid_export": "grid_export_w"}[q]
        # the sample is dropped: the one before holds over it
        assert read.values[key][i] == pytest.approx(truth.values[key][i - 1], abs=1e-3)
    details = " ".join(p.detail for p in read.quality.problems if p.kind == "spike")
    assert "W" in details and ("bound" in details or "99th percentile" in details)


def test_a_whole_column_in_kw_under_a_w_header_is_scaled_and_said(tmp_path, truth):
    out, read = read_wide(tmp_path, truth, Corruptions(unit_mistake="pv", seed=8))
    assert np.nanmax(error(read, truth, "pv_w")) < 1.0   # written to 1e-3 kW
    unit = [p for p in read.quality.problems if p.kind == "unit"]
    assert [p.quantity for p in unit] == ["pv_w"] and "multiplied by 1000" in unit[0].detail


def test_a_column_switching_to_kw_mid_file_is_scaled_from_the_switch(tmp_path, truth):
    out, read = read_wide(tmp_path, truth, Corruptions(unit_mistake="load", unit_switch=True, seed=9))
    assert np.nanmax(error(read, truth, "load_w")) < 1.0
    unit = [p for p in read.quality.problems if p.kind == "unit"]
    assert [p.quantity for p in unit] == ["load_w"] and "a unit switched mid-file" in unit[0].detail
    assert unit[0].count == truth.size - (out.record["unit"]["from_row"] - 2)


def test_text_in_a_numeric_column_is_missing_and_named_by_row_and_column(tmp_path, truth):
    out, read = read_wide(tmp_path, truth, Corruptions(text=3, seed=10))
    assert sum(problems(read, "text").values()) == 3
    examples = [e for p in read.quality.problems if p.kind == "text" for e in p.examples]
    for column, row in out.record["text"]:
        assert any(f"row {row} column {column!r}: '#ERR'" in e for e in examples)


def test_daily_counter_resets_are_counted_and_energy_is_kept(tmp_path, truth):
    out, read = read_wide(tmp_path, truth, Corruptions(resets=True, seed=11), energy=("grid_import", "grid_export"))
    assert problems(read, "reset") == {"grid_import_w": 3, "grid_export_w": 3}   # 3 local midnights inside 4 days
    assert out.record["resets"] == 6
    assert np.nanmax(error(read, truth, "grid_import_w")) < 0.1


def test_a_counter_that_wraps_is_counted_and_loses_at_most_an_interval_a_wrap(tmp_path, truth):
    out, read = read_wide(tmp_path, truth, Corruptions(wrap_kwh=2.0, seed=12), energy=("grid_import",))
    wraps = problems(read, "reset")["grid_import_w"]
    assert wraps == out.record["wraps"] > 0
    total = np.nansum(truth.values["grid_import_w"][1:]) * 60 / 3.6e6
    read_total = np.nansum(read.values["grid_import_w"]) * 60 / 3.6e6
    assert read_total == pytest.approx(total, rel=0.01)


def test_soc_stated_in_percent_but_written_as_a_fraction_is_read_as_a_fraction(tmp_path, truth):
    out = write_wide(truth, tmp_path / "h.csv")
    mapping = {"quantities": {"load": "Load (W)", "soc": {"column": "Battery SOC (%)", "unit": "fraction"}}}
    read = read_history([out.path], timezone=truth.timezone, mapping=mapping)
    assert np.nanmax(error(read, truth, "soc")) < 1e-6
    assert problems(read, "unit") == {"soc": truth.size}


def test_naive_local_times_through_the_autumn_change_are_read_by_file_order(tmp_path):
    truth = toy_history(4, start="2026-10-23", timezone="Europe/Berlin", seed=3)
    out, read = read_wide(tmp_path, truth, Corruptions(naive_local=True))
    assert max(np.nanmax(error(read, truth, q)) for q in QUANTITIES) < 1e-3
    assert problems(read, "dst") == {None: 120}   # the repeated hour: 60 rows twice
    assert any("read as local time in Europe/Berlin" in note for note in read.quality.notes)


def test_naive_local_times_in_home_assistant_are_resolved_entity_by_entity(tmp_path):
    truth = toy_history(4, start="2026-10-23", timezone="Europe/Berlin", seed=3)
    out = write_ha_history(truth, tmp_path / "ha.csv", mapping_path=tmp_path / "ha.yaml",
                           corruptions=Corruptions(naive_local=True))
    read = read_history([out.path], timezone=truth.timezone, mapping=out.mapping_path)
    assert max(np.nanmax(error(read, truth, q)) for q in QUANTITIES) < 1e-3
    assert problems(read, "dst")[None] > 0


def test_a_time_in_the_skipped_spring_hour_is_moved_forward_and_counted(tmp_path):
    rows = ["time,load_w"] + [f"2026-03-{d:02d} {h:02d}:{m:02d}:00,500" for d in (28, 29) for h in range(24)
                              for m in range(0, 60, 10)]
    (tmp_path / "h.csv").write_text("\n".join(rows) + "\n")
    read = read_history([tmp_path / "h.csv"], timezone="Europe/Berlin", mapping={"quantities": {"load": "load_w"}})
    assert problems(read, "dst") == {None: 6}   # 02:00..02:50 on the 29th, which Berlin's clocks skip
    assert np.nanmax(np.abs(read.values["load_w"] - 500.0)) < 1e-9


def test_offsets_and_z_times_mixed_in_one_file_are_all_read(tmp_path, truth):
    out = write_wide(truth, tmp_path / "h.csv")
    lines = out.path.read_text().splitlines()
    # every other row in UTC with Z
    utc = write_wide(truth, tmp_path / "u.csv").path.read_text().splitlines()
    mixed = [lines[0]] + [a if i % 2 else a.replace(a.split(",", 1)[0], _z(a.split(",", 1)[0]))
                          for i, a in enumerate(lines[1:])]
    assert utc[1] == lines[1]
    (tmp_path / "m.csv").write_text("\n".join(mixed) + "\n")
    read = read_history([tmp_path / "m.csv"], timezone=truth.timezone, mapping=out.mapping)
    assert np.nanmax(error(read, truth, "load_w")) < 1e-3
    assert problems(read, "dst") == {}


def _z(stamp: str) -> str:
    import pandas as pd

    return pd.Timestamp(stamp).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def test_unavailable_states_in_home_assistant_are_gaps_and_counted(tmp_path, truth):
    out = write_ha_history(truth, tmp_path / "ha.csv", mapping_path=tmp_path / "ha.yaml",
                           corruptions=Corruptions(gaps=1, gap_s=2 * 3600, seed=13))
    read = read_history([out.path], timezone=truth.timezone, mapping=out.mapping_path)
    start, length = out.record["gaps"][0]
    assert np.isnan(read.values["load_w"][start:start + length]).all()
    assert problems(read, "unavailable")["load_w"] == 1
    assert np.nanmax(error(read, truth, "load_w")) < 1e-3


def test_everything_at_once_is_repaired_within_tolerance_and_every_kind_reported(tmp_path, truth):
    c = Corruptions(noise_w=5.0, gaps=2, duplicates=5, out_of_order=4, spikes=3, unit_mistake="load",
                    unit_switch=True, text=3, resets=True, seed=14)
    out, read = read_wide(tmp_path, truth, c, energy=("grid_import", "grid_export"))
    kinds = {p.kind for p in read.quality.problems}
    assert {"duplicate", "out_of_order", "gap", "spike", "unit", "text", "reset"} <= kinds
    for q in ("pv_w", "load_w", "grid_import_w"):
        ok = np.isfinite(read.values[q])
        day_read = np.nansum(np.where(ok, read.values[q], 0.0))
        day_true = np.nansum(np.where(ok, truth.values[q], 0.0))
        assert day_read == pytest.approx(day_true, rel=0.01), q


def test_a_counter_reading_zero_for_one_row_is_dropped_not_counted_as_a_reset(tmp_path, truth):
    out = write_wide(truth, tmp_path / "h.csv", mapping_path=tmp_path / "h.yaml", energy=("grid_import",))
    lines = out.path.read_text().splitlines()
    column = lines[0].split(",").index("Grid import [kWh]")
    cells = lines[3001].split(",")
    assert float(cells[column]) > 1.0
    cells[column] = "0"   # a meter restarting for a moment
    lines[3001] = ",".join(cells)
    out.path.write_text("\n".join(lines) + "\n")
    read = read_history([out.path], timezone=truth.timezone, mapping=out.mapping_path)
    assert problems(read, "spike") == {"grid_import_w": 1} and problems(read, "reset") == {}
    total = np.nansum(truth.values["grid_import_w"][1:])
    assert np.nansum(read.values["grid_import_w"]) == pytest.approx(total, rel=1e-6)


def test_times_in_a_stated_format_are_read_with_it(tmp_path, truth):
    out = write_wide(truth, tmp_path / "h.csv", mapping_path=tmp_path / "h.yaml")
    import pandas as pd

    frame = pd.read_csv(out.path)
    frame["Time"] = pd.to_datetime(frame["Time"], format="ISO8601").dt.strftime("%d/%m/%Y %H:%M")
    frame.to_csv(tmp_path / "d.csv", index=False)
    mapping = dict(out.mapping, time_format="%d/%m/%Y %H:%M")
    read = read_history([tmp_path / "d.csv"], timezone=truth.timezone, mapping=mapping)
    assert np.nanmax(error(read, truth, "load_w")) < 1e-3
    assert any("read as local time" in note for note in read.quality.notes)


def test_a_column_stated_in_kw_but_written_in_w_is_divided_and_said(tmp_path, truth):
    out = write_wide(truth, tmp_path / "h.csv")
    mapping = {"quantities": {"pv": {"column": "PV power (W)", "unit": "kW"}, "load": "Load (W)"}}
    read = read_history([out.path], timezone=truth.timezone, mapping=mapping)
    assert np.nanmax(error(read, truth, "pv_w")) < 1e-3
    unit = [p for p in read.quality.problems if p.kind == "unit"]
    assert [p.quantity for p in unit] == ["pv_w"] and "divided by 1000" in unit[0].detail
