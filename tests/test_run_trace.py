"""No run without a trace: a job's running row is committed before its first data write, so a
run killed at any moment never leaves data the ledger cannot account for."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from options_helper.config import load_config
from options_helper.jobs.context import JobContext
from options_helper.jobs.report import JobReport
from options_helper.providers.sim import SimProvider
from options_helper.warehouse import Warehouse
from tests.lock_holder import write_lock_held

OH = [sys.executable, "-m", "options_helper"]


def _ctx(tmp_path) -> JobContext:
    cfg = load_config({"data_dir": tmp_path})
    return JobContext(cfg, SimProvider(), Warehouse(cfg.db_path))


def test_the_first_data_write_of_a_job_sees_its_running_row(tmp_path):
    ctx = _ctx(tmp_path)
    seen = []
    for _ in range(10):
        report = JobReport("ingest_candles", "sim", True, params={})
        with ctx.run(report) as run, ctx.warehouse.writer() as conn:
            seen.append(
                conn.execute(
                    "SELECT status FROM meta.ingestion_runs WHERE run_id = ?", [run.run_id]
                ).fetchall()
            )
    assert seen == [[("running",)]] * 10


def test_a_job_whose_running_row_waited_for_a_lock_writes_it_before_its_data(tmp_path):
    """Another process holds the lock longer than the ledger thread's patience: the data write
    then inserts the running row itself, first."""
    ctx = _ctx(tmp_path)
    ctx.ensure_warehouse()
    impatient = Warehouse(ctx.warehouse.path, ctx.warehouse.retry.__class__(max_wait_s=0.2))
    ctx.warehouse = impatient
    report = JobReport("ingest_candles", "sim", True, params={})
    with write_lock_held(impatient.path, seconds=1.0) as holder, ctx.run(report) as run:
        time.sleep(0.5)  # the row insert gives up meanwhile
        holder.wait(timeout=30)
        with ctx.warehouse.writer() as conn:
            row = conn.execute(
                "SELECT status FROM meta.ingestion_runs WHERE run_id = ?", [run.run_id]
            ).fetchall()
    assert row == [("running",)]


@pytest.mark.slow
@pytest.mark.parametrize("kill_after_s", [0.0, 0.05, 0.1, 0.2, 0.4, 0.8])
def test_a_sigkilled_ingest_never_leaves_data_without_its_run(tmp_path, kill_after_s):
    """SIGKILL at moments spread over the start of a run (the issue saw 1 of 6 such trials with
    no ledger row): whatever the moment, stored candles imply a ledger row for their run."""
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTIONS_HELPER_")}
    subprocess.run([*OH, "--data-dir", str(data), "db", "init"], check=True, env=env)
    db = data / "warehouse.duckdb"
    symbols = ",".join(f"K{i:03d}" for i in range(40))
    proc = subprocess.Popen(
        [*OH, "--data-dir", str(data), "ingest", "candles", "-s", symbols, "--end", "2026-11-20"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    # Start the clock when the process first writes (its WAL appears), then wait the trial's
    # delay and kill.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if (data / "warehouse.duckdb.wal").exists():
            break
        time.sleep(0.005)
    time.sleep(kill_after_s)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    try:
        with duckdb.connect(str(db), read_only=True) as conn:
            candles = conn.execute("SELECT count(*) FROM candles_daily").fetchone()[0]
            runs = conn.execute(
                "SELECT count(*) FROM meta.ingestion_runs WHERE job_name = 'ingest_candles'"
            ).fetchone()[0]
    except duckdb.Error as exc:
        # Seen once in ~60 trials: DuckDB itself found a block checksum mismatch after a SIGKILL
        # right at the first write. That is DuckDB's durability, not this test's invariant (and
        # `db status`/`db check` report it); reported as xfail so it stays visible, not hidden.
        if "corrupt" not in str(exc).lower():
            raise
        pytest.xfail(f"DuckDB reported the file damaged after SIGKILL: {exc}")
    if candles:
        assert runs == 1
