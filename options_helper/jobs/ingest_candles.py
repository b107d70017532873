"""Job ``ingest_candles``: daily underlying OHLCV into ``candles_daily``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa

from options_helper.domain import calendar
from options_helper.errors import BadInputError, OptionsHelperError
from options_helper.jobs.context import JobContext, require_in_calendar
from options_helper.jobs.frames import (
    check_range,
    constant,
    frame_to_arrow,
    now_naive_utc,
    typed_column,
)
from options_helper.jobs.postchecks import run_post_checks, screen_batch
from options_helper.jobs.report import AssetResult, JobReport
from options_helper.jobs.writes import storage_failure
from options_helper.providers.base import CANDLE_COLUMNS
from options_helper.providers.errors import BadPayloadError, ProviderError
from options_helper.warehouse.candles import first_missing_sessions, upsert_candles

JOB_NAME = "ingest_candles"
ASSET = "candles_daily"
BACKFILL_YEARS = 2


def candles_to_arrow(
    symbol: str, df, start: date, end: date, provider: str, ingested_at: datetime
) -> pa.Table:
    """Validate one provider frame and shape it as candles_daily rows."""
    raw = frame_to_arrow(df, CANDLE_COLUMNS, "candles", symbol, skip=("symbol",))
    n = raw.num_rows
    sessions = typed_column(raw, "session", pa.date32(), "candles", symbol)
    check_range(sessions, start, end, "candles", symbol)
    prices = {
        c: typed_column(raw, c, pa.float64(), "candles", symbol)
        for c in ("open", "high", "low", "close")
    }
    return pa.table(
        {
            "symbol": constant(symbol, n, pa.string()),
            "session": sessions,
            **prices,
            "volume": typed_column(raw, "volume", pa.int64(), "candles", symbol),
            "provider": constant(provider, n, pa.string()),
            "ingested_at": constant(ingested_at, n, pa.timestamp("us")),
        }
    )


@dataclass
class _Batch:
    """Fetched frames waiting for one conversion and one write transaction."""

    frames: list[tuple[str, pd.DataFrame, date]] = field(default_factory=list)
    rows: int = 0


def _resolve_end(ctx: JobContext, end: date | None) -> date:
    latest = ctx.latest_session()
    if end is None:
        return latest
    if end > latest:
        raise BadInputError(
            f"--end {end} is after the latest completed session {latest}",
            hint="candles exist only for completed sessions",
        )
    require_in_calendar(end, "--end")
    return calendar.session_on_or_before(end)


def ingest_candles(
    ctx: JobContext,
    symbols: list[str],
    *,
    start: date | None = None,
    end: date | None = None,
    backfill_years: int = BACKFILL_YEARS,
    batch_rows: int = 2_000_000,
) -> JobReport:
    """Fetch and upsert daily candles for ``symbols``.

    Args:
        start: first session to fetch; default is incremental (the first session missing
            from the symbol's first stored one through ``end``, so a hole is refilled and a row
            dated after ``end`` does not count) or, for a symbol with no candle on or before
            ``end``, a backfill of ``backfill_years``.
        end: last session (default: latest completed session).
        batch_rows: rows buffered before one write transaction.
    """
    end = _resolve_end(ctx, end)
    if start is not None:
        require_in_calendar(start, "--start")
    if start is not None and start > end:
        raise BadInputError(f"--start {start} is after --end {end}")
    wh = ctx.ensure_warehouse()
    planned: dict[str, date | None] = {}
    if start is None:
        with wh.reader() as conn:
            planned = first_missing_sessions(conn, symbols, end)
    report = JobReport(
        JOB_NAME,
        ctx.provider.name,
        ctx.provider.simulated,
        params={"symbols": symbols, "start": start, "end": end},
    )
    with ctx.run(report):
        _ingest(ctx, report, symbols, planned, start, end, backfill_years, batch_rows)
        run_post_checks(ctx, report, ASSET, report.partitions(ASSET, "success"), end)
    return report


def _ingest(
    ctx: JobContext,
    report: JobReport,
    symbols: list[str],
    planned: dict[str, date | None],
    start: date | None,
    end: date,
    backfill_years: int,
    batch_rows: int,
) -> None:
    ingested_at = now_naive_utc()
    batch = _Batch()
    ctx.progress.start(len(symbols), "candles")
    for symbol in symbols:
        sym_start = start or _default_start(symbol, planned, end, backfill_years)
        if sym_start > end:
            report.add(AssetResult(ASSET, symbol, "skipped", extra={"reason": "up to date"}))
            ctx.progress.advance(1, symbol)
            continue
        try:
            df = ctx.provider.get_candles(symbol, sym_start, end)
        except ProviderError as exc:
            report.add(
                AssetResult(
                    ASSET, symbol, "failed", error_type=exc.error_type, error_message=str(exc)
                )
            )
            ctx.progress.advance(1, symbol)
            continue
        batch.frames.append((symbol, df, sym_start))
        batch.rows += len(df)
        if batch.rows >= batch_rows:
            report.add(*_flush(ctx, report, batch, end, ingested_at))
            batch = _Batch()
        ctx.progress.advance(1, symbol)
    report.add(*_flush(ctx, report, batch, end, ingested_at))


def _convert_fast(
    frames: list[tuple[str, pd.DataFrame, date]], end: date, provider: str, ingested_at: datetime
) -> tuple[pa.Table, list[AssetResult]]:
    """All frames of a batch converted at once (the common, well-formed case).

    Raises BadPayloadError on anything unusual; the caller then converts symbol by symbol so
    the failure is attributed to the right symbol and the others still land.
    """
    names = [s for s, _, _ in frames]
    lengths = np.array([len(df) for _, df, _ in frames], dtype=np.int64)
    combined = pd.concat([df for _, df, _ in frames], ignore_index=True)
    table = candles_to_arrow("batch", combined, calendar.CALENDAR_START, end, provider, ingested_at)
    codes = np.repeat(np.arange(len(names), dtype=np.int32), lengths)
    table = table.set_column(
        0, "symbol", pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(names))
    )
    days = table["session"].combine_chunks().cast(pa.int32()).to_numpy(zero_copy_only=False)
    results = []
    offset = 0
    for (symbol, _, sym_start), n in zip(frames, lengths, strict=True):
        if n == 0:
            results.append(AssetResult(ASSET, symbol, "success", rows=0))
            continue
        seg = days[offset : offset + n]
        lo, hi = (date.fromordinal(int(x) + _EPOCH_ORDINAL) for x in (seg.min(), seg.max()))
        if lo < sym_start or hi > end:
            raise BadPayloadError("out-of-range sessions", symbol=symbol)
        results.append(
            AssetResult(ASSET, symbol, "success", rows=int(n), min_event=lo, max_event=hi)
        )
        offset += n
    return table, results


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _convert(
    batch: _Batch, end: date, provider: str, ingested_at: datetime
) -> tuple[list[pa.Table], list[AssetResult]]:
    try:
        table, results = _convert_fast(batch.frames, end, provider, ingested_at)
        return [table], results
    except (BadPayloadError, ValueError, TypeError, KeyError, pa.ArrowException):
        pass
    tables, results = [], []
    for symbol, df, sym_start in batch.frames:
        try:
            t = candles_to_arrow(symbol, df, sym_start, end, provider, ingested_at)
        except ProviderError as exc:
            results.append(
                AssetResult(
                    ASSET, symbol, "failed", error_type=exc.error_type, error_message=str(exc)
                )
            )
            continue
        tables.append(t)
        results.append(_success(symbol, t))
    return tables, results


def _default_start(
    symbol: str, planned: dict[str, date | None], end: date, backfill_years: int
) -> date:
    """The first missing session, the session after ``end`` when none is (nothing to fetch),
    or the backfill start for a symbol without candles through ``end``."""
    if symbol in planned:
        first_missing = planned[symbol]
        return first_missing if first_missing is not None else calendar.next_session(end)
    try:
        back = end.replace(year=end.year - backfill_years)
    except ValueError:  # 29 February
        back = end.replace(year=end.year - backfill_years, day=28)
    return max(back, calendar.CALENDAR_START)


def _success(symbol: str, table: pa.Table) -> AssetResult:
    if table.num_rows == 0:
        return AssetResult(ASSET, symbol, "success", rows=0)
    lo, hi = pa.compute.min_max(table["session"]).values()
    return AssetResult(
        ASSET, symbol, "success", rows=table.num_rows, min_event=lo.as_py(), max_event=hi.as_py()
    )


def _flush(
    ctx: JobContext, report: JobReport, batch: _Batch, end: date, ingested_at: datetime
) -> list[AssetResult]:
    if not batch.frames:
        return []
    tables, results = _convert(batch, end, ctx.provider.name, ingested_at)
    if not tables:
        return results
    table = pa.concat_tables(tables).combine_chunks()
    table = screen_batch(ctx, report, table)
    written = [r for r in results if r.status == "success"]
    try:
        with ctx.warehouse.writer() as conn:
            upsert_candles(conn, table)
    except OptionsHelperError as exc:
        storage_failure(written, exc)
    return results
