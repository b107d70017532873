"""Shared by the research jobs: which data date to compute, reading stored snapshots."""

from __future__ import annotations

from datetime import date

from options_helper.errors import BadInputError
from options_helper.jobs.context import JobContext
from options_helper.warehouse.snapshots import latest_snapshot_dates


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
