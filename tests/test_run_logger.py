"""RunLogger, reaper, fingerprints and ledger JSON against a real warehouse."""

from __future__ import annotations

import json
import subprocess
import sys
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
from options_helper.warehouse.migrate import migrate


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
    real = rl.insert_assets
    monkeypatch.setattr(
        rl,
        "insert_assets",
        lambda conn, rows: (writes.append(len(rows["run_id"])), real(conn, rows)),
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
        (first,) = _q(wh, "SELECT heartbeat_at FROM meta.ingestion_runs")[0]
        time.sleep(0.4)
        (later,) = _q(
            wh, "SELECT heartbeat_at FROM meta.ingestion_runs WHERE run_id = ?", [run.run_id]
        )[0]
    assert later > first


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
