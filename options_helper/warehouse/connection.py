"""Short-lived DuckDB connections with bounded retry on the file-lock error.

DuckDB allows one writing process per file, and a read-only process holds a lock that blocks
writers (see DESIGN.md "Concurrency"). So nobody keeps a connection: writers open, write one
batch in one transaction, close; readers open read-only per query and close. Both retry with
backoff while another process holds the lock, and give up after a bound with
:class:`WarehouseBusyError` ("warehouse busy"), never a misleading "no data".
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from options_helper import interrupts
from options_helper.config import Config
from options_helper.errors import WarehouseBusyError, WarehouseMissingError
from options_helper.warehouse.failures import NOT_DUCKDB, describe, is_corruption, storage_errors

_LOCK_MARKERS = ("could not set lock", "conflicting lock")

# Opening and closing connections is serialised within the process. duckdb's Python client
# shares one database instance per file between threads; when one thread creates (or tears
# down) that instance while another connects, the second connection can miss the instance's
# Python functions ("Table Function with name python_arrow_scan does not exist"). The run
# ledger's background thread connects while the job does, so this is not hypothetical. Queries
# themselves run unserialised.
_OPEN_CLOSE = threading.Lock()

__all__ = [
    "NOT_DUCKDB",
    "RetryPolicy",
    "Warehouse",
    "WarehouseBusyError",
    "WarehouseMissingError",
    "describe",
    "is_corruption",
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
    # Called before every write of data (a writer, a data file): a job's run ledger makes sure
    # its running row is committed first, so no data exists without its run (RunLogger).
    before_write: Callable[[], None] | None = field(default=None, compare=False, repr=False)

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
                    conn = duckdb.connect(str(self.path), read_only=read_only)
                # A SIGTERM cancels the query in flight (interrupts.py).
                interrupts.register_canceller(id(conn), conn.interrupt)
                return conn
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
        with storage_errors(self.path):
            conn = self._open(read_only=True)
            try:
                yield conn
            finally:
                _close(conn)

    def ready_to_write(self) -> None:
        """Wait until data may be written (the run's ledger row exists); see ``before_write``."""
        if self.before_write is not None:
            self.before_write()

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection for one unit of work inside one transaction."""
        self.ready_to_write()
        with storage_errors(self.path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
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


def _close(conn: duckdb.DuckDBPyConnection) -> None:
    with _OPEN_CLOSE:
        conn.close()
    interrupts.unregister_canceller(id(conn))
    interrupts.raise_pending()  # a signal that arrived while this connection was open
