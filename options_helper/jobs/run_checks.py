"""Job ``run_checks``: data-quality checks on demand or as the last step of ``run daily``."""

from __future__ import annotations

from datetime import date

from options_helper.errors import BadInputError
from options_helper.jobs.context import JobContext
from options_helper.jobs.report import JobReport
from options_helper.observability.checks import catalogue, partitions_for, run_checks

JOB_NAME = "run_checks"


def checked_assets() -> list[str]:
    return sorted({c["asset_key"] for c in catalogue()})


def run_checks_job(
    ctx: JobContext,
    *,
    assets: list[str] | None = None,
    symbols: list[str] | None = None,
    as_of: date | None = None,
) -> JobReport:
    """Run the catalogue's checks for ``assets`` (default all) on ``symbols`` (default every
    stored partition). Snapshot partitions are limited to ``as_of`` when symbols are given.
    """
    known = checked_assets()
    unknown = sorted(set(assets or []) - set(known))
    if unknown:
        raise BadInputError(
            f"no checks for asset(s) {', '.join(unknown)}", hint=f"known: {', '.join(known)}"
        )
    as_of = ctx.resolve_data_date(as_of)
    wh = ctx.ensure_warehouse()
    report = JobReport(
        JOB_NAME,
        ctx.provider.name,
        ctx.provider.simulated,
        params={"assets": assets or known, "symbols": symbols, "as_of": as_of},
    )
    latest = ctx.latest_session()
    with ctx.run(report):
        for asset in assets or known:
            partitions = check_partitions(wh, asset, symbols, as_of)
            if partitions:
                report.checks.extend(
                    run_checks(
                        wh,
                        ctx.config.data_dir,
                        asset,
                        partitions,
                        as_of=as_of,
                        latest_session=latest,
                        run_id=report.run_id,
                    )
                )
    return report


def check_partitions(wh, asset: str, symbols: list[str] | None, as_of: date) -> list[str]:
    """The stored partitions of ``asset`` to check: all, or those of ``symbols`` (snapshots and
    other date-keyed partitions: only the ``as_of`` one)."""
    stored = partitions_for(wh, asset)
    if symbols is None:
        return stored
    wanted = set(symbols)
    if any("|" in p for p in stored) or asset == "options_snapshot_file":
        keys = {f"{s}|{as_of.isoformat()}" for s in wanted}
        return [p for p in stored if p in keys]
    return [p for p in stored if p in wanted]
