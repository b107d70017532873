"""End-of-day chain frames: one row per listed contract of one expiry on one session.

``open_interest`` is the count at the previous session's close (OCC publishes OI with a
one-session lag), 0 on the series' listing session. ``last`` is the most recent trade price up to
and including the session (NaN if the contract never traded). ``provider_iv`` is NaN: the
simulator, like most vendors we use, leaves IV to our own solver.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from options_helper.providers.base import CHAIN_COLUMNS
from options_helper.providers.sim.book import ExpiryBook, expiry_book, theoretical
from options_helper.providers.sim.listing import expiry_table

THEORETICAL_COLUMNS = ("theo_mid", "iv", "spot", "forward", "t_years")


def _chain_from_book(
    book: ExpiryBook, symbol: str, session_index: int
) -> tuple[pd.DataFrame, np.ndarray]:
    s = session_index - book.g0
    cols = np.flatnonzero(book.first <= s)
    listing = book.listing
    n = len(cols)
    last_c = book.last_c[s, cols]
    oi = book.oi_end[s - 1, cols] if s > 0 else np.zeros(n, dtype=np.int32)
    expiry = expiry_table().expiry[book.row].item()
    frame = pd.DataFrame(
        {
            "contract_symbol": listing.contract_symbol[cols],
            "underlying": np.full(n, symbol, dtype=object),
            "expiry": np.full(n, expiry, dtype=object),
            "strike": listing.strike[cols],
            "option_type": np.where(listing.is_call[cols], "call", "put").astype(object),
            "bid": book.bid_c[s, cols] / 100.0,
            "ask": book.ask_c[s, cols] / 100.0,
            "last": np.where(last_c >= 0, last_c / 100.0, np.nan),
            "volume": book.volume[s, cols].astype(np.int64),
            "open_interest": oi.astype(np.int64),
            "provider_iv": np.full(n, np.nan),
        },
        columns=list(CHAIN_COLUMNS),
    )
    return frame, cols


def chain_frame(
    seed: int,
    symbol: str,
    row: int,
    session_index: int,
    rate: float,
    *,
    include_theoretical: bool = False,
) -> pd.DataFrame:
    """The chain of expiry ``row`` on a session (CHAIN_COLUMNS, calls then puts by strike).

    The expiry must be listed on the session. With ``include_theoretical`` the frame also has
    the unrounded model values :data:`THEORETICAL_COLUMNS` (for tests and diagnostics only; the
    provider never returns them).
    """
    book = expiry_book(seed, symbol, row, rate)
    frame, cols = _chain_from_book(book, symbol, session_index)
    if include_theoretical:
        th = theoretical(seed, symbol, row, book.listing, rate, np.array([session_index]))
        frame["theo_mid"] = th.theo[0, cols]
        frame["iv"] = th.iv[0, cols]
        frame["spot"] = th.spot[0]
        frame["forward"] = th.forward[0]
        frame["t_years"] = th.t_years[0]
    return frame


def full_chain(
    seed: int, symbol: str, session_index: int, rate: float, *, include_theoretical: bool = False
) -> pd.DataFrame:
    """Every listed expiry's chain on a session, concatenated in expiry order."""
    rows = expiry_table().listed_on(session_index)
    frames = [
        chain_frame(
            seed, symbol, int(r), session_index, rate, include_theoretical=include_theoretical
        )
        for r in rows
    ]
    return pd.concat(frames, ignore_index=True)
