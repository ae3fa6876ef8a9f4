"""The planner: ``python -m homesim.bus.services planner``.

RPC ``plan.compare(vary, days)``: a what-if on the home as it is now (the controller's desired
home), run by the fast-forward engine in a worker process so the live home keeps its pace.
A bad request gets ``homesim.error.invalid_property`` naming the field.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from autobahn.wamp.exception import ApplicationError

from homesim.bus.metrics import ProcessMetrics
from homesim.bus.session import component, env, log, run_component, uris_from_env
from homesim.bus.uris import INVALID_PROPERTY
from homesim.home import Home, HomeFileError, home_from_dict
from homesim.messages import DesiredHome, PlanRequest, rpc_arguments, valid

#: Most variants one request may ask for.
MAX_VARIANTS = 12


def plan(home: Home, request: PlanRequest, base: Path) -> dict[str, Any]:
    """Run the what-if (blocking): rows, columns, horizon and currency."""
    from homesim.engine import compare

    varies = list(request.vary.items())
    if not varies:
        raise ApplicationError(INVALID_PROPERTY, "vary: give at least one '<device>.<property>': [values]")
    count = 1
    for key, values in varies:
        if not values:
            raise ApplicationError(INVALID_PROPERTY, f"vary.{key}: give at least one value")
        count *= len(values)
    if count > MAX_VARIANTS:
        raise ApplicationError(INVALID_PROPERTY, f"vary: {count} variants is not allowed: must be <= {MAX_VARIANTS}")
    try:
        rows = compare.compare(home, varies, request.days, workers=1, home_dir=base)
    except HomeFileError as error:
        raise ApplicationError(INVALID_PROPERTY, "; ".join(error.problems)) from None
    columns = [k for k, _ in varies] + [m[0] for m in compare.METRICS]
    return {"rows": rows, "columns": columns, "days": request.days, "currency": home.currency}


def run_planner() -> None:
    from homesim.device import load_live_home

    uris = uris_from_env()
    base = Path(env("HOMESIM_HOME_DIR"))
    current = {"home": load_live_home(Path(env("HOMESIM_HOME")))}
    ProcessMetrics(uris.home, "planner")  # its /metrics: up, process info
    comp = component()

    @comp.on_join
    async def joined(session, details):
        from autobahn.wamp.types import SubscribeOptions

        def on_devices(message: dict[str, Any]) -> None:
            if valid(DesiredHome, message, uris.devices):
                current["home"] = home_from_dict(message["home"], home_dir=base)

        async def compare(vary: Any = None, days: Any = 7) -> dict[str, Any]:
            request = rpc_arguments(PlanRequest, vary=vary, days=days)
            log.info("what-if %s over %g days", dict(request.vary), request.days)
            return await asyncio.get_running_loop().run_in_executor(None, plan, current["home"], request, base)

        await session.subscribe(on_devices, uris.devices, options=SubscribeOptions(get_retained=True))
        await session.register(compare, uris.plan("compare"))

    run_component(comp)


