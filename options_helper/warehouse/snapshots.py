"""Snapshot Parquet files (one per symbol and data date) and their index in the warehouse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from options_helper.files.atomic import atomic_file
from options_helper.warehouse.upsert import registered


@dataclass(frozen=True, slots=True)
class WrittenFile:
    rel_path: str
    bytes: int
    rows: int


def snapshot_rel_path(symbol: str, data_date: date) -> str:
    return f"snapshots/{symbol}/{data_date.isoformat()}.parquet"


def write_snapshot_file(
    data_dir: Path, symbol: str, data_date: date, table: pa.Table
) -> WrittenFile:
    """Write atomically: a temp file in the target folder, fsync, then rename over the target."""
    rel = snapshot_rel_path(symbol, data_date)
    target = data_dir / rel
    with atomic_file(target) as fh:
        pq.write_table(table, fh, compression="zstd")
    return WrittenFile(rel, target.stat().st_size, table.num_rows)


def read_snapshot_file(data_dir: Path, rel_path: str) -> pd.DataFrame:
    return pq.read_table(data_dir / rel_path).to_pandas()


def upsert_snapshot_index(conn: duckdb.DuckDBPyConnection, rows: pa.Table) -> int:
    """Replace index rows for the (symbol, data_date) pairs in ``rows``."""
    if rows.num_rows == 0:
        return 0
    with registered(conn, "_incoming_snapshots", rows):
        conn.execute(
            "INSERT OR REPLACE INTO options_snapshots "
            "SELECT symbol, data_date, path, rows, bytes, expiries, spot, provider, simulated, "
            "written_at FROM _incoming_snapshots"
        )
    return rows.num_rows


def load_snapshot(
    conn: duckdb.DuckDBPyConnection, data_dir: Path, symbol: str, data_date: date
) -> pd.DataFrame | None:
    """The snapshot of ``symbol`` on ``data_date`` (None when none is indexed)."""
    row = conn.execute(
        "SELECT path FROM options_snapshots WHERE symbol = ? AND data_date = ?", [symbol, data_date]
    ).fetchone()
    return None if row is None else read_snapshot(data_dir, row[0])


def read_snapshot(data_dir: Path, rel_path: str) -> pd.DataFrame | None:
    """A snapshot file by its indexed path (no warehouse connection); None if it is gone."""
    if not (data_dir / rel_path).exists():
        return None
    return normalize_snapshot(read_snapshot_file(data_dir, rel_path))


def normalize_snapshot(df: pd.DataFrame) -> pd.DataFrame:
    """Dates as ``datetime.date`` (Parquet round-trips them as datetime64 in pandas)."""
    for col in ("expiry", "data_date"):
        if col in df.columns and not isinstance(df[col].iloc[0] if len(df) else None, date):
            df[col] = pd.to_datetime(df[col]).dt.date
    return df


def latest_snapshot_dates(
    conn: duckdb.DuckDBPyConnection, symbols: list[str], on_or_before: date
) -> dict[str, date]:
    """The latest indexed data date per symbol, not after ``on_or_before``."""
    rows = conn.execute(
        "SELECT symbol, max(data_date) FROM options_snapshots WHERE data_date <= ? "
        "AND list_contains(?::VARCHAR[], symbol) GROUP BY symbol",
        [on_or_before, symbols],
    ).fetchall()
    return dict(rows)


def snapshot_paths(conn: duckdb.DuckDBPyConnection, symbol: str) -> dict[date, str]:
    """Indexed snapshot files of ``symbol``: data date -> path relative to the data dir."""
    rows = conn.execute(
        "SELECT data_date, path FROM options_snapshots WHERE symbol = ? ORDER BY data_date",
        [symbol],
    ).fetchall()
    return dict(rows)
