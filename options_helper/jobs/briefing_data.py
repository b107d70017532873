"""Gather everything the daily briefing shows for one session (read-only, deterministic)."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pandas as pd

from options_helper.config import Config
from options_helper.domain import calendar
from options_helper.domain.derived_vol import IV_RANK_LOOKBACK_SESSIONS, iv_rank_sessions
from options_helper.domain.flow import aggregate_flow
from options_helper.domain.indicators import indicator_summary
from options_helper.domain.portfolio import Portfolio
from options_helper.files.jsonfiles import load_model
from options_helper.jobs.portfolio_analysis import portfolio_report
from options_helper.jsonutil import to_jsonable
from options_helper.warehouse import Warehouse
from options_helper.warehouse.candles import read_candles
from options_helper.warehouse.ledger import query_rows
from options_helper.warehouse.research import read_derived, read_flow

CHANGE_METRICS = (
    "spot",
    "iv30",
    "atm_iv",
    "rv20",
    "call_wall",
    "put_wall",
    "max_pain",
    "zero_gamma_spot",
)
BRIEF_STRESS_SPOT_PCT = ["-5", "0", "5"]
BRIEF_STRESS_VOL_PTS = ["-5", "0", "5"]


def _clean(x: Any) -> Any:
    if isinstance(x, float) and math.isnan(x):
        return None
    return x


def _changes(row: pd.Series, p: pd.Series) -> dict[str, Any]:
    """Day-over-day changes. Max pain changes only within one expiry: when the nearest expiry
    rolled, both values are given with their expiries instead of a difference."""
    out = {
        "since": to_jsonable(p["session"]),
        **{m: _clean(float(row[m]) - float(p[m])) for m in CHANGE_METRICS},
    }
    same_expiry = row["max_pain_expiry"] == p["max_pain_expiry"] and pd.notna(
        row["max_pain_expiry"]
    )
    out["max_pain_same_expiry"] = bool(same_expiry)
    if not same_expiry:
        out["max_pain"] = None
    out["max_pain_prev"] = _clean(float(p["max_pain"]))
    out["max_pain_expiry_prev"] = to_jsonable(p["max_pain_expiry"])
    return out


def symbol_section(conn, symbol: str, session: date) -> dict[str, Any]:
    """Price/technicals, vol regime, chain highlights, top flow zones, changes for one symbol."""
    out: dict[str, Any] = {"symbol": symbol}
    candles = read_candles(conn, symbol, end=session)
    if not candles.empty:
        out["technicals"] = {k: _clean(v) for k, v in indicator_summary(candles["close"]).items()}
    derived = read_derived(conn, [symbol], end=session)
    if not derived.empty:
        derived["session"] = pd.to_datetime(derived["session"]).dt.date
        today = derived[derived["session"] == session]
        if not today.empty:
            row = today.iloc[-1]
            out["derived"] = {
                k: _clean(to_jsonable(v))
                for k, v in row.items()
                if k not in ("symbol", "computed_at", "provider", "simulated")
            }
            prev = derived[derived["session"] < session]
            out["iv_rank_sessions"] = iv_rank_sessions(
                float(row["iv30"]), prev["iv30"].tail(IV_RANK_LOOKBACK_SESSIONS - 1)
            )
            if not prev.empty:
                out["changes"] = _changes(row, prev.iloc[-1])
    flow = read_flow(conn, symbol, session, session)
    if not flow.empty:
        top = aggregate_flow(flow.rename(columns={"symbol": "underlying"}), "strike").head(3)
        out["flow"] = {
            "gap": bool(flow["gap"].any()),
            "top_strikes": [
                {
                    "strike": float(r["strike"]),
                    "option_type": r["option_type"],
                    "delta_oi": _clean(float(r["delta_oi"])),
                    "delta_oi_notional_usd": _clean(float(r["delta_oi_notional_usd"])),
                }
                for _, r in top.iterrows()
            ],
            "classes": flow["flow_class"].value_counts().sort_index().to_dict(),
        }
    return out


def health_section(conn, symbols: list[str], session: date) -> dict[str, Any]:
    """Failed runs that touched this session, failing checks, assets stale for it."""
    iso = session.isoformat()
    runs = query_rows(
        conn,
        "SELECT job_name, status, coalesce(error_type, '') FROM meta.ingestion_runs "
        "WHERE status <> 'success' AND status <> 'running' AND args_json LIKE ? "
        "ORDER BY job_name, status, error_type",
        [f"%{iso}%"],
    )
    checks = query_rows(
        conn,
        """
        SELECT asset_key, partition_key, check_name, severity, status FROM (
            SELECT asset_key, partition_key, check_name, arg_max(severity, checked_at) AS severity,
                   arg_max(status, checked_at) AS status FROM meta.asset_checks
            GROUP BY ALL)
        WHERE status IN ('fail', 'error') AND (partition_key IN (SELECT unnest(?::VARCHAR[]))
              OR partition_key IN (SELECT unnest(?::VARCHAR[])))
        ORDER BY ALL
        """,
        [symbols, [f"{s}|{iso}" for s in symbols]],
    )
    stale = query_rows(
        conn,
        "SELECT asset_key, scope_key, watermark FROM meta.asset_watermarks "
        "WHERE watermark < ? AND scope_key IN (SELECT unnest(?::VARCHAR[])) ORDER BY ALL",
        [session, symbols],
    )
    return {
        "failed_runs": [{"job_name": j, "status": s, "error_type": e or None} for j, s, e in runs],
        "failing_checks": [
            dict(
                zip(
                    ("asset_key", "partition_key", "check_name", "severity", "status"),
                    r,
                    strict=True,
                )
            )
            for r in checks
        ],
        "stale_assets": [
            {
                "asset_key": a,
                "scope": s,
                "watermark": w.isoformat(),
                "sessions_behind": calendar.sessions_distance(w, session),
            }
            for a, s, w in stale
        ],
    }


def portfolio_section(config: Config, session: date) -> dict[str, Any] | None:
    portfolio = load_model(config.portfolio_path, Portfolio)
    if not portfolio.positions:
        return None
    report = portfolio_report(
        config,
        portfolio,
        as_of=session,
        spot_shocks_pct=BRIEF_STRESS_SPOT_PCT,
        vol_shocks_pts=BRIEF_STRESS_VOL_PTS,
        days=["0"],
    )
    return to_jsonable(report.asdict())


def gather(
    config: Config, symbols: list[str], session: date, provider: str, simulated: bool
) -> dict[str, Any]:
    with Warehouse.for_config(config).reader() as conn:
        sections = [symbol_section(conn, s, session) for s in symbols]
        health = health_section(conn, symbols, session)
    return {
        "data_date": session.isoformat(),
        "provider": provider,
        "simulated": simulated,
        "symbols": sections,
        "portfolio": portfolio_section(config, session),
        "health": health,
    }
