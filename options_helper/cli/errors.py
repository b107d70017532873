"""The one translation point from exceptions to a red line and an exit code."""

from __future__ import annotations

from typing import Any

import click
import typer
from rich.markup import escape
from typer.core import TyperGroup

from options_helper.cli.state import AppState, stderr
from options_helper.errors import OptionsHelperError
from options_helper.jsonutil import redact_text

# Typer parses with its own vendored click: its usage errors (subclasses of TyperException),
# Exit and Abort are not click's classes, and must pass through untouched as click's do.
_PASS_THROUGH: tuple[type[BaseException], ...] = (
    typer.Exit,
    click.exceptions.Exit,
    click.exceptions.Abort,
    click.ClickException,
    *(
        getattr(typer.exceptions, name)
        for name in ("TyperException", "Abort", "Exit")
        if hasattr(typer.exceptions, name)
    ),
)


def _debug(ctx: click.Context) -> bool:
    obj = ctx.find_root().obj
    return isinstance(obj, AppState) and obj.debug


# Global switches that may also be written after the command (`portfolio analyze --json`).
ANYWHERE_FLAGS = ("--json", "--debug")


class TranslatingGroup(TyperGroup):
    """Root command group: expected failures print one line; tracebacks only with --debug.
    ``--json`` and ``--debug`` are accepted anywhere on the command line."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        end = args.index("--") if "--" in args else len(args)
        hoisted = [a for a in args[:end] if a in ANYWHERE_FLAGS]
        rest = [a for a in args[:end] if a not in ANYWHERE_FLAGS]
        return super().parse_args(ctx, [*hoisted, *rest, *args[end:]])

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except _PASS_THROUGH:
            raise
        except OptionsHelperError as exc:
            if _debug(ctx):
                raise
            stderr.print(
                f"[red]error:[/red] {escape(redact_text(exc.one_line()))}", highlight=False
            )
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            stderr.print("[red]interrupted[/red]")
            raise typer.Exit(130) from None
        except Exception as exc:
            if _debug(ctx):
                raise
            stderr.print(
                f"[red]internal error:[/red] {type(exc).__name__}: {escape(redact_text(str(exc)))} "
                "— re-run with --debug for the traceback",
                highlight=False,
            )
            raise typer.Exit(1) from None
