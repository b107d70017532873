"""Render reports: JSON to stdout for scripts, Rich for people. Exit code from status."""

from __future__ import annotations

from typing import Any

import typer

from options_helper.cli.state import AppState, stdout
from options_helper.jsonutil import dumps


def emit(st: AppState, report: Any, *, human: Any = None) -> None:
    """Print ``report`` (``--json``: its asdict(); else ``human`` or its asstr())."""
    if st.json:
        typer.echo(dumps(report))
        st.emitted = True  # stdout holds one JSON document: an error after it adds none
    else:
        stdout.print(human if human is not None else report.asstr())


def exit_for(report: Any) -> None:
    """Exit 1 when the report says something failed (partial or failed)."""
    status = getattr(report, "status", "success")
    if status != "success":
        raise typer.Exit(1)
