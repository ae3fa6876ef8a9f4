"""The planner's history and tariff procedures on a live reference home, through its router:
a history file uploaded in chunks, inspected (layout, columns, guessed mapping), imported
(``homesim import`` in a child process, progressive results), refused with the file, row and
column named when bad; the calibrated home adopted through the controller (refused when the home
changed since the version read), and a tariff previewed from the form and from a URDB rate and
set on the grid with its revision. A viewer may call none of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import CallOptions

from conftest import EXAMPLES
from homesim.history.render import write_wide
from homesim.home import home_from_dict
from homesim.history.synthetic import synthetic_history
from live import LiveProcess, wait_until

INVALID = "homesim.error.invalid_property"
CONFLICT = "homesim.error.conflict"
#: Where the synthetic home is (Cape Town, as random_home draws it).
WHERE = {"latitude": -33.93, "longitude": 18.47, "timezone": "Africa/Johannesburg"}


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    folder = tmp_path_factory.mktemp("history")
    synthetic = synthetic_history(3, days=3)
    write_wide(synthetic.history, folder / "wide.csv")
    live = LiveProcess(EXAMPLES / "home.yaml", folder / "up", "--speed", "5")
    client = live.client("operator")
    desired = client.subscribe(f"home.{live.home_id}.devices", retained=True)
    yield live, client, folder, desired
    client.close()
    assert live.stop() == 0


def call(live, client, what, *args, timeout_s=60, **kwargs):
    return client.call_within(timeout_s, f"home.{live.home_id}.{what}", *args, **kwargs)


def upload(live, client, path, size=200_000):
    """Upload ``path`` in chunks of ``size`` characters, as the UI does; the last reply."""
    text = path.read_text()
    reply = {"upload": None, "bytes": 0}
    for start in range(0, len(text), size):
        reply = call(live, client, "history.upload", name=path.name, text=text[start:start + size],
                     upload=reply["upload"], offset=reply["bytes"])
    return reply


def refused(live, client, what, **kwargs):
    with pytest.raises(ApplicationError) as error:
        call(live, client, what, timeout_s=300, **kwargs)
    return error.value


def test_a_history_is_uploaded_in_chunks_and_inspected(home):
    live, client, folder, _ = home
    reply = upload(live, client, folder / "wide.csv")
    assert reply["bytes"] == (folder / "wide.csv").stat().st_size
    error = refused(live, client, "history.upload", name="wide.csv", text="x", upload=reply["upload"], offset=5)
    assert error.error == INVALID and error.args[0].startswith(f"offset: 5 is not allowed: upload {reply['upload']} "
                                                               f"holds {reply['bytes']} bytes"), error.args
    seen = call(live, client, "history.inspect", upload=reply["upload"])
    assert seen["layout"] == "wide_csv" and seen["name"] == "wide.csv"
    assert seen["mapping"]["pv"] == "PV power (W)" and seen["mapping"]["soc"] == "Battery SOC (%)"
    assert "PV power (W)" in seen["columns"] and "Time" not in seen["columns"]
    assert seen["location"]["timezone"] == "Africa/Johannesburg"  # the live home's
    assert seen["units"]["soc"].startswith("%")


def test_bad_input_is_refused_naming_the_file_row_and_column(home):
    live, client, folder, _ = home
    bad = folder / "bad.csv"
    bad.write_text("Time,PV power (W),Load (W)\n2026-01-05T00:00:00+02:00,0,200\n2026-01-05T00:01:00+02:00,sunny,"
                   "210\n" + "".join(f"2026-01-05T{h:02d}:{m:02d}:00+02:00,0,200\n" for h in range(1, 3)
                                     for m in range(60)))
    up = upload(live, client, bad)
    error = refused(live, client, "history.import", uploads=[up["upload"]], mapping={}, **WHERE)
    assert error.error == INVALID
    assert "bad.csv" in error.args[0] and "Traceback" not in error.args[0], error.args
    error = refused(live, client, "history.import", uploads=[up["upload"]], mapping={"pv": "Solar"}, **WHERE)
    assert error.args[0] == "mapping.pv: 'Solar' is not a column of bad.csv", error.args
    error = refused(live, client, "history.import", uploads=["0123456789abcdef"], mapping={}, **WHERE)
    assert error.args[0].startswith("upload: '0123456789abcdef' is not allowed: no such upload"), error.args
    error = refused(live, client, "history.import", uploads=[up["upload"]], mapping={}, latitude=95, longitude=0,
                    timezone="UTC")
    assert error.args[0].startswith("latitude: 95 is not allowed"), error.args
    error = refused(live, client, "history.upload", name="../x.csv", text="a")
    assert error.args[0].startswith("name: '../x.csv' is not allowed"), error.args


def write(folder, name, text):
    path = folder / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("name, text, where, says", [
    ("empty.csv", "", None, "empty.csv: the file is empty"),
    ("short.csv", "Time,PV power (W),Load (W)\n" + "".join(f"2026-01-05T{h:02d}:00:00+02:00,0,300\n" for h in range(6)),
     None, "short.csv"),
    # the history's sun at Cape Town's noon, the location on the other side of the world
    ("wide.csv", None, {"latitude": 33.93, "longitude": -161.53, "timezone": "Africa/Johannesburg"},
     "wide.csv: the PV data's sun"),
])
def test_a_history_that_cant_be_calibrated_is_refused_saying_why(home, name, text, where, says):
    live, client, folder, _ = home
    if text == "":
        up = call(live, client, "history.upload", name=name, text="")
    else:
        up = upload(live, client, folder / name if text is None else write(folder, name, text))
    error = refused(live, client, "history.import", uploads=[up["upload"]], mapping={}, **(where or WHERE))
    assert error.error == INVALID and error.args[0].startswith(says), error.args
    assert "/imports/" not in error.args[0] and "Traceback" not in error.args[0], error.args


def test_a_viewer_may_not_upload_or_import(home):
    live, _, _, _ = home
    viewer = live.client("viewer")
    try:
        for what, kwargs in (("history.upload", {"name": "a.csv", "text": "x"}), ("tariff.preview", {})):
            with pytest.raises(ApplicationError) as error:
                viewer.call(f"home.{live.home_id}.{what}", **kwargs)
            assert error.value.error == "wamp.error.not_authorized", error.value
    finally:
        viewer.close()


def test_import_then_adopt_replaces_the_live_homes_devices(home):
    live, client, folder, desired = home
    up = upload(live, client, folder / "wide.csv")
    seen = call(live, client, "history.inspect", upload=up["upload"])
    progress = []
    result = client._run(lambda: client.session.call(
        f"home.{live.home_id}.history.import", uploads=[up["upload"]], mapping=seen["mapping"], **WHERE,
        options=CallOptions(on_progress=lambda *p: progress.append(p))), 600)
    assert [p[2] for p in progress][:2] == ["Reading the history…", "Calibrating the home…"], progress
    assert result["quality"]["files"][0]["rows"] == 3 * 1440
    assert set(result["report"]["errors"]) >= {"pv_w", "load_w", "soc"}
    assert result["plots"] and all(p["src"].startswith("data:image/png;base64,") for p in result["plots"])
    calibrated = {d["id"]: d for d in result["home"]["devices"]}
    assert (folder / "up").resolve() in Path(result["home_file"]).resolve().parents
    # the home changes after the version read (the TV switched off elsewhere): adopting is refused
    read = desired[-1][1]["version"]
    call(live, client, "controller.switch", "tv", False)
    version = wait_until(lambda: desired[-1][1]["version"] > read and desired[-1][1]["version"], 30, "a new version")
    error = refused(live, client, "history.adopt", job=result["job"], version=read)
    assert error.error == CONFLICT and f"since version {read} (now {version})" in error.args[0], error.args
    assert any(d["id"] == "oven" for d in desired[-1][1]["home"]["devices"])  # nothing changed

    done = call(live, client, "history.adopt", job=result["job"], version=version, timeout_s=120)
    assert "oven" in done["removed"] and "geyser" in done["removed"]

    twin = home_from_dict(result["home"])

    def adopted():
        """Every calibrated device in the desired home, every property the calibration set as
        the twin has it (both read as the home file reads them); None until then."""
        devices = {d["id"] for d in desired[-1][1]["home"]["devices"]}
        if not set(calibrated) <= devices or "oven" in devices:
            return None
        now = home_from_dict(desired[-1][1]["home"], home_dir=EXAMPLES)
        differ = [(i, k) for i, device in calibrated.items() for k in device
                  if now.device(i).model_dump(mode="json")[k] != twin.device(i).model_dump(mode="json")[k]]
        return not differ

    # (a property set on a device reaches the desired home through the device's config event)
    wait_until(adopted, 60, "the calibrated home's devices and properties in the desired home")
    # the new devices' processes run: the watcher sees them present
    topology = client.subscribe(f"home.{live.home_id}.topology", retained=True)
    wait_until(lambda: topology and all(topology[-1][1]["devices"].get(d, {}).get("status") == "present"
                                        for d in calibrated), 120, "the calibrated devices present")


FORM = {"name": "Homeflex-like", "fixed": {"per_day": 10.5},
        "seasons": {"high": [6, 7, 8], "low": [1, 2, 3, 4, 5, 9, 10, 11, 12]},
        "rates": [{"name": "peak", "seasons": ["high"], "days": ["mon", "tue", "wed", "thu", "fri"],
                   "times": ["06:00-09:00", "17:00-19:00"], "price_per_kwh": 7.0},
                  {"name": "standard", "blocks": [{"up_to_kwh": 600, "price_per_kwh": 2.0},
                                                  {"price_per_kwh": 3.0}]}],
        "export_per_kwh": 0.8}


def test_a_tariff_from_the_form_is_shown_and_set_on_the_grid_with_its_revision(home):
    live, client, _, _ = home
    shown = call(live, client, "tariff.preview", tariff=FORM)
    high = next(s for s in shown["summary"]["seasons"] if s["name"] == "high")
    weekday = [h["price"] for h in high["days"]["weekday"]]
    assert weekday[7] == 7.0 and weekday[12] == 2.0 and weekday[18] == 7.0 and weekday[19] == 2.0
    assert [h["price"] for h in high["days"]["sunday"]] == [2.0] * 24
    assert shown["summary"]["fixed"]["per_day"] == 10.5 and shown["summary"]["currency"] == "ZAR"
    error = refused(live, client, "tariff.preview", tariff={**FORM, "seasons": {"high": [6, 7]}})
    assert error.args[0].startswith("tariff.seasons") or "seasons must hold every month" in error.args[0], error.args
    error = refused(live, client, "tariff.preview", urdb="{not json", name="rate.json")
    assert error.args[0].startswith("rate.json: line 1 column 2: not valid JSON"), error.args

    grid = f"home.{live.home_id}.device.grid"
    view = client.call(f"{grid}.get")
    assert shown["properties"]["tariff"] == shown["tariff"]
    changed = client.call(f"{grid}.set", shown["properties"], revision=view["revision"])
    assert changed["properties"]["tariff"]["name"] == "Homeflex-like"
    assert changed["revision"] == view["revision"] + 1
    # the same change again, based on the revision read before it: refused
    with pytest.raises(ApplicationError) as stale:
        client.call(f"{grid}.set", {**shown["properties"], "tariff": {**shown["tariff"], "name": "other"}},
                    revision=view["revision"])
    assert stale.value.error == CONFLICT, stale.value
    assert client.call(f"{grid}.get")["properties"]["tariff"]["name"] == "Homeflex-like"


def test_a_urdb_rate_is_read_into_the_native_form(home):
    live, client, _, _ = home
    rate = {"name": "Domestic", "utility": "Example", "energyratestructure": [[{"max": 600, "rate": 2.0}, {"rate": 3.0}]],
            "energyweekdayschedule": [[0] * 24] * 12, "energyweekendschedule": [[0] * 24] * 12,
            "fixedchargefirstmeter": 200.0, "fixedchargeunits": "$/month"}
    shown = call(live, client, "tariff.preview", urdb=json.dumps({"items": [rate]}), name="domestic.json")
    assert shown["tariff"]["fixed"]["per_month"] == 200.0
    assert shown["summary"]["rates"][0]["blocks"] == [{"up_to_kwh": 600.0, "price": 2.0}, {"up_to_kwh": None, "price": 3.0}]
    error = refused(live, client, "tariff.preview", urdb=json.dumps({**rate, "demandratestructure": [[{"rate": 5}]]}),
                    name="demand.json")
    assert error.args[0].startswith("demand.json: demand charges"), error.args
