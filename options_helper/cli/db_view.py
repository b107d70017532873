"""Rich rendering of `db status` and `db check` (no fetching here)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table

from options_helper.jobs.warehouse_admin import CheckReport
from options_helper.warehouse.migrate import SchemaStatus

_KIND_STYLE = {"corrupt": "red", "unreadable": "red", "drift": "yellow"}


def status_view(report: SchemaStatus) -> RenderableType:
    if not report.exists:
        return f"no warehouse at {report.path} (run `options-helper db init`)"
    table = Table("version", "name", "state", title=f"warehouse {report.path}")
    for m in report.applied:
        table.add_row(str(m["version"]), m["name"], f"applied {m['applied_at']}")
    for m in report.pending:
        table.add_row(str(m["version"]), m["name"], "[yellow]pending[/yellow]")
    problems = [
        f"[{_KIND_STYLE[p.kind]}]{p.kind}:[/{_KIND_STYLE[p.kind]}] {escape(p.detail)}"
        for p in report.problems
    ]
    # A file DuckDB cannot open has no migrations to list, only its problems.
    return Group(table, *problems) if report.applied or report.pending else Group(*problems)


def check_view(report: CheckReport) -> RenderableType:
    table = Table("table", "rows", "state", "detail", title=f"warehouse {report.path}")
    for t in report.tables or []:
        state = "[green]ok[/green]" if t.status == "ok" else "[red]damaged[/red]"
        rows = f"{t.rows:,}" if t.rows is not None else "—"
        table.add_row(t.table, rows, state, escape(t.detail or ""))
    parts: list[RenderableType] = [table] if report.tables else []
    if report.error() is None:
        parts.append(f"[green]{escape(report.summary())}[/green]")
    return Group(*parts)
