"""`db init`, `db status`."""

from __future__ import annotations

import typer
from rich.table import Table

from options_helper.cli.render import emit
from options_helper.cli.state import state
from options_helper.jobs.warehouse_admin import init_warehouse, warehouse_status

app = typer.Typer(no_args_is_help=True)


@app.command("init")
def init(ctx: typer.Context) -> None:
    """Create the warehouse (if absent) and apply pending migrations."""
    st = state(ctx)
    report = init_warehouse(st.config())
    emit(st, report)


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Schema version and pending migrations. Never writes, never creates the file."""
    st = state(ctx)
    report = warehouse_status(st.config())
    table = Table("version", "name", "state", title=f"warehouse {report.path}")
    for m in report.applied:
        table.add_row(str(m["version"]), m["name"], f"applied {m['applied_at']}")
    for m in report.pending:
        table.add_row(str(m["version"]), m["name"], "[yellow]pending[/yellow]")
    human = (
        table if report.exists else f"no warehouse at {report.path} (run `options-helper db init`)"
    )
    emit(st, report, human=human)
    if report.too_new or report.mismatched:
        raise typer.Exit(2)
