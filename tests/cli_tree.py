"""The CLI's command tree, for tests that must cover every command."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer

from options_helper.cli.main import app


def walk(command: Any = None, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command and group as (path, command), the root first."""
    command = command or typer.main.get_command(app)
    yield path, command
    # Typer parses with its own vendored click: groups are recognised by their commands.
    for name, sub in getattr(command, "commands", {}).items():
        yield from walk(sub, (*path, name))


def leaf_commands() -> list[tuple[tuple[str, ...], Any]]:
    return [(p, c) for p, c in walk() if not hasattr(c, "commands")]
