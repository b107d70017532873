"""``SimProvider``: the embedded simulated market behind the ``MarketDataProvider`` protocol.

Deterministic from (seed, symbol, session); see docs/simulator.md for the model. Any symbol of
1-6 characters A-Z, 0-9 and '.' exists; anything else is ``NotFoundError``.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime

import numpy as np
import pandas as pd

from options_helper.domain import calendar
from options_helper.domain.osi import OsiError, format_osi, parse_osi
from options_helper.providers.base import CANDLE_COLUMNS, CONTRACT_COLUMNS
from options_helper.providers.errors import NotFoundError
from options_helper.providers.sim.bars import option_bars
from options_helper.providers.sim.chain import chain_frame
from options_helper.providers.sim.faults import FAULTS_ENV, FaultPlan, parse_faults
from options_helper.providers.sim.listing import (
    expiry_rows_by_yymmdd,
    expiry_strikes,
    expiry_table,
)
from options_helper.providers.sim.underlying import underlying_path

SIM_RATE = 0.04
_SYMBOL_RE = re.compile(r"^[A-Z0-9.]{1,6}$")
_ROOT_RE = re.compile(r"[A-Z0-9.]{1,6}")  # fullmatch: unlike ``$``, no trailing newline


class SimDateError(ValueError):
    """A date the simulator cannot serve for that method (e.g. not an XNYS session)."""


def _as_date(d: date) -> date:
    return d.date() if isinstance(d, datetime) else d


def _with_str_columns(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    # pandas infers its string dtype from data; empty frames would keep ``object``.
    if frame.empty:
        frame = frame.astype(dict.fromkeys(columns, "str"))
    return frame


class SimProvider:
    """Simulated market data for any symbol and any session of the calendar range.

    Args:
        seed: the market's seed; the same seed gives the same market.
        faults: fault specification (see :mod:`.faults`); None reads ``OPTIONS_HELPER_SIM_FAULTS``.
        rate: the constant continuously compounded rate options are priced with.
    """

    name = "sim"
    simulated = True
    supports_history = True

    def __init__(self, seed: int = 7, faults: str | None = None, rate: float = SIM_RATE):
        self.seed = int(seed)
        self.rate = float(rate)
        spec = os.environ.get(FAULTS_ENV) if faults is None else faults
        self.faults = FaultPlan(self.seed, parse_faults(spec))

    def __repr__(self) -> str:
        return f"SimProvider(seed={self.seed}, rate={self.rate})"

    # -- helpers ---------------------------------------------------------------------------

    def _symbol(self, symbol: str) -> str:
        sym = str(symbol).strip().upper()
        if not _SYMBOL_RE.match(sym):
            raise NotFoundError(
                f"sim: symbol {symbol!r} not found (symbols are 1-6 characters A-Z, 0-9, '.')",
                symbol=str(symbol),
                provider=self.name,
            )
        return sym

    def _session_index(self, d: date, what: str) -> int:
        d = _as_date(d)
        if not calendar.is_session(d):
            prev = calendar.previous_session(d)
            raise SimDateError(
                f"sim: {what} needs an XNYS session date; {d} is not one "
                f"(the previous session is {prev})"
            )
        return calendar.session_index(d)

    # -- protocol --------------------------------------------------------------------------

    def latest_session(self, now: datetime) -> date:
        return calendar.latest_completed_session(now)

    def get_candles(self, symbol: str, start: date, end: date) -> pd.DataFrame:
        sym = self._symbol(symbol)
        start, end = _as_date(start), _as_date(end)
        self.faults.check(sym, "get_candles", start, end)
        sessions = calendar.all_sessions()
        i0 = int(np.searchsorted(sessions, np.datetime64(start, "D"), side="left"))
        i1 = max(int(np.searchsorted(sessions, np.datetime64(end, "D"), side="right")), i0)
        path = underlying_path(self.seed, sym)
        frame = pd.DataFrame(
            {
                "symbol": np.full(i1 - i0, sym, dtype=object),
                "session": sessions[i0:i1].astype(object),
                "open": path.open[i0:i1],
                "high": path.high[i0:i1],
                "low": path.low[i0:i1],
                "close": path.close[i0:i1],
                "volume": path.volume[i0:i1],
            },
            columns=list(CANDLE_COLUMNS),
        )
        return _with_str_columns(frame, ("symbol",))

    def get_spot(self, symbol: str, as_of: date) -> float:
        sym = self._symbol(symbol)
        i = self._session_index(as_of, "get_spot")
        self.faults.check(sym, "get_spot", _as_date(as_of))
        return float(underlying_path(self.seed, sym).close[i])

    def list_expiries(self, symbol: str, as_of: date) -> list[date]:
        sym = self._symbol(symbol)
        i = self._session_index(as_of, "list_expiries")
        self.faults.check(sym, "list_expiries", _as_date(as_of))
        table = expiry_table()
        return [x.item() for x in table.expiry[table.listed_on(i)]]

    def get_chain(self, symbol: str, expiry: date, as_of: date) -> pd.DataFrame:
        sym = self._symbol(symbol)
        i = self._session_index(as_of, "get_chain")
        expiry = _as_date(expiry)
        self.faults.check(sym, "get_chain", expiry, _as_date(as_of))
        table = expiry_table()
        row = table.row_of(expiry)
        if row is None or not (table.listed_idx[row] <= i <= table.expiry_idx[row]):
            raise NotFoundError(
                f"sim: no {sym} options expiring {expiry} are listed on {_as_date(as_of)}",
                symbol=sym,
                provider=self.name,
            )
        # chain_frame's columns are CHAIN_COLUMNS already (re-selecting them would copy the frame).
        return chain_frame(self.seed, sym, row, i, self.rate)

    def list_contracts(
        self, symbol: str, expiry_from: date, expiry_to: date, as_of: date
    ) -> pd.DataFrame:
        """Contracts listed on or before ``as_of`` (any date) with expiry in the range.

        ``status`` is "active" when expiry >= as_of, else "expired".
        """
        sym = self._symbol(symbol)
        lo, hi, as_of = _as_date(expiry_from), _as_date(expiry_to), _as_date(as_of)
        self.faults.check(sym, "list_contracts", lo, hi, as_of)
        table = expiry_table()
        sessions = calendar.all_sessions()
        # Last session on or before as_of; -1 when as_of precedes the calendar.
        a_idx = int(np.searchsorted(sessions, np.datetime64(as_of, "D"), side="right")) - 1
        rows = np.flatnonzero(
            (table.expiry >= np.datetime64(lo, "D"))
            & (table.expiry <= np.datetime64(hi, "D"))
            & (table.listed_idx <= a_idx)
        )
        parts: dict[str, list[np.ndarray]] = {c: [] for c in CONTRACT_COLUMNS}
        for r in rows:
            listing = expiry_strikes(self.seed, sym, int(r))
            cols = np.flatnonzero(listing.first_idx <= a_idx)
            expiry = table.expiry[r].item()
            n = len(cols)
            parts["contract_symbol"].append(listing.contract_symbol[cols])
            parts["underlying"].append(np.full(n, sym, dtype=object))
            parts["expiry"].append(np.full(n, expiry, dtype=object))
            parts["strike"].append(listing.strike[cols])
            parts["option_type"].append(np.where(listing.is_call[cols], "call", "put"))
            status = "active" if expiry >= as_of else "expired"
            parts["status"].append(np.full(n, status, dtype=object))
        empty = {"strike": np.empty(0)}
        frame = pd.DataFrame(
            {
                c: np.concatenate(v) if v else empty.get(c, np.empty(0, dtype=object))
                for c, v in parts.items()
            },
            columns=list(CONTRACT_COLUMNS),
        )
        return _with_str_columns(frame, ("contract_symbol", "underlying", "option_type", "status"))

    def get_option_bars(self, contract_symbols: list[str], start: date, end: date) -> pd.DataFrame:
        """Daily bars of the known contracts among ``contract_symbols`` over [start, end].

        Unknown or unparseable symbols are skipped (as Alpaca omits them); ``NotFoundError`` is
        raised only when none is known. Returned symbols are compact OSI.
        """
        start, end = _as_date(start), _as_date(end)
        wanted = self._wanted_contracts(contract_symbols)
        if not wanted:
            sample = ", ".join(map(str, list(contract_symbols)[:3])) or "(none)"
            raise NotFoundError(
                f"sim: none of the {len(contract_symbols)} requested contracts exist ({sample})",
                provider=self.name,
            )
        for root in sorted({root for root, _ in wanted}):
            self.faults.check(root, "get_option_bars", start, end)
        sessions = calendar.all_sessions()
        lo_idx = int(np.searchsorted(sessions, np.datetime64(start, "D"), side="left"))
        hi_idx = int(np.searchsorted(sessions, np.datetime64(end, "D"), side="right")) - 1
        out = option_bars(self.seed, self.rate, wanted, lo_idx, hi_idx)
        return _with_str_columns(out, ("contract_symbol",))

    def _wanted_contracts(self, contract_symbols: list[str]) -> dict[tuple[str, int], list[int]]:
        """Contract columns of the known contracts among ``contract_symbols`` by (root, row)."""
        # Compact OSI symbols as list_contracts returns them are looked up directly, through
        # their series (root + yymmdd); anything else (padding, lower case, unknown) goes
        # through parse_osi and format_osi.
        rows = expiry_rows_by_yymmdd()
        series: dict[str, tuple[tuple[str, int], dict[str, int]] | None] = {}
        wanted: dict[tuple[str, int], list[int]] = {}
        for raw in contract_symbols:
            if isinstance(raw, str) and raw[-9:-8] in ("C", "P") and raw[-8:].isdecimal():
                prefix = raw[:-9]
                if prefix in series:
                    hit = series[prefix]
                else:
                    root, row = prefix[:-6], rows.get(prefix[-6:])
                    hit = None
                    if row is not None and _ROOT_RE.fullmatch(root):
                        hit = (root, row), expiry_strikes(self.seed, root, row).column_of
                    series[prefix] = hit
                col = None if hit is None else hit[1].get(raw)
                if col is not None:
                    wanted.setdefault(hit[0], []).append(col)
                    continue
            try:
                osi = parse_osi(raw)
            except OsiError:
                continue
            row = expiry_table().row_of(osi.expiry)
            if row is None or not _SYMBOL_RE.match(osi.root):
                continue
            listing = expiry_strikes(self.seed, osi.root, row)
            col = listing.column_of.get(
                format_osi(osi.root, osi.expiry, osi.option_type, osi.strike)
            )
            if col is not None:
                wanted.setdefault((osi.root, row), []).append(col)
        return wanted
