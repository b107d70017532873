"""Find each portfolio leg's contract in its underlying's snapshot and take its market mark (pure).

Option legs match a snapshot row on expiry, option type and strike (within STRIKE_TOL). The
mark is the market mid, else the last trade; stock marks at spot. A last trade below intrinsic
value (undiscounted: listed options are American, so exercise is worth at least that) is stale,
and the leg is marked at intrinsic instead, flagged ``mark_at_intrinsic``. A leg that cannot be
marked gets ``status='missing'`` and a reason naming what is absent.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from options_helper.domain.portfolio import Portfolio

STRIKE_TOL = 1e-6
SNAPSHOT_COLUMNS = ("contract_symbol", "expiry", "strike", "option_type", "mid", "last", "iv")

_INPUT_COLUMNS = [
    "position_id",
    "leg_index",
    "symbol",
    "kind",
    "quantity",
    "multiplier",
    "strike",
    "expiry",
    "entry_price",
    "dte",
]


def leg_frame(portfolio: Portfolio, as_of: date) -> pd.DataFrame:
    """One row per leg (RangeIndex, portfolio order) with DTE from ``as_of`` and empty marks."""
    rows = [
        {
            "position_id": pos.id,
            "leg_index": i,
            "symbol": pos.symbol,
            "kind": leg.kind,
            "quantity": leg.quantity,
            "multiplier": leg.shares_per_unit,
            "strike": leg.strike,
            "expiry": leg.expiry,
            "entry_price": leg.entry_price,
            "dte": None if leg.expiry is None else (leg.expiry - as_of).days,
        }
        for pos in portfolio.positions
        for i, leg in enumerate(pos.legs)
    ]
    df = pd.DataFrame(rows, columns=_INPUT_COLUMNS)
    n = len(df)
    # Object columns keep ints as ints and stock legs' None as None (not NaN) in the records.
    for col in ("dte", "strike"):
        df[col] = pd.Series([r[col] for r in rows], index=df.index, dtype=object)
    for col in ("mark", "spot", "iv", "rate", "div_yield"):
        df[col] = np.full(n, np.nan)
    for col in ("contract_symbol", "mark_source", "reason"):
        df[col] = pd.Series([None] * n, dtype=object)
    df["status"] = pd.Series(["ok"] * n, dtype=object)
    return df


def normalise_snapshot(symbol: str, raw: pd.DataFrame) -> pd.DataFrame:
    """The matching columns with comparable dtypes; raises ValueError naming absent columns."""
    absent = [c for c in SNAPSHOT_COLUMNS if c not in raw.columns]
    if absent:
        raise ValueError(f"snapshot for {symbol} lacks column(s): {', '.join(absent)}")
    snap = pd.DataFrame(
        {
            "contract_symbol": raw["contract_symbol"].astype(object).to_numpy(),
            "expiry": pd.to_datetime(raw["expiry"]).to_numpy(dtype="datetime64[D]"),
            "strike": pd.to_numeric(raw["strike"], errors="coerce").to_numpy(dtype=float),
            "option_type": raw["option_type"].astype(str).str.lower().to_numpy(),
        }
    )
    for col in ("mid", "last", "iv"):
        values = pd.to_numeric(raw[col], errors="coerce").to_numpy(dtype=float)
        # Zero or negative quotes and vols are placeholders, not prices.
        snap[col] = np.where(values > 0, values, np.nan)
    return snap


def resolve_spot(given: float | None, raw: pd.DataFrame | None) -> float:
    """The given spot if positive, else the snapshot's ``spot`` column, else NaN."""
    if given is not None and math.isfinite(given) and given > 0:
        return float(given)
    if raw is not None and "spot" in raw.columns:
        values = pd.to_numeric(raw["spot"], errors="coerce").to_numpy(dtype=float)
        values = values[np.isfinite(values) & (values > 0)]
        if values.size:
            return float(values[0])
    return math.nan


def snapshot_date(raw: pd.DataFrame | None) -> date | None:
    """The snapshot's ``data_date`` (first row), or None without one."""
    if raw is None or "data_date" not in raw.columns or raw.empty:
        return None
    return pd.Timestamp(raw["data_date"].iloc[0]).date()


def quote_symbol(
    legs: pd.DataFrame, flags: list[list[str]], symbol: str, snap: pd.DataFrame | None, spot: float
) -> None:
    """Fill spot, mark, iv, contract, status and flags of the legs on ``symbol`` (in place)."""
    on_symbol = (legs["symbol"] == symbol).to_numpy()
    legs.loc[on_symbol, "spot"] = spot
    stock = on_symbol & (legs["kind"] == "stock").to_numpy()
    legs.loc[stock, "mark"] = spot
    legs.loc[stock, "mark_source"] = "spot"
    if not math.isfinite(spot):
        _set_missing(legs, np.flatnonzero(on_symbol), f"no spot price for {symbol}")
        return
    options = np.flatnonzero(on_symbol & ~stock)
    if options.size == 0:
        return
    if snap is None:
        _set_missing(legs, options, f"no snapshot for {symbol}")
        return
    hits = _match_contracts(legs.iloc[options], snap)
    for row, leg_hits in zip(options, hits, strict=True):
        label = _contract_label(legs.iloc[row])
        matched = np.flatnonzero(leg_hits)
        if matched.size == 0:
            expired = " (expired)" if legs.at[row, "dte"] < 0 else ""
            _set_missing(legs, [row], f"{label} not in the {symbol} snapshot{expired}")
            continue
        quote = snap.iloc[matched[0]]
        legs.at[row, "contract_symbol"] = quote["contract_symbol"]
        if matched.size > 1:
            flags[row].append("duplicate_quote")
        if math.isfinite(quote["mid"]):
            legs.at[row, "mark"], legs.at[row, "mark_source"] = quote["mid"], "mid"
        elif math.isfinite(quote["last"]):
            intrinsic = intrinsic_value(spot, float(quote["strike"]), legs.at[row, "kind"])
            if quote["last"] < intrinsic:
                legs.at[row, "mark"], legs.at[row, "mark_source"] = intrinsic, "intrinsic"
                flags[row].append("mark_at_intrinsic")
            else:
                legs.at[row, "mark"], legs.at[row, "mark_source"] = quote["last"], "last"
                flags[row].append("mark_from_last")
        else:
            _set_missing(legs, [row], f"{label} has no mid or last price in the snapshot")
            continue
        legs.at[row, "iv"] = quote["iv"]


def intrinsic_value(spot: float, strike: float, kind: str) -> float:
    """Per-share exercise value now: max(S - K, 0) for a call, max(K - S, 0) for a put."""
    return max(spot - strike, 0.0) if kind == "call" else max(strike - spot, 0.0)


def _match_contracts(legs: pd.DataFrame, snap: pd.DataFrame) -> np.ndarray:
    """(legs x snapshot rows) boolean: same expiry and option type, strike within STRIKE_TOL."""
    strike = pd.to_numeric(legs["strike"]).to_numpy(dtype=float)[:, None]
    expiry = legs["expiry"].to_numpy(dtype="datetime64[D]")[:, None]
    kind = legs["kind"].to_numpy()[:, None]
    return (
        (np.abs(snap["strike"].to_numpy()[None, :] - strike) <= STRIKE_TOL)
        & (snap["expiry"].to_numpy()[None, :] == expiry)
        & (snap["option_type"].to_numpy()[None, :] == kind)
    )


def _contract_label(leg: pd.Series) -> str:
    return f"{leg['symbol']} {leg['expiry']} {leg['strike']:g} {leg['kind']}"


def _set_missing(legs: pd.DataFrame, rows: Any, reason: str) -> None:
    """Rows are positions (the leg frame has a RangeIndex)."""
    legs.loc[rows, "status"] = "missing"
    legs.loc[rows, "reason"] = reason
    legs.loc[rows, "mark"] = np.nan
    legs.loc[rows, "mark_source"] = None
