"""`portfolio analyze`: mark the portfolio from the latest snapshots, Greeks, stress grid."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from options_helper.config import Config
from options_helper.domain import calendar
from options_helper.domain.portfolio import Portfolio
from options_helper.domain.portfolio_risk import PortfolioAnalysis, analyze_portfolio
from options_helper.domain.portfolio_stress import parse_shock_values, stress_grid
from options_helper.errors import BadInputError
from options_helper.files.jsonfiles import load_model
from options_helper.jobs.portfolio_admin import PORTFOLIO_HINT
from options_helper.jsonutil import to_jsonable
from options_helper.warehouse import Warehouse
from options_helper.warehouse.snapshots import latest_snapshot_dates, load_snapshot

DEFAULT_SPOT_SHOCKS_PCT = ["-10", "-5", "-2", "0", "2", "5", "10"]
DEFAULT_VOL_SHOCKS_PTS = ["-5", "0", "5"]
DEFAULT_DAYS = ["0"]


@dataclass
class PortfolioReport:
    analysis: PortfolioAnalysis
    stress: pd.DataFrame
    snapshot_dates: dict[str, date] = field(default_factory=dict)
    simulated: bool = True

    def asdict(self) -> dict[str, Any]:
        return {
            "simulated": self.simulated,
            "snapshot_dates": self.snapshot_dates,
            "analysis": self.analysis.asdict(),
            "stress": to_jsonable(self.stress.to_dict(orient="records")),
            "stress_excluded_legs": self.stress.attrs.get("excluded_legs", []),
        }


def _shocks(specs: list[str] | None, default: list[str], flag: str) -> list[float]:
    try:
        return parse_shock_values(specs or default)
    except ValueError as exc:
        raise BadInputError(
            f"{flag}: {exc}", hint="use values like 5, -5, 1,2,3 or -10:10:5"
        ) from exc


def load_marks(
    config: Config, symbols: list[str], as_of: date
) -> tuple[dict[str, pd.DataFrame], dict[str, float], dict[str, date], bool]:
    """The latest snapshot on or before ``as_of`` of each symbol, its spot and date."""
    snapshots, spots, dates, simulated = {}, {}, {}, True
    wh = Warehouse.for_config(config)
    with wh.reader() as conn:
        latest = latest_snapshot_dates(conn, symbols, as_of)
        for symbol, d in latest.items():
            snap = load_snapshot(conn, config.data_dir, symbol, d)
            if snap is None or snap.empty:
                continue
            snapshots[symbol] = snap
            spots[symbol] = float(snap["spot"].iloc[0])
            dates[symbol] = d
            simulated = simulated and bool(snap["simulated"].iloc[0])
    return snapshots, spots, dates, simulated


def portfolio_report(
    config: Config,
    portfolio: Portfolio,
    *,
    as_of: date,
    spot_shocks_pct: list[str] | None = None,
    vol_shocks_pts: list[str] | None = None,
    days: list[str] | None = None,
) -> PortfolioReport:
    """Analyse ``portfolio`` as of ``as_of`` and stress it by full revaluation."""
    spot = _shocks(spot_shocks_pct, DEFAULT_SPOT_SHOCKS_PCT, "--spot-shock-pct")
    vol = _shocks(vol_shocks_pts, DEFAULT_VOL_SHOCKS_PTS, "--vol-shock-pts")
    day_values = _shocks(days, DEFAULT_DAYS, "--days")
    if any(d < 0 or d != int(d) for d in day_values):
        raise BadInputError("--days takes whole numbers of calendar days >= 0")
    snapshots, spots, dates, simulated = load_marks(config, portfolio.underlyings(), as_of)
    analysis = analyze_portfolio(
        portfolio, snapshots, spots, as_of=as_of, rate=config.risk_free_rate, data_dates=dates
    )
    try:
        stress = stress_grid(
            analysis,
            spot_shocks_pct=spot,
            vol_shocks_pts=vol,
            days=[int(d) for d in day_values],
        )
    except ValueError as exc:
        raise BadInputError(str(exc)) from exc
    return PortfolioReport(analysis, stress, dates, simulated)


def analyze_configured_portfolio(
    config: Config, *, as_of: date | None, latest_session: date, **shocks: Any
) -> PortfolioReport:
    portfolio = load_model(
        config.portfolio_path, Portfolio, missing_ok=False, missing_hint=PORTFOLIO_HINT
    )
    if not portfolio.positions:
        raise BadInputError(
            f"{config.portfolio_path} has no positions", hint="add one with `portfolio add`"
        )
    if as_of is None:
        # Value as of the freshest snapshot, not today: DTE and theta must match the marks.
        with Warehouse.for_config(config).reader() as conn:
            dates = latest_snapshot_dates(conn, portfolio.underlyings(), latest_session)
        as_of = max(dates.values()) if dates else latest_session
    if not calendar.CALENDAR_START <= as_of <= calendar.CALENDAR_END:
        raise BadInputError(f"--as-of {as_of} is outside the supported range")
    return portfolio_report(config, portfolio, as_of=as_of, **shocks)
