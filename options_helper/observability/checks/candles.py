"""Checks of ``candles_daily`` (partition = symbol) and of a candle batch before its upsert.

Each stored check runs one query for all the symbols of a run (``*_batch``); the ``candles_*``
functions are the same checks on one symbol.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from options_helper.domain import calendar
from options_helper.observability.checks import session_dates
from options_helper.observability.checks.base import (
    BatchInput,
    CheckResult,
    Outcome,
    each_partition,
    one_partition,
)
from options_helper.observability.checks.generic import KEYS_SQL, duplicate_keys_batch

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


def _per_symbol(batch: BatchInput, sql: str, **params: Any) -> dict[str, tuple]:
    """Rows of ``sql`` (first column: the symbol) by symbol; ``$keys`` is the batch's symbols."""
    rows = batch.conn.execute(sql, {"keys": list(batch.partition_keys), **params}).fetchall()
    return {r[0]: r[1:] for r in rows}


# The candles of the batch's symbols, with the symbol as `_key`.
_CANDLES = f"{KEYS_SQL} p JOIN candles_daily c ON c.symbol = p._key"


def ohlc_batch(batch: BatchInput) -> dict[str, Outcome]:
    """Every stored candle has low ≤ min(open, close), high ≥ max(open, close), low > 0 and
    volume ≥ 0 (and finite prices)."""
    found = _per_symbol(
        batch,
        f"SELECT _key, count(*), count(*) FILTER (WHERE bad), min(session) FILTER (WHERE bad) "
        f"FROM (SELECT p._key, c.session, NOT {_OHLC_OK} AS bad FROM {_CANDLES}) GROUP BY _key",
    )
    out = {}
    for symbol in batch.partition_keys:
        if symbol not in found:
            out[symbol] = _no_rows(symbol)
            continue
        rows, bad, first_bad = found[symbol]
        metrics = {"rows": rows, "bad_rows": bad, "first_bad_session": first_bad}
        if bad:
            out[symbol] = Outcome(
                "fail",
                f"{bad} of {rows} candles break the OHLC bounds (first on {first_bad})",
                metrics,
            )
        else:
            out[symbol] = Outcome("pass", f"all {rows} candles respect the OHLC bounds", metrics)
    return out


duplicate_sessions_batch = duplicate_keys_batch("candles_daily", ("symbol", "session"), "symbol")


def missing_sessions_batch(batch: BatchInput) -> dict[str, Outcome]:
    """XNYS sessions missing among the last 30 ending at as_of (only from the first stored one)."""
    window = calendar.sessions_ending(batch.as_of, MISSING_WINDOW_SESSIONS)
    # Per symbol: its first stored session and the window sessions it lacks from then on.
    found = _per_symbol(
        batch,
        f"""
        WITH f AS (SELECT p._key, min(c.session) AS first_stored FROM {_CANDLES} GROUP BY p._key),
        s AS (SELECT p._key, c.session FROM {_CANDLES} WHERE c.session BETWEEN $first AND $last),
        m AS (
            SELECT f._key, w.session
            FROM f JOIN (SELECT unnest($window::DATE[]) AS session) w
                ON w.session >= f.first_stored
            ANTI JOIN s USING (_key, session)
        )
        SELECT f._key, f.first_stored,
               list(m.session ORDER BY m.session) FILTER (WHERE m.session IS NOT NULL)
        FROM f LEFT JOIN m USING (_key) GROUP BY f._key, f.first_stored
        """,
        window=window,
        first=window[0] if window else None,
        last=window[-1] if window else None,
    )

    def judge(symbol: str) -> Outcome:
        if symbol not in found:
            return _no_rows(symbol)
        first_stored, missing = found[symbol]
        missing = missing or []
        expected = [s for s in window if s >= first_stored]
        if not expected:
            return Outcome(
                "skip",
                f"{symbol} has no candles on or before {batch.as_of}",
                {"first_stored_session": first_stored},
            )
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

    return each_partition(batch.partition_keys, judge)


def stale_batch(batch: BatchInput) -> dict[str, Outcome | Exception]:
    """The last stored session is the last session on or before as_of.

    Candles dated in the future (``candles_future_dated``) do not count: one would otherwise make
    a symbol look current however far behind its real candles are.
    """
    # The date checks' scan of the batch (shared through the memo) holds the last such date.
    found = session_dates.dates_profile(batch, ASSET, "session", "symbol")

    def judge(symbol: str) -> Outcome:
        if symbol not in found:
            return _no_rows(symbol)
        last = found[symbol].last_current
        if last is None:
            return Outcome(
                "skip",
                f"every candle of {symbol} is dated after {batch.future_after}",
                {"last_session": None},
            )
        behind = calendar.sessions_distance(last, batch.as_of)
        metrics = {"last_session": last, "as_of": batch.as_of, "sessions_behind": behind}
        if behind:
            return Outcome(
                "fail",
                f"last candle is {last}, {behind} session(s) behind {batch.as_of}",
                metrics,
            )
        return Outcome("pass", f"candles are current through {last}", metrics)

    return each_partition(batch.partition_keys, judge)


def extreme_return_batch(batch: BatchInput) -> dict[str, Outcome]:
    """No close-to-close |return| above 35% in the last 60 sessions ending at as_of."""
    window = calendar.sessions_ending(batch.as_of, RETURN_WINDOW_SESSIONS)
    if not window:
        return {
            s: Outcome("skip", f"no sessions on or before {batch.as_of}")
            for s in batch.partition_keys
        }
    # The return of a session is against the previous *stored* close, so the first session of
    # the window still gets its return from the candle before it: read that candle and the
    # window's, not the whole history. Duplicate sessions follow in stored (rowid) order, as a
    # one-symbol scan would give them.
    found = _per_symbol(
        batch,
        f"""
        WITH b AS (
            SELECT p._key, coalesce(max(c.session) FILTER (WHERE c.session < $first), $first) AS lo
            FROM {_CANDLES} GROUP BY p._key
        ),
        r AS (
            SELECT b._key, c.session,
                   c.close / lag(c.close) OVER (
                       PARTITION BY b._key ORDER BY c.session, c.rowid) - 1 AS ret
            FROM b JOIN candles_daily c ON c.symbol = b._key AND c.session BETWEEN b.lo AND $last
        )
        SELECT _key, count(*), max(abs(ret)), arg_max(session, abs(ret))
        FROM r WHERE session >= $first AND isfinite(ret) GROUP BY _key
        """,
        first=window[0],
        last=window[-1],
    )
    out = {}
    for symbol in batch.partition_keys:
        if symbol not in found:
            out[symbol] = Outcome(
                "skip",
                f"fewer than two candles for {symbol} in {window[0]}..{window[-1]}",
                {"returns_checked": 0},
            )
            continue
        count, max_abs, at = found[symbol]
        metrics = {
            "returns_checked": count,
            "max_abs_return": round(float(max_abs), 6),
            "session": at,
            "threshold": EXTREME_ABS_RETURN,
        }
        if max_abs > EXTREME_ABS_RETURN:
            out[symbol] = Outcome(
                "fail",
                f"close-to-close move of {max_abs:.1%} on {at} exceeds {EXTREME_ABS_RETURN:.0%}",
                metrics,
            )
        else:
            out[symbol] = Outcome(
                "pass",
                f"largest move in the last {count} sessions is {max_abs:.1%} ({at})",
                metrics,
            )
    return out


# The same checks on one symbol (CheckInput -> Outcome).
candles_ohlc_consistent = one_partition(ohlc_batch)
candles_no_duplicate_sessions = one_partition(duplicate_sessions_batch)
candles_missing_sessions = one_partition(missing_sessions_batch)
candles_stale = one_partition(stale_batch)
candles_extreme_return = one_partition(extreme_return_batch)


# -- batch (before upsert; pure Arrow, no warehouse) ---------------------------------------------


def _all_unique_fast_path(table: pa.Table) -> list[CheckResult] | None:
    """Pass results for a batch without duplicate keys (the normal case), from one hash pass
    over packed integer keys; None when a duplicate exists (the detailed path explains it)."""
    symbols = pc.fill_null(table["symbol"].combine_chunks().cast(pa.string()), "")
    encoded = pc.dictionary_encode(symbols)
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    days = table["session"].combine_chunks().cast(pa.int32()).to_numpy(zero_copy_only=False)
    packed = pd.Series((codes << 32) | (days.astype(np.int64) & 0xFFFFFFFF))
    if packed.duplicated().any():
        return None
    counts = np.bincount(codes, minlength=len(encoded.dictionary))
    return [
        CheckResult(
            asset_key=ASSET,
            partition_key=symbol,
            check_name=BATCH_CHECK_NAME,
            severity="error",
            status="pass",
            message=f"batch holds each of {int(n)} sessions of {symbol} once",
            metrics={
                "rows": int(n),
                "duplicate_sessions": 0,
                "extra_rows": 0,
                "first_duplicate_session": None,
            },
        )
        for symbol, n in zip(encoded.dictionary.to_pylist(), counts, strict=True)
    ]


def check_candle_batch_duplicates(table: pa.Table) -> list[CheckResult]:
    """One ``candles_batch_duplicates`` result per symbol of a batch about to be upserted.

    A batch holding the same (symbol, session) twice would be written twice by an
    insert-after-delete upsert; :func:`dedupe_candle_batch` repairs it.
    """
    if table.num_rows == 0:
        return []
    fast = _all_unique_fast_path(table)
    if fast is not None:
        return fast
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
