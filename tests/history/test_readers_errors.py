"""Bad input gets a HistoryError naming the file, row, column, the value and what is allowed
(issue 26); never a traceback of pandas."""

from __future__ import annotations

import re

import numpy as np
import pytest

from homesim.history.readers import detect_layout, read_history
from homesim.history.render import toy_history, write_ha_history, write_wide
from homesim.history.series import History, HistoryError

TZ = "Africa/Johannesburg"


def fails(paths, match, **options):
    options.setdefault("timezone", TZ)
    with pytest.raises(HistoryError, match=match) as caught:
        read_history(paths, **options)
    return str(caught.value)


def test_an_empty_file_is_refused_by_name(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    message = fails([tmp_path / "empty.csv"], "the file is empty")
    assert str(tmp_path / "empty.csv") in message


def test_a_header_without_rows_is_refused(tmp_path):
    (tmp_path / "h.csv").write_text("time,load_w\n")
    fails([tmp_path / "h.csv"], "header but no rows", mapping={"quantities": {"load": "load_w"}})


def test_a_file_of_an_unknown_layout_names_the_known_ones_and_the_header_seen(tmp_path):
    (tmp_path / "x.csv").write_text("alpha,beta\n1,2\n3,4\n")
    message = fails([tmp_path / "x.csv"], "unknown layout")
    assert "row 1" in message and "'alpha,beta'" in message
    for layout in ("ha_history", "ha_statistics", "wide_csv", "vrm_stats"):
        assert layout in message
    with pytest.raises(HistoryError, match="unknown layout"):
        detect_layout(tmp_path / "x.csv")


def test_a_json_file_that_is_not_vrm_stats_is_an_unknown_layout(tmp_path):
    (tmp_path / "x.json").write_text('{"data": []}')
    fails([tmp_path / "x.json"], "unknown layout: a JSON file without 'records'")


def test_a_binary_file_is_refused(tmp_path):
    (tmp_path / "x.csv").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    fails([tmp_path / "x.csv"], "not a text file")


def test_a_column_of_text_names_file_row_column_and_value(tmp_path):
    rows = ["time,Load (W)"] + [f"2026-03-0{1 + i // 24} {i % 24:02d}:00:00,n/a-{i}" for i in range(72)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    message = fails([tmp_path / "t.csv"], "a column of text", mapping={"quantities": {"load": "Load (W)"}})
    assert re.search(r"t\.csv row 2 column 'Load \(W\)'", message) and "'n/a-0'" in message
    assert "holds numbers" in message


def test_a_year_of_zeros_is_said_to_be_zeros(tmp_path):
    zeros = History(1772316000, 3600, TZ, {"pv_w": np.zeros(365 * 24), "load_w": np.zeros(365 * 24)})
    out = write_wide(zeros, tmp_path / "z.csv", mapping_path=tmp_path / "z.yaml")
    message = fails([out.path], "is zero", mapping=out.mapping_path, step_s=3600)
    assert "365 days of zeros" in message and "pv_w" in message and "load_w" in message


def test_one_quantity_all_zero_is_reported_not_refused(tmp_path):
    truth = toy_history(2)
    values = dict(truth.values, grid_export_w=np.zeros(truth.size))
    out = write_wide(History(truth.start_s, 60, TZ, values), tmp_path / "h.csv", mapping_path=tmp_path / "h.yaml")
    read = read_history([out.path], timezone=TZ, mapping=out.mapping_path)
    assert [p.quantity for p in read.quality.problems if p.kind == "zero"] == ["grid_export_w"]


def test_a_history_shorter_than_a_day_is_refused_with_its_span(tmp_path):
    short = toy_history(0.5)
    out = write_wide(short, tmp_path / "s.csv", mapping_path=tmp_path / "s.yaml")
    message = fails([out.path], "shorter than a day", mapping=out.mapping_path)
    assert "12.0 h" in message


def test_a_mapping_naming_a_missing_entity_says_did_you_mean(tmp_path):
    out = write_ha_history(toy_history(2), tmp_path / "ha.csv")
    mapping = {"quantities": {"pv": "sensor.pv_powr", "load": "sensor.load_power"}}
    message = fails([out.path], "is not in", mapping=mapping)
    assert "quantities.pv" in message and "'sensor.pv_powr'" in message
    assert "did you mean 'sensor.pv_power'?" in message


def test_a_mapping_naming_a_missing_column_says_did_you_mean(tmp_path):
    out = write_wide(toy_history(2), tmp_path / "h.csv")
    message = fails([out.path], "is not in", mapping={"quantities": {"load": "Load (kW)"}})
    assert "column 'Load (kW)'" in message and "did you mean 'Load (W)'?" in message


@pytest.mark.parametrize("mapping, words", [
    ({"quantities": {"sollar": "x"}}, "not a quantity (did you mean 'solar'?)"),
    ({"quantities": {"load": {"column": "x", "unit": "kVA"}}}, "is not one of W, kW, Wh, kWh, MWh, %, fraction"),
    ({"quantities": {"load": {"column": "x", "sign": "import_positive"}}}, "only grid and battery take a sign"),
    ({"quantities": {"battery": {"column": "x", "sign": "up"}}}, "is not one of discharge_positive, charge_positive"),
    ({"quantities": {"load": {"column": "x", "unit": "kWh", "kind": "power"}}}, "kind power but unit kWh is energy"),
    ({"quantities": {"grid": "g", "grid_import": "i"}}, "give one or the other"),
    ({"layout": "excel", "quantities": {}}, "layout 'excel' is not one of"),
    ({"quantitis": {}}, "unknown key 'quantitis' (did you mean 'quantities'?)"),
    ({"layout": "wide_csv"}, "no 'quantities'"),
    ({"quantities": {"load": {"colum": "x"}}}, "unknown key (did you mean 'column'?)"),
])
def test_a_bad_mapping_says_what_is_wrong_and_what_is_allowed(tmp_path, mapping, words):
    out = write_wide(toy_history(2), tmp_path / "h.csv")
    fails([out.path], re.escape(words), mapping=mapping)


def test_a_mapping_file_that_is_not_yaml_names_its_line(tmp_path):
    out = write_wide(toy_history(2), tmp_path / "h.csv")
    (tmp_path / "m.yaml").write_text("quantities:\n  load: [unclosed\n")
    message = fails([out.path], "not valid YAML", mapping=tmp_path / "m.yaml")
    assert "m.yaml" in message and "line" in message


def test_a_mapping_file_with_yaml_aliases_is_refused(tmp_path):
    out = write_wide(toy_history(2), tmp_path / "h.csv")
    (tmp_path / "m.yaml").write_text("a: &x [1, 2]\nquantities: {load: 'Load (W)'}\nb: *x\n")
    fails([out.path], "aliases", mapping=tmp_path / "m.yaml")


@pytest.mark.parametrize("options, words", [
    ({"timezone": "Mars/Olympus"}, "not an IANA time zone"),
    ({"step_s": 7}, "divides a day"),
    ({"layout": "xlsx"}, "layout 'xlsx' is not one of"),
])
def test_bad_options_are_refused(tmp_path, options, words):
    out = write_wide(toy_history(2), tmp_path / "h.csv")
    fails([out.path], words, **options)


def test_a_time_column_that_is_not_times_names_row_and_value(tmp_path):
    rows = ["time,load_w"] + [f"day {i},500" for i in range(50)]
    (tmp_path / "h.csv").write_text("\n".join(rows) + "\n")
    message = fails([tmp_path / "h.csv"], "is not a time", mapping={"time_column": "time",
                                                                    "quantities": {"load": "load_w"}})
    assert "row 2 column 'time'" in message and "'day 0'" in message and "ISO 8601" in message


def test_nothing_is_written_when_reading_fails(tmp_path):
    (tmp_path / "x.csv").write_text("alpha,beta\n1,2\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    fails([tmp_path / "x.csv"], "unknown layout")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_ragged_csv_names_the_file_and_line(tmp_path):
    rows = ["time,load_w"] + [f"2026-03-0{1 + i // 24} {i % 24:02d}:00:00,500" for i in range(48)]
    rows[5] += ",1,2"
    (tmp_path / "r.csv").write_text("\n".join(rows) + "\n")
    message = fails([tmp_path / "r.csv"], "a row has 4 cells where the header has 2",
                    mapping={"quantities": {"load": "load_w"}})
    assert "r.csv row 6:" in message and "'2026-03-01 04:00:00,500,1,2'" in message
