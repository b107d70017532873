"""Load and save validated JSON documents. Writes are atomic (temp file + rename).

A malformed or invalid file raises :class:`BadInputError` naming the file and the field, and
the file is left untouched. A save first checks that the text it is about to write loads back
through the same path, so the tool never writes a file it would refuse to read.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from options_helper.errors import BadInputError
from options_helper.files.atomic import write_text_atomic

M = TypeVar("M", bound=BaseModel)

FIX_HINT = "fix the file; it was not modified"


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def describe_validation_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    msg = first["msg"].removeprefix("Value error, ")
    return f"{_loc(tuple(first['loc']))}: {msg}{more}"


def _non_finite(value: Any, loc: tuple = ()) -> Iterator[tuple[tuple, float]]:
    """Every NaN or ±inf in a parsed JSON document, with its location."""
    if isinstance(value, float) and not math.isfinite(value):
        yield loc, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _non_finite(v, (*loc, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _non_finite(v, (*loc, i))


def parse_model(text: str, model: type[M], source: Path) -> M:
    """Parse JSON ``text`` into ``model``; one-line BadInputError naming ``source`` and the field.

    Python's json module accepts the non-standard NaN and Infinity and turns 1e400 into inf:
    none of them is a number the tool can use, so they are refused here, by location.
    """
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInputError(
            f"{source}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
            hint=FIX_HINT,
        ) from exc
    for loc, value in _non_finite(raw):
        what = "NaN" if math.isnan(value) else "Infinity, or a number too large for a float"
        raise BadInputError(
            f"{source}: invalid {model.__name__.lower()}: {_loc(loc)}: not a finite number "
            f"({what})",
            hint=FIX_HINT,
        )
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise BadInputError(
            f"{source}: invalid {model.__name__.lower()}: {describe_validation_error(exc)}",
            hint=FIX_HINT,
        ) from exc


def load_model(
    path: Path, model: type[M], *, missing_ok: bool = True, missing_hint: str | None = None
) -> M:
    """Parse ``path`` into ``model``; an absent file gives the model's defaults if allowed,
    else a BadInputError with ``missing_hint`` (how to create the file)."""
    if not path.exists():
        if missing_ok:
            return model()
        raise BadInputError(f"{path}: file not found", hint=missing_hint)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read file ({exc.strerror})") from exc
    return parse_model(text, model, path)


def save_model(path: Path, doc: BaseModel) -> None:
    """Write ``doc`` as indented JSON atomically, after checking that ``load_model`` would
    accept exactly that text (a model built without validation, e.g. by ``model_copy``, can
    hold values that serialise to a file the next load refuses); else BadInputError and the
    file is not modified."""
    text = doc.model_dump_json(indent=2, exclude_defaults=False) + "\n"
    try:
        parse_model(text, type(doc), path)
    except BadInputError as exc:
        raise BadInputError(
            f"refusing to write {exc.message}",
            hint="the file was not modified",
        ) from exc
    write_text_atomic(path, text)
