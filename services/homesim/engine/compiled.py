"""A home compiled for stepping: device parameters as arrays, and its exogenous inputs per block.

Both runtimes use this: the fast-forward engine for every block of a run, a live device service
for the block its current tick falls in. The same block number always yields bit-identical
arrays.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import NamedTuple
from zoneinfo import ZoneInfo

import numpy as np

from homesim.devices import battery as battery_model, inverter as inverter_model
from homesim.devices.base import BLOCK_TICKS, Block
from homesim.engine import loads as loads_model
from homesim.home import Home
from homesim.jit import njit


@dataclass
class Exogenous:
    """Everything a block's ticks need that does not depend on the dispatch."""

    block: Block
    pv_avail_j: np.ndarray  # [n_pv, n] int64 DC energy available [J]
    #: [n_loads, rows, n] float64 each load's behaviour inputs by its layout; row 0 ``allowed``
    #: (the share of the tick a load may draw [0..1]), rows beyond a load's own are 0
    load_inputs: np.ndarray
    grid_on: np.ndarray  # [n] bool
    import_price: np.ndarray  # [n] float64 [currency/kWh]
    export_price: np.ndarray  # [n] float64 [currency/kWh]
    slot_index: np.ndarray  # [n] int64 active inverter program slot


def start_unix_s(home: Home, start: dt.date | None = None) -> int:
    """Local midnight of the first day, as seconds since 1970-01-01 UTC [s]."""
    day = start or home.start
    midnight = dt.datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(home.location.timezone))
    return int(midnight.timestamp())


class LocalCalendar(NamedTuple):
    """Local calendar fields of instants (int64 arrays)."""

    second_of_day: np.ndarray  # [s]
    weekday: np.ndarray  # 0 = Monday
    month: np.ndarray  # 1..12
    day_of_month: np.ndarray  # 1..31


def local_calendar(unix_s: np.ndarray, timezone: str) -> LocalCalendar:
    """Local time of day, weekday, month and day of instants given in UTC seconds."""
    fields = np.empty((4, unix_s.shape[0]), dtype=np.int64)
    _calendar_fields(_local_seconds(unix_s, timezone), fields)
    return LocalCalendar(*fields)


@njit(cache=True, nogil=True)
def _calendar_fields(local_s, out):
    """Second of the day [s], weekday (0 = Monday), month (1..12) and day of the month of local
    wall-clock seconds since 1970-01-01 into ``out`` [4, n] (proleptic Gregorian calendar; the
    date from the day number by H. Hinnant's ``civil_from_days``)."""
    previous = np.int64(-(2**62))
    month = day = np.int64(0)
    for i in range(local_s.shape[0]):
        days = local_s[i] // 86_400
        if days != previous:
            z = days + 719_468
            era = z // 146_097
            doe = z - era * 146_097
            yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
            doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
            mp = (5 * doy + 2) // 153
            day = doy - (153 * mp + 2) // 5 + 1
            month = mp + 3 if mp < 10 else mp - 9
            previous = days
        out[0, i] = local_s[i] - days * 86_400
        out[1, i] = (days + 3) % 7  # 1970-01-01 was a Thursday
        out[2, i] = month
        out[3, i] = day


def _local_seconds(unix_s: np.ndarray, timezone: str) -> np.ndarray:
    """Local wall-clock seconds since 1970-01-01 of UTC instants (``unix_s`` sorted).

    The zone's offset is asked (``zoneinfo``) at both ends of a span: the same offset at both
    ends of at most 60 days means it held throughout (offsets change at most twice a year,
    months apart); otherwise the span is halved, down to the pair of ticks a change falls
    between. A week's block asks 2 offsets, or about 30 across a change."""
    if unix_s.size == 0:
        return unix_s.copy()
    zone = ZoneInfo(timezone)

    def offset(i: int) -> int:
        moment = dt.datetime.fromtimestamp(int(unix_s[i]), dt.timezone.utc).astimezone(zone)
        return int(moment.utcoffset().total_seconds())

    out = np.empty_like(unix_s)
    spans = [(0, unix_s.size - 1, offset(0), offset(unix_s.size - 1))]
    while spans:
        lo, hi, first, last = spans.pop()
        if first == last and int(unix_s[hi]) - int(unix_s[lo]) <= 60 * 86_400:
            out[lo:hi + 1] = unix_s[lo:hi + 1] + first
        elif hi - lo <= 1:
            out[lo], out[hi] = unix_s[lo] + first, unix_s[hi] + last
        else:
            mid = (lo + hi) // 2
            middle = offset(mid)
            spans += [(lo, mid, first, middle), (mid, hi, middle, last)]
    return out


#: Prefix of the exogenous cache's keys that hold for any seed (see ``CompiledHome.exogenous``).
UNSEEDED = "unseeded:"


def keep_unseeded(cache: dict) -> None:
    """Drop a cache's parts that depend on the seed (before running with another)."""
    for key in [k for k in cache if not k[1].startswith(UNSEEDED)]:
        del cache[key]


class CompiledHome:
    """A validated home, compiled for a run of ``dt_s`` steps from ``start``."""

    def __init__(self, home: Home, dt_s: int, start: dt.date | None = None, seed: int | None = None) -> None:
        if dt_s < 1 or dt_s > 86_400:
            raise ValueError(f"step {dt_s} s is not allowed: must be 1..86400 s")
        self.home = home
        self.dt_s = int(dt_s)
        self.start_unix_s = start_unix_s(home, start)
        self.seed = home.seed if seed is None else int(seed)
        self.environment = sorted(home.of_role("environment"), key=lambda d: d.ORDER)
        self.pv_arrays = home.pv_arrays
        self.loads = home.loads
        self.grid = home.grid
        self.battery = home.battery
        self.inverter = home.inverter
        self.essential = np.array([load.circuit == "essential" for load in self.loads], dtype=np.bool_)
        self.battery_params = self.battery.params() if self.battery is not None else battery_model.NO_BATTERY
        if self.battery is not None and not self.battery.enabled:
            # Switched off: it keeps what it stores and takes no part, as a live battery whose
            # process is stopped.
            self.battery_params = self.battery_params._replace(max_charge_w=0.0, max_discharge_w=0.0)
        if self.inverter is not None:
            self.inverter_params = self.inverter.params()
            self.slot_table = self.inverter.program_table()[1]
        else:
            # No inverter: loads draw from the grid through an ideal connection.
            bare = inverter_model.Config(id="inverter", rated_power_w=1e7, efficiency=1.0, work_mode="zero_export")
            self.inverter_params = bare.params()
            self.slot_table = bare.program_table()[1]
            self.essential = np.zeros(len(self.loads), dtype=np.bool_)
        self.load_tables = loads_model.load_tables(self.loads, self.essential, self.dt_s)
        self.load_input_rows = loads_model.input_width(self.loads)
        self.export_limit_w = -1.0
        self.import_limit_w = -1.0
        if self.grid is not None:
            if self.grid.export_limit_w is not None:
                self.export_limit_w = float(self.grid.export_limit_w)
            if self.grid.max_import_w is not None:
                self.import_limit_w = float(self.grid.max_import_w)

    def initial_load_state(self) -> np.ndarray:
        """``[n_loads, width]`` behaviour state of every load at the start."""
        return loads_model.initial_state(self.loads)

    def load_inputs(self, load_index: int, block: Block) -> np.ndarray:
        """``[rows, n]`` inputs of one load for a block, as wide as the home's widest load."""
        own = self.loads[load_index].block_inputs(block)
        if own.shape[0] == self.load_input_rows:
            return own
        table = np.zeros((self.load_input_rows, own.shape[1]), dtype=np.float64)
        table[: own.shape[0]] = own
        return table

    def slot_index(self, block: Block) -> np.ndarray:
        """The inverter's active program slot at each tick of ``block`` (0 without an inverter)."""
        if self.inverter is not None:
            return self.inverter.slot_index(block.second_of_day)
        return np.zeros(block.size, dtype=np.int64)

    def initial_stored_j(self) -> int:
        return self.battery.initial_stored_j() if self.battery is not None else 0

    def block(self, index: int, ticks: int = BLOCK_TICKS) -> Block:
        """The time arrays of block ``index`` (its first ``ticks``)."""
        start_tick = index * BLOCK_TICKS
        unix_s = self.start_unix_s + (start_tick + np.arange(ticks, dtype=np.int64)) * self.dt_s
        calendar = local_calendar(unix_s, self.home.location.timezone)
        location = self.home.location
        return Block(
            index=index,
            start_tick=start_tick,
            dt_s=self.dt_s,
            unix_s=unix_s,
            second_of_day=calendar.second_of_day,
            weekday=calendar.weekday,
            month=calendar.month,
            day_of_month=calendar.day_of_month,
            seed=self.seed,
            latitude=location.latitude,
            longitude=location.longitude,
            altitude=location.altitude_m,
            timezone=location.timezone,
        )

    def fill_environment(self, block: Block) -> None:
        """Run the environment devices (sun, then weather) on the block."""
        # pvlib divides by zero for the sun below the horizon; those values are masked after.
        with np.errstate(divide="ignore", invalid="ignore"):
            for device in self.environment:
                device.fill_block(block)

    def _keys(self) -> tuple[str, list[str], list[str], str]:
        """What each exogenous part depends on, as text: the environment (location, first
        day, step, seed, sun and weather), each PV array, each load, the grid."""
        home = self.home
        def text(device) -> str:  # noqa: ANN001
            # its fields and the folder its files are read from (a schedule, a profile)
            return device.model_dump_json() + str(getattr(device, "_home_dir", ""))

        env = json.dumps([home.location.model_dump(mode="json"), self.start_unix_s, self.dt_s, self.seed,
                          [text(d) for d in self.environment]], sort_keys=True)
        # what draws no random numbers and reads no sun or weather needs only the calendar
        calendar = UNSEEDED + json.dumps([home.location.model_dump(mode="json"), self.start_unix_s, self.dt_s],
                                         sort_keys=True)
        pv = [env + text(a) for a in self.pv_arrays]
        loads = [(env if load.seeded() else calendar) + text(load) for load in self.loads]
        grid = env + "no grid" if self.grid is None else (env if self.grid.seeded() else calendar) + text(self.grid)
        return env, pv, loads, grid

    def exogenous(self, index: int, ticks: int = BLOCK_TICKS, cache: dict | None = None) -> Exogenous:
        """Everything exogenous for the first ``ticks`` of block ``index``.

        The whole block is always computed and then cut: vectorized maths may round
        differently for arrays of other lengths, and a live device always computes whole blocks.

        ``cache``: a dict shared by homes run on the same blocks (variants of a home): each
        part (sun and weather, each PV array, each load, the grid) is computed once per block
        for every home whose devices of that part are the same; the inverter's program slots
        are always the home's own. Parts are the same arrays, bit for bit, either way.
        """
        def part(key: str, compute):  # noqa: ANN001, ANN202
            if cache is None:
                return compute()
            full = (index, key)
            if full not in cache:
                cache[full] = compute()
            return cache[full]

        env_key, pv_keys, load_keys, grid_key = self._keys() if cache is not None else ("", [""] * len(
            self.pv_arrays), [""] * len(self.loads), "")

        def environment() -> Block:
            block = self.block(index)
            if cache is None:
                self.fill_environment(block)
                return block
            # A device whose values don't depend on the seed (the sun) is kept under a key
            # without it, marked UNSEEDED: a plan keeps those from year to year.
            with np.errstate(divide="ignore", invalid="ignore"):
                for device in self.environment:
                    if device.seeded():
                        device.fill_block(block)
                        continue
                    key = (index, UNSEEDED + json.dumps([self.home.location.model_dump(mode="json"),
                                                         self.start_unix_s, self.dt_s,
                                                         device.model_dump(mode="json")], sort_keys=True))
                    if key not in cache:
                        before = set(block.values)
                        device.fill_block(block)
                        cache[key] = {k: block.values[k] for k in set(block.values) - before}
                    block.values.update(cache[key])
            return block

        block = part(env_key, environment)
        n = block.size

        def pv_of(array):  # noqa: ANN001, ANN202
            with np.errstate(divide="ignore", invalid="ignore"):
                return array.available_j(block)

        # every row is written below (no zeros to write first: a few MB a block)
        pv = np.empty((len(self.pv_arrays), n), dtype=np.int64)
        for i, array in enumerate(self.pv_arrays):
            pv[i] = part(pv_keys[i], lambda array=array: pv_of(array))
        inputs = np.empty((len(self.loads), self.load_input_rows, n), dtype=np.float64)
        for i, load in enumerate(self.loads):
            own = part(load_keys[i], lambda load=load: load.block_inputs(block))
            inputs[i, : own.shape[0]] = own
            inputs[i, own.shape[0]:] = 0.0

        def grid_inputs():  # noqa: ANN202
            if self.grid is not None:
                return self.grid.grid_on(block), self.grid.import_price(block), self.grid.export_price(block)
            return np.zeros(n, dtype=np.bool_), np.zeros(n), np.zeros(n)

        grid_on, import_price, export_price = part(grid_key, grid_inputs)
        slot_index = self.slot_index(block)
        cut = slice(0, ticks)
        return Exogenous(block, np.ascontiguousarray(pv[:, cut]), np.ascontiguousarray(inputs[:, :, cut]),
                         grid_on[cut], import_price[cut], export_price[cut], slot_index[cut])
