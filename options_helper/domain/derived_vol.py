"""Volatility metrics: ATM IV, 30-day IV, expected moves, skew, realised vol, IV rank (pure).

All vols are annualised decimals (0.25 = 25%). Implied vols come from the snapshot's ``iv``
column (solved from the mid; NaN where undetermined). A metric whose inputs are missing is NaN.

Two kinds of term and skew metric, named apart:
- front-expiry (``atm_iv``, ``risk_reversal_25d``, ``term_slope``): read off listed expiries
  chosen by DTE, so their series jump when the front expiry rolls;
- constant-maturity (``iv30``, ``rr25_30d``, ``term_slope_30_90``): interpolated linearly in
  total variance iv² × t (t in ACT/365 years) to a fixed number of calendar days, so they do not.
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
TERM_SLOPE_LONG_TARGET_DAYS = 90
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


def _interpolate_total_variance(
    t_years: np.ndarray, iv: np.ndarray, target_days: float, extrapolate: bool = True
) -> float:
    """IV at ``target_days`` (calendar), linear in total variance iv² × t between the bracketing
    points; outside them the nearest point's IV (flat in vol), or NaN without ``extrapolate``.

    Args:
        t_years, iv: finite, t_years > 0, ascending and distinct.
    """
    if not len(t_years):
        return float("nan")
    target = target_days / DAYS_PER_YEAR
    if target < t_years[0] or target > t_years[-1]:
        if not extrapolate:
            return float("nan")
        return float(iv[0] if target < t_years[0] else iv[-1])
    return float(np.sqrt(np.interp(target, t_years, iv * iv * t_years) / target))


def constant_maturity_iv(
    atm: pd.DataFrame,
    target_days: float = IV30_TARGET_DAYS,
    min_dte: int = ATM_MIN_DTE,
    extrapolate: bool = True,
) -> float:
    """ATM IV at a constant maturity, linear in total variance iv² × t between expiries.

    Uses expiries with DTE ≥ ``min_dte`` and a finite ATM IV. Between the two bracketing
    expiries w(t) = w1 + (w2 − w1)(t − t1)/(t2 − t1) and iv = sqrt(w / t); outside them the
    nearest expiry's IV is used unchanged (flat extrapolation in vol), or NaN without
    ``extrapolate``.
    """
    usable = atm[(atm["dte"] >= min_dte) & atm["atm_iv"].notna() & (atm["t_years"] > 0)]
    usable = usable.sort_values("t_years").drop_duplicates("t_years")
    return _interpolate_total_variance(
        usable["t_years"].to_numpy(dtype=float),
        usable["atm_iv"].to_numpy(dtype=float),
        target_days,
        extrapolate,
    )


def term_slope_constant_maturity(
    atm: pd.DataFrame,
    short_days: float = IV30_TARGET_DAYS,
    long_days: float = TERM_SLOPE_LONG_TARGET_DAYS,
    min_dte: int = ATM_MIN_DTE,
) -> float:
    """Constant-maturity ATM IV at ``long_days`` minus that at ``short_days`` (90 − 30).

    The short end is iv30 as stored (flat extrapolation); the long end is not extrapolated: NaN
    unless an expiry with DTE ≥ ``min_dte`` reaches ``long_days``, so the slope is never that of
    the last listed expiry presented as 90 days. Positive is contango.
    """
    long_iv = constant_maturity_iv(atm, long_days, min_dte, extrapolate=False)
    return long_iv - constant_maturity_iv(atm, short_days, min_dte)


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


def wing_ivs_by_expiry(chain: pd.DataFrame, min_dte: int = ATM_MIN_DTE) -> pd.DataFrame:
    """25Δ call and put IV per expiry with DTE ≥ ``min_dte`` (as in risk_reversal_25d).

    Returns:
        expiry, t_years, call_iv_25d, put_iv_25d; ascending t_years; NaN where ±0.25 is outside
        the deltas with a known IV.
    """
    rows = []
    dates = _expiry_dates(chain)
    for expiry, g in chain[(chain["dte"] >= min_dte).to_numpy()].groupby(dates, sort=True):
        rows.append(
            {
                "expiry": expiry,
                "t_years": float(g["t_years"].iloc[0]),
                "call_iv_25d": _iv_at_delta(g[g["option_type"] == "call"], RISK_REVERSAL_DELTA),
                "put_iv_25d": _iv_at_delta(g[g["option_type"] == "put"], -RISK_REVERSAL_DELTA),
            }
        )
    columns = ["expiry", "t_years", "call_iv_25d", "put_iv_25d"]
    return pd.DataFrame(rows, columns=columns).sort_values("t_years", kind="stable")


def risk_reversal_25d_constant_maturity(
    chain: pd.DataFrame, target_days: float = IV30_TARGET_DAYS, min_dte: int = ATM_MIN_DTE
) -> float:
    """iv(25Δ call) − iv(25Δ put) at ``target_days`` (30): each wing's IV interpolated in total
    variance like iv30 (flat outside the listed expiries), over expiries with DTE ≥ ``min_dte``
    where both wings are known.
    """
    wings = wing_ivs_by_expiry(chain, min_dte)
    wings = wings[wings["call_iv_25d"].notna() & wings["put_iv_25d"].notna()]
    wings = wings[wings["t_years"] > 0].drop_duplicates("t_years")
    t = wings["t_years"].to_numpy(dtype=float)
    call = _interpolate_total_variance(t, wings["call_iv_25d"].to_numpy(dtype=float), target_days)
    put = _interpolate_total_variance(t, wings["put_iv_25d"].to_numpy(dtype=float), target_days)
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
