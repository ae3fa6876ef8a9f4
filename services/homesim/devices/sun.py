"""Sun: solar position and clear-sky irradiance for the home's location, one block at a time.

Position from a fast compiled SPA (``solar_geometry``, within 0.01 degrees of pvlib's SPA);
clear-sky irradiance from the Ineichen model with a Linke turbidity (the atmosphere's
transparency: 2 very clear, 3 typical, 5+ hazy or polluted).
"""

from __future__ import annotations

import functools
import datetime as dt
import math
from typing import Annotated, Any, ClassVar, Literal

import numpy as np

from homesim import messages
from homesim.devices.base import Block, DeviceConfig, day_of_year
from homesim.devices.solar_geometry import clear_sky, solar_position
from homesim.units import quantity


def extra_radiation(unix_s: np.ndarray) -> np.ndarray:
    """Extraterrestrial normal irradiance [W/m2] at instants [s since 1970 UTC], sorted.

    Spencer (1971) on the UTC day of the year, the formula of
    ``pvlib.irradiance.get_extra_radiation`` (method 'spencer', solar constant 1366.1 W/m2);
    it changes once a day, so it is evaluated once per day.
    """
    days = np.floor(np.asarray(unix_s, dtype=np.float64) / 86_400.0).astype(np.int64)
    first = int(days[0])
    day_angle = (2.0 * np.pi / 365.0) * (day_of_year(np.arange(first, int(days[-1]) + 1) * 86_400) - 1)
    distance = (1.00011 + 0.034221 * np.cos(day_angle) + 0.00128 * np.sin(day_angle)
                + 0.000719 * np.cos(2 * day_angle) + 7.7e-05 * np.sin(2 * day_angle))  # (R0 / R)^2
    return (1366.1 * distance)[days - first]


def approximate_elevation_deg(unix_s: float, latitude: float, longitude: float) -> float:
    """The sun's elevation above the horizon [degrees] at an instant [s since 1970 UTC], without
    refraction, by NOAA's "General Solar Position Calculations" (the fractional-year series
    of Spencer 1971 for the equation of time and the declination; NOAA Global Monitoring
    Laboratory): within a few tenths of a degree of the SPA (``solar_geometry``), plain Python,
    for checks that need no block (the live inverter's: no PV with the sun well below the
    horizon)."""
    # fractional year [rad]: NOAA's (day of year - 1 + (hour - 12) / 24)
    gamma = 2.0 * math.pi / 365.0 * ((unix_s - _year_start_unix_s(int(unix_s // 86_400))) / 86_400.0 - 0.5)
    eqtime = 229.18 * (0.000075 + 0.001868 * math.cos(gamma) - 0.032077 * math.sin(gamma)
                       - 0.014615 * math.cos(2 * gamma) - 0.040849 * math.sin(2 * gamma))  # [min]
    decl = (0.006918 - 0.399912 * math.cos(gamma) + 0.070257 * math.sin(gamma) - 0.006758 * math.cos(2 * gamma)
            + 0.000907 * math.sin(2 * gamma) - 0.002697 * math.cos(3 * gamma) + 0.00148 * math.sin(3 * gamma))  # [rad]
    minutes = (unix_s % 86_400.0) / 60.0 + eqtime + 4.0 * longitude  # true solar time [min]
    hour_angle = math.radians(minutes / 4.0 - 180.0)
    lat = math.radians(latitude)
    sin_elevation = math.sin(lat) * math.sin(decl) + math.cos(lat) * math.cos(decl) * math.cos(hour_angle)
    return math.degrees(math.asin(max(-1.0, min(1.0, sin_elevation))))


@functools.lru_cache(maxsize=64)
def _year_start_unix_s(day: int) -> float:
    """1 January 00:00 UTC of the year of a UTC day (days since 1970) [s since 1970 UTC]."""
    year = (dt.date(1970, 1, 1) + dt.timedelta(days=day)).year
    return dt.datetime(year, 1, 1, tzinfo=dt.timezone.utc).timestamp()


class Config(DeviceConfig):
    """The sun over the home."""

    ROLE: ClassVar[str] = "environment"
    ONE_PER_HOME: ClassVar[bool] = True
    METRICS: ClassVar[frozenset[str]] = frozenset()  # no flow: PV draws on it
    STATE_MODEL: ClassVar[type] = messages.SunState
    #: Environment devices fill the block in this order (sun before weather).
    ORDER: ClassVar[int] = 0

    LABEL: ClassVar[str] = "Sun"
    ICON: ClassVar[str] = "\N{SUN WITH FACE}"

    kind: Literal["sun"] = "sun"
    linke_turbidity: Annotated[float, quantity("ratio", ge=1.0, le=10.0, title="Haze",
                                                        description="Linke turbidity: 2 very clear air, 5 hazy")] = 3.0

    def seeded(self) -> bool:
        return False  # the same path every year

    def observed(self, values: dict[str, Any], t: int) -> dict[str, Any]:
        return {"zenith_deg": float(values["sun"].apparent_zenith[t]), "azimuth_deg": float(values["sun"].azimuth[t]),
                "clear_sky_ghi_w_m2": float(values["clear_sky"].ghi[t])}

    def fill_block(self, block: Block) -> None:
        """Put ``sun`` (a ``SolarPosition``), ``clear_sky`` (ghi, dni, dhi [W/m2]) and
        ``dni_extra`` (extraterrestrial normal irradiance [W/m2]) in the block."""
        times = block.mid_unix_s
        position = solar_position(times, block.latitude, block.longitude, block.altitude)
        dni_extra = extra_radiation(times)
        block.values["sun"] = position
        block.values["dni_extra"] = dni_extra
        block.values["clear_sky"] = clear_sky(position.apparent_zenith, dni_extra, block.altitude, self.linke_turbidity)
