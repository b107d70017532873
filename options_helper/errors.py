"""Errors every layer may raise; the CLI turns them into one red line and an exit code."""

from __future__ import annotations


class OptionsHelperError(Exception):
    """An expected failure with a message for the user and the next step to take.

    Attributes:
        error_type: DESIGN.md taxonomy value (bad_input, storage_busy, ...).
        hint: what to do next, shown after the message.
        exit_code: 2 for bad input or usage, 1 for runtime failures.
    """

    error_type = "internal"
    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class BadInputError(OptionsHelperError):
    """Invalid user input: a flag, a date, a file."""

    error_type = "bad_input"
    exit_code = 2


class MissingExtraError(OptionsHelperError):
    """A feature needs an optional extra that is not installed."""

    error_type = "bad_input"
    exit_code = 2

    def __init__(self, feature: str, extra: str):
        super().__init__(
            f"{feature} needs the '{extra}' extra, which is not installed",
            hint=f"pip install 'options-helper[{extra}]'",
        )
