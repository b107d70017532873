"""`ui`: serve the read-only portal over the configured warehouse."""

from __future__ import annotations

import subprocess
from typing import Annotated

import typer

from options_helper.cli.state import state, stderr
from options_helper.jobs.ui import portal_launch


def ui(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="TCP port to serve on.")] = 8501,
    address: Annotated[
        str, typer.Option(help="Address to bind (127.0.0.1: this machine only).")
    ] = "127.0.0.1",
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="Open a browser tab.")
    ] = False,
) -> None:
    """Serve the portal (Streamlit) until Ctrl-C. It only reads: jobs may run meanwhile."""
    st = state(ctx)
    cfg = st.config()
    launch = portal_launch(cfg, port=port, address=address, open_browser=open_browser)
    if not cfg.db_path.exists():
        stderr.print(
            f"[yellow]note:[/yellow] no warehouse at {cfg.db_path} yet: pages will say so until "
            "`options-helper demo` or `run daily` creates it",
            highlight=False,
        )
    stderr.print(
        f"portal: {launch.url}  (data: {cfg.data_dir.resolve()}; Ctrl-C stops it)", highlight=False
    )
    try:
        code = subprocess.call(launch.argv, env=launch.env, cwd=launch.cwd)
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)
