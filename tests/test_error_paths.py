"""One error hierarchy: every expected failure is one line with a remedy (or a JSON error
document with --json), environmental failures are not "internal error", and our own bugs escape
the jobs instead of being recorded as failed partitions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from options_helper import errors
from options_helper.config import load_config
from options_helper.jobs import ingest_candles as ingest_module
from options_helper.jobs.context import JobContext
from options_helper.jobs.ingest_candles import ingest_candles
from options_helper.providers.sim import SimProvider
from options_helper.warehouse import Warehouse

END = date(2026, 11, 20)
OH = [sys.executable, "-m", "options_helper"]


def _one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert "Traceback" not in output
    return lines[0]


def test_every_error_class_has_a_taxonomy_value_and_a_remedy():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for cls in subclasses(errors.OptionsHelperError):
        assert cls.error_type in errors.ERROR_TYPES, cls
    for kind, cls in errors.PROVIDER_ERROR_CLASSES.items():
        err = cls("boom", symbol="AAPL")
        assert isinstance(err, errors.OptionsHelperError)
        assert err.error_type == kind and err.hint, kind
        assert err.retryable == (kind in ("rate_limited", "timeout", "network")), kind


def test_a_provider_error_escaping_a_job_is_one_line_with_what_to_do(cli):
    """The issue's repro: a timeout while the demo builds its portfolio used to print
    `internal error: ProviderTimeoutError ...`."""
    r = cli("demo", "--sessions", "1", env={"OPTIONS_HELPER_SIM_FAULTS": "timeout:AAPL"})
    assert r.exit_code != 0
    line = _one_error_line(r.stderr)
    assert "internal error" not in line
    assert "timed out" in line and "retry" in line


def test_json_errors_are_a_json_document_on_stdout(cli):
    r = cli("--json", "flow", "-s", "AAPL", "--as-of", "2030-01-02")
    assert r.exit_code == 2
    doc = json.loads(r.stdout)["error"]
    assert doc["error_type"] == "bad_input"
    assert "after the latest completed session" in doc["message"]
    assert doc["retryable"] is False and doc["exit_code"] == 2


def test_json_usage_errors_are_a_json_document_too(cli):
    r = cli("--json", "db", "statuss")
    assert r.exit_code == 2
    assert json.loads(r.stdout)["error"]["error_type"] == "bad_input"


def test_a_file_that_is_not_duckdb_is_one_line_with_the_remedy(cli, data_dir):
    (data_dir / "warehouse.duckdb").write_bytes(b"not a database" * 1000)
    before = (data_dir / "warehouse.duckdb").read_bytes()
    r = cli("ingest", "candles", "-s", "AAPL", "--end", str(END))
    assert r.exit_code == 1
    line = _one_error_line(r.stderr)
    assert "internal error" not in line
    assert "not a DuckDB database file" in line and "--data-dir" in line
    assert (data_dir / "warehouse.duckdb").read_bytes() == before


def test_our_own_bug_in_a_write_escapes_the_job_instead_of_failing_partitions(
    tmp_path, monkeypatch
):
    """Before: `except Exception` around the write recorded a bug as 150 failed partitions and
    a normal run; --debug had nothing to show."""

    def buggy_upsert(conn, table):
        raise AttributeError("a bug of ours")

    monkeypatch.setattr(ingest_module, "upsert_candles", buggy_upsert)
    cfg = load_config({"data_dir": tmp_path})
    wh = Warehouse(cfg.db_path)
    with pytest.raises(AttributeError, match="a bug of ours"):
        ingest_candles(JobContext(cfg, SimProvider(), wh), ["AAPL", "MSFT"], end=END)
    with wh.reader() as conn:
        runs = conn.execute("SELECT status, error_type FROM meta.ingestion_runs").fetchall()
        failed = conn.execute(
            "SELECT count(*) FROM meta.ingestion_run_assets WHERE status = 'failed'"
        ).fetchone()
    assert runs == [("failed", "internal")]
    assert failed == (0,)


# -- environmental failures on real small filesystems ----------------------------------------


def _mount_tmpfs(where: Path, size: str, *options: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    opts = ",".join((f"size={size}", *options))
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)], capture_output=True, check=False
    )
    return done.returncode == 0


@pytest.fixture
def mounts(tmp_path):
    made: list[Path] = []

    def mount(name: str, size: str, *options: str) -> Path:
        where = tmp_path / name
        if not _mount_tmpfs(where, size, *options):
            pytest.skip("this machine does not let the test mount a tmpfs (CI runs as root)")
        made.append(where)
        return where

    yield mount
    for where in made:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("OPTIONS_HELPER_")}


def _oh(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*OH, "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
        check=False,
    )


def test_an_unwritable_data_dir_is_one_line_with_the_remedy(mounts):
    ro = mounts("ro", "1m", "ro")
    r = _oh(ro / "data", "ingest", "candles", "-s", "AAPL", "--end", str(END))
    assert r.returncode == 1
    line = _one_error_line(r.stderr)
    assert "internal error" not in line
    assert "cannot write" in line and "--data-dir" in line


@pytest.mark.slow
@pytest.mark.parametrize("size", ["1m", "1500k", "2m", "2500k"])
def test_on_a_full_disk_the_console_says_what_the_ledger_records(mounts, size):
    """A 2 MiB disk used to print `success`, exit 0, while the ledger said failed/internal
    (no space for the WAL) and the run's events were lost. Whatever point the disk fills at,
    the console and the ledger now agree, and a full disk is named as such."""
    small = mounts("small", size)
    data = small / "data"
    r = _oh(data, "ingest", "candles", "-s", "AAPL", "-s", "MSFT", "--end", str(END))
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as conn:
        runs = conn.execute(
            "SELECT run_id, status, error_type FROM meta.ingestion_runs "
            "WHERE job_name = 'ingest_candles'"
        ).fetchall()
        candles = conn.execute("SELECT count(*) FROM candles_daily").fetchone()[0]
    (run_id, status, error_type) = runs[0] if runs else (None, None, None)
    if r.returncode == 0:
        assert status == "success" and "ingest_candles: success" in r.stdout
        return
    said = r.stdout + r.stderr
    assert "no space left" in said and "free disk space" in said
    if status is None:  # not even the running row fit: the console says so, and no data
        assert "could not be recorded in the ledger" in said and candles == 0
    elif status == "running":  # not even the final status fit: the console says so
        assert f"run {run_id} could not be recorded in the ledger" in said
    else:
        assert status == "failed" and error_type == "storage_full", runs
        assert f"ingest_candles: {status}" in r.stdout or f"run {run_id} is recorded" in said
