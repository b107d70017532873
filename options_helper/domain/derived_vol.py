"""Volatility metrics: ATM IV, 30-day IV, expected moves, skew, realised vol, IV rank (pure).

All vols are annualised decimals (0.25 = 25%). Implied vols come from the snapshot's ``iv``
column (solved from the mid; NaN where undetermined). A metric whose inputs are missing is NaN.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

DAYS_PER_YEAR = 365.0
SESSIONS_PER_YEAR = 252
# Shorter expiries are skipped for ATM IV, IV30, the straddle and skew: their vol is dominated
# by single events and by the close-to-close ACT/365 clock of end-of-day snapshots.
ATM_MIN_DTE = 7
IV30_TARGET_DAYS = 30
TERM_SLOPE_LONG_MIN_DTE = 60
RISK_REVERSAL_DELTA = 0.25
IV_RANK_LOOKBACK_SESSIONS = 252
IV_RANK_MIN_POINTS = 20

ATM_COLUMNS = [
    "expiry",
    "dte",
    "t_years",
    "forward",
    "atm_strike",
    "call_iv",
    "put_iv",
    "atm_iv",
    "call_mid",
    "put_mid",
    "straddle_mid_usd",
]


def _expiry_dates(chain: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(chain["expiry"]).dt.date


def atm_by_expiry(
    chain: pd.DataFrame, *, spot: float, rate: float, div_yield: float = 0.0
) -> pd.DataFrame:
    """At-the-money row per expiry: the strike nearest the forward (ties to the lower strike).

    atm_iv is the mean of the call and put IV at that strike when both exist, else the one that
    does (NaN if neither: no other strike is substituted). forward = spot × e^{(r − q) t}.

    Returns:
        ATM_COLUMNS, one row per expiry, ascending DTE.
    """
    df = chain[["expiry", "dte", "t_years", "strike", "option_type", "iv", "mid"]].copy()
    df["expiry"] = _expiry_dates(chain)
    df = df[df["strike"].notna()]
    if df.empty:
        return pd.DataFrame(columns=ATM_COLUMNS)
    df["forward"] = spot * np.exp((rate - div_yield) * df["t_years"].astype(float))
    df["distance"] = (df["strike"] - df["forward"]).abs()
    nearest = df["distance"] == df.groupby("expiry")["distance"].transform("min")
    atm_strike = df[nearest].groupby("expiry")["strike"].min()
    atm = df[df["strike"] == df["expiry"].map(atm_strike)]
    by_type = atm.groupby(["expiry", "option_type"])[["iv", "mid"]].mean().unstack("option_type")
    out = df.groupby("expiry")[["dte", "t_years", "forward"]].first()
    out["atm_strike"] = atm_strike
    for side in ("call", "put"):
        for field in ("iv", "mid"):
            key = (field, side)
            out[f"{side}_{field}"] = by_type[key] if key in by_type.columns else np.nan
    out["atm_iv"] = out[["call_iv", "put_iv"]].mean(axis=1, skipna=True)
    out["straddle_mid_usd"] = out["call_mid"] + out["put_mid"]
    return out.reset_index().sort_values("dte", kind="stable").reset_index(drop=True)[ATM_COLUMNS]


def first_expiry(atm: pd.DataFrame, min_dte: int = ATM_MIN_DTE) -> pd.Series | None:
    """The ATM row of the first expiry with at least ``min_dte`` days to go, or None."""
    eligible = atm[atm["dte"] >= min_dte]
    return None if eligible.empty else eligible.iloc[0]


def atm_iv_near(atm: pd.DataFrame, min_dte: int = ATM_MIN_DTE) -> float:
    """ATM IV of the first expiry with DTE ≥ ``min_dte`` (7: a 0–6 DTE expiry is skipped)."""
    row = first_expiry(atm, min_dte)
    return float("nan") if row is None else float(row["atm_iv"])


def constant_maturity_iv(
    atm: pd.DataFrame, target_days: float = IV30_TARGET_DAYS, min_dte: int = ATM_MIN_DTE
) -> float:
    """ATM IV at a constant maturity, linear in total variance iv² × t between expiries.

    Uses expiries with DTE ≥ ``min_dte`` and a finite ATM IV. Between the two bracketing
    expiries w(t) = w1 + (w2 − w1)(t − t1)/(t2 − t1) and iv = sqrt(w / t); outside them the
    nearest expiry's IV is used unchanged (flat extrapolation in vol).
    """
    usable = atm[(atm["dte"] >= min_dte) & atm["atm_iv"].notna() & (atm["t_years"] > 0)]
    usable = usable.sort_values("t_years").drop_duplicates("t_years")
    if usable.empty:
        return float("nan")
    t = usable["t_years"].to_numpy(dtype=float)
    iv = usable["atm_iv"].to_numpy(dtype=float)
    target = target_days / DAYS_PER_YEAR
    if target <= t[0]:
        return float(iv[0])
    if target >= t[-1]:
        return float(iv[-1])
    return float(np.sqrt(np.interp(target, t, iv * iv * t) / target))


def expected_move_straddle_usd(atm: pd.DataFrame, min_dte: int = ATM_MIN_DTE) -> float:
    """ATM straddle mid (call mid + put mid) of the first expiry with DTE ≥ ``min_dte``.

    The market's price of a move to that expiry: about 0.8 × spot × iv × sqrt(t), i.e. the
    mean absolute move, not one standard deviation and not rescaled to a fixed horizon.
    """
    row = first_expiry(atm, min_dte)
    return float("nan") if row is None else float(row["straddle_mid_usd"])


def expected_move_iv_usd(spot: float, iv: float, days: float = IV30_TARGET_DAYS) -> float:
    """One standard deviation move over ``days`` calendar days: spot × iv × sqrt(days / 365)."""
    return float(spot * iv * np.sqrt(days / DAYS_PER_YEAR))


def _iv_at_delta(rows: pd.DataFrame, target_delta: float) -> float:
    delta = pd.to_numeric(rows["delta"], errors="coerce").to_numpy(dtype=float)
    iv = pd.to_numeric(rows["iv"], errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(delta) & np.isfinite(iv)
    delta, iv = delta[ok], iv[ok]
    if not len(delta) or not (delta.min() <= target_delta <= delta.max()):
        return float("nan")
    order = np.argsort(delta, kind="stable")
    return float(np.interp(target_delta, delta[order], iv[order]))


def risk_reversal_25d(chain: pd.DataFrame, expiry: date) -> float:
    """iv(25Δ call) − iv(25Δ put) on one expiry, IV linear in delta between listed strikes.

    NaN when ±0.25 is outside the deltas with a known IV (no extrapolation). Negative is the
    usual equity skew (puts richer).
    """
    rows = chain[(_expiry_dates(chain) == expiry).to_numpy()]
    call = _iv_at_delta(rows[rows["option_type"] == "call"], RISK_REVERSAL_DELTA)
    put = _iv_at_delta(rows[rows["option_type"] == "put"], -RISK_REVERSAL_DELTA)
    return call - put


def term_slope(
    atm: pd.DataFrame,
    short_min_dte: int = ATM_MIN_DTE,
    long_min_dte: int = TERM_SLOPE_LONG_MIN_DTE,
) -> float:
    """ATM IV of the first expiry with DTE ≥ 60 minus that of the first with DTE ≥ 7.

    Positive is an upward-sloping (contango) term structure.
    """
    return atm_iv_near(atm, long_min_dte) - atm_iv_near(atm, short_min_dte)


def realized_vol_close_to_close(close: pd.Series, window: int) -> pd.Series:
    """Rolling close-to-close vol: sample std (ddof 1) of ``window`` log returns × √252."""
    log_returns = np.log(close.astype(float)).diff()
    return log_returns.rolling(window, min_periods=window).std(ddof=1) * np.sqrt(SESSIONS_PER_YEAR)


def realized_vol_parkinson(high: pd.Series, low: pd.Series, window: int) -> pd.Series:
    """Rolling Parkinson (high–low range) vol: sqrt(mean(ln(H/L)²) / (4 ln 2) × 252).

    Ignores overnight gaps (it sees only the intraday range), so it reads below close-to-close
    vol when the stock gaps.
    """
    squared_range = np.log(high.astype(float) / low.astype(float)) ** 2
    mean = squared_range.rolling(window, min_periods=window).mean()
    return np.sqrt(mean / (4.0 * np.log(2.0)) * SESSIONS_PER_YEAR)


def iv_rank_pct(
    iv_today: float, iv_history: pd.Series, lookback: int = IV_RANK_LOOKBACK_SESSIONS
) -> float:
    """100 × (iv − min) / (max − min) over the last ``lookback`` sessions including today.

    Args:
        iv_history: past values, one per session, ending the session before today.

    Returns:
        0–100; NaN with fewer than IV_RANK_MIN_POINTS finite past values or max == min.
    """
    past = pd.to_numeric(iv_history.tail(lookback - 1), errors="coerce").dropna()
    if not np.isfinite(iv_today) or len(past) < IV_RANK_MIN_POINTS:
        return float("nan")
    lo = min(past.min(), iv_today)
    hi = max(past.max(), iv_today)
    return float("nan") if hi <= lo else float(100.0 * (iv_today - lo) / (hi - lo))


def iv_rank_sessions(
    iv_today: float, iv_history: pd.Series, lookback: int = IV_RANK_LOOKBACK_SESSIONS
) -> int:
    """Sessions with a finite IV in the ``lookback``-session window that iv_rank_pct ranks:
    the last ``lookback`` − 1 past values plus today (0–``lookback``).

    iv_rank_pct and iv_percentile_pct (as compute_derived calls it, with ``lookback`` − 1 past
    values) rest on this many observations; below ``lookback`` they span less than a year.
    """
    past = pd.to_numeric(iv_history.tail(lookback - 1), errors="coerce").dropna()
    return int(len(past) + (1 if np.isfinite(iv_today) else 0))


def iv_percentile_pct(
    iv_today: float, iv_history: pd.Series, lookback: int = IV_RANK_LOOKBACK_SESSIONS
) -> float:
    """100 × share of the last ``lookback`` past values strictly below today's IV.

    Returns:
        0–100; NaN with fewer than IV_RANK_MIN_POINTS finite past values.
    """
    past = pd.to_numeric(iv_history.tail(lookback), errors="coerce").dropna()
    if not np.isfinite(iv_today) or len(past) < IV_RANK_MIN_POINTS:
        return float("nan")
    return float(100.0 * (past < iv_today).mean())
