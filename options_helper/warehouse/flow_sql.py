"""Set-based per-contract OI flow: every (symbol, session) pair in one DuckDB pass.

The SQL twin of ``domain.flow.contract_flow`` (the reference, see docs/metrics.md): the same
columns, classes and NaN rules, checked row for row by tests/test_flow_sql.py. All snapshot
Parquet files are read by one ``read_parquet`` and joined back to their pairs by file name.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

import duckdb
import pyarrow as pa

from options_helper.domain.flow import (
    BUILD_MIN_CONTRACTS,
    BUILD_MIN_FRACTION,
    CHURN_MIN_FRACTION,
    CHURN_MIN_VOLUME,
    CONTRACT_MULTIPLIER,
)
from options_helper.errors import BadInputError, BadPayloadError, SnapshotFileError
from options_helper.warehouse.research import FLOW_TABLE_COLUMNS
from options_helper.warehouse.upsert import registered


class FlowPair(NamedTuple):
    """One session of one symbol to compute.

    ``prev_path`` None means no previous snapshot: a gap, unless ``first`` (``session`` is the
    symbol's first stored snapshot). ``before_path`` / ``after_path`` are the snapshots of the
    sessions before ``prev_session`` and after ``session``, if stored: a contract they hold
    was listed in between, so its absence from one side is a hole, not an opening/closing.
    """

    symbol: str
    session: date
    prev_session: date
    today_path: str
    prev_path: str | None
    first: bool = False
    before_path: str | None = None
    after_path: str | None = None


_PAIRS_SCHEMA = pa.schema(
    [
        ("symbol", pa.string()),
        ("session", pa.date32()),
        ("prev_session", pa.date32()),
        ("today_path", pa.string()),
        ("prev_path", pa.string()),
        ("first", pa.bool_()),
        ("before_path", pa.string()),
        ("after_path", pa.string()),
    ]
)
_PAIRS, _SIDES = "_flow_pairs", "_flow_sides"
# read_parquet expands these as glob patterns; there is no escape for them.
_GLOB_CHARS = frozenset("*?[")


def _num(column: str) -> str:
    # Parquet written from numpy may hold NaN rather than NULL. DuckDB orders NaN above every
    # number and NaN = NaN is true, so thresholds would misfire: NaN becomes NULL here.
    return f"CASE WHEN isnan({column}) THEN NULL ELSE {column} END"


# Raw values first, NaN cleaned after: DuckDB trusts Parquet min/max statistics, which leave
# NaN out (pyarrow), and folds isnan() over the file's columns to false (duckdb/duckdb#7803,
# #25521). The temp table's own statistics count NaN, so the cleaning in _FLOW_SELECT sees it.
_READ_SIDES = f"""
CREATE OR REPLACE TEMP TABLE {_SIDES} AS
SELECT
    filename AS path,
    contract_symbol::VARCHAR AS contract_symbol,
    expiry::DATE AS expiry,
    strike::DOUBLE AS strike,
    option_type::VARCHAR AS option_type,
    mid::DOUBLE AS mid,
    "last"::DOUBLE AS last_price,
    delta::DOUBLE AS delta,
    spot::DOUBLE AS spot,
    open_interest::DOUBLE AS oi,
    volume::DOUBLE AS volume
FROM read_parquet($files, filename = true, union_by_name = true)
"""

_DUPLICATES = f"""
SELECT path, contract_symbol FROM {_SIDES} GROUP BY ALL HAVING count(*) > 1 LIMIT 1
"""

# Rows of each side keep their pair's keys; a prev-only row is never a gap (its pair has a
# previous snapshot), and a gap pair has no prev rows, so every gap row is in today.
_FLOW_SELECT = f"""
WITH sides AS (
    SELECT
        path, contract_symbol, expiry, {_num("strike")} AS strike, option_type,
        -- mid when both sides are quoted (the snapshot leaves it NaN otherwise), else last.
        coalesce({_num("mid")}, {_num("last_price")}) AS mark,
        {_num("delta")} AS delta, {_num("spot")} AS spot,
        {_num("oi")} AS oi, {_num("volume")} AS volume
    FROM {_SIDES}
), today AS (
    SELECT
        p.symbol, p.session, p.prev_session, p.prev_path IS NULL AS no_prev,
        p.prev_path IS NULL AND NOT p.first AS gap, s.*
    FROM {_PAIRS} p JOIN sides s ON s.path = p.today_path
), prev AS (
    SELECT p.symbol, p.session, p.prev_session, s.*
    FROM {_PAIRS} p JOIN sides s ON s.path = p.prev_path
), listed AS (
    -- Contracts other evidence shows listed on the pair's previous session ('prev') or on
    -- its session ('today'): a neighbouring snapshot, or option_contracts.
    SELECT p.symbol, p.session, s.contract_symbol, 'prev' AS side
    FROM {_PAIRS} p JOIN sides s ON s.path = p.before_path
    UNION
    SELECT p.symbol, p.session, c.contract_symbol, 'prev' AS side
    FROM {_PAIRS} p JOIN option_contracts c
        ON c.underlying = p.symbol AND c.first_seen <= p.prev_session
    UNION
    SELECT p.symbol, p.session, s.contract_symbol, 'today' AS side
    FROM {_PAIRS} p JOIN sides s ON s.path = p.after_path
    UNION
    SELECT p.symbol, p.session, c.contract_symbol, 'today' AS side
    FROM {_PAIRS} p JOIN option_contracts c
        ON c.underlying = p.symbol AND c.status = 'active' AND c.last_seen >= p.session
), paired AS (
    SELECT
        coalesce(t.symbol, y.symbol) AS symbol,
        coalesce(t.session, y.session) AS session,
        coalesce(t.prev_session, y.prev_session) AS prev_session,
        coalesce(t.no_prev, false) AS no_prev,
        coalesce(t.gap, false) AS gap,
        t.contract_symbol IS NOT NULL AS in_today,
        y.contract_symbol IS NOT NULL AS in_prev,
        coalesce(t.contract_symbol, y.contract_symbol) AS contract_symbol,
        t.expiry AS t_expiry, y.expiry AS y_expiry, t.strike AS t_strike, y.strike AS y_strike,
        t.option_type AS t_option_type, y.option_type AS y_option_type,
        t.spot AS t_spot, y.spot AS y_spot, t.mark AS t_mark, y.mark AS y_mark,
        t.delta AS t_delta, y.delta AS y_delta, t.oi AS t_oi, y.oi AS y_oi,
        t.volume AS t_volume, y.volume AS y_volume
    FROM today t
    FULL OUTER JOIN prev y
        ON t.symbol = y.symbol AND t.session = y.session
        AND t.contract_symbol = y.contract_symbol
), holed AS (
    SELECT
        r.*,
        -- Missing from one snapshot but listed then: a hole in the data, not an opening or
        -- closing; that side is unknown, not zero.
        NOT r.no_prev AND NOT r.in_prev AND lp.contract_symbol IS NOT NULL AS prev_hole,
        NOT r.in_today AND lt.contract_symbol IS NOT NULL AS today_hole
    FROM paired r
    LEFT JOIN (SELECT DISTINCT symbol, session, contract_symbol FROM listed WHERE side = 'prev') lp
        ON lp.symbol = r.symbol AND lp.session = r.session
        AND lp.contract_symbol = r.contract_symbol
    LEFT JOIN (SELECT DISTINCT symbol, session, contract_symbol FROM listed WHERE side = 'today') lt
        ON lt.symbol = r.symbol AND lt.session = r.session
        AND lt.contract_symbol = r.contract_symbol
), joined AS (
    SELECT
        symbol, session, prev_session, no_prev, gap, in_today, in_prev, prev_hole, today_hole,
        contract_symbol,
        -- A closed contract is described by its last snapshot (no coalesce: a NULL today
        -- stays NULL, as in the reference).
        CASE WHEN in_today THEN t_expiry ELSE y_expiry END AS expiry,
        CASE WHEN in_today THEN t_strike ELSE y_strike END AS strike,
        CASE WHEN in_today THEN t_option_type ELSE y_option_type END AS option_type,
        CASE WHEN in_today THEN t_spot ELSE y_spot END AS spot,
        CASE WHEN in_today THEN t_mark ELSE y_mark END AS mark,
        CASE WHEN in_today THEN t_delta ELSE y_delta END AS delta,
        -- The absent side was not listed then: zero open interest and zero volume.
        CASE WHEN in_today THEN t_oi WHEN today_hole THEN NULL ELSE 0::DOUBLE END AS oi,
        CASE WHEN in_today THEN t_volume WHEN today_hole THEN NULL ELSE 0::DOUBLE END
            AS volume,
        CASE WHEN no_prev OR prev_hole THEN NULL WHEN in_prev THEN y_oi ELSE 0::DOUBLE END
            AS oi_prev,
        CASE WHEN no_prev OR prev_hole THEN NULL WHEN in_prev THEN y_volume ELSE 0::DOUBLE END
            AS volume_prev
    FROM holed
), flow AS (
    SELECT
        *,
        oi - oi_prev AS delta_oi,
        (expiry - session)::INTEGER AS dte,
        greatest($build_min_contracts, $build_min_fraction * oi_prev) AS build_min,
        greatest($churn_min_volume, $churn_min_fraction * oi_prev) AS churn_min
    FROM joined
)
SELECT
    symbol, session, prev_session, contract_symbol, expiry, strike, option_type, dte, spot,
    mark, delta, oi_prev, oi, delta_oi, volume, volume_prev,
    -- qty × price × 100, exactly 0 where qty is 0 even without a price; the products keep
    -- the reference's order of operations so the floats match bit for bit.
    CASE WHEN volume_prev = 0 THEN 0::DOUBLE ELSE volume_prev * mark * $multiplier END
        AS volume_notional_usd,
    CASE WHEN delta_oi = 0 THEN 0::DOUBLE ELSE delta_oi * mark * $multiplier END
        AS delta_oi_notional_usd,
    CASE WHEN delta_oi = 0 THEN 0::DOUBLE ELSE delta_oi * (delta * spot) * $multiplier END
        AS delta_notional_usd,
    CASE
        WHEN no_prev OR prev_hole OR today_hole THEN 'unknown'
        WHEN NOT in_today THEN 'closed'
        WHEN NOT in_prev THEN 'opened'
        WHEN delta_oi IS NULL OR oi_prev IS NULL THEN 'unknown'
        WHEN delta_oi >= build_min THEN 'building'
        WHEN delta_oi <= -build_min THEN 'unwinding'
        WHEN volume_prev >= churn_min THEN 'churn'
        WHEN volume_prev < churn_min THEN 'quiet'
        ELSE 'unknown'
    END AS flow_class,
    gap,
    $computed_at AS computed_at
FROM flow
-- Absent today and expired: dropped, not closed.
WHERE in_today OR NOT coalesce(dte <= $expired_max_dte, false)
ORDER BY symbol, session, contract_symbol
"""


def snapshot_paths(
    conn: duckdb.DuckDBPyConnection, symbols: list[str], start: date, end: date
) -> dict[tuple[str, date], str]:
    """Relative path of every indexed snapshot of ``symbols`` from ``start`` to ``end``."""
    rows = conn.execute(
        "SELECT symbol, data_date, path FROM options_snapshots "
        "WHERE list_contains(?::VARCHAR[], symbol) AND data_date BETWEEN ? AND ?",
        [symbols, start, end],
    ).fetchall()
    return {(symbol, data_date): path for symbol, data_date, path in rows}


def first_snapshot_dates(conn: duckdb.DuckDBPyConnection, symbols: list[str]) -> dict[str, date]:
    """The data date of each symbol's first indexed snapshot (symbols without one left out)."""
    rows = conn.execute(
        "SELECT symbol, min(data_date) FROM options_snapshots "
        "WHERE list_contains(?::VARCHAR[], symbol) GROUP BY symbol",
        [symbols],
    ).fetchall()
    return dict(rows)


def compute_flow_sql(
    conn: duckdb.DuckDBPyConnection,
    data_dir: Path,
    pairs: list[FlowPair],
    computed_at: datetime,
    *,
    today_expired_ok: bool = True,
) -> int:
    """Compute and store the contract flow of every pair, replacing their stored rows.

    Runs inside the caller's transaction; ``options_flow`` rows of each (symbol, session) in
    ``pairs`` are deleted first, so re-running is idempotent.

    Args:
        pairs: see ``FlowPair``; paths relative to ``data_dir``, files known to exist.
        today_expired_ok: as in ``domain.flow.contract_flow``.

    Returns:
        Rows inserted.
    """
    if not pairs:
        return 0
    if len({(p.symbol, p.session) for p in pairs}) != len(pairs):
        raise ValueError("flow pairs repeat a (symbol, session)")

    def absolute(rel: str | None) -> str | None:
        return None if rel is None else str(data_dir / rel)

    full = [
        FlowPair(
            p.symbol,
            p.session,
            p.prev_session,
            str(data_dir / p.today_path),
            absolute(p.prev_path),
            p.first,
            absolute(p.before_path),
            absolute(p.after_path),
        )
        for p in pairs
    ]
    files = sorted(
        {f for p in full for f in (p.today_path, p.prev_path, p.before_path, p.after_path) if f}
    )
    globbed = next((f for f in files if _GLOB_CHARS & set(f)), None)
    if globbed is not None:
        raise BadInputError(
            f"snapshot path {globbed} contains a glob character (*, ? or [)",
            hint="use a --data-dir without those characters",
        )
    table = pa.Table.from_pylist(
        [dict(zip(_PAIRS_SCHEMA.names, p, strict=True)) for p in full], schema=_PAIRS_SCHEMA
    )
    try:
        with registered(conn, _PAIRS, table):
            try:
                conn.execute(_READ_SIDES, {"files": files})
            except (duckdb.IOException, duckdb.InvalidInputException) as exc:
                raise SnapshotFileError(str(exc).splitlines()[0]) from exc
            dup = conn.execute(_DUPLICATES).fetchone()
            if dup is not None:
                raise BadPayloadError(
                    f"snapshot has duplicate contract_symbol rows: {dup[1]} in {dup[0]}",
                    hint="re-take that snapshot with `options-helper snapshot-options`",
                )
            conn.execute(
                f"DELETE FROM options_flow f USING {_PAIRS} p "
                "WHERE f.symbol = p.symbol AND f.session = p.session"
            )
            inserted = conn.execute(
                f"INSERT INTO options_flow ({FLOW_TABLE_COLUMNS}) {_FLOW_SELECT}",
                {
                    "build_min_contracts": float(BUILD_MIN_CONTRACTS),
                    "build_min_fraction": float(BUILD_MIN_FRACTION),
                    "churn_min_volume": float(CHURN_MIN_VOLUME),
                    "churn_min_fraction": float(CHURN_MIN_FRACTION),
                    "multiplier": float(CONTRACT_MULTIPLIER),
                    "expired_max_dte": 0 if today_expired_ok else -1,
                    "computed_at": computed_at,
                },
            ).fetchone()
    finally:
        # After a failed statement the transaction is aborted and cleanup would raise over the
        # real error; the caller's rollback drops the temp table then anyway.
        with contextlib.suppress(duckdb.Error):
            conn.execute(f"DROP TABLE IF EXISTS {_SIDES}")
    return int(inserted[0]) if inserted else 0
