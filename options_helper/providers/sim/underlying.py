"""Per-symbol parameters and the simulated underlying: stochastic variance, jumps, daily OHLCV.

One path per (seed, symbol) covers every XNYS session of the calendar range, generated once,
vectorised, from the fixed origin session (2000-01-03) and cached; any date range is a slice of
it, so a session's values never depend on what was fetched before.

Model (dt = 1/252 per session, weekends and holidays not modelled):
- log variance follows a discretised Ornstein–Uhlenbeck process (mean reversion ``kappa_per_year``,
  stationary sd ``logvar_sd``) whose shocks are correlated with the return shock (``leverage``);
- returns are ``sqrt(v_prev dt) z - v_prev dt / 2`` plus occasional overnight jumps (mostly down),
  and a jump also bumps the log variance (vol spikes, inverted term structure afterwards);
- the log price reverts very slowly (half-life ~2 years) to a per-symbol level that drifts with
  ``trend_per_year``, so prices stay plausible over the 46-year calendar;
- the day splits into an overnight gap (20% of the variance, plus jumps) and an intraday
  Brownian bridge from open to close whose exact max/min give high/low.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np
from scipy.signal import lfilter

from options_helper.domain.calendar import all_sessions
from options_helper.providers.sim.seeds import rng_for

SESSIONS_PER_YEAR = 252
_DT = 1.0 / SESSIONS_PER_YEAR
# The per-symbol price level is anchored here, so prices around the present are in 10..800.
_ANCHOR_SESSION = np.datetime64(date(2020, 1, 2), "D")
_PRICE_REVERSION_PER_SESSION = 1.0 / 750.0
_OVERNIGHT_VAR_SHARE = 0.2
_JUMP_MEAN_LOG, _JUMP_SD_LOG = -0.03, 0.06
_JUMP_LOGVAR_BUMP = 0.6


# Well-known tickers get levels and volatilities like the real ones, so a demo of SPY or NVDA
# looks familiar: (price level around 2026-01-02, long-run realised vol, liquidity 0..1). The
# path still wanders around that level; every other parameter comes from the hash as usual.
KNOWN_SYMBOLS: dict[str, tuple[float, float, float]] = {
    "SPY": (600.0, 0.16, 1.0),
    "QQQ": (520.0, 0.21, 1.0),
    "IWM": (220.0, 0.23, 0.95),
    "DIA": (430.0, 0.15, 0.85),
    "AAPL": (230.0, 0.28, 0.95),
    "MSFT": (430.0, 0.26, 0.95),
    "NVDA": (140.0, 0.50, 0.95),
    "AMZN": (200.0, 0.32, 0.9),
    "GOOGL": (170.0, 0.30, 0.9),
    "META": (580.0, 0.38, 0.9),
    "TSLA": (330.0, 0.58, 0.95),
    "AMD": (150.0, 0.50, 0.85),
}
_KNOWN_LEVEL_YEARS = (date(2026, 1, 2) - date(2020, 1, 2)).days / 365.25

# Index ETFs trade like indices: the steepest put skew of all symbols (SSVI rho below every single
# name's -0.6..-0.75, gamma and eta * (1 + |rho|) at the top of their ranges), put open interest
# above call open interest (hedging demand), and penny ticks at every price (the options
# exchanges' penny program quotes these in $0.01 above $3 too).
INDEX_ETFS = frozenset({"SPY", "QQQ", "IWM"})
_INDEX_SKEW_RHO = -0.85
_INDEX_ETA_TIMES_ONE_PLUS_RHO = 1.0
_INDEX_PUT_WEIGHT = 1.8


@dataclass(frozen=True, slots=True)
class SymbolParams:
    """Everything per symbol that does not change over time (derived from (seed, symbol))."""

    symbol: str
    base_price: float  # price level at the anchor session (2020-01-02)
    trend_per_year: float  # log drift of that level
    vol_bar: float  # long-run realised vol (annualised decimal)
    kappa_per_year: float  # variance mean-reversion speed
    logvar_sd: float  # stationary sd of log variance
    leverage: float  # corr(return shock, variance shock), < 0
    jumps_per_year: float
    iv_premium: float  # implied vol / realised vol (variance risk premium)
    skew_rho: float  # SSVI rho (< 0: equity put skew)
    ssvi_eta: float  # SSVI power-law eta, eta * (1 + |rho|) <= 2
    ssvi_gamma: float  # SSVI power-law gamma in (0, 1/2]
    option_volume: float  # contracts/day of an ATM ~30-day option on an average day
    put_weight: float  # put volume relative to calls
    spread_mult: float  # 0.8 = most liquid name; wider spreads above (up to 6.4)
    tick_from_3_cents: int  # option tick at or above $3 (below $3 it is always 1 cent)
    share_volume: float  # average shares/day

    @property
    def var_bar(self) -> float:
        return self.vol_bar**2


def _log_uniform(u: float, lo: float, hi: float) -> float:
    return float(np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo))))


@lru_cache(maxsize=4096)
def symbol_params(seed: int, symbol: str) -> SymbolParams:
    """Deterministic parameters of ``symbol`` under ``seed``."""
    u = rng_for(seed, symbol, "params").random(16)
    liquidity = float(u[10])  # 0 = thin, 1 = very liquid; drives volume and spreads together
    rho = -0.6 - 0.15 * float(u[7])
    trend = -0.01 + 0.05 * float(u[1])
    base_price = _log_uniform(float(u[0]), 10.0, 800.0)
    # Cheaper stocks tend to be more volatile.
    vol_bar = _log_uniform(0.6 * float(u[2]) + 0.4 * (1.0 - float(u[0])), 0.16, 0.6)
    eta = (0.25 + 0.2 * float(u[9])) * 2.0 / (1.0 + abs(rho))
    gamma = 0.35 + 0.15 * float(u[11])
    put_weight = 0.7 + 0.5 * float(u[13])
    if symbol in KNOWN_SYMBOLS:
        level, vol_bar, liquidity = KNOWN_SYMBOLS[symbol]
        base_price = level / float(np.exp(trend * _KNOWN_LEVEL_YEARS))
    if symbol in INDEX_ETFS:
        rho, gamma, put_weight = _INDEX_SKEW_RHO, 0.5, _INDEX_PUT_WEIGHT
        eta = _INDEX_ETA_TIMES_ONE_PLUS_RHO / (1.0 + abs(rho))
    return SymbolParams(
        symbol=symbol,
        base_price=base_price,
        trend_per_year=trend,
        vol_bar=vol_bar,
        kappa_per_year=2.0 + 6.0 * float(u[3]),
        logvar_sd=0.35 + 0.25 * float(u[4]),
        leverage=-0.3 - 0.5 * float(u[5]),
        jumps_per_year=0.5 + 2.5 * float(u[6]),
        iv_premium=1.05 + 0.15 * float(u[8]),
        skew_rho=rho,
        ssvi_eta=eta,
        ssvi_gamma=gamma,
        option_volume=_log_uniform(0.7 * liquidity + 0.3 * float(u[12]), 15.0, 3000.0),
        put_weight=put_weight,
        # Spreads of thin names are several times those of the most liquid ones.
        spread_mult=0.8 * 8.0 ** (1.0 - liquidity),
        tick_from_3_cents=1 if symbol in INDEX_ETFS else 5,
        share_volume=_log_uniform(0.7 * liquidity + 0.3 * float(u[14]), 2e5, 5e7),
    )


@dataclass(frozen=True, eq=False)
class UnderlyingPath:
    """Arrays aligned with :func:`all_sessions` (index = global session index)."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray  # rounded to cents; the spot every chain is quoted against
    volume: np.ndarray  # int64 shares
    var: np.ndarray  # instantaneous variance at the session close (annualised)
    activity: np.ndarray  # option-trading activity multiplier, mean ~1


def _round_cents(x: np.ndarray) -> np.ndarray:
    return np.maximum(np.round(x, 2), 0.01)


@lru_cache(maxsize=256)
def underlying_path(seed: int, symbol: str) -> UnderlyingPath:
    """The whole simulated history of ``symbol`` (every calendar session), cached."""
    p = symbol_params(seed, symbol)
    sessions = all_sessions()
    n = len(sessions)
    rng = rng_for(seed, symbol, "path")
    z_overnight = rng.standard_normal(n)
    z_intraday = rng.standard_normal(n)
    w_var = rng.standard_normal(n)
    jump_u = rng.random(n)
    jump_z = rng.standard_normal(n)
    u_high = rng.random(n)
    u_low = rng.random(n)
    z_volume = rng.standard_normal(n)

    # Variance: AR(1) in log variance, shocks correlated with the day's return shock.
    f = _OVERNIGHT_VAR_SHARE
    z = np.sqrt(f) * z_overnight + np.sqrt(1.0 - f) * z_intraday
    eps = p.leverage * z + np.sqrt(1.0 - p.leverage**2) * w_var
    jump = jump_u < p.jumps_per_year * _DT
    phi = np.exp(-p.kappa_per_year * _DT)
    shocks = p.logvar_sd * np.sqrt(1.0 - phi**2) * eps + _JUMP_LOGVAR_BUMP * jump
    shocks[0] = p.logvar_sd * eps[0]  # start from the stationary distribution
    x = lfilter([1.0], [1.0, -phi], shocks)
    # Centre log variance so the mean variance stays near var_bar despite the jump bumps.
    jump_drift = p.jumps_per_year * _JUMP_LOGVAR_BUMP / p.kappa_per_year
    log_mean = np.log(p.var_bar) - 0.5 * p.logvar_sd**2 - jump_drift
    var = np.clip(np.exp(log_mean + x), 1e-4, 4.0)

    var_prev = np.concatenate(([var[0]], var[:-1]))
    sig = np.sqrt(var_prev * _DT)
    gap = np.sqrt(f) * sig * z_overnight + jump * (_JUMP_MEAN_LOG + _JUMP_SD_LOG * jump_z)
    ret = gap + np.sqrt(1.0 - f) * sig * z_intraday - 0.5 * var_prev * _DT

    # Log price = slowly drifting anchor + slowly mean-reverting deviation.
    t_years = (sessions - _ANCHOR_SESSION).astype(np.float64) / 365.25
    anchor = np.log(p.base_price) + p.trend_per_year * t_years
    dev = lfilter([1.0], [1.0, -(1.0 - _PRICE_REVERSION_PER_SESSION)], ret)
    log_close = anchor + dev
    log_prev = np.concatenate(([log_close[0] - ret[0]], log_close[:-1]))
    log_open = log_prev + gap

    # Exact extremes of a Brownian bridge from open to close with the intraday variance.
    b = log_close - log_open
    s2 = (1.0 - f) * var_prev * _DT
    m_hi = 0.5 * (b + np.sqrt(b * b - 2.0 * s2 * np.log1p(-u_high)))
    m_lo = 0.5 * (b - np.sqrt(b * b - 2.0 * s2 * np.log1p(-u_low)))

    o = _round_cents(np.exp(log_open))
    c = _round_cents(np.exp(log_close))
    h = np.maximum(_round_cents(np.exp(log_open + m_hi)), np.maximum(o, c))
    lo = np.minimum(_round_cents(np.exp(log_open + m_lo)), np.minimum(o, c))

    busy = np.exp(0.35 * z_volume - 0.06) * (1.0 + 0.6 * np.abs(z)) / 1.48 * (1.0 + 2.0 * jump)
    volume = np.maximum(np.rint(p.share_volume * busy), 100).astype(np.int64)
    activity = busy * np.sqrt(var / p.var_bar)
    return UnderlyingPath(o, h, lo, c, volume, var, activity)
