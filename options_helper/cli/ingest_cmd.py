"""`ingest candles`, `ingest options-bars`, `snapshot-options`."""

from __future__ import annotations

from typing import Annotated

import typer

from options_helper.cli.params import parse_date
from options_helper.cli.progress import progress_for
from options_helper.cli.render import emit, exit_for
from options_helper.cli.state import state
from options_helper.jobs.ingest_candles import ingest_candles
from options_helper.jobs.ingest_options_bars import ingest_options_bars
from options_helper.jobs.snapshot_options import snapshot_options
from options_helper.jobs.symbols import select_symbols

app = typer.Typer(no_args_is_help=True)

SymbolOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--symbol", "-s", metavar="SYMBOL", help="Symbol (repeatable, or comma-separated)."
    ),
]
WatchlistOpt = Annotated[
    str | None,
    typer.Option("--watchlist", "-w", metavar="NAME", help="Use the symbols of this watchlist."),
]


@app.command("candles")
def candles(
    ctx: typer.Context,
    symbol: SymbolOpt = None,
    watchlist: WatchlistOpt = None,
    start: Annotated[
        str | None,
        typer.Option(
            metavar="DATE",
            help="First session (YYYY-MM-DD); default incremental, first run backfills 2 years.",
        ),
    ] = None,
    end: Annotated[
        str | None, typer.Option(metavar="DATE", help="Last session (default: latest completed).")
    ] = None,
) -> None:
    """Ingest daily OHLCV candles (idempotent upsert)."""
    st = state(ctx)
    cfg = st.config()
    symbols = select_symbols(cfg, symbol, watchlist)
    with progress_for(st) as progress:
        job = st.job_context(cfg, progress)
        report = ingest_candles(
            job, symbols, start=parse_date(start, "--start"), end=parse_date(end, "--end")
        )
    emit(st, report)
    exit_for(report)


@app.command("options-bars")
def options_bars(
    ctx: typer.Context,
    symbol: SymbolOpt = None,
    watchlist: WatchlistOpt = None,
    end: Annotated[
        str | None, typer.Option(metavar="DATE", help="Last session (default: latest completed).")
    ] = None,
    lookback_days: Annotated[int, typer.Option(help="Calendar days of bar history wanted.")] = 45,
    expired_within_days: Annotated[
        int, typer.Option(help="Also include contracts that expired within this many days.")
    ] = 30,
) -> None:
    """Discover contracts and ingest their daily bars (resumable)."""
    st = state(ctx)
    cfg = st.config()
    symbols = select_symbols(cfg, symbol, watchlist)
    with progress_for(st) as progress:
        job = st.job_context(cfg, progress)
        report = ingest_options_bars(
            job,
            symbols,
            end=parse_date(end, "--end"),
            lookback_days=lookback_days,
            expired_within_days=expired_within_days,
        )
    emit(st, report)
    exit_for(report)


def snapshot_options_cmd(
    ctx: typer.Context,
    symbol: SymbolOpt = None,
    watchlist: WatchlistOpt = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", metavar="DATE", help="Data date (default: latest completed session)."
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            metavar="DATE", help="Backfill every session from this date (history providers)."
        ),
    ] = None,
    end: Annotated[
        str | None, typer.Option(metavar="DATE", help="Last session of a --start backfill.")
    ] = None,
) -> None:
    """Snapshot full option chains (all expiries) to Parquet, with local IV and Greeks."""
    st = state(ctx)
    cfg = st.config()
    symbols = select_symbols(cfg, symbol, watchlist)
    with progress_for(st) as progress:
        job = st.job_context(cfg, progress)
        report = snapshot_options(
            job,
            symbols,
            as_of=parse_date(as_of, "--as-of"),
            start=parse_date(start, "--start"),
            end=parse_date(end, "--end"),
        )
    emit(st, report)
    exit_for(report)
