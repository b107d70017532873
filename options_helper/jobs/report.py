"""Result objects every job returns: machine form (``asdict``) and human form (``asstr``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

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


@dataclass(slots=True)
class JobReport:
    """What a job did: its parameters and one AssetResult per partition written."""

    job_name: str
    provider: str
    simulated: bool
    params: dict[str, Any] = field(default_factory=dict)
    assets: list[AssetResult] = field(default_factory=list)

    @property
    def status(self) -> str:
        """success: nothing failed; partial: some failed; failed: every attempted one failed."""
        failed = [a for a in self.assets if a.status == "failed"]
        if not failed:
            return "success"
        if len(failed) == len([a for a in self.assets if a.status != "skipped"]):
            return "failed"
        return "partial"

    @property
    def failed(self) -> list[AssetResult]:
        return [a for a in self.assets if a.status == "failed"]

    def rows_for(self, asset_key: str) -> int:
        return sum(a.rows for a in self.assets if a.asset_key == asset_key)

    def partitions(self, asset_key: str, status: str | None = None) -> list[str]:
        return [
            a.partition_key
            for a in self.assets
            if a.asset_key == asset_key and (status is None or a.status == status)
        ]

    def asdict(self) -> dict[str, Any]:
        return {
            "job_name": self.job_name,
            "status": self.status,
            "provider": self.provider,
            "simulated": self.simulated,
            "params": self.params,
            "assets": [asdict(a) for a in self.assets],
        }

    def asstr(self) -> str:
        keys = sorted({a.asset_key for a in self.assets})
        lines = [
            f"{self.job_name}: {self.status}" + (" (simulated data)" if self.simulated else "")
        ]
        for key in keys:
            ok = self.partitions(key, "success")
            skipped = self.partitions(key, "skipped")
            failed = self.partitions(key, "failed")
            events = [a for a in self.assets if a.asset_key == key and a.min_event]
            span = ""
            if events:
                lo = min(a.min_event for a in events if a.min_event)
                hi = max(a.max_event or a.min_event for a in events if a.min_event)
                span = f", {lo} .. {hi}"
            lines.append(
                f"  {key}: {len(ok)} ok, {len(skipped)} up to date, {len(failed)} failed, "
                f"{self.rows_for(key):,} rows{span}"
            )
        for a in self.failed:
            lines.append(f"  ✗ {a.asset_key} {a.partition_key}: {a.error_type}: {a.error_message}")
        return "\n".join(lines)
