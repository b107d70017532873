"""Render reports: JSON to stdout for scripts, Rich for people. Exit code from status."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console, RenderableType
from rich.measure import Measurement

from options_helper.cli.state import AppState, make_console, stdout
from options_helper.jsonutil import dumps

# Wider than any table we draw: the room a renderable is measured in when not on a terminal.
_UNBOUNDED = 100_000


def natural_width(console: Console, renderable: RenderableType) -> int:
    """The width ``renderable`` takes when nothing constrains it (tables: every cell whole),
    at least the console's own width so narrow output looks as it does on a terminal."""
    options = console.options.update_width(_UNBOUNDED)
    return max(Measurement.get(console, options, renderable).maximum, console.width)


def show(renderable: RenderableType, console: Console = stdout) -> None:
    """Print for people. Off a terminal (a pipe, a file) Rich would assume 80 columns and cut
    table cells with '…': print at the renderable's natural width instead, whole and as a
    wide terminal would show it (`| less -S`, `| grep`, `> report.txt`)."""
    if console.is_terminal:
        console.print(renderable)
        return
    # Console.print(width=...) only narrows: a console of the natural width prints it whole.
    wide = make_console(file=console.file, width=natural_width(console, renderable))
    wide.print(renderable)


def emit(st: AppState, report: Any, *, human: Any = None) -> None:
    """Print ``report`` (``--json``: its asdict(); else ``human`` or its asstr())."""
    if st.json:
        typer.echo(dumps(report))
        st.emitted = True  # stdout holds one JSON document: an error after it adds none
    else:
        show(human if human is not None else report.asstr())


def exit_for(report: Any) -> None:
    """Exit 1 when the report says something failed (partial or failed)."""
    status = getattr(report, "status", "success")
    if status != "success":
        raise typer.Exit(1)
