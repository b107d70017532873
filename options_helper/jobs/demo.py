"""The demo: a default watchlist and portfolio, then the daily pipeline over N sessions."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import pandas as pd

from options_helper.domain import calendar
from options_helper.domain.chain import enrich_chain
from options_helper.domain.portfolio import Leg, Portfolio, Position, Watchlists
from options_helper.errors import BadInputError
from options_helper.files.jsonfiles import load_model, save_model
from options_helper.jobs.context import JobContext
from options_helper.jobs.daily import DailyReport, run_daily
from options_helper.jobs.progress import NullProgress
from options_helper.jobs.snapshot_options import fetch_chain
from options_helper.jobs.symbols import DEFAULT_WATCHLIST
from options_helper.warehouse.catalog import stored_rows, stored_snapshot_files

DEMO_SYMBOLS = ("AAPL", "MSFT", "NVDA", "AMZN", "META", "TSLA", "SPY", "QQQ")


@dataclass
class DemoReport:
    data_dir: str
    db_path: str
    seed: int
    sessions: list[date] = field(default_factory=list)
    symbols: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    days: list[DailyReport] = field(default_factory=list)
    # What the warehouse and data folder hold after the run (every symbol and session, this
    # run's and earlier ones): re-running the demo over the same sessions leaves them as they are.
    stored_rows: dict[str, int] = field(default_factory=dict)
    snapshot_files: int = 0
    briefings: int = 0

    @property
    def status(self) -> str:
        statuses = {d.status for d in self.days}
        if statuses <= {"success"}:
            return "success"
        return "failed" if statuses == {"failed"} else "partial"

    def asdict(self) -> dict:
        return {
            "status": self.status,
            "simulated": True,
            "data_dir": self.data_dir,
            "db_path": self.db_path,
            "seed": self.seed,
            "sessions": {
                "count": len(self.sessions),
                "first": self.sessions[0] if self.sessions else None,
                "last": self.sessions[-1] if self.sessions else None,
            },
            "symbols": self.symbols,
            "created": self.created,
            "days": [d.asdict() for d in self.days],
            "stored": {
                "rows": self.stored_rows,
                "snapshot_files": self.snapshot_files,
                "briefings": self.briefings,
            },
        }

    def asstr(self) -> str:
        lines = [
            f"demo: {self.status} — SIMULATED market (seed {self.seed}), "
            f"{len(self.sessions)} sessions {self.sessions[0]} .. {self.sessions[-1]}",
            f"  symbols: {' '.join(self.symbols)}",
            f"  warehouse: {self.db_path}",
        ]
        lines += [f"  created: {c}" for c in self.created]
        lines.append("  stored now (whole warehouse, not just this run):")
        for asset, rows in self.stored_rows.items():
            files = f"{self.snapshot_files:,} files, " if asset == "options_snapshot_file" else ""
            lines.append(f"    {asset}: {files}{rows:,} rows")
        lines.append(f"    briefing_markdown: {self.briefings:,} briefings")
        lines += [f"  ✗ {d.session}: {d.status}" for d in self.days if d.status != "success"]
        return "\n".join(lines)


def run_demo(ctx: JobContext, *, sessions: int = 30, end: date | None = None) -> DemoReport:
    """Create demo inputs if absent, then run the daily pipeline for each session in order."""
    if not ctx.provider.simulated:
        raise BadInputError("the demo runs on the simulated market", hint="drop --provider")
    if sessions < 1:
        raise BadInputError("--sessions must be at least 1")
    ctx = replace(ctx, triggered_by="demo")
    last = ctx.resolve_data_date(end)
    days = calendar.sessions_ending(last, sessions)
    cfg = ctx.config
    report = DemoReport(str(cfg.data_dir), str(cfg.db_path), cfg.sim_seed, sessions=days)
    report.symbols = _ensure_watchlist(ctx, report)
    _ensure_portfolio(ctx, days[0], last, report)
    outer = ctx.progress
    ctx.progress = NullProgress()
    outer.start(len(days), "demo sessions")
    try:
        for session in days:
            report.days.append(run_daily(ctx, report.symbols, session))
            outer.advance(1, str(session))
    finally:
        ctx.progress = outer
    _count_stored(ctx, report)
    return report


def _count_stored(ctx: JobContext, report: DemoReport) -> None:
    with ctx.warehouse.reader() as conn:
        report.stored_rows = stored_rows(conn)
        report.snapshot_files = stored_snapshot_files(conn)
    report.briefings = len(list((ctx.config.reports_dir / "briefing").glob("*.md")))


def _ensure_watchlist(ctx: JobContext, report: DemoReport) -> list[str]:
    path = ctx.config.watchlists_path
    wl = load_model(path, Watchlists)
    if not wl.lists.get(DEFAULT_WATCHLIST):
        wl = Watchlists(lists={**wl.lists, DEFAULT_WATCHLIST: list(DEMO_SYMBOLS)})
        save_model(path, wl)
        report.created.append(f"watchlist 'default' in {path}")
    return wl.lists[DEFAULT_WATCHLIST]


def _ensure_portfolio(ctx: JobContext, first: date, last: date, report: DemoReport) -> None:
    path = ctx.config.portfolio_path
    if path.exists():
        return
    positions = [
        _single(ctx, "aapl-call", "AAPL", first, last, "call", 1.05, +2),
        _single(ctx, "msft-csp", "MSFT", first, last, "put", 0.95, -1),
        _spread(ctx, "spy-put-spread", "SPY", first, last),
        _covered_call(ctx, "nvda-covered-call", "NVDA", first, last),
    ]
    save_model(path, Portfolio(cash=25_000.0, positions=positions))
    report.created.append(f"portfolio with {len(positions)} positions in {path}")


def _chain(ctx: JobContext, symbol: str, session: date, last: date) -> tuple[pd.DataFrame, float]:
    chain, spot = fetch_chain(ctx, symbol, session)
    df = enrich_chain(chain, spot=spot, data_date=session, rate=ctx.config.risk_free_rate)
    expiry = pd.to_datetime(df["expiry"]).dt.date
    # An expiry safely after the demo's last session, so positions stay open throughout.
    target = last + timedelta(days=30)
    candidates = sorted(e for e in set(expiry) if e >= target)
    chosen = candidates[0] if candidates else max(expiry)
    return df[(expiry == chosen) & df["mid"].notna()], spot


def _pick(df: pd.DataFrame, option_type: str, strike_target: float) -> pd.Series:
    side = df[df["option_type"] == option_type]
    return side.iloc[(side["strike"] - strike_target).abs().argsort().iloc[0]]


def _leg(row: pd.Series, quantity: int) -> Leg:
    return Leg(
        kind=row["option_type"],
        strike=float(row["strike"]),
        expiry=pd.Timestamp(row["expiry"]).date(),
        quantity=quantity,
        entry_price=round(float(row["mid"]), 2),
    )


def _single(ctx, pid, symbol, first, last, option_type, moneyness, qty) -> Position:
    df, spot = _chain(ctx, symbol, first, last)
    row = _pick(df, option_type, spot * moneyness)
    return Position(id=pid, symbol=symbol, legs=[_leg(row, qty)], opened_on=first)


def _spread(ctx, pid, symbol, first, last) -> Position:
    df, spot = _chain(ctx, symbol, first, last)
    long_put = _pick(df, "put", spot * 0.98)
    short_put = _pick(df, "put", spot * 0.94)
    return Position(
        id=pid,
        symbol=symbol,
        legs=[_leg(long_put, +3), _leg(short_put, -3)],
        opened_on=first,
        note="bear put spread",
    )


def _covered_call(ctx, pid, symbol, first, last) -> Position:
    df, spot = _chain(ctx, symbol, first, last)
    call = _pick(df, "call", spot * 1.10)
    stock = Leg(kind="stock", quantity=100, entry_price=round(spot, 2))
    return Position(
        id=pid, symbol=symbol, legs=[stock, _leg(call, -1)], opened_on=first, note="covered call"
    )
