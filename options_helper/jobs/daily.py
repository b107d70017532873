"""The automation order for one session: candles → option bars → snapshots."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from options_helper.jobs.context import JobContext
from options_helper.jobs.ingest_candles import ingest_candles
from options_helper.jobs.ingest_options_bars import ingest_options_bars
from options_helper.jobs.report import JobReport
from options_helper.jobs.snapshot_options import snapshot_options

_RANK = {"success": 0, "partial": 1, "failed": 2}


@dataclass
class DailyReport:
    session: date
    reports: list[JobReport] = field(default_factory=list)

    @property
    def status(self) -> str:
        worst = max((_RANK[r.status] for r in self.reports), default=0)
        if worst == 2 and any(r.status == "success" for r in self.reports):
            return "partial"
        return {0: "success", 1: "partial", 2: "failed"}[worst]

    def asdict(self) -> dict:
        return {
            "session": self.session,
            "status": self.status,
            "jobs": [r.asdict() for r in self.reports],
        }

    def asstr(self) -> str:
        return "\n".join(
            [f"session {self.session}: {self.status}", *(r.asstr() for r in self.reports)]
        )


def run_daily(ctx: JobContext, symbols: list[str], session: date) -> DailyReport:
    """Run the daily pipeline for ``session`` in automation order."""
    report = DailyReport(session)
    report.reports.append(ingest_candles(ctx, symbols, end=session))
    report.reports.append(ingest_options_bars(ctx, symbols, end=session))
    report.reports.append(snapshot_options(ctx, symbols, as_of=session))
    return report
