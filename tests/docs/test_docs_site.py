"""The docs site: built with warnings as errors and no network, every page in the navigation,
every internal link and anchor resolving, nothing loaded from outside; served by a live home's
router at /docs/ beside /specs/; and the wampc guide's session done for real against that home.

The site is built once for the module, into a temporary folder (``make docs`` builds the same
into docs/_build/html)."""

from __future__ import annotations

import html.parser
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT

sys.path.insert(0, str(ROOT / "tests" / "bus"))
from live import BusClient, LiveProcess, wait_until  # noqa: E402

DOCS = ROOT / "docs"
SOURCES = sorted(p for p in DOCS.rglob("*.md") if not {"_build", "_generated"} & set(p.relative_to(DOCS).parts))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs") / "html"
    result = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-n", "--keep-going", "-q", "-b", "html",
                             str(DOCS), str(out)], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    return out


class Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.resources: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag in ("script", "img", "iframe") and attrs.get("src"):
            self.resources.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.resources.append(attrs["href"])


def parsed(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text(errors="replace"))
    return links


def test_every_page_is_built_and_listed_in_a_table_of_contents(site):
    listed = set()
    for source in SOURCES:
        for block in re.findall(r"```\{toctree\}\n(.*?)```", source.read_text(), re.S):
            for line in block.splitlines():
                if line.strip() and not line.startswith(":"):
                    listed.add((source.parent / line.strip()).resolve().relative_to(DOCS.resolve()).as_posix())
    pages = {s.relative_to(DOCS).with_suffix("").as_posix() for s in SOURCES}
    assert pages - listed == {"index"}  # the root is the table of contents itself
    assert listed <= pages
    for page in pages:
        assert (site / f"{page}.html").exists(), page
    nav = (site / "index.html").read_text()
    for page in ("guides/first-home", "reference/home-file", "engineering/reliability"):
        assert f'href="{page}.html"' in nav


def test_every_internal_link_and_anchor_resolves(site):
    pages = sorted(p for p in site.rglob("*.html") if "asyncapi" not in p.parts and "_static" not in p.parts)
    ids = {p: parsed(p).ids for p in pages}
    checked = 0
    for page in pages:
        for href in parsed(page).links:
            url = urllib.parse.urlparse(href)
            if url.scheme or href.startswith(("mailto:", "//")):
                continue
            target = (page.parent / urllib.parse.unquote(url.path)).resolve() if url.path else page
            assert target.exists(), f"{page.relative_to(site)}: {href} -> missing"
            if url.fragment and target.suffix == ".html" and target in ids:
                assert url.fragment in ids[target], f"{page.relative_to(site)}: {href}: no #{url.fragment}"
            checked += 1
    assert checked > 500


def test_nothing_is_loaded_from_the_network(site):
    for page in site.rglob("*.html"):
        if "asyncapi" in page.parts:
            continue
        outside = [r for r in parsed(page).resources if urllib.parse.urlparse(r).scheme in ("http", "https")
                   or r.startswith("//")]
        assert outside == [], f"{page.relative_to(site)}: {outside}"
    for sheet in site.rglob("*.css"):
        assert not re.search(r"@import\s+url\(\s*['\"]?https?:", sheet.read_text(errors="replace")), sheet


def test_the_reference_pages_hold_the_generated_tables(site):
    from homesim.devices import KINDS

    home_file = (site / "reference" / "home-file.html").read_text()
    assert all(f'id="kind-{kind.replace("_", "-")}"' in home_file for kind in KINDS)
    assert "capacity_kwh" in home_file and "kWh" in home_file
    assert "homesim_device_power_watts" in (site / "reference" / "metrics.html").read_text()
    assert "home.{home}.settlement" in (site / "reference" / "bus.html").read_text()
    assert (site / "asyncapi" / "index.html").read_bytes() == (ROOT / "specs" / "html" / "index.html").read_bytes()
    guide = (site / "guides" / "first-home.html").read_text()
    assert "valid home" in guide and "My first home" in guide  # a command's output, shown


@pytest.fixture(scope="module")
def home(site, tmp_path_factory):
    """The wampc guide's home: examples/tiny.yaml with --anonymous operator, its router serving the
    site just built at /docs/ (``HOMESIM_DOCS_HTML``)."""
    live = LiveProcess(EXAMPLES / "tiny.yaml", tmp_path_factory.mktemp("live") / "up", "--speed", "20",
                       "--anonymous", "operator", env={"HOMESIM_DOCS_HTML": str(site)})
    yield live
    live.stop()


def _get(live, path: str) -> str:
    port = live.url.split(":")[2].split("/")[0]
    return urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10).read().decode()


def test_the_router_serves_the_docs_beside_the_specs(home, site):
    index = _get(home, "/docs/index.html")
    assert "<title>" in index and "homesim" in index and "reference/index.html" in index
    reference = _get(home, "/docs/reference/home-file.html")
    assert "Home file reference" in reference and "capacity_kwh" in reference
    assert _get(home, "/docs/asyncapi/index.html") == (site / "asyncapi" / "index.html").read_text()
    assert "homesim home bus" in _get(home, "/specs/")


def test_the_router_has_no_docs_path_when_they_are_not_built(tmp_path, monkeypatch):
    from homesim.bus import router
    from homesim.bus.uris import Uris
    from homesim.credentials import Credentials

    credentials = Credentials({"clock": "x"}, "key", "viewer", "operator")
    monkeypatch.setattr(router, "DOCS_HTML", tmp_path / "nothing")
    paths = router.router_config(Uris("tiny"), 8080, credentials)["workers"][0]["transports"][0]["paths"]
    assert "docs" not in paths and "specs" in paths
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<html></html>")
    monkeypatch.setattr(router, "DOCS_HTML", tmp_path / "site")
    paths = router.router_config(Uris("tiny"), 8080, credentials)["workers"][0]["transports"][0]["paths"]
    assert paths["docs"] == {"type": "static", "directory": str(tmp_path / "site")}


def test_the_wampc_guide_session_as_an_anonymous_client(home):
    """What docs/guides/wampc.md does in wampc, done by an anonymous client: set the load to
    500 W, see 30,000 J a 60 s tick in its events ahead and in the settlements, change the speed,
    see settlements, and the refusal's message."""
    from autobahn.wamp.exception import ApplicationError

    assert "is live at ws://127.0.0.1:" in home.output() and "home id tiny" in home.output()
    client = BusClient(home.url, "anyone")  # anonymous, as wampc
    try:
        energy = client.subscribe("home.tiny.device.load.energy_ahead")  # a constant load runs ahead
        settlements = client.subscribe("home.tiny.settlement")
        reply = client.call("home.tiny.device.load.set", power_w=500)
        assert reply["id"] == "load" and reply["kind"] == "generic_load" and reply["properties"]["power_w"] == 500
        # at once: its events again from the next tick, with the new power
        events = wait_until(lambda: next((m["events"] for _, m in energy if {e["demand_j"] for e in m["events"]}
                                          == {30000}), None), 60, "the load's events again, 30,000 J each")
        assert events == [{"tick": events[0]["tick"] + i, "demand_j": 30000} for i in range(len(events))]
        wait_until(lambda: any(s["demand"].get("load") == 30000 for _, s in settlements), 60,
                   "a settlement with the load's 30,000 J")
        assert client.call("home.tiny.clock.set_speed", 10)["speed"] == 10
        seen = len(settlements)
        wait_until(lambda: len(settlements) > seen + 2, 60, "settlements")
        with pytest.raises(ApplicationError) as refused:
            client.call("home.tiny.device.load.set", {"power_w": -5})
        assert refused.value.error == "homesim.error.invalid_property"
        assert refused.value.args[0] == "power_w: -5 is not allowed: must be >= 0 W"  # its unit from its metadata
    finally:
        client.close()
