"""``run daily``: the automation order for one session as child runs of one parent run.

candles → option bars → snapshots → flow → derived → briefing → dashboard → checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from options_helper.jobs.build_briefing import build_briefing
from options_helper.jobs.build_dashboard import build_dashboard
from options_helper.jobs.compute_derived import compute_derived
from options_helper.jobs.compute_flow import compute_flow
from options_helper.jobs.context import JobContext
from options_helper.jobs.ingest_candles import ingest_candles
from options_helper.jobs.ingest_options_bars import ingest_options_bars
from options_helper.jobs.report import JobReport
from options_helper.jobs.run_checks import run_checks_job
from options_helper.jobs.snapshot_options import snapshot_options
from options_helper.observability.run_logger import RunLogger

JOB_NAME = "run_daily"


@dataclass
class DailyReport:
    session: date
    run_id: str | None = None
    status: str = "success"
    reports: list[JobReport] = field(default_factory=list)

    def asdict(self) -> dict:
        return {
            "job_name": JOB_NAME,
            "run_id": self.run_id,
            "session": self.session,
            "status": self.status,
            "jobs": [r.asdict() for r in self.reports],
        }

    def asstr(self) -> str:
        head = f"run daily {self.session}: {self.status} (run {self.run_id})"
        return "\n".join([head, *(r.asstr() for r in self.reports)])


def run_daily(ctx: JobContext, symbols: list[str], session: date) -> DailyReport:
    """Run the daily pipeline for ``session`` in automation order under one parent run."""
    session = ctx.resolve_data_date(session)
    report = DailyReport(session)
    wh = ctx.ensure_warehouse()
    parent = RunLogger(
        wh,
        JOB_NAME,
        provider=ctx.provider.name,
        triggered_by=ctx.triggered_by,
        parent_run_id=ctx.parent_run_id,
        args={"symbols": symbols, "session": session},
    )
    with parent:
        report.run_id = parent.run_id
        child = replace(ctx, parent_run_id=parent.run_id)
        steps = (
            lambda: ingest_candles(child, symbols, end=session),
            lambda: ingest_options_bars(child, symbols, end=session),
            lambda: snapshot_options(child, symbols, as_of=session),
            lambda: compute_flow(child, symbols, as_of=session, with_payload=False),
            lambda: compute_derived(child, symbols, as_of=session),
            lambda: build_briefing(child, symbols, as_of=session),
            lambda: build_dashboard(child, symbols, as_of=session),
            lambda: run_checks_job(child, symbols=symbols, as_of=session),
        )
        for step in steps:
            result = step()
            report.reports.append(result)
            first_failure = result.failed[0].error_type if result.failed else None
            parent.note_child(result.status, first_failure)
    report.status = parent.status or "failed"
    return report
