"""Ingest commands end to end on the sim provider, against a real warehouse in a temp dir."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import duckdb
import pyarrow.parquet as pq
import pytest

from options_helper.config import load_config
from options_helper.domain import calendar
from options_helper.jobs.context import JobContext
from options_helper.jobs.ingest_options_bars import ingest_options_bars

END = date(2026, 11, 20)


def _rows(db, sql):
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_candles_on_empty_dir_backfill_two_years_and_rerun_is_identical(cli, data_dir):
    r = cli("ingest", "candles", "--symbol", "AAPL", "--symbol", "MSFT", "--end", str(END))
    assert r.exit_code == 0, r.output
    db = data_dir / "warehouse.duckdb"
    sql = "SELECT symbol, session, open, high, low, close, volume FROM candles_daily ORDER BY 1, 2"
    first = _rows(db, sql)
    per_symbol = dict(_rows(db, "SELECT symbol, count(*) FROM candles_daily GROUP BY 1"))
    expected = len(calendar.sessions_between(date(2024, 11, 20), END))
    assert per_symbol == {"AAPL": expected, "MSFT": expected}
    # Same range again: replaced, not duplicated, identical values.
    r = cli("ingest", "candles", "-s", "AAPL,MSFT", "--start", "2024-11-20", "--end", str(END))
    assert r.exit_code == 0, r.output
    assert _rows(db, sql) == first


def test_candles_are_incremental_after_the_first_run(cli, data_dir):
    cli("ingest", "candles", "-s", "AAPL", "--end", "2026-11-13")
    code, report = cli.json("ingest", "candles", "-s", "AAPL", "--end", str(END))
    assert code == 0
    (asset,) = report["assets"]
    assert asset["min_event"] == "2026-11-16" and asset["max_event"] == str(END)
    assert asset["rows"] == 5
    code, report = cli.json("ingest", "candles", "-s", "AAPL", "--end", str(END))
    assert report["assets"][0]["status"] == "skipped"


def test_snapshot_twice_gives_the_same_rows_and_one_index_row(cli, data_dir):
    assert cli("ingest", "candles", "-s", "AAPL", "-s", "MSFT", "--end", str(END)).exit_code == 0
    r = cli("snapshot-options", "--symbol", "AAPL", "--as-of", str(END))
    assert r.exit_code == 0, r.output
    path = data_dir / "snapshots" / "AAPL" / f"{END}.parquet"
    first = pq.read_table(path).to_pandas()
    assert len(first) > 200
    assert {"iv", "delta", "gamma", "theta_per_day", "vega_per_pt", "mid", "mark"} <= set(first)
    assert first["iv"].notna().mean() > 0.8
    assert (first["simulated"]).all()
    assert cli("snapshot-options", "--symbol", "AAPL", "--as-of", str(END)).exit_code == 0
    second = pq.read_table(path).to_pandas()
    assert first.equals(second)
    index = _rows(
        data_dir / "warehouse.duckdb",
        "SELECT symbol, data_date, rows, bytes, path FROM options_snapshots",
    )
    assert index == [
        ("AAPL", END, len(first), path.stat().st_size, f"snapshots/AAPL/{END}.parquet")
    ]
    assert not list(path.parent.glob("*.tmp"))


def test_snapshot_rejects_non_sessions_and_future_dates(cli):
    r = cli("snapshot-options", "-s", "AAPL", "--as-of", "2026-11-21")
    assert r.exit_code == 2 and "not an XNYS trading session" in r.stderr
    r = cli("snapshot-options", "-s", "AAPL", "--as-of", "2099-01-02")
    assert r.exit_code == 2
    r = cli("snapshot-options", "-s", "AAPL", "--as-of", "yesterday")
    assert r.exit_code == 2 and "use YYYY-MM-DD" in r.stderr
    assert "Traceback" not in r.output


def test_one_failing_symbol_does_not_stop_the_others(cli, data_dir):
    env = {"OPTIONS_HELPER_SIM_FAULTS": "not_found:ZZZZ"}
    code, report = cli.json(
        "ingest", "candles", "-s", "AAPL", "-s", "ZZZZ", "--end", str(END), env=env
    )
    assert code == 1
    assert report["status"] == "partial"
    by_symbol = {a["partition_key"]: a for a in report["assets"]}
    assert by_symbol["AAPL"]["status"] == "success"
    assert by_symbol["ZZZZ"]["status"] == "failed"
    assert by_symbol["ZZZZ"]["error_type"] == "not_found"
    assert _rows(data_dir / "warehouse.duckdb", "SELECT DISTINCT symbol FROM candles_daily") == [
        ("AAPL",)
    ]


def test_a_failing_snapshot_writes_no_file(cli, data_dir):
    env = {"OPTIONS_HELPER_SIM_FAULTS": "timeout:MSFT"}
    code, report = cli.json(
        "snapshot-options", "-s", "AAPL", "-s", "MSFT", "--as-of", str(END), env=env
    )
    assert code == 1 and report["status"] == "partial"
    assert not (data_dir / "snapshots" / "MSFT").exists()
    assert (data_dir / "snapshots" / "AAPL" / f"{END}.parquet").exists()


def test_bad_fault_spec_is_one_line(cli):
    r = cli("ingest", "candles", "-s", "AAPL", env={"OPTIONS_HELPER_SIM_FAULTS": "explode:AAPL"})
    assert r.exit_code == 2
    assert len(r.stderr.strip().splitlines()) == 1


class CountingProvider:
    """Wraps the sim provider and counts bar requests (fake only at the network edge)."""

    def __init__(self, inner):
        self.inner = inner
        self.bar_contracts = 0
        self.name, self.simulated, self.supports_history = inner.name, True, True

    def __getattr__(self, item):
        return getattr(self.inner, item)

    def get_option_bars(self, contract_symbols, start, end):
        self.bar_contracts += len(contract_symbols)
        return self.inner.get_option_bars(contract_symbols, start, end)


@pytest.fixture
def ctx(data_dir):
    c = JobContext.from_config(load_config({"data_dir": data_dir}))
    c.provider = CountingProvider(c.provider)
    return c


def test_options_bars_resume_without_refetching(ctx, data_dir):
    first = ingest_options_bars(ctx, ["AAPL"], end=date(2026, 11, 19), lookback_days=20)
    assert first.status == "success", first.asstr()
    fetched_first = ctx.provider.bar_contracts
    assert fetched_first > 100
    bars = first.rows_for("options_bars")
    assert bars > 1000
    # Same end again: everything is complete, nothing is fetched.
    again = ingest_options_bars(ctx, ["AAPL"], end=date(2026, 11, 19), lookback_days=20)
    assert ctx.provider.bar_contracts == fetched_first
    assert again.partitions("options_bars", "skipped") == ["AAPL"]
    # One session later: only the missing session is requested, per contract.
    later = ingest_options_bars(ctx, ["AAPL"], end=END, lookback_days=20)
    assert later.status == "success"
    db = data_dir / "warehouse.duckdb"
    dupes = _rows(
        db,
        "SELECT count(*) FROM (SELECT contract_symbol, session FROM options_bars GROUP BY ALL HAVING count(*) > 1)",
    )
    assert dupes == [(0,)]
    (max_session,) = _rows(db, "SELECT max(session) FROM options_bars")[0]
    assert max_session == END
    progress = _rows(
        db,
        "SELECT min(fetched_through), max(fetched_through) FROM options_bars_progress WHERE NOT complete",
    )
    assert progress == [(END, END)]


def test_options_bars_match_a_clean_single_run(data_dir, tmp_path):
    """Incremental runs end with the same bars as one run over the whole window."""
    inc = JobContext.from_config(load_config({"data_dir": data_dir}))
    ingest_options_bars(inc, ["MSFT"], end=date(2026, 11, 18), lookback_days=10)
    ingest_options_bars(inc, ["MSFT"], end=END, lookback_days=12)
    clean_dir = tmp_path / "clean"
    clean = JobContext.from_config(load_config({"data_dir": clean_dir}))
    ingest_options_bars(clean, ["MSFT"], end=END, lookback_days=12)
    sql = (
        "SELECT contract_symbol, session, open, high, low, close, volume FROM options_bars "
        "WHERE session >= DATE '2026-11-08' ORDER BY 1, 2"
    )
    assert _rows(data_dir / "warehouse.duckdb", sql) == _rows(clean_dir / "warehouse.duckdb", sql)


# -- incremental planning from the sessions actually missing --------------------------------------


def _latest() -> date:
    return calendar.latest_completed_session(datetime.now(UTC))


def _plant_candle(db, symbol: str, day: date) -> None:
    """A copy of the symbol's last candle, dated ``day`` (as a bad vendor file or hand edit would)."""
    with duckdb.connect(str(db)) as conn:
        conn.execute(
            "INSERT INTO candles_daily SELECT symbol, ?::DATE, open, high, low, close, volume, "
            "provider, ingested_at FROM candles_daily WHERE symbol = ? ORDER BY session DESC "
            "LIMIT 1",
            [day, symbol],
        )


def test_plain_ingest_refills_a_hole_despite_a_future_candle(cli, data_dir):
    assert cli("ingest", "candles", "-s", "AAPL").exit_code == 0
    db = data_dir / "warehouse.duckdb"
    hole = calendar.session_on_or_before(_latest() - timedelta(days=120))
    with duckdb.connect(str(db)) as conn:
        conn.execute("DELETE FROM candles_daily WHERE symbol = 'AAPL' AND session = ?", [hole])
    _plant_candle(db, "AAPL", _latest() + timedelta(days=190))  # e.g. 2027-06-01
    _plant_candle(db, "AAPL", date(2026, 6, 6))  # a Saturday: not a session, not "data"

    code, report = cli.json("ingest", "candles", "-s", "AAPL")
    assert code == 0
    (asset,) = report["assets"]
    assert asset["status"] == "success", report
    assert asset["min_event"] == str(hole) and asset["max_event"] == str(_latest())
    stored = _rows(
        db, f"SELECT count(*) FROM candles_daily WHERE symbol = 'AAPL' AND session = '{hole}'"
    )
    assert stored == [(1,)]


def test_incremental_ingest_ignores_rows_after_end_and_on_non_sessions(cli, data_dir):
    assert cli("ingest", "candles", "-s", "AAPL", "--end", "2026-11-13").exit_code == 0
    db = data_dir / "warehouse.duckdb"
    _plant_candle(db, "AAPL", date(2026, 11, 14))  # a Saturday
    _plant_candle(db, "AAPL", END)  # a session, but after the next run's --end
    code, report = cli.json("ingest", "candles", "-s", "AAPL", "--end", "2026-11-18")
    assert code == 0
    (asset,) = report["assets"]
    assert asset["status"] == "success", report
    assert asset["min_event"] == "2026-11-16" and asset["max_event"] == "2026-11-18"
    assert asset["rows"] == 3
