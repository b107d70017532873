"""Job ``compute_derived``: per-symbol, per-session volatility and positioning metrics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import pyarrow as pa

from options_helper.domain import calendar
from options_helper.domain.chain import snapshot_rates
from options_helper.domain.derived import DERIVED_KEYS, derived_metrics
from options_helper.domain.derived_chain import gex_by_strike
from options_helper.errors import BadInputError, OptionsHelperError
from options_helper.files.present import present_files
from options_helper.jobs.context import JobContext, require_in_calendar
from options_helper.jobs.frames import now_naive_utc
from options_helper.jobs.postchecks import run_post_checks
from options_helper.jobs.report import AssetResult, JobReport
from options_helper.jobs.research_common import resolve_research_date
from options_helper.jobs.writes import storage_failure
from options_helper.warehouse.candles import read_candles
from options_helper.warehouse.research import (
    delete_derived,
    derived_sources,
    read_derived,
    replace_derived,
    replace_gex,
)
from options_helper.warehouse.snapshots import read_snapshot, snapshot_paths

JOB_NAME = "compute_derived"
ASSET = "derived_metrics"
METRIC_COLUMNS = [k for k in DERIVED_KEYS if k != "data_date"]
TABLE_COLUMNS = ["symbol", "session", *METRIC_COLUMNS, "provider", "simulated", "computed_at"]
IV_HISTORY_SESSIONS = 252
_MAX_LISTED = 20  # sessions listed in a result's extra (the ledger keeps extra_json small)


def compute_derived(
    ctx: JobContext,
    symbols: list[str],
    *,
    as_of: date | None = None,
    start: date | None = None,
    end: date | None = None,
    all_history: bool = False,
) -> JobReport:
    """Derived metrics for each symbol on ``as_of``, on every stored snapshot session in
    ``[start, end]``, or on all stored history (``all_history``) — in one run.

    Sessions are computed oldest first so IV rank/percentile see the iv30 history computed
    earlier in the same run. Rows replace any stored for the same (symbol, session).
    """
    ctx.ensure_warehouse()
    window = _window(ctx, symbols, as_of, start, end, all_history)
    report = JobReport(
        JOB_NAME,
        ctx.provider.name,
        ctx.provider.simulated,
        params={"symbols": symbols, "start": window[0], "end": window[1]},
    )
    with ctx.run(report):
        ctx.progress.start(len(symbols), f"derived {window[0]} .. {window[1]}")
        for symbol in symbols:
            report.add(_derive_symbol(ctx, symbol, *window))
            ctx.progress.advance(1, symbol)
        run_post_checks(ctx, report, ASSET, report.partitions(ASSET, "success"), window[1])
    return report


def _window(
    ctx: JobContext,
    symbols: list[str],
    as_of: date | None,
    start: date | None,
    end: date | None,
    all_history: bool,
) -> tuple[date, date]:
    if all_history:
        if start or end or as_of:
            raise BadInputError("--all cannot be combined with --as-of/--start/--end")
        return calendar.CALENDAR_START, ctx.latest_session()
    if start is None and end is None:
        d = resolve_research_date(ctx, symbols, as_of)
        return d, d
    if as_of is not None or start is None:
        raise BadInputError("use --as-of, or --start [--end], or --all")
    require_in_calendar(start, "--start")
    last = end or ctx.latest_session()
    if start > last:
        raise BadInputError(f"--start {start} is after --end {last}")
    return start, last


@dataclass
class _Plan:
    """What one symbol's update reads, and which of its stored rows lost their snapshot."""

    paths: dict[date, str]  # sessions of the window whose snapshot file is on disk
    files_missing: list[date]  # sessions of the window indexed but missing on disk
    orphans: list[date]  # derived sessions whose snapshot is gone: to remove
    candles: pd.DataFrame
    stored: pd.DataFrame  # derived rows through the window's end, orphans excluded


def _plan(ctx: JobContext, symbol: str, start: date, end: date) -> _Plan:
    with ctx.warehouse.reader() as conn:
        indexed = snapshot_paths(conn, symbol)
        sources = derived_sources(conn, [symbol])
        candles = read_candles(conn, symbol, end=end)
        stored = read_derived(conn, [symbol], end=end)
    present = present_files(
        ctx.config.data_dir, [*indexed.values(), *(p for *_, p in sources if p)]
    )
    window = {d: p for d, p in indexed.items() if start <= d <= end}
    # A derived row whose snapshot is gone (index row deleted, or file deleted by hand) would
    # keep feeding `derived show` and the briefing, and the IV history new rows rank against.
    orphans = [s for _, s, p in sources if p is None or p not in present]
    if orphans:
        stored = stored[~stored["session"].isin(orphans)]
    return _Plan(
        paths={d: p for d, p in window.items() if p in present},
        files_missing=[d for d, p in window.items() if p not in present],
        orphans=orphans,
        candles=candles,
        stored=stored,
    )


def _derive_symbol(ctx: JobContext, symbol: str, start: date, end: date) -> AssetResult:
    plan = _plan(ctx, symbol, start, end)
    result = _result(symbol, start, end, list(plan.paths), plan.files_missing)
    rows, gex = _compute(ctx, symbol, plan) if plan.paths else ([], [])
    result.rows = len(rows)
    if not rows and not plan.orphans:
        return result
    try:
        with ctx.warehouse.writer() as conn:
            removed = delete_derived(conn, symbol, plan.orphans)
            if rows:
                replace_derived(conn, _derived_arrow(ctx, rows), TABLE_COLUMNS)
            if gex:
                replace_gex(conn, pa.Table.from_pandas(pd.concat(gex), preserve_index=False))
    except OptionsHelperError as exc:
        return storage_failure([result], exc)[0]
    if plan.orphans:
        result.extra |= {
            "removed_rows": removed,
            "removed_sessions": _listed(plan.orphans),
            "note": f"removed {removed} derived row(s) whose source snapshot is gone "
            f"({plan.orphans[0]} .. {plan.orphans[-1]})",
        }
    return result


def _listed(sessions: list[date]) -> list[str]:
    return [d.isoformat() for d in sessions[:_MAX_LISTED]]


def _result(
    symbol: str, start: date, end: date, sessions: list[date], files_missing: list[date]
) -> AssetResult:
    """The partition's result before any write: success over ``sessions``, or not_found."""
    extra = {"missing_snapshot_files": _listed(files_missing)} if files_missing else {}
    if sessions:
        return AssetResult(
            ASSET, symbol, "success", min_event=sessions[0], max_event=sessions[-1], extra=extra
        )
    if files_missing:
        message = (
            f"the snapshot file(s) of {symbol} for {', '.join(map(str, files_missing))} are "
            f"missing from the data dir (index rows kept); run `options-helper snapshot-options "
            f"--symbol {symbol} --as-of {files_missing[-1]}` to rewrite one"
        )
    else:
        message = (
            f"no snapshots of {symbol} between {start} and {end}; run "
            f"`options-helper snapshot-options --symbol {symbol}` first"
        )
    return AssetResult(
        ASSET, symbol, "failed", error_type="not_found", error_message=message, extra=extra
    )


def _compute(ctx: JobContext, symbol: str, plan: _Plan) -> tuple[list[dict], list[pd.DataFrame]]:
    """Derived rows and GEX-by-strike frames of the planned sessions, oldest first."""
    sessions = list(plan.paths)
    iv_hist = _iv_history(plan.stored, before=sessions[0])
    rows, gex = [], []
    for session in sessions:
        chain = read_snapshot(ctx.config.data_dir, plan.paths[session])
        if chain is None or chain.empty:
            continue
        spot = float(chain["spot"].iloc[0])
        # The rate the snapshot's IV was solved with, not today's setting: one rate per row.
        rate, div_yield = snapshot_rates(chain, default_rate=ctx.config.risk_free_rate)
        metrics = derived_metrics(
            chain,
            spot=spot,
            data_date=session,
            candles=plan.candles,
            iv_history=iv_hist.tail(IV_HISTORY_SESSIONS - 1),
            rate=rate,
            div_yield=div_yield,
        )
        rows.append({"symbol": symbol, "session": session, **_metric_values(metrics)})
        iv_hist = pd.concat([iv_hist, pd.Series([metrics["iv30"]], index=[session])])
        g = gex_by_strike(chain, spot=spot)
        g.insert(0, "session", session)
        g.insert(0, "symbol", symbol)
        gex.append(g)
    return rows, gex


def _metric_values(metrics: dict) -> dict:
    return {k: metrics[k] for k in METRIC_COLUMNS}


def _iv_history(stored: pd.DataFrame, *, before: date) -> pd.Series:
    if stored.empty:
        return pd.Series(dtype=float)
    sessions = pd.to_datetime(stored["session"]).dt.date
    keep = (sessions < before).to_numpy()
    return pd.Series(stored.loc[keep, "iv30"].to_numpy(dtype=float), index=list(sessions[keep]))


def _derived_arrow(ctx: JobContext, rows: list[dict]) -> pa.Table:
    df = pd.DataFrame(rows)
    df["provider"] = ctx.provider.name
    df["simulated"] = ctx.provider.simulated
    df["computed_at"] = now_naive_utc()
    for col in ("atm_iv_expiry", "max_pain_expiry"):
        df[col] = pd.to_datetime(df[col]).dt.date
    return pa.Table.from_pandas(df[TABLE_COLUMNS], preserve_index=False)
