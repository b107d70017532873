"""`db init`, `db status`, `db check`, `db health`, `db gaps`."""

from __future__ import annotations

from typing import Annotated

import typer

from options_helper.cli.db_view import check_view, status_view
from options_helper.cli.health_view import gaps_view, health_view
from options_helper.cli.ingest_cmd import SymbolOpt
from options_helper.cli.render import emit
from options_helper.cli.state import state, stderr
from options_helper.jobs.health import gaps_report, health_report, parse_fail_on
from options_helper.jobs.symbols import parse_symbols
from options_helper.jobs.warehouse_admin import check_warehouse, init_warehouse, warehouse_status

app = typer.Typer(no_args_is_help=True)


@app.command("init")
def init(ctx: typer.Context) -> None:
    """Create the warehouse (if absent) and apply pending migrations."""
    st = state(ctx)
    report = init_warehouse(st.config())
    emit(st, report)


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Schema version, pending migrations and the cheap integrity checks (header, size,
    schema drift). Never writes, never creates the file; exits non-zero when damaged."""
    st = state(ctx)
    report = warehouse_status(st.config())
    emit(st, report, human=status_view(report))
    error = report.error()
    if error is not None:
        raise error


@app.command("check")
def check(ctx: typer.Context) -> None:
    """Read every table in full; say per table ok or damaged, then what to do. Read-only."""
    st = state(ctx)
    report = check_warehouse(st.config())
    emit(st, report, human=check_view(report))
    error = report.error()
    if error is not None:
        raise error


@app.command("health")
def health(
    ctx: typer.Context,
    days: Annotated[int, typer.Option(help="Window for failure groups, in days.")] = 7,
    max_lag_sessions: Annotated[
        int, typer.Option(help="Sessions a watermark or job may lag before it is stale.")
    ] = 1,
    fail_on: Annotated[
        str | None,
        typer.Option(help="Exit 1 when any of: failures,stale,checks (comma-separated)."),
    ] = None,
) -> None:
    """Latest run per job, failures by fingerprint, watermark freshness, failing checks."""
    st = state(ctx)
    wanted = parse_fail_on(fail_on)
    report = health_report(st.config(), window_days=days, max_lag_sessions=max_lag_sessions)
    emit(st, report, human=health_view(report))
    tripped = report.tripped(wanted)
    if tripped:
        stderr.print(f"[red]health:[/red] {', '.join(tripped)}")
        raise typer.Exit(1)


@app.command("gaps")
def gaps(
    ctx: typer.Context,
    asset: Annotated[
        list[str] | None, typer.Option("--asset", "-a", help="Asset key (repeatable).")
    ] = None,
    symbol: SymbolOpt = None,
    sessions: Annotated[
        int | None, typer.Option(help="Only look at the last N sessions (default: all history).")
    ] = None,
) -> None:
    """Expected XNYS sessions missing per asset and symbol, with the command that backfills each."""
    st = state(ctx)
    report = gaps_report(
        st.config(),
        assets=asset or None,
        symbols=parse_symbols(symbol) if symbol else None,
        lookback_sessions=sessions,
    )
    emit(st, report, human=gaps_view(report))
