"""Daily underlying candles: idempotent upsert and reads."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pyarrow as pa

from options_helper.domain import calendar
from options_helper.warehouse.upsert import registered, replace_by_key

_COLUMNS = "symbol, session, open, high, low, close, volume, provider, ingested_at"


def upsert_candles(conn: duckdb.DuckDBPyConnection, batch: pa.Table) -> int:
    """Replace the (symbol, session) rows present in ``batch``; returns rows written."""
    return replace_by_key(conn, "candles_daily", batch, ("symbol", "session"), _COLUMNS)


def first_missing_sessions(
    conn: duckdb.DuckDBPyConnection, symbols: list[str], end: date
) -> dict[str, date | None]:
    """Per symbol with a candle on a session on or before ``end``: the first XNYS session from
    its first stored one through ``end`` that has no candle (None when none is missing).

    Symbols without such a candle are absent. Rows dated after ``end`` (a planted future row)
    or on a non-session do not count as having data, so they cannot hide a hole.
    """
    if not symbols:
        return {}
    sessions = calendar.sessions_between_d64(calendar.CALENDAR_START, end)
    # Each symbol's stored sessions as one bitmap over the session index (1 = stored): the
    # first "10" in it ends the first run of stored sessions, so the session after that bit is
    # the first missing one. One pass over the rows, no per-symbol calendar.
    with registered(conn, "_plan_sessions", pa.table({"session": pa.array(sessions)})):
        rows = conn.execute(
            """
            WITH cal AS (
                SELECT session, row_number() OVER (ORDER BY session) AS idx FROM _plan_sessions
            ),
            runs AS (
                SELECT c.symbol,
                       bit_position('10'::BIT, bitstring_agg(cal.idx, 1, $n)) AS first_run_end
                FROM candles_daily c JOIN cal USING (session)
                WHERE c.symbol IN (SELECT unnest($symbols::VARCHAR[]))
                GROUP BY c.symbol
            )
            SELECT r.symbol, cal.session
            FROM runs r LEFT JOIN cal ON r.first_run_end > 0 AND cal.idx = r.first_run_end + 1
            """,
            {"symbols": symbols, "n": len(sessions)},
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
