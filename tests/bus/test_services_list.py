"""The home's services are listed once (``homesim.credentials.SERVICES``): the services' entry
point, ``homesim up``, the Compose file, the router's credentials and the chart all start and
admit that list, and no other copy of it stands anywhere."""

from __future__ import annotations

import importlib
import re

import yaml

from conftest import EXAMPLES, ROOT
from homesim.generators import compose, k8s_schemas
from homesim.bus import services, up
from homesim.credentials import SERVICE_NAMES, SERVICES
from homesim.home import load_home

CHART_TEMPLATES = ROOT / "charts" / "home" / "templates"


def test_each_service_of_the_list_has_a_module_that_runs_it():
    for name in SERVICES:
        assert callable(getattr(importlib.import_module(f"homesim.bus.{name}"), f"run_{name}"))


def test_the_entry_point_runs_the_services_of_the_list_and_names_them_when_refusing_another(capsys):
    assert services.SERVICES == SERVICES
    assert services.main(["nope"]) == 2
    assert "|".join(SERVICES) in capsys.readouterr().err


def test_homesim_up_starts_the_list_and_gives_each_a_credential():
    assert up.SERVICES == SERVICES
    assert set(SERVICES) < set(SERVICE_NAMES) and "supervisor" in SERVICE_NAMES


def test_the_compose_file_runs_each_service_of_the_list_with_its_credential():
    home = load_home(EXAMPLES / "home.yaml")
    document = compose.compose_file(home, "examples/home.yaml")
    run = [name for name, service in document["services"].items()
           if service.get("command", [])[:3] == ["python", "-m", "homesim.bus.services"]]
    assert run == list(SERVICES)
    admitted = document["services"]["router"]["environment"]["HOMESIM_SERVICES"].split(",")
    assert admitted[:len(SERVICES)] == list(SERVICES)


def test_the_chart_deploys_the_list_from_a_generated_include():
    include = (CHART_TEMPLATES / "_services.tpl").read_text()
    assert include == k8s_schemas.services_include()
    assert re.search(r'define "home\.services" -}}(.*?){{- end', include).group(1).split() == list(SERVICES)
    defining = [p.name for p in CHART_TEMPLATES.iterdir() if 'define "home.services"' in p.read_text()]
    assert defining == ["_services.tpl"]  # no hand-kept copy beside it


def test_no_module_keeps_a_copy_of_the_list():
    """A tuple or list literal naming five or more of the services is a copy of the list (``homesim
    up`` names the four it starts before the router listens, a choice of its own)."""
    names = "|".join(SERVICES)
    literal = re.compile(rf'[(\[]\s*"({names})"(\s*,\s*"({names})"){{4,}}')
    copies = [str(path.relative_to(ROOT)) for path in (ROOT / "services" / "homesim").rglob("*.py")
              if literal.search(path.read_text())]
    assert copies == ["services/homesim/credentials.py"]


def test_the_committed_compose_file_names_the_services_in_the_lists_order():
    document = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert [name for name in document["services"] if name in SERVICES] == list(SERVICES)
