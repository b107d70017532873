"""RunLogger overhead: a job logging 10,000 asset events vs the same job without the logger.

Run (from bench/): ../.venv/bin/python bench_run_logger.py [--symbols 10000] [--repeat 5]

The job is the real `ingest_candles` over N symbols × 5 sessions (one asset event per symbol),
measured with two providers, both reported:

* ``sim``: the default provider, generating each symbol's candles (the job as a user runs it
  offline; a network provider spends far longer per symbol);
* ``replay``: pre-built frames handed back with no work at all (fake only at the network edge),
  so the job is just conversion and one upsert, and the ratio shows the ledger's cost at its
  most visible.

Post-job checks are off in BOTH variants so the ratio isolates the ledger: run row, batched
asset events, watermarks, heartbeat thread, finalisation. Variants alternate on fresh
warehouses; best of N. The fixture frames are moved out of the garbage collector's reach
(``gc.freeze``) before timing: otherwise a full collection over 10,000 pre-built DataFrames lands
in one variant or the other at random and swamps the difference being measured.
"""

from __future__ import annotations

import argparse
import gc
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
from options_helper.providers.sim import SimProvider
from options_helper.warehouse import Warehouse
from options_helper.warehouse.migrate import migrate

TARGET = 1.05


def run_once(provider, symbols, start, end, ledger: bool) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "w.duckdb"
        migrate(Warehouse(db))
        cfg = load_config({"data_dir": Path(tmp), "db": db})
        ctx = JobContext(cfg, provider, Warehouse(db))
        ctx = replace(ctx, ledger=ledger, post_checks=False)
        ctx.ensure_warehouse()
        gc.collect()
        t0 = time.perf_counter()
        report = ingest_candles(ctx, symbols, start=start, end=end)
        elapsed = time.perf_counter() - t0
        assert report.status == "success"
        assert report.rows_for("candles_daily") == 5 * len(symbols)
        return elapsed, len(report.assets)


def compare(label: str, provider, symbols, start, end, repeat: int) -> tuple[float, int]:
    bare, logged = [], []
    events = 0
    for _ in range(repeat):
        bare.append(run_once(provider, symbols, start, end, ledger=False)[0])
        t, events = run_once(provider, symbols, start, end, ledger=True)
        logged.append(t)
    b, lg = min(bare), min(logged)
    verdict = "met" if lg / b <= TARGET else "NOT met"
    print(f"[{label}] asset events per run: {events:,} (best of {repeat})")
    print(f"[{label}] job without RunLogger: {b:.3f} s")
    print(f"[{label}] job with RunLogger   : {lg:.3f} s")
    print(f"[{label}] ratio with/without   : {lg / b:.3f} (target <= {TARGET}: {verdict})")
    return b, events


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
    ap.add_argument("--repeat", type=int, default=5, help="pairs for the replay job")
    ap.add_argument("--sim-repeat", type=int, default=3, help="pairs for the sim job (~30 s each)")
    args = ap.parse_args()
    end = calendar.session_on_or_before(date(2026, 11, 20))
    start = calendar.sessions_ending(end, 5)[0]
    symbols = [f"S{i:05d}" for i in range(args.symbols)]

    if args.sim_repeat:
        compare("sim", SimProvider(seed=7), symbols, start, end, args.sim_repeat)
    frames = {
        sym: df[df["session"].dt.date >= start].reset_index(drop=True)
        for sym, df in make_frames(args.symbols, 1, end).items()
    }
    gc.collect()
    gc.freeze()
    b, events = compare(
        "replay", ReplayProvider(frames, end), list(frames), start, end, args.repeat
    )
    own = min(logger_alone(events) for _ in range(args.repeat))
    print(
        f"RunLogger alone (enter, {events:,} records, flush, finalise): {own:.3f} s "
        f"= {own / events * 1e6:.1f} µs per event, {own / b:.1%} of the bare replay job"
    )


if __name__ == "__main__":
    main()
