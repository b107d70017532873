"""``db gaps``: expected XNYS sessions missing from the data, as ranges with backfill commands."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np

from options_helper.domain import calendar
from options_helper.warehouse import Warehouse
from options_helper.warehouse.ledger import query_rows
from options_helper.warehouse.migrate import require_schema

# asset -> (sql returning (symbol, session) of stored data, how to backfill a range)
GAP_ASSETS = {
    "candles_daily": "SELECT symbol, session FROM candles_daily GROUP BY ALL",
    "options_bars": "SELECT underlying, session FROM options_bars GROUP BY ALL",
    "options_snapshot_file": "SELECT symbol, data_date FROM options_snapshots",
}


def backfill_command(asset: str, symbol: str, start: date, end: date) -> str:
    """The exact command that fills ``[start, end]`` for one symbol."""
    if asset == "candles_daily":
        return f"options-helper ingest candles --symbol {symbol} --start {start} --end {end}"
    if asset == "options_bars":
        days = (end - start).days + 1
        return (
            f"options-helper ingest options-bars --symbol {symbol} --end {end} "
            f"--lookback-days {days}"
        )
    if start == end:
        return f"options-helper snapshot-options --symbol {symbol} --as-of {start}"
    return f"options-helper snapshot-options --symbol {symbol} --start {start} --end {end}"


@dataclass
class GapRange:
    asset_key: str
    symbol: str
    start: date
    end: date
    sessions: int
    command: str


@dataclass
class GapsReport:
    as_of: date
    gaps: list[GapRange] = field(default_factory=list)
    checked: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "success" if not self.gaps else "gaps"

    def asdict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "gaps": [asdict(g) for g in self.gaps],
            "checked": self.checked,
        }


def missing_ranges(stored: list[date], first: date, last: date) -> list[tuple[date, date, int]]:
    """Runs of consecutive XNYS sessions in [first, last] absent from ``stored``."""
    expected = calendar.sessions_between_d64(first, last)
    have = np.array(sorted(stored), dtype="datetime64[D]")
    missing_idx = np.flatnonzero(~np.isin(expected, have))
    if missing_idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(missing_idx) > 1)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [missing_idx.size - 1]])
    return [
        (
            expected[missing_idx[s]].astype(object),
            expected[missing_idx[e]].astype(object),
            int(e - s + 1),
        )
        for s, e in zip(starts, ends, strict=True)
    ]


def find_gaps(
    warehouse: Warehouse,
    *,
    as_of: date,
    assets: list[str] | None = None,
    symbols: list[str] | None = None,
    lookback_sessions: int | None = None,
) -> GapsReport:
    """Missing sessions per asset and symbol, from each symbol's first stored session (or the
    last ``lookback_sessions``) through ``as_of``."""
    require_schema(warehouse)
    report = GapsReport(as_of)
    floor = calendar.sessions_ending(as_of, lookback_sessions)[0] if lookback_sessions else None
    with warehouse.reader() as conn:
        data = {a: query_rows(conn, GAP_ASSETS[a]) for a in assets or GAP_ASSETS}
    for asset, rows in data.items():
        by_symbol: dict[str, list[date]] = {}
        for sym, d in rows:
            by_symbol.setdefault(sym, []).append(d)
        for sym in sorted(by_symbol):
            if symbols and sym not in symbols:
                continue
            stored = by_symbol[sym]
            first = max(min(stored), floor) if floor else min(stored)
            if first > as_of:
                continue
            ranges = missing_ranges(stored, first, as_of)
            report.checked.append(
                {
                    "asset_key": asset,
                    "symbol": sym,
                    "first": first,
                    "missing": sum(r[2] for r in ranges),
                }
            )
            for start, end, n in ranges:
                report.gaps.append(
                    GapRange(asset, sym, start, end, n, backfill_command(asset, sym, start, end))
                )
    return report
