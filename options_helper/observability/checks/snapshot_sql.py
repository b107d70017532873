"""Aggregates of one snapshot file computed by DuckDB over ``read_parquet``.

The reference for :mod:`snapshot_arrays` (same arguments after the file, same tuples) and the
path for files whose columns that module does not reproduce DuckDB for; the snapshot checks
turn either's tuple into an outcome.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from options_helper.observability.checks.generic import fetch_one
from options_helper.observability.checks.snapshot_arrays import PROBLEMS, symbol_problems


def symbol_counts(conn: Any, path: str) -> tuple[int, int, dict[str, int], str | None]:
    """(rows, bad rows, rows per problem, first bad contract symbol), row by row."""
    rows = conn.execute(
        "SELECT contract_symbol, underlying, CAST(expiry AS DATE), strike, option_type "
        "FROM read_parquet(?)",
        [path],
    ).fetchall()
    counts = dict.fromkeys(PROBLEMS, 0)
    bad, first_bad = 0, None
    for row in rows:
        problems = symbol_problems(*row)
        for name in problems:
            counts[name] += 1
        if problems:
            bad += 1
            first_bad = first_bad or row[0]
    return len(rows), bad, counts, first_bad


def null_iv_counts(conn: Any, path: str) -> tuple[int, int, int]:
    """(rows, two-sided quotes with DTE ≥ 1, those with a NULL or NaN IV)."""
    return fetch_one(
        conn,
        """
        SELECT count(*),
               count(*) FILTER (WHERE eligible),
               count(*) FILTER (WHERE eligible AND (iv IS NULL OR isnan(iv)))
        FROM (SELECT iv, coalesce(dte >= 1 AND bid > 0 AND ask >= bid, false) AS eligible
              FROM read_parquet(?))
        """,
        [path],
    )


def crossed_counts(conn: Any, path: str) -> tuple[int, int, int, str | None]:
    """(rows, quotes with bid > 0 and ask > 0, crossed ones (bid > ask > 0), first crossed)."""
    return fetch_one(
        conn,
        """
        SELECT count(*),
               count(*) FILTER (WHERE bid > 0 AND ask > 0),
               count(*) FILTER (WHERE bid > ask AND ask > 0),
               min(contract_symbol) FILTER (WHERE bid > ask AND ask > 0)
        FROM read_parquet(?)
        """,
        [path],
    )


def iv_range_counts(
    conn: Any, path: str, iv_min: float, iv_max: float
) -> tuple[int, int, int, float | None, float | None, str | None]:
    """(rows, IVs present, IVs outside [iv_min, iv_max], min IV, max IV, first outside)."""
    return fetch_one(
        conn,
        """
        WITH s AS (SELECT contract_symbol, iv, iv IS NOT NULL AND NOT isnan(iv) AS has_iv
                   FROM read_parquet(?)),
        t AS (SELECT *, has_iv AND (iv < ? OR iv > ?) AS outside FROM s)
        SELECT count(*), count(*) FILTER (WHERE has_iv), count(*) FILTER (WHERE outside),
               min(iv) FILTER (WHERE has_iv), max(iv) FILTER (WHERE has_iv),
               min(contract_symbol) FILTER (WHERE outside)
        FROM t
        """,
        [path, iv_min, iv_max],
    )


def distinct_expiries(conn: Any, path: str) -> set[date | None]:
    """The distinct expiry dates of the file (None when some are NULL)."""
    rows = conn.execute("SELECT DISTINCT CAST(expiry AS DATE) FROM read_parquet(?)", [path])
    return {r[0] for r in rows.fetchall()}
