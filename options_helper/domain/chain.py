"""Chain enrichment: marks, time to expiry, and locally computed IV and Greeks (pure).

Rates are continuously compounded annual decimals (0.04 = 4%). A snapshot records the
``rate`` and ``div_yield`` its IV and Greeks were solved with, one value repeated on every
row, so later computations on it use the same inputs whatever the setting is by then.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from options_helper.domain.pricing import bsm_greeks, implied_vol

DAYS_PER_YEAR = 365.0


def year_fraction(data_date: date, expiry: date) -> float:
    """ACT/365 from the data date's close to the expiry's close; 0 on expiry day."""
    return max((expiry - data_date).days, 0) / DAYS_PER_YEAR


def enrich_chain(
    chain: pd.DataFrame,
    *,
    spot: float,
    data_date: date,
    rate: float,
    div_yield: float = 0.0,
) -> pd.DataFrame:
    """Add mid, mark, dte, t_years, iv, Greeks, rate and div_yield to a chain (CHAIN_COLUMNS).

    mid is (bid + ask) / 2 only when both sides are quoted and not crossed; mark is mid, else
    last. IV is solved from mid only (a last trade may be stale); it is NaN where the price
    does not determine it. Greeks use that IV and are NaN where IV is.
    """
    df = chain.copy()
    bid = df["bid"].to_numpy(dtype=float)
    ask = df["ask"].to_numpy(dtype=float)
    quoted = (bid > 0) & (ask > 0) & (ask >= bid)
    mid = np.where(quoted, (bid + ask) / 2.0, np.nan)
    last = df["last"].to_numpy(dtype=float)
    df["mid"] = mid
    df["mark"] = np.where(np.isfinite(mid), mid, last)
    expiry = pd.to_datetime(df["expiry"]).dt.date
    dte = np.array([(e - data_date).days for e in expiry], dtype=np.int64)
    t_years = np.maximum(dte, 0) / DAYS_PER_YEAR
    strike = df["strike"].to_numpy(dtype=float)
    is_call = (df["option_type"] == "call").to_numpy()
    iv = implied_vol(mid, spot, strike, t_years, rate, div_yield, is_call)
    g = bsm_greeks(
        spot, strike, t_years, np.where(np.isfinite(iv), iv, 0.2), rate, div_yield, is_call
    )
    nan_mask = ~np.isfinite(iv)
    df["dte"] = dte
    df["t_years"] = t_years
    df["spot"] = float(spot)
    df["iv"] = iv
    for name in ("delta", "gamma", "theta_per_day", "vega_per_pt", "rho_per_pt"):
        values = np.asarray(getattr(g, name), dtype=float).copy()
        values[nan_mask] = np.nan
        df[name] = values
    df["rate"] = float(rate)
    df["div_yield"] = float(div_yield)
    return df


def snapshot_rates(
    chain: pd.DataFrame, *, default_rate: float, default_div_yield: float = 0.0
) -> tuple[float, float]:
    """(rate, div_yield) the snapshot's IV and Greeks used, as continuously compounded decimals.

    Snapshots written before the columns existed lack them (or hold no finite value): the
    defaults, normally the current ``risk_free_rate`` setting and 0, stand in for them.
    """
    return (
        _first_finite(chain, "rate", default_rate),
        _first_finite(chain, "div_yield", default_div_yield),
    )


def _first_finite(chain: pd.DataFrame, column: str, default: float) -> float:
    if column not in chain.columns:
        return float(default)
    values = pd.to_numeric(chain[column], errors="coerce").to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    return float(values[0]) if values.size else float(default)
