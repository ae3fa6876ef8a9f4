"""Weather: what reaches the ground of the sun's clear-sky irradiance, plus air temperature and wind.

Two models:

``clouds`` (default)
    A seeded stochastic cloud model. Cloud cover in oktas (0..8) follows a per-hour Markov
    chain: each hour keeps its cover with probability ``persistence``, else jumps to a cover
    drawn from a binomial distribution whose mean is the month's ``mean_cloud_cover``, which is
    therefore the long-run mean. Irradiance follows Kasten & Czeplak (1980):
    ``GHI = transparency * GHI_clear * (1 - 0.75 (N/8)^3.4)``, with the diffuse fraction
    rising from the clear-sky one to 1 at overcast as ``(N/8)^2``. Air temperature is a daily
    sinusoid between the month's mean minimum (at 05:00) and maximum (at 15:00).
``file``
    A real weather file: TMY3 (``.csv``), TMY2 (``.tm2``) or EPW (``.epw``), read here with the
    standard library's ``csv`` and numpy (the numbers pvlib's readers give, bit for bit, without
    importing pandas, pvlib or SciPy); GHI, DNI, DHI, air temperature and wind speed are
    interpolated to each tick, by time of year (the file is a typical year). ``pvlib:NAME``
    names a file shipped with pvlib (e.g. ``pvlib:723170TYA.CSV``), found without importing
    pvlib; other paths are relative to the home file.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, NamedTuple

import numpy as np
from homesim.jit import njit
from pydantic import Field, PrivateAttr, model_validator

from homesim import messages
from homesim.devices.base import Block, DeviceConfig, FileCheck
from homesim.devices.memo import shared_cache
from homesim.iotools.weather import (  # noqa: F401 (WeatherFileError: the error a weather device's file raises)
    SECONDS_PER_TYPICAL_YEAR,
    WeatherFileError,
    read_named_weather_file,
    read_weather_file,
    typical_year_seconds,
)
from homesim.units import quantity

HOURS_PER_CHUNK = 8760

#: One temperature per month [degrees C] (within the Earth's records: -89.2 and 56.7).
Monthly = Annotated[list[Annotated[float, Field(ge=-90.0, le=60.0)]], Field(min_length=12, max_length=12)]
#: One cloud cover per month [0..1].
MonthlyShare = Annotated[list[Annotated[float, Field(ge=0.0, le=1.0)]], Field(min_length=12, max_length=12)]


class Weather(NamedTuple):
    """Weather at each tick's middle."""

    ghi: np.ndarray  # global horizontal irradiance [W/m2]
    dni: np.ndarray  # direct normal irradiance [W/m2]
    dhi: np.ndarray  # diffuse horizontal irradiance [W/m2]
    temp_air: np.ndarray  # [degrees C]
    wind_speed: np.ndarray  # [m/s]
    cloud_cover: np.ndarray  # [0..1] (NaN from a weather file)


class Config(DeviceConfig):
    """The weather over the home."""

    ROLE: ClassVar[str] = "environment"
    ONE_PER_HOME: ClassVar[bool] = True
    METRICS: ClassVar[frozenset[str]] = frozenset()
    STATE_MODEL: ClassVar[type] = messages.WeatherState
    ORDER: ClassVar[int] = 1

    LABEL: ClassVar[str] = "Weather"
    ICON: ClassVar[str] = "\N{SUN BEHIND CLOUD}"

    kind: Literal["weather"] = "weather"
    model: Literal["clouds", "file"] = Field(
        default="clouds", title="Weather from", description="clouds: a random cloud model; file: a weather file")
    file: str | None = Field(default=None, title="Weather file",
                             description="weather file (TMY3 .csv, TMY2 .tm2, EPW .epw)")
    mean_cloud_cover: Annotated[float, Field(ge=0.0, le=1.0)] | MonthlyShare = quantity("0..1",
        default=0.3, title="Cloud cover", description="long-run mean cloud cover, one value or one per month"
    )
    persistence: Annotated[float, quantity("0..1", ge=0.0, lt=1.0, title="Persistence",
                                                   description="chance an hour keeps its cloud cover")] = 0.85
    transparency: Annotated[float, quantity("ratio", gt=0.0, le=1.2, title="Transparency",
                                                     description="multiplier on clear-sky sunlight")] = 1.0
    temp_min_c: Monthly = quantity("°C",
        default_factory=lambda: [16.0, 16.0, 15.0, 12.0, 10.0, 8.0, 7.0, 8.0, 9.0, 11.0, 13.0, 15.0],
        title="Night temperatures", description="mean daily minimum per month, January to December",
    )
    temp_max_c: Monthly = quantity("°C",
        default_factory=lambda: [27.0, 27.0, 26.0, 23.0, 21.0, 19.0, 18.0, 19.0, 20.0, 22.0, 24.0, 26.0],
        title="Day temperatures", description="mean daily maximum per month, January to December",
    )
    wind_speed_m_s: Annotated[float, quantity("m/s", ge=0.0, le=60.0, title="Wind speed",
                                                     description="mean wind speed, cools the panels")] = 2.0

    _home_dir: Path = PrivateAttr(default=Path("."))

    @model_validator(mode="after")
    def _file_given(self) -> "Config":
        if self.model == "file" and not self.file:
            raise ValueError("model 'file' needs 'file': a TMY3 (.csv), TMY2 (.tm2) or EPW (.epw) path")
        for low, high in zip(self.temp_min_c, self.temp_max_c):
            if low > high:
                raise ValueError(f"temp_min_c {low} is above temp_max_c {high} for the same month")
        return self

    def bind_home_dir(self, home_dir: Path) -> None:
        """Resolve relative weather file paths against the home file's folder."""
        self._home_dir = home_dir

    def resolved_file(self) -> Path:
        assert self.file is not None
        if self.file.startswith("pvlib:"):
            # where pvlib is installed, without importing it (and pandas and SciPy with it)
            spec = importlib.util.find_spec("pvlib")
            assert spec is not None and spec.origin is not None
            return Path(spec.origin).parent / "data" / self.file.removeprefix("pvlib:")
        path = Path(self.file)
        return path if path.is_absolute() else self._home_dir / path

    def seeded(self) -> bool:
        return self.model != "file"  # a weather file is a typical year: it repeats

    def requires(self) -> tuple[str, ...]:
        return () if self.model == "file" else ("sun",)  # the clouds model scales the sun's clear sky

    def observed(self, values: dict[str, Any], t: int) -> dict[str, Any]:
        w = values["weather"]
        cloud = float(w.cloud_cover[t])
        return {"ghi_w_m2": float(w.ghi[t]), "temp_air_c": float(w.temp_air[t]),
                "cloud_cover": None if np.isnan(cloud) else cloud}

    def files(self, timezone: str) -> list[FileCheck]:
        if self.model != "file" or not self.file:
            return []
        path = self.resolved_file()
        return [FileCheck("file", path, lambda: read_named_weather_file(self.file, path))]

    def fill_block(self, block: Block) -> None:
        """Put ``weather`` (a :class:`Weather`) in the block; needs the sun's ``clear_sky``."""
        if self.model == "file":
            block.values["weather"] = _from_file(self.resolved_file(), block.mid_unix_s)
            return
        block.values["weather"] = self._clouds(block)

    def _clouds(self, block: Block) -> Weather:
        clear = block.values["clear_sky"]
        run_start = int(block.unix_s[0]) - block.start_tick * block.dt_s
        hours_from_start = (block.mid_unix_s - run_start) / 3600.0
        last_hour = int(np.ceil(hours_from_start[-1])) + 1
        means = self.mean_cloud_cover if isinstance(self.mean_cloud_cover, list) else [self.mean_cloud_cover] * 12
        oktas = _cloud_chain(block.seed, self.persistence, tuple(means), run_start, last_hour // HOURS_PER_CHUNK + 1)
        out = np.empty((6, block.size))
        _kasten_czeplak(hours_from_start, oktas, clear.ghi, clear.dni, clear.dhi, block.values["sun"].zenith,
                        block.month, block.second_of_day, float(block.dt_s), float(self.transparency),
                        np.asarray(self.temp_min_c, dtype=np.float64), np.asarray(self.temp_max_c, dtype=np.float64),
                        float(self.wind_speed_m_s), out)
        return Weather(*out)


@njit(cache=True, nogil=True)
def _kasten_czeplak(hours_from_start, oktas, clear_ghi, clear_dni, clear_dhi, zenith, month, second_of_day, dt_s,
                    transparency, temp_min, temp_max, wind_speed, out):
    """The ``clouds`` model per tick into ``out`` [6, n]: GHI, DNI, DHI [W/m2], air temperature
    [degrees C], wind speed [m/s] and cloud cover [0..1].

    Cover: the hourly ``oktas`` [0..8] (hour ``h`` centred on ``h + 0.5`` hours from the run
    start), interpolated linearly at ``hours_from_start`` [h]. GHI: Kasten & Czeplak (1980),
    ``transparency * GHI_clear * (1 - 0.75 (N/8)^3.4)``; the diffuse fraction rises from the
    clear-sky one to 1 at overcast as ``(N/8)^2``; DNI closes ``GHI = DHI + DNI cos(zenith)``,
    capped at the clear-sky beam (``clear_*`` [W/m2], ``zenith`` [degrees]), the rest diffuse.
    Air temperature: a daily cosine from the month's ``temp_min`` at 05:00 up to its
    ``temp_max`` at 15:00 (rising over 10 h, falling over 14 h) at each tick's middle (local
    ``month`` 1..12, ``second_of_day`` [s] of the tick start, ``dt_s`` [s]).
    """
    last = oktas.shape[0] - 1
    previous_cover = -1.0
    clearness = 1.0
    # The temperature's daily shape depends on the time of day alone: a tick a day after one
    # with the same second of the day takes its number (the same number, one cosine fewer).
    per_day = 86_400 // int(dt_s) if 86_400 % int(dt_s) == 0 else 0
    shapes = np.empty(hours_from_start.shape[0])
    for i in range(hours_from_start.shape[0]):
        x = hours_from_start[i] - 0.5
        if x <= 0.0:
            okta = oktas[0]
        elif x >= last:
            okta = oktas[last]
        else:
            k = int(x)
            okta = oktas[k] + (oktas[k + 1] - oktas[k]) * (x - k)
        cover = okta / 8.0
        ghi = dni = dhi = 0.0
        if clear_ghi[i] > 0.0:
            if cover != previous_cover:  # the cover holds for hours on end
                clearness = transparency * (1.0 - 0.75 * cover ** 3.4)
                previous_cover = cover
            ghi = clear_ghi[i] * clearness
            clear_diffuse = clear_dhi[i] / clear_ghi[i]
            dhi = ghi * (clear_diffuse + (1.0 - clear_diffuse) * cover * cover)
            cos_zenith = np.cos(np.radians(zenith[i]))
            if cos_zenith > 0.01:
                dni = min(max((ghi - dhi) / cos_zenith, 0.0), clear_dni[i] * transparency)
                dhi = ghi - dni * cos_zenith
            else:
                dhi = ghi
        low = temp_min[month[i] - 1]
        high = temp_max[month[i] - 1]
        if per_day > 0 and i >= per_day and second_of_day[i - per_day] == second_of_day[i]:
            shape = shapes[i - per_day]
        else:
            hour = second_of_day[i] / 3600.0 + dt_s / 7200.0
            if 5.0 <= hour < 15.0:
                shape = 0.5 - 0.5 * np.cos(np.pi * ((hour - 5.0) / 10.0))
            else:
                shape = 0.5 + 0.5 * np.cos(np.pi * (((hour - 15.0) % 24.0) / 14.0))
        shapes[i] = shape
        out[0, i] = ghi
        out[1, i] = dni
        out[2, i] = dhi
        out[3, i] = low + (high - low) * shape
        out[4, i] = wind_speed
        out[5, i] = cover


@shared_cache(maxsize=16)
def _cloud_chain(seed: int, persistence: float, monthly_means: tuple[float, ...], run_start: int, chunks: int) -> np.ndarray:
    """Hourly cloud cover [oktas] from the run start, ``chunks * 8760`` hours long.

    Chunk ``c`` draws from its own generator seeded by ``(seed, c)`` and starts from the
    previous chunk's last state, so a longer chain starts with exactly the shorter one.
    """
    months = (
        np.asarray(
            (np.datetime64(run_start, "s") + np.arange(chunks * HOURS_PER_CHUNK) * np.timedelta64(3600, "s")).astype(
                "datetime64[M]"
            ),
            dtype=np.int64,
        )
        % 12
    )
    means = np.asarray(monthly_means)[months]
    oktas = np.empty(chunks * HOURS_PER_CHUNK, dtype=np.float64)
    state = None
    for chunk in range(chunks):
        rng = np.random.default_rng([seed, chunk])
        keep = rng.random(HOURS_PER_CHUNK) < persistence
        part = slice(chunk * HOURS_PER_CHUNK, (chunk + 1) * HOURS_PER_CHUNK)
        fresh = rng.binomial(8, means[part]).astype(np.float64)
        if state is None:
            keep[0] = False
        state = _markov_run(keep, fresh, -1.0 if state is None else state, oktas[part])
    return oktas


@njit(cache=True, nogil=True)
def _markov_run(keep, fresh, state, out):
    """Each hour keeps the previous hour's cover (``keep``) or takes its ``fresh`` draw
    [oktas], starting from ``state``; fills ``out`` and returns the last cover."""
    for i in range(keep.shape[0]):
        if not keep[i]:
            state = fresh[i]
        out[i] = state
    return state


def _from_file(path: Path, mid_unix_s: np.ndarray) -> Weather:
    centres, values, offset_s = read_weather_file(path)
    local = np.floor(mid_unix_s).astype(np.int64) + offset_s
    days = (local // 86_400).astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    month = (months - days.astype("datetime64[Y]").astype("datetime64[M]")).astype(np.int64) + 1
    day = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    seconds_of_year = typical_year_seconds(month, day, local % 86_400 + (mid_unix_s - np.floor(mid_unix_s)))
    columns = [np.interp(seconds_of_year, centres, row, period=SECONDS_PER_TYPICAL_YEAR) for row in values]
    ghi, dni, dhi = (np.maximum(c, 0.0) for c in columns[:3])
    return Weather(ghi, dni, dhi, columns[3], columns[4], np.full(mid_unix_s.shape, np.nan))
