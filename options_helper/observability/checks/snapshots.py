"""Checks of one snapshot Parquet file (partition = ``SYMBOL|YYYY-MM-DD``).

The file is found through the ``options_snapshots`` index and read with DuckDB's
``read_parquet``; an indexed file that is missing on disk is an ``error`` outcome.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from options_helper.domain import calendar
from options_helper.domain.osi import OsiError, parse_osi
from options_helper.observability.checks.base import CheckInput, Outcome
from options_helper.observability.checks.generic import fetch_one

ASSET = "options_snapshot_file"
MAX_NULL_IV_RATIO = 0.10
MAX_CROSSED_RATIO = 0.01
IV_MIN, IV_MAX = 0.01, 5.0
EXPIRY_HORIZON_DAYS = 60
_STRIKE_TOLERANCE = 0.0005  # OSI strikes are in thousandths of a dollar


def snapshot_partition(symbol: str, data_date: date) -> str:
    return f"{symbol}|{data_date.isoformat()}"


def parse_snapshot_partition(key: str) -> tuple[str, date]:
    """``SYMBOL|YYYY-MM-DD`` -> (symbol, data date); raises ValueError otherwise."""
    symbol, sep, day = key.partition("|")
    if not sep or not symbol:
        raise ValueError(f"snapshot partition must look like SYMBOL|YYYY-MM-DD, not {key!r}")
    return symbol, date.fromisoformat(day)


def _locate(inp: CheckInput) -> tuple[str, Outcome | None]:
    """The file path to read, or the outcome to return instead (skip / error)."""
    symbol, data_date = parse_snapshot_partition(inp.partition_key)
    (rel,) = fetch_one(
        inp.conn,
        "SELECT path FROM options_snapshots WHERE symbol = ? AND data_date = ?",
        [symbol, data_date],
    )
    if rel is None:
        return "", Outcome("skip", f"no snapshot indexed for {symbol} on {data_date}")
    path = Path(inp.data_dir) / rel
    if not path.is_file():
        return str(path), Outcome(
            "error",
            f"snapshot {rel} is indexed but missing from {inp.data_dir}; re-run "
            f"`options-helper snapshot-options -s {symbol} --as-of {data_date}`",
            {"path": rel},
        )
    return str(path), None


def _empty(inp: CheckInput) -> Outcome:
    return Outcome("skip", f"snapshot {inp.partition_key} has no rows", {"rows": 0})


def _symbol_problems(
    symbol: str, underlying: str, expiry: date, strike: float, option_type: str
) -> list[str]:
    try:
        osi = parse_osi(symbol)
    except (OsiError, AttributeError):
        return ["unparseable"]
    problems = []
    if osi.root != str(underlying).strip().upper():
        problems.append("root")
    if osi.expiry != expiry:
        problems.append("expiry")
    if strike is None or not abs(osi.strike - strike) <= _STRIKE_TOLERANCE:
        problems.append("strike")
    if osi.option_type != str(option_type).strip().lower():
        problems.append("option_type")
    return problems


def snapshot_contract_symbols_consistent(inp: CheckInput) -> Outcome:
    """Every OSI contract symbol parses and agrees with the underlying/expiry/strike/type columns."""
    path, blocked = _locate(inp)
    if blocked:
        return blocked
    rows = inp.conn.execute(
        "SELECT contract_symbol, underlying, CAST(expiry AS DATE), strike, option_type "
        "FROM read_parquet(?)",
        [path],
    ).fetchall()
    if not rows:
        return _empty(inp)
    counts = dict.fromkeys(("unparseable", "root", "expiry", "strike", "option_type"), 0)
    bad, first_bad = 0, None
    for row in rows:
        problems = _symbol_problems(*row)
        for name in problems:
            counts[name] += 1
        if problems:
            bad += 1
            first_bad = first_bad or row[0]
    metrics = {
        "rows": len(rows),
        "bad_rows": bad,
        "unparseable": counts["unparseable"],
        "root_mismatch": counts["root"],
        "expiry_mismatch": counts["expiry"],
        "strike_mismatch": counts["strike"],
        "type_mismatch": counts["option_type"],
        "first_bad": first_bad,
    }
    if bad:
        return Outcome(
            "fail",
            f"{bad} of {len(rows)} contract symbols are unparseable or disagree with their "
            f"columns (first {first_bad!r})",
            metrics,
        )
    return Outcome("pass", f"all {len(rows)} contract symbols agree with their columns", metrics)


def snapshot_null_iv_ratio(inp: CheckInput) -> Outcome:
    """Share of two-sided quotes with DTE ≥ 1 whose IV is null stays at or below 10%."""
    path, blocked = _locate(inp)
    if blocked:
        return blocked
    rows, eligible, null_iv = fetch_one(
        inp.conn,
        """
        SELECT count(*),
               count(*) FILTER (WHERE eligible),
               count(*) FILTER (WHERE eligible AND (iv IS NULL OR isnan(iv)))
        FROM (SELECT iv, coalesce(dte >= 1 AND bid > 0 AND ask >= bid, false) AS eligible
              FROM read_parquet(?))
        """,
        [path],
    )
    if not rows:
        return _empty(inp)
    if not eligible:
        return Outcome(
            "skip",
            f"snapshot {inp.partition_key} has no two-sided quote with DTE ≥ 1",
            {"rows": rows, "eligible_rows": 0},
        )
    ratio = null_iv / eligible
    metrics = {
        "rows": rows,
        "eligible_rows": eligible,
        "null_iv_rows": null_iv,
        "null_iv_ratio": round(ratio, 6),
        "threshold": MAX_NULL_IV_RATIO,
    }
    what = f"{ratio:.1%} of {eligible} two-sided quotes with DTE ≥ 1 have no IV"
    if ratio > MAX_NULL_IV_RATIO:
        return Outcome("fail", f"{what} (limit {MAX_NULL_IV_RATIO:.0%})", metrics)
    return Outcome("pass", what, metrics)


def snapshot_crossed_quotes(inp: CheckInput) -> Outcome:
    """Share of two-sided quotes that are crossed (bid > ask > 0) stays at or below 1%."""
    path, blocked = _locate(inp)
    if blocked:
        return blocked
    rows, quoted, crossed, first = fetch_one(
        inp.conn,
        """
        SELECT count(*),
               count(*) FILTER (WHERE bid > 0 AND ask > 0),
               count(*) FILTER (WHERE bid > ask AND ask > 0),
               min(contract_symbol) FILTER (WHERE bid > ask AND ask > 0)
        FROM read_parquet(?)
        """,
        [path],
    )
    if not rows:
        return _empty(inp)
    if not quoted:
        return Outcome(
            "skip",
            f"snapshot {inp.partition_key} has no two-sided quote",
            {"rows": rows, "quoted_rows": 0},
        )
    ratio = crossed / quoted
    metrics = {
        "rows": rows,
        "quoted_rows": quoted,
        "crossed_rows": crossed,
        "crossed_ratio": round(ratio, 6),
        "threshold": MAX_CROSSED_RATIO,
        "first_crossed": first,
    }
    what = f"{crossed} of {quoted} two-sided quotes are crossed ({ratio:.2%})"
    if ratio > MAX_CROSSED_RATIO:
        return Outcome("fail", f"{what}, above the {MAX_CROSSED_RATIO:.0%} limit", metrics)
    return Outcome("pass", what, metrics)


def snapshot_iv_range(inp: CheckInput) -> Outcome:
    """Every non-null IV lies within [0.01, 5]."""
    path, blocked = _locate(inp)
    if blocked:
        return blocked
    rows, with_iv, outside, lo, hi, first = fetch_one(
        inp.conn,
        """
        WITH s AS (SELECT contract_symbol, iv, iv IS NOT NULL AND NOT isnan(iv) AS has_iv
                   FROM read_parquet(?)),
        t AS (SELECT *, has_iv AND (iv < ? OR iv > ?) AS outside FROM s)
        SELECT count(*), count(*) FILTER (WHERE has_iv), count(*) FILTER (WHERE outside),
               min(iv) FILTER (WHERE has_iv), max(iv) FILTER (WHERE has_iv),
               min(contract_symbol) FILTER (WHERE outside)
        FROM t
        """,
        [path, IV_MIN, IV_MAX],
    )
    if not rows:
        return _empty(inp)
    if not with_iv:
        return Outcome(
            "skip", f"snapshot {inp.partition_key} has no IV values", {"rows": rows, "iv_rows": 0}
        )
    metrics = {
        "rows": rows,
        "iv_rows": with_iv,
        "out_of_range": outside,
        "min_iv": lo,
        "max_iv": hi,
        "bounds": [IV_MIN, IV_MAX],
        "first_out_of_range": first,
    }
    if outside:
        return Outcome(
            "fail",
            f"{outside} of {with_iv} IVs lie outside [{IV_MIN}, {IV_MAX:g}] "
            f"(min {lo:.4g}, max {hi:.4g}; first {first})",
            metrics,
        )
    return Outcome(
        "pass", f"all {with_iv} IVs lie within [{IV_MIN}, {IV_MAX:g}] ({lo:.3f}..{hi:.3f})", metrics
    )


def standard_monthly_expiry(year: int, month: int) -> date:
    """The third Friday of the month, or the session before it when it is a holiday."""
    first = date(year, month, 1)
    third_friday = first + timedelta(days=(4 - first.weekday()) % 7 + 14)
    return calendar.session_on_or_before(third_friday)


def standard_monthly_expiries(after: date, through: date) -> list[date]:
    """Standard monthly expiries in the half-open range (after, through]."""
    out = []
    year, month = after.year, after.month
    while date(year, month, 1) <= through:
        expiry = standard_monthly_expiry(year, month)
        if after < expiry <= through:
            out.append(expiry)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def snapshot_expected_expiries(inp: CheckInput) -> Outcome:
    """Every standard monthly expiry in the 60 calendar days after the data date is present."""
    path, blocked = _locate(inp)
    if blocked:
        return blocked
    _symbol, data_date = parse_snapshot_partition(inp.partition_key)
    present = {
        r[0]
        for r in inp.conn.execute(
            "SELECT DISTINCT CAST(expiry AS DATE) FROM read_parquet(?)", [path]
        ).fetchall()
    }
    if not present:
        return _empty(inp)
    horizon = data_date + timedelta(days=EXPIRY_HORIZON_DAYS)
    expected = standard_monthly_expiries(data_date, horizon)
    missing = [e for e in expected if e not in present]
    metrics = {
        "expiries_in_file": len(present),
        "expected": expected,
        "missing": missing,
        "horizon_days": EXPIRY_HORIZON_DAYS,
    }
    if missing:
        return Outcome(
            "fail",
            f"standard monthly expir{'y' if len(missing) == 1 else 'ies'} "
            f"{', '.join(map(str, missing))} missing from the chain",
            metrics,
        )
    return Outcome(
        "pass",
        f"all {len(expected)} standard monthly expiries through {horizon} are present",
        metrics,
    )
