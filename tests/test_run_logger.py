"""RunLogger, reaper, fingerprints and ledger JSON against a real warehouse."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pytest

from options_helper.jsonutil import ledger_json, redact
from options_helper.observability.events import AssetResult
from options_helper.observability.fingerprint import fingerprint, normalize_message
from options_helper.observability.reaper import find_abandoned, reap_abandoned
from options_helper.observability.run_logger import RunLogger
from options_helper.providers.errors import ProviderTimeoutError
from options_helper.warehouse import Warehouse
from options_helper.warehouse.connection import RetryPolicy
from options_helper.warehouse.migrate import migrate
from tests.lock_holder import write_lock_held


@pytest.fixture
def wh(tmp_path) -> Warehouse:
    w = Warehouse(tmp_path / "w.duckdb")
    migrate(w)
    return w


def _q(wh, sql, params=None):
    # Through Warehouse.reader: it waits out this process's heartbeat writer.
    with wh.reader() as conn:
        return conn.execute(sql, params or []).fetchall()


def _ok(sym, d=date(2026, 11, 20), rows=10):
    return AssetResult("candles_daily", sym, "success", rows=rows, min_event=d, max_event=d)


def test_success_run_is_finalised_with_duration(wh):
    with RunLogger(wh, "ingest_candles", provider="sim", heartbeat_s=0) as run:
        run.record(_ok("AAPL"))
    (status, ended, duration, etype) = _q(
        wh, "SELECT status, ended_at, duration_ms, error_type FROM meta.ingestion_runs"
    )[0]
    assert status == "success" and ended is not None and duration >= 0 and etype is None


def test_events_are_written_in_batches(wh, monkeypatch):
    import options_helper.observability.run_logger as rl

    writes = []
    real = rl.record_events
    monkeypatch.setattr(
        rl,
        "record_events",
        lambda conn, events, *a: (writes.append(events.num_rows), real(conn, events, *a)),
    )
    with RunLogger(wh, "j", heartbeat_s=0, flush_every=400) as run:
        for i in range(1000):
            run.record(_ok(f"S{i}"))
    assert writes == [400, 400, 200]
    assert _q(wh, "SELECT count(*) FROM meta.ingestion_run_assets")[0][0] == 1000


def test_partial_and_failed_outcomes(wh):
    fail = AssetResult(
        "candles_daily", "ZZZZ", "failed", error_type="not_found", error_message="gone"
    )
    with RunLogger(wh, "a", heartbeat_s=0) as run:
        run.record_all([_ok("AAPL"), fail])
    with RunLogger(wh, "b", heartbeat_s=0) as run:
        run.record(fail)
    rows = dict(
        (j, (s, e))
        for j, s, e in _q(wh, "SELECT job_name, status, error_type FROM meta.ingestion_runs")
    )
    assert rows == {"a": ("partial", "not_found"), "b": ("failed", "not_found")}


def test_an_escaping_exception_fails_the_run_with_its_error_type(wh):
    with pytest.raises(ProviderTimeoutError), RunLogger(wh, "j", heartbeat_s=0):
        raise ProviderTimeoutError("sim: request timed out after 30s")
    assert _q(wh, "SELECT status, error_type FROM meta.ingestion_runs") == [("failed", "timeout")]


def test_ctrl_c_marks_the_run_interrupted(wh):
    with pytest.raises(KeyboardInterrupt), RunLogger(wh, "j", heartbeat_s=0) as run:
        run.record(_ok("AAPL"))
        raise KeyboardInterrupt
    assert _q(wh, "SELECT status, error_type FROM meta.ingestion_runs") == [
        ("failed", "interrupted")
    ]
    assert _q(wh, "SELECT count(*) FROM meta.ingestion_run_assets") == [(1,)]


def test_heartbeat_advances_while_running(wh):
    import time

    with RunLogger(wh, "j", heartbeat_s=0.05) as run:
        first = _wait_for_row(wh, run.run_id)[1]
        time.sleep(0.4)
        (later,) = _q(
            wh, "SELECT heartbeat_at FROM meta.ingestion_runs WHERE run_id = ?", [run.run_id]
        )[0]
    assert later > first


def _wait_for_row(wh, run_id, timeout_s=10.0):
    """The run's (status, heartbeat_at) once its row is visible (the background thread
    inserts it right after the job starts)."""
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rows = _q(
            wh, "SELECT status, heartbeat_at FROM meta.ingestion_runs WHERE run_id = ?", [run_id]
        )
        if rows:
            return rows[0]
        time.sleep(0.02)
    raise AssertionError(f"run {run_id} never appeared in meta.ingestion_runs")


def test_running_row_appears_while_the_job_runs(wh):
    with RunLogger(wh, "j", heartbeat_s=5) as run:
        assert _wait_for_row(wh, run.run_id)[0] == "running"
        run.record(_ok("AAPL"))
    assert _q(wh, "SELECT status FROM meta.ingestion_runs") == [("success",)]


def test_run_is_written_whole_when_the_warehouse_was_busy_at_start(tmp_path):
    """Another process holds the write lock longer than this run may wait when it starts: the
    job still runs, and on exit the run row and its events are written in one go."""
    import time

    path = tmp_path / "w.duckdb"
    migrate(Warehouse(path))
    with write_lock_held(path, seconds=1.5) as holder:
        impatient = Warehouse(path, RetryPolicy(max_wait_s=0.2))
        with RunLogger(impatient, "j", heartbeat_s=0.05) as run:
            time.sleep(0.5)  # the row insert gives up meanwhile
            run.record(_ok("AAPL"))
            run.flush()  # nothing to write to yet: the events stay buffered
            holder.wait(timeout=30)
    # Exit waited for the lock (the writer's patience covers the rest of the hold).
    rows = _q(Warehouse(path), "SELECT run_id, status FROM meta.ingestion_runs")
    assert rows == [(run.run_id, "success")]
    assert _q(Warehouse(path), "SELECT partition_key FROM meta.ingestion_run_assets") == [("AAPL",)]
    marks = "SELECT scope_key, watermark FROM meta.asset_watermarks"
    assert _q(Warehouse(path), marks) == [("AAPL", date(2026, 11, 20))]


def test_watermark_scope_in_sql_matches_asset_result_scope_key(wh):
    keys = ["AAPL", "BRK.B", "AAPL|2026-11-20", "2026-11-20", "2026-11-20|x", "20261120", "A-1"]
    with RunLogger(wh, "j", heartbeat_s=0) as run:
        run.record_all(
            AssetResult(f"asset{i}", k, "success", rows=1, max_event=date(2026, 11, 20))
            for i, k in enumerate(keys)
        )
    stored = dict(_q(wh, "SELECT asset_key, scope_key FROM meta.asset_watermarks"))
    expected = {f"asset{i}": AssetResult("a", k, "success").scope_key for i, k in enumerate(keys)}
    assert stored == expected
    assert expected["asset3"] == "all" and expected["asset2"] == "AAPL"


def test_dead_process_run_is_marked_abandoned(wh):
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(proc.stdout)
    now = datetime.now()
    with duckdb.connect(str(wh.path)) as conn:
        for run_id, pid, host, hb in (
            ("dead", dead_pid, __import__("socket").gethostname(), now),
            ("alive", __import__("os").getpid(), __import__("socket").gethostname(), now),
            ("silent", 1, "other-host", now - timedelta(hours=1)),
        ):
            conn.execute(
                "INSERT INTO meta.ingestion_runs (run_id, job_name, triggered_by, status, started_at, heartbeat_at, pid, host) "
                "VALUES (?, 'ingest_candles', 'cli', 'running', ?, ?, ?, ?)",
                [run_id, now, hb, pid, host],
            )
    assert sorted(reap_abandoned(wh)) == ["dead", "silent"]
    rows = dict(_q(wh, "SELECT run_id, status FROM meta.ingestion_runs"))
    assert rows == {"dead": "abandoned", "alive": "running", "silent": "abandoned"}


def test_find_abandoned_keeps_fresh_runs_on_other_hosts():
    now = datetime(2026, 11, 25, 12)
    rows = [("r1", 123, "elsewhere", now - timedelta(seconds=30))]
    assert find_abandoned(rows, now, "here") == []


def test_watermarks_never_move_back(wh):
    with RunLogger(wh, "j", heartbeat_s=0) as run:
        run.record(_ok("AAPL", date(2026, 11, 20)))
    with RunLogger(wh, "j", heartbeat_s=0) as run:
        run.record(_ok("AAPL", date(2025, 1, 2)))
        run.record(
            AssetResult(
                "options_snapshot_file",
                "AAPL|2026-11-19",
                "success",
                rows=5,
                max_event=date(2026, 11, 19),
            )
        )
    assert sorted(_q(wh, "SELECT asset_key, scope_key, watermark FROM meta.asset_watermarks")) == [
        ("candles_daily", "AAPL", date(2026, 11, 20)),
        ("options_snapshot_file", "AAPL", date(2026, 11, 19)),
    ]


def test_fingerprint_ignores_paths_numbers_ids_and_keys():
    a = fingerprint(
        "j", "storage_busy", "warehouse busy: /tmp/a/w.duckdb locked for 30.1s (run 9f8e7d6c5b4a)"
    )
    b = fingerprint(
        "j", "storage_busy", "warehouse busy: /home/x/w.duckdb locked for 2.0s (run 0123456789ab)"
    )
    assert a == b
    assert fingerprint("j", "not_found", "symbol AAPL gone", ("AAPL",)) == fingerprint(
        "j", "not_found", "symbol MSFT gone", ("MSFT",)
    )
    assert fingerprint("j", "not_found", "x") != fingerprint("j", "timeout", "x")
    assert "<n>" in normalize_message("line 12 of 40")


def test_ledger_json_handles_types_and_redacts_secrets(monkeypatch):
    monkeypatch.setenv("ALPACA_API_SECRET_KEY", "s3cr3t-value-xyz")
    doc = {
        "when": date(2026, 1, 2),
        "at": datetime(2026, 1, 2, 3, 4),
        "amount": Decimal("1.5"),
        "n": np.int64(3),
        "x": np.float64("nan"),
        "path": Path("/tmp/a"),
        "api_key": "AKXXXX",
        "password": "hunter2",
        "asset_key": "candles_daily",
        "note": "used s3cr3t-value-xyz here",
    }
    out = json.loads(ledger_json(doc))
    assert (
        out["when"] == "2026-01-02" and out["amount"] == 1.5 and out["n"] == 3 and out["x"] is None
    )
    assert out["api_key"] == "***" and out["password"] == "***"
    assert out["asset_key"] == "candles_daily"
    assert "s3cr3t" not in json.dumps(out)
    big = ledger_json({"rows": list(range(100_000))}, max_bytes=1000)
    assert len(big) < 1200 and json.loads(big)["truncated"] is True
    assert redact({"nested": [{"token": "t"}]}) == {"nested": [{"token": "***"}]}


def test_ensure_meta_schema_is_idempotent(wh):
    from options_helper.warehouse.ledger import ensure_meta_schema

    with RunLogger(wh, "j", heartbeat_s=0) as run:
        run.record(_ok("AAPL"))
    with wh.writer() as conn:
        ensure_meta_schema(conn)
        ensure_meta_schema(conn)
    assert _q(wh, "SELECT count(*) FROM meta.ingestion_runs") == [(1,)]


def test_a_failed_flush_keeps_its_events_for_the_final_write(tmp_path):
    path = tmp_path / "w.duckdb"
    migrate(Warehouse(path))
    impatient = Warehouse(path, RetryPolicy(max_wait_s=0.2))
    with RunLogger(impatient, "j", heartbeat_s=0) as run:
        run.record(_ok("AAPL"))
        with write_lock_held(path), pytest.raises(Exception, match="busy"):
            run.flush()
        run.record(_ok("MSFT"))
    parts = _q(Warehouse(path), "SELECT partition_key FROM meta.ingestion_run_assets ORDER BY 1")
    assert parts == [("AAPL",), ("MSFT",)]


def test_the_jobs_own_error_surfaces_when_the_ledger_stays_busy(tmp_path):
    """Busy when the job starts and still busy when it ends: the caller sees the job's error,
    not the ledger's."""
    path = tmp_path / "w.duckdb"
    migrate(Warehouse(path))
    with write_lock_held(path):
        impatient = Warehouse(path, RetryPolicy(max_wait_s=0.2))
        with (
            pytest.raises(ValueError, match="job boom"),
            RunLogger(impatient, "j", heartbeat_s=0.05),
        ):
            time.sleep(0.4)
            raise ValueError("job boom")


def test_ctrl_c_while_waiting_for_the_ledger_thread_still_finalises_the_run(tmp_path):
    """The job is done but the running-row insert is still waiting for another process's lock
    when Ctrl-C arrives: the run is recorded as interrupted, then the interrupt propagates."""
    import _thread
    import threading

    path = tmp_path / "w.duckdb"
    migrate(Warehouse(path))
    with write_lock_held(path, seconds=1.5):
        timer = threading.Timer(0.5, _thread.interrupt_main)
        with (
            pytest.raises(KeyboardInterrupt),
            RunLogger(Warehouse(path), "j", heartbeat_s=5) as run,
        ):
            run.record(_ok("AAPL"))
            timer.start()  # fires while __exit__ waits for the background thread
    assert _q(Warehouse(path), "SELECT status, error_type FROM meta.ingestion_runs") == [
        ("failed", "interrupted")
    ]
    assert _q(Warehouse(path), "SELECT count(*) FROM meta.ingestion_run_assets") == [(1,)]
