"""Shared by the research jobs: which data date to compute, reading stored snapshots."""

from __future__ import annotations

from datetime import date

import pandas as pd

from options_helper.errors import BadInputError
from options_helper.jobs.context import JobContext
from options_helper.warehouse.snapshots import latest_snapshot_dates, load_snapshot


def resolve_research_date(ctx: JobContext, symbols: list[str], as_of: date | None) -> date:
    """``as_of`` validated, else the latest session with a stored snapshot of any symbol."""
    if as_of is not None:
        return ctx.resolve_data_date(as_of)
    latest = ctx.latest_session()
    with ctx.warehouse.reader() as conn:
        dates = latest_snapshot_dates(conn, symbols, latest)
    if not dates:
        raise BadInputError(
            f"no option snapshots stored for {', '.join(symbols)}",
            hint="run `options-helper snapshot-options` (or `options-helper demo`) first",
        )
    return max(dates.values())


class SnapshotCache:
    """Reads each (symbol, date) snapshot at most once per job."""

    def __init__(self, ctx: JobContext):
        self._ctx = ctx
        self._cache: dict[tuple[str, date], pd.DataFrame | None] = {}

    def get(self, symbol: str, data_date: date) -> pd.DataFrame | None:
        key = (symbol, data_date)
        if key not in self._cache:
            with self._ctx.warehouse.reader() as conn:
                self._cache[key] = load_snapshot(conn, self._ctx.config.data_dir, symbol, data_date)
        return self._cache[key]

    def drop_before(self, symbol: str, data_date: date) -> None:
        for key in [k for k in self._cache if k[0] == symbol and k[1] < data_date]:
            del self._cache[key]
