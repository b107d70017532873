"""DuckDB and OS failures translated into our typed errors (the one place that reads their text).

DuckDB reports environmental failures as generic exceptions whose only distinguishing feature is
the message (``IO Error: ... No space left on device``, ``not a valid DuckDB database file``),
and a Ctrl-C inside a query as ``RuntimeError('Query interrupted')`` or ``InterruptException``.
Every connection context manager in ``connection.py`` passes escaping exceptions through
:func:`translate`, so code above the warehouse sees ``StorageFullError``,
``StorageCorruptError``, ``StorageUnwritableError`` or a ``KeyboardInterrupt`` — and any other
DuckDB error stays what it is: a bug of ours, reported as internal.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from options_helper import interrupts
from options_helper.errors import (
    OptionsHelperError,
    StorageCorruptError,
    StorageFullError,
    StorageUnwritableError,
)

_FULL = ("no space left on device", "disk quota exceeded", "could not extend file")
_UNWRITABLE = ("read-only file system", "permission denied")
# DuckDB's messages for a file that does not hold what it wrote (not a lock, not a bad query).
_CORRUPTION_MARKERS = (
    "corrupt database file",
    "not a valid duckdb database file",
    "could not read enough bytes",
)
NOT_DUCKDB = "not a DuckDB database file (does --db / --data-dir point at the warehouse?)"


def is_corruption(exc: BaseException) -> bool:
    """DuckDB failed because the file's bytes are not what it wrote."""
    text = str(exc).lower()
    return isinstance(exc, duckdb.Error) and any(m in text for m in _CORRUPTION_MARKERS)


def describe(exc: BaseException) -> str:
    """DuckDB's error for a damaged file, said in a few words (its own first line otherwise)."""
    text = _first_line(exc)
    lower = text.lower()
    if short_read := re.search(r"could not read enough bytes.*location (\d+)", lower):
        return f"truncated: a block at byte {int(short_read[1]):,} is past the end of the file"
    if "corrupt database file" in lower:
        return "a block fails its checksum"
    if "not a valid duckdb database file" in lower:
        return NOT_DUCKDB
    return text


def is_interrupt(exc: BaseException) -> bool:
    """A Ctrl-C (or a SIGTERM cancel) that DuckDB turned into an exception."""
    if isinstance(exc, KeyboardInterrupt | duckdb.InterruptException):
        return True
    return isinstance(exc, RuntimeError) and "interrupted" in str(exc).lower()


def raise_if_interrupt(exc: BaseException) -> None:
    """Re-raise an interrupt hidden in ``exc``; for code that turns other failures into results."""
    if isinstance(exc, KeyboardInterrupt):
        raise exc
    if is_interrupt(exc):
        raise interrupts.interrupt() from exc


def os_error(exc: OSError, path: Path | str) -> OptionsHelperError | None:
    """Our error for an environmental OSError (full disk, read-only or forbidden path)."""
    where = exc.filename or path
    # pyarrow raises OSError with the errno only in its text ("[Errno 28] No space left ...").
    text = str(exc).lower()
    if exc.errno in (errno.ENOSPC, errno.EDQUOT) or any(m in text for m in _FULL):
        return StorageFullError(where)
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM) or any(m in text for m in _UNWRITABLE):
        return StorageUnwritableError(where, exc.strerror or "")
    return None


def storage_error(exc: BaseException, path: Path | str) -> OptionsHelperError | None:
    """Our typed storage error for a DuckDB or OS failure, or None when it is not one."""
    if isinstance(exc, OSError):
        return os_error(exc, path)
    if not isinstance(exc, duckdb.Error):
        return None
    text = str(exc).lower()
    if any(m in text for m in _FULL):
        return StorageFullError(path, "the warehouse or its write-ahead log could not grow")
    if any(m in text for m in _UNWRITABLE):
        return StorageUnwritableError(path, _first_line(exc))
    if is_corruption(exc):
        return StorageCorruptError(path, describe(exc))
    return None


def translate(exc: BaseException, path: Path | str) -> BaseException | None:
    """What should propagate instead of ``exc`` (None: ``exc`` itself)."""
    if isinstance(exc, KeyboardInterrupt | OptionsHelperError):
        return None
    if is_interrupt(exc):
        return interrupts.interrupt()
    return storage_error(exc, path)


@contextmanager
def storage_errors(path: Path | str) -> Iterator[None]:
    """Every warehouse connection (``Warehouse.reader``/``writer``) and file write outside
    DuckDB (snapshot Parquet): a full disk, a read-only path or a damaged file leaves as our
    typed error, an interrupt as an interrupt."""
    try:
        yield
    except BaseException as exc:
        typed = translate(exc, path)
        if typed is None:
            raise
        raise typed from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]
