"""The planner's procedures for a home's own history and tariff (issue 26), registered by
:func:`register`:

- ``history.upload(name, text, upload, offset)``: a history file in chunks (:mod:`homesim.bus.uploads`);
- ``history.inspect(upload)``: its layout, columns or entities, the guessed mapping;
- ``history.import(uploads, mapping, latitude, longitude, timezone)``: ``homesim import`` on them
  in a child process (pandas and matplotlib stay out of the planner), progressive results
  ``[step, steps, what]``; the data-quality report, the calibrated home, its comparison with the
  history and the plots (PNG data URLs);
- ``history.adopt(job, version)``: the calibrated home in the live home (:mod:`homesim.bus.adopting`);
- ``tariff.preview(urdb, name, tariff)``: a tariff as the grid takes it, with its prices by hour
  (:mod:`homesim.bus.tariff_view`); the UI then sets the grid's ``tariff`` with its revision.

Bad input is refused with ``homesim.error.invalid_property``, its message naming the file, row,
column or field (the readers' :class:`~homesim.history.series.HistoryError`), never a traceback.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Callable

import yaml
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import RegisterOptions

from homesim.bus import adopting, tariff_view
from homesim.bus.arguments import rpc_arguments
from homesim.bus.session import checked, log
from homesim.bus.uploads import UploadError, Uploads
from homesim.bus.uris import INVALID_PROPERTY, Uris
from homesim.history import readers
from homesim.history.series import HistoryError
from homesim.messages import HistoryAdopt, HistoryImport, HistoryInspect, HistoryUpload, TariffPreview

#: The quantities a mapping names, in words (homesim.history.mapping's names).
QUANTITIES = {"pv": "Solar power (PV)", "load": "Home consumption", "grid_import": "Bought from the grid",
              "grid_export": "Sold to the grid", "grid": "Grid power (one column: + bought, − sold)",
              "battery": "Battery power (+ discharging)", "soc": "Battery charge (SoC)"}
#: The readers' layouts in words.
LAYOUTS = {"ha_history": "Home Assistant history export (one row per state change)",
           "ha_statistics": "Home Assistant long-term statistics export",
           "wide_csv": "a table with a time column and one column per quantity",
           "vrm_stats": "Victron VRM export"}
#: A mapping's kinds in words.
KINDS = {"power": "power", "energy": "energy counter", "soc": "charge"}
#: What ``homesim import`` says on stderr as it starts each step -> the step in words.
STEPS = {"reading": "Reading the history", "calibrating": "Calibrating the home",
         "simulating": "Simulating the calibrated home over the measured period",
         "comparing": "Comparing it with the history"}
#: What ``homesim import`` writes besides the calibrated home's own files and the plots.
WRITTEN = ("quality.md", "quality.json", "home.yaml", "calibration.md", "calibration.json")
#: Longest an import may take [s].
IMPORT_TIMEOUT_S = 900


#: Where an uploaded file lies on the planner's machine: left out of what the caller reads.
UPLOADED = re.compile(r"[^\s'\"]*/imports/uploads/[0-9a-f]{16}/file/")


def unplaced(text: str) -> str:
    """``text`` with uploaded files named by their own names, not their place on the planner's disk."""
    return UPLOADED.sub("", text)


def refused(error: Exception | str) -> ApplicationError:
    return ApplicationError(INVALID_PROPERTY, unplaced(str(error)))


def inspect(uploads: Uploads, upload: str, home: Any) -> dict[str, Any]:
    """``history.inspect`` (blocking): the file's layout, columns and the guessed mapping (kept
    beside the upload: an import starts from it)."""
    path = uploads.named(upload)
    try:
        guess = readers.guess_mapping(path)
    except HistoryError as error:
        raise refused(error) from None
    (path.parent.parent / "guess.json").write_text(json.dumps(guess))
    quantities = guess.get("quantities", {})
    mapping = {q: spec.get("column") or spec.get("entity") for q, spec in quantities.items()}
    units = {q: ", ".join(filter(None, [spec.get("unit"), KINDS.get(spec.get("kind", ""), "")]))
             for q, spec in quantities.items()}
    location = home.location
    layout = guess["layout"]
    return {"upload": upload, "name": path.name, "layout": layout, "layout_label": LAYOUTS.get(layout, layout),
            "columns": list(guess.get("available", [])), "mapping": mapping, "units": units,
            "quantities": QUANTITIES,
            "location": {"latitude": location.latitude, "longitude": location.longitude,
                         "timezone": location.timezone}}


def mapping_of(uploads: Uploads, upload: str, chosen: dict[str, Any]) -> dict[str, Any]:
    """The mapping an import reads with: the guess of ``history.inspect``, with the quantities
    as ``chosen`` (quantity -> column or entity; one kept as guessed keeps its unit and kind)."""
    path = uploads.path(upload)
    saved = path.parent / "guess.json"
    guess = json.loads(saved.read_text()) if saved.exists() else readers.guess_mapping(uploads.named(upload))
    unknown = [q for q in chosen if q not in QUANTITIES]
    if unknown:
        raise ApplicationError(INVALID_PROPERTY, f"mapping.{unknown[0]}: not a quantity; allowed: "
                                                 f"{', '.join(QUANTITIES)}")
    available = guess.get("available", [])
    guessed = guess.get("quantities", {})
    key = "entity" if guess["layout"] in ("ha_history", "ha_statistics") else "column"
    quantities = {}
    for quantity, spec in chosen.items():
        spec = {"name": spec} if isinstance(spec, str) else spec
        name = spec.get("name") if isinstance(spec, dict) else None
        if not isinstance(name, str) or (available and name not in available):
            raise ApplicationError(INVALID_PROPERTY, f"mapping.{quantity}: {name!r} is not a "
                                                     f"{key} of {path.parent.joinpath('name').read_text()}")
        extra = {k: v for k, v in spec.items() if k != "name"}
        unknown = sorted(set(extra) - {"unit", "sign"})
        if unknown:
            raise ApplicationError(INVALID_PROPERTY, f"mapping.{quantity}.{unknown[0]}: not allowed; give name, unit, sign")
        old = guessed.get(quantity, {})
        entry = dict(old) if (old.get("column") or old.get("entity")) == name else {key: name}
        if extra.get("unit"):  # a unit given: its kind follows from it (W: power, kWh: a counter, %: SoC)
            entry = {k: v for k, v in entry.items() if k != "kind"} | {"unit": extra["unit"]}
        if extra.get("sign"):
            entry["sign"] = extra["sign"]
        quantities[quantity] = entry
    return {k: v for k, v in guess.items() if k not in ("quantities", "available")} | {"quantities": quantities}


async def run_import(uploads: Uploads, request: HistoryImport,
                     on_progress: Callable[[int, int, str], None] | None) -> dict[str, Any]:
    """``homesim import`` on the uploaded files in a child process; its outputs as the reply."""
    paths = [uploads.named(u) for u in request.uploads]
    folder = uploads.new_folder("runs")
    mapping = folder / "mapping.json"
    mapping.write_text(json.dumps(mapping_of(uploads, request.uploads[0], request.mapping)))
    out = folder / "out"
    command = [sys.executable, "-m", "homesim", "import", *map(str, paths),
               "--location", f"{request.latitude},{request.longitude},{request.timezone}", "--out", str(out),
               "--mapping", str(mapping)]
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.PIPE, env=os.environ.copy())
    lines: list[str] = []

    async def follow() -> None:
        assert process.stderr is not None
        async for raw in process.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            lines.append(line)
            for i, (step, words) in enumerate(STEPS.items()):
                if line.startswith(step) and line.endswith("...") and on_progress is not None:
                    on_progress(i, len(STEPS), words + "…")

    try:
        await asyncio.wait_for(asyncio.gather(follow(), process.wait()), IMPORT_TIMEOUT_S)
    except asyncio.TimeoutError:
        process.kill()
        raise ApplicationError(INVALID_PROPERTY, f"the import took more than {IMPORT_TIMEOUT_S} s: "
                                                 "import fewer months at a time") from None
    if process.returncode != 0:
        said = [line for line in lines if line.startswith("homesim")] or lines[-3:] or ["(it said nothing)"]
        message = said[-1].removeprefix("homesim import: error:").removeprefix("homesim:").strip()
        log.warning("import refused: %s", message)
        raise refused(message)
    return collect(uploads, out)


def collect(uploads: Uploads, out: Path) -> dict[str, Any]:
    """An import's outputs (``homesim import --out``) as ``history.import``'s reply, the job saved."""
    home = yaml.safe_load((out / "home.yaml").read_text())
    calibration = json.loads((out / "calibration.json").read_text())
    files = {str(p.relative_to(out)): p.read_text() for p in sorted(out.rglob("*"))
             if p.is_file() and p.name not in WRITTEN and p.suffix != ".png"}
    chosen = calibration["report"].get("chosen", {})
    pngs = sorted(out.rglob("*.png"), key=lambda p: (next((i for i, o in enumerate(PLOT_ORDER) if p.stem.startswith(o)),
                                                          len(PLOT_ORDER)), p.name))
    plots = [{"title": _plot_title(p.stem, chosen),
              "src": "data:image/png;base64," + base64.b64encode(p.read_bytes()).decode()} for p in pngs]
    quality = json.loads(unplaced((out / "quality.json").read_text()))
    result = {"quality": quality, "fitted": calibration["fitted"], "notes": calibration["notes"],
              "report": calibration["report"], "plots": plots}
    job, home_file = uploads.save_job(home, files, result)
    saved = uploads.job(job)
    return {"job": job, **result, "home": saved["home"], "home_file": str(home_file)}


def _plot_title(stem: str, chosen: dict[str, Any]) -> str:
    """A plot's caption from its file name (``day_typical.png``, ``day_best_2026-01-07.png``,
    ``monthly_energy.png``) and the report's chosen days."""
    parts = stem.split("_")
    if parts[0] == "day" and len(parts) >= 2:
        which = {"typical": "A typical day", "best": "The best day", "worst": "The worst day"}.get(parts[1], parts[1])
        day = parts[2] if len(parts) > 2 else chosen.get(parts[1])
        return f"{which}{f' ({day})' if day else ''}: measured (solid) and simulated (dashed)"
    if stem == "monthly_energy":
        return "Energy by month, measured and simulated"
    return stem.replace("_", " ").capitalize()


#: The plots in the order shown.
PLOT_ORDER = ("day_typical", "day_best", "day_worst", "monthly_energy")


def register_history(session: Any, uris: Uris, store: Uploads, current: dict[str, Any]) -> Any:
    """Register the procedures on the planner's session (``current``: its ``home`` and the
    controller's last ``desired`` message)."""
    one_import = asyncio.Lock()

    def upload(name: Any = None, text: Any = None, upload: Any = None, offset: Any = 0) -> dict[str, Any]:
        request = rpc_arguments(HistoryUpload, name=name, text=text, upload=upload, offset=offset)
        try:
            return store.append(request)
        except UploadError as error:
            raise refused(error) from None

    async def inspect_rpc(upload: Any = None) -> dict[str, Any]:
        request = rpc_arguments(HistoryInspect, upload=upload)
        try:
            return await asyncio.get_running_loop().run_in_executor(None, inspect, store, request.upload,
                                                                    current["home"])
        except UploadError as error:
            raise refused(error) from None

    async def import_rpc(uploads: Any = None, mapping: Any = None, latitude: Any = None, longitude: Any = None,
                         timezone: Any = None, details: Any = None) -> dict[str, Any]:
        request = rpc_arguments(HistoryImport, uploads=uploads, mapping=mapping or {}, latitude=latitude,
                                longitude=longitude, timezone=timezone)
        progress = getattr(details, "progress", None)
        report = (lambda done, total, what: progress(done, total, what)) if progress else None
        async with one_import:
            log.info("import of %d file(s) at %s,%s", len(request.uploads), request.latitude, request.longitude)
            try:
                return await run_import(store, request, report)
            except (UploadError, HistoryError) as error:
                raise refused(error) from None

    async def adopt_rpc(job: Any = None, version: Any = None) -> dict[str, Any]:
        request = rpc_arguments(HistoryAdopt, job=job, version=version)
        try:
            saved = store.job(request.job)
        except UploadError as error:
            raise refused(error) from None
        desired = current.get("desired")
        if desired is None:
            raise ApplicationError(INVALID_PROPERTY, "the controller has not published the home yet: try again")
        done = await adopting.adopt(session, uris, desired, request.version, saved["home"])
        log.info("adopted import %s: %s", request.job, done)
        return {**done, "home_file": saved["home_file"]}

    def tariff_rpc(urdb: Any = None, name: Any = None, tariff: Any = None) -> dict[str, Any]:
        request = rpc_arguments(TariffPreview, urdb=urdb, name=name, tariff=tariff)
        try:
            return tariff_view.preview(request, current["home"].currency)
        except ValueError as error:
            raise refused(error) from None

    return asyncio.gather(
        session.register(checked(upload), uris.history("upload")),
        session.register(checked(inspect_rpc), uris.history("inspect")),
        session.register(checked(import_rpc), uris.history("import"), options=RegisterOptions(details_arg="details")),
        session.register(checked(adopt_rpc), uris.history("adopt")),
        session.register(checked(tariff_rpc), uris.tariff("preview")),
    )
