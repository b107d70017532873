"""Dagster definitions materialised in-process over a real warehouse in a temp dir."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

dg = pytest.importorskip("dagster")

from options_helper.orchestration import definitions as orch  # noqa: E402

SESSION = "2026-11-20"
ROOT = Path(__file__).resolve().parents[1]


def test_partitions_are_xnys_sessions_only():
    keys = orch.session_keys(datetime(2026, 11, 30, 23))
    assert "2026-11-27" in keys and "2026-11-25" in keys
    assert "2026-11-26" not in keys  # Thanksgiving
    assert "2026-11-28" not in keys and "2026-11-29" not in keys  # weekend
    assert keys[0] == "2025-01-02" and keys == sorted(keys)


def test_every_job_asset_and_check_is_defined():
    job = orch.defs.resolve_job_def("options_helper_daily")
    assert job.partitions_def is orch.SESSIONS
    names = {a.key.to_user_string() for a in orch.ASSETS}
    assert names == {
        "candles_daily",
        "options_bars",
        "options_snapshot_file",
        "options_flow",
        "derived_metrics",
        "briefing_markdown",
    }
    checked = {c.asset_key.to_user_string() for d in orch.CHECKS for c in d.check_specs}
    assert checked == set(orch.CHECKED_ASSETS)


@pytest.mark.slow
def test_materialising_a_session_records_dagster_runs_in_the_ledger(tmp_path, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setenv("OPTIONS_HELPER_DATA_DIR", str(data))
    from typer.testing import CliRunner

    from options_helper.cli.main import app

    assert CliRunner().invoke(app, ["watchlist", "add", "default", "AAPL"]).exit_code == 0
    # The day before first, so flow has a previous snapshot to compare with.
    for key in ("2026-11-19", SESSION):
        result = dg.materialize(
            [*orch.ASSETS, *orch.CHECKS],
            partition_key=key,
            instance=dg.DagsterInstance.ephemeral(),
        )
        assert result.success
    checks = result.get_asset_check_evaluations()
    assert {c.asset_key.to_user_string() for c in checks} == set(orch.CHECKED_ASSETS)
    assert all(c.passed for c in checks), [(c.asset_key, c.metadata) for c in checks]

    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as conn:
        runs = conn.execute(
            "SELECT job_name, status, triggered_by FROM meta.ingestion_runs "
            "WHERE parent_run_id = ? ORDER BY job_name",
            [result.run_id],
        ).fetchall()
        persisted = conn.execute(
            "SELECT DISTINCT asset_key FROM meta.asset_checks WHERE checked_at IS NOT NULL"
        ).fetchall()
        flow_rows = conn.execute(
            "SELECT count(*) FROM options_flow WHERE session = ?", [date(2026, 11, 20)]
        ).fetchone()[0]
    assert runs == [
        ("build_briefing", "success", "dagster"),
        ("compute_derived", "success", "dagster"),
        ("compute_flow", "success", "dagster"),
        ("ingest_candles", "success", "dagster"),
        ("ingest_options_bars", "success", "dagster"),
        ("snapshot_options", "success", "dagster"),
    ]
    assert {r[0] for r in persisted} >= set(orch.CHECKED_ASSETS)
    assert flow_rows > 0
    assert (data / "reports" / "briefing" / f"{SESSION}.md").exists()


def _evaluate_schedule(when: datetime):
    ctx = dg.build_schedule_context(scheduled_execution_time=when)
    return orch.after_the_close(ctx)


def test_schedule_runs_the_session_after_the_close_and_skips_holidays():
    ny = __import__("zoneinfo").ZoneInfo(orch.TIMEZONE)
    request = _evaluate_schedule(datetime(2026, 11, 25, 17, 30, tzinfo=ny))
    assert isinstance(request, dg.RunRequest) and request.partition_key == "2026-11-25"
    skip = _evaluate_schedule(datetime(2026, 11, 26, 17, 30, tzinfo=ny))  # Thanksgiving
    assert isinstance(skip, dg.SkipReason) and "not an XNYS session" in skip.skip_message


@pytest.mark.slow
def test_the_documented_module_loads_from_the_repo_root():
    """`dagster dev -m apps.dagster.defs` loads this module from the repo root."""
    done = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-m", "apps.dagster.defs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All code locations passed validation" in done.stdout + done.stderr


def _with_start(value: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, orch.START_ENV: value},
        capture_output=True,
        text=True,
        timeout=180,
    )


def _one_line_about_the_start(done: subprocess.CompletedProcess) -> None:
    out = done.stdout + done.stderr
    assert "Traceback" not in out and "Stack Trace" not in out, out
    errors = [line for line in out.splitlines() if orch.START_ENV in line]
    assert errors == [
        f"error: {orch.START_ENV}='bogus' is not a date — use YYYY-MM-DD (default 2025-01-02) "
        "or unset it"
    ], out


def test_a_bogus_start_date_is_one_line_not_a_traceback_at_import():
    done = _with_start("bogus", "-c", "import apps.dagster.defs")
    assert done.returncode == 2
    _one_line_about_the_start(done)
    assert done.stderr.strip().count("\n") == 0, done.stderr


@pytest.mark.slow
def test_a_bogus_start_date_fails_dagster_validation_in_one_line():
    done = _with_start(
        "bogus", "-m", "dagster", "definitions", "validate", "-m", "apps.dagster.defs"
    )
    assert done.returncode == 2
    _one_line_about_the_start(done)


def test_the_start_date_sets_the_first_partition(monkeypatch):
    monkeypatch.setenv(orch.START_ENV, " 2026-11-25 ")
    assert orch.session_keys(datetime(2026, 11, 30, 23)) == [
        "2026-11-25",
        "2026-11-27",
        "2026-11-30",
    ]
    monkeypatch.setenv(orch.START_ENV, "")
    assert orch.session_keys(datetime(2025, 1, 6, 23)) == ["2025-01-02", "2025-01-03", "2025-01-06"]


@pytest.mark.slow
def test_a_provider_failing_every_symbol_fails_the_materialisation(tmp_path, monkeypatch):
    """The ledger records the failed run under the Dagster run, and Dagster sees a failure
    with the provider's error, not a success."""
    data = tmp_path / "data"
    monkeypatch.setenv("OPTIONS_HELPER_DATA_DIR", str(data))
    monkeypatch.setenv("OPTIONS_HELPER_SIM_FAULTS", "timeout:AAPL")
    from typer.testing import CliRunner

    from options_helper.cli.main import app

    assert CliRunner().invoke(app, ["watchlist", "add", "default", "AAPL"]).exit_code == 0
    candles = next(a for a in orch.ASSETS if a.key.to_user_string() == "candles_daily")
    result = dg.materialize(
        [candles],
        partition_key=SESSION,
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "ingest_candles failed" in failure.step_failure_data.error.message
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as conn:
        runs = conn.execute(
            "SELECT job_name, status, error_type, triggered_by FROM meta.ingestion_runs "
            "WHERE parent_run_id = ?",
            [result.run_id],
        ).fetchall()
    assert runs == [("ingest_candles", "failed", "timeout", "dagster")]
