"""Sun: solar position and clear-sky irradiance for the home's location, one block at a time.

Position from a fast compiled SPA (``solar_geometry``, within 0.01 degrees of pvlib's SPA);
clear-sky irradiance from the Ineichen model with a Linke turbidity (the atmosphere's
transparency: 2 very clear, 3 typical, 5+ hazy or polluted).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from homesim import messages
from homesim.devices.base import Block, DeviceConfig, day_of_year
from homesim.devices.solar_geometry import clear_sky, solar_position


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
    linke_turbidity: Annotated[float, Field(ge=1.0, le=10.0, title="Haze",
                                            description="Linke turbidity: 2 very clear air, 5 hazy [ratio]")] = 3.0

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
