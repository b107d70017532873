"""Help metavars that read like a command line, not like Python annotations.

Typer's own help renderer (typer 0.2x, with its vendored click) shows each value's Python type:
`--symbol <list[str]>`, `--json <bool>`, `--help <bool>`. That reads as code, and flags take no
value at all. :func:`install` wraps Typer's renderer once per process so that help shows what
click always showed: flags nothing, values TEXT / INTEGER / FLOAT / PATH, choices [a|b], and an
explicit ``metavar=`` (SYMBOL, YYYY-MM-DD) as written. Older Typer releases render click's
metavars already and have nothing to wrap. Imported by ``options_helper.cli`` (the package),
so every command's help goes through it; ``tests/test_help.py`` checks all of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from typer import core

_NAMES = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "path": "PATH", "datetime": "DATE"}
_TYPE_LABEL = re.compile(r"<(?P<label>[^<>]+)>(?P<dots>\.\.\.)?")


def natural_metavar(shown: str | None) -> str | None:
    """``<list[str]>`` → ``TEXT``, ``<int>`` → ``INTEGER``, ``<a|b>`` → ``[a|b]``, ``<bool>``
    → nothing; any other text (an explicit metavar) unchanged."""
    m = _TYPE_LABEL.fullmatch(shown or "")
    if m is None:
        return shown
    label, dots = m["label"], m["dots"] or ""
    if label.startswith("list[") and label.endswith("]"):
        label = label[len("list[") : -1]  # a repeatable option: each use takes one value
    if label == "bool":
        return None
    if "|" in label:
        return f"[{label}]{dots}"
    return _NAMES.get(label, label.upper().replace(" ", "_")) + dots


def _wrap(render: Callable[..., str | None]) -> Callable[..., str | None]:
    def display_type_rich(self: Any, ctx: Any) -> str | None:
        if getattr(self, "is_flag", False) or getattr(self, "count", False):
            return None
        return natural_metavar(render(self, ctx))

    display_type_rich.__wrapped__ = render  # type: ignore[attr-defined]
    return display_type_rich


def install() -> None:
    """Wrap Typer's type display for options and arguments (idempotent)."""
    for cls in (core.TyperOption, core.TyperArgument):
        render = getattr(cls, "display_type_rich", None)
        if render is None or hasattr(render, "__wrapped__"):
            continue
        cls.display_type_rich = _wrap(render)
