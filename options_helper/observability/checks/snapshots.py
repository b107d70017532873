"""Checks of one snapshot Parquet file (partition = ``SYMBOL|YYYY-MM-DD``).

The files of a run are found through the ``options_snapshots`` index in one query and each is
read once (pyarrow), then every snapshot check computes its aggregates on it in memory
(``snapshot_arrays``). A file pyarrow cannot read, or whose columns are not of the types that
module handles, gets the same aggregates from DuckDB's ``read_parquet`` (``snapshot_sql``), with
the results and errors the checks have always given. An indexed file that is missing on disk is
an ``error`` outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from options_helper.domain import calendar
from options_helper.observability.checks import snapshot_arrays as arrays
from options_helper.observability.checks import snapshot_sql as sql
from options_helper.observability.checks.base import BatchInput, Outcome, one_partition
from options_helper.warehouse.failures import raise_if_interrupt

ASSET = "options_snapshot_file"
MAX_NULL_IV_RATIO = 0.10
MAX_CROSSED_RATIO = 0.01
IV_MIN, IV_MAX = 0.01, 5.0
EXPIRY_HORIZON_DAYS = 60
_MEMO = "snapshots.files"


def snapshot_partition(symbol: str, data_date: date) -> str:
    return f"{symbol}|{data_date.isoformat()}"


def parse_snapshot_partition(key: str) -> tuple[str, date]:
    """``SYMBOL|YYYY-MM-DD`` -> (symbol, data date); raises ValueError otherwise."""
    symbol, sep, day = key.partition("|")
    if not sep or not symbol:
        raise ValueError(f"snapshot partition must look like SYMBOL|YYYY-MM-DD, not {key!r}")
    return symbol, date.fromisoformat(day)


@dataclass(frozen=True, slots=True)
class _Aggregate:
    """What a snapshot check computes from a file: in memory, or with DuckDB (same value)."""

    columns: tuple[str, ...]
    from_arrays: Callable[..., Any]
    from_sql: Callable[..., Any]
    args: tuple[Any, ...] = ()


_AGGREGATES = {
    "symbols": _Aggregate(
        ("contract_symbol", "underlying", "expiry", "strike", "option_type"),
        arrays.symbol_counts,
        sql.symbol_counts,
    ),
    "null_iv": _Aggregate(("iv", "dte", "bid", "ask"), arrays.null_iv_counts, sql.null_iv_counts),
    "crossed": _Aggregate(
        ("bid", "ask", "contract_symbol"), arrays.crossed_counts, sql.crossed_counts
    ),
    "iv_range": _Aggregate(
        ("iv", "contract_symbol"), arrays.iv_range_counts, sql.iv_range_counts, (IV_MIN, IV_MAX)
    ),
    "expiries": _Aggregate(("expiry",), arrays.distinct_expiries, sql.distinct_expiries),
}


@dataclass(frozen=True, slots=True)
class SnapshotFile:
    """One located snapshot file and the aggregates computed from its single read.

    ``in_memory`` maps an aggregate name to its value, or to the exception computing it
    raised; an aggregate it lacks (unreadable file, unusual column types) comes from DuckDB.
    """

    key: str
    data_date: date
    path: str
    in_memory: dict[str, Any]


def _summarise(path: Path) -> dict[str, Any]:
    """Every in-memory aggregate of the file, read once; the table is not kept."""
    try:
        pf = pq.ParquetFile(path)
        names = set(pf.schema_arrow.names)
        table = pf.read(columns=[c for c in arrays.COLUMNS if c in names])
    except Exception as exc:  # DuckDB will say why, in the words the checks always reported
        raise_if_interrupt(exc)
        return {}
    out: dict[str, Any] = {}
    for name, agg in _AGGREGATES.items():
        if arrays.fits(table.schema, agg.columns):
            try:
                out[name] = agg.from_arrays(table, *agg.args)
            except Exception as exc:  # that check's error on this file, not the others'
                raise_if_interrupt(exc)
                out[name] = exc
    return out


def _locate(batch: BatchInput) -> dict[str, SnapshotFile | Outcome | Exception]:
    """Each partition's file (read once per run), or the outcome / error to report instead."""
    found: dict[str, SnapshotFile | Outcome | Exception] = {}
    parsed: dict[str, tuple[str, date]] = {}
    for key in batch.partition_keys:
        try:
            parsed[key] = parse_snapshot_partition(key)
        except Exception as exc:  # a malformed key is that partition's error
            raise_if_interrupt(exc)
            found[key] = exc
    pairs = list(dict.fromkeys(parsed.values()))
    paths = {
        (symbol, day): rel
        for symbol, day, rel in batch.conn.execute(
            """
            SELECT p.symbol, p.data_date, s.path
            FROM (SELECT unnest(?::VARCHAR[]) AS symbol, unnest(?::DATE[]) AS data_date) p
            JOIN options_snapshots s ON s.symbol = p.symbol AND s.data_date = p.data_date
            """,
            [[p[0] for p in pairs], [p[1] for p in pairs]],
        ).fetchall()
    }
    summaries: dict[Path, dict[str, Any]] = {}
    for key, (symbol, day) in parsed.items():
        rel = paths.get((symbol, day))
        if rel is None:
            found[key] = Outcome("skip", f"no snapshot indexed for {symbol} on {day}")
            continue
        path = Path(batch.data_dir) / rel
        if not path.is_file():
            found[key] = Outcome(
                "error",
                f"snapshot {rel} is indexed but missing from {batch.data_dir}; re-run "
                f"`options-helper snapshot-options -s {symbol} --as-of {day}`",
                {"path": rel},
            )
            continue
        if path not in summaries:
            summaries[path] = _summarise(path)
        found[key] = SnapshotFile(key, day, str(path), summaries[path])
    return found


def _files(batch: BatchInput) -> dict[str, SnapshotFile | Outcome | Exception]:
    if _MEMO not in batch.memo:
        batch.memo[_MEMO] = _locate(batch)
    return batch.memo[_MEMO]


def _each_file(
    batch: BatchInput, aggregate: str, outcome: Callable[[SnapshotFile, Any], Outcome]
) -> dict[str, Outcome | Exception]:
    """One check over the files of a batch: the outcome its aggregate of each file makes."""
    agg = _AGGREGATES[aggregate]
    out: dict[str, Outcome | Exception] = {}
    for key, found in _files(batch).items():
        if not isinstance(found, SnapshotFile):
            out[key] = found
            continue
        try:
            if aggregate in found.in_memory:
                value = found.in_memory[aggregate]
            else:
                value = agg.from_sql(batch.conn, found.path, *agg.args)
            out[key] = value if isinstance(value, Exception) else outcome(found, value)
        except Exception as exc:  # this file's failure is this partition's error
            raise_if_interrupt(exc)
            out[key] = exc
    return out


def _empty(key: str) -> Outcome:
    return Outcome("skip", f"snapshot {key} has no rows", {"rows": 0})


# -- contract symbols ----------------------------------------------------------------------------


def _symbols_outcome(
    key: str, rows: int, bad: int, counts: dict[str, int], first_bad: str | None
) -> Outcome:
    if not rows:
        return _empty(key)
    metrics = {
        "rows": rows,
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
            f"{bad} of {rows} contract symbols are unparseable or disagree with their "
            f"columns (first {first_bad!r})",
            metrics,
        )
    return Outcome("pass", f"all {rows} contract symbols agree with their columns", metrics)


def contract_symbols_batch(batch: BatchInput) -> dict[str, Outcome | Exception]:
    """Every OSI contract symbol parses and agrees with the underlying, expiry, strike and
    option_type columns."""
    return _each_file(batch, "symbols", lambda f, counts: _symbols_outcome(f.key, *counts))


# -- null IV ratio -------------------------------------------------------------------------------


def _null_iv_outcome(key: str, rows: int, eligible: int, null_iv: int) -> Outcome:
    if not rows:
        return _empty(key)
    if not eligible:
        return Outcome(
            "skip",
            f"snapshot {key} has no two-sided quote with DTE ≥ 1",
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


def null_iv_ratio_batch(batch: BatchInput) -> dict[str, Outcome | Exception]:
    """Share of two-sided quotes with DTE ≥ 1 whose IV is null stays at or below 10%."""
    return _each_file(batch, "null_iv", lambda f, counts: _null_iv_outcome(f.key, *counts))


# -- crossed quotes ------------------------------------------------------------------------------


def _crossed_outcome(key: str, rows: int, quoted: int, crossed: int, first: str | None) -> Outcome:
    if not rows:
        return _empty(key)
    if not quoted:
        return Outcome(
            "skip",
            f"snapshot {key} has no two-sided quote",
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


def crossed_quotes_batch(batch: BatchInput) -> dict[str, Outcome | Exception]:
    """Share of two-sided quotes that are crossed (bid > ask > 0) stays at or below 1%."""
    return _each_file(batch, "crossed", lambda f, counts: _crossed_outcome(f.key, *counts))


# -- IV range ------------------------------------------------------------------------------------


def _iv_range_outcome(
    key: str,
    rows: int,
    with_iv: int,
    outside: int,
    lo: float | None,
    hi: float | None,
    first: str | None,
) -> Outcome:
    if not rows:
        return _empty(key)
    if not with_iv:
        return Outcome("skip", f"snapshot {key} has no IV values", {"rows": rows, "iv_rows": 0})
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


def iv_range_batch(batch: BatchInput) -> dict[str, Outcome | Exception]:
    """Every non-null IV lies within [0.01, 5]."""
    return _each_file(batch, "iv_range", lambda f, counts: _iv_range_outcome(f.key, *counts))


# -- expected expiries ---------------------------------------------------------------------------


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


def _expiries_outcome(key: str, data_date: date, present: set[date | None]) -> Outcome:
    if not present:
        return _empty(key)
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


def expected_expiries_batch(batch: BatchInput) -> dict[str, Outcome | Exception]:
    """Every standard monthly expiry in the 60 calendar days after the data date is present."""
    return _each_file(
        batch, "expiries", lambda f, present: _expiries_outcome(f.key, f.data_date, present)
    )


# The same checks on one snapshot partition (CheckInput -> Outcome).
snapshot_contract_symbols_consistent = one_partition(contract_symbols_batch)
snapshot_null_iv_ratio = one_partition(null_iv_ratio_batch)
snapshot_crossed_quotes = one_partition(crossed_quotes_batch)
snapshot_iv_range = one_partition(iv_range_batch)
snapshot_expected_expiries = one_partition(expected_expiries_batch)
