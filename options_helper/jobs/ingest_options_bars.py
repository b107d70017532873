"""Job ``ingest_options_bars``: discover contracts and ingest their daily bars, resumably."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pandas as pd
import pyarrow as pa

from options_helper.domain import calendar
from options_helper.errors import BadInputError, OptionsHelperError
from options_helper.jobs.context import JobContext, require_in_calendar
from options_helper.jobs.frames import (
    constant,
    frame_to_arrow,
    now_naive_utc,
    typed_column,
)
from options_helper.jobs.postchecks import run_post_checks
from options_helper.jobs.report import AssetResult, JobReport
from options_helper.jobs.writes import storage_failure
from options_helper.observability.checks import dedupe_keys
from options_helper.providers.base import CONTRACT_COLUMNS, OPTION_BAR_COLUMNS
from options_helper.providers.errors import ProviderError
from options_helper.warehouse.options import (
    read_progress,
    upsert_bars,
    upsert_contracts,
    upsert_progress,
)

JOB_NAME = "ingest_options_bars"
CONTRACTS_ASSET = "option_contracts"
BARS_ASSET = "options_bars"
BAR_KEYS = ["contract_symbol", "session"]


def ingest_options_bars(
    ctx: JobContext,
    symbols: list[str],
    *,
    end: date | None = None,
    lookback_days: int = 45,
    expired_within_days: int = 30,
    contracts_per_request: int = 500,
    flush_rows: int = 200_000,
) -> JobReport:
    """Discover contracts (active, and expired within a window) and ingest their daily bars.

    Resumable: a contract whose bars were already fetched through the wanted session is not
    fetched again; an interrupted run keeps every batch it committed.

    Args:
        end: last session (default: latest completed session).
        lookback_days: calendar days of bar history wanted before ``end``.
        expired_within_days: include contracts that expired this many calendar days before ``end``.
        contracts_per_request: contract symbols per provider call (Alpaca-style batching).
        flush_rows: bar rows buffered before one write transaction.
    """
    latest = ctx.latest_session()
    if end is not None and end > latest:
        raise BadInputError(f"--end {end} is after the latest completed session {latest}")
    if end is not None:
        require_in_calendar(end, "--end")
    end = latest if end is None else calendar.session_on_or_before(end)
    if lookback_days < 0 or expired_within_days < 0:
        raise BadInputError("--lookback-days and --expired-within-days must be >= 0")
    ctx.ensure_warehouse()
    report = JobReport(
        JOB_NAME,
        ctx.provider.name,
        ctx.provider.simulated,
        params={
            "symbols": symbols,
            "end": end,
            "lookback_days": lookback_days,
            "expired_within_days": expired_within_days,
        },
    )
    window_start = end - timedelta(days=lookback_days)
    with ctx.run(report):
        ctx.progress.start(len(symbols), "option bars")
        for symbol in symbols:
            report.add(
                *_ingest_symbol(
                    ctx,
                    symbol,
                    end,
                    window_start,
                    expired_within_days,
                    contracts_per_request,
                    flush_rows,
                )
            )
            ctx.progress.advance(1, symbol)
        written = [
            a.partition_key
            for a in report.assets
            if a.asset_key == BARS_ASSET and a.status != "failed"
        ]
        run_post_checks(ctx, report, BARS_ASSET, written, end)
    return report


def _ingest_symbol(
    ctx: JobContext,
    symbol: str,
    end: date,
    window_start: date,
    expired_within_days: int,
    per_request: int,
    flush_rows: int,
) -> list[AssetResult]:
    now = now_naive_utc()
    try:
        contracts = ctx.provider.list_contracts(
            symbol, end - timedelta(days=expired_within_days), end + timedelta(days=3650), end
        )
        contracts_tbl = _contracts_to_arrow(symbol, contracts, end, ctx.provider.name)
    except ProviderError as exc:
        return [_failed(CONTRACTS_ASSET, symbol, exc), _failed(BARS_ASSET, symbol, exc)]
    with ctx.warehouse.reader() as conn:
        progress = read_progress(conn, symbol)
    plan = _plan(contracts_tbl.to_pandas(), progress, window_start, end)
    contracts_res = AssetResult(CONTRACTS_ASSET, symbol, "success", rows=contracts_tbl.num_rows)
    bars_res = AssetResult(
        BARS_ASSET,
        symbol,
        "success",
        extra={"contracts_fetched": len(plan), "contracts_up_to_date": len(contracts) - len(plan)},
    )
    pending = _Pending(contracts=contracts_tbl)
    if plan.empty:
        bars_res.status = "skipped"
        bars_res.extra["reason"] = "up to date"
    # One request per (fetch_from, chunk of contracts); requests end at the latest wanted
    # session of the chunk (no bars exist past a contract's expiry).
    for fetch_from, group in plan.groupby("fetch_from", sort=True):
        for i in range(0, len(group), per_request):
            chunk = group.iloc[i : i + per_request]
            try:
                bars = ctx.provider.get_option_bars(
                    chunk["contract_symbol"].tolist(), fetch_from, max(chunk["fetch_to"])
                )
                pending.add(_bars_to_arrow(symbol, bars, ctx.provider.name, now), chunk)
            except ProviderError as exc:
                failed = _failed(BARS_ASSET, symbol, exc)
                try:
                    _write(ctx, symbol, pending, end, now, bars_res)
                except OptionsHelperError as write_exc:
                    return storage_failure([contracts_res, failed], write_exc)
                failed.rows = bars_res.rows
                return [contracts_res, failed]
            if pending.rows >= flush_rows:
                try:
                    _write(ctx, symbol, pending, end, now, bars_res)
                except OptionsHelperError as exc:
                    return storage_failure([contracts_res, bars_res], exc)
                pending = _Pending()
    try:
        _write(ctx, symbol, pending, end, now, bars_res)
    except OptionsHelperError as exc:
        return storage_failure([contracts_res, bars_res], exc)
    return [contracts_res, bars_res]


@dataclass
class _Pending:
    """Fetched but not yet written: contracts, bar tables and the plan rows they cover."""

    contracts: pa.Table | None = None
    tables: list[pa.Table] = field(default_factory=list)
    chunks: list[pd.DataFrame] = field(default_factory=list)
    rows: int = 0

    def add(self, table: pa.Table, chunk: pd.DataFrame) -> None:
        self.tables.append(table)
        self.chunks.append(chunk)
        self.rows += table.num_rows


def _write(
    ctx: JobContext, symbol: str, pending: _Pending, end: date, now: datetime, res: AssetResult
) -> None:
    """Contracts, bars and their progress rows in one transaction (so a crash loses nothing
    that progress claims was fetched)."""
    if pending.contracts is None and not pending.tables:
        return
    bars = None
    if pending.tables:
        # A vendor may repeat a bar; keep the last so the upsert cannot insert a key twice.
        bars = dedupe_keys(pa.concat_tables(pending.tables).combine_chunks(), BAR_KEYS)
    with ctx.warehouse.writer() as conn:
        if pending.contracts is not None:
            upsert_contracts(conn, pending.contracts)
        if bars is not None:
            upsert_bars(conn, bars)
            upsert_progress(conn, _progress_rows(symbol, pd.concat(pending.chunks), end, now))
    if bars is not None:
        _extend_span(res, bars)


def _plan(
    contracts: pd.DataFrame, progress: pd.DataFrame, window_start: date, end: date
) -> pd.DataFrame:
    """Per contract still needing bars: the [fetch_from, fetch_to] range to request."""
    df = contracts[["contract_symbol", "expiry"]].copy()
    df["want_to"] = df["expiry"].where(df["expiry"] < end, end)
    df = df[df["want_to"] >= window_start]
    df = df.merge(progress, on="contract_symbol", how="left")
    covered = (
        df["fetched_from"].notna()
        & (df["fetched_from"] <= window_start)
        & (df["fetched_through"] >= df["want_to"])
    )
    df = df[~covered].copy()
    resume = df["fetched_from"].notna() & (df["fetched_from"] <= window_start)
    df["fetch_from"] = window_start
    df.loc[resume, "fetch_from"] = df.loc[resume, "fetched_through"].map(
        lambda d: d + timedelta(days=1)
    )
    df["fetch_to"] = df["want_to"]
    return df[["contract_symbol", "expiry", "fetch_from", "fetch_to"]].reset_index(drop=True)


def _contracts_to_arrow(symbol: str, df: pd.DataFrame, seen: date, provider: str) -> pa.Table:
    raw = frame_to_arrow(df, CONTRACT_COLUMNS, "contracts", symbol)
    n = raw.num_rows

    def col(name: str, type_: pa.DataType) -> pa.ChunkedArray:
        return typed_column(raw, name, type_, "contracts", symbol)

    return pa.table(
        {
            "contract_symbol": col("contract_symbol", pa.string()),
            "underlying": constant(symbol, n, pa.string()),
            "expiry": col("expiry", pa.date32()),
            "strike": col("strike", pa.float64()),
            "option_type": col("option_type", pa.string()),
            "status": col("status", pa.string()),
            "first_seen": constant(seen, n, pa.date32()),
            "last_seen": constant(seen, n, pa.date32()),
            "provider": constant(provider, n, pa.string()),
        }
    )


def _bars_to_arrow(symbol: str, df: pd.DataFrame, provider: str, now: datetime) -> pa.Table:
    raw = frame_to_arrow(df, OPTION_BAR_COLUMNS, "option bars", symbol)
    n = raw.num_rows

    def col(name: str, type_: pa.DataType, nullable: bool = False) -> pa.ChunkedArray:
        return typed_column(raw, name, type_, "option bars", symbol, nullable=nullable)

    return pa.table(
        {
            "contract_symbol": col("contract_symbol", pa.string()),
            "underlying": constant(symbol, n, pa.string()),
            "session": col("session", pa.date32()),
            "open": col("open", pa.float64()),
            "high": col("high", pa.float64()),
            "low": col("low", pa.float64()),
            "close": col("close", pa.float64()),
            "volume": col("volume", pa.int64()),
            "trade_count": col("trade_count", pa.int64(), nullable=True),
            "vwap": col("vwap", pa.float64(), nullable=True),
            "provider": constant(provider, n, pa.string()),
            "ingested_at": constant(now, n, pa.timestamp("us")),
        }
    )


def _progress_rows(symbol: str, chunk: pd.DataFrame, end: date, now: datetime) -> pa.Table:
    n = len(chunk)
    return pa.table(
        {
            "contract_symbol": pa.array(chunk["contract_symbol"], pa.string()),
            "underlying": constant(symbol, n, pa.string()),
            "fetched_from": pa.array(chunk["fetch_from"], pa.date32()),
            "fetched_through": pa.array(chunk["fetch_to"], pa.date32()),
            "complete": pa.array(chunk["expiry"] <= end, pa.bool_()),
            "updated_at": constant(now, n, pa.timestamp("us")),
        }
    )


def _extend_span(res: AssetResult, table: pa.Table) -> None:
    res.rows += table.num_rows
    if table.num_rows == 0:
        return
    lo, hi = (v.as_py() for v in pa.compute.min_max(table["session"]).values())
    res.min_event = min(lo, res.min_event) if res.min_event else lo
    res.max_event = max(hi, res.max_event) if res.max_event else hi


def _failed(asset: str, symbol: str, exc: ProviderError) -> AssetResult:
    return AssetResult(asset, symbol, "failed", error_type=exc.error_type, error_message=str(exc))
