"""A whole home for Docker Compose (or podman-compose), made from a home file: the router,
the services, one container per device (the home's implied sun, weather and inverter too),
PostgreSQL holding the recorder's settlements, Prometheus scraping every process and Grafana
with the dashboards and both data sources (Prometheus; the recorder's PostgreSQL for the
homeowner's per-day dashboard) provisioned.

    python -m homesim.generators.compose --home examples/home.yaml --out .      # docker-compose.yml + targets
    homesim credentials examples/home.yaml > .env                    # this home's secrets

Written by ``cd/process_specs.sh`` (``make specs``) and checked for staleness like every
generated file. No secret is in the file: each credential is a ``${VARIABLE}`` that Compose
takes from ``.env``, which ``homesim credentials`` writes (random, per home).
"""

from __future__ import annotations

import argparse
import json
import secrets
from pathlib import Path
from typing import Any

import yaml

from homesim import __version__
from homesim.credentials import Credentials, device_ticket
from homesim.credentials import SERVICES  # each ``python -m homesim.bus.services NAME``
from homesim.home import Home, home_from_dict, read_home_file

HOME_ID = "home"
METRICS_PORT = 9100
PROMETHEUS_IMAGE = "docker.io/prom/prometheus:v2.53.5"
GRAFANA_IMAGE = "docker.io/grafana/grafana:11.6.0"
POSTGRES_IMAGE = "docker.io/library/postgres:16"
#: The recorder's database in Compose (user and database; the password is ``HOMESIM_DB_PASSWORD``).
DB_USER = DB_NAME = "homesim"
DB_PASSWORD_VARIABLE = "HOMESIM_DB_PASSWORD"


def container_name(device_id: str) -> str:
    """The Compose service of a device (``pv_east`` -> ``device-pv-east``)."""
    return "device-" + device_id.replace("_", "-")


def is_service(device) -> bool:
    """It joins with a service's credential (its kind says so: the inverter, which settles the home)."""
    return device.JOINS_AS == "service"


def bus_services(home: Home) -> list[str]:
    """Who joins with a service's credential: the services and the inverter."""
    return [*SERVICES, *(d.id for d in home.devices if is_service(d))]


def ticket_variable(device_id: str) -> str:
    return f"HOMESIM_TICKET_{device_id.upper()}"


def required(variable: str, home_file: str) -> str:
    """A Compose substitution that stops with a clear message when ``.env`` lacks it."""
    return f"${{{variable}:?run: homesim credentials {home_file} > .env}}"


class _PlainDumper(yaml.SafeDumper):
    """Writes repeated blocks out in full (no ``&id001`` anchors: a file people read)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def compose_file(home: Home, home_file: str) -> dict[str, Any]:
    """The Compose document of ``home`` (``home_file``: its path, relative to the Compose file)."""
    folder = "./" + Path(home_file).parent.as_posix()
    name = Path(home_file).name

    def need(variable: str) -> str:
        return required(variable, Path(home_file).as_posix())

    image = f"homesim:{__version__}"
    device_image = f"homesim-device:{__version__}"  # light: a device needs no numba, pandas or SciPy
    services_with_secrets = bus_services(home)
    own_roles = ",".join(d.id for d in home.devices if not is_service(d))
    common_env = {
        "HOMESIM_ROUTER_URL": "ws://router:8080/ws",
        "HOMESIM_HOME_ID": HOME_ID,
        "HOMESIM_HOME": f"/etc/homesim/home/{name}",
        "HOMESIM_HOME_DIR": "/etc/homesim/home",
        "HOMESIM_STEP": "${HOMESIM_STEP:-60}",
        "HOMESIM_SPEED": "${HOMESIM_SPEED:-1}",
        "HOMESIM_SEED": str(home.seed if home.seed is not None else 1),
    }
    hardened = {"read_only": True, "tmpfs": ["/tmp"], "cap_drop": ["ALL"],
                "security_opt": ["no-new-privileges:true"], "restart": "unless-stopped"}
    home_volume = f"{folder}:/etc/homesim/home:ro"
    after_router = {"router": {"condition": "service_healthy"}}
    tickets = {"HOMESIM_DEVICE_KEY": need("HOMESIM_DEVICE_KEY"),
               "HOMESIM_VIEWER_TICKET": need("HOMESIM_VIEWER_TICKET"),
               "HOMESIM_OPERATOR_TICKET": need("HOMESIM_OPERATOR_TICKET")}
    services: dict[str, Any] = {
        "router": {
            "image": f"homesim-router:{__version__}",
            "environment": {"HOMESIM_HOME_ID": HOME_ID, "HOMESIM_SERVICES": ",".join(services_with_secrets),
                            "HOMESIM_DEVICE_ROLES": own_roles, **tickets,
                            **{f"HOMESIM_SERVICE_{s.upper()}": need(f"HOMESIM_SERVICE_{s.upper()}")
                               for s in services_with_secrets}},
            # the UI and the bus on this machine only (HOMESIM_UI_PORT, default 8080)
            "ports": ["127.0.0.1:${HOMESIM_UI_PORT:-8080}:8080"],
            **hardened,
        },
    }
    for service in SERVICES:
        env = {**common_env, "HOMESIM_AUTHID": service,
               "HOMESIM_SECRET": need(f"HOMESIM_SERVICE_{service.upper()}")}
        volumes = [home_volume]
        if service == "authorizer":
            env.update(tickets, HOMESIM_DEVICE_ROLES=own_roles)
        depends_on = after_router
        if service == "recorder":
            env["HOMESIM_DB"] = f"postgresql://{DB_USER}:{need(DB_PASSWORD_VARIABLE)}@postgres:5432/{DB_NAME}"
            depends_on = {**after_router, "postgres": {"condition": "service_healthy"}}
        if service == "controller":  # the desired home; in Compose nothing starts or stops containers by it
            env["HOMESIM_LIVE_DIR"] = "/var/lib/homesim/live"
            volumes.append("controller-data:/var/lib/homesim")
        services[service] = {"image": image, "command": ["python", "-m", "homesim.bus.services", service],
                             "environment": env, "volumes": volumes, "depends_on": depends_on, **hardened}
    for device in home.devices:
        credential = ({"HOMESIM_SECRET": need(f"HOMESIM_SERVICE_{device.id.upper()}")} if is_service(device)
                      else {"HOMESIM_TICKET": need(ticket_variable(device.id))})
        services[container_name(device.id)] = {
            "image": device_image,
            "command": ["python", "-m", "homesim.bus.device", "--kind", device.kind, "--id", device.id,
                        "--home", f"/etc/homesim/home/{name}"],
            "environment": {**common_env, "HOMESIM_AUTHID": device.id, **credential},
            "volumes": [home_volume], "depends_on": after_router, **hardened,
        }
    services["postgres"] = {  # the recorder's database, read by Grafana's homeowner dashboard; not published
        "image": POSTGRES_IMAGE,
        "environment": {"POSTGRES_USER": DB_USER, "POSTGRES_DB": DB_NAME,
                        "POSTGRES_PASSWORD": need(DB_PASSWORD_VARIABLE)},
        "volumes": ["recorder-db:/var/lib/postgresql/data"],
        "healthcheck": {"test": ["CMD-SHELL", f"pg_isready -U {DB_USER} -d {DB_NAME}"], "interval": "5s",
                        "timeout": "3s", "retries": 30},
        "restart": "unless-stopped",
    }
    services["prometheus"] = {
        "image": PROMETHEUS_IMAGE,
        "volumes": ["./infra/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro",
                    "./infra/prometheus/targets:/etc/prometheus/targets:ro"],
        "ports": ["127.0.0.1:9090:9090"], "restart": "unless-stopped",
    }
    services["grafana"] = {
        "image": GRAFANA_IMAGE,
        # the provisioned PostgreSQL data source reads the password from this variable
        "environment": {"GF_AUTH_ANONYMOUS_ENABLED": "true", "GF_AUTH_ANONYMOUS_ORG_ROLE": "Viewer",
                        DB_PASSWORD_VARIABLE: need(DB_PASSWORD_VARIABLE)},
        "volumes": ["./infra/grafana/provisioning:/etc/grafana/provisioning:ro",
                    "./infra/grafana/dashboards:/var/lib/grafana/dashboards/homesim:ro"],
        "ports": ["127.0.0.1:3000:3000"], "depends_on": ["prometheus", "postgres"], "restart": "unless-stopped",
    }
    return {"name": "homesim", "services": services, "volumes": {"recorder-db": {}, "controller-data": {}}}


def scrape_targets(home: Home) -> list[dict[str, Any]]:
    """Prometheus file_sd targets: every homesim container's metrics port."""
    processes = [*SERVICES, *(container_name(d.id) for d in home.devices)]
    return [{"targets": [f"{process}:{METRICS_PORT}"], "labels": {"home": HOME_ID, "process": process}}
            for process in processes]


def credentials_env(home: Home) -> str:
    """A ``.env`` for Compose with fresh random credentials for ``home``."""
    credentials = Credentials.generate(bus_services(home))
    lines = ["# homesim credentials for this home (random; keep this file private, never commit it)",
             f"HOMESIM_DEVICE_KEY={credentials.device_key}",
             f"HOMESIM_VIEWER_TICKET={credentials.viewer_ticket}",
             f"HOMESIM_OPERATOR_TICKET={credentials.operator_ticket}"]
    lines += [f"HOMESIM_SERVICE_{name.upper()}={secret}" for name, secret in credentials.services.items()]
    lines += [f"{ticket_variable(d.id)}={device_ticket(credentials.device_key, d.id)}"
              for d in home.devices if not is_service(d)]
    # the recorder's PostgreSQL (URL-safe: it goes into the recorder's postgresql:// URL)
    lines.append(f"{DB_PASSWORD_VARIABLE}={secrets.token_urlsafe(24)}")
    return "\n".join(lines) + "\n"


HEADER = ("# Generated by `python -m homesim.generators.compose` (make specs) from {home}: do not edit.\n"
          "# A whole home: `make images`, `homesim credentials {home} > .env`, `docker compose up`.\n")


def write(home_file: str, out: Path) -> list[Path]:
    """Write ``docker-compose.yml`` and ``infra/prometheus/targets/compose.json`` under ``out``."""
    home = home_from_dict(read_home_file(home_file), source=home_file, home_dir=Path(home_file).parent)
    out.mkdir(parents=True, exist_ok=True)
    compose = out / "docker-compose.yml"
    compose.write_text(HEADER.format(home=home_file) + yaml.dump(compose_file(home, home_file), Dumper=_PlainDumper,
                                                                  sort_keys=False, width=120))
    targets = out / "infra" / "prometheus" / "targets" / "compose.json"
    targets.parent.mkdir(parents=True, exist_ok=True)
    targets.write_text(json.dumps(scrape_targets(home), indent=2) + "\n")
    return [compose, targets]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m homesim.generators.compose", description=__doc__.splitlines()[0])
    parser.add_argument("--home", default="examples/home.yaml", help="home file, relative to --out's repository")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder to write into (default .)")
    args = parser.parse_args(argv)
    for path in write(args.home, args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
