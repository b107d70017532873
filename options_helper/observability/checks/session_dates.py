"""Checks that stored data is dated on XNYS sessions that have already closed.

A row dated in the future (AAPL 2027-06-01) or on a weekend or holiday passes every value check,
and a future candle once ended incremental ingest's planning early. These checks make both an
error, for candles, option bars and snapshots. "Future" means after the latest completed session
(:attr:`BatchInput.future_after`), not after ``as_of``: checking an older session (a backfill, a
Dagster partition) must not flag the real rows stored after it.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from options_helper.domain import calendar
from options_helper.observability.checks.base import BatchFn, BatchInput, Outcome, each_partition
from options_helper.observability.checks.generic import KEYS_SQL, quote_ident
from options_helper.observability.checks.snapshots import parse_snapshot_partition

_MAX_LISTED = 10


@lru_cache(maxsize=1)
def _closures() -> list[date]:
    # Weekday closures only (~450 days): weekends are found by isodow, so the join stays small.
    return [d.item() for d in calendar.weekday_closures()]


def is_known_session(d: date) -> bool:
    """Whether ``d`` is an XNYS session; days outside the calendar's range are not known ones."""
    return calendar.CALENDAR_START <= d <= calendar.CALENDAR_END and calendar.is_session(d)


class DatesProfile(NamedTuple):
    """One partition's dates, as the date checks (and ``candles_stale``) need them."""

    rows: int
    future_rows: int
    first_future: date | None
    non_session_rows: int
    non_session_days: list[date]  # with repeats; deduplicated by the caller
    last_current: date | None  # the last date not in the future


def _dates_sql(table: str, date_column: str, partition_column: str) -> str:
    t, d, part = quote_ident(table), quote_ident(date_column), quote_ident(partition_column)
    # A day outside the calendar's range cannot be shown to be a session, so it counts as one
    # that is not. The non-session days are listed without DISTINCT (deduplicated in Python):
    # list(DISTINCT) costs a hash per row even when the filter keeps none.
    return f"""
        SELECT _key, count(*),
               count(*) FILTER (WHERE day > $future_after),
               min(day) FILTER (WHERE day > $future_after),
               count(*) FILTER (WHERE not_session),
               list(day) FILTER (WHERE not_session),
               max(day) FILTER (WHERE day <= $future_after)
        FROM (
            SELECT p._key, t.{d} AS day,
                   isodow(t.{d}) >= 6 OR t.{d} < $cal_start OR t.{d} > $cal_end
                       OR closed.day IS NOT NULL AS not_session
            FROM {KEYS_SQL} p JOIN {t} t ON t.{part} = p._key
            LEFT JOIN (SELECT unnest($closures::DATE[]) AS day) closed ON closed.day = t.{d}
        )
        GROUP BY _key
    """


def dates_profile(
    batch: BatchInput, table: str, date_column: str, partition_column: str
) -> dict[str, DatesProfile]:
    """Per partition of the batch (absent: no rows), one query per table and batch, shared by
    every check that asks (the memo): the table is scanned once for all of them."""
    memo_key = f"session_dates.{table}.{date_column}"
    if memo_key not in batch.memo:
        rows = batch.conn.execute(
            _dates_sql(table, date_column, partition_column),
            {
                "keys": list(batch.partition_keys),
                "future_after": batch.future_after,
                "cal_start": calendar.CALENDAR_START,
                "cal_end": calendar.CALENDAR_END,
                "closures": _closures(),
            },
        ).fetchall()
        batch.memo[memo_key] = {r[0]: DatesProfile(*r[1:]) for r in rows}
    return batch.memo[memo_key]


def _future_outcome(what: str, key: str, rows: int, n: int, first: Any, after: date) -> Outcome:
    metrics = {"rows": rows, "future_rows": n, "first_future": first, "latest_session": after}
    if n:
        return Outcome(
            "fail",
            f"{n} of {rows} {what} of {key} are dated after the latest completed session "
            f"{after} (first {first})",
            metrics,
        )
    return Outcome("pass", f"no {what} dated after {after} ({rows} rows)", metrics)


def _non_session_outcome(what: str, key: str, rows: int, n: int, days: list[date]) -> Outcome:
    days = sorted(set(days or []))
    metrics = {
        "rows": rows,
        "non_session_rows": n,
        "first_non_session": days[0] if days else None,
        "non_sessions": days[:_MAX_LISTED],
    }
    if n:
        return Outcome(
            "fail",
            f"{n} of {rows} {what} of {key} are dated on a day that is not an XNYS session "
            f"(first {days[0]}, a {days[0]:%A})",
            metrics,
        )
    return Outcome("pass", f"all {rows} {what} are dated on XNYS sessions", metrics)


def table_dates_batches(
    table: str, date_column: str, partition_column: str, what: str
) -> tuple[BatchFn, BatchFn]:
    """(future check, non-session check) over ``table``'s ``date_column`` by partition.

    Args:
        what: the rows' name in messages ("candles", "option bars").
    """
    for name in (table, date_column, partition_column):
        quote_ident(name)  # a bad name fails at registration, not in every run

    def each(batch: BatchInput, judge) -> dict[str, Outcome]:
        found = dates_profile(batch, table, date_column, partition_column)
        return {
            key: judge(key, found[key])
            if key in found
            else Outcome("skip", f"no {what} stored for {key}", {"rows": 0})
            for key in batch.partition_keys
        }

    def future_batch(batch: BatchInput) -> dict[str, Outcome]:
        return each(
            batch,
            lambda key, f: _future_outcome(
                what, key, f.rows, f.future_rows, f.first_future, batch.future_after
            ),
        )

    def non_session_batch(batch: BatchInput) -> dict[str, Outcome]:
        return each(
            batch,
            lambda key, f: _non_session_outcome(
                what, key, f.rows, f.non_session_rows, f.non_session_days
            ),
        )

    return future_batch, non_session_batch


# -- snapshots: the partition key holds the data date ---------------------------------------------


def _indexed(batch: BatchInput) -> dict[str, date | Exception]:
    """Each partition's data date when its index row exists (a malformed key: its error)."""
    memo_key = "session_dates.snapshots"
    if memo_key in batch.memo:
        return batch.memo[memo_key]
    parsed: dict[str, date | Exception] = {}
    for key in batch.partition_keys:
        try:
            parsed[key] = parse_snapshot_partition(key)[1]
        except ValueError as exc:
            parsed[key] = exc
    present = {
        r[0]
        for r in batch.conn.execute(
            f"SELECT p._key FROM {KEYS_SQL} p JOIN options_snapshots s "
            "ON p._key = s.symbol || '|' || strftime(s.data_date, '%Y-%m-%d')",
            {"keys": list(batch.partition_keys)},
        ).fetchall()
    }
    found = {k: v for k, v in parsed.items() if isinstance(v, Exception) or k in present}
    batch.memo[memo_key] = found
    return found


def _each_snapshot(batch: BatchInput, judge) -> dict[str, Outcome | Exception]:
    found = _indexed(batch)

    def one(key: str) -> Outcome:
        day = found.get(key)
        if day is None:
            return Outcome("skip", f"no snapshot indexed for {key}")
        if isinstance(day, Exception):
            raise day
        return judge(key, day)

    return each_partition(batch.partition_keys, one)


def snapshot_future_batch(batch: BatchInput) -> dict[str, Outcome | Exception]:
    """The snapshot's data date is not after the latest completed session."""
    after = batch.future_after

    def judge(key: str, day: date) -> Outcome:
        metrics = {"data_date": day, "latest_session": after}
        if day > after:
            return Outcome(
                "fail",
                f"snapshot {key} is dated after the latest completed session {after}",
                metrics,
            )
        return Outcome("pass", f"data date {day} is not after {after}", metrics)

    return _each_snapshot(batch, judge)


def snapshot_non_session_batch(batch: BatchInput) -> dict[str, Outcome | Exception]:
    """The snapshot's data date is an XNYS session."""

    def judge(key: str, day: date) -> Outcome:
        metrics = {"data_date": day}
        if not is_known_session(day):
            return Outcome(
                "fail", f"snapshot {key} is dated {day:%A} {day}, not an XNYS session", metrics
            )
        return Outcome("pass", f"data date {day} is an XNYS session", metrics)

    return _each_snapshot(batch, judge)
