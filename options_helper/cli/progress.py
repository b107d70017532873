"""Rich progress bar implementing the jobs' Progress seam (stderr, so --json stays clean)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from options_helper.cli.state import AppState, stderr
from options_helper.jobs.progress import NullProgress


class RichProgress:
    def __init__(self, progress: Progress):
        self._p = progress
        self._task: TaskID | None = None

    def start(self, total: int, description: str) -> None:
        if self._task is not None:
            self._p.remove_task(self._task)
        self._task = self._p.add_task(description, total=total, detail="")

    def advance(self, step: int = 1, detail: str = "") -> None:
        if self._task is not None:
            self._p.update(self._task, advance=step, detail=detail)


@contextmanager
def progress_for(st: AppState) -> Iterator[RichProgress | NullProgress]:
    """A progress sink: a live bar on a terminal, nothing for --json or pipes."""
    if st.json or not stderr.is_terminal:
        yield NullProgress()
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
    )
    with bar:
        yield RichProgress(bar)
