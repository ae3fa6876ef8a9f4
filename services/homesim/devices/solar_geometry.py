"""Solar geometry, vectorized and fast: NREL's SPA with its slow terms on a coarse grid.

The Solar Position Algorithm (Reda & Andreas 2004, as in ``pvlib.spa``) spends nearly all of
its time in the heliocentric series (VSOP87) and nutation, which change slowly: the sun's
geocentric right ascension and declination move about a degree a day. Those are evaluated
every 12 hours and interpolated by cubic polynomials. Sidereal time, hour angle and parallax
are then computed exactly every 10 minutes (compiled with numba) as the sun's unit direction
vector, which each instant interpolates (cubic: the vector turns smoothly, unlike the azimuth
near the zenith) before refraction, zenith and azimuth. Against pvlib's SPA over a year at five
places: zenith within 2e-6 degrees, azimuth within 2e-5 degrees (the sun above -5 degrees and
more than 0.5 degrees from the zenith).
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

import numpy as np
from homesim.devices.memo import shared_cache
from homesim.jit import njit

#: Spacing of the grid the slow terms are evaluated on [s]; grid points are multiples of it.
GRID_S = 43200.0

#: Spacing of the exact directions each instant's direction is interpolated from [s].
POSITION_STEP_S = 600.0

#: Grid points per cached chunk (366 days: pvlib's SPA costs mostly per call, not per point).
CHUNK_POINTS = 732

#: Atmospheric refraction at sunrise/sunset [degrees], as SPA.
ATMOS_REFRACT = 0.5667


class SolarPosition(NamedTuple):
    """Where the sun is [degrees]."""

    zenith: np.ndarray
    apparent_zenith: np.ndarray  # with refraction
    azimuth: np.ndarray  # clockwise from north
    elevation: np.ndarray
    apparent_elevation: np.ndarray


class ClearSky(NamedTuple):
    """Clear-sky irradiance [W/m2]."""

    ghi: np.ndarray
    dni: np.ndarray
    dhi: np.ndarray


@functools.lru_cache(maxsize=1)
def pvlib_spa() -> ModuleType:
    """pvlib's SPA module (``pvlib/spa.py``: numpy only), loaded from its file without importing
    the ``pvlib`` package, which loads pandas and SciPy: a sun process stays light."""
    if "pvlib.spa" in sys.modules:
        return sys.modules["pvlib.spa"]
    found = importlib.util.find_spec("pvlib")
    assert found is not None and found.submodule_search_locations, "pvlib is not installed"
    spec = importlib.util.spec_from_file_location("homesim_pvlib_spa",
                                                  Path(found.submodule_search_locations[0]) / "spa.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def alt2pres(altitude: float) -> float:
    """Air pressure of the standard atmosphere at ``altitude`` [m] [Pa]: ``100 ((44331.514 - h)
    / 11880.516) ^ (1 / 0.1902632)`` (the U.S. Standard Atmosphere 1976 below 11 km, as
    ``pvlib.atmosphere.alt2pres``; tests/devices/test_solar_geometry.py checks it is the same
    number)."""
    return 100 * ((44331.514 - altitude) / 11880.516) ** (1 / 0.1902632)


def _slow_terms(unix_s: np.ndarray, delta_t: float):
    """Geocentric right ascension and declination, the nutation correction of sidereal time
    and the equatorial horizontal parallax [degrees] at ``unix_s``."""
    spa = pvlib_spa()

    jd = spa.julian_day(unix_s)
    jde = spa.julian_ephemeris_day(jd, delta_t)
    jce = spa.julian_ephemeris_century(jde)
    jme = spa.julian_ephemeris_millennium(jce)
    radius = spa.heliocentric_radius_vector(jme)
    theta = spa.geocentric_longitude(spa.heliocentric_longitude(jme))
    beta = spa.geocentric_latitude(spa.heliocentric_latitude(jme))
    x0 = spa.mean_elongation(jce)
    x1 = spa.mean_anomaly_sun(jce)
    x2 = spa.mean_anomaly_moon(jce)
    x3 = spa.moon_argument_latitude(jce)
    x4 = spa.moon_ascending_longitude(jce)
    nutation = np.empty((2, jce.shape[0]))
    spa.longitude_obliquity_nutation(jce, x0, x1, x2, x3, x4, nutation)
    delta_psi, delta_epsilon = nutation
    epsilon = spa.true_ecliptic_obliquity(spa.mean_ecliptic_obliquity(jme), delta_epsilon)
    lamd = spa.apparent_sun_longitude(theta, delta_psi, spa.aberration_correction(radius))
    alpha = spa.geocentric_sun_right_ascension(lamd, epsilon, beta)
    delta = spa.geocentric_sun_declination(lamd, epsilon, beta)
    nutation = delta_psi * np.cos(np.radians(epsilon))
    return alpha, delta, nutation, spa.equatorial_horizontal_parallax(radius)


@shared_cache(maxsize=64)
def _chunk(index: int, delta_t: float) -> tuple[np.ndarray, ...]:
    """The grid times [s] and slow terms of chunk ``index`` of the absolute grid.

    Chunks are fixed in absolute time, so a grid point's values never depend on which
    instants were asked for: every caller gets the same numbers for the same time.
    """
    grid = GRID_S * (index * CHUNK_POINTS + np.arange(CHUNK_POINTS, dtype=np.float64))
    return (grid, *_slow_terms(grid, delta_t))


def solar_position(unix_s, latitude: float, longitude: float, altitude: float = 0.0,
                   pressure: float | None = None, temperature: float = 12.0,
                   delta_t: float = 67.0) -> SolarPosition:
    """Solar position at each instant, vectorized.

    Parameters
    ----------
    unix_s : ndarray
        Instants, seconds since 1970-01-01 UTC [s].
    latitude, longitude : float
        [degrees], north and east positive.
    altitude : float
        Above sea level [m].
    pressure : float, optional
        Air pressure [Pa]; default from the altitude (``pvlib.atmosphere.alt2pres``).
    temperature : float
        Air temperature for refraction [degrees C].
    delta_t : float
        Terrestrial minus universal time [s] (pvlib's default).

    Returns
    -------
    SolarPosition
    """
    spa = pvlib_spa()

    times = np.asarray(unix_s, dtype=np.float64)
    if times.size == 0:
        empty = np.zeros(0)
        return SolarPosition(empty, empty, empty, empty, empty)
    pressure_mbar = (alt2pres(altitude) if pressure is None else pressure) / 100.0
    # The exact direction every POSITION_STEP_S (absolute multiples, so any instant is always
    # interpolated between the same directions), from one step before the first instant to two
    # after the last.
    first_step = int(np.floor(times.min() / POSITION_STEP_S)) - 1
    last_step = int(np.floor(times.max() / POSITION_STEP_S)) + 2
    steps = POSITION_STEP_S * np.arange(first_step, last_step + 1, dtype=np.float64)
    first_point = int(np.floor(steps[0] / GRID_S)) - 1
    last_point = int(np.floor(steps[-1] / GRID_S)) + 2
    chunks = [_chunk(c, float(delta_t)) for c in range(first_point // CHUNK_POINTS, last_point // CHUNK_POINTS + 1)]
    grid, alpha, delta, nutation, xi = (np.concatenate(parts) for parts in zip(*chunks))
    alpha = np.unwrap(alpha, period=360.0)
    u = spa.uterm(latitude)
    directions = np.empty((3, steps.shape[0]))
    _topocentric_directions(steps, grid, alpha, delta, nutation, xi, float(latitude), float(longitude),
                            float(spa.xterm(u, latitude, altitude)), float(spa.yterm(u, latitude, altitude)),
                            directions)
    out = np.empty((5, times.shape[0]))
    _angles(times, steps[0], POSITION_STEP_S, directions, float(pressure_mbar), float(temperature), out)
    return SolarPosition(*out)


@njit(cache=True, nogil=True, inline="always")
def _lagrange4(f):
    """Weights of the 4-point Lagrange polynomial through points -1, 0, 1, 2 at ``f`` in [0, 1)."""
    return (-f * (f - 1.0) * (f - 2.0) / 6.0, (f + 1.0) * (f - 1.0) * (f - 2.0) / 2.0,
            -(f + 1.0) * f * (f - 2.0) / 2.0, (f + 1.0) * f * (f - 1.0) / 6.0)


@njit(cache=True, nogil=True, inline="always")
def _weighted(w, values, k):
    """``values`` around ``k`` weighted by :func:`_lagrange4`'s ``w``."""
    return w[0] * values[k - 1] + w[1] * values[k] + w[2] * values[k + 1] + w[3] * values[k + 2]


@njit(cache=True, nogil=True)
def _topocentric_directions(times, grid, alpha_grid, delta_grid, nutation_grid, xi_grid, latitude, longitude,
                            x, y, out):
    """The sun's topocentric direction without refraction, as a unit vector (east, north, up)
    [-], at each of ``times`` [s since 1970 UTC], into ``out`` [3, n].

    SPA's per-instant steps (Reda & Andreas 2004, eq. 33-44, as ``pvlib.spa``): the slow terms
    (right ascension ``alpha_grid`` unwrapped, declination ``delta_grid``, nutation of
    sidereal time ``nutation_grid``, parallax ``xi_grid`` [degrees]) interpolated by 4-point
    Lagrange polynomials from ``grid`` [s, evenly spaced, from one point before ``times`` to
    two after]; then sidereal time,
    hour angle and the topocentric parallax correction. ``latitude``, ``longitude``
    [degrees]; ``x``, ``y``: SPA's observer terms (``spa.xterm``, ``spa.yterm``) [-].
    """
    deg = np.pi / 180.0
    phi = latitude * deg
    sin_phi, cos_phi = np.sin(phi), np.cos(phi)
    step = grid[1] - grid[0]
    for i in range(times.shape[0]):
        t = times[i]
        k = min(max(int(np.floor((t - grid[0]) / step)), 1), grid.shape[0] - 3)
        f = (t - grid[k]) / step
        w = _lagrange4(f)
        alpha = _weighted(w, alpha_grid, k) % 360.0
        delta = _weighted(w, delta_grid, k)
        nutation = _weighted(w, nutation_grid, k)
        xi = _weighted(w, xi_grid, k)
        jd = t / 86400.0 + 2440587.5  # spa.julian_day
        jc = (jd - 2451545.0) / 36525.0  # spa.julian_century
        nu = (280.46061837 + 360.98564736629 * (jd - 2451545.0) + 0.000387933 * jc * jc
              - jc * jc * jc / 38710000.0) % 360.0 + nutation  # spa.mean_sidereal_time + nutation
        hour = ((nu + longitude - alpha) % 360.0) * deg
        dec = delta * deg
        sin_xi = np.sin(xi * deg)
        cos_dec = np.cos(dec)
        cos_hour = np.cos(hour)
        denominator = cos_dec - x * sin_xi * cos_hour
        delta_alpha = np.arctan2(-x * sin_xi * np.sin(hour), denominator)
        dec_prime = np.arctan2((np.sin(dec) - y * sin_xi) * np.cos(delta_alpha), denominator)
        hour_prime = hour - delta_alpha
        sin_dec_prime, cos_dec_prime = np.sin(dec_prime), np.cos(dec_prime)
        cos_hour_prime = np.cos(hour_prime)
        # SPA's azimuth is atan2(sin H', cos H' sin(phi) - tan(dec') cos(phi)) + 180 degrees.
        out[0, i] = -cos_dec_prime * np.sin(hour_prime)
        out[1, i] = -(cos_dec_prime * cos_hour_prime * sin_phi - sin_dec_prime * cos_phi)
        out[2, i] = sin_phi * sin_dec_prime + cos_phi * cos_dec_prime * cos_hour_prime


@njit(cache=True, nogil=True)
def _angles(times, first_step, step, directions, pressure_mbar, temperature, out):
    """Zenith, apparent zenith, azimuth, elevation and apparent elevation [degrees] at ``times``
    [s] into ``out`` [5, n], from unit vectors ``directions`` [3, m] (east, north, up) at
    ``first_step + j * step`` [s] interpolated by 4-point Lagrange polynomials and normalized
    (the sun turns 2.5 degrees in 600 s: the error is below 1e-7 rad), with SPA's refraction
    (``spa.atmospheric_refraction_correction``, Reda & Andreas 2004 eq. 42)."""
    for i in range(times.shape[0]):
        s = (times[i] - first_step) / step
        j = min(max(int(np.floor(s)), 1), directions.shape[1] - 3)
        w = _lagrange4(s - j)
        east = _weighted(w, directions[0], j)
        north = _weighted(w, directions[1], j)
        up = _weighted(w, directions[2], j)
        elevation = np.degrees(np.arctan2(up, np.sqrt(east * east + north * north)))
        refraction = 0.0
        if elevation >= -1.0 * (0.26667 + ATMOS_REFRACT):
            refraction = ((pressure_mbar / 1010.0) * (283.0 / (273.0 + temperature)) * 1.02
                          / (60.0 * np.tan(np.radians(elevation + 10.3 / (elevation + 5.11)))))
        apparent_elevation = elevation + refraction
        out[0, i] = 90.0 - elevation
        out[1, i] = 90.0 - apparent_elevation
        azimuth = np.degrees(np.arctan2(east, north))
        out[2, i] = azimuth + 360.0 if azimuth < 0.0 else azimuth
        out[3, i] = elevation
        out[4, i] = apparent_elevation


def clear_sky(apparent_zenith, dni_extra, altitude: float, linke_turbidity: float = 3.0) -> ClearSky:
    """Ineichen clear-sky irradiance [W/m2]; zero with the sun below the horizon.

    Parameters
    ----------
    apparent_zenith : ndarray
        [degrees]
    dni_extra : ndarray
        Extraterrestrial normal irradiance [W/m2] (``pvlib.irradiance.get_extra_radiation``).
    altitude : float
        [m]
    linke_turbidity : float
        Atmospheric turbidity (transparency): 2 very clear .. 5+ hazy.
    """
    zenith = np.asarray(apparent_zenith, dtype=np.float64)
    out = np.zeros((3, zenith.shape[0]))
    _ineichen(zenith, np.broadcast_to(np.asarray(dni_extra, dtype=np.float64), zenith.shape),
              float(alt2pres(altitude)), float(altitude), float(linke_turbidity), out)
    return ClearSky(*out)


@njit(cache=True, nogil=True)
def _ineichen(apparent_zenith, dni_extra, pressure, altitude, tl, out):
    """Ineichen & Perez (2002) clear-sky GHI, DNI, DHI [W/m2] into ``out`` [3, n], 0 with the sun
    at or below the horizon; as ``pvlib.clearsky.ineichen`` (``perez_enhancement=False``) on
    the absolute Kasten & Young (1989) airmass (``pvlib.atmosphere``) at ``pressure`` [Pa].
    ``apparent_zenith`` [degrees], ``dni_extra`` [W/m2], ``altitude`` [m], ``tl``: Linke
    turbidity [-]."""
    fh1 = np.exp(-altitude / 8000.0)
    fh2 = np.exp(-altitude / 1250.0)
    cg1 = 5.09e-05 * altitude + 0.868
    cg2 = 3.92e-05 * altitude + 0.0387
    b = 0.664 + 0.163 / fh1
    correction = 1.0 - (0.1 - 0.2 * np.exp(-tl)) / (0.1 + 0.882 / fh1)
    for i in range(apparent_zenith.shape[0]):
        z = apparent_zenith[i]
        if not z < 90.0:
            continue
        cos_z = np.cos(np.radians(z))
        cos_zenith = max(cos_z, 0.0)
        relative = 1.0 / (cos_z + 0.50572 * (6.07995 + (90.0 - z)) ** -1.6364)
        airmass = relative * pressure / 101325.0
        ghi = cg1 * dni_extra[i] * cos_zenith * max(np.exp(-cg2 * airmass * (fh1 + fh2 * (tl - 1.0))), 0.0)
        bnci = dni_extra[i] * max(b * np.exp(-0.09 * airmass * (tl - 1.0)), 0.0)
        bnci_2 = ghi * min(max(correction / cos_zenith, 0.0), 1e20) if cos_zenith > 0.0 else ghi * 1e20
        dni = min(bnci, bnci_2)
        out[0, i] = ghi
        out[1, i] = dni
        out[2, i] = ghi - dni * cos_zenith
