"""Checks of ``candles_daily`` (partition = symbol) and of a candle batch before its upsert."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from options_helper.domain import calendar
from options_helper.observability.checks.base import CheckInput, CheckResult, Outcome
from options_helper.observability.checks.generic import duplicate_keys_check, fetch_one

ASSET = "candles_daily"
MISSING_WINDOW_SESSIONS = 30
RETURN_WINDOW_SESSIONS = 60
EXTREME_ABS_RETURN = 0.35
_MAX_LISTED = 10
BATCH_CHECK_NAME = "candles_batch_duplicates"

# NOT coalesce(...): a NULL comparison counts as bad. isfinite() first because DuckDB orders NaN
# above every number, so `high >= greatest(open, close)` would hold for a NaN high.
_OHLC_OK = """coalesce(
    isfinite(open) AND isfinite(high) AND isfinite(low) AND isfinite(close)
    AND low <= least(open, close) AND high >= greatest(open, close)
    AND low > 0 AND volume >= 0, false)"""


def _no_rows(symbol: str) -> Outcome:
    return Outcome("skip", f"no candles stored for {symbol}", {"rows": 0})


def candles_ohlc_consistent(inp: CheckInput) -> Outcome:
    """Every stored candle has low ≤ min(open, close), high ≥ max(open, close), low > 0 and
    volume ≥ 0 (and finite prices)."""
    rows, bad, first_bad = fetch_one(
        inp.conn,
        f"SELECT count(*), count(*) FILTER (WHERE NOT {_OHLC_OK}), "
        f"min(session) FILTER (WHERE NOT {_OHLC_OK}) FROM candles_daily WHERE symbol = ?",
        [inp.partition_key],
    )
    if not rows:
        return _no_rows(inp.partition_key)
    metrics = {"rows": rows, "bad_rows": bad, "first_bad_session": first_bad}
    if bad:
        return Outcome(
            "fail",
            f"{bad} of {rows} candles break the OHLC bounds (first on {first_bad})",
            metrics,
        )
    return Outcome("pass", f"all {rows} candles respect the OHLC bounds", metrics)


candles_no_duplicate_sessions = duplicate_keys_check(
    "candles_daily", ("symbol", "session"), "symbol"
)


def candles_missing_sessions(inp: CheckInput) -> Outcome:
    """XNYS sessions missing among the last 30 ending at as_of (only from the first stored one)."""
    window = calendar.sessions_ending(inp.as_of, MISSING_WINDOW_SESSIONS)
    (first_stored,) = fetch_one(
        inp.conn, "SELECT min(session) FROM candles_daily WHERE symbol = ?", [inp.partition_key]
    )
    if first_stored is None:
        return _no_rows(inp.partition_key)
    expected = [s for s in window if s >= first_stored]
    if not expected:
        return Outcome(
            "skip",
            f"{inp.partition_key} has no candles on or before {inp.as_of}",
            {"first_stored_session": first_stored},
        )
    stored = {
        r[0]
        for r in inp.conn.execute(
            "SELECT DISTINCT session FROM candles_daily WHERE symbol = ? "
            "AND session BETWEEN ? AND ?",
            [inp.partition_key, expected[0], expected[-1]],
        ).fetchall()
    }
    missing = [s for s in expected if s not in stored]
    metrics = {
        "window_sessions": len(window),
        "expected_sessions": len(expected),
        "missing_sessions": len(missing),
        "first_missing": missing[0] if missing else None,
        "missing": missing[:_MAX_LISTED],
        "first_stored_session": first_stored,
    }
    span = f"{expected[0]}..{expected[-1]}"
    if missing:
        return Outcome(
            "fail",
            f"{len(missing)} of {len(expected)} sessions in {span} have no candle "
            f"(first {missing[0]})",
            metrics,
        )
    return Outcome("pass", f"all {len(expected)} sessions in {span} have a candle", metrics)


def candles_stale(inp: CheckInput) -> Outcome:
    """The last stored session is the last session on or before as_of."""
    (last,) = fetch_one(
        inp.conn, "SELECT max(session) FROM candles_daily WHERE symbol = ?", [inp.partition_key]
    )
    if last is None:
        return _no_rows(inp.partition_key)
    behind = calendar.sessions_distance(last, inp.as_of)
    metrics = {"last_session": last, "as_of": inp.as_of, "sessions_behind": behind}
    if behind:
        return Outcome(
            "fail",
            f"last candle is {last}, {behind} session(s) behind {inp.as_of}",
            metrics,
        )
    return Outcome("pass", f"candles are current through {last}", metrics)


def candles_extreme_return(inp: CheckInput) -> Outcome:
    """No close-to-close |return| above 35% in the last 60 sessions ending at as_of."""
    window = calendar.sessions_ending(inp.as_of, RETURN_WINDOW_SESSIONS)
    if not window:
        return Outcome("skip", f"no sessions on or before {inp.as_of}")
    # The return of a session is against the previous *stored* close, so the first session of
    # the window still gets its return from the candle before it.
    count, max_abs, at = fetch_one(
        inp.conn,
        """
        WITH r AS (
            SELECT session, close / lag(close) OVER (ORDER BY session) - 1 AS ret
            FROM candles_daily WHERE symbol = ? AND session <= ?
        )
        SELECT count(*), max(abs(ret)), arg_max(session, abs(ret))
        FROM r WHERE session >= ? AND isfinite(ret)
        """,
        [inp.partition_key, window[-1], window[0]],
    )
    if not count:
        return Outcome(
            "skip",
            f"fewer than two candles for {inp.partition_key} in {window[0]}..{window[-1]}",
            {"returns_checked": 0},
        )
    metrics = {
        "returns_checked": count,
        "max_abs_return": round(float(max_abs), 6),
        "session": at,
        "threshold": EXTREME_ABS_RETURN,
    }
    if max_abs > EXTREME_ABS_RETURN:
        return Outcome(
            "fail",
            f"close-to-close move of {max_abs:.1%} on {at} exceeds {EXTREME_ABS_RETURN:.0%}",
            metrics,
        )
    return Outcome(
        "pass", f"largest move in the last {count} sessions is {max_abs:.1%} ({at})", metrics
    )


# -- batch (before upsert; pure Arrow, no warehouse) ---------------------------------------------


def check_candle_batch_duplicates(table: pa.Table) -> list[CheckResult]:
    """One ``candles_batch_duplicates`` result per symbol of a batch about to be upserted.

    A batch holding the same (symbol, session) twice would be written twice by an
    insert-after-delete upsert; :func:`dedupe_candle_batch` repairs it.
    """
    if table.num_rows == 0:
        return []
    keys = pa.table({"symbol": pc.fill_null(table["symbol"], ""), "session": table["session"]})
    counts = (
        keys.group_by(["symbol", "session"], use_threads=False)
        .aggregate([([], "count_all")])
        .to_pandas()
    )
    counts["extra"] = counts["count_all"] - 1
    per_symbol = counts.groupby("symbol", sort=False).agg(
        rows=("count_all", "sum"), extra_rows=("extra", "sum")
    )
    dup = counts[counts["count_all"] > 1].groupby("symbol", sort=False)["session"]
    dup_sessions, first_dup = dup.size(), dup.min()
    results = []
    for symbol in pc.unique(keys["symbol"]).to_pylist():
        rows = int(per_symbol.at[symbol, "rows"])
        extra = int(per_symbol.at[symbol, "extra_rows"])
        n_dup = int(dup_sessions.get(symbol, 0))
        first = first_dup.get(symbol) if n_dup else None
        metrics = {
            "rows": rows,
            "duplicate_sessions": n_dup,
            "extra_rows": extra,
            "first_duplicate_session": first,
        }
        if n_dup:
            status, message = (
                "fail",
                f"batch holds {n_dup} session(s) of {symbol} more than once "
                f"({extra} extra rows, first {first})",
            )
        else:
            status, message = "pass", f"batch holds each of {rows} sessions of {symbol} once"
        results.append(
            CheckResult(
                asset_key=ASSET,
                partition_key=symbol,
                check_name=BATCH_CHECK_NAME,
                severity="error",
                status=status,
                message=message,
                metrics=metrics,
            )
        )
    return results


def dedupe_keys(table: pa.Table, keys: list[str]) -> pa.Table:
    """``table`` with one row per ``keys``: the last one, in the original order."""
    if table.num_rows == 0:
        return table
    keyed = table.select(keys).append_column(
        "_row", pa.array(np.arange(table.num_rows, dtype=np.int64))
    )
    last = keyed.group_by(keys, use_threads=False).aggregate([("_row", "max")])
    if last.num_rows == table.num_rows:
        return table
    keep = np.sort(last["_row_max"].to_numpy())
    return table.take(pa.array(keep))


def dedupe_candle_batch(table: pa.Table) -> pa.Table:
    """The batch with one row per (symbol, session): the last one, in the original order."""
    return dedupe_keys(table, ["symbol", "session"])
