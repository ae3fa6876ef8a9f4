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
from typing import Annotated, Any, ClassVar, Literal, NamedTuple

import numpy as np
from homesim.jit import njit
from pydantic import Field, model_validator

from homesim import messages
from homesim.devices.base import Block, DeviceConfig, joules
from homesim.units import quantity
from homesim.devices.sun import approximate_elevation_deg

#: The Sandia Array Performance Model's cell-temperature parameters per mount: ``a`` [-], ``b``
#: [s/m] and ``deltaT`` [K] (King, Boyson & Kratochvil, "Photovoltaic Array Performance Model",
#: SAND2004-3535, table 1; as ``pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]``, which
#: tests/devices/test_pv_array.py checks them against). Written here so that a PV array's process
#: needs no pvlib (and no pandas or SciPy with it).
SAPM_MOUNTS = {
    "open_rack_glass_glass": {"a": -3.47, "b": -0.0594, "deltaT": 3},
    "close_mount_glass_glass": {"a": -2.98, "b": -0.0471, "deltaT": 1},
    "open_rack_glass_polymer": {"a": -3.56, "b": -0.075, "deltaT": 3},
    "insulated_back_glass_polymer": {"a": -2.81, "b": -0.0455, "deltaT": 0},
}
TEMPERATURE_MOUNTS = tuple(SAPM_MOUNTS)

#: Sky diffuse models, in the order the compiled chain numbers them.
TRANSPOSITIONS = ("perez", "haydavies", "isotropic")

#: Perez et al. (1990) 'allsitescomposite1990' coefficients (as ``pvlib.irradiance.perez``'s
#: default): one row per clearness bin, F11 F12 F13 F21 F22 F23.
_PEREZ_1990 = np.array([
    [-0.0080, 0.5880, -0.0620, -0.0600, 0.0720, -0.0220],
    [0.1300, 0.6830, -0.1510, -0.0190, 0.0660, -0.0290],
    [0.3300, 0.4870, -0.2210, 0.0550, -0.0640, -0.0260],
    [0.5680, 0.1870, -0.2950, 0.1090, -0.1520, -0.0140],
    [0.8730, -0.3920, -0.3620, 0.2260, -0.4620, 0.0010],
    [1.1320, -1.2370, -0.4120, 0.2880, -0.8230, 0.0560],
    [1.0600, -1.6000, -0.3590, 0.2640, -1.1270, 0.1310],
    [0.6780, -0.3270, -0.2500, 0.1560, -1.3770, 0.2510],
])

#: Upper bounds of Perez's sky clearness bins 1..7 (bin 8 is above the last) [-].
_PEREZ_EPSILON_BINS = np.array([1.065, 1.23, 1.5, 1.95, 2.8, 4.5, 6.2])


class Daylight(NamedTuple):
    """What every array of a block shares, at the ticks with the sun up and light on the
    ground: their indexes and, there, the sun's apparent zenith [degrees], its cosine and
    sine, the azimuth's cosine and sine [-], the relative airmass (Kasten & Young 1989) [-],
    extraterrestrial normal irradiance and the weather's DNI, GHI, DHI [W/m2], air
    temperature [degrees C] and wind speed [m/s]."""

    index: np.ndarray
    zenith: np.ndarray
    cos_zenith: np.ndarray
    sin_zenith: np.ndarray
    cos_azimuth: np.ndarray
    sin_azimuth: np.ndarray
    airmass: np.ndarray
    dni_extra: np.ndarray
    dni: np.ndarray
    ghi: np.ndarray
    dhi: np.ndarray
    temp_air: np.ndarray
    wind_speed: np.ndarray


def daylight(block: Block) -> Daylight:
    """The block's :class:`Daylight`, computed once and kept in ``block.values["daylight"]``."""
    if "daylight" not in block.values:
        sun = block.values["sun"]
        weather = block.values["weather"]
        index = np.flatnonzero((sun.apparent_zenith < 90.0) & (weather.ghi > 0.0))
        out = np.empty((12, index.size))
        _gather_daylight(index, sun.apparent_zenith, sun.azimuth, block.values["dni_extra"], weather.dni, weather.ghi,
                         weather.dhi, weather.temp_air, weather.wind_speed, out)
        block.values["daylight"] = Daylight(index, *out)
    return block.values["daylight"]


@njit(cache=True, nogil=True)
def _gather_daylight(index, apparent_zenith, azimuth, dni_extra, dni, ghi, dhi, temp_air, wind_speed, out):
    """:class:`Daylight`'s fields but the index, at ``index``, into ``out`` [12, m]; the relative
    airmass by Kasten & Young (1989), as ``pvlib.atmosphere.get_relative_airmass(zenith,
    "kastenyoung1989")`` [-] (``apparent_zenith``, ``azimuth`` [degrees])."""
    for j in range(index.shape[0]):
        i = index[j]
        zenith = apparent_zenith[i]
        z = np.radians(zenith)
        a = np.radians(azimuth[i])
        cos_zenith = np.cos(z)
        out[0, j] = zenith
        out[1, j] = cos_zenith
        out[2, j] = np.sin(z)
        out[3, j] = np.cos(a)
        out[4, j] = np.sin(a)
        out[5, j] = 1.0 / (cos_zenith + 0.50572 * (6.07995 + (90.0 - zenith)) ** -1.6364)
        out[6, j] = dni_extra[i]
        out[7, j] = dni[i]
        out[8, j] = ghi[i]
        out[9, j] = dhi[i]
        out[10, j] = temp_air[i]
        out[11, j] = wind_speed[i]


@njit(cache=True, nogil=True)
def _pvwatts_chain(zenith, cos_zenith, sin_zenith, cos_azimuth, sin_azimuth, airmass, dni_extra, dni, ghi, dhi,
                   temp_air, wind_speed, tilt, surface_azimuth, albedo, transposition, perez, a, b, delta_t,
                   pdc0, gamma_pdc, dc_loss, out):
    """DC power after losses [W] of an array into ``out``, one compiled pass per tick; the
    inputs as :class:`Daylight`'s fields (zenith [degrees]).

    The formulas of pvlib 0.16's PVWatts chain (``ModelChain.with_pvwatts``):
    ``irradiance.aoi_projection``; sky diffuse by ``irradiance.perez`` (Perez et al. 1990,
    kappa 1.041, 'allsitescomposite1990'), ``irradiance.haydavies`` (Hay & Davies 1980) or
    ``irradiance.isotropic``; ground diffuse ``irradiance.get_ground_diffuse``
    (``ghi * albedo * (1 - cos(tilt)) / 2``); beam ``max(dni cos(aoi), 0)``; the beam's
    incidence angle modifier ``iam.physical`` (De Soto et al. 2006: n 1.526, K 4 /m, L 2 mm);
    cell temperature ``temperature.sapm_cell`` (King et al. 2004: ``a``, ``b`` [-, s/m],
    ``delta_t`` [K] at 1000 W/m2); DC power ``pvsystem.pvwatts_dc`` (Dobos 2014: ``pdc0``
    [W], ``gamma_pdc`` [1/K] from 25 degrees C); then ``dc_loss`` [0..1]. ``tilt``,
    ``surface_azimuth`` [degrees]; ``albedo`` [0..1]; ``transposition`` indexes
    ``TRANSPOSITIONS``; ``perez``: the coefficient table [8, 6]. A NaN anywhere gives 0 W.
    """
    deg = np.pi / 180.0
    cos_tilt, sin_tilt = np.cos(tilt * deg), np.sin(tilt * deg)
    cos_surface, sin_surface = np.cos(surface_azimuth * deg), np.sin(surface_azimuth * deg)
    cos_85 = np.cos(85.0 * deg)
    isotropic = 0.5 * (1.0 + cos_tilt)
    ground_factor = albedo * (1.0 - cos_tilt) * 0.5
    kappa = 1.041
    n = 1.526
    glass = 4.0 * 0.002  # K * L
    rho_0 = ((1.0 - n) / (1.0 + n)) ** 2
    tau_0 = (1.0 - rho_0) * np.exp(-glass)
    wind = np.nan
    wind_factor = 0.0
    for i in range(zenith.shape[0]):
        if wind_speed[i] != wind:  # the wind is often constant
            wind = wind_speed[i]
            wind_factor = np.exp(a + b * wind)
        projection = cos_tilt * cos_zenith[i] + sin_tilt * sin_zenith[i] * (
            cos_azimuth[i] * cos_surface + sin_azimuth[i] * sin_surface)  # cos of the angle of incidence
        projection = min(max(projection, -1.0), 1.0)
        if transposition == 0:  # Perez
            if dhi[i] > 0.0:
                z = zenith[i] * deg
                brightness = dhi[i] * airmass[i] / dni_extra[i]
                z3 = kappa * z * z * z
                clearness = ((dhi[i] + dni[i]) / dhi[i] + z3) / (1.0 + z3)
                k = 0
                while k < 7 and clearness >= _PEREZ_EPSILON_BINS[k]:
                    k += 1
                f1 = max(perez[k, 0] + perez[k, 1] * brightness + perez[k, 2] * z, 0.0)
                f2 = perez[k, 3] + perez[k, 4] * brightness + perez[k, 5] * z
                circumsolar = max(projection, 0.0) / max(cos_zenith[i], cos_85)
                sky = max(dhi[i] * ((1.0 - f1) * isotropic + f1 * circumsolar + f2 * sin_tilt), 0.0)
            else:
                sky = 0.0
        elif transposition == 1:  # Hay & Davies
            ratio = max(projection, 0.0) / max(cos_zenith[i], 0.01745)
            anisotropy = dni[i] / dni_extra[i]
            sky = max(dhi[i] * (1.0 - anisotropy) * isotropic, 0.0) + max(dhi[i] * (anisotropy * ratio), 0.0)
        else:
            sky = dhi[i] * isotropic
        beam = max(dni[i] * projection, 0.0)
        diffuse = sky + ghi[i] * ground_factor
        # Physical IAM: Fresnel reflection at the glass (s and p polarization), absorption in it.
        cos_1 = max(projection, 0.0)
        sin_2 = np.sqrt(1.0 - cos_1 * cos_1) / n
        cos_2 = np.sqrt(1.0 - sin_2 * sin_2)
        rho_s = ((cos_1 - n * cos_2) / (cos_1 + n * cos_2)) ** 2
        rho_p = ((cos_2 - n * cos_1) / (cos_2 + n * cos_1)) ** 2
        iam = (1.0 - rho_s + 1.0 - rho_p) * np.exp(-glass / cos_2) / 2.0 / tau_0
        effective = beam * iam + diffuse
        poa_global = beam + diffuse
        temp_cell = poa_global * wind_factor + temp_air[i] + poa_global / 1000.0 * delta_t
        dc = effective * 0.001 * pdc0 * (1.0 + gamma_pdc * (temp_cell - 25.0))
        out[i] = max(dc, 0.0) * (1.0 - dc_loss) if dc == dc else 0.0


@functools.lru_cache(maxsize=1)
def cec_modules():
    """pvlib's CEC module database (a pandas DataFrame, one column per module)."""
    import pvlib

    return pvlib.pvsystem.retrieve_sam("CECMod")


#: The sun's elevation [degrees] below which a PV array's energy is taken as impossible: its
#: model gives none past an apparent zenith of 90 degrees; refraction (~0.6 degrees) and the
#: approximate position's error (< 0.5 degrees) stay well inside this margin.
NIGHT_ELEVATION_DEG = -2.0


class Config(DeviceConfig):
    """An array of identical modules at one tilt and azimuth."""

    ROLE: ClassVar[str] = "source"
    STATE_MODEL: ClassVar[type] = messages.SourceState
    LABEL: ClassVar[str] = "Solar panels"
    ICON: ClassVar[str] = "\N{BLACK SUN WITH RAYS}\N{VARIATION SELECTOR-16}"
    PALETTE_ORDER: ClassVar[int | None] = 10

    def runs_ahead(self) -> bool:
        return True  # what it can deliver depends on the sun and the weather alone

    def requires(self) -> tuple[str, ...]:
        return ("sun", "weather", "inverter")  # sunlight through the weather, into the inverter's DC bus

    kind: Literal["pv_array"] = "pv_array"
    rated_power_w: Annotated[float, Field(gt=0.0, le=1e7)] | None = quantity("W",
        default=None, title="Array power", description="DC rating of the whole array at STC; or give the modules")
    modules: Annotated[int, quantity("count", ge=1, le=10_000, title="Modules", description="number of panels")] = 1
    module_power_w: Annotated[float, Field(gt=0.0, le=5000.0)] | None = quantity("W",
        default=None, title="Module power", description="STC power of one panel, from its label")
    module_vmp_v: Annotated[float, Field(gt=0.0, le=1500.0)] | None = quantity("V",
        default=None, title="Module voltage", description="one panel's voltage at maximum power (Vmp)")
    module_imp_a: Annotated[float, Field(gt=0.0, le=100.0)] | None = quantity("A",
        default=None, title="Module current", description="one panel's current at maximum power (Imp)")
    module: str | None = Field(default=None, title="Module model",
                               description="a module name from pvlib's CEC database")
    tilt_deg: Annotated[float, quantity("degrees", ge=0.0, le=90.0, title="Tilt",
                                                   description="angle from horizontal: 0 flat, 90 upright")] = 30.0
    azimuth_deg: Annotated[
        float, quantity("degrees", ge=0.0, lt=360.0, title="Facing",
                                   description="compass direction, clockwise from north: 0 north, 90 east")
    ] = 0.0
    gamma_pdc_per_k: Annotated[float, Field(ge=-0.02, le=0.0)] | None = quantity("1/K",
        default=None, title="Temperature coefficient", description="power change per degree of cell temperature")
    dc_loss_fraction: Annotated[float, quantity("0..1", ge=0.0, lt=1.0, title="Losses",
                                                        description="soiling, wiring, mismatch...")] = 0.1408
    albedo: Annotated[float, quantity("0..1", ge=0.0, le=1.0, title="Ground reflectance",
                                              description="share of sunlight the ground reflects (albedo)")] = 0.25
    mount: Literal[TEMPERATURE_MOUNTS] = Field(  # type: ignore[valid-type]
        default="open_rack_glass_polymer", title="Mounting",
        description="how the panels are mounted (sets how hot they run)")
    transposition: Literal["perez", "haydavies", "isotropic"] = Field(
        default="perez", title="Sky model", description="how sky light is projected onto the panels")

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

    def power_limit_w(self) -> float:
        """Twice its STC rating [W]: the plane of the array gets at most ~1.4 kW/m2 (the
        extraterrestrial irradiance, ground reflection, cloud edges) and a cold cell gives up
        to ~20 % more than at 25 degrees C; 2x bounds both (``implausible``)."""
        return 2.0 * self.rated_w()

    def implausible(self, event: dict[str, Any], mid_unix_s: float, dt_s: int, latitude: float,
                    longitude: float) -> str | None:
        """Beyond :meth:`power_limit_w`, or any energy with the sun more than
        ``NIGHT_ELEVATION_DEG`` below the horizon at the tick's middle (its model gives none
        with the sun's apparent zenith past 90 degrees: :func:`daylight`)."""
        available = int(event.get("available_j", 0))
        if available > 0:
            elevation = approximate_elevation_deg(mid_unix_s, latitude, longitude)
            if elevation < NIGHT_ELEVATION_DEG:
                return (f"available_j {available} J with the sun {-elevation:.1f} degrees below the horizon: a PV "
                        "array gives none at night")
        return super().implausible(event, mid_unix_s, dt_s, latitude, longitude)

    def gamma_pdc(self) -> float:
        """Power temperature coefficient [1/K]."""
        if self.gamma_pdc_per_k is not None:
            return self.gamma_pdc_per_k
        if self.module is not None:
            return float(cec_modules()[self.module]["gamma_r"]) / 100.0
        return -0.0037

    def dc_power_w(self, block: Block) -> np.ndarray:
        """DC power at each tick's middle, after DC losses [W] (0 with the sun down)."""
        day = daylight(block)
        power = np.zeros(block.size)
        if day.index.size == 0:
            return power
        mount = SAPM_MOUNTS[self.mount]
        dc = np.empty(day.index.size)
        _pvwatts_chain(day.zenith, day.cos_zenith, day.sin_zenith, day.cos_azimuth, day.sin_azimuth, day.airmass,
                       day.dni_extra, day.dni, day.ghi, day.dhi, day.temp_air, day.wind_speed,
                       float(self.tilt_deg), float(self.azimuth_deg), float(self.albedo),
                       TRANSPOSITIONS.index(self.transposition), _PEREZ_1990,
                       float(mount["a"]), float(mount["b"]), float(mount["deltaT"]),
                       float(self.rated_w()), float(self.gamma_pdc()), float(self.dc_loss_fraction), dc)
        power[day.index] = dc
        return power

    def available_j(self, block: Block) -> np.ndarray:
        """DC energy the array can deliver in each tick [J] (0 when disabled)."""
        if not self.enabled:
            return np.zeros(block.size, dtype=np.int64)
        return joules(self.dc_power_w(block), block.dt_s)
