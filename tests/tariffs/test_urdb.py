"""Reading URDB records: what is refused (named: field, value, why), what is noted, the example
file, and ``homesim tariff`` (YAML out, nothing half-written, exit 2 with one message)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest
import yaml

from homesim.tariffs.model import UtilityTariff
from homesim.tariffs.urdb import UrdbError, from_urdb, read_urdb

from conftest import EXAMPLES, ROOT

EXAMPLE = EXAMPLES / "tariffs" / "urdb_example.json"
FLAT = {"energyratestructure": [[{"rate": 2.0, "sell": 0.5}]],
        "energyweekdayschedule": [[0] * 24] * 12, "energyweekendschedule": [[0] * 24] * 12,
        "dgrules": "Buy All Sell All"}


def record(**changes) -> dict:
    out = copy.deepcopy(FLAT)
    out.update(changes)
    return {k: v for k, v in out.items() if v is not None}


def test_the_example_reads_as_two_seasons_six_periods_blocks_and_a_daily_charge():
    tariff, notes = read_urdb(EXAMPLE)
    assert notes == []
    assert tariff.metering == "gross" and tariff.fixed.per_day == 12.5
    assert tariff.seasons == {"jun-aug": [6, 7, 8], "sep-may": [1, 2, 3, 4, 5, 9, 10, 11, 12]}
    names, _ = tariff.periods()
    assert sorted(names) == [f"period {p}" for p in range(1, 7)]
    peak = next(r for r in tariff.rates if r.name == "period 1")
    assert peak.price_per_kwh == pytest.approx(6.4) and peak.export_per_kwh == 1.8  # rate + adj; sell
    assert peak.times == ["06:00-09:00", "17:00-19:00"] and peak.days == ["mon", "tue", "wed", "thu", "fri"]
    tiered = next(r for r in tariff.rates if r.name == "period 2")
    assert [(b.up_to_kwh, b.price_per_kwh) for b in tiered.blocks] == [(300, 2.1), (None, 2.6)]


@pytest.mark.parametrize("changes, said", [
    ({"demandratestructure": [[{"rate": 10.0}]]}, "demand charges (demandratestructure) are not supported"),
    ({"flatdemandmonths": [0] * 12, "flatdemandstructure": [[{"rate": 5}]]}, "demand charges"),
    ({"energyratestructure": [[{"rate": 1.0, "unit": "kWh/kW"}]]}, "energyratestructure[0][0].unit: 'kWh/kW' is not supported"),
    ({"energyratestructure": [[{"rate": "two"}]]}, "energyratestructure[0][0].rate: 'two' is not a number"),
    ({"energyratestructure": [[{"max": 10, "rate": 1.0}, {"rate": 2.0}, {"rate": 3.0}]]},
     "energyratestructure[0][1]: a tier before the last needs 'max'"),
    ({"energyweekdayschedule": [[0] * 24] * 11}, "energyweekdayschedule: must be 12 rows"),
    ({"energyweekendschedule": [[0] * 23 + [1]] * 12}, "energyweekendschedule[0][23]: 1 is not a period"),
    ({"fixedchargefirstmeter": 5, "fixedchargeunits": "$/week"}, "fixedchargeunits: '$/week' is not one of"),
    ({"mincharge": 100, "minchargeunits": "$/year"}, "minchargeunits: '$/year' is not supported"),
    ({"dgrules": "Net Billing Hourly"}, "dgrules: 'Net Billing Hourly' is not supported"),
    ({"energyratestructure": None}, "no 'energyratestructure'"),
])
def test_what_homesim_cannot_bill_is_refused_by_name(changes, said):
    with pytest.raises(UrdbError) as caught:
        from_urdb(record(**changes))
    assert said in str(caught.value)


def test_what_is_read_differently_is_noted():
    tariff, notes = from_urdb(record(dgrules=None, energyratestructure=[[{"max": 100, "rate": 1.0, "sell": 0.5},
                                                                         {"max": 500, "rate": 2.0, "sell": 0.4}]],
                                     mincharge=3.0, minchargeunits="$/day", fixedchargeeaaddl=7.0))
    assert tariff.metering == "net" and tariff.minimum_per_month == pytest.approx(3.0 * 365 / 12)
    assert tariff.rates[0].blocks[-1].up_to_kwh is None
    said = "\n".join(notes)
    for part in ("no dgrules: net metering", "max 500: the last tier is unlimited", "sell at [0.5, 0.4]",
                 "fixedchargeeaaddl 7.0", "mincharge 3.0 $/day"):
        assert part in said


def test_the_api_answer_with_items_is_read_and_a_fixed_monthly_or_yearly_charge_too():
    tariff, _ = from_urdb({"items": [record(fixedchargefirstmeter=120.0, fixedchargeunits="$/year")]})
    assert tariff.fixed.per_month == pytest.approx(10.0) and tariff.rates[0].price_per_kwh == 2.0
    assert tariff.export_per_kwh == 0.5


def run(*args):
    return subprocess.run([sys.executable, "-m", "homesim", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_homesim_tariff_writes_the_native_yaml_that_a_home_file_takes(tmp_path):
    out = tmp_path / "tariff.yaml"
    done = run("tariff", EXAMPLE, "--out", out)
    assert done.returncode == 0, done.stderr
    data = yaml.safe_load(out.read_text())
    assert UtilityTariff.model_validate(data) == read_urdb(EXAMPLE)[0]
    assert list(data)[:3] == ["name", "source", "metering"]
    printed = run("tariff", EXAMPLE)
    assert printed.returncode == 0 and yaml.safe_load(printed.stdout) == data


def test_homesim_tariff_refuses_a_bad_file_with_one_message_and_writes_nothing(tmp_path):
    bad = tmp_path / "demand.json"
    bad.write_text(json.dumps(record(demandratestructure=[[{"rate": 10.0}]])))
    out = tmp_path / "tariff.yaml"
    done = run("tariff", bad, "--out", out)
    assert done.returncode == 2 and not out.exists() and not list(tmp_path.glob("*.partial"))
    assert done.stderr.startswith(f"homesim: {bad}: demand charges") and "Traceback" not in done.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{\n  \"energyratestructure\": [\n")
    done = run("tariff", broken)
    assert done.returncode == 2 and "not JSON: line 3" in done.stderr


@pytest.mark.parametrize("name", ["municipal_blocks_illustrative.yaml", "eskom_homeflex_illustrative.yaml"])
def test_the_shipped_south_african_tariffs_are_valid_and_say_where_their_figures_come_from(name):
    data = yaml.safe_load((EXAMPLES / "tariffs" / name).read_text())
    tariff = UtilityTariff.model_validate(data)
    assert "illustrative" in tariff.source and "2025/26" in tariff.name
    text = (EXAMPLES / "tariffs" / name).read_text()
    assert "ILLUSTRATIVE" in text and "2025/26" in text
