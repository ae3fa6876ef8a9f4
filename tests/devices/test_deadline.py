"""Deadline loads' shared logic (homesim.devices.deadline): daily windows in real time, the tick
each window holds, and what an activity was short when its deadline was reached."""

from __future__ import annotations

import datetime as dt

import numpy as np

from homesim.devices.deadline import activity_deadlines, count_into, counted, daily_windows, spread, tick_windows

from device_helpers import make_block

HOUR = 3600
DAY = 86400
ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def monday_days():
    """Local days around two days from Monday 2026-01-05 00:00 in Johannesburg (no clock change)."""
    return make_block(dt_s=HOUR, days=2).local_days


def test_a_window_across_midnight_ends_the_next_day():
    start, end = daily_windows(monday_days(), "22:00", "06:00", ["mon"])
    assert start.tolist() == [22 * HOUR]
    assert end.tolist() == [DAY + 6 * HOUR]


def test_a_window_within_a_day_ends_the_same_day():
    start, end = daily_windows(monday_days(), "08:00", "17:00", ["mon"])
    assert start.tolist() == [8 * HOUR]
    assert end.tolist() == [17 * HOUR]


def test_windows_begin_only_on_their_weekdays_in_day_order():
    start, _ = daily_windows(monday_days(), "08:00", "17:00", ["wed", "mon"])
    assert start.tolist() == [8 * HOUR, 2 * DAY + 8 * HOUR]  # Monday, then Wednesday


def test_a_window_ending_after_the_last_day_is_left_out():
    days = monday_days()
    same_day, _ = daily_windows(days, "08:00", "17:00", ALL_DAYS)
    across, end = daily_windows(days, "22:00", "06:00", ALL_DAYS)
    assert same_day.size == days.count
    assert across.size == days.count - 1  # the last day's night would end past the days
    assert (end - across == 8 * HOUR).all()


def test_a_window_over_the_spring_clock_change_is_an_hour_shorter_in_real_time():
    days = make_block(dt_s=HOUR, days=2, start=dt.date(2026, 3, 28), timezone="Europe/Berlin").local_days
    start, end = daily_windows(days, "01:00", "05:00", ["sat", "sun"])
    assert (end - start).tolist() == [4 * HOUR, 3 * HOUR]  # Berlin springs from 02:00 to 03:00 on Sunday 29 March


def test_a_tick_belongs_to_a_window_it_overlaps_for_any_time():
    bounds = np.arange(11.0) * 60  # ten ticks of a minute
    which = tick_windows(bounds, np.array([90.0]), np.array([301.0]))  # from mid tick 1 to just into tick 5
    assert which.tolist() == [-1, 0, 0, 0, 0, 0, -1, -1, -1, -1]


def test_a_window_ending_on_a_tick_boundary_leaves_the_next_tick_free():
    bounds = np.arange(11.0) * 60
    which = tick_windows(bounds, np.array([120.0]), np.array([300.0]))
    assert which.tolist() == [-1, -1, 0, 0, 0, -1, -1, -1, -1, -1]


def test_a_tick_two_windows_share_belongs_to_the_earlier():
    bounds = np.arange(11.0) * 60
    which = tick_windows(bounds, np.array([0.0, 200.0]), np.array([150.0, 400.0]))  # both in tick 2
    assert which.tolist() == [0, 0, 0, 1, 1, 1, 1, -1, -1, -1]


def test_windows_outside_the_block_hold_no_tick():
    bounds = np.arange(11.0) * 60
    which = tick_windows(bounds, np.array([-500.0, 700.0]), np.array([-100.0, 900.0]))
    assert (which == -1).all()


def test_a_window_begun_before_the_block_holds_its_first_ticks():
    bounds = np.arange(11.0) * 60
    which = tick_windows(bounds, np.array([-500.0]), np.array([130.0]))
    assert which.tolist() == [0, 0, 0, -1, -1, -1, -1, -1, -1, -1]


def test_spread_puts_each_windows_value_on_its_ticks_and_zero_elsewhere():
    assert spread(np.array([-1, 0, 0, 1, -1]), np.array([5.0, 7.0])).tolist() == [0.0, 5.0, 5.0, 7.0, 0.0]
    assert spread(np.array([-1, -1]), np.array([])).tolist() == [0.0, 0.0]  # no window in the block


def activity_run(activity, served, wanted=1000):
    unix_s = 1_000_000 + np.arange(len(activity)) * 60
    return activity_deadlines(np.array(activity, dtype=float), wanted, np.array(served, dtype=np.int64), unix_s, 60)


def test_the_deadline_reached_counts_short_what_was_not_delivered_at_the_last_tick():
    found = activity_run([0, 7, 7, 7, 0], [0, 300, 300, 100, 0])
    assert found.short_j.tolist() == [0, 0, 0, 300, 0]
    assert found.rows == [{"start": 7, "end": 1_000_000 + 3 * 60 + 60, "wanted_j": 1000, "delivered_j": 700,
                           "short_j": 300, "ended": True}]


def test_an_activity_given_all_it_wanted_is_not_short():
    found = activity_run([7, 7, 0], [600, 600, 0])
    assert found.short_j.tolist() == [0, 0, 0]
    assert found.rows[0]["delivered_j"] == 1200 and found.rows[0]["short_j"] == 0


def test_an_activity_still_open_when_the_run_ends_is_listed_but_not_counted_short():
    found = activity_run([0, 7, 7], [0, 100, 100])
    assert found.short_j.tolist() == [0, 0, 0]
    assert found.rows[0]["ended"] is False and found.rows[0]["short_j"] == 0


def test_back_to_back_activities_are_counted_apart_each_with_what_it_wants():
    found = activity_run([7, 7, 9, 9, 0], [400, 400, 100, 0, 0], wanted=np.array([1000, 1000, 500, 500, 0]))
    assert [(row["start"], row["wanted_j"], row["delivered_j"], row["short_j"]) for row in found.rows] == [
        (7, 1000, 800, 200), (9, 500, 100, 400)]
    assert found.short_j.tolist() == [0, 200, 0, 400, 0]


def test_a_run_without_activities_has_no_rows():
    found = activity_run([0, 0, 0], [50, 0, 0])
    assert found.rows == [] and not found.short_j.any()


def test_a_load_counts_into_the_ticks_activity_and_a_new_activity_starts_from_zero():
    s = np.zeros((2, 3))  # two loads; columns: the activity counted, its count, another
    count_into(s, 1, 0, 1, 7.0, 5.0)
    count_into(s, 1, 0, 1, 7.0, 2.5)
    assert counted(s, 1, 0, 1, 7.0) == 7.5
    assert counted(s, 1, 0, 1, 9.0) == 0.0  # an activity it has not begun
    count_into(s, 1, 0, 1, 9.0, 1.0)
    assert s[1].tolist() == [9.0, 1.0, 0.0] and not s[0].any()


def test_outside_every_activity_nothing_is_counted():
    s = np.array([[7.0, 3.0]])
    count_into(s, 0, 0, 1, 0.0, 5.0)
    assert s.tolist() == [[7.0, 3.0]]  # the last activity's count is kept
