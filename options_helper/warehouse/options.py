"""Option contracts, daily option bars and the bars-ingestion progress ledger."""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa

from options_helper.warehouse.upsert import registered, replace_by_key

_CONTRACT_COLS = (
    "contract_symbol, underlying, expiry, strike, option_type, status, first_seen, last_seen, "
    "provider"
)
_BAR_COLS = (
    "contract_symbol, underlying, session, open, high, low, close, volume, trade_count, vwap, "
    "provider, ingested_at"
)


def upsert_contracts(conn: duckdb.DuckDBPyConnection, batch: pa.Table) -> int:
    """Insert new contracts; for known ones keep first_seen and refresh status/last_seen."""
    if batch.num_rows == 0:
        return 0
    with registered(conn, "_incoming_contracts", batch):
        conn.execute(
            """
            CREATE OR REPLACE TEMP TABLE _merged_contracts AS
            SELECT i.contract_symbol, i.underlying, i.expiry, i.strike, i.option_type, i.status,
                   least(i.first_seen, coalesce(c.first_seen, i.first_seen)) AS first_seen,
                   greatest(i.last_seen, coalesce(c.last_seen, i.last_seen)) AS last_seen,
                   i.provider
            FROM _incoming_contracts i
            LEFT JOIN option_contracts c USING (contract_symbol)
            """
        )
        conn.execute(
            "DELETE FROM option_contracts WHERE contract_symbol IN "
            "(SELECT contract_symbol FROM _incoming_contracts)"
        )
        conn.execute(f"INSERT INTO option_contracts SELECT {_CONTRACT_COLS} FROM _merged_contracts")
        conn.execute("DROP TABLE _merged_contracts")
    return batch.num_rows


def upsert_bars(conn: duckdb.DuckDBPyConnection, batch: pa.Table) -> int:
    """Replace the (contract_symbol, session) bars present in ``batch``."""
    return replace_by_key(conn, "options_bars", batch, ("contract_symbol", "session"), _BAR_COLS)


def upsert_progress(conn: duckdb.DuckDBPyConnection, batch: pa.Table) -> None:
    """Record fetched ranges (contract_symbol, underlying, fetched_from, fetched_through,
    complete, updated_at), widening any range already recorded."""
    if batch.num_rows == 0:
        return
    with registered(conn, "_incoming_progress", batch):
        conn.execute(
            """
            INSERT INTO options_bars_progress
            SELECT contract_symbol, underlying, fetched_from, fetched_through, complete, updated_at
            FROM _incoming_progress
            ON CONFLICT (contract_symbol) DO UPDATE SET
                fetched_from = least(options_bars_progress.fetched_from, excluded.fetched_from),
                fetched_through = greatest(
                    options_bars_progress.fetched_through, excluded.fetched_through),
                complete = options_bars_progress.complete OR excluded.complete,
                updated_at = excluded.updated_at
            """
        )


def read_progress(conn: duckdb.DuckDBPyConnection, underlying: str) -> pd.DataFrame:
    """Fetched ranges per contract, dates as ``datetime.date`` objects."""
    df = conn.execute(
        "SELECT contract_symbol, fetched_from, fetched_through, complete "
        "FROM options_bars_progress WHERE underlying = ?",
        [underlying],
    ).df()
    for col in ("fetched_from", "fetched_through"):
        df[col] = pd.to_datetime(df[col]).dt.date
    return df
