"""Check model: a check is a function over the warehouse for asset partitions.

A check gives ``fn`` (one partition) and, when its question can be asked of many partitions at
once, ``batch_fn`` (every partition of a run in one query). The runner prefers ``batch_fn``;
:func:`one_partition` derives ``fn`` from it so both always agree.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from options_helper.warehouse.failures import raise_if_interrupt

Severity = Literal["warn", "error"]
CheckStatus = Literal["pass", "fail", "error", "skip"]


@dataclass(frozen=True, slots=True)
class CheckInput:
    """What a check function gets.

    Attributes:
        conn: a read-only DuckDB connection to the warehouse (do not keep it).
        data_dir: the data root (snapshot files are relative to it).
        partition_key: the partition checked: a symbol, or ``SYMBOL|YYYY-MM-DD`` for snapshots.
        as_of: the data date the caller considers current (latest completed session unless
            the caller says otherwise); staleness and gaps are measured against it.
        latest_session: the latest completed session; rows dated after it are in the future.
            None: ``as_of``. Separate from ``as_of`` so that checking an older session (a
            backfill, a Dagster partition) does not flag the real rows stored after it.
    """

    conn: Any
    data_dir: Path
    partition_key: str
    as_of: date
    latest_session: date | None = None

    @property
    def future_after(self) -> date:
        """Rows dated after this day are in the future."""
        return max(self.latest_session or self.as_of, self.as_of)


@dataclass(frozen=True, slots=True)
class BatchInput:
    """What a batch check function gets: :class:`CheckInput` for many partitions.

    Attributes:
        partition_keys: the partitions to check, unique, in the caller's order.
        memo: scratch shared by every check of one run (e.g. a snapshot file read once and
            used by five checks); keys are namespaced by the module that fills them.
    """

    conn: Any
    data_dir: Path
    partition_keys: tuple[str, ...]
    as_of: date
    memo: dict[str, Any] = field(default_factory=dict)
    latest_session: date | None = None

    @property
    def future_after(self) -> date:
        """Rows dated after this day are in the future (see :class:`CheckInput`)."""
        return max(self.latest_session or self.as_of, self.as_of)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a check function returns."""

    status: CheckStatus
    message: str
    metrics: dict[str, Any] = field(default_factory=dict)


CheckFn = Callable[[CheckInput], Outcome]
# One entry per partition key; an exception is that partition's failure (the runner records it
# as an ``error`` result, as it does for a raising ``fn``).
BatchOutcomes = Mapping[str, Outcome | Exception]
BatchFn = Callable[[BatchInput], BatchOutcomes]


@dataclass(frozen=True, slots=True)
class Check:
    """A check: what it is called, the asset it guards, and how to run it on one partition
    (``fn``) or, when it can be batched, on all the partitions of a run (``batch_fn``)."""

    name: str
    asset_key: str
    severity: Severity
    description: str
    fn: CheckFn
    batch_fn: BatchFn | None = None

    @classmethod
    def batched(
        cls, name: str, asset_key: str, severity: Severity, description: str, batch_fn: BatchFn
    ) -> Check:
        """A check defined by its batch function; ``fn`` runs it on one partition."""
        return cls(name, asset_key, severity, description, one_partition(batch_fn), batch_fn)


def one_partition(batch_fn: BatchFn) -> CheckFn:
    """``batch_fn`` as a single-partition check function (re-raising a partition's exception)."""

    def check(inp: CheckInput) -> Outcome:
        key = inp.partition_key
        got = batch_fn(
            BatchInput(inp.conn, inp.data_dir, (key,), inp.as_of, latest_session=inp.latest_session)
        )[key]
        if isinstance(got, Exception):
            raise got
        return got

    check.__doc__ = batch_fn.__doc__
    check.__name__ = getattr(batch_fn, "__name__", "check")
    return check


def each_partition(
    keys: Iterable[str], judge: Callable[[str], Outcome]
) -> dict[str, Outcome | Exception]:
    """``judge(key)`` for every key, keeping an exception as that key's outcome."""
    out: dict[str, Outcome | Exception] = {}
    for key in keys:
        try:
            out[key] = judge(key)
        except Exception as exc:  # one bad partition must not hide the others' results
            raise_if_interrupt(exc)
            out[key] = exc
    return out


@dataclass(slots=True)
class CheckResult:
    """One persisted row of ``meta.asset_checks``."""

    asset_key: str
    partition_key: str
    check_name: str
    severity: Severity
    status: CheckStatus
    message: str
    metrics: dict[str, Any] = field(default_factory=dict)
    check_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def failed(self) -> bool:
        return self.status in ("fail", "error")

    def asdict(self) -> dict[str, Any]:
        return {
            "check_id": self.check_id,
            "asset_key": self.asset_key,
            "partition_key": self.partition_key,
            "check_name": self.check_name,
            "severity": self.severity,
            "status": self.status,
            "message": self.message,
            "metrics": self.metrics,
        }
