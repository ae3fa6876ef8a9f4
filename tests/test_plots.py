"""The plots aggregate before drawing; the aggregates keep what the plots show: each bucket's
lowest and highest SoC, every outage tick, every Joule of each month, the right local days."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from homesim import plots
from homesim.devices.base import J_PER_KWH
from homesim.engine.fastforward import simulate
from homesim.home import load_home
from homesim.ledger import Ledger

from conftest import EXAMPLES


@pytest.fixture(scope="module")
def ledger():
    """The reference home over a month boundary, with load-shedding (outages) and non-essential loads."""
    return simulate(load_home(EXAMPLES / "home.yaml"), days=40, dt_s=600)


@pytest.mark.parametrize("bucket", [1, 7, 60, 1000])
def test_envelope_keeps_each_buckets_min_and_max(bucket):
    values = np.random.default_rng(bucket).random(4321)
    starts, low, high = plots.envelope(values, bucket)
    assert list(starts) == list(range(0, len(values), bucket))
    for i, start in enumerate(starts):
        part = values[start:start + bucket]
        assert low[i] == part.min() and high[i] == part.max()
    assert low.min() == values.min() and high.max() == values.max()


def test_bucket_length():
    assert plots.bucket_ticks(525_600, 60) == 60  # a year at 1 min: one bucket per hour
    assert plots.bucket_ticks(6 * 1440, 60) == 1  # 6 days: every tick
    assert plots.bucket_ticks(7 * 1440, 60) == 5  # a week: 5 minutes
    for ticks, dt_s in ((525_600, 60), (5 * 525_600, 60), (3_000_000, 1), (100, 86_400)):
        bucket = plots.bucket_ticks(ticks, dt_s)
        assert -(-ticks // bucket) <= plots.MAX_BUCKETS


@pytest.mark.parametrize("seed", range(5))
def test_spans_cover_exactly_the_true_ticks(seed):
    rng = np.random.default_rng(seed)
    mask = rng.random(1000) < [0.02, 0.5, 0.98, 0.0, 1.0][seed]
    runs = plots.spans(mask)
    again = np.zeros_like(mask)
    for start, end in runs:
        assert start < end and not again[start:end].any()
        again[start:end] = True
    assert (again == mask).all()
    # merged: consecutive runs are separated by at least one False tick
    assert (runs[1:, 0] > runs[:-1, 1]).all()


def test_outage_spans_of_a_ledger(ledger):
    outage = ledger.outage()
    runs = plots.spans(outage)
    assert len(runs) > 3
    assert sum(end - start for start, end in runs) == outage.sum()
    assert all(outage[start:end].all() and not outage[start - 1] for start, end in runs if start)


def test_month_bounds_are_local_calendar_months(ledger):
    unix_s = plots.unix_seconds(ledger)
    months, bounds = plots.period_bounds(unix_s, "Africa/Johannesburg", "month")
    assert [f"{m:%Y-%m}" for m in months] == ["2026-01", "2026-02"]
    # February starts at local midnight, 22:00 UTC on January 31
    assert ledger.table["time"].iloc[bounds[1]] == pd.Timestamp("2026-01-31T22:00", tz="UTC")
    assert bounds[0] == 0 and bounds[-1] == len(unix_s)


def test_day_bounds_follow_daylight_saving_time():
    # Europe/Berlin: 2026-03-29 has 23 hours, 2026-10-25 has 25.
    for day, hours in (("2026-03-29", 23), ("2026-10-25", 25)):
        start = pd.Timestamp(day, tz="Europe/Berlin") - pd.Timedelta(hours=30)
        unix_s = start.value // 10**9 + np.arange(0, 72 * 3600, 3600)
        days, bounds = plots.period_bounds(unix_s, "Europe/Berlin", "day")
        i = [f"{d:%Y-%m-%d}" for d in days].index(day)
        assert bounds[i + 1] - bounds[i] == hours
        assert pd.Timestamp(int(unix_s[bounds[i]]), unit="s", tz="UTC").tz_convert("Europe/Berlin").hour == 0


def test_monthly_totals_are_the_ledgers_totals(ledger):
    months, totals = plots.monthly_totals(ledger)
    summary = ledger.summary()
    e = summary["energy_kwh"]
    assert totals["PV"].sum() == pytest.approx(e["pv"])
    assert totals["load served"].sum() == pytest.approx(e["load"])
    assert totals["grid import"].sum() == pytest.approx(e["grid_import"])
    assert totals["grid export"].sum() == pytest.approx(e["grid_export"])
    assert totals["shed in outages (non-essential, by design)"].sum() == pytest.approx(summary["shed_in_outages_kwh"])
    assert totals["essential loads short"].sum() == pytest.approx(summary["essential_short_kwh"])
    unmet = sum(v.sum() for k, v in totals.items() if k in plots.unmet_parts(ledger))
    assert unmet == pytest.approx(e["unmet"]) and unmet > 0
    # month by month, as a plain groupby on local month strings gives (the old, slow way)
    t = ledger.table
    month = t["time"].dt.tz_convert(ledger.meta["timezone"]).dt.strftime("%Y-%m")
    pv = t[[f"e.{i}" for i in ledger.meta["pv_ids"]]].sum(axis=1).groupby(month).sum() / J_PER_KWH
    assert list(pv.index) == months
    assert totals["PV"] == pytest.approx(pv.to_numpy())


def test_pick_day_is_the_first_full_local_day_with_an_outage(ledger):
    local = ledger.table["time"].dt.tz_convert(ledger.meta["timezone"])
    days = local.dt.normalize()
    off = ~ledger.table["grid_on"]
    full = [d for d, n in days.value_counts().items() if n * ledger.meta["dt_s"] >= 86_400]
    expected = min(d for d in full if off[days == d].any())
    assert plots.pick_day(ledger) == expected
    no_outage = Ledger(ledger.table.assign(grid_on=True), ledger.meta)
    assert plots.pick_day(no_outage) == min(full)


def test_plots_are_written(ledger, tmp_path):
    paths = plots.write_all(ledger, tmp_path)
    assert [p.name for p in paths] == ["day_flows.png", "soc_grid.png", "monthly_energy.png"]
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # a given day (naive or local) and a day outside the run (an empty plot, no error)
    plots.day_flows(ledger, tmp_path / "d1.png", pd.Timestamp("2026-01-20"))
    plots.day_flows(ledger, tmp_path / "d2.png", pd.Timestamp("2026-01-20", tz="Africa/Johannesburg"))
    plots.day_flows(ledger, tmp_path / "d3.png", pd.Timestamp("2027-01-01"))
