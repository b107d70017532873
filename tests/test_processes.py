"""Two real processes: ingestion while the warehouse is read, and a SIGKILLed ingest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from options_helper.warehouse import Warehouse

pytestmark = pytest.mark.slow

END = date(2026, 11, 20)
OH = [sys.executable, "-m", "options_helper"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTIONS_HELPER_")}
    env.update(extra)
    return env


def _cli(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*OH, "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        env=_env(**env),
        timeout=300,
    )


READER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from options_helper.warehouse import Warehouse
    wh = Warehouse(Path(sys.argv[1]))
    stop = Path(sys.argv[2])
    queries, errors, seen = 0, [], set()
    while not stop.exists():
        try:
            with wh.reader() as conn:
                n = conn.execute("SELECT count(*) FROM options_bars").fetchone()[0]
                s = conn.execute("SELECT status FROM meta.ingestion_runs").fetchall()
            queries += 1
            seen.update(x[0] for x in s)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        time.sleep(0.01)
    print(json.dumps({"queries": queries, "errors": errors, "statuses": sorted(seen)}))
    """
)


def test_ingest_succeeds_while_another_process_reads_in_a_loop(tmp_path):
    data = tmp_path / "data"
    assert _cli(data, "db", "init").returncode == 0
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(data / "warehouse.duckdb"), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        time.sleep(0.5)
        ingest = _cli(
            data,
            "ingest",
            "options-bars",
            "-s",
            "AAPL",
            "-s",
            "MSFT",
            "-s",
            "SPY",
            "--end",
            str(END),
            "--lookback-days",
            "15",
            OPTIONS_HELPER_SIM_LATENCY_MS="40",
        )
    finally:
        stop.touch()
        out, _ = reader.communicate(timeout=60)
    result = json.loads(out)
    assert ingest.returncode == 0, ingest.stderr
    assert result["errors"] == []
    assert result["queries"] > 20
    assert "running" in result["statuses"]  # the reader really overlapped the ingest


def _bars(db: Path, underlying: str | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(
            "SELECT underlying, contract_symbol, session, open, high, low, close, volume FROM options_bars "
            "WHERE ? IS NULL OR underlying = ? ORDER BY ALL",
            [underlying, underlying],
        ).fetchall()


def test_sigkill_mid_ingest_leaves_no_half_partition_and_rerun_matches_clean(tmp_path):
    symbols = ["AAPL", "MSFT", "SPY"]
    args = [
        "ingest",
        "options-bars",
        *[arg for s in symbols for arg in ("-s", s)],
        "--end",
        str(END),
        "--lookback-days",
        "15",
    ]
    clean = tmp_path / "clean"
    assert _cli(clean, *args).returncode == 0
    data = tmp_path / "data"
    assert _cli(data, "db", "init").returncode == 0
    proc = subprocess.Popen(
        [*OH, "--data-dir", str(data), *args],
        env=_env(OPTIONS_HELPER_SIM_LATENCY_MS="60"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wh = Warehouse(data / "warehouse.duckdb")
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and done < 1:
        with wh.reader() as conn:
            done = conn.execute(
                "SELECT count(DISTINCT underlying) FROM options_bars_progress"
            ).fetchone()[0]
        time.sleep(0.05)
    assert done >= 1 and proc.poll() is None, "ingest finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    db = data / "warehouse.duckdb"
    # Every underlying is either complete (as in a clean run) or absent: no half partition.
    for sym in symbols:
        got = _bars(db, sym)
        assert got in ([], _bars(clean / "warehouse.duckdb", sym)), sym
    # The next command finds the dead run and marks it abandoned.
    health = _cli(data, "--json", "db", "health")
    assert health.returncode == 0, health.stderr
    doc = json.loads(health.stdout)
    assert doc["abandoned_now"]
    with duckdb.connect(str(db), read_only=True) as conn:
        assert conn.execute("SELECT status FROM meta.ingestion_runs").fetchall() == [("abandoned",)]
    # Re-running resumes and ends with exactly the clean run's rows.
    assert _cli(data, *args).returncode == 0
    assert _bars(db) == _bars(clean / "warehouse.duckdb")


def test_api_keys_never_reach_the_ledger(tmp_path):
    key, secret = "AKTESTKEY0123456789", "sEcReT/value+987654321"
    data = tmp_path / "data"
    env = {
        "ALPACA_API_KEY_ID": key,
        "ALPACA_API_SECRET_KEY": secret,
        "OPTIONS_HELPER_SIM_FAULTS": "timeout:ZZZZ",
    }
    _cli(data, "run", "daily", "-s", "AAPL", "-s", "ZZZZ", "--as-of", str(END), **env)
    _cli(data, "--provider", "alpaca", "ingest", "candles", "-s", "AAPL", **env)
    # A job whose args and errors carry the secret, through the real RunLogger.
    code = textwrap.dedent(
        f"""
        from pathlib import Path
        from options_helper.observability.run_logger import RunLogger
        from options_helper.observability.events import AssetResult
        from options_helper.warehouse import Warehouse
        wh = Warehouse(Path({str(data / "warehouse.duckdb")!r}))
        with RunLogger(wh, "ingest_candles", args={{"api_key": {key!r}, "auth": "Bearer {secret}"}}, heartbeat_s=0) as run:
            run.record(AssetResult("candles_daily", "AAPL", "failed", error_type="entitlement",
                                   error_message="denied for key {key} secret {secret}",
                                   extra={{"token": {secret!r}}}))
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=_env(**env))
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as conn:
        dump = ""
        for (table,) in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'meta'"
        ).fetchall():
            dump += json.dumps(conn.execute(f"SELECT * FROM meta.{table}").fetchall(), default=str)
    assert "ingestion_runs" not in dump  # sanity: we dumped rows, not names
    assert dump.count("***") >= 3
    assert key not in dump and secret not in dump
