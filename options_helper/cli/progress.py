"""Progress for the jobs' Progress seam, on stderr so --json and piped stdout stay clean:
a live Rich bar on a terminal, plain lines elsewhere (logs, CI, `make demo > log 2>&1`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
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


class LineProgress:
    """One plain line (``candles 120/500 (24%) AAPL``) each time a phase passes a
    ``step_pct`` boundary, or after ``every_s`` seconds without a line, and at its end: enough
    to see a long run move in a log, never a line per item of a large phase."""

    def __init__(
        self,
        console: Console,
        *,
        step_pct: int = 10,
        every_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._console = console
        self._step_pct = step_pct
        self._every_s = every_s
        self._clock = clock
        self._description = ""
        self._total = self._done = 0
        self._next_pct = 0.0
        self._last_line = 0.0

    def start(self, total: int, description: str) -> None:
        self._description, self._total, self._done = description, total, 0
        self._next_pct = self._step_pct
        self._last_line = self._clock()

    def advance(self, step: int = 1, detail: str = "") -> None:
        self._done += step
        pct = 100.0 * self._done / self._total if self._total else 100.0
        now = self._clock()
        if pct < self._next_pct and now - self._last_line < self._every_s:
            return
        line = f"{self._description} {self._done}/{self._total} ({pct:.0f}%) {detail}"
        self._console.print(line.rstrip(), markup=False, highlight=False)
        self._next_pct = (pct // self._step_pct + 1) * self._step_pct
        self._last_line = now


@contextmanager
def progress_for(st: AppState) -> Iterator[RichProgress | LineProgress | NullProgress]:
    """A progress sink: a live bar on a terminal, plain lines when stderr is not one,
    nothing for --json (machine mode)."""
    if st.json:
        yield NullProgress()
        return
    if not stderr.is_terminal:
        yield LineProgress(stderr)
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
