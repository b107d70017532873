"""Data-quality checks against a real warehouse in a temp dir: each defect is planted and seen."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from options_helper.domain import calendar
from options_helper.domain.chain import enrich_chain
from options_helper.observability.checks import (
    CHECKS,
    Check,
    CheckInput,
    Outcome,
    catalogue,
    check_candle_batch_duplicates,
    checks_for,
    dedupe_candle_batch,
    duplicate_keys_check,
    latest_results,
    null_keys_check,
    partitions_for,
    persist_results,
    run_checks,
    snapshot_arrays,
    snapshot_sql,
)
from options_helper.observability.checks import snapshots as snapshots_module
from options_helper.observability.checks.snapshots import standard_monthly_expiry
from options_helper.providers.sim import SimProvider
from options_helper.warehouse import Warehouse
from options_helper.warehouse.migrate import migrate
from options_helper.warehouse.snapshots import upsert_snapshot_index, write_snapshot_file

END = date(2026, 11, 20)  # a Friday session
SIM = SimProvider(seed=7)
NOW = datetime(2026, 11, 21, 1, 0)


# -- fixtures and helpers ------------------------------------------------------------------------


@pytest.fixture
def wh(data_dir: Path) -> Warehouse:
    w = Warehouse(data_dir / "warehouse.duckdb")
    migrate(w)
    return w


def insert(wh: Warehouse, table: str, df: pd.DataFrame) -> None:
    with wh.writer() as conn:
        conn.register("_rows", df)
        conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
        conn.unregister("_rows")


def execute(wh: Warehouse, sql: str, params: list | None = None) -> None:
    with wh.writer() as conn:
        conn.execute(sql, params or [])


def query(wh: Warehouse, sql: str, params: list | None = None) -> list[tuple]:
    with wh.reader() as conn:
        return conn.execute(sql, params or []).fetchall()


def candles(symbol: str = "AAPL", start: date = date(2026, 6, 1), end: date = END) -> pd.DataFrame:
    df = SIM.get_candles(symbol, start, end)
    return df.assign(provider="sim", ingested_at=NOW)


def run(wh: Warehouse, asset: str, partition: str, as_of: date = END, **kw) -> dict:
    results = run_checks(wh, wh.path.parent, asset, [partition], as_of=as_of, **kw)
    return {r.check_name: r for r in results}


# -- candles_daily -------------------------------------------------------------------------------


def test_clean_candles_pass_every_candle_check(wh):
    insert(wh, "candles_daily", candles())
    got = run(wh, "candles_daily", "AAPL")
    assert {n: r.status for n, r in got.items()} == {
        "candles_ohlc_consistent": "pass",
        "candles_no_duplicate_sessions": "pass",
        "candles_future_dated": "pass",
        "candles_non_session_dated": "pass",
        "candles_missing_sessions": "pass",
        "candles_stale": "pass",
        "candles_extreme_return": "pass",
    }
    assert got["candles_missing_sessions"].metrics["expected_sessions"] == 30
    assert got["candles_extreme_return"].metrics["returns_checked"] == 60
    assert got["candles_stale"].metrics["sessions_behind"] == 0


def test_candle_with_low_above_open_fails_ohlc(wh):
    df = candles()
    bad = df["session"] == date(2026, 9, 15)
    df.loc[bad, "low"] = df.loc[bad, "open"] + 1.0
    df.loc[df["session"] == date(2026, 10, 1), "volume"] = -5
    insert(wh, "candles_daily", df)
    r = run(wh, "candles_daily", "AAPL")["candles_ohlc_consistent"]
    assert r.status == "fail" and r.severity == "error"
    assert r.metrics["bad_rows"] == 2
    assert r.metrics["first_bad_session"] == date(2026, 9, 15)


def test_nan_high_fails_ohlc(wh):
    insert(wh, "candles_daily", candles())
    # Through SQL: a pandas NaN would arrive as NULL, which the NOT NULL column refuses.
    execute(wh, "UPDATE candles_daily SET high = 'nan'::DOUBLE WHERE session = '2026-11-02'")
    r = run(wh, "candles_daily", "AAPL")["candles_ohlc_consistent"]
    assert r.status == "fail" and r.metrics["first_bad_session"] == date(2026, 11, 2)


def test_stored_duplicate_session_fails(wh):
    df = candles()
    insert(wh, "candles_daily", df)
    insert(wh, "candles_daily", df[df["session"] == date(2026, 11, 18)])
    r = run(wh, "candles_daily", "AAPL")["candles_no_duplicate_sessions"]
    assert r.status == "fail"
    assert r.metrics["duplicate_keys"] == 1 and r.metrics["extra_rows"] == 1
    assert r.metrics["first_duplicate"]["session"] == date(2026, 11, 18)


def test_missing_session_in_window_fails_with_its_date(wh):
    df = candles()
    insert(wh, "candles_daily", df[df["session"] != date(2026, 11, 10)])
    r = run(wh, "candles_daily", "AAPL")["candles_missing_sessions"]
    assert r.status == "fail" and r.severity == "warn"
    assert r.metrics["missing_sessions"] == 1
    assert r.metrics["first_missing"] == date(2026, 11, 10)


def test_holidays_weekends_and_history_before_first_candle_are_not_gaps(wh):
    # Window over Thanksgiving (2026-11-26), as_of a Saturday, history starting mid-window.
    insert(wh, "candles_daily", candles(start=date(2026, 11, 2), end=date(2026, 12, 4)))
    got = run(wh, "candles_daily", "AAPL", as_of=date(2026, 12, 5))
    missing = got["candles_missing_sessions"]
    assert missing.status == "pass", missing.message
    expected = calendar.sessions_between(date(2026, 11, 2), date(2026, 12, 4))
    assert date(2026, 11, 26) not in expected
    assert missing.metrics["expected_sessions"] == len(expected)
    assert got["candles_stale"].status == "pass"


def test_candles_behind_as_of_are_stale(wh):
    insert(wh, "candles_daily", candles())
    r = run(wh, "candles_daily", "AAPL", as_of=date(2026, 11, 25))["candles_stale"]
    assert r.status == "fail"
    assert r.metrics["sessions_behind"] == 3
    assert r.metrics["last_session"] == END


def test_a_40_percent_jump_fails_extreme_return(wh):
    df = candles()
    spike = df["session"] == date(2026, 10, 14)
    df.loc[spike, ["close", "high"]] = df.loc[spike, ["close", "high"]] * 1.4
    insert(wh, "candles_daily", df)
    r = run(wh, "candles_daily", "AAPL")["candles_extreme_return"]
    assert r.status == "fail"
    assert r.metrics["max_abs_return"] > 0.35
    assert r.metrics["session"] == date(2026, 10, 14)


def test_an_old_jump_outside_60_sessions_is_ignored(wh):
    df = candles()
    spike = df["session"] == date(2026, 6, 10)
    df.loc[spike, "close"] = df.loc[spike, "close"] * 2
    insert(wh, "candles_daily", df)
    assert run(wh, "candles_daily", "AAPL")["candles_extreme_return"].status == "pass"


def test_symbol_without_candles_is_skipped(wh):
    insert(wh, "candles_daily", candles())
    got = run(wh, "candles_daily", "MSFT")
    assert {r.status for r in got.values()} == {"skip"}


# -- batch duplicates (before upsert) ------------------------------------------------------------


def _batch(df: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(df, preserve_index=False)


def test_batch_duplicates_fail_per_symbol_and_dedupe_keeps_the_last_row():
    a, m = candles("AAPL", date(2026, 11, 2), END), candles("MSFT", date(2026, 11, 2), END)
    again = a[a["session"] == date(2026, 11, 5)].assign(close=123.0)
    table = _batch(pd.concat([a, m, again], ignore_index=True))
    results = {r.partition_key: r for r in check_candle_batch_duplicates(table)}
    assert results["AAPL"].status == "fail" and results["MSFT"].status == "pass"
    assert results["AAPL"].check_name == "candles_batch_duplicates"
    assert results["AAPL"].severity == "error"
    assert results["AAPL"].metrics["duplicate_sessions"] == 1
    assert results["AAPL"].metrics["first_duplicate_session"] == date(2026, 11, 5)
    clean = dedupe_candle_batch(table)
    assert clean.num_rows == len(a) + len(m)
    kept = clean.to_pandas()
    row = kept[(kept["symbol"] == "AAPL") & (kept["session"] == date(2026, 11, 5))]
    assert row["close"].tolist() == [123.0]
    assert all(r.status == "pass" for r in check_candle_batch_duplicates(clean))


def test_batch_without_duplicates_is_returned_unchanged_and_empty_batch_has_no_results():
    table = _batch(candles("AAPL", date(2026, 11, 2), END))
    assert dedupe_candle_batch(table) is table
    assert check_candle_batch_duplicates(table.slice(0, 0)) == []


def test_batch_results_persist_through_persist_results(wh):
    table = _batch(pd.concat([candles("AAPL", END, END)] * 2))
    assert persist_results(wh, check_candle_batch_duplicates(table), "run-batch") == 1
    assert query(wh, "SELECT check_name, status, run_id FROM meta.asset_checks") == [
        ("candles_batch_duplicates", "fail", "run-batch")
    ]


# -- options_bars --------------------------------------------------------------------------------

BARS_START = date(2026, 10, 26)


@pytest.fixture(scope="module")
def sim_bars() -> tuple[pd.DataFrame, pd.DataFrame]:
    contracts = SIM.list_contracts("AAPL", date(2026, 11, 6), date(2026, 11, 27), END)
    # Near-the-money contracts trade every session; far wings may have no bars at all.
    spot = SIM.get_spot("AAPL", END)
    near = (contracts["strike"] - spot).abs().rank(method="first") <= 24
    contracts = contracts[near].reset_index(drop=True)
    bars = SIM.get_option_bars(contracts["contract_symbol"].tolist(), BARS_START, END)
    contracts = contracts.assign(
        first_seen=BARS_START, last_seen=END, provider="sim", status="active"
    )
    bars = bars.assign(underlying="AAPL", provider="sim", ingested_at=NOW)
    return contracts, bars


@pytest.fixture
def bars_wh(wh, sim_bars) -> Warehouse:
    contracts, bars = sim_bars
    insert(wh, "option_contracts", contracts)
    insert(wh, "options_bars", bars)
    return wh


def test_clean_option_bars_pass(bars_wh, sim_bars):
    got = run(bars_wh, "options_bars", "AAPL")
    assert {n: r.status for n, r in got.items()} == {
        "options_bars_no_duplicates": "pass",
        "options_bars_nonnegative_prices": "pass",
        "options_bars_after_expiry": "pass",
        "options_bars_future_dated": "pass",
        "options_bars_non_session_dated": "pass",
    }
    assert got["options_bars_after_expiry"].metrics["rows"] == len(sim_bars[1])


def test_duplicate_option_bar_fails(bars_wh, sim_bars):
    insert(bars_wh, "options_bars", sim_bars[1].head(3))
    r = run(bars_wh, "options_bars", "AAPL")["options_bars_no_duplicates"]
    assert r.status == "fail" and r.metrics["duplicate_keys"] == 3


def test_negative_option_price_or_volume_fails(bars_wh):
    execute(
        bars_wh,
        "UPDATE options_bars SET low = -0.05 WHERE rowid = (SELECT min(rowid) FROM options_bars)",
    )
    r = run(bars_wh, "options_bars", "AAPL")["options_bars_nonnegative_prices"]
    assert r.status == "fail" and r.metrics["negative_rows"] == 1
    execute(bars_wh, "UPDATE options_bars SET low = 0.0 WHERE low < 0")
    execute(
        bars_wh,
        "UPDATE options_bars SET volume = -1 WHERE rowid = (SELECT max(rowid) FROM options_bars)",
    )
    r = run(bars_wh, "options_bars", "AAPL")["options_bars_nonnegative_prices"]
    assert r.status == "fail" and r.metrics["negative_rows"] == 1


def _late_bar(sim_bars) -> tuple[pd.DataFrame, str, date]:
    contracts, bars = sim_bars
    first = contracts[contracts["contract_symbol"].isin(bars["contract_symbol"])]
    first = first.sort_values(["expiry", "contract_symbol"]).iloc[0]
    expiry = first["expiry"]
    late = bars[bars["contract_symbol"] == first["contract_symbol"]].tail(1)
    assert len(late) == 1
    late = late.assign(session=calendar.next_session(expiry))
    return late, first["contract_symbol"], expiry


def test_bar_after_contract_expiry_fails(bars_wh, sim_bars):
    late, symbol, expiry = _late_bar(sim_bars)
    insert(bars_wh, "options_bars", late)
    r = run(bars_wh, "options_bars", "AAPL")["options_bars_after_expiry"]
    assert r.status == "fail"
    assert r.metrics["bad_rows"] == 1
    assert r.metrics["first_bad"] == {
        "contract_symbol": symbol,
        "session": calendar.next_session(expiry),
        "expiry": expiry,
    }


def test_bar_after_expiry_is_found_from_the_osi_symbol_when_the_contract_is_unknown(
    bars_wh, sim_bars
):
    late, symbol, _expiry = _late_bar(sim_bars)
    insert(bars_wh, "options_bars", late)
    execute(bars_wh, "DELETE FROM option_contracts WHERE contract_symbol = ?", [symbol])
    r = run(bars_wh, "options_bars", "AAPL")["options_bars_after_expiry"]
    assert r.status == "fail" and r.metrics["bad_rows"] == 1
    assert r.metrics["expiry_from_symbol"] == 1


def test_underlying_without_bars_is_skipped(bars_wh):
    assert {r.status for r in run(bars_wh, "options_bars", "MSFT").values()} == {"skip"}


# -- snapshot files ------------------------------------------------------------------------------

SNAP_DATE = date(2026, 5, 29)  # the June monthly (third Friday 2026-06-19, Juneteenth) is 06-18
SNAP_KEY = f"AAPL|{SNAP_DATE}"


@pytest.fixture(scope="module")
def clean_chain() -> pd.DataFrame:
    spot = SIM.get_spot("AAPL", SNAP_DATE)
    expiries = SIM.list_expiries("AAPL", SNAP_DATE)
    chain = pd.concat([SIM.get_chain("AAPL", e, SNAP_DATE) for e in expiries], ignore_index=True)
    df = enrich_chain(chain, spot=spot, data_date=SNAP_DATE, rate=0.04)
    df.insert(2, "data_date", SNAP_DATE)
    return df.assign(provider="sim", simulated=True)


def write_snapshot(wh: Warehouse, df: pd.DataFrame, symbol: str = "AAPL") -> Path:
    written = write_snapshot_file(
        wh.path.parent, symbol, SNAP_DATE, pa.Table.from_pandas(df, preserve_index=False)
    )
    index = pa.table(
        {
            "symbol": [symbol],
            "data_date": pa.array([SNAP_DATE], pa.date32()),
            "path": [written.rel_path],
            "rows": [written.rows],
            "bytes": [written.bytes],
            "expiries": pa.array([df["expiry"].nunique()], pa.int32()),
            "spot": [float(df["spot"].iloc[0])],
            "provider": ["sim"],
            "simulated": [True],
            "written_at": pa.array([NOW], pa.timestamp("us")),
        }
    )
    with wh.writer() as conn:
        upsert_snapshot_index(conn, index)
    return wh.path.parent / written.rel_path


def snap(wh: Warehouse, df: pd.DataFrame) -> dict:
    write_snapshot(wh, df)
    return run(wh, "options_snapshot_file", SNAP_KEY, as_of=SNAP_DATE)


def _eligible(df: pd.DataFrame) -> pd.Series:
    return (df["dte"] >= 1) & (df["bid"] > 0) & (df["ask"] >= df["bid"])


def test_clean_snapshot_passes_every_snapshot_check(wh, clean_chain):
    got = snap(wh, clean_chain)
    assert {n: r.status for n, r in got.items()} == {
        "snapshot_contract_symbols_consistent": "pass",
        "snapshot_null_iv_ratio": "pass",
        "snapshot_crossed_quotes": "pass",
        "snapshot_iv_range": "pass",
        "snapshot_expected_expiries": "pass",
        "snapshot_future_dated": "pass",
        "snapshot_non_session_dated": "pass",
    }
    expected = got["snapshot_expected_expiries"].metrics["expected"]
    assert expected == [date(2026, 6, 18), date(2026, 7, 17)]


def test_contract_symbol_disagreeing_with_columns_or_unparseable_fails(wh, clean_chain):
    df = clean_chain.copy()
    df.loc[0, "strike"] = df.loc[0, "strike"] + 5
    df.loc[1, "contract_symbol"] = "NOT-A-SYMBOL"
    df.loc[2, "option_type"] = "put" if df.loc[2, "option_type"] == "call" else "call"
    r = snap(wh, df)["snapshot_contract_symbols_consistent"]
    assert r.status == "fail"
    m = r.metrics
    assert (m["bad_rows"], m["strike_mismatch"], m["unparseable"], m["type_mismatch"]) == (
        3,
        1,
        1,
        1,
    )


def test_root_or_expiry_mismatch_fails(wh, clean_chain):
    df = clean_chain.copy()
    df.loc[0, "underlying"] = "MSFT"
    df.loc[1, "expiry"] = df.loc[1, "expiry"] + timedelta(days=1)
    m = snap(wh, df)["snapshot_contract_symbols_consistent"].metrics
    assert (m["root_mismatch"], m["expiry_mismatch"]) == (1, 1)


def test_too_many_null_ivs_on_two_sided_quotes_fails(wh, clean_chain):
    df = clean_chain.copy()
    eligible = df.index[_eligible(df) & df["iv"].notna()]
    df.loc[eligible[: int(len(eligible) * 0.15)], "iv"] = float("nan")
    r = snap(wh, df)["snapshot_null_iv_ratio"]
    assert r.status == "fail" and r.severity == "warn"
    assert r.metrics["null_iv_ratio"] > 0.10


def test_null_iv_on_zero_dte_or_one_sided_quotes_does_not_count(wh, clean_chain):
    df = clean_chain.copy()
    one_sided = df["bid"] <= 0
    assert one_sided.any()
    df.loc[one_sided, "iv"] = float("nan")
    assert snap(wh, df)["snapshot_null_iv_ratio"].status == "pass"


def test_crossed_quotes_above_one_percent_fail(wh, clean_chain):
    df = clean_chain.copy()
    quoted = df.index[(df["bid"] > 0) & (df["ask"] > 0)]
    rows = quoted[: int(len(quoted) * 0.02) + 1]
    df.loc[rows, "bid"] = df.loc[rows, "ask"] + 0.10
    r = snap(wh, df)["snapshot_crossed_quotes"]
    assert r.status == "fail" and r.metrics["crossed_rows"] == len(rows)
    assert r.metrics["crossed_ratio"] > 0.01


def test_a_single_crossed_quote_is_tolerated(wh, clean_chain):
    df = clean_chain.copy()
    i = df.index[(df["bid"] > 0) & (df["ask"] > 0)][0]
    df.loc[i, "bid"] = df.loc[i, "ask"] + 0.05
    r = snap(wh, df)["snapshot_crossed_quotes"]
    assert r.status == "pass" and r.metrics["crossed_rows"] == 1


def test_iv_outside_range_fails(wh, clean_chain):
    df = clean_chain.copy()
    i = df.index[df["iv"].notna()][0]
    df.loc[i, "iv"] = 7.5
    r = snap(wh, df)["snapshot_iv_range"]
    assert r.status == "fail"
    assert r.metrics["out_of_range"] == 1 and r.metrics["max_iv"] == 7.5
    assert r.metrics["first_out_of_range"] == df.loc[i, "contract_symbol"]


def test_missing_monthly_expiry_fails(wh, clean_chain):
    df = clean_chain[clean_chain["expiry"] != date(2026, 7, 17)]
    r = snap(wh, df)["snapshot_expected_expiries"]
    assert r.status == "fail"
    assert r.metrics["missing"] == [date(2026, 7, 17)]


def test_monthly_expiry_moves_to_the_previous_session_on_a_holiday():
    assert standard_monthly_expiry(2026, 6) == date(2026, 6, 18)  # Juneteenth
    assert standard_monthly_expiry(2025, 4) == date(2025, 4, 17)  # Good Friday
    assert standard_monthly_expiry(2026, 11) == date(2026, 11, 20)


def test_indexed_snapshot_missing_on_disk_is_an_error(wh, clean_chain):
    write_snapshot(wh, clean_chain).unlink()
    got = run(wh, "options_snapshot_file", SNAP_KEY, as_of=SNAP_DATE)
    # The date checks judge the index row, which is fine; every check of the file is an error.
    dated = {"snapshot_future_dated", "snapshot_non_session_dated"}
    assert {r.status for n, r in got.items() if n not in dated} == {"error"}
    assert {got[n].status for n in dated} == {"pass"}
    assert "missing" in got["snapshot_iv_range"].message
    assert "snapshot-options" in got["snapshot_iv_range"].message


def test_snapshot_not_indexed_is_skipped_and_bad_partition_is_an_error(wh):
    got = run(wh, "options_snapshot_file", SNAP_KEY, as_of=SNAP_DATE)
    assert {r.status for r in got.values()} == {"skip"}
    got = run(wh, "options_snapshot_file", "AAPL-2026-05-29", as_of=SNAP_DATE)
    assert {r.status for r in got.values()} == {"error"}


# -- generic key checks --------------------------------------------------------------------------


def _drop_research_tables(wh: Warehouse) -> None:
    """The warehouse as it was before migration 003 created the research tables."""
    execute(wh, "DROP TABLE IF EXISTS options_flow")
    execute(wh, "DROP TABLE IF EXISTS derived_metrics")


def test_flow_and_derived_checks_skip_until_their_tables_exist(wh):
    _drop_research_tables(wh)
    for asset in ("options_flow", "derived_metrics"):
        got = run(wh, asset, "AAPL")
        assert len(got) == 2
        assert {(r.status, r.message) for r in got.values()} == {("skip", "table not created yet")}
    assert partitions_for(wh, "options_flow") == []


def _flow_table(wh: Warehouse, rows: list[tuple]) -> None:
    # Only the key columns (and NULL keys, which migration 003's NOT NULLs would refuse).
    _drop_research_tables(wh)
    execute(
        wh,
        "CREATE TABLE options_flow (symbol VARCHAR, session DATE, contract_symbol VARCHAR, "
        "delta_oi BIGINT)",
    )
    with wh.writer() as conn:
        conn.executemany("INSERT INTO options_flow VALUES (?, ?, ?, ?)", rows)


def test_flow_null_keys_and_duplicates_fail_once_the_table_exists(wh):
    d = date(2026, 11, 20)
    _flow_table(
        wh,
        [
            ("AAPL", d, "AAPL261120C00100000", 5),
            ("AAPL", d, "AAPL261120C00100000", 7),
            ("AAPL", d, None, 1),
            ("MSFT", d, "MSFT261120C00100000", 2),
        ],
    )
    got = run(wh, "options_flow", "AAPL")
    assert got["options_flow_null_keys"].status == "fail"
    assert got["options_flow_null_keys"].metrics["nulls_by_column"]["contract_symbol"] == 1
    (stored,) = query(
        wh,
        "SELECT metrics_json FROM meta.asset_checks WHERE check_name = 'options_flow_null_keys'",
    )[0]
    assert '"nulls_by_column":{"contract_symbol":1' in stored  # not taken for a secret
    assert got["options_flow_no_duplicates"].status == "fail"
    assert got["options_flow_no_duplicates"].metrics["extra_rows"] == 1
    clean = run(wh, "options_flow", "MSFT")
    assert {r.status for r in clean.values()} == {"pass"}
    assert {r.status for r in run(wh, "options_flow", "NVDA").values()} == {"skip"}
    assert partitions_for(wh, "options_flow") == ["AAPL", "MSFT"]


def test_generic_check_reports_columns_the_table_lacks(wh):
    _drop_research_tables(wh)
    execute(wh, "CREATE TABLE derived_metrics (symbol VARCHAR, spot DOUBLE)")
    got = run(wh, "derived_metrics", "AAPL")
    assert {r.status for r in got.values()} == {"error"}
    assert "session" in got["derived_metrics_no_duplicates"].message


def test_generic_factories_work_on_any_table(wh):
    execute(wh, "CREATE TABLE t (sym VARCHAR, k INTEGER)")
    execute(wh, "INSERT INTO t VALUES ('A', 1), ('A', 1), ('A', NULL)")
    checks = [
        Check("t_nulls", "options_flow", "error", "", null_keys_check("t", ["k"], "sym")),
        Check("t_dups", "options_flow", "error", "", duplicate_keys_check("t", ["k"], "sym")),
    ]
    got = run(wh, "options_flow", "A", checks=checks)
    assert got["t_nulls"].status == "fail" and got["t_dups"].status == "fail"
    with pytest.raises(ValueError):
        null_keys_check("t; DROP TABLE t", ["k"], "sym")


# -- runner, persistence, registry ---------------------------------------------------------------


def _boom(_inp) -> Outcome:
    raise RuntimeError("kaboom 42")


def test_a_raising_check_becomes_an_error_and_the_others_still_run(wh):
    insert(wh, "candles_daily", candles())
    raising = Check("boom", "candles_daily", "warn", "raises", _boom)
    checks = [raising, *checks_for("candles_daily")]
    results = run_checks(wh, wh.path.parent, "candles_daily", ["AAPL"], as_of=END, checks=checks)
    by_name = {r.check_name: r for r in results}
    assert by_name["boom"].status == "error"
    assert "RuntimeError" in by_name["boom"].message and "kaboom 42" in by_name["boom"].message
    assert by_name["candles_ohlc_consistent"].status == "pass"
    stored = query(wh, "SELECT status FROM meta.asset_checks WHERE check_name = 'boom'")
    assert stored == [("error",)]


def test_results_persist_with_run_id_and_metrics(wh):
    insert(wh, "candles_daily", candles())
    results = run_checks(wh, wh.path.parent, "candles_daily", ["AAPL"], as_of=END, run_id="r-1")
    rows = query(
        wh,
        "SELECT check_id, asset_key, partition_key, check_name, severity, status, run_id, "
        "metrics_json, message, checked_at FROM meta.asset_checks ORDER BY check_name",
    )
    assert len(rows) == len(results) == len(checks_for("candles_daily")) == 7
    assert {r[0] for r in rows} == {r.check_id for r in results}
    assert {(r[1], r[2], r[6]) for r in rows} == {("candles_daily", "AAPL", "r-1")}
    stale = next(r for r in rows if r[3] == "candles_stale")
    assert '"sessions_behind":0' in stale[7]
    assert all("***" not in r[7] for r in rows)  # no metric name mistaken for a secret
    assert stale[8] and stale[9] is not None and stale[9].tzinfo is None


def test_latest_results_keep_the_newest_per_check(wh):
    insert(wh, "candles_daily", candles())
    run_checks(wh, wh.path.parent, "candles_daily", ["AAPL"], as_of=date(2026, 11, 25))
    run_checks(wh, wh.path.parent, "candles_daily", ["AAPL"], as_of=END, run_id="second")
    latest = latest_results(wh, "candles_daily")
    assert len(latest) == 7
    stale = next(r for r in latest if r["check_name"] == "candles_stale")
    assert stale["status"] == "pass" and stale["run_id"] == "second"
    assert stale["metrics"]["sessions_behind"] == 0
    assert latest_results(wh, "options_bars") == []
    assert len(latest_results(wh)) == 7


def test_partitions_for_lists_symbols_and_snapshot_keys(wh, clean_chain):
    insert(wh, "candles_daily", candles("MSFT", END, END))
    insert(wh, "candles_daily", candles("AAPL", END, END))
    write_snapshot(wh, clean_chain.head(50))
    assert partitions_for(wh, "candles_daily") == ["AAPL", "MSFT"]
    assert partitions_for(wh, "options_bars") == []
    assert partitions_for(wh, "options_snapshot_file") == [SNAP_KEY]
    assert partitions_for(wh, "briefing_markdown") == []


def test_empty_partitions_or_unknown_asset(wh):
    from options_helper.errors import BadInputError

    assert run_checks(wh, wh.path.parent, "candles_daily", [], as_of=END) == []
    assert query(wh, "SELECT count(*) FROM meta.asset_checks") == [(0,)]
    with pytest.raises(BadInputError):
        run_checks(wh, wh.path.parent, "candles", ["AAPL"], as_of=END)


def test_catalogue_names_are_unique_and_cover_every_check():
    rows = catalogue()
    names = [r["name"] for r in rows]
    assert len(names) == len(set(names)) == len(CHECKS) + 1
    assert "candles_batch_duplicates" in names
    assert all(r["severity"] in ("warn", "error") and r["description"] for r in rows)
    assert {c.asset_key for c in CHECKS} == {
        "candles_daily",
        "options_bars",
        "options_snapshot_file",
        "options_flow",
        "derived_metrics",
    }


# -- batched evaluation --------------------------------------------------------------------------


class _CountingConn:
    """A reader connection that counts the queries sent through it."""

    def __init__(self, conn, sent: list[str]):
        self._conn, self._sent = conn, sent

    def execute(self, sql, params=None):
        self._sent.append(sql)
        return self._conn.execute(sql, params if params is not None else [])

    def __getattr__(self, name):
        return getattr(self._conn, name)


@pytest.fixture
def queries(monkeypatch) -> list[str]:
    sent: list[str] = []
    plain_reader = Warehouse.reader

    @contextmanager
    def counting_reader(self):
        with plain_reader(self) as conn:
            yield _CountingConn(conn, sent)

    monkeypatch.setattr(Warehouse, "reader", counting_reader)
    return sent


def test_candle_checks_send_as_many_queries_for_twenty_symbols_as_for_one(wh, queries):
    symbols = [f"S{i:02d}" for i in range(20)]
    insert(wh, "candles_daily", pd.concat([candles(s, date(2026, 10, 1)) for s in symbols]))
    run_checks(wh, wh.path.parent, "candles_daily", symbols[:1], as_of=END)
    one = len(queries)
    queries.clear()
    results = run_checks(wh, wh.path.parent, "candles_daily", symbols, as_of=END)
    assert len(queries) == one
    assert [r.partition_key for r in results] == [s for s in symbols for _ in range(7)]
    assert {r.status for r in results} == {"pass"}


def test_a_batch_check_sees_all_partitions_in_one_call(wh):
    calls = []

    def batch_fn(batch):
        calls.append(batch.partition_keys)
        return {k: Outcome("pass", f"saw {k}") for k in batch.partition_keys}

    check = Check.batched("seen", "candles_daily", "warn", "", batch_fn)
    results = run_checks(
        wh, wh.path.parent, "candles_daily", ["A", "B", "A"], as_of=END, checks=[check]
    )
    assert calls == [("A", "B")]
    assert [(r.partition_key, r.message) for r in results] == [("A", "saw A"), ("B", "saw B")]
    assert check.fn(CheckInput(None, wh.path.parent, "C", END)) == Outcome("pass", "saw C")


def test_a_raising_batch_fails_every_partition_and_a_partition_error_only_its_own(wh):
    def raising(batch):
        raise RuntimeError("batch kaboom")

    def partial(batch):
        return {"A": Outcome("pass", "ok"), "B": ValueError("bad B")}

    checks = [
        Check.batched("raising", "candles_daily", "warn", "", raising),
        Check.batched("partial", "candles_daily", "warn", "", partial),
    ]
    got = run_checks(wh, wh.path.parent, "candles_daily", ["A", "B", "C"], as_of=END, checks=checks)
    by = {(r.partition_key, r.check_name): r for r in got}
    assert {by[(k, "raising")].status for k in "ABC"} == {"error"}
    assert "RuntimeError: batch kaboom" in by[("C", "raising")].message
    assert by[("A", "partial")].status == "pass"
    assert by[("B", "partial")].status == "error"
    assert by[("B", "partial")].message == "check partial raised ValueError: bad B"
    assert by[("C", "partial")].status == "error"  # no outcome returned for C
    assert by[("C", "partial")].metrics == {"exception": "TypeError"}


def test_single_partition_functions_agree_with_the_batch(wh):
    df = candles()
    insert(wh, "candles_daily", df[df["session"] != date(2026, 11, 10)])
    results = run(wh, "candles_daily", "AAPL")
    with wh.reader() as conn:
        for check in checks_for("candles_daily"):
            alone = check.fn(CheckInput(conn, wh.path.parent, "AAPL", END))
            batched = results[check.name]
            assert (alone.status, alone.message, alone.metrics) == (
                batched.status,
                batched.message,
                batched.metrics,
            )


@pytest.mark.parametrize("key_type", ["DATE", "VARCHAR"])
def test_duplicate_keys_are_found_with_or_without_the_bitmap(wh, key_type, queries):
    # DATE keys take the per-partition bitmap; VARCHAR keys group every key. Same answers.
    execute(wh, f"CREATE TABLE t (sym VARCHAR, d {key_type})")
    execute(
        wh,
        "INSERT INTO t VALUES ('A', '2026-01-02'), ('A', '2026-01-02'), ('A', '2026-01-02'), "
        "('A', '2026-01-05'), ('B', '2026-01-02'), ('B', NULL), ('B', NULL), ('C', '2026-01-09'), "
        "('C', NULL)",
    )
    dups = duplicate_keys_check("t", ["sym", "d"], "sym")
    check = Check("t_dups", "options_flow", "error", "", dups)
    results = run_checks(
        wh, wh.path.parent, "options_flow", ["A", "B", "C", "D"], as_of=END, checks=[check]
    )
    got = {r.partition_key: r for r in results}
    a = got["A"].metrics
    assert (got["A"].status, a["duplicate_keys"], a["extra_rows"]) == ("fail", 1, 2)
    assert str(a["first_duplicate"]["d"]) == "2026-01-02"
    assert got["B"].status == "fail" and got["B"].metrics["first_duplicate"]["d"] is None
    assert (got["C"].status, got["D"].status) == ("pass", "skip")
    assert any("bitstring_agg" in q for q in queries) == (key_type == "DATE")


# -- snapshot files: one read, in memory, same answers as DuckDB ---------------------------------


def _defective_table(clean_chain: pd.DataFrame) -> pa.Table:
    df = clean_chain.copy()
    sym = clean_chain["contract_symbol"]
    df.loc[0, "contract_symbol"] = None  # bad rows without a symbol are not named first
    df.loc[1, "contract_symbol"] = ""
    df.loc[2, "strike"] = df.loc[2, "strike"] + 0.0004  # within tolerance
    df.loc[3, "strike"] = float("nan")
    df.loc[4, "contract_symbol"] = f" {sym[4].lower()} "  # parse_osi strips and upper-cases
    df.loc[5, "contract_symbol"] = sym[5][:4] + "  " + sym[5][4:]  # padded OSI
    df.loc[6, "contract_symbol"] = sym[6][:-15] + "260230" + sym[6][-9:]  # 30 February
    df.loc[7, "underlying"] = " aapl "
    df.loc[8, "underlying"] = None
    df.loc[9, "option_type"] = f" {df.loc[9, 'option_type'].upper()} "
    df.loc[10, "option_type"] = None
    df.loc[11, "expiry"] = df.loc[11, "expiry"] + timedelta(days=1)
    two_sided = df.index[(df["bid"] > 0) & (df["ask"] > 0) & (df["dte"] >= 1)]
    df.loc[two_sided[0], "bid"] = float("nan")  # DuckDB orders NaN above every number
    df.loc[two_sided[1], "ask"] = float("nan")
    df.loc[two_sided[2], ["bid", "ask"]] = float("nan")
    df.loc[two_sided[3], "bid"] = df.loc[two_sided[3], "ask"] + 0.2
    df.loc[two_sided[4], "dte"] = 0
    df.loc[two_sided[5], "ask"] = df.loc[two_sided[5], "bid"]
    with_iv = df.index[df["iv"].notna()]
    df.loc[with_iv[0], "iv"] = float("inf")
    df.loc[with_iv[1], "iv"] = 0.001
    df.loc[with_iv[2], "iv"] = float("nan")
    # pandas would write every NaN as NULL; keep NaN as NaN and make a few true NULLs.
    nulls = {"strike": [12], "bid": [two_sided[6]], "ask": [two_sided[7]], "iv": [with_iv[3]]}
    table = pa.Table.from_pandas(df, preserve_index=False)
    for col in ("strike", "bid", "ask", "iv"):
        mask = np.zeros(len(df), dtype=bool)
        mask[nulls[col]] = True
        values = pa.array(df[col].to_numpy(dtype=float), mask=mask)
        table = table.set_column(table.schema.get_field_index(col), col, values)
    return table


def _write_table(wh: Warehouse, clean_chain: pd.DataFrame, table: pa.Table) -> Path:
    path = write_snapshot(wh, clean_chain)  # the index row
    write_snapshot_file(wh.path.parent, "AAPL", SNAP_DATE, table)
    return path


def _unnamed_bad_rows_only(clean_chain: pd.DataFrame) -> pa.Table:
    df = clean_chain.copy()
    df.loc[0, "contract_symbol"] = None
    df.loc[1, "contract_symbol"] = ""
    return pa.Table.from_pandas(df, preserve_index=False)


def _zero_strike_without_strike(clean_chain: pd.DataFrame) -> pa.Table:
    # A zero OSI strike equals a NULL strike filled with zero; it must still be a mismatch.
    df = clean_chain.copy()
    df.loc[2, "contract_symbol"] = df.loc[2, "contract_symbol"][:-8] + "00000000"
    df.loc[2, "strike"] = None
    return pa.Table.from_pandas(df, preserve_index=False)


@pytest.mark.parametrize(
    "make", [_defective_table, _unnamed_bad_rows_only, _zero_strike_without_strike]
)
def test_in_memory_snapshot_aggregates_equal_duckdb_ones(wh, clean_chain, make):
    path = _write_table(wh, clean_chain, make(clean_chain))
    table = pq.read_table(path)
    with wh.reader() as conn:
        p = str(path)
        assert snapshot_arrays.symbol_counts(table) == snapshot_sql.symbol_counts(conn, p)
        assert snapshot_arrays.null_iv_counts(table) == snapshot_sql.null_iv_counts(conn, p)
        assert snapshot_arrays.crossed_counts(table) == snapshot_sql.crossed_counts(conn, p)
        assert snapshot_arrays.iv_range_counts(table, 0.01, 5.0) == snapshot_sql.iv_range_counts(
            conn, p, 0.01, 5.0
        )
        assert snapshot_arrays.distinct_expiries(table) == snapshot_sql.distinct_expiries(conn, p)


def test_defective_snapshot_counts(clean_chain):
    table = _defective_table(clean_chain)
    assert pc.sum(pc.is_nan(table["bid"])).as_py() == 2 and table["bid"].null_count == 1
    _rows, bad, counts, first = snapshot_arrays.symbol_counts(table)
    assert (bad, counts["unparseable"], counts["strike"], counts["root"]) == (8, 3, 2, 1)
    assert first == clean_chain.loc[3, "contract_symbol"]  # rows 0 and 1 have no symbol
    _rows, bad, _counts, first = snapshot_arrays.symbol_counts(_unnamed_bad_rows_only(clean_chain))
    assert (bad, first) == (2, "")  # the row loop kept the last unnamed one
    _rows, _bad, counts, _first = snapshot_arrays.symbol_counts(
        _zero_strike_without_strike(clean_chain)
    )
    assert counts["strike"] == 1


def test_a_snapshot_file_is_read_once_for_all_its_checks(wh, clean_chain, monkeypatch):
    write_snapshot(wh, clean_chain)
    opened = []
    plain = snapshots_module.pq.ParquetFile
    monkeypatch.setattr(snapshots_module.pq, "ParquetFile", lambda p: opened.append(p) or plain(p))
    got = run(wh, "options_snapshot_file", SNAP_KEY, as_of=SNAP_DATE)
    assert len(got) == 7 and {r.status for r in got.values()} == {"pass"}
    assert len(opened) == 1


def test_unusual_snapshot_column_types_give_the_same_results(wh, clean_chain):
    table = _defective_table(clean_chain)
    _write_table(wh, clean_chain, table)
    plain = run(wh, "options_snapshot_file", SNAP_KEY, as_of=SNAP_DATE)
    i = table.schema.get_field_index
    table = table.set_column(i("dte"), "dte", table["dte"].cast(pa.float64()))
    table = table.set_column(i("expiry"), "expiry", table["expiry"].cast(pa.timestamp("us")))
    table = table.set_column(i("underlying"), "underlying", table["underlying"].dictionary_encode())
    _write_table(wh, clean_chain, table)
    got = run(wh, "options_snapshot_file", SNAP_KEY, as_of=SNAP_DATE)
    assert {n: (r.status, r.message) for n, r in got.items()} == {
        n: (r.status, r.message) for n, r in plain.items()
    }


# -- rows dated in the future or on a day that is not a session ----------------------------------

FUTURE = date(2027, 6, 1)  # after as_of and latest_session below, whatever today is
SATURDAY = date(2026, 11, 14)


def plant(wh: Warehouse, table: str, key_column: str, key: str, day: date) -> None:
    """Copy one stored row of ``key`` to ``day`` (a bad vendor file or a hand edit)."""
    execute(
        wh,
        f"INSERT INTO {table} SELECT * REPLACE (?::DATE AS session) FROM {table} "
        f"WHERE {key_column} = ? LIMIT 1",
        [day, key],
    )


def test_future_and_saturday_candles_fail_with_error_severity(wh):
    insert(wh, "candles_daily", candles())
    plant(wh, "candles_daily", "symbol", "AAPL", FUTURE)
    plant(wh, "candles_daily", "symbol", "AAPL", SATURDAY)
    got = run(wh, "candles_daily", "AAPL")
    future, saturday = got["candles_future_dated"], got["candles_non_session_dated"]
    assert (future.status, future.severity) == ("fail", "error")
    assert future.metrics["future_rows"] == 1 and future.metrics["first_future"] == FUTURE
    assert (saturday.status, saturday.severity) == ("fail", "error")
    assert saturday.metrics["non_session_rows"] == 1
    assert saturday.metrics["first_non_session"] == SATURDAY and "Saturday" in saturday.message
    # The future candle no longer makes the symbol look current.
    stale = run(wh, "candles_daily", "AAPL", as_of=date(2026, 11, 25))["candles_stale"]
    assert stale.status == "fail" and stale.metrics["last_session"] == END


def test_holiday_and_out_of_calendar_candles_are_not_sessions(wh):
    insert(wh, "candles_daily", candles())
    plant(wh, "candles_daily", "symbol", "AAPL", date(2026, 7, 3))  # Independence Day observed
    plant(wh, "candles_daily", "symbol", "AAPL", date(1999, 12, 31))
    r = run(wh, "candles_daily", "AAPL")["candles_non_session_dated"]
    assert r.status == "fail"
    assert r.metrics["non_sessions"] == [date(1999, 12, 31), date(2026, 7, 3)]


def test_an_older_as_of_does_not_make_later_rows_future(wh):
    # A backfill or a Dagster partition checks an older session; the rows after it are real.
    insert(wh, "candles_daily", candles())
    got = run(wh, "candles_daily", "AAPL", as_of=date(2026, 9, 1), latest_session=END)
    assert got["candles_future_dated"].status == "pass"
    assert got["candles_future_dated"].metrics["latest_session"] == END


def test_future_and_saturday_option_bars_fail(bars_wh):
    plant(bars_wh, "options_bars", "underlying", "AAPL", FUTURE)
    plant(bars_wh, "options_bars", "underlying", "AAPL", SATURDAY)
    got = run(bars_wh, "options_bars", "AAPL")
    assert got["options_bars_future_dated"].status == "fail"
    assert got["options_bars_non_session_dated"].metrics["first_non_session"] == SATURDAY
    assert {got[n].severity for n in got} == {"error"}


def test_snapshot_indexed_on_a_saturday_or_in_the_future_fails(wh, clean_chain):
    write_snapshot(wh, clean_chain)
    for day in (SATURDAY, FUTURE):
        execute(
            wh,
            "INSERT INTO options_snapshots SELECT * REPLACE (?::DATE AS data_date) "
            f"FROM options_snapshots WHERE symbol = 'AAPL' AND data_date = '{SNAP_DATE}'",
            [day],
        )
    keys = [SNAP_KEY, f"AAPL|{SATURDAY}", f"AAPL|{FUTURE}"]
    results = run_checks(wh, wh.path.parent, "options_snapshot_file", keys, as_of=END)
    got = {
        (r.partition_key, r.check_name): r.status
        for r in results
        if r.check_name in ("snapshot_future_dated", "snapshot_non_session_dated")
    }
    assert got == {
        (SNAP_KEY, "snapshot_future_dated"): "pass",
        (SNAP_KEY, "snapshot_non_session_dated"): "pass",
        (f"AAPL|{SATURDAY}", "snapshot_future_dated"): "pass",
        (f"AAPL|{SATURDAY}", "snapshot_non_session_dated"): "fail",
        (f"AAPL|{FUTURE}", "snapshot_future_dated"): "fail",
        (f"AAPL|{FUTURE}", "snapshot_non_session_dated"): "pass",
    }


def test_checks_run_exits_1_on_planted_future_and_saturday_candles(cli, data_dir):
    assert cli("ingest", "candles", "-s", "AAPL", "--end", str(END)).exit_code == 0
    code, doc = cli.json("checks", "run", "--asset", "candles_daily")
    assert code == 0, doc
    db = Warehouse(data_dir / "warehouse.duckdb")
    plant(db, "candles_daily", "symbol", "AAPL", FUTURE)
    plant(db, "candles_daily", "symbol", "AAPL", SATURDAY)
    code, doc = cli.json("checks", "run", "--asset", "candles_daily")
    assert code == 1
    failed = {c["check_name"]: c for c in doc["checks"] if c["status"] == "fail"}
    assert failed["candles_future_dated"]["severity"] == "error"
    assert failed["candles_non_session_dated"]["severity"] == "error"
