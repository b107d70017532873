"""Find runs left ``running`` by a process that no longer exists and mark them abandoned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from options_helper.observability import runtime
from options_helper.warehouse import Warehouse, WarehouseBusyError
from options_helper.warehouse.connection import RetryPolicy
from options_helper.warehouse.ledger import mark_abandoned, running_runs

# Heartbeats come every 5 s; a run on another host is presumed dead after this much silence.
STALE_HEARTBEAT = timedelta(minutes=2)


def find_abandoned(
    rows: list[tuple[str, int | None, str | None, datetime | None]],
    now: datetime,
    this_host: str,
    stale_after: timedelta = STALE_HEARTBEAT,
) -> list[str]:
    """Run ids whose process is gone (same host) or whose heartbeat is stale (any host)."""
    dead = []
    for run_id, pid, host, heartbeat in rows:
        process_gone = host == this_host and pid is not None and not runtime.process_alive(pid)
        silent = heartbeat is not None and now - heartbeat > stale_after
        if process_gone or silent:
            dead.append(run_id)
    return dead


def reap_abandoned(warehouse: Warehouse, *, stale_after: timedelta = STALE_HEARTBEAT) -> list[str]:
    """Mark dead ``running`` runs as abandoned; returns their ids. Best effort when busy."""
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        with warehouse.reader() as conn:
            rows = running_runs(conn)
        dead = find_abandoned(rows, now, runtime.host(), stale_after)
        if dead:
            quick = Warehouse(warehouse.path, RetryPolicy(max_wait_s=5.0))
            with quick.writer() as conn:
                mark_abandoned(conn, dead, now)
    except WarehouseBusyError:
        return []
    return dead
