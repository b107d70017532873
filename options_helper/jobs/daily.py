"""``run daily``: the automation order for one session (:data:`STEPS`) as child runs of one
parent run. ``run daily --help`` and docs/cli.md show :data:`STEP_SUMMARY`, built from the same list.
"""

from __future__ import annotations

from collections.abc import Callable
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


@dataclass(frozen=True)
class Step:
    label: str  # as help and docs name it
    run: Callable[[JobContext, list[str], date], JobReport]


# The automation order: each step reads what the ones before it wrote.
STEPS: tuple[Step, ...] = (
    Step("candles", lambda ctx, symbols, day: ingest_candles(ctx, symbols, end=day)),
    Step("option bars", lambda ctx, symbols, day: ingest_options_bars(ctx, symbols, end=day)),
    Step("snapshots", lambda ctx, symbols, day: snapshot_options(ctx, symbols, as_of=day)),
    Step(
        "flow",
        lambda ctx, symbols, day: compute_flow(ctx, symbols, as_of=day, with_payload=False),
    ),
    Step("derived", lambda ctx, symbols, day: compute_derived(ctx, symbols, as_of=day)),
    Step("briefing", lambda ctx, symbols, day: build_briefing(ctx, symbols, as_of=day)),
    Step("dashboard", lambda ctx, symbols, day: build_dashboard(ctx, symbols, as_of=day)),
    Step("checks", lambda ctx, symbols, day: run_checks_job(ctx, symbols=symbols, as_of=day)),
)
STEP_SUMMARY = " → ".join(step.label for step in STEPS)


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
        for step in STEPS:
            result = step.run(child, symbols, session)
            report.reports.append(result)
            first_failure = result.failed[0].error_type if result.failed else None
            parent.note_child(result.status, first_failure)
    report.status = parent.status or "failed"
    return report
