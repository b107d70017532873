"""Positioning metrics of one chain snapshot: ratios, walls, max pain, gamma exposure (pure).

Inputs are snapshot frames (docs/pricing.md). ``open_interest`` is the count published on the
data date, i.e. the previous session's close; ``volume`` is the data date's session volume.
Rows whose needed input is NaN are left out; a metric with no usable row is NaN, never a guess.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from options_helper.domain.pricing import bsm_gamma

CONTRACT_MULTIPLIER = 100
MAX_PAIN_MIN_DTE = 1

# Dealer positioning assumption for gamma exposure: dealers are long the calls (customers
# write them, e.g. covered calls) and short the puts (customers buy protection). So call gamma
# counts +, put gamma −. Positive net GEX means dealers hedge against moves (damping).
DEALER_GAMMA_SIGN = {"call": 1.0, "put": -1.0}
# GEX is quoted in dollars of delta per 1% move in spot: gamma × OI × 100 × spot² × 0.01.
GEX_SPOT_MOVE = 0.01

ZERO_GAMMA_RANGE = 0.20
ZERO_GAMMA_GRID_POINTS = 241


def _col(chain: pd.DataFrame, name: str) -> np.ndarray:
    return pd.to_numeric(chain[name], errors="coerce").to_numpy(dtype=float)


def _is_call(chain: pd.DataFrame) -> np.ndarray:
    return (chain["option_type"] == "call").to_numpy()


def _is_put(chain: pd.DataFrame) -> np.ndarray:
    return (chain["option_type"] == "put").to_numpy()


def _ratio(chain: pd.DataFrame, column: str) -> float:
    values = pd.Series(_col(chain, column))
    puts = values[_is_put(chain)].sum(min_count=1)
    calls = values[_is_call(chain)].sum(min_count=1)
    if not np.isfinite(puts) or not np.isfinite(calls) or calls <= 0:
        return float("nan")
    return float(puts / calls)


def put_call_oi_ratio(chain: pd.DataFrame) -> float:
    """Total put open interest / total call open interest over all expiries."""
    return _ratio(chain, "open_interest")


def put_call_volume_ratio(chain: pd.DataFrame) -> float:
    """Total put volume / total call volume over all expiries (the data date's session)."""
    return _ratio(chain, "volume")


def _for_expiry(chain: pd.DataFrame, expiry: date | None) -> pd.DataFrame:
    if expiry is None:
        return chain
    return chain[pd.to_datetime(chain["expiry"]).dt.date == expiry]


def _wall(chain: pd.DataFrame, option_type: str, expiry: date | None) -> float:
    side = _for_expiry(chain, expiry)
    side = side[side["option_type"] == option_type]
    oi = pd.Series(_col(side, "open_interest")).groupby(_col(side, "strike")).sum(min_count=1)
    if oi.empty or not (oi.max() > 0):
        return float("nan")
    # idxmax returns the first maximum: ties go to the lowest strike.
    return float(oi.idxmax())


def call_wall(chain: pd.DataFrame, expiry: date | None = None) -> float:
    """Strike with the most call open interest, summed over expiries (or one ``expiry``)."""
    return _wall(chain, "call", expiry)


def put_wall(chain: pd.DataFrame, expiry: date | None = None) -> float:
    """Strike with the most put open interest, summed over expiries (or one ``expiry``)."""
    return _wall(chain, "put", expiry)


def _gamma_wall(chain: pd.DataFrame, option_type: str) -> float:
    side = chain[chain["option_type"] == option_type]
    gamma_oi = _col(side, "gamma") * _col(side, "open_interest")
    by_strike = pd.Series(gamma_oi).groupby(_col(side, "strike")).sum(min_count=1)
    if by_strike.empty or not (by_strike.max() > 0):
        return float("nan")
    return float(by_strike.idxmax())


def call_wall_gamma(chain: pd.DataFrame) -> float:
    """Strike with the largest call gamma × OI summed over all expiries (ties → lowest strike).

    The same strike as the largest call dollar gamma (gamma × OI × 100 × spot² × 0.01, one spot
    for the whole chain). Unlike call_wall it weights near-dated, near-the-money contracts up and
    leaves out contracts without gamma (no IV, e.g. 0-DTE at the close).
    """
    return _gamma_wall(chain, "call")


def put_wall_gamma(chain: pd.DataFrame) -> float:
    """Strike with the largest put gamma × OI summed over all expiries (ties → lowest strike)."""
    return _gamma_wall(chain, "put")


def max_pain_expiry(chain: pd.DataFrame, min_dte: int = MAX_PAIN_MIN_DTE) -> date | None:
    """The nearest expiry with at least ``min_dte`` days to go (None if there is none)."""
    dte = _col(chain, "dte")
    eligible = pd.to_datetime(chain["expiry"][dte >= min_dte]).dt.date
    return None if eligible.empty else min(eligible)


def max_pain(chain: pd.DataFrame, expiry: date | None = None) -> float:
    """Settlement price, among the expiry's strikes, minimising the holders' intrinsic payout.

    payout(P) = Σ_calls OI × max(P − K, 0) + Σ_puts OI × max(K − P, 0); ties go to the lowest
    strike. ``expiry`` defaults to max_pain_expiry (nearest with DTE ≥ 1): a 0-DTE expiry has
    settled by the end-of-day snapshot.
    """
    expiry = max_pain_expiry(chain) if expiry is None else expiry
    if expiry is None:
        return float("nan")
    rows = _for_expiry(chain, expiry)
    strike = _col(rows, "strike")
    oi = _col(rows, "open_interest")
    usable = np.isfinite(strike) & np.isfinite(oi) & (oi > 0)
    if not usable.any():
        return float("nan")
    candidates = np.unique(strike[np.isfinite(strike)])
    k = strike[usable][np.newaxis, :]
    w = oi[usable][np.newaxis, :]
    p = candidates[:, np.newaxis]
    call = _is_call(rows)[usable][np.newaxis, :]
    payoff = np.where(call, np.maximum(p - k, 0.0), np.maximum(k - p, 0.0))
    return float(candidates[np.argmin((payoff * w).sum(axis=1))])


def _dealer_sign(chain: pd.DataFrame) -> np.ndarray:
    return chain["option_type"].map(DEALER_GAMMA_SIGN).to_numpy(dtype=float)


def _gex_usd_per_1pct(gamma, oi, sign, spot) -> np.ndarray:
    return sign * gamma * oi * CONTRACT_MULTIPLIER * spot * spot * GEX_SPOT_MOVE


def gex_by_strike(chain: pd.DataFrame, *, spot: float) -> pd.DataFrame:
    """Dealer gamma exposure by strike (all expiries) under DEALER_GAMMA_SIGN.

    Returns:
        strike, call_gex_usd_per_1pct (≥ 0), put_gex_usd_per_1pct (≤ 0),
        net_gex_usd_per_1pct; ascending strike; rows with NaN gamma or OI left out.
    """
    gamma = _col(chain, "gamma")
    oi = _col(chain, "open_interest")
    gex = _gex_usd_per_1pct(gamma, oi, _dealer_sign(chain), float(spot))
    usable = np.isfinite(gex)
    df = pd.DataFrame(
        {
            "strike": _col(chain, "strike"),
            "call_gex_usd_per_1pct": np.where(_is_call(chain), gex, 0.0),
            "put_gex_usd_per_1pct": np.where(_is_put(chain), gex, 0.0),
        }
    )[usable]
    out = df.groupby("strike", sort=True).sum().reset_index()
    out["net_gex_usd_per_1pct"] = out["call_gex_usd_per_1pct"] + out["put_gex_usd_per_1pct"]
    return out


def net_gex_usd_per_1pct(chain: pd.DataFrame, *, spot: float) -> float:
    """Total dealer gamma exposure (sum of gex_by_strike); NaN with no usable row."""
    by_strike = gex_by_strike(chain, spot=spot)
    return float(by_strike["net_gex_usd_per_1pct"].sum()) if len(by_strike) else float("nan")


class _GexProfile:
    """Net GEX as a function of a hypothetical spot, gamma repriced per contract."""

    def __init__(self, chain: pd.DataFrame, rate: float, div_yield: float) -> None:
        strike, t_years, iv, oi = (
            _col(chain, c) for c in ("strike", "t_years", "iv", "open_interest")
        )
        sign = _dealer_sign(chain)
        ok = np.isfinite(strike) & np.isfinite(sign) & (t_years > 0) & (iv > 0) & (oi > 0)
        self.strike, self.t_years, self.iv = strike[ok], t_years[ok], iv[ok]
        self.weight = (oi * sign)[ok]
        self.rate, self.div_yield = rate, div_yield

    def __len__(self) -> int:
        return len(self.strike)

    def __call__(self, spots: np.ndarray) -> np.ndarray:
        s = np.atleast_1d(np.asarray(spots, dtype=float))[:, np.newaxis]
        gamma = bsm_gamma(s, self.strike, self.t_years, self.iv, self.rate, self.div_yield)
        return _gex_usd_per_1pct(gamma, self.weight, 1.0, s).sum(axis=1)


def zero_gamma_spot(
    chain: pd.DataFrame, *, spot: float, rate: float, div_yield: float = 0.0
) -> float:
    """Spot level where total net GEX crosses zero; NaN if it does not within ±20% of spot.

    Each contract's gamma is repriced at every candidate spot with its own iv, t_years and
    strike (call and put gamma are equal, so the call flag is immaterial). The profile is
    scanned on ZERO_GAMMA_GRID_POINTS over spot × [0.8, 1.2]; the sign change nearest spot is
    refined with Brent's method.
    """
    profile = _GexProfile(chain, rate, div_yield)
    if not len(profile) or not np.isfinite(spot) or spot <= 0:
        return float("nan")
    grid = spot * np.linspace(1 - ZERO_GAMMA_RANGE, 1 + ZERO_GAMMA_RANGE, ZERO_GAMMA_GRID_POINTS)
    values = profile(grid)
    # Sign changes between consecutive non-zero points (gamma can underflow to exactly 0).
    nonzero = np.flatnonzero(values != 0)
    flips = np.flatnonzero(np.sign(values[nonzero[:-1]]) != np.sign(values[nonzero[1:]]))
    if not len(flips):
        return float("nan")
    lo, hi = grid[nonzero[flips]], grid[nonzero[flips + 1]]
    i = int(np.argmin(np.abs(0.5 * (lo + hi) - spot)))
    return float(brentq(lambda x: profile(np.array([x]))[0], lo[i], hi[i], xtol=1e-10 * spot))
