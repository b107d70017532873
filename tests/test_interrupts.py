"""Ctrl-C and SIGTERM end a run as failed/interrupted (exit 130 / 143), wherever they land:
inside a DuckDB query (which turns SIGINT into an error of its own), in a write, or in Python.
Real signals; the process tests use real processes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from options_helper import interrupts
from options_helper.config import load_config
from options_helper.jobs import ingest_candles as ingest_module
from options_helper.jobs.context import JobContext
from options_helper.jobs.ingest_candles import ingest_candles
from options_helper.providers.sim import SimProvider
from options_helper.warehouse import Warehouse
from options_helper.warehouse.migrate import migrate

END = date(2026, 11, 20)
OH = [sys.executable, "-m", "options_helper"]
LONG_QUERY = "SELECT count(*) FROM range(20000000000) t(i) WHERE i % 7 = 3"


@pytest.fixture(autouse=True)
def _cli_signal_handling():
    """The handlers the CLI installs (interrupts.install), restored after each test."""
    with interrupts.handling():
        yield


def _sigint_in(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    return timer


def test_sigint_inside_a_reader_query_is_a_keyboard_interrupt(tmp_path):
    """DuckDB turns the signal into RuntimeError('Query interrupted'); we give it back."""
    wh = Warehouse(tmp_path / "w.duckdb")
    migrate(wh)
    timer = _sigint_in(0.3)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), wh.reader() as conn:
        conn.execute(LONG_QUERY).fetchall()
    timer.join()
    assert time.monotonic() - started < 10


def test_sigint_inside_a_write_rolls_it_back_and_is_a_keyboard_interrupt(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    migrate(wh)
    timer = _sigint_in(0.3)
    with pytest.raises(KeyboardInterrupt), wh.writer() as conn:
        conn.execute("CREATE TABLE planted AS SELECT 1 AS x")
        conn.execute(LONG_QUERY).fetchall()
    timer.join()
    with wh.reader() as conn:
        tables = {r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert "planted" not in tables


def test_ctrl_c_during_the_candle_upsert_is_an_interrupted_run_not_failed_partitions(
    tmp_path, monkeypatch
):
    """The issue's case: an interrupt inside the write used to mark every partition of the
    batch failed/internal 'write failed: Query interrupted' and the run ended normally.
    The real upsert runs; the wrapper only times the Ctrl-C to land 50 ms into it."""
    real_upsert = ingest_module.upsert_candles
    timers = []

    def upsert_with_ctrl_c(conn, table):
        timers.append(_sigint_in(0.05))
        return real_upsert(conn, table)

    monkeypatch.setattr(ingest_module, "upsert_candles", upsert_with_ctrl_c)
    symbols = [f"S{i:04d}" for i in range(1500)]
    cfg = load_config({"data_dir": tmp_path})
    wh = Warehouse(cfg.db_path)
    ctx = JobContext(cfg, SimProvider(), wh)
    with pytest.raises(KeyboardInterrupt):
        ingest_candles(ctx, symbols, end=END, backfill_years=10)
    for t in timers:
        t.join()
    with wh.reader() as conn:
        runs = conn.execute(
            "SELECT status, error_type, error_message FROM meta.ingestion_runs"
        ).fetchall()
        events = conn.execute(
            "SELECT count(*) FROM meta.ingestion_run_assets WHERE status = 'failed'"
        ).fetchone()
        checks = conn.execute("SELECT count(*) FROM meta.asset_checks").fetchone()
        stored = conn.execute("SELECT count(*) FROM candles_daily").fetchone()
    assert runs == [("failed", "interrupted", "interrupted by SIGINT")]
    assert events == (0,)
    assert checks == (0,)
    assert stored == (0,)  # the interrupted transaction was rolled back whole


# -- real processes --------------------------------------------------------------------------


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("OPTIONS_HELPER_")}


@pytest.fixture(scope="module")
def big_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse whose candle checks take seconds (30M rows), so a signal lands in a query."""
    data = tmp_path_factory.mktemp("big")
    subprocess.run([*OH, "--data-dir", str(data), "db", "init"], check=True, env=_env())
    with duckdb.connect(str(data / "warehouse.duckdb")) as conn:
        conn.execute(
            """
            INSERT INTO candles_daily
            SELECT 'S' || (i // 2000)::VARCHAR, DATE '2010-01-01' + (i % 2000)::INT,
                   10, 11, 9, 10.5, 1000, 'sim', TIMESTAMP '2026-11-20 22:00:00'
            FROM range(30000000) t(i)
            """
        )
    return data


def _wait_for_running_run(db: Path, job: str, proc: subprocess.Popen, timeout_s=60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            with duckdb.connect(str(db), read_only=True) as conn:
                n = conn.execute(
                    "SELECT count(*) FROM meta.ingestion_runs WHERE job_name = ? "
                    "AND status = 'running'",
                    [job],
                ).fetchone()[0]
            if n:
                return
        except duckdb.Error:
            pass  # the job holds the write lock right now
        time.sleep(0.05)
    raise AssertionError(f"no running {job} run within {timeout_s}s")


def _runs(db: Path, job: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(
            "SELECT run_id, status, error_type FROM meta.ingestion_runs WHERE job_name = ?", [job]
        ).fetchall()


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_checks_run_ends_it_interrupted(tmp_path, big_warehouse, sig, code):
    """`checks run` spends seconds inside DuckDB queries: SIGINT used to be swallowed there
    (rc 0, bogus `error` check rows); SIGTERM used to kill the process silently and leave the run
    `running`. Both now end the run failed/interrupted, promptly, with one line."""
    data = tmp_path / "data"
    shutil.copytree(big_warehouse, data)
    db = data / "warehouse.duckdb"
    proc = subprocess.Popen(
        [*OH, "--data-dir", str(data), "checks", "run", "-a", "candles_daily"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    _wait_for_running_run(db, "run_checks", proc)
    time.sleep(0.3)  # inside the check queries (they take ~1.5 s here)
    proc.send_signal(sig)
    sent = time.monotonic()
    out, err = proc.communicate(timeout=60)
    assert time.monotonic() - sent < 15, "the signal waited for the queries to finish"
    assert proc.returncode == code, (out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "interrupted by" in lines[0], err
    assert "Traceback" not in err
    ((run_id, status, error_type),) = _runs(db, "run_checks")
    assert (status, error_type) == ("failed", "interrupted")
    with duckdb.connect(str(db), read_only=True) as conn:
        invented = conn.execute(
            "SELECT count(*) FROM meta.asset_checks WHERE run_id = ? AND status = 'error'",
            [run_id],
        ).fetchone()[0]
    assert invented == 0


@pytest.mark.slow
def test_sigterm_during_an_ingest_finalises_the_run_and_exits_143(tmp_path):
    """systemd / docker stop / `timeout` send SIGTERM: the run must not stay `running`."""
    data = tmp_path / "data"
    symbols = ",".join(f"T{i:04d}" for i in range(3000))
    proc = subprocess.Popen(
        [*OH, "--data-dir", str(data), "ingest", "candles", "-s", symbols, "--end", str(END)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    _wait_for_running_run(data / "warehouse.duckdb", "ingest_candles", proc)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, (out, err)
    assert "interrupted by SIGTERM" in err and "Traceback" not in err
    ((_, status, error_type),) = _runs(data / "warehouse.duckdb", "ingest_candles")
    assert (status, error_type) == ("failed", "interrupted")
