"""Hybrid inverter dispatch: scenarios computed by hand, and the balance identity."""

from __future__ import annotations

import numpy as np
import pvlib
import pytest

from homesim.devices import battery, inverter

DT = 60


def settle(
    inv_config=None,
    bat_config=None,
    pv=(0,),
    demand=(0,),
    essential=None,
    grid_on=True,
    slot=(0.2, 5000.0, 0.0),
    export_limit_w=-1.0,
    import_limit_w=-1.0,
    stored=None,
    tripped=False,
    dt=DT,
    pv_only=None,
):
    inv_config = inv_config or inverter.Config(id="inverter", efficiency=1.0)
    inv = inv_config.params()
    bat = bat_config.params() if bat_config is not None else battery.NO_BATTERY
    if stored is None:
        stored = bat_config.initial_stored_j() if bat_config is not None else 0
    pv = np.array(pv, dtype=np.int64)
    demand = np.array(demand, dtype=np.int64)
    essential = np.ones(len(demand), dtype=bool) if essential is None else np.array(essential, dtype=bool)
    pv_used = np.zeros(len(pv), dtype=np.int64)
    served = np.zeros(len(demand), dtype=np.int64)
    pv_only = np.zeros(len(demand), dtype=np.int64) if pv_only is None else np.array(pv_only, dtype=np.int64)
    result = inverter.settle(inv, bat, stored, tripped, pv, demand, pv_only, essential, grid_on, slot[0], slot[1], slot[2],
                             export_limit_w, import_limit_w, dt, pv_used, served)
    battery_j, imp, exp, loss, curtailed, surplus, stored_new, tripped_new = result
    out = dict(battery=battery_j, grid_import=imp, grid_export=exp, loss=loss, curtailed=curtailed, surplus=surplus,
               stored=stored_new, tripped=tripped_new, pv_used=pv_used, served=served)
    # The identity, exactly, every time.
    assert pv_used.sum() + battery_j + imp - exp - served.sum() - loss == 0
    assert loss >= 0 and curtailed >= 0 and imp >= 0 and exp >= 0
    assert (served <= demand).all() and (served >= 0).all()
    assert pv_used.sum() + curtailed == pv.sum()
    return out


def bat(**kw):
    args = dict(capacity_kwh=10.0, soc_min=0.05, initial_soc=0.5, charge_efficiency=1.0, discharge_efficiency=1.0)
    args.update(kw)
    return battery.Config(id="battery", **args)


def test_pv_serves_load_and_the_rest_charges_the_battery():
    r = settle(bat_config=bat(), pv=[300_000], demand=[120_000])
    assert r["served"].tolist() == [120_000]
    assert r["battery"] == -180_000
    assert r["grid_import"] == 0 and r["curtailed"] == 0


def test_zero_export_curtails_what_the_full_battery_cannot_take():
    r = settle(bat_config=bat(initial_soc=1.0), pv=[300_000], demand=[100_000])
    assert r["battery"] == 0 and r["grid_export"] == 0
    assert r["curtailed"] == 200_000


def test_selling_first_exports_up_to_the_export_limit():
    inv = inverter.Config(id="inverter", efficiency=1.0, work_mode="selling_first")
    r = settle(inv, bat(initial_soc=1.0), pv=[300_000], demand=[100_000], export_limit_w=1000.0)
    assert r["grid_export"] == 60_000  # 1000 W for 60 s
    assert r["curtailed"] == 140_000


def test_battery_covers_the_evening_down_to_the_program_soc_then_the_grid():
    b = bat(initial_soc=0.3001)
    r = settle(bat_config=b, demand=[300_000], slot=(0.3, 5000.0, 0.0))
    floor = int(np.ceil(0.3 * b.params().capacity_j))
    assert r["battery"] == b.initial_stored_j() - floor
    assert r["grid_import"] == 300_000 - r["battery"]


def test_program_power_limits_discharge_when_the_grid_is_on():
    r = settle(bat_config=bat(), demand=[300_000], slot=(0.2, 1000.0, 0.0))
    assert r["battery"] == 60_000
    assert r["grid_import"] == 240_000


def test_outage_non_essential_loads_are_off_and_the_battery_serves_the_essential_ones():
    r = settle(bat_config=bat(), demand=[100_000, 200_000], essential=[True, False], grid_on=False, slot=(0.9, 0.0, 0.0))
    # In an outage the program's SoC and power do not hold the battery back.
    assert r["served"].tolist() == [100_000, 0]
    assert r["battery"] == 100_000
    assert r["grid_import"] == 0


def test_outage_battery_stops_at_shutdown_soc_and_stays_off_until_restart_soc():
    inv = inverter.Config(id="inverter", efficiency=1.0, battery_shutdown_soc=0.2, battery_low_soc=0.2,
                          battery_restart_soc=0.4, backup_reserve_soc=0.2)
    b = bat(initial_soc=0.2005)
    r = settle(inv, b, demand=[300_000], grid_on=False)
    assert r["tripped"] is True
    assert r["served"][0] < 300_000
    # Tripped: no discharge even though PV lifted SoC a little, until 40 %.
    r2 = settle(inv, b, pv=[50_000], demand=[100_000], grid_on=False, stored=r["stored"], tripped=True)
    assert r2["battery"] == 0 and r2["served"][0] == 50_000 and r2["tripped"] is True
    r3 = settle(inv, b, demand=[100_000], grid_on=False, stored=int(0.41 * b.params().capacity_j), tripped=True)
    assert r3["tripped"] is False and r3["served"][0] == 100_000


def test_grid_charge_fills_to_the_program_soc_at_the_program_power():
    b = bat(initial_soc=0.3)
    r = settle(bat_config=b, demand=[0], slot=(0.6, 2000.0, 1.0))
    assert r["battery"] == -120_000  # 2000 W for 60 s
    assert r["grid_import"] == 120_000
    near = int(0.6 * b.params().capacity_j) - 1000
    r2 = settle(bat_config=b, demand=[0], slot=(0.6, 2000.0, 1.0), stored=near)
    assert r2["stored"] <= int(0.6 * b.params().capacity_j) + 1
    assert r2["battery"] == -(int(0.6 * b.params().capacity_j) - near)


def test_no_grid_charge_without_the_program_flag():
    r = settle(bat_config=bat(initial_soc=0.3), demand=[0], slot=(0.6, 2000.0, 0.0))
    assert r["battery"] == 0 and r["grid_import"] == 0


def test_battery_first_charges_before_serving_loads():
    inv = inverter.Config(id="inverter", efficiency=1.0, priority="battery_first")
    r = settle(inv, bat(max_charge_w=2000), pv=[200_000], demand=[150_000])
    assert r["battery"] == -120_000
    assert r["served"][0] == 150_000
    assert r["grid_import"] == 70_000


def test_inverter_rating_limits_backup_power_in_an_outage():
    inv = inverter.Config(id="inverter", efficiency=1.0, rated_power_w=3000)
    r = settle(inv, bat(), demand=[200_000, 100_000], grid_on=False)
    assert r["served"].tolist() == [180_000, 0]  # 3 kW for 60 s, served in list order


def test_conversion_loss_is_counted():
    inv = inverter.Config(id="inverter", efficiency=0.95)
    r = settle(inv, pv=[100_000], demand=[95_000])
    assert r["served"][0] == 95_000
    assert r["pv_used"][0] == 100_000
    assert r["loss"] == 5_000


def test_zero_export_serves_non_essential_loads_from_the_grid():
    inv = inverter.Config(id="inverter", efficiency=1.0, work_mode="zero_export")
    r = settle(inv, bat(), pv=[50_000], demand=[50_000, 100_000], essential=[True, False])
    assert r["served"].tolist() == [50_000, 100_000]
    assert r["grid_import"] == 100_000 and r["battery"] == 0 and r["curtailed"] == 0


def test_limited_to_home_serves_non_essential_loads_from_the_battery():
    inv = inverter.Config(id="inverter", efficiency=1.0, work_mode="limited_to_home")
    r = settle(inv, bat(), pv=[50_000], demand=[50_000, 100_000], essential=[True, False])
    assert r["battery"] == 100_000 and r["grid_import"] == 0


def test_pv_use_is_shared_between_arrays_in_proportion():
    r = settle(bat_config=bat(initial_soc=1.0), pv=[300_000, 100_000], demand=[200_000])
    assert r["pv_used"].tolist() == [150_000, 50_000]


@pytest.mark.parametrize("fraction", [0.02, 0.1, 0.25, 0.5, 0.8, 1.0])
def test_pvwatts_curve_matches_pvlib(fraction):
    inv = inverter.Config(id="inverter", rated_power_w=4000, efficiency={"curve": "pvwatts", "nominal": 0.96}).params()
    pdc0 = 4000 / 0.96
    pdc = fraction * pdc0
    expected = pvlib.inverter.pvwatts(pdc, pdc0, eta_inv_nom=0.96) / pdc
    assert inverter.efficiency(inv, pdc) == pytest.approx(expected, rel=1e-12)


def test_points_curve_interpolates():
    inv = inverter.Config(id="inverter", rated_power_w=1000,
                          efficiency={"curve": "points", "points": [[0.0, 0.8], [1.0, 1.0]]}).params()
    assert inverter.efficiency(inv, 500.0) == pytest.approx(0.9)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="shutdown <= low <= restart"):
        inverter.Config(id="inverter", battery_shutdown_soc=0.3, battery_low_soc=0.2)
    with pytest.raises(ValueError, match="max_length|at most 6"):
        inverter.Config(id="inverter", programs=[{"start": f"0{i}:00", "power_w": 1, "soc": 0.2} for i in range(7)])


def test_program_slots_wrap_past_midnight():
    inv = inverter.Config(id="inverter", programs=[{"start": "06:00", "power_w": 1, "soc": 0.2},
                                                   {"start": "22:00", "power_w": 2, "soc": 0.5}])
    seconds = np.array([0, 6 * 3600 - 1, 6 * 3600, 22 * 3600, 86399])
    assert inv.slot_index(seconds).tolist() == [1, 1, 0, 1, 1]


@pytest.mark.parametrize("pv_j", [0, 1, 2, 25, 26, 100, 1000])
@pytest.mark.parametrize("grid_on", [True, False])
def test_a_joule_of_pv_left_by_rounding_never_stops_the_battery_discharging(pv_j, grid_on):
    """A 10 kWh battery at 90 % and 27 kJ of demand in a minute: whatever PV the dawn gives
    (1 J and 26 J once left a Joule after the DC-to-AC rounding, which "charged" the battery
    and stopped its discharge), the load is served from PV and the battery, not the grid."""
    inv = inverter.Config(id="inverter", efficiency=0.96)
    r = settle(inv, bat(initial_soc=0.9), pv=[pv_j], demand=[27_000], grid_on=grid_on)
    assert r["served"].tolist() == [27_000]
    assert r["grid_import"] == 0
    assert r["battery"] > 0 and r["battery"] + r["pv_used"].sum() >= 27_000
    assert r["curtailed"] <= 1  # at most the rounding's Joule


def test_battery_and_pv_share_the_dc_bus_so_the_battery_gives_only_what_pv_cannot():
    inv = inverter.Config(id="inverter", efficiency=1.0)
    r = settle(inv, bat(), pv=[10_000], demand=[27_000])
    assert r["battery"] == 17_000 and r["pv_used"].tolist() == [10_000] and r["grid_import"] == 0


def test_the_battery_never_charges_and_discharges_in_one_tick():
    rng = np.random.default_rng(3)
    inv = inverter.Config(id="inverter", efficiency=0.95)
    for _ in range(300):
        pv = int(rng.integers(0, 60_000))
        demand = int(rng.integers(0, 60_000))
        r = settle(inv, bat(initial_soc=float(rng.uniform(0.25, 0.95))), pv=[pv], demand=[demand],
                   grid_on=bool(rng.integers(0, 2)))
        if r["battery"] < 0:  # charging: PV covered the load (as far as the inverter's rating lets it)
            assert r["served"][0] == demand and r["grid_import"] == 0
        if r["grid_import"] > 0 or r["served"][0] < demand:  # short: the battery gave what it may
            assert r["battery"] >= 0 and r["curtailed"] <= 1


def test_battery_first_does_not_discharge_while_pv_charges_it():
    inv = inverter.Config(id="inverter", efficiency=1.0, priority="battery_first")
    r = settle(inv, bat(), pv=[1], demand=[27_000])
    assert r["battery"] == -1 and r["grid_import"] == 27_000  # the setting in force: PV to the battery first
    r = settle(inv, bat(initial_soc=1.0), pv=[1], demand=[27_000])  # full: nothing to charge, so it serves
    assert r["battery"] == 26_999 and r["grid_import"] == 0


def test_pv_only_demand_is_served_from_pv_alone_never_the_battery_or_the_grid():
    """A PV-surplus charger's demand (``pv_only``) gets what PV still has after the other loads
    and the battery's charge (what would be curtailed or exported); the rest is unserved."""
    inv = inverter.Config(id="inverter", efficiency=1.0)
    r = settle(inv, bat(initial_soc=1.0), pv=[100_000], demand=[30_000, 120_000], pv_only=[0, 120_000])
    assert r["served"].tolist() == [30_000, 70_000]
    assert r["battery"] == 0 and r["grid_import"] == 0 and r["curtailed"] == 0
    r = settle(inv, bat(max_charge_w=500), pv=[100_000], demand=[30_000, 120_000], pv_only=[0, 120_000])
    assert r["battery"] == -30_000 and r["served"].tolist() == [30_000, 40_000]  # the battery charges first
    r = settle(inv, bat(), pv=[0], demand=[30_000, 120_000], pv_only=[0, 120_000])
    assert r["served"].tolist() == [30_000, 0] and r["battery"] == 30_000
    # pv_surplus_min_rate: the least rate from anywhere, the rest from PV only
    r = settle(inv, bat(), pv=[20_000], demand=[120_000], pv_only=[36_000], slot=(0.2, 1000.0, 0.0))
    assert r["served"].tolist() == [84_000] and r["battery"] == 60_000 and r["grid_import"] == 4_000


def test_the_inverters_rating_and_losses_bound_the_pv_spare_it_reports():
    """The spare PV a surplus load reads is AC, after losses and within the AC rating: 7.2 kW
    of PV on a 5 kW inverter with a 1 kW load leaves 4 kW, not 6.2 kW."""
    inv = inverter.Config(id="inverter", efficiency=0.96, rated_power_w=5000)
    r = settle(inv, bat(initial_soc=1.0), pv=[7200 * DT], demand=[1000 * DT])
    assert r["surplus"] == 4000 * DT
    inv = inverter.Config(id="inverter", efficiency=0.96, rated_power_w=50_000)
    r = settle(inv, bat(initial_soc=1.0), pv=[7200 * DT], demand=[1000 * DT])
    assert r["surplus"] == int((7200 * DT - int(np.ceil(1000 * DT / 0.96))) * 0.96)
