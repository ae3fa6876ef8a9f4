"""The ledger: files round-trip, and the checks catch a broken row."""

from __future__ import annotations

import pandas as pd
import pytest

from homesim.engine.fastforward import simulate
from homesim.home import load_home
from homesim.ledger import read_ledger

from conftest import EXAMPLES


@pytest.fixture(scope="module")
def ledger():
    return simulate(load_home(EXAMPLES / "home.yaml"), days=1, dt_s=300)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_files_round_trip(ledger, tmp_path, fmt):
    path = ledger.write(tmp_path, fmt)
    again = read_ledger(path)
    assert again.meta == ledger.meta
    pd.testing.assert_frame_equal(again.table, ledger.table, check_dtype=fmt == "parquet", check_exact=True)
    again.check()


def test_check_catches_a_broken_balance(ledger):
    broken = ledger.table.copy()
    broken.loc[5, "e.fridge"] -= 1
    with pytest.raises(AssertionError, match="tick 5"):
        type(ledger)(broken, ledger.meta).check()


def test_check_catches_a_broken_load_identity(ledger):
    broken = ledger.table.copy()
    broken.loc[7, "unmet.tv"] += 1
    with pytest.raises(AssertionError, match="load tv"):
        type(ledger)(broken, ledger.meta).check()


def test_unknown_format_is_refused(ledger, tmp_path):
    with pytest.raises(ValueError, match="must be one of parquet, csv"):
        ledger.write(tmp_path, "xlsx")
