"""Lights: a home's lighting, on in its windows."""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from homesim.devices.base import Block, LoadConfig, Window, windows_mask


class Config(LoadConfig):
    """The lights of a home (or a room)."""

    kind: Literal["lights"] = "lights"
    power_w: Annotated[float, Field(gt=0.0, le=20_000.0, description="all on [W]")] = 150.0
    on: list[Window] = Field(
        default_factory=lambda: [Window(start="05:30", end="07:00"), Window(start="17:30", end="23:00")]
    )

    def profile_w(self, block: Block) -> np.ndarray:
        return np.where(windows_mask(self.on, block.second_of_day, block.weekday), self.power_w, 0.0)
