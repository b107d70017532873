"""Per-invocation CLI state (global flags) and the consoles commands render to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import typer
from rich.console import Console

from options_helper.config import Config, load_config
from options_helper.jobs.context import JobContext


def make_console(**kwargs: Any) -> Console:
    """A console as the CLI configures them (no auto-highlighting, long lines not wrapped)."""
    return Console(highlight=False, soft_wrap=True, **kwargs)


stdout = make_console()
stderr = make_console(stderr=True)


@dataclass
class AppState:
    overrides: dict[str, Any] = field(default_factory=dict)
    json: bool = False
    debug: bool = False
    triggered_by: str | None = None
    emitted: bool = False  # a --json document is already on stdout

    def config(self, **extra: Any) -> Config:
        return load_config({**self.overrides, **{k: v for k, v in extra.items() if v is not None}})

    def job_context(self, config: Config, progress: Any = None) -> JobContext:
        return JobContext.from_config(config, progress, triggered_by=self.triggered_by)


def state(ctx: typer.Context) -> AppState:
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj
