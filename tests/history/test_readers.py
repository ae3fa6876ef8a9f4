"""A known history written as each layout and read back: the readers recover it (issue 26)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from homesim.history.readers import detect_layout, guess_mapping, read_history
from homesim.history.render import (toy_history, write_ha_history, write_ha_statistics, write_vrm,
                                    write_wide)
from homesim.history.series import QUANTITIES, History


@pytest.fixture(scope="module")
def truth() -> History:
    return toy_history(3, seed=1)


def worst(read: History, truth: History) -> dict[str, float]:
    """Each quantity's largest difference where both are known, after checking the grid."""
    assert read.start_s == truth.start_s and read.step_s == truth.step_s and read.size == truth.size
    out = {}
    for q in QUANTITIES:
        both = np.isfinite(read.values[q]) & np.isfinite(truth.values[q])
        out[q] = float(np.max(np.abs(read.values[q][both] - truth.values[q][both]))) if both.any() else np.inf
    return out


def test_a_wide_csv_in_w_and_percent_reads_back_exactly(tmp_path, truth):
    out = write_wide(truth, tmp_path / "h.csv", mapping_path=tmp_path / "h.yaml")
    read = read_history([out.path], timezone=truth.timezone, mapping=out.mapping_path)
    errors = worst(read, truth)
    assert max(errors[q] for q in QUANTITIES if q != "soc") < 1e-3
    assert errors["soc"] < 1e-6
    assert read.quality.coverage == {q: 1.0 for q in QUANTITIES}
    assert read.quality.problems == []
    assert read.quality.files[0]["rows"] == truth.size and read.quality.files[0]["layout"] == "wide_csv"


def test_wide_energy_counters_in_kwh_give_the_mean_power_of_each_interval(tmp_path, truth):
    out = write_wide(truth, tmp_path / "h.csv", mapping_path=tmp_path / "h.yaml", energy=("grid_import", "grid_export"))
    read = read_history([out.path], timezone=truth.timezone, mapping=out.mapping_path)
    errors = worst(read, truth)
    assert errors["grid_import_w"] < 0.1 and errors["grid_export_w"] < 0.1   # 1e-6 kWh a minute is 0.06 W
    # the first interval has no counter reading at its start: unknown, and said so
    assert np.isnan(read.values["grid_import_w"][0]) and np.isfinite(read.values["grid_import_w"][1:]).all()
    assert any(p.kind == "short_gap" and p.quantity == "grid_import_w" for p in read.quality.problems)


def test_a_home_assistant_history_of_state_changes_reads_back_exactly(tmp_path, truth):
    out = write_ha_history(truth, tmp_path / "ha.csv", mapping_path=tmp_path / "ha.yaml")
    read = read_history([out.path], timezone=truth.timezone, mapping=out.mapping_path)
    errors = worst(read, truth)
    assert max(errors.values()) < 1e-3
    assert read.quality.files[0]["layout"] == "ha_history"


def test_ha_kw_sensors_counters_and_a_charge_positive_battery_read_as_w_and_discharge_positive(tmp_path, truth):
    out = write_ha_history(truth, tmp_path / "ha.csv", mapping_path=tmp_path / "ha.yaml", kw=("pv", "load"),
                           energy=("grid_import", "grid_export"), battery_charge_positive=True)
    read = read_history([out.path], timezone=truth.timezone, mapping=out.mapping_path)
    errors = worst(read, truth)
    assert errors["pv_w"] < 1e-2 and errors["load_w"] < 1e-2 and errors["battery_w"] < 1e-3
    assert errors["grid_import_w"] < 0.1 and errors["grid_export_w"] < 0.1
    signs = [p for p in read.quality.problems if p.kind == "sign"]
    assert [p.quantity for p in signs] == ["battery_w"]


def test_one_signed_grid_power_is_split_into_import_and_export(tmp_path, truth):
    out = write_ha_history(truth, tmp_path / "ha.csv", mapping_path=tmp_path / "ha.yaml", signed_grid=True)
    read = read_history([out.path], timezone=truth.timezone, mapping=out.mapping_path)
    errors = worst(read, truth)
    assert errors["grid_import_w"] < 1e-2 and errors["grid_export_w"] < 1e-2
    assert any("split from one signed grid power" in note for note in read.quality.notes)


def test_a_victron_vrm_stats_file_reads_with_its_default_codes(tmp_path, truth):
    out = write_vrm(truth, tmp_path / "vrm.json")
    assert detect_layout(out.path) == "vrm_stats"
    read = read_history([out.path], timezone=truth.timezone)
    errors = worst(read, truth)
    assert max(errors[q] for q in QUANTITIES if q != "soc") < 1e-3 and errors["soc"] < 1e-6
    assert any("VRM attribute codes mapped by default" in note for note in read.quality.notes)


def test_ha_statistics_hourly_means_read_at_one_hour_steps(tmp_path, truth):
    out = write_ha_statistics(truth, tmp_path / "st.tsv", mapping_path=tmp_path / "st.yaml")
    read = read_history([out.path], timezone=truth.timezone, mapping=out.mapping_path, step_s=3600)
    assert read.step_s == 3600 and read.size == truth.size // 60
    hourly = truth.values["load_w"].reshape(-1, 60).mean(axis=1)
    assert np.max(np.abs(read.values["load_w"] - hourly)) < 1e-3
    assert read.quality.files[0]["layout"] == "ha_statistics"


def test_ha_statistics_counters_give_each_hours_mean_power(tmp_path, truth):
    out = write_ha_statistics(truth, tmp_path / "st.tsv", mapping_path=tmp_path / "st.yaml", counters=True)
    read = read_history([out.path], timezone=truth.timezone, mapping=out.mapping_path, step_s=3600)
    hourly = truth.values["pv_w"].reshape(-1, 60).mean(axis=1)
    both = np.isfinite(read.values["pv_w"])
    assert both.mean() > 0.95
    assert np.max(np.abs(read.values["pv_w"][both] - hourly[both])) < 0.01


def test_several_files_of_one_home_are_read_onto_one_grid(tmp_path, truth):
    first = History(truth.start_s, truth.step_s, truth.timezone, {q: v[:2880] for q, v in truth.values.items()})
    second = History(truth.start_s + 2880 * 60, truth.step_s, truth.timezone,
                     {q: v[2880:] for q, v in truth.values.items()})
    a = write_wide(first, tmp_path / "a.csv", mapping_path=tmp_path / "m.yaml", energy=("grid_import",))
    b = write_wide(second, tmp_path / "b.csv", energy=("grid_import",))
    read = read_history([b.path, a.path], timezone=truth.timezone, mapping=a.mapping_path)
    errors = worst(read, truth)
    assert errors["load_w"] < 1e-3 and errors["grid_import_w"] < 0.1
    assert [f["path"] for f in read.quality.files] == [str(b.path), str(a.path)]
    # the second file's counter starts again from zero: continued, not a reset
    assert np.isfinite(read.values["grid_import_w"][1:]).mean() > 0.999


def test_guess_mapping_finds_quantities_units_and_kinds_from_the_header(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("Timestamp,pv_power_kw,Load (W),Grid import [kWh],Grid export [kWh],Battery SOC(%),notes\n"
                    "2026-03-01T00:00:00+02:00,0,300,1.0,0.5,50,x\n")
    guess = guess_mapping(path)
    assert guess["layout"] == "wide_csv" and guess["time_column"] == "Timestamp"
    assert guess["quantities"] == {
        "pv": {"column": "pv_power_kw", "kind": "power", "unit": "kW"},
        "load": {"column": "Load (W)", "kind": "power", "unit": "W"},
        "grid_import": {"column": "Grid import [kWh]", "kind": "energy", "unit": "kWh"},
        "grid_export": {"column": "Grid export [kWh]", "kind": "energy", "unit": "kWh"},
        "soc": {"column": "Battery SOC(%)", "kind": "soc", "unit": "%"}}
    assert guess["available"][-1] == "notes"


def test_guess_mapping_of_a_home_assistant_export_names_entities(tmp_path, truth):
    out = write_ha_history(truth, tmp_path / "ha.csv")
    guess = guess_mapping(out.path)
    assert guess["layout"] == "ha_history"
    assert {q: v.get("unit") for q, v in guess["quantities"].items()} == {
        "pv": "W", "load": "W", "grid_import": "W", "grid_export": "W", "battery": "W", "soc": "%"}
    kw = guess_mapping(write_ha_history(truth, tmp_path / "kw.csv", kw=("load",)).path)
    assert kw["quantities"]["load"]["unit"] == "kW"
    assert {q: v["entity"] for q, v in guess["quantities"].items()} == {
        "pv": "sensor.pv_power", "load": "sensor.load_power", "grid_import": "sensor.grid_import_power",
        "grid_export": "sensor.grid_export_power", "battery": "sensor.battery_power", "soc": "sensor.battery_soc"}


def test_without_a_mapping_the_guess_is_used_and_said(tmp_path, truth):
    out = write_wide(truth, tmp_path / "h.csv")
    read = read_history([out.path], timezone=truth.timezone)
    assert max(worst(read, truth).values()) < 1e-3
    assert any("no mapping given; guessed" in note for note in read.quality.notes)


def test_a_mapping_may_be_json_or_a_dict(tmp_path, truth):
    out = write_wide(truth, tmp_path / "h.csv")
    (tmp_path / "m.json").write_text(json.dumps(out.mapping))
    for mapping in (tmp_path / "m.json", out.mapping):
        read = read_history([out.path], timezone=truth.timezone, mapping=mapping)
        assert worst(read, truth)["load_w"] < 1e-3


def test_load_is_derived_from_the_balance_when_the_file_has_none(tmp_path, truth):
    no_load = History(truth.start_s, truth.step_s, truth.timezone,
                      {q: v for q, v in truth.values.items() if q != "load_w"})
    out = write_wide(no_load, tmp_path / "h.csv", mapping_path=tmp_path / "h.yaml")
    read = read_history([out.path], timezone=truth.timezone, mapping=out.mapping_path)
    assert worst(read, truth)["load_w"] < 1e-2
    derived = [p for p in read.quality.problems if p.kind == "derived"]
    assert [p.quantity for p in derived] == ["load_w"] and "pv + import - export + battery" in derived[0].detail


def test_timestamps_at_the_interval_end_are_read_as_such(tmp_path, truth):
    out = write_wide(truth, tmp_path / "h.csv")
    text = (tmp_path / "h.csv").read_text().splitlines()
    # the same values, each row stamped one step later: the end of its interval
    shifted = write_wide(History(truth.start_s + 60, 60, truth.timezone, truth.values), tmp_path / "s.csv")
    rows = [a.split(",", 1)[0] + "," + b.split(",", 1)[1] for a, b in
            zip(shifted.path.read_text().splitlines()[1:], text[1:])]
    (tmp_path / "end.csv").write_text(text[0] + "\n" + "\n".join(rows) + "\n")
    mapping = dict(out.mapping, timestamps="end")
    read = read_history([tmp_path / "end.csv"], timezone=truth.timezone, mapping=mapping)
    assert max(worst(read, truth).values()) < 1e-3


def test_a_semicolon_csv_with_decimal_commas_reads(tmp_path):
    rows = ["Zeit;Last (W);PV (kW)"] + [f"2026-03-{1 + i // 24:02d} {i % 24:02d}:00:00;{400 + i},5;{i % 24 / 10:.1f}"
                                        .replace(".", ",") for i in range(48)]
    (tmp_path / "de.csv").write_text("\n".join(rows) + "\n")
    read = read_history([tmp_path / "de.csv"], timezone="Europe/Berlin", step_s=3600,
                        mapping={"time_column": "Zeit", "quantities": {"load": "Last (W)", "pv": "PV (kW)"}})
    assert read.values["load_w"][:3].tolist() == [400.5, 401.5, 402.5]
    assert read.values["pv_w"][:3].tolist() == pytest.approx([0.0, 100.0, 200.0])


def test_units_not_stated_anywhere_are_guessed_checked_and_said(tmp_path, truth):
    out = write_ha_history(truth, tmp_path / "ha.csv", kw=("pv",))
    guessed = read_history([out.path], timezone=truth.timezone)   # no mapping: units guessed from the values
    assert worst(guessed, truth)["pv_w"] < 1e-2 and not [p for p in guessed.quality.problems if p.kind == "unit"]
    mapping = {"quantities": {"pv": "sensor.pv_power", "load": "sensor.load_power", "soc": "sensor.battery_soc"}}
    read = read_history([out.path], timezone=truth.timezone, mapping=mapping)   # HA exports carry no units
    assert worst(read, truth)["pv_w"] < 1e-2                    # kW values under a guessed W: fixed
    assert any("'sensor.pv_power': no unit stated: read as W" in note for note in read.quality.notes)
    assert any("'sensor.battery_soc': no SoC unit stated: read as %" in note for note in read.quality.notes)
    assert [p.quantity for p in read.quality.problems if p.kind == "unit"] == ["pv_w"]


def _ha_counter_file(tmp_path, readings: list[tuple[str, float]]):
    rows = ["entity_id,state,last_changed"] + [f"sensor.import_kwh,{v},{t}" for t, v in readings]
    rows += ["sensor.pv_w,0,2026-01-05T00:00:00Z", "sensor.pv_w,0,2026-01-06T12:00:00Z"]
    path = tmp_path / "ha.csv"
    path.write_text("\n".join(rows) + "\n")
    mapping = {"layout": "ha_history", "quantities": {
        "grid_import": {"entity": "sensor.import_kwh", "unit": "kWh", "kind": "energy"},
        "pv": {"entity": "sensor.pv_w", "unit": "W"}}}
    return path, mapping


def test_a_counter_recorded_every_5_minutes_gives_a_steady_power_not_5x_spikes(tmp_path):
    """600 W for a day and a half, the counter recorded every 5 minutes (0.05 kWh a reading): each
    minute's import is 600 W. Read as steps, every fifth minute had 3,000 W and the others 0."""
    start = np.datetime64("2026-01-05T00:00:00")
    readings = [(str(start + np.timedelta64(5 * i, "m")) + "Z", round(0.05 * i, 4)) for i in range(36 * 12 + 1)]
    path, mapping = _ha_counter_file(tmp_path, readings)
    history = read_history([path], timezone="UTC", mapping=mapping)
    w = history.values["grid_import_w"]
    inside = w[np.isfinite(w)][5:-5]
    assert len(inside) > 30 * 60
    assert np.allclose(inside, 600.0, rtol=1e-6)


def test_a_counter_still_for_hours_puts_its_next_rise_in_the_minutes_before_that_reading(tmp_path):
    """Readings every 5 minutes, then none for 4 hours (nothing imported), then a rise of 0.05 kWh:
    that energy is spread over the 5 minutes before the reading (600 W), not over the 4 hours."""
    start = np.datetime64("2026-01-05T00:00:00")
    times = [start + np.timedelta64(5 * i, "m") for i in range(12 * 12 + 1)]  # 12 h, 0.05 kWh each
    values = [round(0.05 * i, 4) for i in range(len(times))]
    quiet_end = times[-1] + np.timedelta64(4 * 60, "m")
    times += [quiet_end] + [quiet_end + np.timedelta64(5 * i, "m") for i in range(1, 12 * 12)]
    values += [values[-1] + 0.05 * i for i in range(1, 12 * 12 + 1)]
    path, mapping = _ha_counter_file(tmp_path, [(str(t) + "Z", round(v, 4)) for t, v in zip(times, values)])
    history = read_history([path], timezone="UTC", mapping=mapping)
    w = history.values["grid_import_w"]
    minute = ((quiet_end - start) // np.timedelta64(1, "m")).astype(int)
    assert np.allclose(w[minute - 5:minute], 600.0, rtol=1e-6)   # the rise, just before the reading
    assert np.allclose(w[minute - 4 * 60 + 1:minute - 5], 0.0)    # the quiet hours
