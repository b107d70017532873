"""`run daily`."""

from __future__ import annotations

from typing import Annotated

import typer

from options_helper.cli.ingest_cmd import SymbolOpt, WatchlistOpt
from options_helper.cli.params import parse_date
from options_helper.cli.progress import progress_for
from options_helper.cli.render import emit, exit_for
from options_helper.cli.state import state
from options_helper.jobs.daily import STEP_SUMMARY, run_daily
from options_helper.jobs.symbols import select_symbols

app = typer.Typer(no_args_is_help=True)


@app.command(
    "daily", help=f"Run {STEP_SUMMARY} for one session, as child runs of one run_daily run."
)
def daily(
    ctx: typer.Context,
    symbol: SymbolOpt = None,
    watchlist: WatchlistOpt = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="DATE", help="Session (default: latest completed)."),
    ] = None,
) -> None:
    st = state(ctx)
    cfg = st.config()
    symbols = select_symbols(cfg, symbol, watchlist)
    with progress_for(st) as progress:
        report = run_daily(st.job_context(cfg, progress), symbols, parse_date(as_of, "--as-of"))
    emit(st, report)
    exit_for(report)
