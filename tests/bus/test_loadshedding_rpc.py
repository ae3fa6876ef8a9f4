"""The controller's ``loadshedding.upload`` and ``loadshedding.preview`` on a live home (a real
router): an uploaded file is checked by its reader and stored beside the home file under
loadshedding/, a bad one refused naming its line and column with nothing written, a name that
would escape the folder refused; the preview gives the outages homesim.loadshedding computes;
a viewer may call neither; the grid takes the uploaded file with the revision read."""

from __future__ import annotations

import datetime as dt
import shutil
from zoneinfo import ZoneInfo

import pytest
from autobahn.wamp.exception import ApplicationError

from conftest import EXAMPLES
from homesim import loadshedding as ls
from live import LiveProcess, wait_until

INVALID = "homesim.error.invalid_property"
TZ = ZoneInfo("Africa/Johannesburg")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shedding")
    shutil.copy(EXAMPLES / "tiny.yaml", folder / "tiny.yaml")  # its grid has no load-shedding yet
    live = LiveProcess(folder / "tiny.yaml", folder / "up", "--speed", "5")
    client = live.client("operator")
    yield live, client, folder
    client.close()
    assert live.stop() == 0


def call(live, client, procedure, **kwargs):
    return client.call_within(60, f"home.{live.home_id}.loadshedding.{procedure}", **kwargs)


def refused(live, client, procedure, **kwargs) -> str:
    with pytest.raises(ApplicationError) as error:
        call(live, client, procedure, **kwargs)
    assert error.value.error == INVALID, error.value
    return error.value.args[0]


def stored(folder):
    return sorted(p.name for p in (folder / "loadshedding").iterdir()) if (folder / "loadshedding").exists() else []


def local(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, TZ).strftime("%Y-%m-%dT%H:%M")


def test_an_uploaded_events_file_is_checked_and_stored_beside_the_home(home):
    live, client, folder = home
    text = (EXAMPLES / "loadshedding" / "events.csv").read_text()
    result = call(live, client, "upload", name="my-area.csv", text=text, role="area")
    assert result["path"] == "loadshedding/my-area.csv" and result["field"] == "events_csv"
    assert result["areas"] == list(ls.read_event_areas(EXAMPLES / "loadshedding" / "events.csv"))
    assert result["rows"] == len(text.strip().splitlines()) - 1
    assert (folder / "loadshedding" / "my-area.csv").read_text() == text
    # the same contents again: the same file; other contents under that name: a new name, the first kept
    assert call(live, client, "upload", name="my-area.csv", text=text, role="area")["path"] == "loadshedding/my-area.csv"
    rotation = (EXAMPLES / "loadshedding" / "area_schedule.csv").read_text()
    again = call(live, client, "upload", name="my-area.csv", text=rotation, role="area")
    assert again["path"] == "loadshedding/my-area-2.csv" and again["field"] == "area_schedule_csv"
    assert (folder / "loadshedding" / "my-area.csv").read_text() == text


@pytest.mark.parametrize("name, role, text, message", [
    ("bad.csv", "area", "area_name,start,finsh,stage,source\na,2026-01-05T16:00+02:00,2026-01-05T18:30+02:00,2,x\n"
                        "a,2026-01-06T16:00+02:00,soon,2,x\n", "bad.csv line 3, column 'finsh': 'soon' is not an ISO 8601"),
    ("stage9.csv", "area", "date_of_month,start_time,finsh_time,stage\n1,16:00,18:30,9\n",
     "stage9.csv line 2, column 'stage': '9' is not allowed: must be an integer 1..8"),
    ("other.csv", "area", "timestamp,pv_w\n2026-01-01T00:00,5\n", "other.csv line 1: the header is 'timestamp,pv_w'"),
    ("empty.csv", "area", "", "empty.csv: the file is empty"),
    ("t.json", "stages", '{"stage": 2}', "t.json: a stage timeline in JSON is a list"),
    ("status.json", "stages", '{"status": {"eskom": {"stage": "2"}}}', "status.json: needs status.eskom.stage, stage_updated"),
    ("../../escape.csv", "area", "stage,start,finsh\n", "name: '../../escape.csv' is not allowed"),
    ("sub/x.csv", "area", "stage,start,finsh\n", "name: 'sub/x.csv' is not allowed"),
    ("notes.txt", "stages", "stage,start,finsh\n", "name: 'notes.txt' is not allowed"),
])
def test_a_bad_upload_is_refused_naming_where_and_nothing_is_written(home, name, role, text, message):
    live, client, folder = home
    before = stored(folder)
    got = refused(live, client, "upload", name=name, text=text, role=role)
    assert got.startswith(message), got
    assert "Traceback" not in got and str(folder) not in got, got
    assert stored(folder) == before  # no file, no scratch folder left behind
    assert not (folder.parent / "escape.csv").exists()


def test_bad_arguments_are_refused_naming_the_field(home):
    live, client, _ = home
    assert refused(live, client, "upload", name="x.csv", text="a", role="wind").startswith("role: 'wind' is not allowed")
    assert refused(live, client, "preview", load_shedding={"events_csv": "loadshedding/my-area.csv"}).startswith(
        "load_shedding: Value error, events_csv needs 'area'")
    assert refused(live, client, "preview", load_shedding={"area_schedule_csv": "x.csv", "stages": []},
                   days=0).startswith("days: 0 is not allowed")
    assert "start: '5 Jan' is not allowed" in refused(
        live, client, "preview", load_shedding={"events_csv": "loadshedding/my-area.csv", "area": "riverside-block-3"},
        start="5 Jan")
    got = refused(live, client, "preview", load_shedding={"events_csv": "loadshedding/my-area.csv", "area": "nowhere"})
    assert got.startswith("loadshedding/my-area.csv: no outages of area 'nowhere'; its areas: example-town-area-1"), got
    assert refused(live, client, "preview", load_shedding={"esp_area_json": "loadshedding/none.json"}) == \
        "loadshedding/none.json: can't read: No such file or directory"
    outside = refused(live, client, "preview", load_shedding={"events_csv": "../../../etc/passwd", "area": "root"})
    assert outside == ("load_shedding.events_csv: '../../../etc/passwd' is not allowed: the preview reads files in "
                       "the home file's folder only"), outside


def test_the_preview_gives_the_outages_the_readers_compute(home):
    live, client, folder = home
    call(live, client, "upload", name="my-area.csv", text=(EXAMPLES / "loadshedding" / "events.csv").read_text(),
         role="area")
    preview = call(live, client, "preview", load_shedding={"events_csv": "loadshedding/my-area.csv",
                                                           "area": "example-town-area-1"}, days=7)
    expected = ls.merge_outages(ls.read_outage_events(EXAMPLES / "loadshedding" / "events.csv", "example-town-area-1"))
    assert preview["area"] == "example-town-area-1" and len(preview["areas"]) == 3
    assert preview["start"] == local(expected[0].start_s)[:10] and preview["stages"] == []
    assert [(o["stage"], o["start"], o["end"]) for o in preview["outages"]] == \
        [(o.stage, local(o.start_s), local(o.end_s)) for o in expected]
    assert sum(d["hours"] for d in preview["daily"]) == pytest.approx(sum(o.end_s - o.start_s for o in expected) / 3600)
    # a rotation with a stage timeline typed in: the stages cumulative, cut to the timeline
    stages = [{"stage": 2, "start": "2026-03-02T06:00", "end": "2026-03-03T00:00"},
              {"stage": 4, "start": "2026-03-03T00:00", "end": "2026-03-04T12:00"}]
    preview = call(live, client, "preview", load_shedding={"area_schedule_csv": "loadshedding/my-area-2.csv",
                                                           "stages": stages}, start="2026-03-01", days=5)
    schedule = ls.read_area_schedule(EXAMPLES / "loadshedding" / "area_schedule.csv")
    expected = ls.outages_from_stages(schedule, [ls.StageInterval(s["stage"], dt.datetime.fromisoformat(s["start"]),
                                                                  dt.datetime.fromisoformat(s["end"])) for s in stages],
                                      "Africa/Johannesburg")
    assert [(o["stage"], o["start"], o["end"]) for o in preview["outages"]] == \
        [(o.stage, local(o.start_s), local(o.end_s)) for o in expected]
    assert [d["date"] for d in preview["daily"]] == ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"]
    assert preview["daily"][0]["hours"] == 0 and preview["daily"][2]["stage"] == 4
    assert [(s["stage"], s["start"]) for s in preview["stages"]] == [(2, "2026-03-02T06:00"), (4, "2026-03-03T00:00")]
    assert [a["hours"] for a in preview["averages"]] == \
        [round(ls.average_hours_off_per_day(schedule, s), 2) for s in range(1, 9)]


def test_a_viewer_may_neither_upload_nor_preview(home):
    live, _, folder = home
    viewer = live.client("viewer")
    try:
        for procedure, kwargs in (("upload", {"name": "v.csv", "text": "stage,start,finsh\n", "role": "stages"}),
                                  ("preview", {"load_shedding": {"area_schedule_csv": "x.csv", "stages": []}})):
            with pytest.raises(ApplicationError) as error:
                viewer.call(f"home.{live.home_id}.loadshedding.{procedure}", **kwargs)
            assert error.value.error == "wamp.error.not_authorized"
    finally:
        viewer.close()
    assert "v.csv" not in stored(folder)


def test_the_grid_takes_the_uploaded_files_with_the_revision_read(home):
    live, client, folder = home
    area = call(live, client, "upload", name="esp-area.json",
                text=(EXAMPLES / "loadshedding" / "esp_area.json").read_text(), role="area")
    status = call(live, client, "upload", name="esp-status.json",
                  text=(EXAMPLES / "loadshedding" / "esp_status.json").read_text(), role="stages")
    assert (area["field"], status["field"]) == ("esp_area_json", "esp_status_json")
    read = client.call(f"home.{live.home_id}.device.grid.get")
    shedding = {area["field"]: area["path"], status["field"]: status["path"]}
    view = client.call(f"home.{live.home_id}.device.grid.set", {"load_shedding": shedding}, revision=read["revision"])
    assert view["properties"]["load_shedding"]["esp_area_json"] == "loadshedding/esp-area.json"
    assert view["revision"] == read["revision"] + 1
    # the controller wrote it into the live home file, where a restarted grid reads it
    wait_until(lambda: "loadshedding/esp-status.json" in (live.out / "live" / "home.yaml").read_text(), 30,
               "the live home file written")
    with pytest.raises(ApplicationError) as error:  # a second tab with the old revision
        client.call(f"home.{live.home_id}.device.grid.set", {"load_shedding": None}, revision=read["revision"])
    assert error.value.error == "homesim.error.conflict"
