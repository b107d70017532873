"""Data-quality checks run after (or, for batches, before) a job writes its asset.

Non-blocking by design: a failing check, or a check that cannot run, never fails the job; the
results are persisted to ``meta.asset_checks`` and attached to the report.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from options_helper.errors import OptionsHelperError
from options_helper.jobs.context import JobContext
from options_helper.jobs.report import JobReport
from options_helper.observability.checks import (
    check_candle_batch_duplicates,
    dedupe_candle_batch,
    persist_results,
    run_checks,
)


def run_post_checks(
    ctx: JobContext, report: JobReport, asset_key: str, partitions: list[str], as_of: date
) -> None:
    """Run the checks of ``asset_key`` on the partitions just written and persist them with
    any batch-check results still pending, in one transaction."""
    if not ctx.post_checks:
        return
    try:
        results = (
            run_checks(
                ctx.warehouse,
                ctx.config.data_dir,
                asset_key,
                partitions,
                as_of=as_of,
                latest_session=ctx.latest_session(),
                run_id=report.run_id,
                persist=False,
            )
            if partitions
            else []
        )
        persist_results(ctx.warehouse, [*report.pending_checks, *results], report.run_id)
    except OptionsHelperError as exc:  # a failing check never fails the job; busy/full ledger
        report.params.setdefault("check_errors", []).append(f"{asset_key}: {exc}")
        return
    report.pending_checks.clear()
    report.checks.extend(results)


def screen_batch(ctx: JobContext, report: JobReport, table: pa.Table) -> pa.Table:
    """Run the pre-write duplicate check on a candle batch (persisted with the post-job
    checks) and drop duplicate keys."""
    if not ctx.post_checks:
        return dedupe_candle_batch(table)
    try:
        results = check_candle_batch_duplicates(table)
    except OptionsHelperError as exc:
        report.params.setdefault("check_errors", []).append(f"candles batch: {exc}")
        return table
    report.checks.extend(results)
    report.pending_checks.extend(results)
    if any(r.failed for r in results):
        return dedupe_candle_batch(table)
    return table
