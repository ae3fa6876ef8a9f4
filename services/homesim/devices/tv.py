"""TV: its power while watched, standby otherwise."""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from homesim.devices.base import Block, LoadConfig, Window, windows_mask


class Config(LoadConfig):
    """A television (or any appliance with an on power and a standby power)."""

    kind: Literal["tv"] = "tv"
    power_w: Annotated[float, Field(gt=0.0, le=5000.0, description="while on [W]")] = 100.0
    standby_w: Annotated[float, Field(ge=0.0, le=100.0, description="while off [W]")] = 0.5
    watching: list[Window] = Field(default_factory=lambda: [Window(start="18:00", end="22:30")])

    def profile_w(self, block: Block) -> np.ndarray:
        on = windows_mask(self.watching, block.second_of_day, block.weekday)
        return np.where(on, self.power_w, self.standby_w)
