"""Weather files (TMY3, TMY2, EPW) read with ``csv`` and numpy: pvlib's numbers, bit for bit, without
pandas, pvlib or SciPy; a malformed file is a :class:`WeatherFileError` naming the file, line and column."""

from __future__ import annotations

import csv
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pytest

from conftest import ROOT
from homesim.devices import weather

DATA = Path(pvlib.__path__[0]) / "data"
SHIPPED = ("723170TYA.CSV", "703165TY.csv", "12839.tm2")


def pvlib_parse(path: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """The reference: ``weather._parse_weather_file`` as it was, through pvlib's readers."""
    import pvlib.iotools as iotools

    suffix = path.suffix.lower()
    # pvlib labels EPW and TMY2 rows with the hour's start and TMY3 rows with its end; the
    # values are averages over that hour: place each at the hour's middle.
    if suffix == ".epw":
        data, meta = iotools.read_epw(path)
        centre_s = 1800.0
    elif suffix == ".tm2":
        data, meta = iotools.read_tmy2(path)
        data = pd.DataFrame({
            "ghi": data["GHI"], "dni": data["DNI"], "dhi": data["DHI"],
            "temp_air": data["DryBulb"] / 10.0,  # tenths of a degree C
            "wind_speed": data["Wspd"] / 10.0,  # tenths of m/s
        })
        centre_s = 1800.0
    elif suffix == ".csv":
        data, meta = iotools.read_tmy3(path, map_variables=True)
        centre_s = -1800.0
    else:
        raise weather.WeatherFileError(f"weather file {path}: unknown format {suffix!r}")
    offset_s = int(round(float(meta["TZ"]) * 3600))
    index = data.index.tz_localize(None) if data.index.tz is not None else data.index
    # Rows come from different years (leap or not): place them by month, day and time.
    seconds = weather.typical_year_seconds(
        index.month.to_numpy(), index.day.to_numpy(), (index.hour * 3600 + index.minute * 60).to_numpy()
    )
    seconds = (seconds + centre_s) % weather.SECONDS_PER_TYPICAL_YEAR
    columns = ("ghi", "dni", "dhi", "temp_air", "wind_speed")
    values = np.vstack([data[c].to_numpy(dtype=np.float64) for c in columns])
    order = np.argsort(seconds, kind="stable")
    return seconds[order], values[:, order], offset_s


def assert_read_as_pvlib_reads(path: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """The reader's ``(seconds, values, offset_s)`` equal the reference's, bit for bit (NaN too)."""
    seconds, values, offset_s = weather.read_weather_file(path)
    ref_seconds, ref_values, ref_offset_s = pvlib_parse(path)
    assert seconds.dtype == values.dtype == np.float64 and values.shape == (5, seconds.size)
    assert np.array_equal(seconds, ref_seconds) and seconds.tobytes() == ref_seconds.tobytes()
    assert np.array_equal(values, ref_values, equal_nan=True) and values.tobytes() == ref_values.tobytes()
    assert type(offset_s) is int and offset_s == ref_offset_s
    return seconds, values, offset_s


def tmy3_lines(name: str = "723170TYA.CSV") -> tuple[str, list[str], list[list[str]]]:
    """A shipped TMY3 file's site line, column names and rows (fields as text)."""
    with open(DATA / name, newline="") as file:
        site = file.readline()
        header, *rows = csv.reader(file)
    return site, header, rows


def write_tmy3(path: Path, rows: list[list[str]], name: str = "723170TYA.CSV") -> Path:
    site, header, _ = tmy3_lines(name)
    path.write_text(site + "\n".join(",".join(row) for row in [header, *rows]) + "\n")
    return path


def epw_text(time_zone: str, year: int = 1988) -> str:
    """A valid EPW year (8 header lines, 35 fields a row) from 723170TYA.CSV's rows, all in
    ``year``, with a 29 February (28 February's hours, a degree warmer) when it is a leap year."""
    _, header, rows = tmy3_lines()
    at = {name: header.index(name) for name in ("GHI (W/m^2)", "DNI (W/m^2)", "DHI (W/m^2)", "Dry-bulb (C)", "Wspd (m/s)")}
    lines = [f"LOCATION,Greensboro,NC,USA,TMY3,723170,36.1,-79.95,{time_zone},273", "DESIGN CONDITIONS,0",
             "TYPICAL/EXTREME PERIODS,0", "GROUND TEMPERATURES,0", "HOLIDAYS/DAYLIGHT SAVINGS,Yes,0,0,0",
             "COMMENTS 1,written from NREL TMY3 723170 by a homesim test", "COMMENTS 2,",
             "DATA PERIODS,1,1,Data,Friday, 1/ 1,12/31"]

    def record(month, day, hour, row, warmer=0.0):
        temp = row[at["Dry-bulb (C)"]] if not warmer else str(float(row[at["Dry-bulb (C)"]]) + warmer)
        fields = [year, month, day, hour, 60, "?9?9?9?9E0?9?9?9?9?9?9?9?9?9?9?9*9*9?9*9", temp, 0.5, 50, 101325, 0, 0,
                  300, row[at["GHI (W/m^2)"]], row[at["DNI (W/m^2)"]], row[at["DHI (W/m^2)"]], 0, 0, 0, 0, 180,
                  row[at["Wspd (m/s)"]], 5, 5, 9999, 77777, 9, 999999999, 0, 0.1, 0, 88, 0.2, 0, 1]
        assert len(fields) == 35
        return ",".join(str(f) for f in fields)

    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    for row in rows:
        month, day, _ = (int(part) for part in row[0].split("/"))
        hour = int(row[1].split(":")[0])  # TMY3's hour-ending 01:00..24:00 is EPW's hour 1..24
        lines.append(record(month, day, hour, row))
        if leap and (month, day) == (2, 28):
            lines.append(record(2, 29, hour, row, warmer=1.0))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("name", SHIPPED)
def test_each_weather_file_pvlib_ships_reads_as_pvlib_reads_it(name):
    """723170TYA.CSV's February comes from 1996: its 02/28 24:00 is 29 February, read as 1 March."""
    seconds, values, _ = assert_read_as_pvlib_reads(DATA / name)
    assert seconds.size == 8760 and np.all(np.diff(seconds) > 0)


@pytest.mark.parametrize("time_zone, offset_s", [("-3.5", -12_600), ("5.75", 20_700)])
def test_an_epw_file_with_a_leap_february_reads_as_pvlib_reads_it(tmp_path, time_zone, offset_s):
    path = tmp_path / "greensboro.epw"
    path.write_text(epw_text(time_zone))
    seconds, values, read_offset_s = assert_read_as_pvlib_reads(path)
    assert read_offset_s == offset_s and seconds.size == 8784
    # 29 February and 1 March fall on the same seconds: 29 February first, as in the file.
    same = np.flatnonzero(np.diff(seconds) == 0)
    assert same.size == 24 and np.all(values[3, same] != values[3, same + 1])


def test_tmy3_rows_at_24_00_on_28_february_and_31_december_read_as_pvlib_reads_them(tmp_path):
    _, _, rows = tmy3_lines()

    def row(date, time, ghi="100"):
        out = list(rows[12])
        out[0], out[1], out[4] = date, time, ghi
        return out

    edge = [row("01/01/1990", "01:00"), row("1/5/1990", "1:00"), row("01/ 6/1990", "01:00"),
            row("02/28/1988", "23:00"), row("02/28/1988", "24:00", "1"), row("02/29/1988", "01:00", "2"),
            row("02/29/1988", "24:00", "3"), row("03/01/1988", "00:30", "4"), row("03/01/1988", "00:00", "5"),
            row("02/28/1990", "24:00", "6"), row("06/15/1990", "13:45"), row("07/01/1990", "12:00", "7"),
            row("07/01/1990", "12:00", "8"), row("07/01/1990", "11:60", "9"), row("12/31/1990", "23:00"),
            row("12/31/1990", "24:00", "10"), row("12/31/2000", "24:00", "11")]
    seconds, values, _ = assert_read_as_pvlib_reads(write_tmy3(tmp_path / "edges.csv", edge))
    # 12/31 24:00 is 1 January 00:00: the hour before it is centred at the year's end.
    assert seconds[-1] == weather.SECONDS_PER_TYPICAL_YEAR - 1800 and values[0, -2:].tolist() == [10, 11]


def test_missing_tmy3_and_epw_fields_are_nan_as_pandas_reads_them(tmp_path):
    _, _, rows = tmy3_lines()
    rows = [list(row) for row in rows[:48]]
    for i, text in enumerate(["", "NA", "nan", "-nan", "N/A", "NULL", "#N/A"]):
        rows[10 + i][4] = text  # GHI
        rows[20 + i][31] = text  # Dry-bulb
    seconds, values, _ = assert_read_as_pvlib_reads(write_tmy3(tmp_path / "holes.csv", rows))
    assert np.isnan(values).sum() == 14
    lines = epw_text("-5").splitlines()
    for line, missing in ((10, ""), (11, "NA"), (12, "nan")):
        lines = replaced(lines, line, 13, missing)  # GHI
    path = tmp_path / "holes.epw"
    path.write_text("\n".join(lines) + "\n")
    assert np.isnan(assert_read_as_pvlib_reads(path)[1]).sum() == 3


def test_a_tmy2_file_takes_the_first_rows_year_for_every_row_as_pvlib_does(tmp_path):
    lines = (DATA / "12839.tm2").read_text().splitlines()
    february_28 = [i for i, line in enumerate(lines) if line[3:7] == "0228"]
    leap_day = [line[:5] + "29" + line[7:] for line in (lines[i] for i in february_28)]
    with_leap_day = lines[: february_28[-1] + 1] + leap_day + lines[february_28[-1] + 1:]
    leap = tmp_path / "leap.tm2"
    leap.write_text("\n".join([with_leap_day[0], " 88" + with_leap_day[1][3:], *with_leap_day[2:]]) + "\n")
    seconds, _, offset_s = assert_read_as_pvlib_reads(leap)
    assert seconds.size == 8784 and offset_s == -5 * 3600
    # The same rows after a first row of 1962: 29 February 1962 is no date, for pvlib too.
    common = tmp_path / "common.tm2"
    common.write_text("\n".join(with_leap_day) + "\n")
    with pytest.raises(ValueError):
        pvlib.iotools.read_tmy2(common)
    with pytest.raises(weather.WeatherFileError, match=r"line \d+: 02/29 hour 01 of 1962 is not a date"):
        weather.read_weather_file(common)


def test_reading_a_weather_file_imports_neither_pandas_nor_pvlib_nor_scipy(tmp_path):
    """As a device process reads one, in a fresh interpreter with plain kernels (numba loads SciPy)."""
    (tmp_path / "greensboro.epw").write_text(epw_text("-3.5"))
    script = ("import json, sys\n"
              "import numpy as np\n"
              "from pathlib import Path\n"
              "from homesim.devices import weather\n"
              "rows = []\n"
              "for name in sys.argv[1:]:\n"
              "    config = weather.Config(id='w', model='file', file=name)\n"
              "    config.bind_home_dir(Path(name).parent)\n"
              "    path = config.resolved_file()\n"
              "    rows.append(weather.read_named_weather_file(name, path)[0].size)\n"
              "    w = weather._from_file(path, 1767225600 + 3600 * np.arange(24 * 7) + 1800.0)\n"
              "    assert np.isfinite(w.ghi).all()\n"
              "print(json.dumps({'rows': rows, 'heavy': [m for m in ('pandas', 'pvlib', 'scipy') if m in sys.modules]}))\n")
    env = {**os.environ, "HOMESIM_JIT": "0", "PYTHONPATH": str(ROOT / "services")}
    names = [f"pvlib:{name}" for name in SHIPPED] + [str(tmp_path / "greensboro.epw")]
    done = subprocess.run([sys.executable, "-c", script, *names], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    there = json.loads(done.stdout)
    assert there == {"rows": [8760, 8760, 8760, 8784], "heavy": []}


def small_tmy3(rows: int = 3) -> list[str]:
    return (DATA / "723170TYA.CSV").read_text().splitlines()[: 2 + rows]


def small_tmy2(rows: int = 3) -> list[str]:
    return (DATA / "12839.tm2").read_text().splitlines()[: 1 + rows]


def small_epw(rows: int = 3) -> list[str]:
    return epw_text("-5").splitlines()[: 8 + rows]


def replaced(lines: list[str], line: int, field: int, text: str) -> list[str]:
    """``lines`` with the comma-separated ``field`` [0-based] of ``line`` [1-based] replaced."""
    fields = lines[line - 1].split(",")
    fields[field] = text
    return lines[: line - 1] + [",".join(fields)] + lines[line:]


def column_dropped(lines: list[str], field: int) -> list[str]:
    return [",".join(f for i, f in enumerate(line.split(",")) if i != field) for line in lines[1:]]


MALFORMED = {
    "a bad number": ("bad.csv", replaced(small_tmy3(), 5, 4, "abc"),
                     r"line 5, column 'GHI \(W/m\^2\)': 'abc' is not a number"),
    "a short row": ("short.csv", small_tmy3()[:3] + [",".join(small_tmy3()[3].split(",")[:3])] + small_tmy3()[4:],
                    r"line 4: the row has 3 fields, fewer than the 71 column names: column 'GHI \(W/m\^2\)' is field 5"),
    "a row too long": ("long.csv", small_tmy3()[:3] + [small_tmy3()[3] + ",1"] + small_tmy3()[4:],
                       r"line 4: the row has 72 fields, more than the 71 column names"),
    "a missing column": ("nowind.csv", small_tmy3()[:1] + column_dropped(small_tmy3(), 46),
                         r"line 2: no column 'Wspd \(m/s\)' among the column names"),
    "no column names": ("site.csv", small_tmy3()[:1], r"it ends after line 1; line 2 should name the columns"),
    "no data rows": ("header.csv", small_tmy3()[:2], r"it has no data rows"),
    "a bad date": ("date.csv", replaced(small_tmy3(), 3, 0, "02/30/1990"),
                   r"line 3, column 'Date \(MM/DD/YYYY\)': '02/30/1990' is not a date MM/DD/YYYY"),
    "a bad time": ("time.csv", replaced(small_tmy3(), 4, 1, "1 pm"),
                   r"line 4, column 'Time \(HH:MM\)': '1 pm' is not a time HH:MM"),
    "a bad time zone": ("zone.csv", replaced(small_tmy3(), 1, 3, "EST"),
                        r"line 1, column 'time zone': 'EST' is not a number"),
    "a time zone of a day": ("day.csv", replaced(small_tmy3(), 1, 3, "24"),
                             r"line 1, column 'time zone': '24' is not a number of hours between -24 and 24"),
    "a short site line": ("shortsite.csv", ["723170,GREENSBORO,NC"] + small_tmy3()[1:],
                          r"line 1: the site line has 3 fields, too few: the time zone is field 4"),
    "a quote never closed": ("quote.csv", replaced(small_tmy3(), 4, 5, '"1'),
                             r"line 4: a quote is opened and never closed"),
    "an empty TMY3 file": ("empty.csv", [], r"the file is empty"),
    "an empty TMY2 file": ("empty.tm2", [], r"the file is empty"),
    "an empty EPW file": ("empty.epw", [], r"the file is empty"),
    "a bad TMY2 number": ("bad.tm2", small_tmy2()[:2] + [small_tmy2()[2][:17] + "12a4" + small_tmy2()[2][21:]],
                          r"line 3, column 'GHI \(characters 18-21\)': '12a4' is not a number"),
    "a short TMY2 row": ("short.tm2", small_tmy2()[:2] + [small_tmy2()[2][:60]] + small_tmy2()[3:],
                         r"line 3: the row is 60 characters long, too short: column 'TotCld' is characters "
                         r"60-61 of 142"),
    "a TMY2 hour 25": ("hour.tm2", small_tmy2()[:3] + [small_tmy2()[3][:7] + "25" + small_tmy2()[3][9:]],
                       r"line 4: 01/01 hour 25 of 1962 is not a date and an hour 1..24"),
    "a bad TMY2 time zone": ("zone.tm2", [small_tmy2()[0].replace(" -5 ", " X5 ")] + small_tmy2()[1:],
                             r"line 1, column 'time zone': 'X5' is not a whole number"),
    "a bad EPW number": ("bad.epw", replaced(small_epw(), 10, 21, "calm"),
                         r"line 10, column 'Wind Speed': 'calm' is not a number"),
    "a short EPW row": ("short.epw", small_epw()[:9] + [",".join(small_epw()[9].split(",")[:14])],
                        r"line 10: the row has 14 fields, fewer than the 35 fields of an EPW row: "
                        r"column 'Direct Normal Radiation' is field 15"),
    "an EPW hour 25": ("hour.epw", replaced(small_epw(), 9, 3, "25"),
                       r"line 9: 1988/1/1 hour 25 is not a date and an hour 1\.\.24"),
    "an EPW year of 3 digits": ("year.epw", replaced(small_epw(), 11, 0, "198"),
                                r"line 11: 198/1/1 hour 3 is not a date and an hour 1\.\.24"),
    "a bad EPW month": ("month.epw", replaced(small_epw(), 9, 1, "Jan"), r"line 9, column 'Month': 'Jan' is not a whole number"),
    "EPW header lines missing": ("header.epw", small_epw()[:3], r"it ends after line 3; an EPW file has 8 header lines"),
    "an EPW header line missing": ("seven.epw", small_epw()[:5] + small_epw()[6:],
                                   r"line 8: '1988,1,1,1,60,.*' is not DATA PERIODS"),
    "not an EPW file": ("csv.epw", small_tmy3(), r"line 1: '723170,.*' is not an EPW file's first line, LOCATION"),
    "a short LOCATION line": ("broken.epw", ["LOCATION,nowhere", "rubbish"],
                              r"line 1: the site line has 2 fields, too few: the latitude is field 7"),
    "no EPW data rows": ("nodata.epw", small_epw()[:8], r"it has no data rows"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_file_raises_a_weather_file_error_naming_the_file_line_and_column(tmp_path, case):
    name, lines, message = MALFORMED[case]
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines))
    with pytest.raises(weather.WeatherFileError) as caught:
        weather.read_weather_file(path)
    assert str(caught.value).startswith(f"weather file {path} can't be read: ")
    assert re.search(message, str(caught.value)), str(caught.value)


def test_an_unknown_suffix_a_missing_file_and_a_folder_are_weather_file_errors_naming_them(tmp_path):
    (tmp_path / "weather.txt").write_text("".join(line + "\n" for line in small_tmy3()))
    (tmp_path / "folder.epw").mkdir()
    for name, message in (("weather.txt", r"weather\.txt: unknown format '\.txt'; use \.csv \(TMY3\), \.tm2 \(TMY2\)"),
                          ("nope.csv", r"nope\.csv does not exist"), ("folder.epw", r"folder\.epw can't be read: ")):
        with pytest.raises(weather.WeatherFileError, match=message):
            weather.read_weather_file(tmp_path / name)


def mangled(lines: list[str], rng: random.Random) -> str:
    """``lines`` with one to four random edits: a character replaced, inserted or deleted, a line
    cut short, doubled or dropped."""
    lines = [line + "\n" for line in lines]
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(lines))
        text, at, edit = lines[i], rng.randrange(len(lines[i]) + 1), rng.random()
        char = rng.choice('0123456789:/,. -+eE\nNAna\t24x"')
        if edit < 0.4:
            lines[i] = text[:at] + char + text[at + 1:]
        elif edit < 0.6:
            lines[i] = text[:at] + char + text[at:]
        elif edit < 0.75:
            lines[i] = text[:at] + text[at + 1:]
        elif edit < 0.8:
            lines[i] = text[:at]
        elif edit < 0.9:
            lines.insert(i, lines[rng.randrange(len(lines))])
        elif len(lines) > 1:
            del lines[i]
    return "".join(lines)


@pytest.mark.parametrize("suffix, lines", [(".csv", small_tmy3(30)), (".tm2", small_tmy2(30)), (".epw", small_epw(30))],
                         ids=["TMY3", "TMY2", "EPW"])
def test_a_mangled_file_is_read_as_pvlib_reads_it_or_raises_a_weather_file_error(tmp_path, suffix, lines):
    """Seeded random edits: never another exception; read, the numbers are pvlib's (where pvlib
    reads it too: it also reads some rows run together or cut short, wrongly)."""
    rng = random.Random(7)
    both = 0
    for n in range(80):
        path = tmp_path / f"mangled{n}{suffix}"
        path.write_text(mangled(lines, rng))
        try:
            weather.read_weather_file(path)
        except weather.WeatherFileError as error:
            assert str(path) in str(error)
            continue
        try:
            pvlib_parse(path)
        except Exception:
            continue
        assert_read_as_pvlib_reads(path)
        both += 1
    assert both >= 10
