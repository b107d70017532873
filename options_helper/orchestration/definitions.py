"""Dagster definitions: the CLI's jobs as assets partitioned by XNYS session.

Each asset calls the same job function as the CLI, with ``triggered_by='dagster'`` and the
Dagster run id as ``parent_run_id``, so Dagster runs appear in ``meta.*`` (and the portal) like
any other. Asset checks call the same check functions as ``checks run`` and persist to
``meta.asset_checks``. One in-process executor: DuckDB allows one writing process.

Configuration comes from the OPTIONS_HELPER_* environment variables, as for the CLI; the
symbols are the CLI's default selection (portfolio underlyings + the 'default' watchlist).
"""

import os
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime

import dagster as dg

from options_helper.config import SETTINGS_BY_NAME, load_config
from options_helper.domain import calendar
from options_helper.errors import BadInputError, OptionsHelperError
from options_helper.jobs.build_briefing import build_briefing
from options_helper.jobs.compute_derived import compute_derived
from options_helper.jobs.compute_flow import compute_flow
from options_helper.jobs.context import JobContext
from options_helper.jobs.ingest_candles import ingest_candles
from options_helper.jobs.ingest_options_bars import ingest_options_bars
from options_helper.jobs.report import JobReport
from options_helper.jobs.run_checks import check_partitions, checked_assets
from options_helper.jobs.snapshot_options import snapshot_options
from options_helper.jobs.symbols import select_symbols
from options_helper.observability.checks.runner import run_checks

START_ENV = SETTINGS_BY_NAME["dagster_start"].env
DEFAULT_START = date.fromisoformat(SETTINGS_BY_NAME["dagster_start"].default)
SCHEDULE_CRON = "30 17 * * 1-5"  # 17:30 New York, after the close and the provider's settle
TIMEZONE = "America/New_York"


def first_session() -> date:
    """OPTIONS_HELPER_DAGSTER_START (YYYY-MM-DD; unset or empty: 2025-01-02)."""
    raw = os.environ.get(START_ENV, "").strip()
    if not raw:
        return DEFAULT_START
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadInputError(
            f"{START_ENV}={raw!r} is not a date",
            hint=f"use YYYY-MM-DD (default {DEFAULT_START.isoformat()}) or unset it",
        ) from None


def session_keys(now: datetime | None = None) -> list[str]:
    """XNYS sessions from OPTIONS_HELPER_DAGSTER_START (default 2025-01-02) through the
    latest completed one: the partition keys (weekends and holidays are not partitions)."""
    last = calendar.latest_completed_session(now or datetime.now(UTC))
    return [d.isoformat() for d in calendar.sessions_between(first_session(), last)]


def _partitions() -> dg.StaticPartitionsDefinition:
    try:
        return dg.StaticPartitionsDefinition(session_keys())
    except OptionsHelperError as exc:
        # A configuration mistake found while Dagster imports this module: Dagster would show
        # any exception with its stack trace, so say it in one line and exit (2: bad input).
        sys.stderr.write(f"error: {exc.one_line()}\n")
        raise SystemExit(exc.exit_code) from None


SESSIONS = _partitions()


def _job_context(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> JobContext:
    ctx = JobContext.from_config(
        load_config({}), triggered_by="dagster", parent_run_id=context.run.run_id
    )
    # The asset checks below run the post-job checks, as Dagster asset checks.
    return replace(ctx, post_checks=False)


def _materialize(
    context: dg.AssetExecutionContext, run: Callable[[JobContext, list[str], date], JobReport]
) -> dg.MaterializeResult:
    ctx = _job_context(context)
    session = date.fromisoformat(context.partition_key)
    report = run(ctx, select_symbols(ctx.config), session)
    metadata = {
        "ledger_run_id": report.run_id or "",
        "status": report.status,
        "simulated": report.simulated,
        "partitions": len(report.assets),
        "rows": sum(a.rows for a in report.assets),
    }
    if report.status == "failed":
        raise dg.Failure(
            description=f"{report.job_name} failed: {report.failed[0].error_message}",
            metadata=metadata,
        )
    if report.status == "partial":
        failed = ", ".join(a.partition_key for a in report.failed)
        context.log.warning(f"{report.job_name}: partial; failed partitions: {failed}")
    return dg.MaterializeResult(metadata=metadata)


def _asset(name: str, deps: list[str], description: str, run) -> dg.AssetsDefinition:
    @dg.asset(
        name=name,
        deps=deps,
        partitions_def=SESSIONS,
        description=description,
        group_name="options_helper",
        kinds={"duckdb"},
    )
    def _fn(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        return _materialize(context, run)

    return _fn


ASSETS = [
    _asset(
        "candles_daily",
        [],
        "Daily OHLCV per symbol (`ingest candles`).",
        lambda ctx, symbols, session: ingest_candles(ctx, symbols, end=session),
    ),
    _asset(
        "options_bars",
        [],
        "Contracts and their daily option bars (`ingest options-bars`).",
        lambda ctx, symbols, session: ingest_options_bars(ctx, symbols, end=session),
    ),
    _asset(
        "options_snapshot_file",
        [],
        "Full chain per symbol to Parquet, IV and Greeks computed locally (`snapshot-options`).",
        lambda ctx, symbols, session: snapshot_options(ctx, symbols, as_of=session),
    ),
    _asset(
        "options_flow",
        ["options_snapshot_file"],
        "Contract-level ΔOI flow against the previous session (`flow`).",
        lambda ctx, symbols, session: compute_flow(ctx, symbols, as_of=session, with_payload=False),
    ),
    _asset(
        "derived_metrics",
        ["options_snapshot_file", "candles_daily"],
        "Volatility and positioning metrics per symbol (`derived update`).",
        lambda ctx, symbols, session: compute_derived(ctx, symbols, as_of=session),
    ),
    _asset(
        "briefing_markdown",
        ["options_flow", "derived_metrics", "candles_daily"],
        "The daily Markdown + JSON briefing (`briefing`).",
        lambda ctx, symbols, session: build_briefing(ctx, symbols, as_of=session),
    ),
]

# Every asset the check catalogue covers (`checks list`) gets an asset check.
CHECKED_ASSETS = tuple(name for a in ASSETS if (name := a.key.to_user_string()) in checked_assets())


def _check(asset_key: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=asset_key,
        name=f"{asset_key}_quality",
        description=f"Every check of the catalogue for {asset_key} (`checks list`), persisted "
        "to meta.asset_checks.",
        blocking=False,
    )
    def _fn(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        ctx = _job_context(context)
        key = context.run.tags.get("dagster/partition")
        session = date.fromisoformat(key) if key else ctx.latest_session()
        wh = ctx.ensure_warehouse()
        symbols = select_symbols(ctx.config)
        partitions = check_partitions(wh, asset_key, symbols, session)
        results = run_checks(
            wh,
            ctx.config.data_dir,
            asset_key,
            partitions,
            as_of=session,
            latest_session=ctx.latest_session(),
        )
        errors = [r for r in results if r.failed and r.severity == "error"]
        warns = [r for r in results if r.failed and r.severity == "warn"]
        return dg.AssetCheckResult(
            passed=not errors and not warns,
            severity=dg.AssetCheckSeverity.ERROR if errors else dg.AssetCheckSeverity.WARN,
            metadata={
                "session": session.isoformat(),
                "checks": len(results),
                "failing_error": len(errors),
                "failing_warn": len(warns),
                "first_failure": (errors or warns)[0].message if errors or warns else "",
            },
        )

    return _fn


CHECKS = [_check(a) for a in CHECKED_ASSETS]

daily_job = dg.define_asset_job(
    "options_helper_daily",
    selection=dg.AssetSelection.assets(*[a.key for a in ASSETS]),
    description="The daily pipeline for one XNYS session (what `run daily` does).",
)


@dg.schedule(cron_schedule=SCHEDULE_CRON, job=daily_job, execution_timezone=TIMEZONE)
def after_the_close(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    """On each XNYS session day after the close: the daily job for that session."""
    day = context.scheduled_execution_time.date()
    if not calendar.is_session(day):
        return dg.SkipReason(f"{day} is not an XNYS session")
    key = day.isoformat()
    if key not in SESSIONS.get_partition_keys():
        return dg.SkipReason(f"{key} is not a partition yet: reload the code location")
    return dg.RunRequest(run_key=key, partition_key=key)


defs = dg.Definitions(
    assets=ASSETS,
    asset_checks=CHECKS,
    jobs=[daily_job],
    schedules=[after_the_close],
    executor=dg.in_process_executor,
)
