"""The example load-shedding files (invented, one per layout of docs/reference/loadshedding-formats.md)
read by their readers, and what the UI's picker asks of them: an events file's areas (every row
checked), a saved /area response's name, the average hours off a day of a saved schedule."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from homesim import loadshedding as ls
from homesim.devices.grid import LoadShedding

from conftest import EXAMPLES

FOLDER = EXAMPLES / "loadshedding"


def test_every_example_file_reads():
    areas = ls.read_event_areas(FOLDER / "events.csv")
    with (FOLDER / "events.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert areas == {name: sum(r["area_name"] == name for r in rows) for name in dict.fromkeys(r["area_name"] for r in rows)}
    assert len(areas) == 3
    for name in areas:
        assert len(ls.read_outage_events(FOLDER / "events.csv", name)) == areas[name]
    assert ls.read_area_schedule(FOLDER / "area_schedule.csv").highest_stage == 4
    json_timeline = ls.read_stage_timeline(FOLDER / "stage_timeline.json")
    assert [s.stage for s in json_timeline] == [2, 4, 0, 3]
    assert ls.read_stage_timeline(FOLDER / "stage_timeline.csv")
    events, schedule = ls.read_esp_area(FOLDER / "esp_area.json")
    assert len(events) == 2 and len(schedule.dated) == 3
    assert ls.esp_area_name(FOLDER / "esp_area.json") == "Example Town (1) (Invented Municipality)"
    status = ls.read_esp_status(FOLDER / "esp_status.json")
    assert [s.stage for s in status] == [2, 4, 0]


@pytest.mark.parametrize("source", [
    {"events_csv": "loadshedding/events.csv", "area": "riverside-block-3"},
    {"area_schedule_csv": "loadshedding/area_schedule.csv", "stage_timeline": "loadshedding/stage_timeline.json"},
    {"area_schedule_csv": "loadshedding/area_schedule.csv", "esp_status_json": "loadshedding/esp_status.json"},
    {"esp_area_json": "loadshedding/esp_area.json", "esp_status_json": "loadshedding/esp_status.json"},
])
def test_each_combination_gives_outages_for_the_grid(source):
    outages = LoadShedding.model_validate(source).outages(EXAMPLES, "Africa/Johannesburg")
    assert outages and all(o.end_s > o.start_s and 1 <= o.stage <= 8 for o in outages)


def test_event_areas_checks_every_row_naming_line_and_column(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("area_name,start,finsh,stage,source\na,2026-01-05T10:00+02:00,2026-01-05T12:00+02:00,2,x\n"
                    "b,2026-01-05T10:00+02:00,2026-01-05T12:00+02:00,9,x\n")
    with pytest.raises(ls.ScheduleError, match=r"e.csv line 3, column 'stage': '9' is not allowed: must be an integer 1..8"):
        ls.read_event_areas(path)
    path.write_text("area_name,start,finsh,stage\n,2026-01-05T10:00+02:00,2026-01-05T12:00+02:00,2\n")
    with pytest.raises(ls.ScheduleError, match=r"line 2, column 'area_name': empty"):
        ls.read_event_areas(path)


def test_average_hours_off_of_a_saved_schedule_is_over_its_days():
    schedule = ls.read_esp_area(FOLDER / "esp_area.json")[1]
    for stage in range(1, 9):
        minutes = 0
        for day in schedule.dated:
            off = set()
            for a, b in schedule.slots(day, stage):
                off |= set(range(a, b))
            minutes += len(off)
        assert ls.average_hours_off_per_day(schedule, stage) == pytest.approx(minutes / 3 / 60)
    assert ls.average_hours_off_per_day(schedule, 1) == pytest.approx(2.5)
    assert ls.average_hours_off_per_day(schedule, 0) == 0


def test_a_saved_area_without_info_has_no_name(tmp_path):
    (tmp_path / "a.json").write_text('{"events": [], "schedule": {"days": []}}')
    assert ls.esp_area_name(tmp_path / "a.json") == ""
    assert dt.date(2026, 1, 5) in ls.read_esp_area(FOLDER / "esp_area.json")[1].dated
