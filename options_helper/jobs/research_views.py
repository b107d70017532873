"""Read-side views of research products for the CLI, portal and briefing (no writes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from options_helper.config import Config
from options_helper.domain.flow import GROUP_KEYS, aggregate_flow
from options_helper.errors import BadInputError
from options_helper.warehouse import Warehouse
from options_helper.warehouse.research import read_derived


def flow_view(netted: dict[str, pd.DataFrame], by: str, top: int) -> dict[str, pd.DataFrame]:
    """Aggregate each symbol's (netted) contract rows ``by`` a grouping, top rows by |Δ$|."""
    if by not in GROUP_KEYS:
        raise BadInputError(f"unknown --group-by {by!r}", hint=f"use {', '.join(GROUP_KEYS)}")
    if top < 1:
        raise BadInputError("--top must be at least 1")
    return {sym: aggregate_flow(rows, by).head(top) for sym, rows in netted.items()}


@dataclass
class DerivedStats:
    symbol: str
    session: date
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)

    def asdict(self) -> dict[str, Any]:
        return {"symbol": self.symbol, "session": self.session, "metrics": self.metrics}


STATS_METRICS = (
    "iv30",
    "atm_iv",
    "rv20",
    "iv_rv_ratio",
    "risk_reversal_25d",
    "rr25_30d",
    "term_slope",
    "term_slope_30_90",
    "put_call_oi_ratio",
    "net_gex_usd_per_1pct",
    "expected_move_iv30_usd",
)


def derived_history(
    config: Config, symbols: list[str], *, sessions: int | None = None
) -> pd.DataFrame:
    """Stored derived metrics of ``symbols`` (the last ``sessions`` per symbol)."""
    with Warehouse.for_config(config).reader() as conn:
        df = read_derived(conn, symbols)
    if df.empty:
        raise BadInputError(
            f"no derived metrics stored for {', '.join(symbols)}",
            hint="run `options-helper derived update` first",
        )
    df["session"] = pd.to_datetime(df["session"]).dt.date
    if sessions:
        df = df.groupby("symbol", group_keys=False).tail(sessions)
    return df.reset_index(drop=True)


def derived_stats(history: pd.DataFrame, *, window: int, trend_window: int) -> list[DerivedStats]:
    """Per symbol: each metric's latest value, its percentile within the last ``window``
    sessions, and its trend (change and slope per session) over the last ``trend_window``."""
    out = []
    for symbol, g in history.groupby("symbol", sort=True):
        g = g.sort_values("session").tail(window)
        stats = DerivedStats(symbol, g["session"].iloc[-1])
        for metric in STATS_METRICS:
            values = g[metric].to_numpy(dtype=float)
            latest = values[-1]
            past = values[np.isfinite(values)]
            recent = values[-trend_window:]
            ok = np.isfinite(recent)
            slope = (
                float(np.polyfit(np.arange(ok.sum()), recent[ok], 1)[0])
                if ok.sum() >= 3
                else np.nan
            )
            stats.metrics[metric] = {
                "latest": latest,
                "percentile_pct": float((past < latest).mean() * 100)
                if np.isfinite(latest) and len(past) > 1
                else np.nan,
                "window_sessions": len(past),
                "change": float(recent[ok][-1] - recent[ok][0]) if ok.sum() >= 2 else np.nan,
                "slope_per_session": slope,
            }
        out.append(stats)
    return out
