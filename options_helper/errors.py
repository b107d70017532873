"""The one error hierarchy: every expected failure, its taxonomy value, retry flag and remedy.

Every layer raises these; the CLI turns them into one line (or a JSON error document) and an
exit code, jobs catch them per partition and record ``error_type`` in the ledger. Anything that
is not an :class:`OptionsHelperError` is a bug of ours: jobs let it escape, and the CLI reports
it as ``internal error`` (traceback with ``--debug``).

Taxonomy (``error_type``, the values of :data:`ERROR_TYPES`):
- provider: not_found, rate_limited, timeout, network, entitlement, bad_payload
- input: bad_input
- storage: storage_busy, storage_full, storage_corrupt, storage_unwritable, schema_mismatch
- process: interrupted (SIGINT/SIGTERM), internal (a bug)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ERROR_TYPES = (
    "not_found",
    "rate_limited",
    "timeout",
    "network",
    "entitlement",
    "bad_payload",
    "bad_input",
    "storage_busy",
    "storage_full",
    "storage_corrupt",
    "storage_unwritable",
    "schema_mismatch",
    "interrupted",
    "internal",
)


class OptionsHelperError(Exception):
    """An expected failure with a message for the user and the next step to take.

    Attributes:
        error_type: one of :data:`ERROR_TYPES`.
        retryable: whether the same command can succeed later without any change.
        hint: what to do next, shown after the message.
        exit_code: 2 for bad input or usage, 1 for runtime failures.
    """

    error_type = "internal"
    exit_code = 1
    retryable = False
    default_hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint

    def one_line(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message

    def asdict(self) -> dict[str, Any]:
        """The machine form (``--json`` error document)."""
        return {
            "error_type": self.error_type,
            "message": self.message,
            "hint": self.hint,
            "retryable": self.retryable,
            "exit_code": self.exit_code,
        }


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


class Terminated(KeyboardInterrupt):
    """SIGTERM (systemd, docker stop, ``timeout``), handled exactly like Ctrl-C; exit 143."""


# -- provider errors ---------------------------------------------------------------------------


class ProviderError(OptionsHelperError):
    """A failure fetching from a provider, attributed to one symbol when known.

    Attributes:
        symbol: the symbol being fetched, when known.
        provider: the provider's name, when known.
    """

    error_type = "internal"

    def __init__(
        self,
        message: str,
        *,
        symbol: str | None = None,
        provider: str | None = None,
        hint: str | None = None,
    ):
        super().__init__(message, hint=hint)
        self.symbol = symbol
        self.provider = provider


class NotFoundError(ProviderError):
    error_type = "not_found"
    default_hint = "check the symbol, or use a symbol the provider lists"


class RateLimitedError(ProviderError):
    error_type = "rate_limited"
    retryable = True
    default_hint = "the provider is rate limiting: retry in a minute, or ingest fewer symbols"


class ProviderTimeoutError(ProviderError):
    error_type = "timeout"
    retryable = True
    default_hint = "the provider did not answer in time: retry later"


class NetworkError(ProviderError):
    error_type = "network"
    retryable = True
    default_hint = "check the network connection and retry (or use --provider sim offline)"


class EntitlementError(ProviderError):
    error_type = "entitlement"
    default_hint = "your provider plan does not cover this data: check the plan or the feed setting"


class BadPayloadError(ProviderError):
    error_type = "bad_payload"
    default_hint = "the provider sent malformed data: retry later, or report it if it persists"


PROVIDER_ERROR_CLASSES: dict[str, type[ProviderError]] = {
    cls.error_type: cls
    for cls in (
        NotFoundError,
        RateLimitedError,
        ProviderTimeoutError,
        NetworkError,
        EntitlementError,
        BadPayloadError,
    )
}


# -- storage errors ----------------------------------------------------------------------------


class StorageError(OptionsHelperError):
    """The warehouse or the data directory cannot be used as it is.

    Attributes:
        path: the file or directory concerned.
    """

    def __init__(self, message: str, *, path: Path | str | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.path = str(path) if path is not None else None


class WarehouseBusyError(StorageError):
    error_type = "storage_busy"
    retryable = True

    def __init__(self, path: Path, waited_s: float):
        super().__init__(
            f"warehouse busy: {path} stayed locked by another process for {waited_s:.1f}s",
            path=path,
            hint="retry when the other writer finishes",
        )


class WarehouseMissingError(StorageError):
    error_type = "not_found"
    exit_code = 2

    def __init__(self, path: Path):
        super().__init__(
            f"no warehouse at {path}",
            path=path,
            hint="run `options-helper db init` or any ingest command to create it",
        )


class StorageFullError(StorageError):
    error_type = "storage_full"

    def __init__(self, path: Path | str, detail: str = ""):
        where = f"{path}" + (f" ({detail})" if detail else "")
        super().__init__(
            f"no space left on the device holding {where}",
            path=path,
            hint="free disk space (or move the data dir with --data-dir) and re-run",
        )


class StorageCorruptError(StorageError):
    """The warehouse file is damaged (truncated, overwritten, failed checksum).

    Attributes:
        detail: what is damaged, without the path.
    """

    error_type = "storage_corrupt"
    default_hint = (
        "restore it from a backup, or move it aside and rebuild it: `options-helper db init`, "
        "then re-run the ingest commands (e.g. `options-helper run daily` per session)"
    )

    def __init__(self, path: Path | str, detail: str):
        super().__init__(f"warehouse {path} is damaged: {detail}", path=path)
        self.detail = detail


class StorageUnwritableError(StorageError):
    error_type = "storage_unwritable"

    def __init__(self, path: Path | str, detail: str = ""):
        super().__init__(
            f"cannot write to {path}" + (f": {detail}" if detail else ""),
            path=path,
            hint="fix the permissions of the data dir, or choose another with --data-dir",
        )


class SchemaMismatchError(StorageError):
    """The warehouse schema is not the one this code expects (newer, edited or drifted)."""

    error_type = "schema_mismatch"
    exit_code = 2


class LedgerWriteError(StorageError):
    """A run's ledger record could not be completed; carries the storage error that stopped it
    (its type, retry flag and remedy)."""

    def __init__(self, cause: OptionsHelperError, message: str):
        super().__init__(message, path=getattr(cause, "path", None), hint=cause.hint)
        self.error_type = cause.error_type
        self.retryable = cause.retryable
        self.exit_code = cause.exit_code


class SnapshotFileError(StorageError):
    """A snapshot Parquet file the index lists is missing or unreadable."""

    error_type = "storage_corrupt"

    def __init__(self, detail: str):
        super().__init__(
            f"a snapshot file cannot be read: {detail}",
            hint="`options-helper db gaps` lists the snapshots to re-take with snapshot-options",
        )
