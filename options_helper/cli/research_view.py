"""Rich rendering of flow and derived views (no fetching)."""

from __future__ import annotations

import math

import pandas as pd
from rich.console import Group
from rich.table import Table

from options_helper.jobs.report import JobReport
from options_helper.jobs.research_views import DerivedStats


def _num(x, fmt: str = ",.0f") -> str:
    try:
        return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, fmt)
    except (TypeError, ValueError):
        return str(x)


def flow_tables(report: JobReport, views: dict[str, pd.DataFrame], by: str) -> Group:
    label = " (SIMULATED data)" if report.simulated else ""
    parts: list = [
        f"[bold]flow[/bold] {report.params['as_of']}, window {report.params['window']} session(s), by {by}{label}"
    ]
    for symbol, df in views.items():
        keys = [c for c in df.columns if c in ("contract_symbol", "expiry", "strike", "dte_bucket")]
        t = Table(
            *keys, "type", "ΔOI", "ΔOI $", "Δ-notional $", "volume", "main class", title=symbol
        )
        for _, r in df.iterrows():
            counts = {
                c[2:]: int(r[c])
                for c in df.columns
                if c.startswith("n_")
                and c not in ("n_contracts", "n_quiet", "n_sessions", "n_no_delta")
                and r[c]
            }
            top_class = max(counts, key=counts.get) if counts else "quiet"
            classes = f"{top_class} {counts.get(top_class, 0)}/{int(r['n_contracts'])}"
            t.add_row(
                *[_num(r[k], "g") if k == "strike" else str(r[k]) for k in keys],
                str(r["option_type"]),
                _num(r["delta_oi"]),
                _num(r["delta_oi_notional_usd"]),
                _delta_notional(r),
                _num(r["volume_prev"]),
                classes,
            )
        parts.append(t)
    for a in report.failed:
        parts.append(f"[red]✗ {a.partition_key}: {a.error_message}[/red]")
    gaps = [a for a in report.assets if a.extra.get("gap_sessions")]
    for a in gaps:
        parts.append(
            f"[yellow]gap: {a.partition_key} has no previous-session snapshot for {', '.join(a.extra['gap_sessions'])}; those rows are 'unknown'[/yellow]"
        )
    for a in report.assets:
        if a.extra.get("first_sessions"):
            parts.append(
                f"[dim]{a.partition_key}: {', '.join(a.extra['first_sessions'])} is its first stored snapshot; those rows are 'unknown' (no earlier snapshot to compare)[/dim]"
            )
    return Group(*parts)


def _delta_notional(r: pd.Series) -> str:
    """The delta-notional sum, flagged partial when some rows have no delta."""
    missing = int(r.get("n_no_delta", 0) or 0)
    text = _num(r["delta_notional_usd"])
    return f"{text} ({missing} w/o Δ)" if missing else text


_SHOW = (
    ("spot", ",.2f"),
    ("iv30", ".1%"),
    ("atm_iv", ".1%"),
    ("rv20", ".1%"),
    ("iv_rank_pct", ".0f"),
    ("iv_percentile_pct", ".0f"),
    ("risk_reversal_25d", "+.3f"),
    ("rr25_30d", "+.3f"),
    ("term_slope", "+.3f"),
    ("term_slope_30_90", "+.3f"),
    ("put_call_oi_ratio", ".2f"),
    ("call_wall", "g"),
    ("call_wall_gamma", "g"),
    ("put_wall", "g"),
    ("put_wall_gamma", "g"),
    ("max_pain", "g"),
    ("zero_gamma_spot", ",.2f"),
    ("expected_move_iv30_usd", ",.2f"),
)


def derived_table(hist: pd.DataFrame) -> Group:
    """One table per symbol: metrics as rows, sessions as columns (fits a terminal)."""
    parts = []
    for symbol, g in hist.groupby("symbol", sort=True):
        sessions = [str(d) for d in g["session"]]
        t = Table("metric", *sessions, title=symbol)
        for col, fmt in _SHOW:
            t.add_row(col, *[_num(v, fmt) for v in g[col]])
        parts.append(t)
    return Group(*parts)


def stats_table(stats: list[DerivedStats]) -> Table:
    t = Table(
        "symbol",
        "metric",
        "latest",
        "percentile",
        "sessions",
        "trend Δ",
        "slope/session",
        title="derived stats",
    )
    for s in stats:
        for name, m in s.metrics.items():
            t.add_row(
                s.symbol,
                name,
                _num(m["latest"], ",.4g"),
                _num(m["percentile_pct"], ".0f"),
                str(m["window_sessions"]),
                _num(m["change"], "+,.4g"),
                _num(m["slope_per_session"], "+,.3g"),
            )
    return t
