"""RunLogger overhead: a job logging 10,000 asset events vs the same job without the logger.

Run: .venv/bin/python bench/bench_run_logger.py [--symbols 10000] [--repeat 5]

The job is the real `ingest_candles` over N symbols (a few sessions each, so every symbol is
one asset event) against a replay provider (fake only at the network edge). Post-job checks are
off in BOTH variants so the ratio isolates the ledger: run row, batched asset events,
watermarks, heartbeat thread, finalisation. Variants alternate on fresh warehouses; best of N.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

from bench_ingest_candles import ReplayProvider, make_frames

from options_helper.config import load_config
from options_helper.domain import calendar
from options_helper.jobs.context import JobContext
from options_helper.jobs.ingest_candles import ingest_candles
from options_helper.observability.events import AssetResult
from options_helper.observability.run_logger import RunLogger
from options_helper.warehouse import Warehouse
from options_helper.warehouse.migrate import migrate


def run_once(frames, start, end, ledger: bool) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "w.duckdb"
        migrate(Warehouse(db))
        cfg = load_config({"data_dir": Path(tmp), "db": db})
        ctx = JobContext(cfg, ReplayProvider(frames, end), Warehouse(db))
        ctx = replace(ctx, ledger=ledger, post_checks=False)
        ctx.ensure_warehouse()
        t0 = time.perf_counter()
        report = ingest_candles(ctx, list(frames), start=start, end=end)
        elapsed = time.perf_counter() - t0
        assert report.status == "success"
        return elapsed, len(report.assets)


def logger_alone(n: int) -> float:
    """The ledger's own work for ``n`` events, without the job around it."""
    with tempfile.TemporaryDirectory() as tmp:
        wh = Warehouse(Path(tmp) / "w.duckdb")
        migrate(wh)
        results = [
            AssetResult(
                "candles_daily",
                f"S{i}",
                "success",
                rows=5,
                min_event=date(2026, 11, 16),
                max_event=date(2026, 11, 20),
            )
            for i in range(n)
        ]
        t0 = time.perf_counter()
        with RunLogger(wh, "ingest_candles", provider="replay") as run:
            run.record_all(results)
        return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--symbols", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    end = calendar.session_on_or_before(date(2026, 11, 20))
    start = calendar.sessions_ending(end, 5)[0]
    frames = {
        sym: df[df["session"].dt.date >= start].reset_index(drop=True)
        for sym, df in make_frames(args.symbols, 1, end).items()
    }
    bare, logged = [], []
    events = 0
    for _ in range(args.repeat):
        bare.append(run_once(frames, start, end, ledger=False)[0])
        t, events = run_once(frames, start, end, ledger=True)
        logged.append(t)
    b, lg = min(bare), min(logged)
    own = min(logger_alone(events) for _ in range(args.repeat))
    print(f"asset events per run: {events:,} (best of {args.repeat})")
    print(f"job without RunLogger: {b:.3f} s")
    print(f"job with RunLogger   : {lg:.3f} s")
    print(f"ratio with/without   : {lg / b:.3f} (target <= 1.05)")
    print(
        f"RunLogger alone (enter, {events:,} records, flush, finalise): {own:.3f} s "
        f"= {own / b:.1%} of the bare job"
    )


if __name__ == "__main__":
    main()
