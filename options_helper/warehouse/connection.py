"""Short-lived DuckDB connections with bounded retry on the file-lock error.

DuckDB allows one writing process per file, and a read-only process holds a lock that blocks
writers (see DESIGN.md "Concurrency"). So nobody keeps a connection: writers open, write one
batch in one transaction, close; readers open read-only per query and close. Both retry with
backoff while another process holds the lock, and give up after a bound with
:class:`WarehouseBusyError` ("warehouse busy"), never a misleading "no data". DuckDB's errors
for a damaged file (failed checksum, short read), wherever they surface, become
:class:`StorageCorruptError`.
"""

from __future__ import annotations

import contextlib
import random
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from options_helper.config import Config
from options_helper.errors import StorageCorruptError, WarehouseBusyError, WarehouseMissingError

_LOCK_MARKERS = ("could not set lock", "conflicting lock")
# DuckDB's messages for a file that does not hold what it wrote (not a lock, not a bad query).
_CORRUPTION_MARKERS = (
    "corrupt database file",
    "not a valid duckdb database file",
    "could not read enough bytes",
)
NOT_DUCKDB = "not a DuckDB database file (does --db point at the warehouse?)"

# Opening and closing connections is serialised within the process. duckdb's Python client
# shares one database instance per file between threads; when one thread creates (or tears
# down) that instance while another connects, the second connection can miss the instance's
# Python functions ("Table Function with name python_arrow_scan does not exist"). The run
# ledger's background thread connects while the job does, so this is not hypothetical. Queries
# themselves run unserialised.
_OPEN_CLOSE = threading.Lock()

__all__ = [
    "RetryPolicy",
    "Warehouse",
    "WarehouseBusyError",
    "WarehouseMissingError",
    "is_lock_error",
]


def is_lock_error(exc: BaseException) -> bool:
    """The file is locked by another process, or (same process) open in the other mode.

    Within one process DuckDB refuses a read-only and a read-write connection to the same file
    at the same time (e.g. the run heartbeat thread writing while the job reads); that clears
    as soon as the other connection closes, so it is retried like a lock.
    """
    text = str(exc).lower()
    if isinstance(exc, duckdb.IOException):
        return any(m in text for m in _LOCK_MARKERS)
    return isinstance(exc, duckdb.ConnectionException) and "different configuration" in text


def is_corruption(exc: BaseException) -> bool:
    """DuckDB failed because the file's bytes are not what it wrote."""
    text = str(exc).lower()
    return isinstance(exc, duckdb.Error) and any(m in text for m in _CORRUPTION_MARKERS)


def describe(exc: BaseException) -> str:
    """DuckDB's error for a damaged file, said in a few words (its own first line otherwise)."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    lower = text.lower()
    if short_read := re.search(r"could not read enough bytes.*location (\d+)", lower):
        return f"truncated: a block at byte {int(short_read[1]):,} is past the end of the file"
    if "corrupt database file" in lower:
        return "a block fails its checksum"
    if "not a valid duckdb database file" in lower:
        return NOT_DUCKDB
    return text


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter for lock contention."""

    max_wait_s: float = 30.0
    first_delay_s: float = 0.02
    max_delay_s: float = 0.5


@dataclass(frozen=True)
class Warehouse:
    """A warehouse file and how to reach it; holds no connection."""

    path: Path
    retry: RetryPolicy = RetryPolicy()

    @classmethod
    def for_config(cls, config: Config) -> Warehouse:
        """The configured warehouse file with the configured lock wait."""
        return cls(config.db_path, RetryPolicy(max_wait_s=config.lock_wait_s))

    @property
    def exists(self) -> bool:
        return self.path.exists()

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.retry.max_wait_s
        delay = self.retry.first_delay_s
        started = time.monotonic()
        while True:
            try:
                with _OPEN_CLOSE:
                    return duckdb.connect(str(self.path), read_only=read_only)
            except (duckdb.IOException, duckdb.ConnectionException) as exc:
                if not is_lock_error(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise WarehouseBusyError(self.path, time.monotonic() - started) from exc
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, self.retry.max_delay_s)

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection for one query or a few; never creates the file."""
        if not self.exists:
            raise WarehouseMissingError(self.path)
        with self._damage_as_error():
            conn = self._open(read_only=True)
            try:
                yield conn
            finally:
                _close(conn)

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection for one unit of work inside one transaction."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._damage_as_error():
            conn = self._open(read_only=False)
            try:
                conn.execute("BEGIN TRANSACTION")
                try:
                    yield conn
                except BaseException:
                    # A failed rollback must not hide the error that caused it.
                    with contextlib.suppress(duckdb.Error):
                        conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            finally:
                _close(conn)

    @contextmanager
    def _damage_as_error(self) -> Iterator[None]:
        try:
            yield
        except duckdb.Error as exc:
            if is_corruption(exc):
                raise StorageCorruptError(self.path, describe(exc)) from exc
            raise


def _close(conn: duckdb.DuckDBPyConnection) -> None:
    with _OPEN_CLOSE:
        conn.close()
