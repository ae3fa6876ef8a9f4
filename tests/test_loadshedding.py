"""Load-shedding formats: each read from small files of our own, combined, masked."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homesim import loadshedding as ls

SAST = dt.timezone(dt.timedelta(hours=2))


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def ts(text):
    return int(dt.datetime.fromisoformat(text).timestamp())


EVENTS = """area_name,start,finsh,stage,source
test-area-1,2026-01-05T10:00:00+02:00,2026-01-05T12:30:00+02:00,2,https://example.invalid/a
test-area-2,2026-01-05T12:00:00+02:00,2026-01-05T14:30:00+02:00,2,https://example.invalid/a
test-area-1,2026-01-05T20:00:00+02:00,2026-01-05T22:30:00+02:00,4,https://example.invalid/b
"""


def test_outage_events_for_one_area(tmp_path):
    found = ls.read_outage_events(write(tmp_path, "events.csv", EVENTS), "test-area-1")
    assert found == [ls.Outage(ts("2026-01-05T10:00:00+02:00"), ts("2026-01-05T12:30:00+02:00"), 2),
                     ls.Outage(ts("2026-01-05T20:00:00+02:00"), ts("2026-01-05T22:30:00+02:00"), 4)]


def test_columns_are_read_by_name_in_any_order(tmp_path):
    lines = EVENTS.splitlines()
    reordered = ["area_name,stage,start,finsh,source"]
    for line in lines[1:]:
        area, start, end, stage, source = line.split(",")
        reordered.append(",".join([area, stage, start, end, source]))
    a = ls.read_outage_events(write(tmp_path, "a.csv", EVENTS), "test-area-1")
    b = ls.read_outage_events(write(tmp_path, "b.csv", "\n".join(reordered) + "\n"), "test-area-1")
    assert a == b


SCHEDULE = """date_of_month,start_time,finsh_time,stage
5,06:00,08:30,1
5,14:00,16:30,2
5,22:00,00:30,3
6,02:00,04:30,1
"""


def test_area_schedule_is_cumulative_and_wraps_midnight(tmp_path):
    schedule = ls.read_area_schedule(write(tmp_path, "area.csv", SCHEDULE))
    day = dt.date(2026, 1, 5)
    assert schedule.slots(day, 1) == [(360, 510)]
    assert schedule.slots(day, 2) == [(360, 510), (840, 990)]
    assert schedule.slots(day, 3) == [(360, 510), (840, 990), (1320, 1470)]  # 22:00 to 00:30 next day
    assert schedule.slots(day, 8) == schedule.slots(day, 3)  # only stages 1-3 listed: 8 acts as 3
    assert schedule.slots(day, 0) == []


def test_stage_timeline_and_area_schedule_give_outages(tmp_path):
    schedule = ls.read_area_schedule(write(tmp_path, "area.csv", SCHEDULE))
    timeline = ls.read_stage_timeline(write(tmp_path, "stages.csv", "stage,start,finsh\n"
                                                                     "2,2026-01-05T07:00,2026-01-05T15:00\n"
                                                                     "3,2026-01-05T15:00,2026-01-06T03:00\n"))
    outages = ls.outages_from_stages(schedule, timeline, "Africa/Johannesburg")
    assert outages == [
        ls.Outage(ts("2026-01-05T07:00+02:00"), ts("2026-01-05T08:30+02:00"), 2),  # cut at the stage start
        ls.Outage(ts("2026-01-05T14:00+02:00"), ts("2026-01-05T16:30+02:00"), 3),  # stage 2 then 3: merged
        ls.Outage(ts("2026-01-05T22:00+02:00"), ts("2026-01-06T00:30+02:00"), 3),
        ls.Outage(ts("2026-01-06T02:00+02:00"), ts("2026-01-06T03:00+02:00"), 3),  # cut at the stage end
    ]


def test_stage_timeline_as_json(tmp_path):
    path = write(tmp_path, "stages.json", json.dumps([{"stage": 2, "start": "2025-05-13T16:00", "finsh": "2025-05-13T22:00"}]))
    assert ls.read_stage_timeline(path) == [ls.StageInterval(2, dt.datetime(2025, 5, 13, 16), dt.datetime(2025, 5, 13, 22))]


def test_overlapping_slots_merge_and_keep_the_highest_stage():
    merged = ls.merge_outages([ls.Outage(0, 150, 1), ls.Outage(120, 270, 2), ls.Outage(270, 300, 1), ls.Outage(400, 500, 1)])
    assert merged == [ls.Outage(0, 300, 2), ls.Outage(400, 500, 1)]


def test_mask_edges_start_inclusive_end_exclusive():
    mask = ls.grid_on_mask([ls.Outage(100, 200, 1)], np.array([99, 100, 199, 200]))
    assert mask.tolist() == [True, False, False, True]


@settings(max_examples=100, deadline=None)
@given(intervals=st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 500)), max_size=30),
       times=st.lists(st.integers(-100, 11_000), min_size=1, max_size=200))
def test_mask_agrees_with_a_plain_loop(intervals, times):
    outages = [ls.Outage(a, a + d, 1) for a, d in intervals]
    expected = [not any(o.start_s <= t < o.end_s for o in outages) for t in times]
    assert ls.grid_on_mask(outages, np.array(times)).tolist() == expected


def test_average_hours_rise_with_the_stage(tmp_path):
    rows = ["date_of_month,start_time,finsh_time,stage"]
    for day in range(1, 32):
        for stage in range(1, 5):
            start = (day * 3 + stage * 5) % 22
            rows.append(f"{day},{start:02d}:00,{start + 2:02d}:00,{stage}")
    schedule = ls.read_area_schedule(write(tmp_path, "area.csv", "\n".join(rows) + "\n"))
    hours = [ls.average_hours_off_per_day(schedule, stage) for stage in range(1, 9)]
    assert hours[0] > 0 and all(a <= b for a, b in zip(hours, hours[1:]))
    assert hours[4] == hours[3]  # stages above 4 act as 4 here


def test_esp_area_and_status(tmp_path):
    area = {"events": [{"start": "2026-01-05T16:00:00+02:00", "end": "2026-01-05T18:30:00+02:00", "note": "Stage 2"}],
            "info": {"name": "Test area", "region": "Nowhere"},
            "schedule": {"days": [{"date": "2026-01-06", "name": "Tuesday",
                                   "stages": [["00:00-02:30"], ["00:00-02:30", "08:00-10:30"], [], [], [], [], [], []]}],
                         "source": "https://example.invalid"}}
    events, schedule = ls.read_esp_area(write(tmp_path, "area.json", json.dumps(area)))
    assert events == [ls.Outage(ts("2026-01-05T16:00+02:00"), ts("2026-01-05T18:30+02:00"), 2)]
    assert (480, 630) in schedule.slots(dt.date(2026, 1, 6), 2)
    assert schedule.slots(dt.date(2026, 1, 6), 1) == [(0, 150)]
    status = {"status": {"eskom": {"name": "National", "stage": "0", "stage_updated": "2026-01-06T05:00:00+02:00",
                                   "next_stages": [{"stage": "2", "stage_start_timestamp": "2026-01-06T07:00:00+02:00"}]}}}
    timeline = ls.read_esp_status(write(tmp_path, "status.json", json.dumps(status)))
    assert [t.stage for t in timeline] == [0, 2]
    outages = ls.outages_from_stages(schedule, timeline, "Africa/Johannesburg")
    assert outages == [ls.Outage(ts("2026-01-06T08:00+02:00"), ts("2026-01-06T10:30+02:00"), 2)]


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("e.csv", "area_name,start,finsh,stage,source\na,2026-01-05T10:00:00+02:00,2026-01-05T11:00:00+02:00,9,x\n",
         "e.csv line 2, column 'stage': '9' is not allowed: must be an integer 1..8"),
        ("e.csv", "area_name,start,stage,source\n", "missing column 'finsh'"),
        ("e.csv", "area_name,start,finsh,stage,source\na,yesterday,2026-01-05T11:00:00+02:00,1,x\n",
         "line 2, column 'start': 'yesterday' is not an ISO 8601"),
        ("e.csv", "area_name,start,finsh,stage,source\na,2026-01-05T10:00:00,2026-01-05T11:00:00,1,x\n",
         "needs a UTC offset"),
        ("e.csv", "area_name,start,finsh,stage,source\na,2026-01-05T10:00:00+02:00,2026-01-05T09:00:00+02:00,1,x\n",
         "is not after the start"),
    ],
)
def test_bad_event_files_name_file_line_column(tmp_path, name, text, message):
    with pytest.raises(ls.ScheduleError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        ls.read_outage_events(write(tmp_path, name, text), "a")


@pytest.mark.parametrize(
    "text, message",
    [
        ("date_of_month,start_time,finsh_time,stage\n32,06:00,08:30,1\n", "'date_of_month': '32' is not allowed: must be 1..31"),
        ("date_of_month,start_time,finsh_time,stage\n1,6am,08:30,1\n", "column 'start_time': '6am' is not a time of day"),
        ("date_of_month,start_time,finsh_time,stage\n1,06:00,08:30,0\n", "must be an integer 1..8"),
    ],
)
def test_bad_area_schedules(tmp_path, text, message):
    with pytest.raises(ls.ScheduleError, match=message):
        ls.read_area_schedule(write(tmp_path, "area.csv", text))


def test_example_home_schedule_reads():
    from conftest import EXAMPLES

    schedule = ls.read_area_schedule(EXAMPLES / "loadshedding" / "area_schedule.csv")
    timeline = ls.read_stage_timeline(EXAMPLES / "loadshedding" / "stage_timeline.csv")
    outages = ls.outages_from_stages(schedule, timeline, "Africa/Johannesburg")
    assert len(outages) > 20
    assert all(o.end_s - o.start_s <= 5 * 3600 for o in outages)


def test_outage_status_present_and_next():
    outages = [ls.Outage(100, 200, 2), ls.Outage(300, 400, 0), ls.Outage(390, 500, 4)]
    before = ls.outage_status(outages, 50)
    assert before == ls.OutageStatus(0, None, None, 100, 200, 2)
    assert ls.outage_status(outages, 100) == ls.OutageStatus(2, 100, 200, 300, 500, 4)  # start inclusive
    assert ls.outage_status(outages, 199) == ls.OutageStatus(2, 100, 200, 300, 500, 4)
    assert ls.outage_status(outages, 200) == ls.OutageStatus(0, None, None, 300, 500, 4)  # end exclusive
    assert ls.outage_status(outages, 350) == ls.OutageStatus(4, 300, 500, None, None)  # merged: highest stage
    assert ls.outage_status(outages, 500) == ls.OutageStatus(0, None, None, None, None)
    assert ls.outage_status([], 10) == ls.OutageStatus(0, None, None, None, None)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1000), st.integers(1, 100), st.integers(0, 8)), max_size=8),
       st.integers(-10, 1200))
def test_outage_status_agrees_with_the_mask(intervals, t):
    outages = [ls.Outage(a, a + d, s) for a, d, s in intervals]
    status = ls.outage_status(outages, t)
    off = not bool(ls.grid_on_mask(outages, np.array([t]))[0])
    assert (status.outage_end_s is not None) == off
    if off:
        assert status.outage_start_s <= t < status.outage_end_s
    if status.next_start_s is not None:
        assert status.next_start_s > t and not ls.grid_on_mask(outages, np.array([status.next_start_s]))[0]
        assert ls.grid_on_mask(outages, np.array([status.next_start_s - 1]))[0]
