"""Read-only questions about what the warehouse holds (for the portal and reports)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd


@dataclass(frozen=True)
class Provenance:
    """Which providers the stored market data came from."""

    providers: tuple[str, ...]
    simulated: bool  # any stored data came from the simulator

    @property
    def empty(self) -> bool:
        return not self.providers


SIMULATED_PROVIDERS = ("sim",)


def provenance(conn: duckdb.DuckDBPyConnection) -> Provenance:
    rows = conn.execute(
        """
        SELECT DISTINCT provider FROM (
            SELECT provider FROM candles_daily
            UNION ALL SELECT provider FROM options_snapshots
            UNION ALL SELECT provider FROM derived_metrics
        ) ORDER BY provider
        """
    ).fetchall()
    providers = tuple(r[0] for r in rows)
    flagged = conn.execute(
        "SELECT coalesce(bool_or(simulated), false) FROM ("
        "SELECT simulated FROM options_snapshots UNION ALL SELECT simulated FROM derived_metrics)"
    ).fetchone()[0]
    simulated = bool(flagged) or any(p in SIMULATED_PROVIDERS for p in providers)
    return Provenance(providers, simulated)


# Rows each table asset holds now. Not the ledger's rows_written, which counts a key again each
# time a run upserts it (contracts are re-listed every session).
_STORED_ROWS = {
    "candles_daily": "SELECT count(*) FROM candles_daily",
    "option_contracts": "SELECT count(*) FROM option_contracts",
    "options_bars": "SELECT count(*) FROM options_bars",
    "options_snapshot_file": "SELECT coalesce(sum(rows), 0) FROM options_snapshots",
    "options_flow": "SELECT count(*) FROM options_flow",
    "derived_metrics": "SELECT count(*) FROM derived_metrics",
}


def stored_rows(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows stored per asset key (snapshot files: rows in the indexed files)."""
    return {asset: int(conn.execute(sql).fetchone()[0]) for asset, sql in _STORED_ROWS.items()}


def stored_snapshot_files(conn: duckdb.DuckDBPyConnection) -> int:
    return int(conn.execute("SELECT count(*) FROM options_snapshots").fetchone()[0])


def stored_symbols(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Every symbol with candles or snapshots, sorted."""
    rows = conn.execute(
        "SELECT symbol FROM candles_daily UNION SELECT symbol FROM options_snapshots ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def symbol_dates(conn: duckdb.DuckDBPyConnection, symbol: str) -> list[date]:
    """Sessions with candles or an indexed snapshot of ``symbol``, ascending."""
    rows = conn.execute(
        "SELECT session FROM candles_daily WHERE symbol = ? "
        "UNION SELECT data_date FROM options_snapshots WHERE symbol = ? ORDER BY 1",
        [symbol, symbol],
    ).fetchall()
    return [r[0] for r in rows]


def read_gex(conn: duckdb.DuckDBPyConnection, symbol: str, session: date) -> pd.DataFrame:
    return conn.execute(
        "SELECT strike, call_gex_usd_per_1pct, put_gex_usd_per_1pct, net_gex_usd_per_1pct "
        "FROM derived_gex_by_strike WHERE symbol = ? AND session = ? ORDER BY strike",
        [symbol, session],
    ).df()


RUNS_SHOWN = 500  # newest runs listed one by one; older ones in the window are only counted
TIMELINE_BUCKETS = 120  # time buckets per job when the window holds more runs than are listed


@dataclass(frozen=True)
class RunsWindow:
    """The runs started in a window: how many there are, the newest ``len(runs)`` of them one by
    one, and (when not all are listed) every run of the window counted per time bucket."""

    total: int
    runs: pd.DataFrame  # newest first, with asset counts
    timeline: pd.DataFrame | None  # bucket_start, job_name, status, runs; None: runs is complete
    bucket_hours: int = 0  # width of a timeline bucket

    @property
    def complete(self) -> bool:
        return self.total <= len(self.runs)


def recent_runs(
    conn: duckdb.DuckDBPyConnection, since: datetime, limit: int = RUNS_SHOWN
) -> RunsWindow:
    """Runs started since ``since``: the newest ``limit`` listed, all of them counted."""
    total = int(
        conn.execute(
            "SELECT count(*) FROM meta.ingestion_runs WHERE started_at >= ?", [since]
        ).fetchone()[0]
    )
    runs = conn.execute(
        """
        WITH newest AS (
            SELECT * FROM meta.ingestion_runs WHERE started_at >= ?
            ORDER BY started_at DESC LIMIT ?
        )
        SELECT r.run_id, r.parent_run_id, r.job_name, r.triggered_by, r.status, r.started_at,
               r.duration_ms, r.provider, r.error_type, r.error_message,
               count(a.run_id) AS assets,
               count(a.run_id) FILTER (WHERE a.status = 'failed') AS failed_assets,
               coalesce(sum(a.rows_written), 0) AS rows_written
        FROM newest r
        LEFT JOIN meta.ingestion_run_assets a USING (run_id)
        GROUP BY ALL ORDER BY r.started_at DESC
        """,
        [since, limit],
    ).df()
    if total <= len(runs):
        return RunsWindow(total, runs, None)
    newest_at = runs["started_at"].max() if not runs.empty else since
    span_hours = max((pd.Timestamp(newest_at) - pd.Timestamp(since)).total_seconds() / 3600, 1)
    bucket_hours = max(1, -(-int(span_hours) // TIMELINE_BUCKETS))
    timeline = conn.execute(
        """
        SELECT time_bucket(to_hours(?::BIGINT), started_at, ?::TIMESTAMP) AS bucket_start,
               job_name, status, count(*) AS runs
        FROM meta.ingestion_runs WHERE started_at >= ?
        GROUP BY ALL ORDER BY bucket_start, job_name, status
        """,
        [bucket_hours, since, since],
    ).df()
    return RunsWindow(total, runs, timeline, bucket_hours)


def recent_checks(conn: duckdb.DuckDBPyConnection, since: datetime) -> pd.DataFrame:
    """Latest result of each (asset, check, partition) checked since ``since``."""
    return conn.execute(
        """
        SELECT asset_key, check_name, partition_key, severity, status, checked_at, message
        FROM meta.asset_checks WHERE checked_at >= ?
        QUALIFY row_number() OVER (
            PARTITION BY asset_key, check_name, partition_key ORDER BY checked_at DESC) = 1
        ORDER BY status = 'pass', asset_key, check_name, partition_key
        """,
        [since],
    ).df()


def run_detail(conn: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, pd.DataFrame]:
    """One run as the ledger holds it: the run row, its child runs, the partitions it wrote
    and the check results recorded under it."""
    return {
        "run": conn.execute("SELECT * FROM meta.ingestion_runs WHERE run_id = ?", [run_id]).df(),
        "children": conn.execute(
            "SELECT run_id, job_name, status, started_at, duration_ms, error_type, error_message "
            "FROM meta.ingestion_runs WHERE parent_run_id = ? ORDER BY started_at",
            [run_id],
        ).df(),
        "assets": conn.execute(
            "SELECT asset_key, partition_key, status, rows_written, bytes_written, file_path, "
            "min_event_ts, max_event_ts, error_type, error_message "
            "FROM meta.ingestion_run_assets WHERE run_id = ? ORDER BY asset_key, partition_key",
            [run_id],
        ).df(),
        "checks": conn.execute(
            "SELECT asset_key, partition_key, check_name, severity, status, message "
            "FROM meta.asset_checks WHERE run_id = ? ORDER BY status = 'pass', asset_key, "
            "check_name, partition_key",
            [run_id],
        ).df(),
    }
