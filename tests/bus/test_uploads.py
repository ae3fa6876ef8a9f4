"""Uploads of history files in chunks (homesim.bus.uploads) and what adopting a calibrated home
does to the live home's devices (homesim.bus.adopting.adoption), without a router."""

from __future__ import annotations

import pytest
import yaml

from homesim.bus.adopting import adoption
from homesim.bus.uploads import UploadError, Uploads
from homesim.messages import MAX_UPLOAD_BYTES, MAX_UPLOAD_CHUNK, HistoryUpload


def chunk(name="data.csv", text="a,b\n", upload=None, offset=0):
    return HistoryUpload(name=name, text=text, upload=upload, offset=offset)


def test_chunks_append_at_their_offsets_into_one_file(tmp_path):
    store = Uploads(tmp_path)
    first = store.append(chunk(text="time,pv_w\n"))
    assert first["bytes"] == 10 and first["name"] == "data.csv"
    second = store.append(chunk(text="2026-01-01 00:00,5\n", upload=first["upload"], offset=10))
    assert second["bytes"] == 29
    path = store.named(first["upload"])
    assert path.name == "data.csv" and path.read_text() == "time,pv_w\n2026-01-01 00:00,5\n"


def test_a_chunk_not_where_the_upload_ends_is_refused_and_nothing_is_written(tmp_path):
    store = Uploads(tmp_path)
    up = store.append(chunk(text="héllo\n"))  # 7 bytes in UTF-8: offsets count bytes
    assert up["bytes"] == 7
    with pytest.raises(UploadError, match=r"^offset: 6 is not allowed: upload \w+ holds 7 bytes"):
        store.append(chunk(text="x", upload=up["upload"], offset=6))
    assert store.path(up["upload"]).read_bytes() == "héllo\n".encode()


@pytest.mark.parametrize("name, message", [
    ("../etc/passwd.csv", "name: '../etc/passwd.csv' is not allowed: a file name without folders"),
    ("data.exe", "name: 'data.exe' is not allowed"),
    ("", "name: '' is not allowed"),
])
def test_a_bad_file_name_is_refused_naming_it(tmp_path, name, message):
    with pytest.raises(UploadError) as error:
        Uploads(tmp_path).append(HistoryUpload.model_construct(name=name, text="", upload=None, offset=0))
    assert str(error.value).startswith(message)
    assert not (tmp_path / "uploads").exists()


def test_a_chunk_too_long_and_a_file_too_big_are_refused(tmp_path, monkeypatch):
    store = Uploads(tmp_path)
    with pytest.raises(UploadError, match=f"send at most {MAX_UPLOAD_CHUNK:,} a chunk"):
        store.append(chunk(text="x" * (MAX_UPLOAD_CHUNK + 1)))
    up = store.append(chunk(text="x" * 100))
    monkeypatch.setattr("homesim.bus.uploads.MAX_UPLOAD_BYTES", 150)
    with pytest.raises(UploadError, match="data.csv: 200 bytes is not allowed: a history file may have at most 150"):
        store.append(chunk(text="y" * 100, upload=up["upload"], offset=100))
    assert store.path(up["upload"]).read_text() == "x" * 100
    assert MAX_UPLOAD_BYTES >= 60_000_000  # a year of 1-minute data (30-60 MB) fits


@pytest.mark.parametrize("upload", ["nope", "../../x", "0123456789abcdef"])
def test_an_unknown_upload_is_refused(tmp_path, upload):
    with pytest.raises(UploadError, match=r"^upload: .* is not allowed: no such upload"):
        Uploads(tmp_path).path(upload)


def test_a_job_keeps_the_home_with_its_files_at_absolute_paths(tmp_path):
    store = Uploads(tmp_path)
    home = {"name": "Mine", "devices": [{"id": "load", "kind": "generic_load", "profile_csv": "load/profile.csv"}]}
    job, home_file = store.save_job(home, {"load/profile.csv": "time,power_w\n"}, {"fitted": {"pv_kwp": 5.0}})
    saved = store.job(job)
    path = saved["home"]["devices"][0]["profile_csv"]
    assert path == str(home_file.parent / "load" / "profile.csv")
    assert open(path).read() == "time,power_w\n"
    assert yaml.safe_load(home_file.read_text())["devices"][0]["profile_csv"] == path
    assert saved["fitted"] == {"pv_kwp": 5.0}
    with pytest.raises(UploadError, match="files: '../x.csv' is not a path inside"):
        store.save_job(home, {"../x.csv": ""}, {})


LIVE = [{"id": "sun", "kind": "sun"}, {"id": "pv", "kind": "pv_array", "rated_power_w": 3000},
        {"id": "battery", "kind": "battery", "capacity_kwh": 10.0}, {"id": "inverter", "kind": "inverter"},
        {"id": "grid", "kind": "grid"}, {"id": "oven", "kind": "oven"}, {"id": "geyser", "kind": "geyser"}]


def test_adoption_removes_what_the_calibrated_home_lacks_keeps_the_sun_and_sets_what_differs():
    calibrated = [{"id": "pv", "kind": "pv_array", "rated_power_w": 4200},
                  {"id": "battery", "kind": "battery", "capacity_kwh": 10.0},
                  {"id": "inverter", "kind": "inverter"}, {"id": "grid", "kind": "grid"},
                  {"id": "household", "kind": "generic_load", "profile_csv": "/x/load.csv"}]
    plan = adoption(LIVE, calibrated)
    assert plan.remove == ["oven", "geyser"]  # the measured load replaces them; the sun stays
    assert [d["id"] for d in plan.add] == ["household"]
    assert plan.change == {"pv": {"rated_power_w": 4200}}  # the battery's capacity is unchanged


def test_adoption_replaces_a_device_of_another_kind_under_the_same_id():
    plan = adoption(LIVE, [{"id": "oven", "kind": "generic_load", "power_w": 300}, {"id": "sun", "kind": "sun"}])
    assert plan.remove == ["pv", "battery", "inverter", "grid", "geyser", "oven"]
    assert plan.add == [{"id": "oven", "kind": "generic_load", "power_w": 300}]
    assert plan.change == {}
