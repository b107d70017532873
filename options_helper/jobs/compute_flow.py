"""Job ``compute_flow``: contract-level open-interest flow per symbol and session."""

from __future__ import annotations

from datetime import date

import pandas as pd

from options_helper.domain import calendar
from options_helper.domain.flow import FLOW_COLUMNS, net_window
from options_helper.errors import BadInputError, OptionsHelperError
from options_helper.jobs.context import JobContext
from options_helper.jobs.frames import now_naive_utc
from options_helper.jobs.postchecks import run_post_checks
from options_helper.jobs.report import AssetResult, JobReport
from options_helper.jobs.research_common import resolve_research_date
from options_helper.jobs.writes import storage_failure
from options_helper.warehouse.flow_sql import (
    FlowPair,
    compute_flow_sql,
    first_snapshot_dates,
    snapshot_paths,
)
from options_helper.warehouse.research import flow_counts, read_flow

JOB_NAME = "compute_flow"
ASSET = "options_flow"
# Pairs per SQL pass: bounds the memory of one read_parquet over many snapshot files.
CHUNK_PAIRS = 2000


def compute_flow(
    ctx: JobContext,
    symbols: list[str],
    *,
    as_of: date | None = None,
    window: int = 1,
    with_payload: bool = True,
) -> JobReport:
    """ΔOI flow of each symbol for the ``window`` sessions ending at ``as_of``.

    Each session is compared with the previous XNYS session's snapshot; a missing one is a
    reported gap (rows flagged ``gap``), never bridged to an older snapshot. Rows replace any
    stored for the same (symbol, session), all symbols in one transaction. ``report.payload``
    holds the netted window per symbol (a DataFrame of contract rows) for display; the
    pipeline (``run daily``) skips it with ``with_payload=False``.
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
    with ctx.run(report):
        ctx.progress.start(len(symbols), f"flow {data_date}")
        planned, failed = _plan(ctx, list(dict.fromkeys(symbols)), sessions)
        results = {
            symbol: AssetResult(
                ASSET,
                symbol,
                "success",
                min_event=sessions[0],
                max_event=sessions[-1],
                extra={
                    "gap_sessions": [
                        str(p.session) for p in pairs if p.prev_path is None and not p.first
                    ],
                    "first_sessions": [str(p.session) for p in pairs if p.first],
                },
            )
            for symbol, pairs in planned.items()
        }
        try:
            counts, stored = _write(ctx, planned, sessions, with_payload)
        except OptionsHelperError as exc:
            storage_failure(list(results.values()), exc)
            counts, stored = {}, {}
        for symbol, n in counts.items():
            results[symbol].rows = n
        for symbol, rows in stored.items():
            netted[symbol] = _netted(rows, window)
        for symbol in dict.fromkeys(symbols):
            report.add(failed[symbol] if symbol in failed else results[symbol])
            ctx.progress.advance(1, symbol)
        run_post_checks(ctx, report, ASSET, report.partitions(ASSET, "success"), data_date)
    report.payload = netted
    return report


def _plan(
    ctx: JobContext, symbols: list[str], sessions: list[date]
) -> tuple[dict[str, list[FlowPair]], dict[str, AssetResult]]:
    """Pairs to compute per symbol, and a not_found result for each symbol missing a session.

    A snapshot counts only if its file exists; a missing previous one makes the pair a gap,
    unless the session is the symbol's first stored snapshot (nothing earlier to compare).
    """
    prev = {s: calendar.previous_session(s) for s in sessions}
    before = {s: calendar.previous_session(prev[s]) for s in sessions}
    after = {s: calendar.next_session(s) for s in sessions}
    with ctx.warehouse.reader() as conn:
        paths = snapshot_paths(conn, symbols, before[sessions[0]], after[sessions[-1]])
        first = first_snapshot_dates(conn, symbols)
    data_dir = ctx.config.data_dir
    found = {key: rel for key, rel in paths.items() if (data_dir / rel).exists()}
    planned: dict[str, list[FlowPair]] = {}
    failed: dict[str, AssetResult] = {}
    for symbol in symbols:
        missing = next((s for s in sessions if (symbol, s) not in found), None)
        if missing is not None:
            failed[symbol] = AssetResult(
                ASSET,
                symbol,
                "failed",
                error_type="not_found",
                error_message=f"no snapshot of {symbol} for {missing}; run "
                f"`options-helper snapshot-options --symbol {symbol} --as-of {missing}`",
            )
            continue
        planned[symbol] = [
            FlowPair(
                symbol,
                s,
                prev[s],
                found[(symbol, s)],
                found.get((symbol, prev[s])),
                first=first.get(symbol) == s,
                before_path=found.get((symbol, before[s])),
                after_path=found.get((symbol, after[s])),
            )
            for s in sessions
        ]
    return planned, failed


def _write(
    ctx: JobContext, planned: dict[str, list[FlowPair]], sessions: list[date], with_rows: bool
) -> tuple[dict[str, int], dict[str, pd.DataFrame]]:
    """Compute and store every pair in one transaction; rows stored per symbol and (when
    ``with_rows``) the stored rows themselves."""
    if not planned:
        return {}, {}
    pairs = [p for symbol_pairs in planned.values() for p in symbol_pairs]
    computed_at = now_naive_utc()
    with ctx.warehouse.writer() as conn:
        for start in range(0, len(pairs), CHUNK_PAIRS):
            chunk = pairs[start : start + CHUNK_PAIRS]
            compute_flow_sql(conn, ctx.config.data_dir, chunk, computed_at)
        counts = flow_counts(conn, list(planned), sessions[0], sessions[-1])
        if not with_rows:
            return counts, {}
        return counts, {s: read_flow(conn, s, sessions[0], sessions[-1]) for s in planned}


def _netted(stored: pd.DataFrame, window: int) -> pd.DataFrame:
    """Stored rows as ``contract_flow`` returns them, netted over the window if longer than 1."""
    rows = stored.rename(columns={"symbol": "underlying"})
    for col in ("expiry", "session", "prev_session"):
        rows[col] = pd.to_datetime(rows[col]).dt.date
    rows["dte"] = rows["dte"].astype("Int64")
    rows["gap"] = rows["gap"].astype(bool)
    # classify_flow labels are plain objects; keep the payload's dtypes those of contract_flow.
    rows["flow_class"] = rows["flow_class"].astype(object)
    rows = rows[FLOW_COLUMNS]
    if window == 1:
        return rows
    return net_window([frame for _, frame in rows.groupby("session", sort=True)])
