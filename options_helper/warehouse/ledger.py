"""SQL for the control plane (`meta.*`): runs, asset events, watermarks, check results."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from typing import Any

import duckdb
import pyarrow as pa

RUN_COLUMNS = (
    "run_id",
    "parent_run_id",
    "job_name",
    "triggered_by",
    "status",
    "started_at",
    "ended_at",
    "duration_ms",
    "heartbeat_at",
    "pid",
    "host",
    "provider",
    "storage_backend",
    "args_json",
    "app_version",
    "git_sha",
    "error_type",
    "error_message",
    "error_fingerprint",
)
ASSET_COLUMNS = (
    "run_id",
    "asset_key",
    "asset_kind",
    "partition_key",
    "status",
    "rows_written",
    "bytes_written",
    "file_path",
    "min_event_ts",
    "max_event_ts",
    "error_type",
    "error_message",
    "extra_json",
    "recorded_at",
)
CHECK_COLUMNS = (
    "check_id",
    "asset_key",
    "partition_key",
    "check_name",
    "severity",
    "status",
    "checked_at",
    "metrics_json",
    "message",
    "run_id",
)


def ensure_meta_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the meta schema and tables if absent (idempotent; same DDL as migration 002)."""
    sql = resources.files("options_helper.warehouse.migrations").joinpath("002_meta.sql")
    conn.execute(sql.read_text(encoding="utf-8"))


def insert_run(conn: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> None:
    cols = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    conn.execute(f"INSERT INTO meta.ingestion_runs ({cols}) VALUES ({marks})", list(row.values()))


def update_run(conn: duckdb.DuckDBPyConnection, run_id: str, fields: dict[str, Any]) -> None:
    sets = ", ".join(f"{k} = ?" for k in fields)
    conn.execute(
        f"UPDATE meta.ingestion_runs SET {sets} WHERE run_id = ?", [*fields.values(), run_id]
    )


def insert_assets(conn: duckdb.DuckDBPyConnection, columns: dict[str, list[Any]]) -> None:
    """Append asset events (column name -> values) in one statement, never a connection per
    row; columnar input avoids building a dict per event."""
    if not columns or not next(iter(columns.values())):
        return
    table = pa.table(columns, schema=_ASSET_SCHEMA)
    conn.register("_incoming_assets", table)
    try:
        conn.execute(
            f"INSERT INTO meta.ingestion_run_assets SELECT {', '.join(ASSET_COLUMNS)} "
            "FROM _incoming_assets"
        )
    finally:
        conn.unregister("_incoming_assets")


def upsert_watermarks(conn: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
    """Raise each (asset_key, scope_key) watermark to the given date (never lowers it)."""
    if not rows:
        return
    table = pa.Table.from_pylist(rows, schema=_WATERMARK_SCHEMA)
    conn.register("_incoming_watermarks", table)
    try:
        conn.execute(
            """
            INSERT INTO meta.asset_watermarks
            SELECT asset_key, scope_key, max(watermark), max(updated_at), arg_max(last_run_id, watermark)
            FROM _incoming_watermarks GROUP BY asset_key, scope_key
            ON CONFLICT (asset_key, scope_key) DO UPDATE SET
                watermark = greatest(meta.asset_watermarks.watermark, excluded.watermark),
                updated_at = excluded.updated_at,
                last_run_id = CASE WHEN excluded.watermark >= meta.asset_watermarks.watermark
                                   THEN excluded.last_run_id
                                   ELSE meta.asset_watermarks.last_run_id END
            """
        )
    finally:
        conn.unregister("_incoming_watermarks")


def insert_checks(conn: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    table = pa.Table.from_pylist(rows, schema=_CHECK_SCHEMA)
    conn.register("_incoming_checks", table)
    try:
        conn.execute(
            f"INSERT INTO meta.asset_checks SELECT {', '.join(CHECK_COLUMNS)} FROM _incoming_checks"
        )
    finally:
        conn.unregister("_incoming_checks")


def running_runs(
    conn: duckdb.DuckDBPyConnection,
) -> list[tuple[str, int | None, str | None, datetime | None]]:
    """(run_id, pid, host, heartbeat_at) of runs still marked running."""
    return conn.execute(
        "SELECT run_id, pid, host, coalesce(heartbeat_at, started_at) FROM meta.ingestion_runs "
        "WHERE status = 'running'"
    ).fetchall()


def mark_abandoned(conn: duckdb.DuckDBPyConnection, run_ids: list[str], now: datetime) -> None:
    if not run_ids:
        return
    conn.execute(
        """
        UPDATE meta.ingestion_runs SET status = 'abandoned', ended_at = ?,
            duration_ms = CAST(date_diff('millisecond', started_at, ?) AS BIGINT),
            error_type = coalesce(error_type, 'interrupted'),
            error_message = coalesce(error_message,
                'process ' || coalesce(CAST(pid AS VARCHAR), '?') || ' on ' ||
                coalesce(host, '?') || ' stopped without finishing the run'),
            error_fingerprint = coalesce(error_fingerprint, 'abandoned')
        WHERE run_id IN (SELECT unnest(?::VARCHAR[])) AND status = 'running'
        """,
        [now, now, run_ids],
    )


def query_rows(
    conn: duckdb.DuckDBPyConnection, sql: str, params: list | None = None
) -> list[tuple]:
    return conn.execute(sql, params or []).fetchall()


_ASSET_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("asset_key", pa.string()),
        ("asset_kind", pa.string()),
        ("partition_key", pa.string()),
        ("status", pa.string()),
        ("rows_written", pa.int64()),
        ("bytes_written", pa.int64()),
        ("file_path", pa.string()),
        ("min_event_ts", pa.timestamp("us")),
        ("max_event_ts", pa.timestamp("us")),
        ("error_type", pa.string()),
        ("error_message", pa.string()),
        ("extra_json", pa.string()),
        ("recorded_at", pa.timestamp("us")),
    ]
)
_WATERMARK_SCHEMA = pa.schema(
    [
        ("asset_key", pa.string()),
        ("scope_key", pa.string()),
        ("watermark", pa.date32()),
        ("updated_at", pa.timestamp("us")),
        ("last_run_id", pa.string()),
    ]
)
_CHECK_SCHEMA = pa.schema(
    [
        ("check_id", pa.string()),
        ("asset_key", pa.string()),
        ("partition_key", pa.string()),
        ("check_name", pa.string()),
        ("severity", pa.string()),
        ("status", pa.string()),
        ("checked_at", pa.timestamp("us")),
        ("metrics_json", pa.string()),
        ("message", pa.string()),
        ("run_id", pa.string()),
    ]
)
