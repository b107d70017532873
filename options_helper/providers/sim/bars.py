"""Alpaca-like daily option bars, one per session a contract traded, consistent with the chain.

A bar exists on a session iff the chain's ``volume`` is > 0 there; its ``close`` is the chain's
``last`` and its ``volume`` the chain's ``volume`` on that session. ``trade_count`` is between 1
and the volume; open is another trade of the day (quotes wander intraday, so it may sit up to
one and a half half-spreads from the closing mid); high/low bracket open and close; ``vwap`` lies in
[low, high]. A single trade gives open = high = low = close = vwap.

The bars of a series are drawn once over its whole life (the draws are sequential over every
traded cell, so a window cannot be drawn on its own) and cached compactly, grouped by session;
a request is then a slice of the sessions asked for plus a mask of the contracts asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from options_helper.domain.calendar import all_sessions
from options_helper.providers.base import OPTION_BAR_COLUMNS
from options_helper.providers.sim.book import expiry_book, tick_cents
from options_helper.providers.sim.cache import byte_budget_cache
from options_helper.providers.sim.listing import expiry_strikes, expiry_table
from options_helper.providers.sim.seeds import rng_for
from options_helper.providers.sim.underlying import symbol_params

# Cached series bars (~34 bytes per traded cell; the live series of one symbol ~6-21 MiB).
BARS_CACHE_BYTES = 384 * 2**20


@dataclass(frozen=True, eq=False)
class SeriesBars:
    """Bars of every traded (session, contract) cell of one series, in row-major order.

    Prices are integer cents. The bars of local session ``s`` (global ``g0 + s``) are the cells
    ``offsets[s]:offsets[s + 1]``, ascending by contract column.
    """

    g0: int  # global session index of local session 0 (the series' listing session)
    n_contracts: int
    offsets: np.ndarray  # int64, (n_sessions + 1,)
    col: np.ndarray  # contract column of the listing (int16 or int32)
    open_c: np.ndarray  # int32 cents
    high_c: np.ndarray
    low_c: np.ndarray
    close_c: np.ndarray
    volume: np.ndarray  # int32
    trade_count: np.ndarray  # int32
    vwap: np.ndarray  # float64 dollars

    @property
    def n_sessions(self) -> int:
        return len(self.offsets) - 1

    def cells(self, cols: np.ndarray, lo_idx: int, hi_idx: int) -> tuple[np.ndarray, np.ndarray]:
        """Cells of contract columns ``cols`` on global sessions [lo_idx, hi_idx].

        Returns (cell positions, global session index of each), by contract column then session.
        """
        a = max(lo_idx - self.g0, 0)
        b = min(hi_idx - self.g0, self.n_sessions - 1)
        if a > b:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        p0, p1 = int(self.offsets[a]), int(self.offsets[b + 1])
        wanted = np.zeros(self.n_contracts, dtype=bool)
        wanted[cols] = True
        keep = np.flatnonzero(wanted[self.col[p0:p1]])
        cells = p0 + keep
        if a == b:  # one session: row-major order is already by column
            return cells, np.full(len(cells), self.g0 + a, dtype=np.int64)
        sess = np.repeat(np.arange(self.g0 + a, self.g0 + b + 1), np.diff(self.offsets[a : b + 2]))
        sess = sess[keep]
        order = np.lexsort((sess, self.col[cells]))
        return cells[order], sess[order]


def _to_tick(cents: np.ndarray, *, up: bool, from_3_cents: int) -> np.ndarray:
    tick = tick_cents(cents / 100.0, from_3_cents)
    q = np.ceil(cents / tick) if up else np.floor(cents / tick)
    return np.maximum(q * tick, 1.0)


def _col_dtype(n_contracts: int) -> type:
    return np.int16 if n_contracts <= np.iinfo(np.int16).max else np.int32


@byte_budget_cache(BARS_CACHE_BYTES)
def series_bars(seed: int, symbol: str, row: int, rate: float) -> SeriesBars:
    """All bars of expiry ``row`` for ``symbol`` (cached)."""
    book = expiry_book(seed, symbol, row, rate)
    n_contracts = book.volume.shape[1]
    cell = np.flatnonzero(book.volume > 0)  # row-major, as np.nonzero
    s, col = np.divmod(cell, n_contracts)
    volume_i = book.volume.ravel().take(cell)
    last_i = book.last_c.ravel().take(cell)
    volume = volume_i.astype(np.int64)
    close = last_i.astype(np.float64)
    bid = book.bid_c.ravel().take(cell).astype(np.float64)
    ask = book.ask_c.ravel().take(cell).astype(np.float64)
    mid, half = 0.5 * (bid + ask), np.maximum(0.5 * (ask - bid), 1.0)

    tick3 = symbol_params(seed, symbol).tick_from_3_cents
    rng = rng_for(seed, symbol, int(expiry_table().expiry[row].astype(np.int64)), "bars")
    u = rng.random((5, len(s)))
    trade_count = 1 + rng.binomial(volume - 1, 0.25 + 0.5 * u[0])
    open_ = np.rint(mid + (2.0 * u[1] - 1.0) * 1.5 * half)
    open_ = np.where(
        open_ >= close,
        _to_tick(open_, up=True, from_3_cents=tick3),
        _to_tick(open_, up=False, from_3_cents=tick3),
    )
    high = _to_tick(np.maximum(open_, close) + u[2] * half, up=True, from_3_cents=tick3)
    low = np.minimum(
        _to_tick(np.minimum(open_, close) - u[3] * half, up=False, from_3_cents=tick3), close
    )
    low = np.minimum(low, open_)
    single = trade_count == 1
    open_ = np.where(single, close, open_)
    high = np.where(single, close, np.maximum(high, np.maximum(open_, close)))
    low = np.where(single, close, low)
    vwap = np.round((low + (high - low) * (0.3 + 0.4 * u[4])) / 100.0, 4)
    # Every price above is a whole number of cents, so int32 storage is exact.
    return SeriesBars(
        g0=book.g0,
        n_contracts=n_contracts,
        offsets=np.searchsorted(s, np.arange(book.n_sessions + 1)).astype(np.int64),
        col=col.astype(_col_dtype(n_contracts)),
        open_c=open_.astype(np.int32),
        high_c=high.astype(np.int32),
        low_c=low.astype(np.int32),
        close_c=last_i,
        volume=volume_i,
        trade_count=trade_count.astype(np.int32),
        vwap=np.where(single, close / 100.0, vwap),
    )


@lru_cache(maxsize=1)
def _session_dates() -> np.ndarray:
    """Every calendar session as a ``datetime.date`` (object array)."""
    return all_sessions().astype(object)


def bars_columns(parts: list[tuple[np.ndarray, SeriesBars, np.ndarray, np.ndarray]]) -> dict:
    """OPTION_BAR_COLUMNS arrays of ``(contract_symbols, bars, cells, session_idx)`` parts,
    concatenated in order."""
    got: dict[str, list[np.ndarray]] = {c: [] for c in OPTION_BAR_COLUMNS}
    for symbols, bars, cells, sess in parts:
        got["contract_symbol"].append(symbols[bars.col[cells]])
        got["session"].append(sess)
        for name, values in (
            ("open", bars.open_c),
            ("high", bars.high_c),
            ("low", bars.low_c),
            ("close", bars.close_c),
            ("volume", bars.volume),
            ("trade_count", bars.trade_count),
            ("vwap", bars.vwap),
        ):
            got[name].append(values[cells])
    data = {c: np.concatenate(v) for c, v in got.items()}
    data["session"] = _session_dates()[data["session"]]
    for c in ("open", "high", "low", "close"):
        data[c] = data[c] / 100.0
    for c in ("volume", "trade_count"):
        data[c] = data[c].astype(np.int64)
    return data


def option_bars(
    seed: int,
    rate: float,
    wanted: dict[tuple[str, int], list[int]],
    lo_idx: int,
    hi_idx: int,
) -> pd.DataFrame:
    """Bars of ``{(symbol, row): contract columns}`` on global sessions [lo_idx, hi_idx].

    OPTION_BAR_COLUMNS, sorted by contract symbol then session, with a RangeIndex.
    """
    # Sort key: contract symbols of different series never interleave in string order (a
    # series' symbols share root + yymmdd, a prefix of at least 7 characters followed by C/P,
    # and no root is longer than 6), so order series by any one of their symbols; within a
    # series, symbol order is column order (calls before puts, then by zero-padded strike).
    keys = sorted(
        (expiry_strikes(seed, symbol, row).contract_symbol[0], symbol, row)
        for symbol, row in wanted
    )
    parts = []
    for _, symbol, row in keys:
        bars = series_bars(seed, symbol, row, rate)
        cells, sess = bars.cells(np.asarray(wanted[(symbol, row)]), lo_idx, hi_idx)
        parts.append((expiry_strikes(seed, symbol, row).contract_symbol, bars, cells, sess))
    frame = pd.DataFrame(bars_columns(parts), columns=list(OPTION_BAR_COLUMNS))
    if len(frame) and any(len(cells) == 0 for _, _, cells, _ in parts):
        # Kept as it has always been: the bars used to be one frame per series, concatenated;
        # pandas infers its string dtype for a non-empty column of str but not for an empty one,
        # and concatenating both gives ``object``.
        frame = frame.astype({"contract_symbol": object})
    return frame
