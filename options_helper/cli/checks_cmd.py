"""`checks list`, `checks run`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from options_helper.cli.ingest_cmd import SymbolOpt
from options_helper.cli.params import parse_date
from options_helper.cli.render import emit
from options_helper.cli.state import state
from options_helper.jobs.run_checks import run_checks_job
from options_helper.jobs.symbols import parse_symbols
from options_helper.observability.checks import catalogue

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """The check catalogue: name, asset, severity, what it verifies."""
    st = state(ctx)
    rows = catalogue()
    table = Table("check", "asset", "severity", "what it verifies", title="data-quality checks")
    for c in rows:
        table.add_row(c["name"], c["asset_key"], c["severity"], c["description"])
    emit(st, {"checks": rows}, human=table)


@app.command("run")
def run(
    ctx: typer.Context,
    asset: Annotated[
        list[str] | None, typer.Option("--asset", "-a", help="Asset key (repeatable; default all).")
    ] = None,
    symbol: SymbolOpt = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", metavar="DATE", help="Session to measure against (default latest)."
        ),
    ] = None,
) -> None:
    """Run checks now and persist the results. Exit 1 if an error-severity check fails."""
    st = state(ctx)
    job = st.job_context(st.config())
    report = run_checks_job(
        job,
        assets=asset or None,
        symbols=parse_symbols(symbol) if symbol else None,
        as_of=parse_date(as_of, "--as-of"),
    )
    emit(st, report)
    if any(c.failed and c.severity == "error" for c in report.checks):
        raise typer.Exit(1)
