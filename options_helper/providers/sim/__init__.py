"""The simulated market (``sim`` provider): deterministic, offline, any symbol, any session.

See docs/simulator.md for what is modelled and the conventions used.
"""

from __future__ import annotations

from options_helper.providers.sim.faults import FAULTS_ENV, SimFaultSpecError
from options_helper.providers.sim.provider import SIM_RATE, SimDateError, SimProvider

__all__ = [
    "FAULTS_ENV",
    "SIM_RATE",
    "SimDateError",
    "SimFaultSpecError",
    "SimProvider",
    "clear_caches",
]


def clear_caches() -> None:
    """Drop every cached path, listing and series (tests use it to prove determinism)."""
    from options_helper.providers.sim import bars, book, listing, underlying

    for fn in (
        underlying.symbol_params,
        underlying.underlying_path,
        listing.expiry_table,
        listing.expiry_rows_by_yymmdd,
        listing.expiry_strikes,
        book.expiry_book,
        bars.series_bars,
    ):
        fn.cache_clear()
