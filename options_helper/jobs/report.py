"""Result objects every job returns: machine form (``asdict``) and human form (``asstr``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from options_helper.observability.events import AssetResult

__all__ = ["AssetResult", "JobReport"]


@dataclass(slots=True)
class JobReport:
    """What a job did: its parameters and one AssetResult per partition written."""

    job_name: str
    provider: str
    simulated: bool
    params: dict[str, Any] = field(default_factory=dict)
    assets: list[AssetResult] = field(default_factory=list)
    run_id: str | None = None
    checks: list[Any] = field(default_factory=list)
    # The RunLogger recording this job while it runs (set by JobContext.run).
    sink: Any = field(default=None, repr=False, compare=False)
    # Check results computed before a write, persisted with the post-job checks.
    pending_checks: list[Any] = field(default_factory=list, repr=False, compare=False)
    # What the job computed, for the command that renders it (not part of asdict()).
    payload: Any = field(default=None, repr=False, compare=False)

    def add(self, *results: AssetResult) -> None:
        """Append results and record them in the run ledger."""
        self.assets.extend(results)
        if self.sink is not None:
            self.sink.record_all(results)

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
            "run_id": self.run_id,
            "status": self.status,
            "provider": self.provider,
            "simulated": self.simulated,
            "params": self.params,
            "assets": [asdict(a) for a in self.assets],
            "checks": [c.asdict() for c in self.checks],
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
        for a in self.assets:
            if a.extra.get("note"):  # something a job did beside its rows, e.g. a clean-up
                lines.append(f"  - {a.asset_key} {a.partition_key}: {a.extra['note']}")
        if self.checks:
            failing = [c for c in self.checks if c.failed]
            lines.append(f"  checks: {len(self.checks) - len(failing)} ok, {len(failing)} failing")
            for c in failing[:20]:
                lines.append(
                    f"  ! {c.severity} {c.check_name} {c.partition_key}: {c.status}: {c.message}"
                )
        if self.run_id:
            lines.append(f"  run {self.run_id}")
        return "\n".join(lines)
