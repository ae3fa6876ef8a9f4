"""Kettle: boils a fill of water at each use; it runs for as long as that takes at its power."""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from homesim.devices.base import WATER_J_PER_KG_K, Block, LoadConfig, TimeOfDay, Window, overlap_s, seconds_of_day


class Config(LoadConfig):
    """An electric kettle."""

    kind: Literal["kettle"] = "kettle"
    power_w: Annotated[float, Field(gt=0.0, le=5000.0, description="[W]")] = 2200.0
    litres: Annotated[float, Field(gt=0.0, le=5.0, description="water per boil [L]")] = 1.0
    inlet_c: Annotated[float, Field(ge=0.0, le=99.0, description="[degrees C]")] = 15.0
    efficiency: Annotated[float, Field(gt=0.1, le=1.0)] = 0.9
    uses: list[TimeOfDay] = Field(default_factory=lambda: ["06:30", "07:30", "10:30", "13:00", "16:00", "19:30"])
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] | None = None

    def boil_s(self) -> float:
        """Time one boil takes [s]."""
        return self.litres * WATER_J_PER_KG_K * (100.0 - self.inlet_c) / self.efficiency / self.power_w

    def profile_w(self, block: Block) -> np.ndarray:
        seconds = np.zeros(block.size)
        for use in self.uses:
            start = seconds_of_day(use)
            seconds += overlap_s(block, start, start + self.boil_s())
        if self.days is not None:
            seconds *= Window(start="00:00", end="24:00", days=self.days).mask(block.second_of_day, block.weekday)
        return self.power_w * seconds / block.dt_s
