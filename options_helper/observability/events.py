"""What a job records about each partition it wrote (one ``meta.ingestion_run_assets`` row)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

# ASCII digits, whole string: the same rule as the SQL in warehouse/ledger.py.
_DATE_KEY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

AssetStatus = Literal["success", "failed", "skipped"]


@dataclass(slots=True)
class AssetResult:
    """Outcome of writing one partition of one asset."""

    asset_key: str
    partition_key: str
    status: AssetStatus
    asset_kind: Literal["table", "file", "report"] = "table"
    rows: int = 0
    bytes: int = 0
    path: str | None = None
    min_event: date | None = None
    max_event: date | None = None
    error_type: str | None = None
    error_message: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def scope_key(self) -> str:
        """The watermark scope: the symbol of ``SYMBOL`` / ``SYMBOL|date`` partitions, or
        ``all`` for date-only partitions (one watermark for the whole asset)."""
        head = self.partition_key.split("|", 1)[0]
        return "all" if _DATE_KEY.fullmatch(head) else head
