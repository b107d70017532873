"""Job ``compute_flow``: contract-level open-interest flow per symbol and session."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyarrow as pa

from options_helper.domain import calendar
from options_helper.domain.flow import FLOW_COLUMNS, contract_flow, net_window
from options_helper.errors import BadInputError
from options_helper.jobs.context import JobContext
from options_helper.jobs.frames import now_naive_utc
from options_helper.jobs.postchecks import run_post_checks
from options_helper.jobs.report import AssetResult, JobReport
from options_helper.jobs.research_common import SnapshotCache, resolve_research_date
from options_helper.jobs.writes import storage_failure
from options_helper.warehouse.research import replace_flow

JOB_NAME = "compute_flow"
ASSET = "options_flow"


def compute_flow(
    ctx: JobContext, symbols: list[str], *, as_of: date | None = None, window: int = 1
) -> JobReport:
    """ΔOI flow of each symbol for the ``window`` sessions ending at ``as_of``.

    Each session is compared with the previous XNYS session's snapshot; a missing one is a
    reported gap (rows flagged ``gap``), never bridged to an older snapshot. Rows replace any
    stored for the same (symbol, session). ``report.payload`` holds the netted window per
    symbol (a DataFrame of contract rows) for display.
    """
    if window < 1:
        raise BadInputError("--window must be at least 1")
    ctx.ensure_warehouse()
    data_date = resolve_research_date(ctx, symbols, as_of)
    sessions = calendar.sessions_ending(data_date, window)
    report = JobReport(
        JOB_NAME,
        ctx.provider.name,
        ctx.provider.simulated,
        params={"symbols": symbols, "as_of": data_date, "window": window},
    )
    netted: dict[str, pd.DataFrame] = {}
    cache = SnapshotCache(ctx)
    with ctx.run(report):
        ctx.progress.start(len(symbols), f"flow {data_date}")
        for symbol in symbols:
            result, frames = _flow_symbol(ctx, cache, symbol, sessions)
            report.add(result)
            if frames:
                netted[symbol] = net_window(frames) if len(frames) > 1 else frames[0]
            ctx.progress.advance(1, symbol)
        run_post_checks(ctx, report, ASSET, report.partitions(ASSET, "success"), data_date)
    report.payload = netted
    return report


def _flow_symbol(
    ctx: JobContext, cache: SnapshotCache, symbol: str, sessions: list[date]
) -> tuple[AssetResult, list[pd.DataFrame]]:
    frames = []
    for session in sessions:
        today = cache.get(symbol, session)
        if today is None:
            return (
                AssetResult(
                    ASSET,
                    symbol,
                    "failed",
                    error_type="not_found",
                    error_message=f"no snapshot of {symbol} for {session}; run "
                    f"`options-helper snapshot-options --symbol {symbol} --as-of {session}`",
                ),
                [],
            )
        prev_session = calendar.previous_session(session)
        rows = contract_flow(
            today, cache.get(symbol, prev_session), session=session, previous_session=prev_session
        )
        frames.append(rows)
    result = AssetResult(
        ASSET,
        symbol,
        "success",
        rows=sum(len(f) for f in frames),
        min_event=sessions[0],
        max_event=sessions[-1],
        extra={"gap_sessions": [str(f["session"].iloc[0]) for f in frames if f["gap"].any()]},
    )
    try:
        with ctx.warehouse.writer() as conn:
            replace_flow(conn, _to_arrow(symbol, pd.concat(frames, ignore_index=True)))
    except Exception as exc:
        return storage_failure([result], exc)[0], []
    return result, frames


def _to_arrow(symbol: str, rows: pd.DataFrame) -> pa.Table:
    df = rows[[c for c in FLOW_COLUMNS if c != "underlying"]].copy()
    df.insert(0, "symbol", symbol)
    df["computed_at"] = now_naive_utc()
    for col in ("session", "prev_session", "expiry"):
        df[col] = pd.to_datetime(df[col]).dt.date
    return pa.Table.from_pandas(df, preserve_index=False)
