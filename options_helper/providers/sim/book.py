"""The life of one (symbol, expiry) series: quotes, volume, open interest and trades per session.

Everything is computed once per (seed, symbol, expiry, rate) over the whole life of the series
(listing session to expiry session), vectorised over sessions x contracts, and cached; a chain or
a bar is a slice. Prices are stored as integer cents so that chain quotes, ``last`` and bar
closes agree exactly.

Quotes: theoretical mid = BSM price with the SSVI vol (q = 0, constant rate); the half spread
grows with price (sub-linearly), with distance from the money in ATM standard deviations, more
so for short-dated wings, and with the symbol's illiquidity. The bid is rounded down and the ask
up to the tick (0.01 below $3, 0.05 from $3), bid >= 0, so ``bid <= theo < ask`` always.

Volume: Poisson with a lognormally mixed intensity (overdispersed) that peaks at the money, is
higher for out-of-the-money strikes and near expiries, and scales with the symbol and the day's
activity. Open interest is a stock carried from 0 before listing: each session a share of the
volume closes positions (growing with the OI relative to ~12 sessions of typical volume, and
into expiry; never more than the OI), part of the rest opens new ones and the remainder changes
hands; so ``OI >= 0`` and ``|OI_t - OI_{t-1}| <= volume_t``. The recursion loops over sessions,
vectorised over contracts.

Trades: a contract with volume trades at a price drawn inside [bid, ask] on the tick; ``last``
is the most recent trade price (stale on days without volume).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from options_helper.domain.calendar import all_sessions
from options_helper.domain.pricing import bsm_price
from options_helper.providers.sim.cache import byte_budget_cache
from options_helper.providers.sim.listing import (
    LEAPS,
    MONTHLY,
    QUARTERLY,
    WEEKLY,
    StrikeListing,
    expiry_strikes,
    expiry_table,
)
from options_helper.providers.sim.seeds import rng_for
from options_helper.providers.sim.surface import surface_state, year_fraction
from options_helper.providers.sim.underlying import SymbolParams, symbol_params, underlying_path

# Series books held in memory (a LEAPS book is ~3 MB; all of one symbol-session ~12 MB).
BOOK_CACHE_BYTES = 768 * 2**20
# Positions outstanding settle around this many sessions of typical volume.
_OI_HORIZON = 12.0
# Cap on |z| in the spread (see _half_spread_dollars) and on the vol implied by a quoted mid.
_SPREAD_Z_CAP = 4.0
_MID_VOL_CAP = 4.0
_KIND_VOLUME_WEIGHT = {WEEKLY: 0.7, MONTHLY: 1.0, QUARTERLY: 1.0, LEAPS: 0.5}


def tick_cents(price_dollars: np.ndarray, from_3_cents: int = 5) -> np.ndarray:
    """Minimum tick in cents: 1 below $3, ``from_3_cents`` (5, or 1 for penny-quoted names) from $3."""
    return np.where(price_dollars < 3.0, 1, from_3_cents)


def _floor_tick(cents: np.ndarray, from_3_cents: int) -> np.ndarray:
    tick = tick_cents(cents / 100.0, from_3_cents)
    return np.floor(cents / tick + 1e-9) * tick


def _ceil_tick(cents: np.ndarray, from_3_cents: int) -> np.ndarray:
    tick = tick_cents(cents / 100.0, from_3_cents)
    return np.ceil(cents / tick - 1e-9) * tick


@dataclass(frozen=True, eq=False)
class Theoretical:
    """Unrounded model values on sessions x contracts."""

    spot: np.ndarray  # (n_sessions,)
    t_years: np.ndarray  # (n_sessions,)
    forward: np.ndarray  # (n_sessions,)
    z: np.ndarray  # log-moneyness in ATM standard deviations, (n_sessions, n_contracts)
    iv: np.ndarray
    theo: np.ndarray


def theoretical(
    seed: int, symbol: str, row: int, listing: StrikeListing, rate: float, g: np.ndarray
) -> Theoretical:
    """Model values of ``listing``'s contracts on global sessions ``g`` (no rounding, no noise)."""
    spot = underlying_path(seed, symbol).close[g]
    t = year_fraction(expiry_table().expiry[row], all_sessions()[g])
    fwd = spot * np.exp(rate * t)
    surface = surface_state(seed, symbol, g[:, None])
    theta = surface.atm_total_variance(t[:, None])
    n = listing.n_strikes
    k = np.log(listing.strike[None, :n] / fwd[:, None])
    iv = np.tile(surface.implied_vol(k, t[:, None]), 2)
    theo = bsm_price(
        spot[:, None], listing.strike[None, :], t[:, None], iv, rate, 0.0, listing.is_call[None, :]
    )
    z = np.tile(k / np.sqrt(theta), 2)
    return Theoretical(spot, t, fwd, z, iv, np.maximum(theo, 0.0))


@dataclass(frozen=True, eq=False)
class ExpiryBook:
    """One series over its life; matrices are (n_sessions, n_contracts), row 0 = listing session."""

    row: int  # row of expiry_table()
    g0: int  # global session index of row 0
    listing: StrikeListing
    first: np.ndarray  # local session index of each contract's listing
    bid_c: np.ndarray  # int32 cents
    ask_c: np.ndarray
    volume: np.ndarray  # int32 contracts traded on the session
    oi_end: np.ndarray  # int32 open interest at the session's close
    last_c: np.ndarray  # int32 cents of the most recent trade so far (that session's when
    # volume > 0), -1 if none yet

    @property
    def n_sessions(self) -> int:
        return self.bid_c.shape[0]


def _half_spread_dollars(th: Theoretical, spread_mult: float, noise: np.ndarray) -> np.ndarray:
    # Distance from the money in ATM standard deviations, capped: near expiry the ATM standard
    # deviation collapses, and an uncapped z made deep-ITM 0-DTE spreads thousands of dollars.
    az = np.minimum(np.abs(th.z), _SPREAD_Z_CAP)
    t_days = th.t_years[:, None] * 365.0
    half = (
        spread_mult
        * (0.004 + 0.002 * th.theo**0.8)
        * (1.0 + 0.25 * az)
        * (1.0 + 0.5 * az * np.exp(-t_days / 10.0))
        * np.exp(0.15 * noise)
    )
    return np.maximum(half, 0.005)


def _quotes(
    th: Theoretical,
    listing: StrikeListing,
    rate: float,
    p: SymbolParams,
    noise: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Bid and ask in cents on the tick, within the no-arbitrage bounds of a European option.

    ``lb <= bid <= theo <= ask <= ub`` up to the tick, with ``lb`` the discounted intrinsic
    (``S - K e^{-rT}`` for calls, ``K e^{-rT} - S`` for puts, >= 0) and ``ub`` the spot for
    calls, the strike for puts. The mid never implies a vol above ``_MID_VOL_CAP`` (nor twice
    the model vol plus a little): where the time value is below a tick (deep ITM near expiry),
    rounding alone would otherwise put the mid a few cents above the model price, which a
    solver reads as a vol of 5 or more; there the ask comes down towards the theoretical and,
    if that is not enough, the bid gives way (at most one more tick).
    """
    tick3 = p.tick_from_3_cents
    half = _half_spread_dollars(th, p.spread_mult, noise)
    spot = th.spot[:, None]
    strike = listing.strike[None, :]
    is_call = listing.is_call[None, :]
    t = th.t_years[:, None]
    discounted_k = strike * np.exp(-rate * t)
    lb = np.maximum(np.where(is_call, spot - discounted_k, discounted_k - spot), 0.0)
    ub = np.where(is_call, spot, strike)
    theo_c = th.theo * 100.0
    bid_c = _floor_tick(np.maximum(th.theo - half, np.minimum(lb, th.theo)) * 100.0, tick3)
    ask_c = np.minimum(_ceil_tick((th.theo + half) * 100.0, tick3), _floor_tick(ub * 100.0, tick3))
    ceil_theo_c = _ceil_tick(theo_c, tick3)
    ask_c = np.maximum(ask_c, ceil_theo_c)
    vol_cap = np.minimum(np.maximum(2.0 * th.iv, th.iv + 0.5), _MID_VOL_CAP)
    cap_c = 100.0 * bsm_price(spot, strike, t, vol_cap, rate, 0.0, is_call)
    # The ask gives way first (down to the theoretical), then the bid.
    ask_c = np.maximum(np.minimum(ask_c, _floor_tick(2.0 * cap_c - bid_c, tick3)), ceil_theo_c)
    bid_c = np.minimum(bid_c, _floor_tick(2.0 * cap_c - ask_c, tick3))
    # bid < ask: only when theo sits on the tick could both round to it.
    bid_c = np.where(bid_c >= ask_c, ask_c - tick_cents(ask_c / 100.0 - 0.005, tick3), bid_c)
    bid_c = np.maximum(bid_c, 0.0)
    return bid_c.astype(np.int32), np.maximum(ask_c, 1).astype(np.int32)


def _intensity(
    seed: int, symbol: str, row: int, g: np.ndarray, th: Theoretical, is_call: np.ndarray
) -> np.ndarray:
    """Expected contracts traded per (session, contract)."""
    p = symbol_params(seed, symbol)
    activity = underlying_path(seed, symbol).activity[g]
    otm = np.where(is_call[None, :], th.z > 0, th.z < 0)
    az = np.minimum(np.abs(th.z), 30.0)
    moneyness = np.exp(-0.5 * az * az) + 0.01 * np.exp(-az / 2.0)
    tenor = 12.0 * (th.t_years * 365.0 + 2.0) ** -0.8
    weight = _KIND_VOLUME_WEIGHT[int(expiry_table().kind[row])]
    return (
        p.option_volume
        * weight
        * moneyness
        * np.where(otm, 1.0, 0.25)
        * np.where(is_call, 1.0, p.put_weight)[None, :]
        * (tenor * activity)[:, None]
    )


def _open_interest(
    volume: np.ndarray, intensity: np.ndarray, t_years: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """OI at each session's close: ``OI_t = OI_{t-1} + opens_t - closes_t`` from 0.

    Of the day's volume, a share closes existing positions that grows with the open interest
    relative to ``_OI_HORIZON`` sessions of typical volume (and near expiry), capped by the open
    interest; of the rest, a random share opens new positions and the remainder changes hands
    without changing OI. So ``closes <= min(OI_{t-1}, volume)``, ``opens + closes <= volume``.
    """
    n_s, n_c = volume.shape
    traded = volume > 0
    k = int(traded.sum())
    close_mult = np.zeros(volume.shape)
    open_share = np.zeros(volume.shape)
    jitter = np.zeros((2, *volume.shape))
    close_mult[traded] = rng.uniform(0.6, 1.4, k)
    open_share[traded] = rng.uniform(0.5, 0.9, k)
    jitter[:, traded] = rng.random((2, k))
    close_mult *= (1.0 + 3.0 * np.exp(-t_years * 365.0 / 4.0))[:, None]
    scale = _OI_HORIZON * np.maximum(intensity, 0.05)
    vol = volume.astype(np.float64)
    oi = np.zeros(n_c)
    out = np.empty(volume.shape, dtype=np.int32)
    for t in range(n_s):
        v = vol[t]
        c = np.minimum(close_mult[t] * oi / (oi + scale[t]), 1.0)
        closes = np.minimum(np.floor(v * c + jitter[0, t]), oi)
        closes = np.minimum(closes, v)
        oi += np.floor((v - closes) * open_share[t] + jitter[1, t] * (v > closes)) - closes
        out[t] = oi
    return out


def _last_trades(
    bid_c: np.ndarray,
    ask_c: np.ndarray,
    volume: np.ndarray,
    rng: np.random.Generator,
    tick_from_3_cents: int,
) -> np.ndarray:
    traded = volume > 0
    b = bid_c[traded].astype(np.float64)
    a = ask_c[traded].astype(np.float64)
    raw = 0.5 * (a + b) + rng.uniform(-0.9, 0.9, size=b.shape) * 0.5 * (a - b)
    tick = tick_cents(raw / 100.0, tick_from_3_cents)
    px = np.clip(np.rint(raw / tick) * tick, np.maximum(b, 1.0), a)
    trade_c = np.zeros(volume.shape, dtype=np.int32)
    trade_c[traded] = px.astype(np.int32)
    n = volume.shape[0]
    last_row = np.maximum.accumulate(np.where(traded, np.arange(n)[:, None], -1), axis=0)
    cols = np.arange(volume.shape[1])[None, :]
    last_c = np.where(last_row >= 0, trade_c[np.maximum(last_row, 0), cols], -1)
    return last_c.astype(np.int32)


@byte_budget_cache(BOOK_CACHE_BYTES)
def expiry_book(seed: int, symbol: str, row: int, rate: float) -> ExpiryBook:
    """The whole life of expiry ``row`` for ``symbol`` (cached)."""
    table = expiry_table()
    listing = expiry_strikes(seed, symbol, row)
    g0, g1 = int(table.listed_idx[row]), int(table.expiry_idx[row])
    g = np.arange(g0, g1 + 1)
    th = theoretical(seed, symbol, row, listing, rate, g)
    first = listing.first_idx - g0
    listed = np.arange(len(g))[:, None] >= first[None, :]
    rng = rng_for(seed, symbol, int(table.expiry[row].astype(np.int64)), "book")
    noise = rng.standard_normal(th.theo.shape)
    bid_c, ask_c = _quotes(th, listing, rate, symbol_params(seed, symbol), noise)
    intensity = _intensity(seed, symbol, row, g, th, listing.is_call)
    # Draws only for listed cells (row-major order), so the count and order are deterministic.
    lam = intensity[listed]
    volume = np.zeros(intensity.shape, dtype=np.int32)
    # Lognormal mixing (mean 1) makes the Poisson overdispersed, as real option volume is.
    volume[listed] = rng.poisson(lam * np.exp(0.9 * rng.standard_normal(lam.shape) - 0.405))
    oi_end = _open_interest(volume, intensity, th.t_years, rng)
    last_c = _last_trades(bid_c, ask_c, volume, rng, symbol_params(seed, symbol).tick_from_3_cents)
    return ExpiryBook(row, g0, listing, first, bid_c, ask_c, volume, oi_end, last_c)
