"""Benchmark `ingest_candles` (the real job code) against one bulk Arrow insert of the same rows.

Run: .venv/bin/python bench/bench_ingest_candles.py [--symbols 500] [--years 10]

The provider is a replay of pre-generated frames (the network edge is faked, as in tests), so
the job's own cost is measured: symbol planning, payload validation, Arrow conversion,
batching, idempotent upsert transactions. The baseline inserts the identical rows into a fresh
warehouse with one `INSERT ... SELECT` from one Arrow table. Both target a fresh file with the
same schema; the printed ratio is job rate / bulk rate (target >= 0.5).

It also times an incremental re-run (no --start) on the filled warehouse: planning finds, per
symbol, the first session missing since its first stored one (none here), so every symbol is
skipped; that is the planning query over every stored row plus the run ledger.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from options_helper.config import load_config
from options_helper.domain import calendar
from options_helper.jobs.context import JobContext
from options_helper.jobs.ingest_candles import ingest_candles
from options_helper.warehouse import Warehouse
from options_helper.warehouse.migrate import migrate


class ReplayProvider:
    """Serves pre-generated candle frames (fake at the provider edge)."""

    name = "replay"
    simulated = True
    supports_history = True

    def __init__(self, frames: dict[str, pd.DataFrame], end: date):
        self.frames = frames
        self.end = end

    def latest_session(self, now: datetime) -> date:
        return self.end

    def get_candles(self, symbol: str, start: date, end: date) -> pd.DataFrame:
        return self.frames[symbol]


def make_frames(n_symbols: int, years: int, end: date) -> dict[str, pd.DataFrame]:
    start = end.replace(year=end.year - years)
    # datetime64 session column, as pandas-based vendors (yfinance) and the sim return it.
    sessions = pd.to_datetime(calendar.sessions_between_d64(start, end))
    rng = np.random.default_rng(1)
    n = len(sessions)
    frames = {}
    for i in range(n_symbols):
        close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
        spread = close * 0.01
        frames[f"S{i:04d}"] = pd.DataFrame(
            {
                "symbol": f"S{i:04d}",
                "session": sessions,
                "open": close,
                "high": close + spread,
                "low": close - spread,
                "close": close,
                "volume": rng.integers(1_000, 1_000_000, n),
            }
        )
    return frames


def run_job(
    frames: dict[str, pd.DataFrame], end: date, start: date, db: Path
) -> tuple[float, int, float]:
    """(job seconds, rows, incremental re-run seconds)."""
    migrate(Warehouse(db))
    cfg = load_config({"data_dir": db.parent, "db": db})
    ctx = JobContext(cfg, ReplayProvider(frames, end), Warehouse(db))
    t0 = time.perf_counter()
    report = ingest_candles(ctx, list(frames), start=start, end=end)
    elapsed = time.perf_counter() - t0
    assert report.status == "success", report.asstr()
    t0 = time.perf_counter()
    again = ingest_candles(ctx, list(frames), end=end)
    incremental = time.perf_counter() - t0
    assert {a.status for a in again.assets} == {"skipped"}, again.asstr()
    return elapsed, report.rows_for("candles_daily"), incremental


def run_bulk(frames: dict[str, pd.DataFrame], db: Path) -> tuple[float, int]:
    wh = Warehouse(db)
    migrate(wh)
    df = pd.concat(frames.values(), ignore_index=True)
    now = datetime.now(UTC).replace(tzinfo=None)
    table = pa.table(
        {
            "symbol": df["symbol"],
            "session": pa.array(df["session"], pa.date32()),
            "open": df["open"],
            "high": df["high"],
            "low": df["low"],
            "close": df["close"],
            "volume": pa.array(df["volume"], pa.int64()),
            "provider": pa.repeat(pa.scalar("replay"), len(df)),
            "ingested_at": pa.repeat(pa.scalar(now, pa.timestamp("us")), len(df)),
        }
    )
    t0 = time.perf_counter()
    with wh.writer() as conn:
        conn.register("bulk", table)
        conn.execute("INSERT INTO candles_daily SELECT * FROM bulk")
    elapsed = time.perf_counter() - t0
    return elapsed, table.num_rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--symbols", type=int, default=500)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    end = calendar.session_on_or_before(date(2026, 11, 20))
    start = end.replace(year=end.year - args.years)
    frames = make_frames(args.symbols, args.years, end)
    job_times, bulk_times, plan_times = [], [], []
    rows = 0
    for i in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            t, rows, plan = run_job(frames, end, start, Path(tmp) / f"job{i}.duckdb")
            job_times.append(t)
            plan_times.append(plan)
        with tempfile.TemporaryDirectory() as tmp:
            t, bulk_rows = run_bulk(frames, Path(tmp) / f"bulk{i}.duckdb")
            bulk_times.append(t)
        assert bulk_rows == rows
    job_s, bulk_s = min(job_times), min(bulk_times)
    print(f"rows: {rows:,} ({args.symbols} symbols x {args.years} years), best of {args.repeat}")
    print(f"ingest_candles job : {job_s:.3f} s  {rows / job_s:,.0f} rows/s")
    print(f"bulk Arrow insert  : {bulk_s:.3f} s  {rows / bulk_s:,.0f} rows/s")
    print(f"ratio job/bulk rate: {bulk_s / job_s:.2f} (target >= 0.50)")
    print(f"incremental re-run : {min(plan_times):.3f} s  (planning, all {args.symbols} skipped)")


if __name__ == "__main__":
    main()
