"""Which expiries and strikes are listed on a session.

Expiries (one table for the whole calendar, the same for every symbol):
- every Friday is an expiry; when the Friday is not a session (e.g. Good Friday) the expiry
  moves to the previous session (usually Thursday);
- the third Friday of a month is the standard monthly; March/June/September/December monthlies
  are quarterlies; January monthlies are LEAPS;
- an expiry is listed from the first session on or after ``friday - window`` until its expiry
  session inclusive (0 DTE), with windows of ~6 weeks (weekly), ~9 months (monthly), ~1 year
  (quarterly) and ~2.5 years (LEAPS), so new expiries appear over time.

Strikes (per symbol and expiry): on each session the band around the spot is split into three
tiers by absolute log-moneyness with half-widths growing with sqrt(T): near (fine step), mid and
wide (coarser steps), narrower above the spot than below. Steps depend on the spot level: <25: 0.5/1/2.5, 25-100: 1/2.5/5,
100-250: 2.5/5/10, 250-1000: 5/10/25, >=1000: 10/25/50. A strike is listed from the first
session it falls on the grid of the band and stays listed until expiry, so strikes are added as
the spot moves and never removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np

from options_helper.domain.calendar import CALENDAR_END, all_sessions
from options_helper.domain.osi import format_osi
from options_helper.providers.sim.surface import year_fraction
from options_helper.providers.sim.underlying import symbol_params, underlying_path

WEEKLY, MONTHLY, QUARTERLY, LEAPS = 0, 1, 2, 3
KIND_NAMES = ("weekly", "monthly", "quarterly", "leaps")
# Calendar days before the (nominal Friday) expiry on which the series is listed.
_LISTING_WINDOW_DAYS = np.array([43, 275, 370, 900])

# Bands are narrower above the spot than below (deep OTM puts are listed, far OTM calls less so).
_UPSIDE_STRETCH = 1.5
_LEVEL_EDGES = np.array([25.0, 100.0, 250.0, 1000.0])
# Strike steps in cents, [tier, level]: tiers near / mid / wide, levels by spot as above.
_STEP_CENTS = np.array(
    [
        [50, 100, 250, 500, 1000],
        [100, 250, 500, 1000, 2500],
        [250, 500, 1000, 2500, 5000],
    ]
)


@dataclass(frozen=True, eq=False)
class ExpiryTable:
    """All expiries of the calendar; ``*_idx`` are global session indices."""

    expiry: np.ndarray  # datetime64[D], ascending
    kind: np.ndarray  # WEEKLY | MONTHLY | QUARTERLY | LEAPS
    expiry_idx: np.ndarray
    listed_idx: np.ndarray

    def listed_on(self, session_index: int) -> np.ndarray:
        """Row numbers of the expiries listed on a session, ascending by expiry."""
        return np.flatnonzero(
            (self.listed_idx <= session_index) & (self.expiry_idx >= session_index)
        )

    def row_of(self, expiry: date) -> int | None:
        x = np.datetime64(expiry, "D")
        i = int(np.searchsorted(self.expiry, x))
        return i if i < len(self.expiry) and self.expiry[i] == x else None


@lru_cache(maxsize=1)
def expiry_table() -> ExpiryTable:
    """The expiry table (weeklies, monthlies, quarterlies, LEAPS) over the calendar range."""
    sessions = all_sessions()
    fridays = np.arange(
        np.datetime64("2000-01-07"), np.datetime64(CALENDAR_END, "D") + 1, 7, dtype="datetime64[D]"
    )
    months = fridays.astype("datetime64[M]")
    day = (fridays - months.astype("datetime64[D]")).astype(int) + 1
    month = months.astype(int) % 12 + 1
    third = (day >= 15) & (day <= 21)
    kind = np.where(
        third,
        np.where(month == 1, LEAPS, np.where(month % 3 == 0, QUARTERLY, MONTHLY)),
        WEEKLY,
    )
    expiry_idx = np.searchsorted(sessions, fridays, side="right") - 1
    listed_from = fridays - _LISTING_WINDOW_DAYS[kind].astype("timedelta64[D]")
    listed_idx = np.searchsorted(sessions, listed_from, side="left")
    return ExpiryTable(
        expiry=sessions[expiry_idx],
        kind=kind.astype(np.int8),
        expiry_idx=expiry_idx.astype(np.int64),
        listed_idx=np.minimum(listed_idx, expiry_idx).astype(np.int64),
    )


@lru_cache(maxsize=1)
def expiry_rows_by_yymmdd() -> dict[str, int]:
    """Row of :func:`expiry_table` by the expiry's ``yymmdd`` as printed in OSI symbols."""
    return {f"{x.item():%y%m%d}": i for i, x in enumerate(expiry_table().expiry)}


def band_half_widths(vol: float, t_years: np.ndarray) -> tuple[np.ndarray, ...]:
    """Half-widths in |log(K/S)| of the near, mid and wide strike tiers."""
    s = vol * np.sqrt(t_years)
    wide = np.clip(3.5 * s, 0.3, 1.2)
    mid = np.minimum(np.maximum(2.0 * s, 0.15), wide)
    near = np.minimum(np.maximum(0.75 * s, 0.05), mid)
    return near, mid, wide


@dataclass(frozen=True, eq=False)
class StrikeListing:
    """Contracts of one (symbol, expiry): calls for every strike, then puts, by strike."""

    strike: np.ndarray  # float64 dollars, per contract
    is_call: np.ndarray
    first_idx: np.ndarray  # global session index of each contract's listing
    contract_symbol: np.ndarray  # object array of compact OSI symbols
    column_of: dict[str, int]  # contract symbol -> contract column

    @property
    def n_strikes(self) -> int:
        return len(self.strike) // 2


@lru_cache(maxsize=2048)
def expiry_strikes(seed: int, symbol: str, row: int) -> StrikeListing:
    """The contracts ever listed for expiry ``row`` of :func:`expiry_table`, with listing dates."""
    table = expiry_table()
    g0, g1 = int(table.listed_idx[row]), int(table.expiry_idx[row])
    sessions = all_sessions()[g0 : g1 + 1]
    spot = underlying_path(seed, symbol).close[g0 : g1 + 1]
    p = symbol_params(seed, symbol)
    t = year_fraction(table.expiry[row], sessions)
    near, mid, wide = band_half_widths(p.vol_bar * p.iv_premium, t)

    # Candidate strikes on a lattice fine enough for every step used while the series lives.
    low_spot = float(spot.min())
    lattice = 500 if low_spot >= 250 else (250 if low_spot >= 100 else 50)
    k_lo = float(np.min(spot * np.exp(-wide))) * 100
    k_hi = float(np.max(spot * np.exp(wide / _UPSIDE_STRETCH))) * 100
    cand = np.arange(max(np.ceil(k_lo / lattice), 1) * lattice, k_hi + 1, lattice, dtype=np.int64)

    log_m = np.log(cand[None, :] / (spot[:, None] * 100.0))
    dist = np.where(log_m > 0, _UPSIDE_STRETCH * log_m, -log_m)
    tier = (dist > near[:, None]).astype(np.int8) + (dist > mid[:, None]) + (dist > wide[:, None])
    level = np.searchsorted(_LEVEL_EDGES, spot, side="right")
    step = _STEP_CENTS[np.minimum(tier, 2), level[:, None]]
    on_grid = (tier < 3) & (cand[None, :] % step == 0)
    ever = on_grid.any(axis=0)
    strikes_c = cand[ever]
    first = g0 + np.argmax(on_grid[:, ever], axis=0)

    n = len(strikes_c)
    strike = np.tile(strikes_c / 100.0, 2)
    is_call = np.repeat([True, False], n)
    expiry = table.expiry[row].item()
    symbols = np.array(
        [
            format_osi(symbol, expiry, "call" if c else "put", k)
            for k, c in zip(strike, is_call, strict=True)
        ],
        dtype=object,
    )
    return StrikeListing(
        strike=strike,
        is_call=is_call,
        first_idx=np.tile(first, 2),
        contract_symbol=symbols,
        column_of={s: i for i, s in enumerate(symbols)},
    )
