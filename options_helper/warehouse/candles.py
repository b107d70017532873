"""Daily underlying candles: idempotent upsert and reads."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pyarrow as pa

from options_helper.warehouse.upsert import replace_by_key

_COLUMNS = "symbol, session, open, high, low, close, volume, provider, ingested_at"


def upsert_candles(conn: duckdb.DuckDBPyConnection, batch: pa.Table) -> int:
    """Replace the (symbol, session) rows present in ``batch``; returns rows written."""
    return replace_by_key(conn, "candles_daily", batch, ("symbol", "session"), _COLUMNS)


def last_sessions(conn: duckdb.DuckDBPyConnection, symbols: list[str]) -> dict[str, date]:
    """Last stored session per symbol (symbols with no rows are absent)."""
    if not symbols:
        return {}
    rows = conn.execute(
        "SELECT symbol, max(session) FROM candles_daily WHERE symbol IN "
        "(SELECT unnest(?::VARCHAR[])) GROUP BY symbol",
        [symbols],
    ).fetchall()
    return {s: d for s, d in rows}


def read_candles(
    conn: duckdb.DuckDBPyConnection, symbol: str, start: date | None = None, end: date | None = None
) -> pd.DataFrame:
    """Stored candles of one symbol, ordered by session."""
    return conn.execute(
        f"SELECT {_COLUMNS} FROM candles_daily WHERE symbol = ? "
        "AND session >= coalesce(?, DATE '1900-01-01') AND session <= coalesce(?, DATE '2999-12-31') "
        "ORDER BY session",
        [symbol, start, end],
    ).df()
