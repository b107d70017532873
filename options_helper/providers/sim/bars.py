"""Alpaca-like daily option bars, one per session a contract traded, consistent with the chain.

A bar exists on a session iff the chain's ``volume`` is > 0 there; its ``close`` is the chain's
``last`` and its ``volume`` the chain's ``volume`` on that session. ``trade_count`` is between 1
and the volume; open is another trade of the day (quotes wander intraday, so it may sit up to
one and a half half-spreads from the closing mid); high/low bracket open and close; ``vwap`` lies in
[low, high]. A single trade gives open = high = low = close = vwap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from options_helper.domain.calendar import all_sessions
from options_helper.providers.base import OPTION_BAR_COLUMNS
from options_helper.providers.sim.book import expiry_book, tick_cents
from options_helper.providers.sim.cache import byte_budget_cache
from options_helper.providers.sim.listing import expiry_table
from options_helper.providers.sim.seeds import rng_for


@dataclass(frozen=True, eq=False)
class SeriesBars:
    """Bars of every traded (session, contract) cell of one series, in row-major order."""

    session_idx: np.ndarray  # global session index
    col: np.ndarray  # contract column of the listing
    open_c: np.ndarray
    high_c: np.ndarray
    low_c: np.ndarray
    close_c: np.ndarray
    volume: np.ndarray
    trade_count: np.ndarray
    vwap: np.ndarray  # dollars


def _to_tick(cents: np.ndarray, *, up: bool) -> np.ndarray:
    tick = tick_cents(cents / 100.0)
    q = np.ceil(cents / tick) if up else np.floor(cents / tick)
    return np.maximum(q * tick, 1.0)


@byte_budget_cache(128 * 2**20)
def series_bars(seed: int, symbol: str, row: int, rate: float) -> SeriesBars:
    """All bars of expiry ``row`` for ``symbol`` (cached)."""
    book = expiry_book(seed, symbol, row, rate)
    s, col = np.nonzero(book.volume > 0)
    volume = book.volume[s, col].astype(np.int64)
    close = book.last_c[s, col].astype(np.float64)
    bid = book.bid_c[s, col].astype(np.float64)
    ask = book.ask_c[s, col].astype(np.float64)
    mid, half = 0.5 * (bid + ask), np.maximum(0.5 * (ask - bid), 1.0)

    rng = rng_for(seed, symbol, int(expiry_table().expiry[row].astype(np.int64)), "bars")
    u = rng.random((5, len(s)))
    trade_count = 1 + rng.binomial(volume - 1, 0.25 + 0.5 * u[0])
    open_ = np.rint(mid + (2.0 * u[1] - 1.0) * 1.5 * half)
    open_ = np.where(open_ >= close, _to_tick(open_, up=True), _to_tick(open_, up=False))
    high = _to_tick(np.maximum(open_, close) + u[2] * half, up=True)
    low = np.minimum(_to_tick(np.minimum(open_, close) - u[3] * half, up=False), close)
    low = np.minimum(low, open_)
    single = trade_count == 1
    open_ = np.where(single, close, open_)
    high = np.where(single, close, np.maximum(high, np.maximum(open_, close)))
    low = np.where(single, close, low)
    vwap = np.round((low + (high - low) * (0.3 + 0.4 * u[4])) / 100.0, 4)
    return SeriesBars(
        session_idx=book.g0 + s,
        col=col,
        open_c=open_,
        high_c=high,
        low_c=low,
        close_c=close,
        volume=volume,
        trade_count=trade_count.astype(np.int64),
        vwap=np.where(single, close / 100.0, vwap),
    )


def bars_frame(
    seed: int, symbol: str, row: int, rate: float, cols: np.ndarray, lo_idx: int, hi_idx: int
) -> pd.DataFrame:
    """Bars of contract columns ``cols`` on global sessions [lo_idx, hi_idx] (OPTION_BAR_COLUMNS)."""
    bars = series_bars(seed, symbol, row, rate)
    keep = (bars.session_idx >= lo_idx) & (bars.session_idx <= hi_idx) & np.isin(bars.col, cols)
    listing = expiry_book(seed, symbol, row, rate).listing
    return pd.DataFrame(
        {
            "contract_symbol": listing.contract_symbol[bars.col[keep]],
            "session": all_sessions()[bars.session_idx[keep]].astype(object),
            "open": bars.open_c[keep] / 100.0,
            "high": bars.high_c[keep] / 100.0,
            "low": bars.low_c[keep] / 100.0,
            "close": bars.close_c[keep] / 100.0,
            "volume": bars.volume[keep],
            "trade_count": bars.trade_count[keep],
            "vwap": bars.vwap[keep],
        },
        columns=list(OPTION_BAR_COLUMNS),
    )
