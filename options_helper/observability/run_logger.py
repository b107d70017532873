"""``RunLogger``: one ``meta.ingestion_runs`` row per job run, its asset events and watermarks.

The running row is inserted on entry, by the background thread that then keeps
``heartbeat_at`` fresh, so the job starts without waiting for a connection (any write of events
waits for that row first). Asset events are buffered and written in batches (one transaction
per batch, set-based SQL over one Arrow table, never a connection or statement per event)
together with the watermarks they raise; on exit the last events and the final status (success,
partial or failed; Ctrl-C: failed with error_type ``interrupted``) go in one transaction.
Nothing here keeps a connection open.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import pyarrow as pa

from options_helper import interrupts
from options_helper.config import TRIGGERS
from options_helper.errors import LedgerWriteError, OptionsHelperError
from options_helper.jsonutil import ledger_json, redact_text, secret_values
from options_helper.observability import runtime
from options_helper.observability.events import AssetResult
from options_helper.observability.fingerprint import fingerprint
from options_helper.warehouse import Warehouse
from options_helper.warehouse.connection import RetryPolicy
from options_helper.warehouse.ledger import EVENT_SCHEMA, insert_run, record_events, update_run

_log = logging.getLogger(__name__)

STORAGE_BACKEND = "duckdb"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_run_id(now: datetime | None = None) -> str:
    """Time-sortable, unique: ``YYYYmmddTHHMMSS-<12 hex>``."""
    return f"{(now or _now()):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}"


def error_type_of(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return getattr(exc, "error_type", None) or "internal"


def _message_of(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return f"interrupted by {interrupts.received() or 'SIGINT'}"
    return str(exc) or type(exc).__name__


class RunLogger:
    """Context manager recording one job run in the ledger.

    Args:
        warehouse: where the ledger lives (schema must exist).
        job_name: stable job name (ingest_candles, snapshot_options, ...).
        triggered_by: cli | cron | dagster | demo.
        parent_run_id: the enclosing run (``run daily``, a Dagster run), if any.
        args: the job's parameters; stored redacted as args_json.
        flush_every: asset events buffered before a write.
        flush_interval_s: also write buffered events when the last write is this old, so a
            long run shows progress in the ledger.
        heartbeat_s: seconds between heartbeats (0 disables the thread).
    """

    def __init__(
        self,
        warehouse: Warehouse,
        job_name: str,
        *,
        provider: str | None = None,
        triggered_by: str = "cli",
        parent_run_id: str | None = None,
        args: dict[str, Any] | None = None,
        flush_every: int = 50_000,
        flush_interval_s: float = 5.0,
        heartbeat_s: float = 5.0,
    ):
        if triggered_by not in TRIGGERS:
            raise ValueError(f"triggered_by must be one of {TRIGGERS}, not {triggered_by!r}")
        self.warehouse = warehouse
        self.job_name = job_name
        self.provider = provider
        self.triggered_by = triggered_by
        self.parent_run_id = parent_run_id
        self.args = args or {}
        self.flush_every = flush_every
        self.flush_interval_s = flush_interval_s
        self._last_flush = time.monotonic()
        self.heartbeat_s = heartbeat_s
        self.run_id = new_run_id()
        self.status: str | None = None
        self._buffer: list[AssetResult] = []
        self._counts = {"success": 0, "failed": 0, "skipped": 0}
        self._first_failure: AssetResult | None = None
        self._children: list[tuple[str, str | None]] = []
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None
        self._row: dict[str, Any] = {}
        self._row_written = threading.Event()
        self._row_error: BaseException | None = None
        self._done = threading.Event()  # the background thread has finished
        self._row_retry = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> RunLogger:
        now = _now()
        self._row = {
            "run_id": self.run_id,
            "parent_run_id": self.parent_run_id,
            "job_name": self.job_name,
            "triggered_by": self.triggered_by,
            "status": "running",
            "started_at": now,
            "heartbeat_at": now,
            "pid": runtime.pid(),
            "host": runtime.host(),
            "provider": self.provider,
            "storage_backend": STORAGE_BACKEND,
            "args_json": ledger_json(self.args),
            "app_version": runtime.app_version(),
            "git_sha": runtime.git_sha(),
        }
        if self.heartbeat_s > 0:
            self._beat = threading.Thread(target=self._background, name="run-ledger", daemon=True)
            self._beat.start()
        else:
            self._insert_running_row()
            if self._row_error is not None:
                raise self._row_error
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        self._stop.set()
        interrupt = self._join_background()
        if exc is None and interrupt is not None:
            exc = interrupt
        # The last events and the final status go in one transaction (one connection).
        pending = self._take()
        self.status, error_type, message = self._outcome(exc)
        try:
            with self.warehouse.writer() as conn:
                self._write(conn, pending)
                self._finalise(conn, error_type, message)
        except OptionsHelperError as write_error:
            # Events lost (disk full, busy): record the run as failed with that error, and
            # make the caller see the same status the ledger holds.
            self.status, error_type, message = self._outcome(exc or write_error)
            try:
                with self.warehouse.writer() as conn:
                    self._finalise(conn, error_type, message)
            except OptionsHelperError as ledger_error:
                if exc is None:
                    raise LedgerWriteError(
                        ledger_error,
                        f"{ledger_error.message}; run {self.run_id} could not be recorded in the "
                        "ledger",
                    ) from ledger_error
                # The job's own error is the one to surface; the ledger could not take it.
                _log.warning("run %s (%s) could not be recorded", self.run_id, self.job_name)
            if exc is None:
                raise LedgerWriteError(
                    write_error,
                    f"{write_error.message}; run {self.run_id} is recorded as failed "
                    f"({write_error.error_type}) and its asset events were not kept",
                ) from write_error
        if interrupt is not None and exc is interrupt:
            raise interrupt
        return False

    def wait_for_row(self) -> None:
        """Block a data write until the running row is committed (the warehouse's
        ``before_write`` hook during a job): a run killed at any moment leaves no data without
        its ledger row. If the row could not be written at start (busy), try again now."""
        self._row_written.wait()
        if self._row_error is None:
            return
        with self._row_retry:
            if self._row_error is not None:
                with self.warehouse.writer() as conn:
                    insert_run(conn, self._row)
                self._row_error = None

    def _join_background(self) -> KeyboardInterrupt | None:
        """Wait for the ledger thread (bounded: the row insert retries at most the lock wait,
        a heartbeat 2 s). A Ctrl-C meanwhile is kept, so the run is still finalised as
        interrupted before it propagates."""
        interrupt = None
        # Waits on an Event, not Thread.join: a join interrupted by Ctrl-C can leave the
        # thread reported dead while it still runs (CPython gh-90882).
        while self._beat is not None and not self._done.is_set():
            try:
                self._done.wait(0.1)
            except KeyboardInterrupt as k:
                interrupt = k
        return interrupt

    def _insert_running_row(self) -> None:
        try:
            with self.warehouse.writer() as conn:
                insert_run(conn, self._row)
        except Exception as exc:  # kept: exit then writes the run whole
            self._row_error = exc
        finally:
            self._row_written.set()

    def _finalise(self, conn: Any, error_type: str | None, message: str | None) -> None:
        fields = self._final_fields(error_type, message)
        if self._row_error is None:
            update_run(conn, self.run_id, fields)
        else:  # the running row never made it (warehouse busy): write the run whole
            insert_run(conn, {**self._row, **fields})

    # -- recording -----------------------------------------------------------------------

    def record(self, result: AssetResult) -> None:
        self.record_all((result,))

    def record_all(self, results: Iterable[AssetResult]) -> None:
        batch = list(results)
        for r in batch:
            self._counts[r.status] += 1
            if r.status == "failed" and self._first_failure is None:
                self._first_failure = r
        self._buffer.extend(batch)
        if (
            len(self._buffer) >= self.flush_every
            or time.monotonic() - self._last_flush >= self.flush_interval_s
        ):
            self.flush()

    def note_child(self, status: str, error_type: str | None = None) -> None:
        """Record a child run's outcome; a run with children takes its status from them."""
        self._children.append((status, error_type))

    def flush(self) -> None:
        """Write buffered asset events and the watermarks they raise, in one transaction."""
        self._row_written.wait()  # events only once the run they belong to is visible
        if self._row_error is not None:
            return  # keep buffering: exit writes the run whole, events included
        batch = self._take()
        if batch:
            try:
                with self.warehouse.writer() as conn:
                    self._write(conn, batch)
            except BaseException:
                self._buffer[:0] = batch  # nothing was kept: exit writes them with the rest
                raise

    def _take(self) -> list[AssetResult]:
        self._last_flush = time.monotonic()
        batch, self._buffer = self._buffer, []
        return batch

    def _write(self, conn: Any, batch: list[AssetResult]) -> None:
        if batch:
            record_events(conn, self._events(batch), self.run_id, _now())

    # -- internals -----------------------------------------------------------------------

    @staticmethod
    def _events(batch: list[AssetResult]) -> pa.Table:
        """The batch as columns (``EVENT_SCHEMA``); messages and extras redacted."""
        secrets = secret_values()
        return pa.table(
            {
                "asset_key": [r.asset_key for r in batch],
                "asset_kind": [r.asset_kind for r in batch],
                "partition_key": [r.partition_key for r in batch],
                "status": [r.status for r in batch],
                "rows_written": [r.rows for r in batch],
                "bytes_written": [r.bytes for r in batch],
                "file_path": [r.path for r in batch],
                "min_event": [r.min_event for r in batch],
                "max_event": [r.max_event for r in batch],
                "error_type": [r.error_type for r in batch],
                "error_message": [
                    redact_text(r.error_message, secrets) if r.error_message else None
                    for r in batch
                ],
                "extra_json": [
                    ledger_json(r.extra, secrets=secrets) if r.extra else None for r in batch
                ],
            },
            schema=EVENT_SCHEMA,
        )

    def _outcome(self, exc: BaseException | None) -> tuple[str, str | None, str | None]:
        if exc is not None:
            return "failed", error_type_of(exc), _message_of(exc)
        failed, ok = self._counts["failed"], self._counts["success"] + self._counts["skipped"]
        bad = [c for c in self._children if c[0] != "success"]
        if not failed and bad:
            status = "failed" if len(bad) == len(self._children) else "partial"
            message = f"{len(bad)} of {len(self._children)} steps did not succeed"
            return status, bad[0][1] or "internal", message
        if not failed:
            return "success", None, None
        first = self._first_failure
        assert first is not None
        message = f"{failed} of {failed + ok} partitions failed; first: {first.partition_key}: {first.error_message}"
        return ("partial" if ok else "failed"), first.error_type, message

    def _final_fields(self, error_type: str | None, message: str | None) -> dict[str, Any]:
        tokens: tuple[str, ...] = ()
        if self._first_failure is not None:
            tokens = (self._first_failure.partition_key, self._first_failure.scope_key)
        now = _now()
        return {
            "status": self.status,
            "ended_at": now,
            "heartbeat_at": now,
            "duration_ms": int((time.monotonic() - self._started) * 1000),
            "error_type": error_type,
            "error_message": redact_text(message)[:2000] if message else None,
            "error_fingerprint": fingerprint(self.job_name, error_type, message, tokens)
            if error_type
            else None,
        }

    def _background(self) -> None:
        """Insert the running row, then refresh its heartbeat until the run ends."""
        try:
            self._beat_until_stopped()
        finally:
            self._done.set()

    def _beat_until_stopped(self) -> None:
        self._insert_running_row()
        if self._row_error is not None:
            return
        quick = Warehouse(
            self.warehouse.path, RetryPolicy(max_wait_s=min(2.0, self.warehouse.retry.max_wait_s))
        )
        while not self._stop.wait(self.heartbeat_s):
            try:
                with quick.writer() as conn:
                    update_run(conn, self.run_id, {"heartbeat_at": _now()})
            except Exception:  # a missed heartbeat only delays abandonment detection
                continue


class NullRunLogger:
    """Records nothing (benchmarks measuring a job without the ledger)."""

    run_id = None
    status = "success"

    def record(self, result: AssetResult) -> None:
        pass

    def record_all(self, results: Iterable[AssetResult]) -> None:
        pass

    def note_child(self, status: str, error_type: str | None = None) -> None:
        pass
