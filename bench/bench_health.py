"""`db health` latency on a large ledger vs a bare count of the same tables.

Run: .venv/bin/python bench/bench_health.py [--runs 100000] [--assets 2000000] [--repeat 5]

Builds a warehouse whose ledger holds N runs (a mix of statuses over 90 days, 8 jobs) and M
asset rows (20 per run), plus watermarks and check results, then times `collect_health`
(each call opens its own read-only connection, as the CLI does) against opening a connection
and running `SELECT count(*)` on meta.ingestion_runs and meta.ingestion_run_assets.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from options_helper.observability.health import collect_health
from options_helper.warehouse import Warehouse
from options_helper.warehouse.migrate import migrate

JOBS = [
    "ingest_candles",
    "ingest_options_bars",
    "snapshot_options",
    "run_checks",
    "compute_flow",
    "compute_derived",
    "build_briefing",
    "run_daily",
]


def build(db: Path, runs: int, assets: int) -> None:
    migrate(Warehouse(db))
    per_run = max(1, assets // runs)
    now = datetime.now(UTC).replace(tzinfo=None)
    jobs_sql = "[" + ", ".join(f"'{j}'" for j in JOBS) + "]"
    with duckdb.connect(str(db)) as conn:
        conn.execute(
            f"""
            INSERT INTO meta.ingestion_runs (run_id, job_name, triggered_by, status, started_at,
                ended_at, duration_ms, heartbeat_at, pid, host, provider, storage_backend,
                error_type, error_message, error_fingerprint)
            SELECT 'r' || i, {jobs_sql}[1 + i % 8], 'cron',
                   CASE WHEN i % 50 = 0 THEN 'failed' WHEN i % 17 = 0 THEN 'partial' ELSE 'success' END,
                   ?::TIMESTAMP - INTERVAL (({runs} - i) * 77) SECOND,
                   ?::TIMESTAMP - INTERVAL (({runs} - i) * 77 - 30) SECOND, 30000,
                   ?::TIMESTAMP - INTERVAL (({runs} - i) * 77 - 30) SECOND, 1000 + i % 100, 'bench', 'sim', 'duckdb',
                   CASE WHEN i % 50 = 0 THEN 'timeout' WHEN i % 17 = 0 THEN 'not_found' END,
                   CASE WHEN i % 50 = 0 THEN 'sim: request timed out after 30s'
                        WHEN i % 17 = 0 THEN '1 of 8 partitions failed' END,
                   CASE WHEN i % 50 = 0 THEN 'fp-timeout' WHEN i % 17 = 0 THEN 'fp-notfound' END
            FROM range({runs}) t(i)
            """,
            [now, now, now],
        )
        conn.execute(
            f"""
            INSERT INTO meta.ingestion_run_assets
            SELECT 'r' || (i // {per_run}), 'candles_daily', 'table', 'S' || (i % 500),
                   CASE WHEN i % 997 = 0 THEN 'failed' ELSE 'success' END, 250, 0, NULL,
                   DATE '2026-11-20', DATE '2026-11-20',
                   CASE WHEN i % 997 = 0 THEN 'not_found' END,
                   CASE WHEN i % 997 = 0 THEN 'sim: symbol not found' END, NULL,
                   ?::TIMESTAMP - INTERVAL (({assets} - i) * 4) SECOND
            FROM range({assets}) t(i)
            """,
            [now],
        )
        conn.execute(
            """
            INSERT INTO meta.asset_watermarks
            SELECT a, 'S' || i, DATE '2026-11-20' - (i % 5)::INTEGER, now(), 'r1'
            FROM range(500) t(i), (VALUES ('candles_daily'), ('options_bars')) v(a)
            """
        )
        conn.execute(
            """
            INSERT INTO meta.asset_checks
            SELECT 'c' || i, 'candles_daily', 'S' || (i % 500), 'check_' || (i % 5),
                   'error', CASE WHEN i % 101 = 0 THEN 'fail' ELSE 'pass' END,
                   now() - INTERVAL (i) SECOND, '{}', 'ok', 'r1'
            FROM range(200000) t(i)
            """
        )


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--assets", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "w.duckdb"
        t0 = time.perf_counter()
        build(db, args.runs, args.assets)
        print(
            f"built ledger: {args.runs:,} runs, {args.assets:,} asset rows in {time.perf_counter() - t0:.1f} s"
        )
        wh = Warehouse(db)

        def bare() -> None:
            with wh.reader() as conn:
                conn.execute("SELECT count(*) FROM meta.ingestion_runs").fetchone()
                conn.execute("SELECT count(*) FROM meta.ingestion_run_assets").fetchone()

        report = collect_health(wh)
        health_s = best(lambda: collect_health(wh), args.repeat)
        bare_s = best(bare, args.repeat)
        print(
            f"health: {len(report.jobs)} jobs, {len(report.failures)} failure groups, "
            f"{len(report.watermarks)} watermarks, {len(report.failed_checks)} failing checks"
        )
        print(f"db health (collect_health): {health_s * 1000:.1f} ms")
        print(f"bare count(*) x2          : {bare_s * 1000:.1f} ms")
        print(f"ratio health/count        : {health_s / bare_s:.1f}")


if __name__ == "__main__":
    main()
