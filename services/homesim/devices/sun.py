"""Sun: solar position and clear-sky irradiance for the home's location, one block at a time.

Position from a fast vectorized SPA (``solar_geometry``, within 0.01 degrees of pvlib's SPA);
clear-sky irradiance from the Ineichen model with a Linke turbidity (the atmosphere's
transparency: 2 very clear, 3 typical, 5+ hazy or polluted).
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import pvlib
from pydantic import Field

from homesim.devices.base import Block, DeviceConfig, day_of_year
from homesim.devices.solar_geometry import clear_sky, solar_position


class Config(DeviceConfig):
    """The sun over the home."""

    ROLE: ClassVar[str] = "environment"
    #: Environment devices fill the block in this order (sun before weather).
    ORDER: ClassVar[int] = 0

    kind: Literal["sun"] = "sun"
    linke_turbidity: Annotated[float, Field(ge=1.0, le=10.0, description="Linke turbidity (transparency)")] = 3.0

    def fill_block(self, block: Block) -> None:
        """Put ``sun`` (a ``SolarPosition``), ``clear_sky`` (ghi, dni, dhi [W/m2]) and
        ``dni_extra`` (extraterrestrial normal irradiance [W/m2]) in the block."""
        times = block.mid_unix_s
        position = solar_position(times, block.latitude, block.longitude, block.altitude)
        dni_extra = pvlib.irradiance.get_extra_radiation(day_of_year(times))
        block.values["sun"] = position
        block.values["dni_extra"] = dni_extra
        block.values["clear_sky"] = clear_sky(position.apparent_zenith, dni_extra, block.altitude, self.linke_turbidity)
