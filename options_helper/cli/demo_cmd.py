"""`demo`: the daily pipeline over a simulated history."""

from __future__ import annotations

from typing import Annotated

import typer

from options_helper.cli.params import parse_date
from options_helper.cli.progress import progress_for
from options_helper.cli.render import emit, exit_for
from options_helper.cli.state import state
from options_helper.config import SETTINGS_BY_NAME
from options_helper.jobs.demo import run_demo


def demo(
    ctx: typer.Context,
    sessions: Annotated[int, typer.Option(help="Number of sessions to simulate.")] = 30,
    end: Annotated[
        str | None, typer.Option(metavar="DATE", help="Last session (default: latest completed).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help=SETTINGS_BY_NAME["sim_seed"].cli_help, show_default=False)
    ] = None,
) -> None:
    """Create a demo watchlist and portfolio if absent, then run the daily pipeline per session."""
    st = state(ctx)
    cfg = st.config(sim_seed=seed)
    with progress_for(st) as progress:
        job = st.job_context(cfg, progress)
        report = run_demo(job, sessions=sessions, end=parse_date(end, "--end"))
    emit(st, report)
    exit_for(report)
