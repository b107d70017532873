"""Parsing of flag values into domain types with one-line errors."""

from __future__ import annotations

from datetime import date

from options_helper.errors import BadInputError


def parse_date(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BadInputError(f"bad date {value!r} for {flag}", hint="use YYYY-MM-DD") from None
