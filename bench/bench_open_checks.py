"""Cost of the cheap integrity checks at job start, against opening the warehouse without them.

Run: .venv/bin/python bench/bench_open_checks.py [--db PATH] [--sessions 5] [--repeat 20]

Without --db, builds a demo warehouse (`demo --sessions N`) in a temp dir. Baseline: what
`schema_status` did before the checks, i.e. open read-only and read meta.schema_migrations.
The checks run once per process per warehouse (a job start), so every measurement starts
without cached expectations. Also times each check alone, the in-memory build of the expected
schema that a stale schema.json would fall back to, and the full `db check` scan. Best of
--repeat.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from options_helper.config import load_config
from options_helper.jobs.context import JobContext
from options_helper.jobs.demo import run_demo
from options_helper.warehouse import Warehouse, verify
from options_helper.warehouse.migrate import (
    _LEDGER_DDL,
    _applied,
    available_migrations,
    schema_status,
)


def best_ms(fn: Callable[[], object], repeat: int, before: Callable[[], None] = lambda: None):
    times = []
    for _ in range(repeat):
        before()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) * 1000


def measure(db: Path, repeat: int) -> None:
    wh = Warehouse(db)
    scripts = (_LEDGER_DDL, *(m.sql for m in available_migrations()))
    assert not schema_status(wh).problems, "the benchmark needs an intact warehouse"

    def cold() -> None:  # what a new process has: no cached expectation, manifest unread
        verify.expected_columns.cache_clear()
        verify._shipped_manifest.cache_clear()

    def baseline() -> None:
        with wh.reader() as conn:
            _applied(conn)

    base = best_ms(baseline, repeat)
    first = best_ms(lambda: schema_status(wh), repeat, cold)
    print(f"warehouse {db}: {db.stat().st_size / 2**20:.1f} MiB")
    print(f"baseline: open read-only + read the migration ledger : {base:6.1f} ms")
    print(f"schema_status with the cheap checks (job start)      : {first:6.1f} ms")
    print(f"added per job start: {first - base:.1f} ms (ratio {first / base:.2f})")
    print("each check alone:")
    header = best_ms(lambda: verify.file_problems(db), repeat)
    print(f"  header and size (12 KiB read)          : {header:6.2f} ms")
    with wh.reader() as conn:
        blocks = best_ms(lambda: verify.block_problems(conn, db), repeat)
        print(f"  blocks in use vs file size             : {blocks:6.2f} ms")
        shipped = best_ms(lambda: verify.expected_columns(scripts), repeat, cold)
        print(f"  expected schema, shipped schema.json   : {shipped:6.2f} ms")
        built = best_ms(lambda: verify.build_expected_columns(scripts), repeat)
        print(f"  expected schema, built from migrations : {built:6.2f} ms (the fallback)")
        cols = verify.expected_columns(scripts)
        drift = best_ms(lambda: verify.schema_problems(conn, cols), repeat)
        print(f"  schema drift compare                   : {drift:6.2f} ms")
    scan = best_ms(lambda: verify.scan_tables(wh), max(3, repeat // 5))
    print(f"full scan (db check)                     : {scan:6.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, help="an existing warehouse (default: build a demo)")
    ap.add_argument("--sessions", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    if args.db:
        measure(args.db, args.repeat)
        return
    with tempfile.TemporaryDirectory() as tmp:
        config = load_config({"data_dir": Path(tmp)})
        t0 = time.perf_counter()
        run_demo(JobContext.from_config(config, triggered_by="demo"), sessions=args.sessions)
        print(f"built demo ({args.sessions} sessions) in {time.perf_counter() - t0:.1f} s")
        measure(config.db_path, args.repeat)


if __name__ == "__main__":
    main()
