"""Derived metrics of one symbol on one session, composed from derived_chain and derived_vol.

Formulas, units and conventions: docs/metrics.md.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from options_helper.domain.derived_chain import (
    call_wall,
    call_wall_gamma,
    max_pain,
    max_pain_expiry,
    net_gex_usd_per_1pct,
    put_call_oi_ratio,
    put_call_volume_ratio,
    put_wall,
    put_wall_gamma,
    zero_gamma_spot,
)
from options_helper.domain.derived_vol import (
    IV30_TARGET_DAYS,
    atm_by_expiry,
    constant_maturity_iv,
    expected_move_iv_usd,
    expected_move_straddle_usd,
    first_expiry,
    iv_percentile_pct,
    iv_rank_pct,
    realized_vol_close_to_close,
    realized_vol_parkinson,
    risk_reversal_25d,
    risk_reversal_25d_constant_maturity,
    term_slope,
    term_slope_constant_maturity,
)

RV_SHORT_SESSIONS = 20
RV_LONG_SESSIONS = 60

DERIVED_KEYS = [
    "data_date",
    "spot",
    "put_call_oi_ratio",
    "put_call_volume_ratio",
    "call_wall",
    "put_wall",
    "max_pain",
    "max_pain_expiry",
    "net_gex_usd_per_1pct",
    "zero_gamma_spot",
    "atm_iv",
    "atm_iv_expiry",
    "iv30",
    "expected_move_straddle_usd",
    "expected_move_iv30_usd",
    "risk_reversal_25d",
    "rv20",
    "rv60",
    "rv20_parkinson",
    "iv_rv_ratio",
    "iv_rank_pct",
    "iv_percentile_pct",
    "term_slope",
    "rr25_30d",
    "term_slope_30_90",
    "call_wall_gamma",
    "put_wall_gamma",
]


def _last(series: pd.Series) -> float:
    return float(series.iloc[-1]) if len(series) else float("nan")


def realized_vols(candles: pd.DataFrame, data_date: date) -> dict[str, float]:
    """rv20, rv60 (close-to-close) and rv20_parkinson as of ``data_date``.

    NaN unless the candles include ``data_date`` itself (a stale history is not used);
    later candles are ignored.
    """
    nan = {"rv20": float("nan"), "rv60": float("nan"), "rv20_parkinson": float("nan")}
    if candles is None or candles.empty:
        return nan
    sessions = pd.to_datetime(candles["session"]).dt.date
    bars = candles[(sessions <= data_date).to_numpy()].assign(_s=sessions)
    bars = bars.sort_values("_s", kind="stable")
    if bars.empty or bars["_s"].iloc[-1] != data_date:
        return nan
    return {
        "rv20": _last(realized_vol_close_to_close(bars["close"], RV_SHORT_SESSIONS)),
        "rv60": _last(realized_vol_close_to_close(bars["close"], RV_LONG_SESSIONS)),
        "rv20_parkinson": _last(
            realized_vol_parkinson(bars["high"], bars["low"], RV_SHORT_SESSIONS)
        ),
    }


def derived_metrics(
    chain: pd.DataFrame,
    *,
    spot: float,
    data_date: date,
    candles: pd.DataFrame,
    iv_history: pd.Series,
    rate: float,
    div_yield: float = 0.0,
) -> dict:
    """Every derived metric of one symbol on ``data_date`` (DERIVED_KEYS).

    Args:
        chain: the data date's snapshot (all expiries, snapshot columns).
        candles: session, open, high, low, close, ascending, up to ``data_date``.
        iv_history: past iv30 values, one per session, ending the session before data_date.
        rate, div_yield: continuously compounded, as used for the snapshot's IV.

    Returns:
        DERIVED_KEYS -> float (NaN when an input is missing); expiries are dates or None.
    """
    spot = float(spot)
    atm = atm_by_expiry(chain, spot=spot, rate=rate, div_yield=div_yield)
    near = first_expiry(atm)
    iv30 = constant_maturity_iv(atm)
    rv = realized_vols(candles, data_date)
    out = {
        "data_date": data_date,
        "spot": spot,
        "put_call_oi_ratio": put_call_oi_ratio(chain),
        "put_call_volume_ratio": put_call_volume_ratio(chain),
        "call_wall": call_wall(chain),
        "put_wall": put_wall(chain),
        "max_pain": max_pain(chain),
        "max_pain_expiry": max_pain_expiry(chain),
        "net_gex_usd_per_1pct": net_gex_usd_per_1pct(chain, spot=spot),
        "zero_gamma_spot": zero_gamma_spot(chain, spot=spot, rate=rate, div_yield=div_yield),
        "atm_iv": float("nan") if near is None else float(near["atm_iv"]),
        "atm_iv_expiry": None if near is None else near["expiry"],
        "iv30": iv30,
        "expected_move_straddle_usd": expected_move_straddle_usd(atm),
        "expected_move_iv30_usd": expected_move_iv_usd(spot, iv30, IV30_TARGET_DAYS),
        "risk_reversal_25d": (
            float("nan") if near is None else risk_reversal_25d(chain, near["expiry"])
        ),
        **rv,
        "iv_rv_ratio": iv30 / rv["rv20"] if rv["rv20"] > 0 else float("nan"),
        "iv_rank_pct": iv_rank_pct(iv30, iv_history),
        "iv_percentile_pct": iv_percentile_pct(iv30, iv_history),
        "term_slope": term_slope(atm),
        "rr25_30d": risk_reversal_25d_constant_maturity(chain),
        "term_slope_30_90": term_slope_constant_maturity(atm),
        "call_wall_gamma": call_wall_gamma(chain),
        "put_wall_gamma": put_wall_gamma(chain),
    }
    return {k: (float(v) if isinstance(v, np.floating) else v) for k, v in out.items()}
