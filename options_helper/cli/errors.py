"""The one translation point from exceptions to one line (or a JSON error document) and an exit
code. Our typed errors say what is wrong and what to do; an interrupt (Ctrl-C, SIGTERM) exits
130/143; anything else is a bug of ours: ``internal error``, traceback with ``--debug``."""

from __future__ import annotations

import sys
from typing import Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from options_helper import interrupts
from options_helper.cli.state import AppState, stderr
from options_helper.errors import BadInputError, OptionsHelperError
from options_helper.jsonutil import dumps, redact_text
from options_helper.warehouse.failures import os_error

# Typer (>= 0.26) parses with its own vendored click, older releases with click itself: take the
# exception classes from whichever module defines typer.BadParameter, never `import click`
# (it is not our dependency, and a bare install does not have it).
_CLICK_EXC = sys.modules[typer.BadParameter.__module__]
_USAGE_ERROR: type[Exception] = _CLICK_EXC.UsageError
_PASS_THROUGH: tuple[type[BaseException], ...] = tuple(
    {
        typer.Exit,
        typer.Abort,
        _CLICK_EXC.ClickException,
        *(getattr(_CLICK_EXC, n) for n in ("Exit", "Abort") if hasattr(_CLICK_EXC, n)),
    }
)


def _state(ctx: Any) -> AppState:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, AppState) else AppState()


# Global switches that may also be written after the command (`portfolio analyze --json`).
ANYWHERE_FLAGS = ("--json", "--debug")


def fail(st: AppState, error: OptionsHelperError) -> typer.Exit:
    """Print ``error`` (one line on stderr; ``--json``: also a JSON document on stdout)."""
    line = redact_text(error.one_line())
    if st.json and not st.emitted:
        doc = {**error.asdict(), "message": redact_text(error.message)}
        doc["hint"] = redact_text(error.hint) if error.hint else None
        typer.echo(dumps({"error": doc}))
    label = getattr(error, "label", "error")
    stderr.print(f"[red]{label}:[/red] {escape(line)}", highlight=False)
    return typer.Exit(error.exit_code)


class _Internal(OptionsHelperError):
    """A bug of ours, as the JSON document and the one line present it."""

    label = "internal error"

    def __init__(self, exc: Exception):
        super().__init__(
            f"{type(exc).__name__}: {exc}", hint="re-run with --debug for the traceback"
        )


def _environmental(exc: Exception) -> OptionsHelperError | None:
    """A full disk or an unwritable path met outside the warehouse (a file the job writes)."""
    return os_error(exc, exc.filename or "") if isinstance(exc, OSError) else None


class _Interrupted(OptionsHelperError):
    error_type = "interrupted"


class TranslatingGroup(TyperGroup):
    """Root command group: expected failures print one line; tracebacks only with --debug.
    ``--json`` and ``--debug`` are accepted anywhere on the command line."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        end = args.index("--") if "--" in args else len(args)
        hoisted = [a for a in args[:end] if a in ANYWHERE_FLAGS]
        rest = [a for a in args[:end] if a not in ANYWHERE_FLAGS]
        return super().parse_args(ctx, [*hoisted, *rest, *args[end:]])

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except _USAGE_ERROR as exc:
            if _state(ctx).json:
                typer.echo(dumps({"error": BadInputError(exc.format_message()).asdict()}))
            raise
        except _PASS_THROUGH:
            raise
        except OptionsHelperError as exc:
            if _state(ctx).debug:
                raise
            raise fail(_state(ctx), exc) from None
        except KeyboardInterrupt as exc:
            signal_name = "SIGTERM" if interrupts.exit_code(exc) == 143 else "SIGINT"
            error = _Interrupted(
                f"interrupted by {signal_name}",
                hint="a run in progress is recorded as failed/interrupted; re-run to resume",
            )
            error.exit_code = interrupts.exit_code(exc)
            raise fail(_state(ctx), error) from None
        except Exception as exc:
            if _state(ctx).debug:
                raise
            raise fail(_state(ctx), _environmental(exc) or _Internal(exc)) from None
