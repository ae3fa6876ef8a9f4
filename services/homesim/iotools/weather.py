"""Typical-year weather files read with the standard library and numpy: TMY3, TMY2 and EPW.

Kept apart from the weather model (:mod:`homesim.devices.weather`) as pvlib keeps its readers
(``pvlib.iotools``) apart from its models: a reader turns a file into arrays, or a
:class:`WeatherFileError` naming the file, the line and the column; it knows nothing of the sun
or the clouds.
"""

from __future__ import annotations

import csv
import datetime
import functools
import math
import re
from pathlib import Path
from typing import NamedTuple

import numpy as np

from homesim.echo import shown

#: A typical year [s]: 365 days, whatever year the file's rows come from.
SECONDS_PER_TYPICAL_YEAR = 365 * 86_400


class WeatherFileError(ValueError):
    """A weather file that can't be used; the message names the file."""


#: pvlib's shipped weather files: TMY3 (``...TY.csv``, ``...TYA.CSV``), TMY2, EPW.
_SHIPPED = re.compile(r"TYA?\.csv$|\.tm2$|\.epw$", re.IGNORECASE)


def read_named_weather_file(name: str, path: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """:func:`read_weather_file` of a device's ``file``; a ``pvlib:`` name pvlib does not ship
    is refused with the names it does."""
    if name.startswith("pvlib:") and not path.exists():
        shipped = sorted(p.name for p in path.parent.glob("*") if _SHIPPED.search(p.name))
        raise WeatherFileError(f"{name!r} is not a weather file shipped with pvlib; it ships: "
                               f"{', '.join(shipped[:8])}{', ...' if len(shipped) > 8 else ''}")
    return read_weather_file(path)


@functools.lru_cache(maxsize=8)
def read_weather_file(path: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """A typical year from a weather file (:func:`_parse_weather_file`): centres [s of year,
    file-local], a ``[5, n]`` array (ghi, dni, dhi, temp_air, wind_speed) and the file's UTC
    offset [s]. A file that can't be used raises :class:`WeatherFileError`, nothing else."""
    if not path.exists():
        raise WeatherFileError(f"weather file {path} does not exist")
    try:
        return _parse_weather_file(path)
    except WeatherFileError:
        raise
    except Exception as error:  # not a malformed row but an unreadable path: a folder, no permission
        raise WeatherFileError(f"weather file {path} can't be read: {error}") from None


def _parse_weather_file(path: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """Read a typical-year weather file with the standard library (``csv``) and numpy only.

    Parameters
    ----------
    path : Path
        A TMY3 (``.csv``) [1]_, TMY2 (``.tm2``) [2]_ or EPW (``.epw``) [3]_ file (suffix in any case).

    Returns
    -------
    seconds : np.ndarray
        Each row's centre [s from 1 January 00:00 of a 365-day year, the file's local standard
        time], float64, sorted by a stable sort (rows on the same second keep the file's order).
    values : np.ndarray
        ``[5, n]`` float64 in the order of ``seconds``: GHI, DNI, DHI [W/m2], air temperature
        [degrees C] and wind speed [m/s].
    offset_s : int
        The file's UTC offset [s]: its time zone [h] times 3600, rounded.

    Raises
    ------
    WeatherFileError
        An unknown suffix or a malformed file: empty, header lines or columns missing, a row
        with too few fields, a field that is not a number, date or time. The message names the
        file and, for a row, its line and column.

    Notes
    -----
    The same numbers, bit for bit, as pvlib 0.16's ``iotools.read_tmy3``, ``read_tmy2`` and
    ``read_epw`` give for these columns and timestamps, placed as below, but without importing
    pandas, pvlib or SciPy (a device process in a light image has none of them):

    * Each value is an average over an hour and is placed at that hour's middle. TMY3 labels a
      row with the hour's end (``01:00`` .. ``24:00``): placed at -1800 s. TMY2 and EPW number
      hours 1..24 (hour 1 is 00:00-01:00); as pvlib, the row is labelled with the hour's start
      (hour - 1) and placed at +1800 s.
    * Rows come from different years, leap or not: each is placed by its month, day and time
      of day (:func:`typical_year_seconds`; 29 February falls on 1 March). TMY2 rows all take
      the first row's year, as pvlib does.
    * TMY3 dates are ``MM/DD/YYYY``, times ``HH:MM``; ``24:00`` is 00:00 of the next day (so
      ``12/31 24:00`` is 1 January 00:00, placed at the end of the year), and a date that
      becomes 29 February that way moves on to 1 March, as pvlib's ``read_tmy3`` does.
    * TMY2 rows are fixed-width, 142 characters; every numeric field must be a number, as
      pvlib requires; temperature is in tenths of a degree C and wind speed in tenths of m/s.
      The site line is split at white space, its 4th field the time zone [h] (whole hours).
    * EPW has 8 header lines (``LOCATION``, whose 9th field is the time zone [h], to ``DATA
      PERIODS``) before a row an hour of 35 fields; the minute field is not read, as in pvlib.
    * The site line's fields pvlib converts (time zone, latitude, longitude, elevation; TMY3's
      USAF number) must be numbers, as in pvlib; a time zone is under 24 h either way.
    * The formats' own missing-data codes (e.g. EPW's 9999 W/m2) are returned unchanged, as
      pvlib returns them. A TMY3 or EPW field that pandas reads as missing (empty, ``NA``,
      ``nan``, ...) is NaN, as pvlib returns it.

    Where pvlib fails, this fails too. It also refuses what pvlib reads wrong without a word:
    a row with more or fewer fields than the TMY3 header names or than an EPW row's 35 (a comma
    lost shifts every field after it; pandas fills a short row with NaN), an EPW file whose
    1st line is not ``LOCATION`` or whose 8th is not ``DATA PERIODS`` (pvlib counts 8 lines on
    trust), an EPW year that is not 4 digits, a file without data rows (pvlib returns an empty
    year). It reads what pvlib refuses only where no number read is at stake: a blank line in
    a TMY2 file, a quote in an EPW header line, a byte that is not UTF-8 outside the numbers,
    a TMY3 column name with spaces around it.

    References
    ----------
    .. [1] Wilcox, S. and Marion, W. (2008). Users Manual for TMY3 Data Sets. NREL/TP-581-43156,
       National Renewable Energy Laboratory, Golden, CO.
    .. [2] Marion, W. and Urban, K. (1995). User's Manual for TMY2s. NREL/TP-463-7668, National
       Renewable Energy Laboratory, Golden, CO.
    .. [3] EnergyPlus Auxiliary Programs, "Weather Converter Program": the EnergyPlus Weather
       File (EPW) data dictionary.
    """
    suffix = path.suffix.lower()
    formats = {".csv": (_read_tmy3, -1800.0), ".tm2": (_read_tmy2, 1800.0), ".epw": (_read_epw, 1800.0)}
    if suffix not in formats:
        raise WeatherFileError(f"weather file {path}: unknown format {suffix!r}; use .csv (TMY3), .tm2 (TMY2) or .epw (EPW)")
    read, centre_s = formats[suffix]
    # UTF-8 (any byte-order mark skipped); a byte that is not (a station name in Latin-1) only
    # matters in a field that must be a number, and there it is reported as not one.
    with path.open(encoding="utf-8-sig", errors="replace") as lines:
        rows = read(path, lines)
    if not rows.month:
        raise _file_error(path, "it has no data rows")
    seconds = typical_year_seconds(np.array(rows.month), np.array(rows.day), np.array(rows.second_of_day))
    seconds = (seconds + centre_s) % SECONDS_PER_TYPICAL_YEAR
    order = np.argsort(seconds, kind="stable")
    return seconds[order], rows.values[:, order], rows.offset_s


class _Rows(NamedTuple):
    """A weather file's rows in file order, each labelled as pvlib labels it (file-local)."""

    offset_s: int  # the file's UTC offset [s]
    month: list[int]  # [1..12]
    day: list[int]  # [1..31]
    second_of_day: list[int]  # [s]
    values: np.ndarray  # [5, n] float64: GHI, DNI, DHI [W/m2], air temperature [degrees C], wind speed [m/s]


#: TMY3 [NREL/TP-581-43156]: the site line's fields pvlib's ``read_tmy3`` converts
#: (0-based, comma-separated), and the columns read by their names on line 2.
_TMY3_SITE = ((0, "USAF", int), (3, "time zone", float), (4, "latitude", float), (5, "longitude", float),
              (6, "elevation", float))
_TMY3_DATE, _TMY3_TIME = "Date (MM/DD/YYYY)", "Time (HH:MM)"
_TMY3_VALUES = ("GHI (W/m^2)", "DNI (W/m^2)", "DHI (W/m^2)", "Dry-bulb (C)", "Wspd (m/s)")


#: TMY2 [NREL/TP-463-7668]: the site line's fields pvlib's ``read_tmy2`` converts
#: (0-based, split at white space: WBAN, city, state, time zone, N/S, degrees, minutes, E/W, ...).
_TMY2_SITE = ((3, "time zone", int), (5, "latitude degrees", float), (6, "latitude minutes", float),
              (8, "longitude degrees", float), (9, "longitude minutes", float), (10, "elevation", float))


def _tmy2_numbers() -> tuple[tuple[int, int, str], ...]:
    """The numeric fields of a TMY2 data row [NREL/TP-463-7668] as 0-based ``[start,
    end)`` character positions, named as pvlib's ``read_tmy2`` names them. The row's first
    character is blank; each measurement from GHI on but the present weather is followed by a
    1-letter source flag (not read) and a 1-digit uncertainty; a row is 142 characters."""
    fields, at = [], 1
    for name, width in (("year", 2), ("month", 2), ("day", 2), ("hour", 2), ("ETR", 4), ("ETRN", 4), ("GHI", 4),
                        ("DNI", 4), ("DHI", 4), ("GHillum", 4), ("DNillum", 4), ("DHillum", 4), ("Zenithlum", 4),
                        ("TotCld", 2), ("OpqCld", 2), ("DryBulb", 4), ("DewPoint", 4), ("RHum", 3), ("Pressure", 4),
                        ("Wdir", 3), ("Wspd", 3), ("Hvis", 4), ("CeilHgt", 5), ("PresentWeather", 10), ("Pwat", 3),
                        ("AOD", 3), ("SnowDepth", 3), ("LastSnowfall", 2)):
        fields.append((at, at + width, name))
        at += width
        if name not in ("year", "month", "day", "hour", "ETR", "ETRN", "PresentWeather"):  # flag, uncertainty
            fields.append((at + 1, at + 2, f"{name}Uncertainty"))
            at += 2
    return tuple(fields)


_TMY2_NUMBERS = _tmy2_numbers()
_TMY2_WIDTH = _TMY2_NUMBERS[-1][1]  # 142
_TMY2_AT = {name: i for i, (_, _, name) in enumerate(_TMY2_NUMBERS)}
_TMY2_VALUES = tuple(_TMY2_AT[name] for name in ("GHI", "DNI", "DHI", "DryBulb", "Wspd"))

#: EPW [EnergyPlus Auxiliary Programs, the EPW data dictionary]: header lines before the data,
#: the fields of the first (``LOCATION``) pvlib's ``read_epw`` converts, the fields of a data
#: row, and those read [0-based] with their names there.
_EPW_HEADER_LINES = 8
_EPW_SITE = ((6, "latitude", float), (7, "longitude", float), (8, "time zone", float), (9, "elevation", float))
_EPW_FIELDS = 35
_EPW_DATE = ((0, "Year"), (1, "Month"), (2, "Day"), (3, "Hour"))
_EPW_VALUES = ((13, "Global Horizontal Radiation"), (14, "Direct Normal Radiation"),
               (15, "Diffuse Horizontal Radiation"), (6, "Dry Bulb Temperature"), (21, "Wind Speed"))

#: The fields pandas' ``read_csv`` (under pvlib's TMY3 and EPW readers) reads as missing: NaN.
_PANDAS_MISSING = frozenset({"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                             "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"})

_ONE_DAY = datetime.timedelta(days=1)


def _read_tmy3(path: Path, lines) -> _Rows:
    """TMY3: line 1 the site (USAF, name, state, time zone [h], latitude, longitude, elevation),
    line 2 the column names, then a row an hour labelled with the hour's end."""
    site = lines.readline()
    if not site:
        raise _file_error(path, "the file is empty")
    offset_s = _utc_offset_s(path, site.rstrip("\n").split(","), _TMY3_SITE)
    rows = _csv_rows(path, lines, lines_before=1)
    line, header = next(rows, (None, None))
    if header is None:
        raise _file_error(path, "it ends after line 1; line 2 should name the columns")
    names = [name.strip() for name in header]
    wanted = (_TMY3_DATE, _TMY3_TIME, *_TMY3_VALUES)
    missing = [name for name in wanted if name not in names]
    if missing:
        raise _file_error(path, f"no column {', '.join(map(repr, missing))} among the column names", line)
    columns = [(names.index(name), name) for name in wanted]
    (date_at, _), (time_at, _), *value_columns = columns
    month, day, second_of_day, values = [], [], [], []
    dates: dict[str, datetime.date] = {}
    for line, fields in rows:
        _count_fields(path, fields, columns, len(names), "column names", line)
        text = fields[date_at]
        date = dates.get(text)
        if date is None:
            try:
                date = dates[text] = datetime.datetime.strptime(text, "%m/%d/%Y").date()
            except ValueError:
                raise _file_error(path, f"{shown(text)} is not a date MM/DD/YYYY", line, _TMY3_DATE) from None
        text = fields[time_at]
        parts = text.split(":")
        try:
            hour, minute = int(parts[0]), int(parts[1])
        except (ValueError, IndexError):
            raise _file_error(path, f"{shown(text)} is not a time HH:MM", line, _TMY3_TIME) from None
        try:
            if text[:2] == "24":  # the end of the day's last hour: 00:00 of the next day
                date += _ONE_DAY
            if date.month == 2 and date.day == 29:  # as pvlib: 29 February is 1 March
                date += _ONE_DAY
            stamp = datetime.datetime(date.year, date.month, date.day) + datetime.timedelta(hours=hour % 24, minutes=minute)
        except OverflowError:
            raise _file_error(path, f"{fields[date_at]} {text} is out of range", line, _TMY3_TIME) from None
        month.append(stamp.month)
        day.append(stamp.day)
        second_of_day.append(stamp.hour * 3600 + stamp.minute * 60)
        values.append([_number(path, fields[at], line, name, missing=_PANDAS_MISSING) for at, name in value_columns])
    return _Rows(offset_s, month, day, second_of_day, _as_columns(values))


def _read_tmy2(path: Path, lines) -> _Rows:
    """TMY2: line 1 the site (WBAN, city, state, time zone [h], latitude, longitude, elevation),
    then a fixed-width row an hour: year (2 digits), month, day, hour 1..24 (its end), ..."""
    site = lines.readline()
    if not site:
        raise _file_error(path, "the file is empty")
    offset_s = _utc_offset_s(path, site.split(), _TMY2_SITE)  # as pvlib: split at white space
    year = None
    month, day, second_of_day, values = [], [], [], []
    for line, text in enumerate(lines, start=2):
        text = text.rstrip("\r\n")
        if not text.strip():
            continue
        if len(text) < _TMY2_WIDTH:
            start, end, name = next(field for field in _TMY2_NUMBERS if field[1] > len(text))
            raise _file_error(path, f"the row is {len(text)} characters long, too short: column {name!r} is "
                                    f"characters {start + 1}-{end} of {_TMY2_WIDTH}", line)
        try:  # as pvlib: every numeric field must be one
            numbers = [float(text[start:end]) for start, end, _ in _TMY2_NUMBERS]
        except ValueError:
            for start, end, name in _TMY2_NUMBERS:
                _number(path, text[start:end], line, f"{name} (characters {start + 1}-{end})")
            raise
        if year is None:  # as pvlib: every row in the first row's year
            year = numbers[0] + 1900
        try:
            row_month, row_day, hour = int(numbers[1]), int(numbers[2]), int(numbers[3])
            datetime.datetime(int(year), row_month, row_day, hour - 1)
        except (ValueError, OverflowError):
            raise _file_error(path, f"{text[3:5]}/{text[5:7]} hour {text[7:9]} of {year:.0f} is not a date and "
                                    "an hour 1..24", line) from None
        month.append(row_month)
        day.append(row_day)
        second_of_day.append((hour - 1) * 3600)
        values.append([numbers[i] for i in _TMY2_VALUES])
    columns = _as_columns(values)
    columns[3:] /= 10.0  # tenths of a degree C, tenths of m/s
    return _Rows(offset_s, month, day, second_of_day, columns)


def _read_epw(path: Path, lines) -> _Rows:
    """EPW: 8 header lines (``LOCATION``, its 9th field the time zone [h], to ``DATA
    PERIODS``), then a row an hour: year, month, day, hour 1..24 (its end), minute, ..."""
    location = lines.readline()
    if not location:
        raise _file_error(path, "the file is empty")
    if not location.upper().startswith("LOCATION,"):
        raise _file_error(path, f"{location[:40].strip()!r} is not an EPW file's first line, LOCATION,...", 1)
    offset_s = _utc_offset_s(path, location.rstrip("\n").split(","), _EPW_SITE)
    for line in range(2, _EPW_HEADER_LINES + 1):
        text = lines.readline()
        if not text:
            raise _file_error(path, f"it ends after line {line - 1}; an EPW file has {_EPW_HEADER_LINES} header "
                                    "lines (LOCATION to DATA PERIODS) before its data")
    if not text.upper().startswith("DATA PERIODS,"):  # else pvlib would take a data row for it, or the reverse
        raise _file_error(path, f"{text[:40].strip()!r} is not DATA PERIODS,..., an EPW file's last header line",
                          _EPW_HEADER_LINES)
    columns = [*_EPW_DATE, *_EPW_VALUES]
    month, day, second_of_day, values = [], [], [], []
    for line, fields in _csv_rows(path, lines, lines_before=_EPW_HEADER_LINES):
        _count_fields(path, fields, columns, _EPW_FIELDS, "fields of an EPW row", line)
        year, row_month, row_day, hour = (_whole(path, fields[at], line, name) for at, name in _EPW_DATE)
        try:
            if not 1000 <= year <= 9999:  # pvlib parses the date from the digits: a year has 4
                raise ValueError
            datetime.datetime(year, row_month, row_day, hour - 1)
        except ValueError:
            raise _file_error(path, f"{year}/{row_month}/{row_day} hour {hour} is not a date and an hour 1..24",
                              line) from None
        month.append(row_month)
        day.append(row_day)
        second_of_day.append((hour - 1) * 3600)
        values.append([_number(path, fields[at], line, name, missing=_PANDAS_MISSING) for at, name in _EPW_VALUES])
    return _Rows(offset_s, month, day, second_of_day, _as_columns(values))


def _file_error(path: Path, text: str, line: int | None = None, column: str | None = None) -> WeatherFileError:
    """A :class:`WeatherFileError` naming the file and, where known, the line and the column."""
    where = ", ".join(([f"line {line}"] if line else []) + ([f"column {column!r}"] if column else []))
    return WeatherFileError(f"weather file {path} can't be read: {where}{': ' if where else ''}{text}")


def _csv_rows(path: Path, lines, lines_before: int):
    """``(line, fields)`` of each CSV row after the first ``lines_before`` lines; blank lines are
    skipped, as pandas skips them, and a quote never closed is refused, as pandas refuses it."""
    ended = False

    def source():
        nonlocal ended
        yield from lines
        ended = True

    rows = csv.reader(source())
    while True:
        start = lines_before + rows.line_num + 1
        try:
            fields = next(rows)
        except StopIteration:
            return
        except csv.Error as error:
            raise _file_error(path, f"not CSV ({error})", lines_before + rows.line_num) from None
        if ended:  # the row asked for a line past the last: a quoted field ran to the end
            raise _file_error(path, "a quote is opened and never closed", start)
        if fields and (len(fields) > 1 or fields[0].strip()):
            yield lines_before + rows.line_num, fields


def _count_fields(path: Path, fields: list[str], columns: list[tuple[int, str]], count: int, what: str, line: int) -> None:
    """Refuse a row without exactly ``count`` fields (a comma lost or gained shifts the fields
    after it), naming the first of ``columns`` (``(index, name)``) a short row lacks."""
    if len(fields) < count:
        lacking = sorted((at, name) for at, name in columns if at >= len(fields))
        column = f": column {lacking[0][1]!r} is field {lacking[0][0] + 1}" if lacking else ""
        raise _file_error(path, f"the row has {len(fields)} fields, fewer than the {count} {what}{column}", line)
    if len(fields) > count:
        raise _file_error(path, f"the row has {len(fields)} fields, more than the {count} {what}", line)


def _utc_offset_s(path: Path, fields: list[str], site: tuple[tuple[int, str, type], ...]) -> int:
    """The UTC offset [s] from the ``"time zone"`` [h] among the ``fields`` of a file's site line
    (line 1). Every field of ``site`` (``(index, name, int or float)``), those pvlib's reader
    converts, must convert, as in pvlib."""
    if len(fields) <= max(at for at, _, _ in site):
        at, name, _ = min(field for field in site if field[0] >= len(fields))
        raise _file_error(path, f"the site line has {len(fields)} fields, too few: the {name} is field {at + 1}", 1)
    hours = math.nan
    for at, name, kind in site:
        try:
            number = kind(fields[at])
        except ValueError:
            raise _file_error(path, f"{shown(fields[at])} is not a {'whole ' if kind is int else ''}number", 1, name) from None
        if name == "time zone":
            hours = float(number)
            if not (math.isfinite(hours) and abs(int(hours * 3600)) < 86_400):  # as pvlib: under a day
                raise _file_error(path, f"{shown(fields[at])} is not a number of hours between -24 and 24", 1, name)
    return int(round(hours * 3600))


def _number(path: Path, text: str, line: int, column: str, missing: frozenset[str] = frozenset()) -> float:
    """``text`` as a float (Python's ``float``, as pvlib's readers); a field in ``missing`` is NaN."""
    if text in missing:
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise _file_error(path, f"{shown(text)} is not a number", line, column) from None


def _whole(path: Path, text: str, line: int, column: str) -> int:
    """``text`` as a whole number (Python's ``int``)."""
    try:
        return int(text)
    except ValueError:
        raise _file_error(path, f"{shown(text)} is not a whole number", line, column) from None


def _as_columns(rows: list[list[float]]) -> np.ndarray:
    """Rows of the five values as a ``[5, n]`` float64 array."""
    return np.array(rows, dtype=np.float64).reshape(-1, 5).T.copy()


_MONTH_START_DAY = np.cumsum([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30])


def typical_year_seconds(month: np.ndarray, day: np.ndarray, second_of_day: np.ndarray) -> np.ndarray:
    """Seconds from 1 January 00:00 of a 365-day year [s]; 29 February falls on 1 March."""
    return (_MONTH_START_DAY[np.asarray(month) - 1] + np.asarray(day) - 1) * 86_400.0 + second_of_day
