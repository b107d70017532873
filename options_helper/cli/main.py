"""Root of the CLI: global options, sub-apps, and the entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from options_helper import __version__, interrupts
from options_helper.cli import (
    checks_cmd,
    config_cmd,
    db_cmd,
    demo_cmd,
    ingest_cmd,
    portfolio_cmd,
    research_cmd,
    run_cmd,
    ui_cmd,
    watchlist_cmd,
)
from options_helper.cli.errors import TranslatingGroup
from options_helper.cli.state import AppState
from options_helper.config import SETTINGS_BY_NAME

app = typer.Typer(
    name="options-helper",
    cls=TranslatingGroup,
    help="Local-first research tool for US equity options (offline simulated market by default).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


def _help(setting: str) -> str:
    return SETTINGS_BY_NAME[setting].cli_help


def _version(value: bool) -> None:
    if value:
        typer.echo(f"options-helper {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help=_help("data_dir"), show_default=False),
    ] = None,
    db: Annotated[
        Path | None,
        typer.Option("--db", help=_help("db")),
    ] = None,
    portfolio: Annotated[
        Path | None,
        typer.Option("--portfolio", help=_help("portfolio")),
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option("--provider", help=_help("provider")),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    triggered_by: Annotated[
        str | None,
        typer.Option("--triggered-by", help=_help("triggered_by")),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    ctx.obj = AppState(
        overrides={"data_dir": data_dir, "db": db, "portfolio": portfolio, "provider": provider},
        json=json_out,
        debug=debug,
        triggered_by=triggered_by,
    )


app.add_typer(config_cmd.app, name="config", help="Show the effective configuration.")
app.add_typer(db_cmd.app, name="db", help="Create and inspect the warehouse.")
app.add_typer(portfolio_cmd.app, name="portfolio", help="Manage the portfolio JSON.")
app.add_typer(watchlist_cmd.app, name="watchlist", help="Manage named watchlists.")
app.add_typer(ingest_cmd.app, name="ingest", help="Ingest candles and option bars.")
app.add_typer(run_cmd.app, name="run", help="Run the daily pipeline for a session.")
app.add_typer(
    checks_cmd.app, name="checks", help="Data-quality checks: catalogue and on-demand runs."
)
app.command("snapshot-options", help="Snapshot full option chains to Parquet for one data date.")(
    ingest_cmd.snapshot_options_cmd
)
app.command("flow", help="Open-interest flow: ΔOI per contract, top zones.")(research_cmd.flow_cmd)
app.add_typer(
    research_cmd.derived_app, name="derived", help="Derived volatility and positioning metrics."
)
app.command("briefing", help="Write the daily Markdown + JSON briefing.")(research_cmd.briefing_cmd)
app.command("dashboard", help="Console dashboard for a session.")(research_cmd.dashboard_cmd)
app.command("demo", help="Run the daily pipeline over a simulated history.")(demo_cmd.demo)
app.command("ui", help="Serve the read-only portal (Streamlit).")(ui_cmd.ui)


def run() -> None:
    interrupts.install()
    app()
