"""Solar geometry, vectorized and fast: NREL's SPA with its slow terms on a coarse grid.

The Solar Position Algorithm (Reda & Andreas 2004, as in ``pvlib.spa``) spends nearly all of
its time in the heliocentric series (VSOP87) and nutation, which change slowly: the sun's
geocentric right ascension and declination move about a degree a day. Those are evaluated
every 3 hours and interpolated linearly (error about 2e-5 degrees); sidereal time, hour angle,
parallax, refraction, zenith and azimuth are then computed exactly for every instant.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
from pvlib import atmosphere, clearsky, spa

#: Spacing of the grid the slow terms are evaluated on [s]; grid points are multiples of it.
GRID_S = 10800.0

#: Grid points per cached chunk (30 days).
CHUNK_POINTS = 240

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


def _slow_terms(unix_s: np.ndarray, delta_t: float):
    """Geocentric right ascension and declination, the nutation correction of sidereal time
    and the equatorial horizontal parallax [degrees] at ``unix_s``."""
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


@functools.lru_cache(maxsize=64)
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
    times = np.asarray(unix_s, dtype=np.float64)
    if times.size == 0:
        empty = np.zeros(0)
        return SolarPosition(empty, empty, empty, empty, empty)
    pressure_mbar = (atmosphere.alt2pres(altitude) if pressure is None else pressure) / 100.0
    first_point = int(np.floor(times.min() / GRID_S))
    last_point = int(np.floor(times.max() / GRID_S)) + 1
    chunks = [_chunk(c, float(delta_t)) for c in range(first_point // CHUNK_POINTS, last_point // CHUNK_POINTS + 1)]
    grid, alpha, delta, nutation, xi = (np.concatenate(parts) for parts in zip(*chunks))
    alpha = np.unwrap(alpha, period=360.0)
    alpha = np.interp(times, grid, alpha) % 360.0
    delta = np.interp(times, grid, delta)
    nutation = np.interp(times, grid, nutation)
    xi = np.interp(times, grid, xi)

    jd = spa.julian_day(times)
    nu = spa.mean_sidereal_time(jd, spa.julian_century(jd)) + nutation
    # SPA's topocentric steps (Reda & Andreas 2004, eq. 36-47), written in radians with each
    # sine and cosine taken once: the same formulas as pvlib.spa, fewer array passes.
    u = spa.uterm(latitude)
    x = spa.xterm(u, latitude, altitude)
    y = spa.yterm(u, latitude, altitude)
    phi = np.radians(latitude)
    hour = np.radians((nu + longitude - alpha) % 360.0)
    dec = np.radians(delta)
    sin_xi = np.sin(np.radians(xi))
    cos_dec = np.cos(dec)
    cos_hour = np.cos(hour)
    denominator = cos_dec - x * sin_xi * cos_hour
    delta_alpha = np.arctan2(-x * sin_xi * np.sin(hour), denominator)
    dec_prime = np.arctan2((np.sin(dec) - y * sin_xi) * np.cos(delta_alpha), denominator)
    hour_prime = hour - delta_alpha
    sin_dec_prime, cos_dec_prime = np.sin(dec_prime), np.cos(dec_prime)
    cos_hour_prime = np.cos(hour_prime)
    elevation = np.degrees(np.arcsin(np.sin(phi) * sin_dec_prime + np.cos(phi) * cos_dec_prime * cos_hour_prime))
    refraction = spa.atmospheric_refraction_correction(pressure_mbar, temperature, elevation, ATMOS_REFRACT)
    apparent_elevation = elevation + refraction
    gamma = np.arctan2(np.sin(hour_prime), cos_hour_prime * np.sin(phi) - sin_dec_prime / cos_dec_prime * np.cos(phi))
    azimuth = (np.degrees(gamma) + 180.0) % 360.0
    return SolarPosition(90.0 - elevation, 90.0 - apparent_elevation, azimuth, elevation, apparent_elevation)


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
    up = zenith < 90.0
    result = [np.zeros(zenith.shape) for _ in range(3)]
    if up.any():
        relative = atmosphere.get_relative_airmass(zenith[up], "kastenyoung1989")
        absolute = atmosphere.get_absolute_airmass(relative, atmosphere.alt2pres(altitude))
        sky = clearsky.ineichen(zenith[up], absolute, linke_turbidity, altitude, np.asarray(dni_extra)[up])
        for out, key in zip(result, ("ghi", "dni", "dhi")):
            out[up] = np.nan_to_num(np.asarray(sky[key], dtype=np.float64))
    return ClearSky(*result)
