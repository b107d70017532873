"""Stores for research products: options_flow, derived_metrics, derived_gex_by_strike."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pyarrow as pa

from options_helper.warehouse.upsert import replace_by_key

# Rows are replaced per (symbol, session): everything stored for a computed scope goes.
_SCOPE = ("symbol", "session")

FLOW_TABLE_COLUMNS = (
    "symbol, session, prev_session, contract_symbol, expiry, strike, option_type, dte, spot, "
    "mark, delta, oi_prev, oi, delta_oi, volume, volume_prev, volume_notional_usd, "
    "delta_oi_notional_usd, delta_notional_usd, flow_class, gap, computed_at"
)


def replace_derived(conn: duckdb.DuckDBPyConnection, batch: pa.Table, columns: list[str]) -> int:
    return replace_by_key(conn, "derived_metrics", batch, _SCOPE, ", ".join(columns))


def replace_gex(conn: duckdb.DuckDBPyConnection, batch: pa.Table) -> int:
    return replace_by_key(
        conn,
        "derived_gex_by_strike",
        batch,
        _SCOPE,
        "symbol, session, strike, call_gex_usd_per_1pct, put_gex_usd_per_1pct, "
        "net_gex_usd_per_1pct",
    )


def read_flow(conn: duckdb.DuckDBPyConnection, symbol: str, start: date, end: date) -> pd.DataFrame:
    return conn.execute(
        f"SELECT {FLOW_TABLE_COLUMNS} FROM options_flow WHERE symbol = ? "
        "AND session BETWEEN ? AND ? ORDER BY session, contract_symbol",
        [symbol, start, end],
    ).df()


def read_derived(
    conn: duckdb.DuckDBPyConnection,
    symbols: list[str] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> pd.DataFrame:
    df = conn.execute(
        "SELECT * FROM derived_metrics WHERE (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], symbol)) "
        "AND session >= coalesce(?::DATE, DATE '1900-01-01') "
        "AND session <= coalesce(?::DATE, DATE '2999-12-31') ORDER BY symbol, session",
        [symbols, symbols, start, end],
    ).df()
    for col in ("session", "atm_iv_expiry", "max_pain_expiry"):
        df[col] = [None if pd.isna(x) else pd.Timestamp(x).date() for x in df[col]]
    return df


def flow_counts(
    conn: duckdb.DuckDBPyConnection, symbols: list[str], start: date, end: date
) -> dict[str, int]:
    """Stored flow rows per symbol over [start, end]."""
    rows = conn.execute(
        "SELECT symbol, count(*) FROM options_flow WHERE session BETWEEN ? AND ? "
        "AND list_contains(?::VARCHAR[], symbol) GROUP BY symbol",
        [start, end, symbols],
    ).fetchall()
    found = dict(rows)
    return {s: int(found.get(s, 0)) for s in symbols}


def derived_sources(
    conn: duckdb.DuckDBPyConnection, symbols: list[str] | None = None
) -> list[tuple[str, date, str | None]]:
    """Every stored derived (symbol, session) with the indexed path of the snapshot it was
    computed from: None when that snapshot's index row is gone. Ordered by symbol, session."""
    exists = conn.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_name = 'derived_metrics'"
    ).fetchone()[0]
    if not exists:  # a warehouse with the research migration still pending
        return []
    return conn.execute(
        """
        SELECT d.symbol, d.session, s.path
        FROM (SELECT DISTINCT symbol, session FROM derived_metrics
              WHERE ?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], symbol)) d
        LEFT JOIN options_snapshots s ON s.symbol = d.symbol AND s.data_date = d.session
        ORDER BY d.symbol, d.session
        """,
        [symbols, symbols],
    ).fetchall()


def delete_derived(conn: duckdb.DuckDBPyConnection, symbol: str, sessions: list[date]) -> int:
    """Remove the derived rows of ``symbol`` on ``sessions`` (metrics and GEX by strike);
    returns the derived_metrics rows removed."""
    if not sessions:
        return 0
    params = [symbol, sessions]
    where = "WHERE symbol = ? AND list_contains(?::DATE[], session)"
    conn.execute(f"DELETE FROM derived_gex_by_strike {where}", params)
    return int(conn.execute(f"DELETE FROM derived_metrics {where}", params).fetchone()[0])
