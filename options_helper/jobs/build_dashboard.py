"""Job ``build_dashboard``: the console dashboard's data for one session (writes nothing)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from options_helper.errors import BadInputError
from options_helper.jobs.build_briefing import briefing_paths
from options_helper.jobs.context import JobContext
from options_helper.jobs.report import JobReport
from options_helper.jobs.research_common import resolve_research_date
from options_helper.observability.health import collect_health

JOB_NAME = "build_dashboard"


@dataclass
class DashboardData:
    session: date
    briefing: dict[str, Any]
    jobs: list[dict[str, Any]] = field(default_factory=list)
    failing_checks: int = 0
    stale_watermarks: int = 0

    def asdict(self) -> dict[str, Any]:
        return {
            "session": self.session,
            "briefing": self.briefing,
            "jobs": self.jobs,
            "failing_checks": self.failing_checks,
            "stale_watermarks": self.stale_watermarks,
        }


def build_dashboard(ctx: JobContext, symbols: list[str], *, as_of: date | None = None) -> JobReport:
    """Read the session's briefing JSON and the ledger's health into ``report.payload``."""
    ctx.ensure_warehouse()
    session = resolve_research_date(ctx, symbols, as_of)
    _, json_rel = briefing_paths(ctx, session)
    path = ctx.config.data_dir / json_rel
    if not path.exists():
        raise BadInputError(
            f"no briefing for {session} at {path}",
            hint=f"run `options-helper briefing --as-of {session}` first",
        )
    report = JobReport(
        JOB_NAME, ctx.provider.name, ctx.provider.simulated, params={"as_of": session}
    )
    with ctx.run(report):
        briefing = json.loads(path.read_text(encoding="utf-8"))
        health = collect_health(ctx.warehouse)
        report.payload = DashboardData(
            session,
            briefing,
            jobs=[
                {"job_name": j.job_name, "state": j.state, "last_status": j.last_status}
                for j in health.jobs
            ],
            failing_checks=len(health.failed_checks),
            stale_watermarks=sum(not w.fresh for w in health.watermarks),
        )
    return report
