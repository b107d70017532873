"""SQL for the control plane (`meta.*`): runs, asset events, watermarks, check results."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from typing import Any

import duckdb
import pyarrow as pa

from options_helper.warehouse.upsert import registered

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


# Same rule as AssetResult.scope_key (tests pin the two together): the symbol of ``SYMBOL`` /
# ``SYMBOL|date`` partitions, ``all`` for date-only partitions.
_SCOPE_SQL = """
    CASE WHEN regexp_full_match(split_part(partition_key, '|', 1), '[0-9]{4}-[0-9]{2}-[0-9]{2}')
         THEN 'all' ELSE split_part(partition_key, '|', 1) END
"""


def record_events(
    conn: duckdb.DuckDBPyConnection, events: pa.Table, run_id: str, now: datetime
) -> None:
    """Append a run's asset events (``EVENT_SCHEMA``) and raise the watermarks they prove, in
    set-based SQL over one registered Arrow table: never a statement per event.

    A watermark moves to the max event date of the asset's successful, non-empty partitions in
    this scope and never moves back.
    """
    if events.num_rows == 0:
        return
    params = {"run_id": run_id, "now": now}
    with registered(conn, "_incoming_events", events):
        conn.execute(
            """
            INSERT INTO meta.ingestion_run_assets
            SELECT $run_id, asset_key, asset_kind, partition_key, status, rows_written,
                   bytes_written, file_path, CAST(min_event AS TIMESTAMP),
                   CAST(max_event AS TIMESTAMP), error_type, error_message, extra_json, $now
            FROM _incoming_events
            """,
            params,
        )
        conn.execute(
            f"""
            INSERT INTO meta.asset_watermarks
            SELECT asset_key, {_SCOPE_SQL} AS scope, max(max_event), $now, $run_id
            FROM _incoming_events
            WHERE status = 'success' AND rows_written > 0 AND max_event IS NOT NULL
            GROUP BY asset_key, scope
            ON CONFLICT (asset_key, scope_key) DO UPDATE SET
                watermark = greatest(meta.asset_watermarks.watermark, excluded.watermark),
                updated_at = excluded.updated_at,
                last_run_id = CASE WHEN excluded.watermark >= meta.asset_watermarks.watermark
                                   THEN excluded.last_run_id
                                   ELSE meta.asset_watermarks.last_run_id END
            """,
            params,
        )


def insert_checks(conn: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    table = pa.Table.from_pylist(rows, schema=_CHECK_SCHEMA)
    with registered(conn, "_incoming_checks", table):
        conn.execute(
            f"INSERT INTO meta.asset_checks SELECT {', '.join(CHECK_COLUMNS)} FROM _incoming_checks"
        )


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


# One asset event as RunLogger hands it over; run_id and recorded_at are added in SQL.
EVENT_SCHEMA = pa.schema(
    [
        ("asset_key", pa.string()),
        ("asset_kind", pa.string()),
        ("partition_key", pa.string()),
        ("status", pa.string()),
        ("rows_written", pa.int64()),
        ("bytes_written", pa.int64()),
        ("file_path", pa.string()),
        ("min_event", pa.date32()),
        ("max_event", pa.date32()),
        ("error_type", pa.string()),
        ("error_message", pa.string()),
        ("extra_json", pa.string()),
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
