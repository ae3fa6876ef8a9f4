"""The compiled home: local calendars (with daylight saving) and block boundaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from homesim.engine.compiled import local_calendar


@pytest.mark.parametrize("zone", ["Africa/Johannesburg", "Europe/Berlin", "America/New_York", "Australia/Sydney"])
@pytest.mark.parametrize("step, first", [(60, "2026-03-05"), (60, "2026-03-25"), (60, "2026-10-01"),
                                         (60, "2026-10-22"), (300, "2026-03-01"), (3600, "2026-01-01"),
                                         (86_400, "2026-01-01")])
def test_local_calendar_matches_pandas_across_dst(zone, step, first):
    # Weeks at 60 s that contain the 2026 changes of New York, Berlin and Sydney, and longer spans.
    start = int(pd.Timestamp(first, tz="UTC").timestamp())
    unix = start + np.arange(10_080, dtype=np.int64) * step
    mine = local_calendar(unix, zone)
    local = pd.DatetimeIndex(unix.astype("datetime64[s]")).tz_localize("UTC").tz_convert(zone)
    np.testing.assert_array_equal(mine.second_of_day, (local.hour * 3600 + local.minute * 60 + local.second).to_numpy())
    np.testing.assert_array_equal(mine.weekday, local.day_of_week.to_numpy())
    np.testing.assert_array_equal(mine.month, local.month.to_numpy())
    np.testing.assert_array_equal(mine.day_of_month, local.day.to_numpy())
