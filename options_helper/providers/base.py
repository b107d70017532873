"""The provider protocol and the column contracts of what providers return.

Shaped after what real APIs return: yfinance lists expiries and returns one chain per expiry
(calls + puts with bid/ask/last/volume/openInterest); Alpaca lists contracts (active and
inactive/expired) and returns daily bars for many contract symbols at once. Every frame a
provider returns has exactly the columns below (extra columns are dropped by the jobs).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol, runtime_checkable

import pandas as pd

# Daily underlying candles; ``session`` is the XNYS session date.
CANDLE_COLUMNS = ("symbol", "session", "open", "high", "low", "close", "volume")

# Listed contracts. ``status`` is "active" (expiry >= as_of) or "expired".
CONTRACT_COLUMNS = ("contract_symbol", "underlying", "expiry", "strike", "option_type", "status")

# Daily option bars (Alpaca-like). ``vwap`` may be NaN.
OPTION_BAR_COLUMNS = (
    "contract_symbol",
    "session",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "trade_count",
    "vwap",
)

# One expiry's chain (yfinance-like), calls and puts together. ``open_interest`` is the value
# published on that session, i.e. the OCC count as of the previous session's close (one-session
# lag). ``provider_iv`` is what the vendor reports (NaN if none); we compute our own IV.
CHAIN_COLUMNS = (
    "contract_symbol",
    "underlying",
    "expiry",
    "strike",
    "option_type",
    "bid",
    "ask",
    "last",
    "volume",
    "open_interest",
    "provider_iv",
)


@runtime_checkable
class MarketDataProvider(Protocol):
    """What every provider implements. Methods raise :class:`ProviderError` subclasses."""

    name: str
    simulated: bool
    # True when chains can be fetched for past sessions (sim); live vendors give "now" only.
    supports_history: bool

    def latest_session(self, now: datetime) -> date:
        """The data date of the freshest complete data (latest completed XNYS session)."""
        ...

    def get_candles(self, symbol: str, start: date, end: date) -> pd.DataFrame:
        """Daily candles for sessions in [start, end], sorted by session (CANDLE_COLUMNS)."""
        ...

    def get_spot(self, symbol: str, as_of: date) -> float:
        """Underlying price the chain of ``as_of`` is quoted against (the session close)."""
        ...

    def list_expiries(self, symbol: str, as_of: date) -> list[date]:
        """Expiries listed on ``as_of``, ascending."""
        ...

    def get_chain(self, symbol: str, expiry: date, as_of: date) -> pd.DataFrame:
        """The end-of-day chain of one expiry on ``as_of`` (CHAIN_COLUMNS)."""
        ...

    def list_contracts(
        self, symbol: str, expiry_from: date, expiry_to: date, as_of: date
    ) -> pd.DataFrame:
        """Contracts (active and expired) with expiry in [expiry_from, expiry_to] (CONTRACT_COLUMNS)."""
        ...

    def get_option_bars(self, contract_symbols: list[str], start: date, end: date) -> pd.DataFrame:
        """Daily bars for the given contracts over [start, end] (OPTION_BAR_COLUMNS)."""
        ...
