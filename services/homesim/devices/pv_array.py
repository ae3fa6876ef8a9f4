"""PV array: DC energy available from a string of modules, per tick, with pvlib's PVWatts chain.

Sun -> weather -> PV: plane-of-array irradiance by transposition (Perez by default, as
pvlib's ``ModelChain.with_pvwatts``), beam reflection losses (physical IAM), cell temperature
(SAPM), DC power ``pvwatts_dc`` with the temperature coefficient ``gamma_pdc``, then DC losses
(soiling, wiring, mismatch...: PVWatts' 14.08 % by default). The inverter's MPPT takes what the
dispatch can use; the rest is curtailed.

Rated power, one of:
``rated_power_w`` / ``modules * module_power_w`` / ``modules * module_vmp_v * module_imp_a`` /
``modules`` of a ``module`` from pvlib's CEC database (its STC power and temperature
coefficient).
"""

from __future__ import annotations

import functools
from typing import Annotated, ClassVar, Literal

import numpy as np
import pvlib
from pydantic import Field, model_validator

from homesim.devices.base import Block, DeviceConfig, joules

TEMPERATURE_MOUNTS = tuple(pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"])


@functools.lru_cache(maxsize=1)
def cec_modules():
    """pvlib's CEC module database (a pandas DataFrame, one column per module)."""
    return pvlib.pvsystem.retrieve_sam("CECMod")


class Config(DeviceConfig):
    """An array of identical modules at one tilt and azimuth."""

    ROLE: ClassVar[str] = "source"

    kind: Literal["pv_array"] = "pv_array"
    rated_power_w: Annotated[float, Field(gt=0.0, le=1e7, description="DC rating at STC [W]")] | None = None
    modules: Annotated[int, Field(ge=1, le=10_000)] = 1
    module_power_w: Annotated[float, Field(gt=0.0, le=5000.0, description="STC power of one module [W]")] | None = None
    module_vmp_v: Annotated[float, Field(gt=0.0, le=1500.0, description="voltage at max power [V]")] | None = None
    module_imp_a: Annotated[float, Field(gt=0.0, le=100.0, description="current at max power [A]")] | None = None
    module: str | None = Field(default=None, description="a module name from pvlib's CEC database")
    tilt_deg: Annotated[float, Field(ge=0.0, le=90.0, description="from horizontal [degrees]")] = 30.0
    azimuth_deg: Annotated[
        float, Field(ge=0.0, lt=360.0, description="facing, clockwise from north [degrees]: 0 north, 90 east")
    ] = 0.0
    gamma_pdc_per_k: Annotated[float, Field(ge=-0.02, le=0.0, description="power temperature coefficient [1/K]")] | None = None
    dc_loss_fraction: Annotated[float, Field(ge=0.0, lt=1.0, description="soiling, wiring, mismatch... [0..1]")] = 0.1408
    albedo: Annotated[float, Field(ge=0.0, le=1.0)] = 0.25
    mount: Literal[TEMPERATURE_MOUNTS] = "open_rack_glass_polymer"  # type: ignore[valid-type]
    transposition: Literal["perez", "haydavies", "isotropic"] = "perez"

    @model_validator(mode="after")
    def _one_rating(self) -> "Config":
        ways = [
            self.rated_power_w is not None,
            self.module_power_w is not None,
            self.module_vmp_v is not None or self.module_imp_a is not None,
            self.module is not None,
        ]
        if sum(ways) != 1:
            raise ValueError(
                "give the rating one way: rated_power_w, or module_power_w, or module_vmp_v and "
                "module_imp_a, or module (a CEC module name)"
            )
        if ways[2] and (self.module_vmp_v is None or self.module_imp_a is None):
            raise ValueError("module_vmp_v and module_imp_a go together")
        if self.module is not None and self.module not in cec_modules().columns:
            raise ValueError(f"module {self.module!r} is not in pvlib's CEC module database")
        return self

    def rated_w(self) -> float:
        """DC rating of the whole array at STC [W]."""
        if self.rated_power_w is not None:
            return self.rated_power_w
        if self.module_power_w is not None:
            return self.modules * self.module_power_w
        if self.module is not None:
            spec = cec_modules()[self.module]
            return self.modules * float(spec["V_mp_ref"]) * float(spec["I_mp_ref"])
        return self.modules * self.module_vmp_v * self.module_imp_a  # type: ignore[operator]

    def gamma_pdc(self) -> float:
        """Power temperature coefficient [1/K]."""
        if self.gamma_pdc_per_k is not None:
            return self.gamma_pdc_per_k
        if self.module is not None:
            return float(cec_modules()[self.module]["gamma_r"]) / 100.0
        return -0.0037

    def dc_power_w(self, block: Block) -> np.ndarray:
        """DC power at each tick's middle, after DC losses [W] (0 with the sun down)."""
        sun = block.values["sun"]
        weather = block.values["weather"]
        day = (sun.apparent_zenith < 90.0) & (weather.ghi > 0.0)
        power = np.zeros(block.size)
        if not day.any():
            return power
        zenith, azimuth = sun.apparent_zenith[day], sun.azimuth[day]
        airmass = np.nan_to_num(pvlib.atmosphere.get_relative_airmass(zenith, "kastenyoung1989"), nan=0.0)
        poa = pvlib.irradiance.get_total_irradiance(
            self.tilt_deg, self.azimuth_deg, zenith, azimuth,
            weather.dni[day], weather.ghi[day], weather.dhi[day],
            dni_extra=block.values["dni_extra"][day], airmass=airmass, albedo=self.albedo, model=self.transposition,
        )
        aoi = pvlib.irradiance.aoi(self.tilt_deg, self.azimuth_deg, zenith, azimuth)
        beam = np.nan_to_num(np.asarray(poa["poa_direct"], dtype=np.float64))
        diffuse = np.nan_to_num(np.asarray(poa["poa_diffuse"], dtype=np.float64))
        effective = beam * pvlib.iam.physical(aoi) + diffuse
        mount = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"][self.mount]
        poa_global = np.nan_to_num(np.asarray(poa["poa_global"], dtype=np.float64))
        temp_cell = pvlib.temperature.sapm_cell(poa_global, weather.temp_air[day], weather.wind_speed[day], **mount)
        dc = pvlib.pvsystem.pvwatts_dc(effective, temp_cell, self.rated_w(), self.gamma_pdc())
        power[day] = np.maximum(np.nan_to_num(np.asarray(dc, dtype=np.float64)), 0.0) * (1.0 - self.dc_loss_fraction)
        return power

    def available_j(self, block: Block) -> np.ndarray:
        """DC energy the array can deliver in each tick [J] (0 when disabled)."""
        if not self.enabled:
            return np.zeros(block.size, dtype=np.int64)
        return joules(self.dc_power_w(block), block.dt_s)
