"""What-if sweeps beyond one machine: a sweep spec stored in PostgreSQL, evaluated in shards
by workers (pods of a Kubernetes Indexed Job, ``homesim sweep-worker``), each variant's row
stored idempotently, gathered in variant order.

A sweep spec (plain JSON data)::

    {"id": "home-3f9c2a1b",                 # lower case letters, digits and '-' (a Job's name)
     "kind": "compare",                     # an evaluator of EVALUATORS
     "home": {...},                         # the home, as a home file's data
     "home_dir": "/path/of/the/home/file",  # where relative file names in the home are resolved
     "files": {"loadshedding/a.csv": "..."},# optional: those files' text, for workers elsewhere
     "variants": [{"battery.capacity_kwh": 5}, {"battery.capacity_kwh": 10}],
     "options": {"days": 365, "dt_s": 60, "start": null, "seed": null}}

An evaluator is ``fn(home, changes, options, home_dir) -> row``: ``home`` the validated
:class:`~homesim.home.Home`, ``changes`` one variant, ``options`` the spec's options (checked
by the evaluator's ``check_options`` when the spec is checked), ``home_dir`` the folder file
names are resolved in. Kind ``compare`` is built in; another module adds its kind with
:func:`register`. Pure apart from the PostgreSQL functions at the end (psycopg, the recorder's
driver); no bus imports.

Tables::

    sweeps(id text primary key, spec jsonb, created timestamptz)
    sweep_results(sweep_id text, variant_index integer, row jsonb, primary key (sweep_id, variant_index))
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import math
import re
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from homesim.engine import compare
from homesim.engine.compare import METRICS
from homesim.engine.fastforward import simulate
from homesim.errors import BadInput
from homesim.home import HomeFileError, home_from_dict, with_changes

#: A sweep id: usable in a Kubernetes object name (``sweep-<id>``, pods ``sweep-<id>-<index>-xxxxx``).
ID_PATTERN = re.compile(r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$")
#: The longest horizon a variant runs [days] (a century, as the command line).
MAX_DAYS = 36_525

Evaluator = Callable[[Any, dict[str, Any], dict[str, Any], Path], dict[str, Any]]


@dataclass(frozen=True)
class Kind:
    evaluate: Evaluator
    #: ``check(options) -> list of problems`` ("options.days: ..."), run when a spec is checked.
    check_options: Callable[[dict[str, Any]], list[str]] | None = None
    #: The row's columns after the varied ones, in order (jsonb keeps no key order).
    columns: tuple[str, ...] = ()


#: Kinds another module registers, loaded when a spec names them.
PLUGINS = {"plan": "homesim.planning.optimize"}
#: Evaluators by sweep kind.
EVALUATORS: dict[str, Evaluator] = {}
_KINDS: dict[str, Kind] = {}


def register(kind: str, fn: Evaluator, check_options: Callable[[dict[str, Any]], list[str]] | None = None,
             columns: tuple[str, ...] = ()) -> None:
    """Add (or replace) the evaluator of sweep kind ``kind``; ``check_options(options)`` lists
    the problems of a spec's options (each naming ``options.<field>``), ``columns`` orders the
    row's columns after the varied ones when gathered (PostgreSQL's jsonb keeps no key order;
    columns not named follow in the order stored)."""
    EVALUATORS[kind] = fn
    _KINDS[kind] = Kind(fn, check_options, tuple(columns))


# --- kind "compare" ------------------------------------------------------------------------

def _compare_options(options: dict[str, Any]) -> list[str]:
    problems = []
    for key in options:
        if key not in ("days", "dt_s", "start", "seed"):
            problems.append(f"options.{key}: unknown option; allowed: days, dt_s, start, seed")
    days = options.get("days")
    if isinstance(days, bool) or not isinstance(days, (int, float)) or not (math.isfinite(days) and 0 < days <= MAX_DAYS):
        problems.append(f"options.days: {days!r} is not allowed: must be a number of days > 0 and <= {MAX_DAYS}")
    dt_s = options.get("dt_s", 60)
    if isinstance(dt_s, bool) or not isinstance(dt_s, int) or not 1 <= dt_s <= 86_400:
        problems.append(f"options.dt_s: {dt_s!r} is not allowed: must be a whole number of seconds 1..86400")
    elif not problems and int(days * 86_400 // dt_s) < 1:
        problems.append(f"options.days: {days} is shorter than one step of {dt_s} s")
    start = options.get("start")
    if start is not None:
        try:
            if not isinstance(start, str):
                raise ValueError(start)
            dt.date.fromisoformat(start)
        except ValueError:
            problems.append(f"options.start: {start!r} is not allowed: must be a date YYYY-MM-DD or null")
    seed = options.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= 2**32 - 1):
        problems.append(f"options.seed: {seed!r} is not allowed: must be a whole number 0..4294967295 or null")
    return problems


def compare_options(days: float, dt_s: int = 60, start: dt.date | None = None, seed: int | None = None) -> dict[str, Any]:
    """The options of a ``compare`` sweep, as stored."""
    return {"days": days, "dt_s": dt_s, "start": start.isoformat() if start else None, "seed": seed}


def evaluate_compare(home: Any, changes: dict[str, Any], options: dict[str, Any], home_dir: Path) -> dict[str, Any]:
    """One variant's row as :func:`homesim.engine.compare.compare` makes it: the varied values,
    then :data:`homesim.engine.compare.METRICS`."""
    variant = with_changes(home, changes, home_dir)
    start = dt.date.fromisoformat(options["start"]) if options.get("start") else None
    summary = simulate(variant, options["days"], options.get("dt_s", 60), start, options.get("seed")).summary()
    return compare.row(changes, summary)


def _compare_columns() -> tuple[str, ...]:
    return tuple(column for column, _, _ in METRICS)


register("compare", evaluate_compare, _compare_options, _compare_columns())


# --- specs and shards ----------------------------------------------------------------------

def new_id(stem: str) -> str:
    """A fresh sweep id from a name (``home`` -> ``home-3f9c2a1b``)."""
    base = re.sub(r"[^a-z0-9-]+", "-", stem.lower()).strip("-")[:28].strip("-") or "sweep"
    return f"{base}-{uuid.uuid4().hex[:8]}"


def check_spec(spec: Any) -> dict[str, Any]:
    """``spec`` if it is a usable sweep spec; else :class:`BadInput` naming every bad field."""
    if not isinstance(spec, dict):
        raise BadInput(f"sweep spec: must be a mapping of id, kind, home, home_dir, variants, options; got {type(spec).__name__}")
    problems = []
    allowed = ("id", "kind", "home", "home_dir", "files", "variants", "options")
    problems += [f"sweep spec: {k}: unknown field; allowed: {', '.join(allowed)}" for k in spec if k not in allowed]
    problems += [f"sweep spec: {k}: missing" for k in allowed if k not in spec and k != "files"]
    ident = spec.get("id")
    if "id" in spec and not (isinstance(ident, str) and ID_PATTERN.match(ident)):
        problems.append(f"sweep spec: id: {ident!r} is not allowed: must be 1-40 lower case letters, digits "
                        "and '-', starting and ending with a letter or digit")
    kind = spec.get("kind")
    if kind in PLUGINS and kind not in _KINDS:
        importlib.import_module(PLUGINS[kind])  # registers itself
    if "kind" in spec and kind not in _KINDS:
        problems.append(f"sweep spec: kind: {kind!r} is not allowed: must be one of {', '.join(sorted(set(_KINDS) | set(PLUGINS)))}")
    if "home" in spec and not isinstance(spec["home"], dict):
        problems.append("sweep spec: home: must be a mapping (a home file's data)")
    if "home_dir" in spec and not isinstance(spec["home_dir"], str):
        problems.append("sweep spec: home_dir: must be a folder's path (text)")
    files = spec.get("files", {})
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        problems.append("sweep spec: files: must map relative file names to their text")
    else:
        problems += [f"sweep spec: files: {k!r}: must be a relative path inside the home's folder"
                     for k in files if Path(k).is_absolute() or ".." in Path(k).parts]
    variants = spec.get("variants")
    if "variants" in spec:
        if not isinstance(variants, list) or not variants:
            problems.append("sweep spec: variants: must be a non-empty list of {\"<device>.<property>\": value} mappings")
        else:
            for i, variant in enumerate(variants):
                if not isinstance(variant, dict):
                    problems.append(f"sweep spec: variants[{i}]: must be a mapping of \"<device>.<property>\": value")
                    continue
                problems += [f"sweep spec: variants[{i}]: {k!r}: must be <device_id>.<property>"
                             for k in variant if not (isinstance(k, str) and re.fullmatch(r"[^.\s]+\.[^\s]+", k))]
    options = spec.get("options")
    if "options" in spec:
        if not isinstance(options, dict):
            problems.append("sweep spec: options: must be a mapping")
        elif kind in _KINDS and _KINDS[kind].check_options is not None:
            problems += [f"sweep spec: {p}" for p in _KINDS[kind].check_options(options)]
    if problems:
        raise BadInput("\n".join(problems))
    return spec


def shard(n_variants: int, index: int, count: int) -> list[int]:
    """The variants shard ``index`` of ``count`` evaluates: every ``i`` with ``i % count == index``."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise BadInput(f"shard count {count!r} is not allowed: must be a whole number >= 1")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
        raise BadInput(f"shard index {index!r} is not allowed: must be 0..{count - 1} (count {count})")
    return [i for i in range(n_variants) if i % count == index]


def home_of(spec: dict[str, Any], home_dir: Path):
    """The spec's home, validated (file names resolved in ``home_dir``)."""
    try:
        return home_from_dict(spec["home"], source=f"sweep {spec['id']}: home", home_dir=home_dir)
    except HomeFileError as error:
        raise BadInput(str(error)) from None


def run_shard(spec: dict[str, Any], index: int, count: int,
              on_row: Callable[[int, dict[str, Any]], None] | None = None) -> list[tuple[int, dict[str, Any]]]:
    """Evaluate shard ``index`` of ``count`` of ``spec``: ``[(variant_index, row), ...]``;
    ``on_row`` is called with each as soon as it is done (a worker stores it then)."""
    check_spec(spec)
    indexes = shard(len(spec["variants"]), index, count)
    evaluate = EVALUATORS[spec["kind"]]
    with tempfile.TemporaryDirectory(prefix=f"homesim-sweep-{spec['id']}-") as tmp:
        home_dir = Path(spec["home_dir"])
        if spec.get("files"):  # the home's files travel with the spec: a worker elsewhere reads them here
            home_dir = Path(tmp)
            for name, text in spec["files"].items():
                (home_dir / name).parent.mkdir(parents=True, exist_ok=True)
                (home_dir / name).write_text(text)
        home = home_of(spec, home_dir)
        done = []
        for i in indexes:
            row = evaluate(home, dict(spec["variants"][i]), spec["options"], home_dir)
            done.append((i, row))
            if on_row is not None:
                on_row(i, row)
    return done


def files_of(home_data: dict[str, Any], variants: list[dict[str, Any]], home_dir: Path) -> dict[str, str]:
    """The text of every file the home (or a variant) names relative to ``home_dir``: any text
    value that is the name of a file there. A file named by an absolute path can't travel:
    :class:`BadInput` naming the field."""
    found: dict[str, str] = {}
    problems = []

    def walk(value: Any, where: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{where}.{key}" if where else str(key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{where}[{i}]")
        elif isinstance(value, str) and value and "\n" not in value and len(value) < 4096 and not value.startswith("pvlib:"):
            path = Path(value)
            try:
                exists = (path if path.is_absolute() else home_dir / path).is_file()
            except OSError:
                exists = False
            if not exists:
                return
            if path.is_absolute() or ".." in path.parts:
                problems.append(f"{where}: {value!r}: a file outside the home's folder can't be sent to the "
                                "cluster; put it next to the home file and name it relative to it")
                return
            try:
                found[path.as_posix()] = (home_dir / path).read_text()
            except (OSError, UnicodeDecodeError) as error:
                problems.append(f"{where}: {value!r}: can't read it as text: {error}")

    walk(home_data, "")
    for i, variant in enumerate(variants):
        for key, value in variant.items():
            walk(value, f"variant {i} {key}")
    if problems:
        raise BadInput("\n".join(problems))
    return dict(sorted(found.items()))


def label(variant: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in variant.items())


# --- PostgreSQL ----------------------------------------------------------------------------

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS sweeps (id text PRIMARY KEY, spec jsonb NOT NULL, "
    "created timestamptz NOT NULL DEFAULT now())",
    "CREATE TABLE IF NOT EXISTS sweep_results (sweep_id text NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE, "
    "variant_index integer NOT NULL CHECK (variant_index >= 0), \"row\" jsonb NOT NULL, "
    "PRIMARY KEY (sweep_id, variant_index))",
)


def safe_url(url: str) -> str:
    """The URL without its password."""
    return re.sub(r"(//[^:/@]+):[^@]*@", r"\1:***@", url)


def connect(url: str):
    """A connection (autocommit) to the sweeps' database, its tables made if missing.
    A URL that is not one, or a server that can't be reached: :class:`BadInput` naming it."""
    import psycopg

    if not isinstance(url, str) or not re.match(r"^postgres(ql)?://", url):
        raise BadInput(f"--database {safe_url(str(url))!r} is not allowed: must be a postgresql://user[:password]@host[:port]/database URL")
    try:
        db = psycopg.connect(url, autocommit=True, connect_timeout=20)
    except psycopg.Error as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise BadInput(f"--database {safe_url(url)}: cannot connect: {first}") from None
    for statement in SCHEMA:
        db.execute(statement)
    return db


def _json(value: Any) -> str:
    try:
        return json.dumps(value, allow_nan=False)
    except ValueError:
        raise BadInput("a value that is not a finite number (NaN or infinity) can't be stored as JSON") from None


def create(db, spec: dict[str, Any]) -> str:
    """Store ``spec`` (checked); its id. An id already stored is refused."""
    check_spec(spec)
    stored = db.execute("INSERT INTO sweeps (id, spec) VALUES (%s, %s::jsonb) ON CONFLICT (id) DO NOTHING",
                        (spec["id"], _json(spec))).rowcount
    if stored != 1:
        raise BadInput(f"sweep {spec['id']!r} already exists in the database")
    return spec["id"]


def load(db, sweep_id: str) -> dict[str, Any]:
    """The stored spec of ``sweep_id``; :class:`BadInput` if there is none."""
    found = db.execute("SELECT spec FROM sweeps WHERE id = %s", (sweep_id,)).fetchone()
    if found is None:
        known = [r[0] for r in db.execute("SELECT id FROM sweeps ORDER BY created DESC LIMIT 5").fetchall()]
        raise BadInput(f"--sweep {sweep_id!r}: no such sweep in the database"
                       + (f"; the newest: {', '.join(known)}" if known else "; it holds none"))
    return check_spec(found[0])


def store(db, sweep_id: str, variant_index: int, row: dict[str, Any]) -> None:
    """Store one variant's row; a row already there is replaced (a retried pod is harmless)."""
    db.execute("INSERT INTO sweep_results (sweep_id, variant_index, \"row\") VALUES (%s, %s, %s::jsonb) "
               "ON CONFLICT (sweep_id, variant_index) DO UPDATE SET \"row\" = EXCLUDED.\"row\"",
               (sweep_id, variant_index, _json(row)))


def work(db, sweep_id: str, index: int, count: int) -> list[int]:
    """What a worker does: shard ``index`` of ``count`` of the stored sweep, each row stored as
    it is done; the variant indexes done."""
    spec = load(db, sweep_id)
    return [i for i, _ in run_shard(spec, index, count, on_row=lambda i, row: store(db, sweep_id, i, row))]


class SweepIncomplete(Exception):
    """Some variants have no row yet; ``str()`` names them."""

    def __init__(self, sweep_id: str, missing: list[int], variants: list[dict[str, Any]], rows: dict[int, dict]) -> None:
        self.sweep_id, self.missing, self.rows = sweep_id, missing, rows
        shown = "; ".join(f"#{i} ({label(variants[i])})" for i in missing[:20])
        more = f"; and {len(missing) - 20} more" if len(missing) > 20 else ""
        super().__init__(f"sweep {sweep_id}: {len(missing)} of {len(variants)} variants have no result yet: "
                         f"{shown}{more}")


def gather(db, sweep_id: str) -> list[dict[str, Any]]:
    """Every variant's row, in variant order; :class:`SweepIncomplete` naming the variants
    still missing (and :class:`BadInput` for a sweep that does not exist)."""
    spec = load(db, sweep_id)
    rows = {i: row for i, row in db.execute(
        "SELECT variant_index, \"row\" FROM sweep_results WHERE sweep_id = %s ORDER BY variant_index", (sweep_id,))}
    rows = {i: ordered(spec, i, row) for i, row in rows.items()}
    missing = [i for i in range(len(spec["variants"])) if i not in rows]
    if missing:
        raise SweepIncomplete(sweep_id, missing, spec["variants"], rows)
    return [rows[i] for i in range(len(spec["variants"]))]


def ordered(spec: dict[str, Any], variant_index: int, row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with its columns in order: the varied ones as in the variant, then the kind's
    ``columns``, then the rest as stored."""
    kind = _KINDS.get(spec["kind"])
    first = [*spec["variants"][variant_index], *(kind.columns if kind else ())]
    return {**{k: row[k] for k in first if k in row}, **{k: v for k, v in row.items() if k not in first}}
