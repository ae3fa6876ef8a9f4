"""The planner: ``python -m homesim.bus.services planner``.

RPC ``plan.compare(vary, days)``: a what-if on the home as it is now (the controller's desired
home), run by the fast-forward engine in a worker process so the live home keeps its pace.
RPC ``plan.purchase(years, baseline)``: ``homesim plan`` on the home as it is now (plan.json),
its years simulated in worker processes, with progressive results ``[years done, years total]``.
RPC ``plan.optimize(vary, objective, budget, min_outage_coverage, years)``: ``homesim.planning.optimize``
on it. Both price with the home's finance section: the desired home's ``finance:``, else
``finance.yaml`` beside the live home file or in the home's folder (``HOMESIM_HOME_DIR``).
RPCs ``history.*`` and ``tariff.preview`` (a home's own history and tariff): :mod:`homesim.bus.importer`.
A bad request gets ``homesim.error.invalid_property`` naming the field.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import RegisterOptions, SubscribeOptions

from homesim.bus import importer
from homesim.bus.arguments import rpc_arguments
from homesim.bus.metrics import ProcessMetrics
from homesim.bus.session import checked, component, env, log, run_component, uris_from_env
from homesim.bus.uploads import Uploads
from homesim.bus.uris import INVALID_PROPERTY
from homesim.engine import compare
from homesim.errors import BadInput
from homesim.home import Home, HomeFileError, home_from_dict
from homesim.live import load_live_home
from homesim.messages import DesiredHome, OptimizeRequest, PlanRequest, PurchaseRequest, valid
from homesim.planning import optimize as optimizing, plan as planning

#: Most variants one request may ask for.
MAX_VARIANTS = 12


def plan(home: Home, request: PlanRequest, base: Path) -> dict[str, Any]:
    """Run the what-if (blocking): rows, columns, horizon and currency."""
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


def finance_of(home: Home, places: list[Path]) -> Any:
    """The finance section to price a plan with: the home's ``finance:``, else the first
    ``finance.yaml`` in ``places``; none -> ``invalid_property`` naming ``finance``."""
    if home.finance is not None:
        return home.finance
    for folder in dict.fromkeys(places):
        path = folder / "finance.yaml"
        if path.exists():
            try:
                return planning.load_finance(path, path)[0]
            except HomeFileError as error:
                raise ApplicationError(INVALID_PROPERTY, f"finance ({path}): " + "; ".join(error.problems)) from None
    raise ApplicationError(INVALID_PROPERTY, "finance: the home has no finance section: give its prices in the home's "
                           "'finance:' section or in finance.yaml beside the home file (" +
                           ", ".join(str(p / "finance.yaml") for p in dict.fromkeys(places)) + ")")


def _years(finance: Any, years: int | None) -> Any:
    try:
        return planning.with_years(finance, years)
    except BadInput as error:
        raise ApplicationError(INVALID_PROPERTY, str(error).replace("--years", "years", 1)) from None


def purchase(home: Home, request: PurchaseRequest, base: Path, places: list[Path],
             on_progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """``homesim plan`` on ``home`` (blocking; its years run in worker processes): plan.json."""
    finance = _years(finance_of(home, places), request.years)
    try:
        return planning.plan(home, finance, on_progress=on_progress, home_dir=base).to_dict()
    except HomeFileError as error:
        raise ApplicationError(INVALID_PROPERTY, "; ".join(error.problems)) from None
    except BadInput as error:
        raise ApplicationError(INVALID_PROPERTY, str(error)) from None


def optimize(home: Home, request: OptimizeRequest, base: Path, places: list[Path],
             on_progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """``homesim.planning.optimize`` on ``home`` (blocking): candidates best first, the best one."""
    varies = list(request.vary.items())
    if not varies:
        raise ApplicationError(INVALID_PROPERTY, "vary: give at least one '<device>.<property>': [values]")
    for key, values in varies:
        if not values:
            raise ApplicationError(INVALID_PROPERTY, f"vary.{key}: give at least one value")
    finance = _years(finance_of(home, places), request.years)
    try:
        return optimizing.optimize(home, finance, varies, objective=request.objective, budget=request.budget,
                                   min_outage_coverage=request.min_outage_coverage, home_dir=base,
                                   on_progress=on_progress)
    except HomeFileError as error:
        raise ApplicationError(INVALID_PROPERTY, "; ".join(error.problems)) from None
    except BadInput as error:
        raise ApplicationError(INVALID_PROPERTY, str(error).replace("--", "", 1)) from None


def imports_dir() -> Path:
    """Where uploaded histories and their imports go: ``$HOMESIM_LIVE_DIR/imports`` (``homesim
    up`` sets it), else ``imports`` in the temporary folder (a container's planner has only its
    writable /tmp; Compose and Kubernetes give it no live folder)."""
    live = os.environ.get("HOMESIM_LIVE_DIR")
    return (Path(live) if live else Path(tempfile.gettempdir()) / "homesim") / "imports"


def run_planner() -> None:
    uris = uris_from_env()
    base = Path(env("HOMESIM_HOME_DIR"))
    live_home = Path(env("HOMESIM_HOME"))
    places = [live_home.parent, base]  # where finance.yaml may be
    current: dict[str, Any] = {"home": load_live_home(live_home)}
    uploads = Uploads(imports_dir())  # history files uploaded, imports
    one_plan = asyncio.Lock()  # a plan keeps two processes busy: one at a time
    ProcessMetrics(uris.home, "planner")  # its /metrics: up, process info
    comp = component()

    @comp.on_join
    async def joined(session, details):
        def on_devices(message: dict[str, Any]) -> None:
            if valid(DesiredHome, message, uris.devices):
                current["home"] = home_from_dict(message["home"], home_dir=base)
                current["desired"] = message  # (history.adopt checks its version)

        async def compare(vary: Any = None, days: Any = 7) -> dict[str, Any]:
            request = rpc_arguments(PlanRequest, vary=vary, days=days)
            log.info("what-if %s over %g days", dict(request.vary), request.days)
            return await asyncio.get_running_loop().run_in_executor(None, plan, current["home"], request, base)

        def reporter(details: Any) -> Callable[[int, int], None] | None:
            """Progressive results to the caller (if it asked for them), from a worker thread."""
            progress = getattr(details, "progress", None)
            if progress is None:
                return None
            loop = asyncio.get_running_loop()
            return lambda done, total: loop.call_soon_threadsafe(progress, done, total)

        async def purchase_rpc(years: Any = None, baseline: Any = "grid_only", details: Any = None) -> dict[str, Any]:
            request = rpc_arguments(PurchaseRequest, years=years, baseline=baseline)
            home = current["home"]
            report = reporter(details)
            async with one_plan:
                log.info("plan of a purchase over %s years", request.years or "the finance section's")
                return await asyncio.get_running_loop().run_in_executor(None, purchase, home, request, base, places,
                                                                        report)

        async def optimize_rpc(vary: Any = None, objective: Any = "npv", budget: Any = None,
                               min_outage_coverage: Any = None, years: Any = None,
                               details: Any = None) -> dict[str, Any]:
            request = rpc_arguments(OptimizeRequest, vary=vary, objective=objective, budget=budget,
                                    min_outage_coverage=min_outage_coverage, years=years)
            home = current["home"]
            report = reporter(details)
            async with one_plan:
                log.info("optimize %s for %s", dict(request.vary), request.objective)
                return await asyncio.get_running_loop().run_in_executor(None, optimize, home, request, base, places,
                                                                        report)

        with_details = RegisterOptions(details_arg="details")
        await session.subscribe(on_devices, uris.devices, options=SubscribeOptions(get_retained=True))
        await session.register(checked(compare), uris.plan("compare"))
        await session.register(checked(purchase_rpc), uris.plan("purchase"), options=with_details)
        await session.register(checked(optimize_rpc), uris.plan("optimize"), options=with_details)
        await importer.register_history(session, uris, uploads, current)

    run_component(comp)


