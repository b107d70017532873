"""Load and save validated JSON documents. Writes are atomic (temp file + rename).

A malformed or invalid file raises :class:`BadInputError` naming the file and the field, and
the file is left untouched.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from options_helper.errors import BadInputError
from options_helper.files.atomic import write_text_atomic

M = TypeVar("M", bound=BaseModel)


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
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInputError(
            f"{path}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
            hint="fix the file; it was not modified",
        ) from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise BadInputError(
            f"{path}: invalid {model.__name__.lower()}: {describe_validation_error(exc)}",
            hint="fix the file; it was not modified",
        ) from exc


def save_model(path: Path, doc: BaseModel) -> None:
    """Write ``doc`` as indented JSON atomically."""
    write_text_atomic(path, doc.model_dump_json(indent=2, exclude_defaults=False) + "\n")
