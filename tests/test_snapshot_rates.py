"""A snapshot records the rate its IV and Greeks used; later jobs value it with that rate.

The rate setting changes between `snapshot-options` and the jobs that read the snapshot: every
derived row and every portfolio Greek must still come from the snapshot's own rate, never a mix.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from options_helper.domain.chain import snapshot_rates
from options_helper.domain.derived import derived_metrics
from options_helper.jobs.compute_derived import METRIC_COLUMNS
from tests.conftest import Cli

SESSION = date(2026, 11, 20)
SNAPSHOT_RATE = {"OPTIONS_HELPER_RISK_FREE_RATE": "0.04"}
LATER_RATE = {"OPTIONS_HELPER_RISK_FREE_RATE": "0.10"}


@pytest.fixture
def snapped(cli: Cli, data_dir: Path) -> pd.DataFrame:
    r = cli("snapshot-options", "-s", "AAPL", "--as-of", str(SESSION), env=SNAPSHOT_RATE)
    assert r.exit_code == 0, r.output
    return pq.read_table(data_dir / f"snapshots/AAPL/{SESSION}.parquet").to_pandas()


def _metrics(chain: pd.DataFrame, rate: float) -> dict:
    return derived_metrics(
        chain,
        spot=float(chain["spot"].iloc[0]),
        data_date=SESSION,
        candles=pd.DataFrame(columns=["session", "open", "high", "low", "close"]),
        iv_history=pd.Series(dtype=float),
        rate=rate,
    )


def test_snapshot_file_records_the_rate_and_dividend_yield_it_was_solved_with(snapped):
    assert set(snapped["rate"]) == {0.04} and set(snapped["div_yield"]) == {0.0}
    assert snapshot_rates(snapped, default_rate=0.10) == (0.04, 0.0)


def test_a_snapshot_without_recorded_rates_falls_back_to_the_setting(snapped):
    old = snapped.drop(columns=["rate", "div_yield"])
    assert snapshot_rates(old, default_rate=0.10) == (0.10, 0.0)


def test_derived_update_uses_the_snapshot_rate_after_the_setting_changed(cli, data_dir, snapped):
    r = cli("derived", "update", "-s", "AAPL", "--as-of", str(SESSION), env=LATER_RATE)
    assert r.exit_code == 0, r.output
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as conn:
        row = conn.execute(
            f"SELECT {', '.join(METRIC_COLUMNS)} FROM derived_metrics WHERE symbol = 'AAPL'"
        ).fetchone()
    stored = dict(zip(METRIC_COLUMNS, row, strict=True))
    chain = snapped.assign(expiry=pd.to_datetime(snapped["expiry"]).dt.date)
    at_snapshot_rate, at_later_rate = _metrics(chain, 0.04), _metrics(chain, 0.10)
    rate_dependent = ["zero_gamma_spot", "iv30", "atm_iv", "risk_reversal_25d"]
    # The chosen metrics move with the rate, so the test can tell the two apart.
    assert any(
        not math.isclose(at_snapshot_rate[k], at_later_rate[k], rel_tol=1e-9)
        for k in rate_dependent
    )
    for key in [*rate_dependent, "net_gex_usd_per_1pct"]:
        assert stored[key] == pytest.approx(at_snapshot_rate[key], rel=1e-9, nan_ok=True), key


def _one_leg_portfolio(cli: Cli, snapped: pd.DataFrame) -> pd.Series:
    quoted = snapped[(snapped["dte"] > 20) & snapped["iv"].notna() & (snapped["delta"] > 0.3)]
    row = quoted.sort_values(["dte", "delta"]).iloc[0]
    expiry = pd.Timestamp(row["expiry"]).date()
    spec = f"{row['option_type']}:{row['strike']:g}:{expiry}:2:{row['mid']:.2f}"
    assert cli("portfolio", "add", "-s", "AAPL", "--id", "a", "--leg", spec).exit_code == 0
    return row


def test_portfolio_greeks_use_the_snapshot_rate_after_the_setting_changed(cli, snapped):
    row = _one_leg_portfolio(cli, snapped)
    code, doc = cli.json("portfolio", "analyze", "--as-of", str(SESSION), env=LATER_RATE)
    assert code == 0
    leg = doc["analysis"]["positions"][0]["legs"][0]
    underlying = doc["analysis"]["underlyings"][0]
    assert leg["rate"] == underlying["rate"] == 0.04 and leg["div_yield"] == 0.0
    # At the snapshot's date, spot and rate the Greeks are the snapshot's own.
    for name in ("delta", "gamma", "theta_per_day", "vega_per_pt"):
        assert leg[name] == pytest.approx(float(row[name]), rel=1e-9), name
    assert doc["analysis"]["warnings"] == []


def test_portfolio_analyze_warns_when_the_snapshot_is_older_than_as_of(cli, snapped):
    _one_leg_portfolio(cli, snapped)
    code, doc = cli.json("portfolio", "analyze", "--as-of", "2026-11-23")
    assert code == 0
    assert doc["analysis"]["warnings"] == [
        f"AAPL: snapshot data date {SESSION} is 3 day(s) older than as_of 2026-11-23: "
        f"its marks, spot and IV are from {SESSION}"
    ]
    r = cli("portfolio", "analyze", "--as-of", "2026-11-23")
    assert r.exit_code == 0 and "older than as_of" in r.output
