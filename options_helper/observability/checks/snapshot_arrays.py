"""Vectorised aggregates of one snapshot file (a pyarrow table) for the snapshot checks.

Each function returns exactly what the check's SQL over ``read_parquet`` returns, so the two
paths are interchangeable: DuckDB's three-valued logic (a NULL comparison is not TRUE) and its
float order (NaN above every number, NaN = NaN) are reproduced, and the contract symbols that
are not plain compact OSI go through :func:`parse_osi` one by one, as before.

:func:`fits` says whether a file's column types are those this module reproduces DuckDB for;
other files (float32 IVs, timestamp expiries, a missing column...) take the SQL path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from options_helper.domain.osi import OsiError, parse_osi

STRIKE_TOLERANCE = 0.0005  # OSI strikes are in thousandths of a dollar
PROBLEMS = ("unparseable", "root", "expiry", "strike", "option_type")

# Compact OSI as the sim and the vendors write it. strip().upper() leaves such a symbol as it
# is, and parse_osi reads it as root = all but the last 15 characters, then yymmdd, C/P and
# the strike in thousandths: fixed slices.
_COMPACT_OSI = r"^[A-Z0-9.]{1,6}[0-9]{6}[CP][0-9]{8}$"

_STRING = (pa.string(), pa.large_string())
_KINDS: dict[str, Callable[[pa.DataType], bool]] = {
    "contract_symbol": lambda t: t in _STRING,
    "underlying": lambda t: t in _STRING,
    "option_type": lambda t: t in _STRING,
    "expiry": lambda t: t == pa.date32(),
    "strike": lambda t: t == pa.float64(),
    "bid": lambda t: t == pa.float64(),
    "ask": lambda t: t == pa.float64(),
    "iv": lambda t: t == pa.float64(),
    "dte": lambda t: t == pa.float64() or pa.types.is_integer(t),
}
COLUMNS = tuple(_KINDS)


def fits(schema: pa.Schema, columns: Sequence[str]) -> bool:
    """Whether every one of ``columns`` is in ``schema`` once, with a type handled here."""
    return all(schema.get_field_index(c) >= 0 and _KINDS[c](schema.field(c).type) for c in columns)


def _array(table: pa.Table, column: str) -> pa.Array:
    return table.column(column).combine_chunks()


def _bools(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return arr.to_numpy(zero_copy_only=False)


def _numbers(table: pa.Table, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(values, valid) of a numeric column: NULLs are 0 in ``values`` and False in ``valid``."""
    return _values(_array(table, column))


def _values(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    return _bools(pc.fill_null(arr, 0)), _bools(arr.is_valid())


def _gt(a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    """DuckDB's ``a > b`` on non-NULL floats (NaN is above every number and equal to NaN)."""
    a_nan, b_nan = np.isnan(a), np.isnan(b)
    return np.where(a_nan, ~b_nan, ~b_nan & (a > b))


def _ge(a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    """DuckDB's ``a >= b`` on non-NULL floats."""
    return np.where(np.isnan(a), True, ~np.isnan(b) & (a >= b))


def _min_symbol(table: pa.Table, mask: np.ndarray) -> str | None:
    """``min(contract_symbol) FILTER (WHERE mask)``: the smallest by code point, NULLs ignored."""
    if not mask.any():
        return None
    return pc.min(pc.filter(_array(table, "contract_symbol"), pa.array(mask))).as_py()


def null_iv_counts(table: pa.Table) -> tuple[int, int, int]:
    """(rows, two-sided quotes with DTE ≥ 1, those with a NULL or NaN IV)."""
    dte, dte_ok = _numbers(table, "dte")
    bid, bid_ok = _numbers(table, "bid")
    ask, ask_ok = _numbers(table, "ask")
    iv, iv_ok = _numbers(table, "iv")
    eligible = dte_ok & bid_ok & ask_ok & _ge(dte, 1) & _gt(bid, 0) & _ge(ask, bid)
    null_iv = eligible & (~iv_ok | np.isnan(iv))
    return table.num_rows, int(eligible.sum()), int(null_iv.sum())


def crossed_counts(table: pa.Table) -> tuple[int, int, int, str | None]:
    """(rows, quotes with bid > 0 and ask > 0, crossed ones (bid > ask > 0), first crossed)."""
    bid, bid_ok = _numbers(table, "bid")
    ask, ask_ok = _numbers(table, "ask")
    both = bid_ok & ask_ok
    quoted = both & _gt(bid, 0) & _gt(ask, 0)
    crossed = both & _gt(bid, ask) & _gt(ask, 0)
    return table.num_rows, int(quoted.sum()), int(crossed.sum()), _min_symbol(table, crossed)


def iv_range_counts(
    table: pa.Table, iv_min: float, iv_max: float
) -> tuple[int, int, int, float | None, float | None, str | None]:
    """(rows, IVs present, IVs outside [iv_min, iv_max], min IV, max IV, first outside)."""
    iv, iv_ok = _numbers(table, "iv")
    has_iv = iv_ok & ~np.isnan(iv)
    outside = has_iv & ((iv < iv_min) | (iv > iv_max))
    present = iv[has_iv]
    lo, hi = (float(present.min()), float(present.max())) if present.size else (None, None)
    return (
        table.num_rows,
        int(has_iv.sum()),
        int(outside.sum()),
        lo,
        hi,
        _min_symbol(table, outside),
    )


def distinct_expiries(table: pa.Table) -> set[date | None]:
    """The distinct expiry dates of the file (None when some are NULL)."""
    return set(pc.unique(_array(table, "expiry")).to_pylist())


def _normalised(arr: pa.Array, fn: Callable[[Any], str]) -> pa.Array:
    """``fn`` applied to each value (NULL included), computed once per distinct value."""
    encoded = pc.dictionary_encode(arr, null_encoding="encode")
    mapped = pa.array([fn(v) for v in encoded.dictionary.to_pylist()], pa.string())
    return mapped.take(encoded.indices)


def symbol_problems(
    symbol: Any, underlying: Any, expiry: Any, strike: Any, option_type: Any
) -> list[str]:
    """The problems of one row (names from :data:`PROBLEMS`), parsing its symbol with parse_osi."""
    try:
        osi = parse_osi(symbol)
    except (OsiError, AttributeError):
        return ["unparseable"]
    problems = []
    if osi.root != str(underlying).strip().upper():
        problems.append("root")
    if osi.expiry != expiry:
        problems.append("expiry")
    if strike is None or not abs(osi.strike - strike) <= STRIKE_TOLERANCE:
        problems.append("strike")
    if osi.option_type != str(option_type).strip().lower():
        problems.append("option_type")
    return problems


def _compact_problems(table: pa.Table, rows: np.ndarray, symbols: pa.Array) -> dict:
    """Problem masks (over ``rows``) of the rows whose symbol is compact OSI, vectorised."""
    ymd = _bools(pc.cast(pc.utf8_slice_codeunits(symbols, -15, -9), pa.int64()))
    month, day = ymd // 100 % 100, ymd % 100
    months = (2000 + ymd // 10000 - 1970) * 12 + np.clip(month, 1, 12) - 1
    first = months.astype("datetime64[M]").astype("datetime64[D]")
    next_first = (months + 1).astype("datetime64[M]").astype("datetime64[D]")
    # parse_osi rejects an impossible date (month 13, 30 February): the symbol is unparseable.
    unparseable = (month < 1) | (month > 12) | (day < 1) | (day > (next_first - first).astype(int))
    parsed = ~unparseable
    osi_days = first.astype(np.int64) + day - 1
    osi_strike = _bools(pc.cast(pc.utf8_slice_codeunits(symbols, -8), pa.int64())) / 1000.0
    is_call = pc.equal(pc.utf8_slice_codeunits(symbols, -9, -8), "C")
    osi_type = pc.if_else(is_call, "call", "put")
    root = pc.utf8_slice_codeunits(symbols, 0, -15)

    def column(name: str) -> pa.Array:
        return _array(table, name).take(pa.array(rows))

    underlying = _normalised(column("underlying"), lambda v: str(v).strip().upper())
    option_type = _normalised(column("option_type"), lambda v: str(v).strip().lower())
    expiry_days, expiry_ok = _values(pc.cast(column("expiry"), pa.int32()))
    strike, strike_ok = _values(column("strike"))
    return {
        "unparseable": unparseable,
        "root": parsed & ~_bools(pc.equal(root, underlying)),
        "expiry": parsed & ~(expiry_ok & (expiry_days == osi_days)),
        "strike": parsed & ~(strike_ok & (np.abs(osi_strike - strike) <= STRIKE_TOLERANCE)),
        "option_type": parsed & ~_bools(pc.equal(osi_type, option_type)),
    }


def _first_bad(symbols: pa.Array, bad: np.ndarray, named: np.ndarray) -> str | None:
    """``first = first or symbol`` over the bad rows in file order, as the row loop had it: the
    first non-empty symbol, else the last bad row's (None or "")."""
    rows = np.flatnonzero(bad & named)
    if not rows.size:
        rows = np.flatnonzero(bad)[-1:]
    return symbols[int(rows[0])].as_py() if rows.size else None


def symbol_counts(table: pa.Table) -> tuple[int, int, dict[str, int], str | None]:
    """(rows, bad rows, rows per problem of :data:`PROBLEMS`, first bad contract symbol)."""
    n = table.num_rows
    symbols = _array(table, "contract_symbol")
    compact = _bools(pc.fill_null(pc.match_substring_regex(symbols, _COMPACT_OSI), False))
    masks = {p: np.zeros(n, dtype=bool) for p in PROBLEMS}
    rows = np.flatnonzero(compact)
    if rows.size:
        compact_symbols = symbols.filter(pa.array(compact))
        for name, mask in _compact_problems(table, rows, compact_symbols).items():
            masks[name][rows] = mask
    others = np.flatnonzero(~compact)
    if others.size:
        # Padded, lowercase or invalid symbols: parse_osi decides, row by row, as it always has.
        cols = [
            _array(table, c).take(pa.array(others)).to_pylist()
            for c in ("contract_symbol", "underlying", "expiry", "strike", "option_type")
        ]
        for i, row in zip(others, zip(*cols, strict=True), strict=True):
            for name in symbol_problems(*row):
                masks[name][i] = True
    bad = np.logical_or.reduce([masks[p] for p in PROBLEMS])
    named = _bools(pc.fill_null(pc.greater(pc.utf8_length(symbols), 0), False))
    first_bad = _first_bad(symbols, bad, named)
    counts = {p: int(masks[p].sum()) for p in PROBLEMS}
    return n, int(bad.sum()), counts, first_bad
