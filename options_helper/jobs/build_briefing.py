"""Job ``build_briefing``: one Markdown and one JSON briefing per session."""

from __future__ import annotations

from datetime import UTC, date, datetime

from options_helper.files.atomic import write_text_atomic
from options_helper.jobs.briefing_data import gather
from options_helper.jobs.briefing_markdown import render_markdown
from options_helper.jobs.context import JobContext
from options_helper.jobs.report import AssetResult, JobReport
from options_helper.jobs.research_common import resolve_research_date
from options_helper.jobs.writes import storage_failure
from options_helper.jsonutil import dumps

JOB_NAME = "build_briefing"
ASSET = "briefing_markdown"


def briefing_paths(ctx: JobContext, session: date) -> tuple[str, str]:
    rel = f"reports/briefing/{session.isoformat()}"
    return f"{rel}.md", f"{rel}.json"


def build_briefing(ctx: JobContext, symbols: list[str], *, as_of: date | None = None) -> JobReport:
    """Write ``reports/briefing/<date>.md`` and ``.json`` for one session.

    The Markdown is a pure function of the warehouse (no wall-clock time), so rebuilding
    gives identical bytes; the JSON also carries ``generated_at``. Rerunning replaces both.
    """
    ctx.ensure_warehouse()
    session = resolve_research_date(ctx, symbols, as_of)
    report = JobReport(
        JOB_NAME,
        ctx.provider.name,
        ctx.provider.simulated,
        params={"symbols": symbols, "as_of": session},
    )
    with ctx.run(report):
        data = gather(ctx.config, symbols, session, ctx.provider.name, ctx.provider.simulated)
        markdown = render_markdown(data)
        md_rel, json_rel = briefing_paths(ctx, session)
        result = AssetResult(
            ASSET,
            session.isoformat(),
            "success",
            asset_kind="report",
            rows=len(data["symbols"]),
            path=md_rel,
            min_event=session,
            max_event=session,
            extra={"json_path": json_rel},
        )
        ctx.warehouse.ready_to_write()
        try:
            result.bytes = write_text_atomic(ctx.config.data_dir / md_rel, markdown)
            generated = datetime.now(UTC).isoformat(timespec="seconds")
            write_text_atomic(
                ctx.config.data_dir / json_rel, dumps(data | {"generated_at": generated}) + "\n"
            )
        except OSError as exc:
            result = storage_failure([result], exc)[0]
        report.add(result)
        report.payload = {"data": data, "markdown": markdown}
    return report
