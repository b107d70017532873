"""Check model: a check is a function over the warehouse for one asset partition."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

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
    """

    conn: Any
    data_dir: Path
    partition_key: str
    as_of: date


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a check function returns."""

    status: CheckStatus
    message: str
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    asset_key: str
    severity: Severity
    description: str
    fn: Callable[[CheckInput], Outcome]


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
