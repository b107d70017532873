"""Job ``snapshot_options``: full-chain snapshot per symbol and data date as Parquet files."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyarrow as pa

from options_helper.domain import calendar
from options_helper.domain.chain import enrich_chain
from options_helper.errors import BadInputError, OptionsHelperError
from options_helper.jobs.context import JobContext, require_in_calendar
from options_helper.jobs.frames import now_naive_utc
from options_helper.jobs.postchecks import run_post_checks
from options_helper.jobs.report import AssetResult, JobReport
from options_helper.jobs.writes import storage_failure
from options_helper.providers.base import CHAIN_COLUMNS
from options_helper.providers.errors import BadPayloadError, ProviderError
from options_helper.warehouse.failures import storage_errors
from options_helper.warehouse.snapshots import upsert_snapshot_index, write_snapshot_file

JOB_NAME = "snapshot_options"
ASSET = "options_snapshot_file"


def snapshot_options(
    ctx: JobContext,
    symbols: list[str],
    *,
    as_of: date | None = None,
    start: date | None = None,
    end: date | None = None,
) -> JobReport:
    """Snapshot every listed expiry of each symbol for one data date (or each session of
    ``[start, end]``, for providers with history).

    Each symbol's chain is written atomically to ``snapshots/<SYMBOL>/<date>.parquet`` with
    IV and Greeks computed locally, then indexed; re-running replaces both.
    """
    dates = _data_dates(ctx, as_of, start, end)
    ctx.ensure_warehouse()
    params = {"symbols": symbols, "as_of": dates[-1]}
    if len(dates) > 1:
        params |= {"start": dates[0], "end": dates[-1]}
    report = JobReport(JOB_NAME, ctx.provider.name, ctx.provider.simulated, params=params)
    with ctx.run(report):
        label = f"snapshots {dates[0]}" + (f" .. {dates[-1]}" if len(dates) > 1 else "")
        ctx.progress.start(len(symbols) * len(dates), label)
        for data_date in dates:
            for symbol in symbols:
                report.add(_snapshot_symbol(ctx, symbol, data_date))
                ctx.progress.advance(1, f"{symbol} {data_date}")
        run_post_checks(ctx, report, ASSET, report.partitions(ASSET, "success"), dates[-1])
    return report


def _data_dates(
    ctx: JobContext, as_of: date | None, start: date | None, end: date | None
) -> list[date]:
    if start is None and end is None:
        return [ctx.resolve_data_date(as_of)]
    if as_of is not None:
        raise BadInputError("use either --as-of or --start/--end, not both")
    last = ctx.resolve_data_date(calendar.session_on_or_before(end) if end else None)
    if start is None or start > last:
        raise BadInputError("--start is required and must not be after --end")
    require_in_calendar(start, "--start")
    dates = calendar.sessions_between(start, last)
    if len(dates) > 1 and not ctx.provider.supports_history:
        raise BadInputError(
            f"provider {ctx.provider.name!r} serves only the latest session",
            hint="use --provider sim for historical sessions",
        )
    return dates


def fetch_chain(ctx: JobContext, symbol: str, data_date: date) -> tuple[pd.DataFrame, float]:
    """All expiries of one symbol's chain on ``data_date`` and the spot it is quoted against."""
    spot = float(ctx.provider.get_spot(symbol, data_date))
    expiries = ctx.provider.list_expiries(symbol, data_date)
    frames = []
    for expiry in expiries:
        part = ctx.provider.get_chain(symbol, expiry, data_date)
        missing = [c for c in CHAIN_COLUMNS if c not in part.columns]
        if missing:
            raise BadPayloadError(f"chain payload lacks columns {missing}", symbol=symbol)
        frames.append(part[list(CHAIN_COLUMNS)])
    if not frames:
        raise BadPayloadError(f"no expiries listed for {symbol} on {data_date}", symbol=symbol)
    return pd.concat(frames, ignore_index=True), spot


def _snapshot_symbol(ctx: JobContext, symbol: str, data_date: date) -> AssetResult:
    partition = f"{symbol}|{data_date.isoformat()}"
    try:
        chain, spot = fetch_chain(ctx, symbol, data_date)
    except ProviderError as exc:
        return AssetResult(
            ASSET,
            partition,
            "failed",
            asset_kind="file",
            error_type=exc.error_type,
            error_message=str(exc),
        )
    enriched = enrich_chain(chain, spot=spot, data_date=data_date, rate=ctx.config.risk_free_rate)
    enriched.insert(2, "data_date", data_date)
    enriched["provider"] = ctx.provider.name
    enriched["simulated"] = ctx.provider.simulated
    table = pa.Table.from_pandas(enriched, preserve_index=False)
    result = AssetResult(
        ASSET,
        partition,
        "success",
        asset_kind="file",
        min_event=data_date,
        max_event=data_date,
        extra={"expiries": int(chain["expiry"].nunique()), "spot": spot},
    )
    try:
        ctx.warehouse.ready_to_write()  # the run's ledger row exists before the file
        with storage_errors(ctx.config.data_dir):
            written = write_snapshot_file(ctx.config.data_dir, symbol, data_date, table)
        index_row = pa.table(
            {
                "symbol": [symbol],
                "data_date": pa.array([data_date], pa.date32()),
                "path": [written.rel_path],
                "rows": [written.rows],
                "bytes": [written.bytes],
                "expiries": pa.array([result.extra["expiries"]], pa.int32()),
                "spot": [spot],
                "provider": [ctx.provider.name],
                "simulated": [ctx.provider.simulated],
                "written_at": pa.array([now_naive_utc()], pa.timestamp("us")),
            }
        )
        with ctx.warehouse.writer() as conn:
            upsert_snapshot_index(conn, index_row)
    except OptionsHelperError as exc:
        return storage_failure([result], exc)[0]
    result.rows, result.bytes, result.path = written.rows, written.bytes, written.rel_path
    return result
