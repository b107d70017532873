"""`flow`, `derived update | show | stats`."""

from __future__ import annotations

from typing import Annotated

import typer

from options_helper.cli.dashboard_view import dashboard_view
from options_helper.cli.ingest_cmd import SymbolOpt, WatchlistOpt
from options_helper.cli.params import parse_date
from options_helper.cli.progress import progress_for
from options_helper.cli.render import emit, exit_for
from options_helper.cli.research_view import derived_table, flow_tables, stats_table
from options_helper.cli.state import state
from options_helper.jobs.build_briefing import build_briefing
from options_helper.jobs.build_dashboard import build_dashboard
from options_helper.jobs.compute_derived import compute_derived
from options_helper.jobs.compute_flow import compute_flow
from options_helper.jobs.research_views import derived_history, derived_stats, flow_view
from options_helper.jobs.symbols import select_symbols
from options_helper.jsonutil import to_jsonable

derived_app = typer.Typer(no_args_is_help=True)

AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", metavar="DATE", help="Session (default: latest stored snapshot)."),
]


def flow_cmd(
    ctx: typer.Context,
    symbol: SymbolOpt = None,
    watchlist: WatchlistOpt = None,
    as_of: AsOfOpt = None,
    window: Annotated[int, typer.Option(help="Net this many sessions ending at --as-of.")] = 1,
    group_by: Annotated[
        str, typer.Option(help="contract | strike | expiry | expiry-strike | dte-bucket")
    ] = "strike",
    top: Annotated[int, typer.Option(help="Rows per symbol, by |ΔOI notional|.")] = 10,
) -> None:
    """Open-interest flow: compute (and store) ΔOI per contract, show the top zones."""
    st = state(ctx)
    cfg = st.config()
    symbols = select_symbols(cfg, symbol, watchlist)
    with progress_for(st) as progress:
        report = compute_flow(
            st.job_context(cfg, progress),
            symbols,
            as_of=parse_date(as_of, "--as-of"),
            window=window,
        )
    views = flow_view(report.payload, group_by, top)
    doc = report.asdict() | {
        "group_by": group_by,
        "flow": {s: to_jsonable(v.to_dict(orient="records")) for s, v in views.items()},
    }
    emit(st, doc, human=flow_tables(report, views, group_by))
    exit_for(report)


@derived_app.command("update")
def update(
    ctx: typer.Context,
    symbol: SymbolOpt = None,
    watchlist: WatchlistOpt = None,
    as_of: AsOfOpt = None,
    start: Annotated[
        str | None, typer.Option(metavar="DATE", help="Backfill from this session.")
    ] = None,
    end: Annotated[
        str | None, typer.Option(metavar="DATE", help="Backfill through this session.")
    ] = None,
    all_history: Annotated[
        bool, typer.Option("--all", help="Every stored snapshot session, in one run.")
    ] = False,
) -> None:
    """Compute derived metrics for one session, a range, or all stored history."""
    st = state(ctx)
    cfg = st.config()
    symbols = select_symbols(cfg, symbol, watchlist)
    with progress_for(st) as progress:
        report = compute_derived(
            st.job_context(cfg, progress),
            symbols,
            as_of=parse_date(as_of, "--as-of"),
            start=parse_date(start, "--start"),
            end=parse_date(end, "--end"),
            all_history=all_history,
        )
    emit(st, report)
    exit_for(report)


@derived_app.command("show")
def show(
    ctx: typer.Context,
    symbol: SymbolOpt = None,
    watchlist: WatchlistOpt = None,
    sessions: Annotated[int, typer.Option(help="Sessions per symbol.")] = 5,
) -> None:
    """Stored derived metrics, latest sessions per symbol."""
    st = state(ctx)
    cfg = st.config()
    hist = derived_history(cfg, select_symbols(cfg, symbol, watchlist), sessions=sessions)
    emit(st, {"rows": to_jsonable(hist.to_dict(orient="records"))}, human=derived_table(hist))


@derived_app.command("stats")
def stats(
    ctx: typer.Context,
    symbol: SymbolOpt = None,
    watchlist: WatchlistOpt = None,
    window: Annotated[int, typer.Option(help="Sessions for the percentile.")] = 252,
    trend_window: Annotated[int, typer.Option(help="Sessions for the trend.")] = 20,
) -> None:
    """Latest value of each metric, its percentile within --window, its trend over --trend-window."""
    st = state(ctx)
    cfg = st.config()
    hist = derived_history(cfg, select_symbols(cfg, symbol, watchlist))
    result = derived_stats(hist, window=window, trend_window=trend_window)
    emit(st, {"stats": [s.asdict() for s in result]}, human=stats_table(result))


def briefing_cmd(
    ctx: typer.Context,
    symbol: SymbolOpt = None,
    watchlist: WatchlistOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Write the daily Markdown + JSON briefing for a session."""
    st = state(ctx)
    cfg = st.config()
    symbols = select_symbols(cfg, symbol, watchlist)
    report = build_briefing(st.job_context(cfg), symbols, as_of=parse_date(as_of, "--as-of"))
    md = next((a.path for a in report.assets if a.path), None)
    emit(st, report, human=report.asstr() + (f"\n  written: {cfg.data_dir / md}" if md else ""))
    exit_for(report)


def dashboard_cmd(
    ctx: typer.Context,
    symbol: SymbolOpt = None,
    watchlist: WatchlistOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Console dashboard for a session, from its briefing and the run ledger."""
    st = state(ctx)
    cfg = st.config()
    symbols = select_symbols(cfg, symbol, watchlist)
    report = build_dashboard(st.job_context(cfg), symbols, as_of=parse_date(as_of, "--as-of"))
    emit(st, report.payload, human=dashboard_view(report.payload))
