"""`compute_flow` and `derived update` on N symbols x 2 sessions of full simulated chains.

Run: .venv/bin/python bench/bench_research.py [--symbols 500] [--repeat 3]

Setup (not timed): snapshots for N symbols on two consecutive sessions through the real
snapshot job. Timed: the real `compute_flow` job as `run daily` runs it (reads both snapshots of
every symbol, computes contract-level flow, writes `options_flow`, ledger and checks; without
the display payload the `flow` command reads back) and the real
`compute_derived` job for the two sessions. Baseline, same process and same files: a
straightforward pandas implementation of the same flow — per symbol, read both Parquet files
and outer-merge on contract_symbol, then compute ΔOI, notionals and classes — that writes
nothing (so the comparison favours the baseline). Prints per symbol-session times, rows/s and
the ratio baseline time / job time (ours must be > 1).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from options_helper.config import load_config
from options_helper.domain import calendar
from options_helper.domain.flow import (
    BUILD_MIN_CONTRACTS,
    BUILD_MIN_FRACTION,
    CHURN_MIN_FRACTION,
    CHURN_MIN_VOLUME,
)
from options_helper.jobs.compute_derived import compute_derived
from options_helper.jobs.compute_flow import compute_flow
from options_helper.jobs.context import JobContext
from options_helper.jobs.snapshot_options import snapshot_options

SESSION = date(2026, 11, 20)


def pandas_flow(today_path: Path, prev_path: Path, session: date) -> pd.DataFrame:
    cols = [
        "contract_symbol",
        "expiry",
        "strike",
        "option_type",
        "mid",
        "last",
        "delta",
        "spot",
        "open_interest",
        "volume",
    ]
    t = pd.read_parquet(today_path, columns=cols)
    p = pd.read_parquet(prev_path, columns=cols)
    m = t.merge(p, on="contract_symbol", how="outer", suffixes=("", "_prev"), indicator=True)
    m["oi"] = m["open_interest"].fillna(0.0)
    m["oi_prev"] = m["open_interest_prev"].fillna(0.0)
    m["volume_prev"] = m["volume_prev"].fillna(0.0)
    m["delta_oi"] = m["oi"] - m["oi_prev"]
    m["mark"] = m["mid"].fillna(m["last"]).fillna(m["mid_prev"].fillna(m["last_prev"]))
    m["expiry"] = pd.to_datetime(m["expiry"].fillna(m["expiry_prev"]))
    m["dte"] = (m["expiry"] - pd.Timestamp(session)).dt.days
    build = np.maximum(BUILD_MIN_CONTRACTS, BUILD_MIN_FRACTION * m["oi_prev"])
    churn = np.maximum(CHURN_MIN_VOLUME, CHURN_MIN_FRACTION * m["oi_prev"])
    m["flow_class"] = np.select(
        [
            m["_merge"] == "left_only",
            m["_merge"] == "right_only",
            m["delta_oi"] >= build,
            m["delta_oi"] <= -build,
            m["volume_prev"] >= churn,
        ],
        ["opened", "closed", "building", "unwinding", "churn"],
        default="quiet",
    )
    m["delta_oi_notional_usd"] = m["delta_oi"] * m["mark"] * 100
    m["volume_notional_usd"] = m["volume_prev"] * m["mark"] * 100
    m["delta_notional_usd"] = (
        m["delta_oi"] * m["delta"].fillna(m["delta_prev"]) * m["spot"].fillna(m["spot_prev"]) * 100
    )
    return m[(m["_merge"] != "right_only") | (m["dte"] > 0)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--symbols", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    symbols = [f"S{i:03d}" for i in range(args.symbols)]
    prev = calendar.previous_session(SESSION)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = load_config({"data_dir": Path(tmp)})
        ctx = JobContext.from_config(cfg)
        t0 = time.perf_counter()
        for d in (prev, SESSION):
            r = snapshot_options(ctx, symbols, as_of=d)
            assert r.status == "success", r.asstr()
        contracts = sum(a.rows for a in r.assets)
        print(
            f"setup: {len(symbols)} symbols x 2 sessions of snapshots "
            f"({contracts:,} contracts on {SESSION}) in {time.perf_counter() - t0:.0f} s"
        )

        flow_times, base_times = [], []
        flow_rows = 0
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            rep = compute_flow(ctx, symbols, as_of=SESSION, with_payload=False)
            flow_times.append(time.perf_counter() - t0)
            assert rep.status == "success"
            flow_rows = rep.rows_for("options_flow")
            t0 = time.perf_counter()
            base_rows = 0
            for s in symbols:
                base_rows += len(
                    pandas_flow(
                        Path(tmp) / f"snapshots/{s}/{SESSION}.parquet",
                        Path(tmp) / f"snapshots/{s}/{prev}.parquet",
                        SESSION,
                    )
                )
            base_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        drep = compute_derived(ctx, symbols, start=prev, end=SESSION)
        derived_s = time.perf_counter() - t0
        assert drep.status == "success"

    flow_s, base_s = min(flow_times), min(base_times)
    n = len(symbols)
    print(
        f"compute_flow job   : {flow_s:.2f} s, {flow_s / n * 1000:.1f} ms per symbol-session, "
        f"{flow_rows / flow_s:,.0f} rows/s ({flow_rows:,} rows, best of {args.repeat})"
    )
    print(
        f"pandas merge flow  : {base_s:.2f} s, {base_s / n * 1000:.1f} ms per symbol-session, "
        f"{base_rows / base_s:,.0f} rows/s (in memory, writes nothing)"
    )
    print(f"ratio baseline/job : {base_s / flow_s:.2f}x (ours must be > 1)")
    print(
        f"derived update     : {derived_s:.2f} s for {2 * n} symbol-sessions, "
        f"{derived_s / (2 * n) * 1000:.1f} ms per symbol-session, "
        f"{drep.rows_for('derived_metrics') / derived_s:,.1f} rows/s"
    )


if __name__ == "__main__":
    main()
