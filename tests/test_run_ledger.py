"""The run ledger end to end: runs, asset events, watermarks, checks, failures, triggers."""

from __future__ import annotations

from datetime import date

import duckdb

END = date(2026, 11, 20)


def _q(data_dir, sql, params=None):
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


def test_ingest_candles_records_run_assets_watermark_and_checks(cli, data_dir):
    r = cli("ingest", "candles", "--symbol", "AAPL", "--end", str(END))
    assert r.exit_code == 0, r.output
    runs = _q(
        data_dir,
        "SELECT job_name, status, triggered_by, provider, pid, host, args_json, error_type FROM meta.ingestion_runs",
    )
    assert len(runs) == 1
    job, status, trigger, provider, pid, host, args_json, error_type = runs[0]
    assert (job, status, trigger, provider, error_type) == (
        "ingest_candles",
        "success",
        "cli",
        "sim",
        None,
    )
    assert pid and host and '"AAPL"' in args_json
    assets = _q(
        data_dir,
        "SELECT asset_key, partition_key, status, rows_written, max_event_ts FROM meta.ingestion_run_assets",
    )
    assert [(a[0], a[1], a[2]) for a in assets] == [("candles_daily", "AAPL", "success")]
    (last_stored,) = _q(data_dir, "SELECT max(session) FROM candles_daily WHERE symbol = 'AAPL'")[0]
    assert assets[0][3] == _q(data_dir, "SELECT count(*) FROM candles_daily")[0][0]
    marks = _q(data_dir, "SELECT asset_key, scope_key, watermark FROM meta.asset_watermarks")
    assert marks == [("candles_daily", "AAPL", last_stored)]
    checks = _q(
        data_dir,
        "SELECT DISTINCT check_name FROM meta.asset_checks WHERE asset_key = 'candles_daily'",
    )
    assert len(checks) >= 5
    (run_id,) = _q(data_dir, "SELECT run_id FROM meta.ingestion_runs")[0]
    assert (
        _q(
            data_dir,
            "SELECT count(*) FROM meta.asset_checks WHERE run_id = ? AND status = 'pass'",
            [run_id],
        )[0][0]
        >= 4
    )


def test_watermark_is_the_max_data_date_written_not_the_run_date(cli, data_dir):
    cli("ingest", "candles", "-s", "AAPL", "--end", str(END))
    # A later backfill of older data must not move the watermark back.
    cli("ingest", "candles", "-s", "AAPL", "--start", "2024-01-02", "--end", "2024-01-31")
    assert _q(data_dir, "SELECT watermark FROM meta.asset_watermarks") == [(END,)]


def test_failing_symbol_makes_a_partial_run_and_health_fails(cli, data_dir):
    env = {"OPTIONS_HELPER_SIM_FAULTS": "rate_limited:ZZZZ"}
    r = cli(
        "ingest", "candles", "-s", "AAPL", "-s", "MSFT", "-s", "ZZZZ", "--end", str(END), env=env
    )
    assert r.exit_code == 1
    assert "internal error" not in r.stderr and "ZZZZ" in r.stdout
    (status, error_type, message, fp) = _q(
        data_dir,
        "SELECT status, error_type, error_message, error_fingerprint FROM meta.ingestion_runs",
    )[0]
    assert status == "partial" and error_type == "rate_limited" and "ZZZZ" in message and fp
    assets = dict(
        (p, (s, et, em))
        for p, s, et, em in _q(
            data_dir,
            "SELECT partition_key, status, error_type, error_message FROM meta.ingestion_run_assets",
        )
    )
    assert assets["AAPL"][0] == "success" and assets["MSFT"][0] == "success"
    assert assets["ZZZZ"][:2] == ("failed", "rate_limited") and assets["ZZZZ"][2]
    r = cli("db", "health", "--fail-on", "failures")
    assert r.exit_code == 1
    assert r.stderr.strip().splitlines() == ["health: failures"]
    code, doc = cli.json("db", "health")
    assert code == 0  # without --fail-on, health only reports
    job = next(j for j in doc["jobs"] if j["job_name"] == "ingest_candles")
    assert job["state"] == "failing"
    assert doc["asset_failures"][0]["partitions"] == ["ZZZZ"]


def test_the_same_failure_groups_under_one_fingerprint(cli, data_dir):
    env = {"OPTIONS_HELPER_SIM_FAULTS": "not_found:ZZZZ,not_found:QQQQ"}
    cli("ingest", "candles", "-s", "ZZZZ", "--end", str(END), env=env)
    cli("ingest", "candles", "-s", "QQQQ", "--end", "2026-11-19", env=env)
    fps = _q(data_dir, "SELECT DISTINCT error_fingerprint FROM meta.ingestion_runs")
    assert len(fps) == 1
    code, doc = cli.json("db", "health")
    assert code == 0
    assert doc["failures"][0]["runs"] == 2


def test_triggered_by_cron_from_flag_or_env(cli, data_dir):
    cli("--triggered-by", "cron", "ingest", "candles", "-s", "AAPL", "--end", str(END))
    cli(
        "ingest",
        "candles",
        "-s",
        "MSFT",
        "--end",
        str(END),
        env={"OPTIONS_HELPER_TRIGGERED_BY": "cron"},
    )
    assert _q(data_dir, "SELECT DISTINCT triggered_by FROM meta.ingestion_runs") == [("cron",)]
    r = cli("--triggered-by", "nightly", "ingest", "candles", "-s", "AAPL")
    assert r.exit_code == 2 and "unknown trigger" in r.stderr


def test_snapshot_runs_record_file_path_and_bytes(cli, data_dir):
    cli("snapshot-options", "-s", "AAPL", "--as-of", str(END))
    (kind, part, path, nbytes, rows) = _q(
        data_dir,
        "SELECT asset_kind, partition_key, file_path, bytes_written, rows_written FROM meta.ingestion_run_assets",
    )[0]
    assert (kind, part) == ("file", f"AAPL|{END}")
    assert (data_dir / path).stat().st_size == nbytes and rows > 0
    assert _q(data_dir, "SELECT scope_key, watermark FROM meta.asset_watermarks") == [("AAPL", END)]


def test_run_daily_is_a_parent_with_child_runs(cli, data_dir):
    r = cli("run", "daily", "-s", "AAPL", "--as-of", str(END))
    runs = "SELECT job_name, status, error_type, error_message FROM meta.ingestion_runs"
    assert r.exit_code == 0, (r.output, _q(data_dir, runs))
    parent = _q(
        data_dir, "SELECT run_id, status FROM meta.ingestion_runs WHERE job_name = 'run_daily'"
    )
    assert len(parent) == 1 and parent[0][1] == "success"
    children = _q(
        data_dir,
        "SELECT job_name FROM meta.ingestion_runs WHERE parent_run_id = ? ORDER BY started_at",
        [parent[0][0]],
    )
    assert [c[0] for c in children] == [
        "ingest_candles",
        "ingest_options_bars",
        "snapshot_options",
        "compute_flow",
        "compute_derived",
        "build_briefing",
        "build_dashboard",
        "run_checks",
    ]


def test_checks_list_and_run_on_demand(cli, data_dir):
    code, doc = cli.json("checks", "list")
    assert code == 0
    names = {c["name"] for c in doc["checks"]}
    assert {
        "candles_ohlc_consistent",
        "snapshot_crossed_quotes",
        "options_bars_after_expiry",
    } <= names
    cli("ingest", "candles", "-s", "AAPL", "--end", str(END))
    before = _q(data_dir, "SELECT count(*) FROM meta.asset_checks")[0][0]
    code, doc = cli.json("checks", "run", "--asset", "candles_daily", "--as-of", str(END))
    assert code == 0, doc
    assert doc["checks"] and all(c["asset_key"] == "candles_daily" for c in doc["checks"])
    assert _q(data_dir, "SELECT count(*) FROM meta.asset_checks")[0][0] > before
    r = cli("checks", "run", "--asset", "nope")
    assert r.exit_code == 2 and "no checks for asset" in r.stderr
