"""Rich console dashboard from the dashboard job's data (no fetching)."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table

from options_helper.jobs.build_dashboard import DashboardData

_STATE = {
    "ok": "green",
    "running": "cyan",
    "stale": "yellow",
    "never run": "yellow",
    "failing": "red",
}


def _f(x: Any, fmt: str) -> str:
    return "—" if x is None else format(x, fmt)


def dashboard_view(d: DashboardData) -> Group:
    b = d.briefing
    title = f"options-helper — {d.session}"
    if b.get("simulated"):
        title += "  [bold yellow]SIMULATED DATA[/bold yellow]"
    parts: list = [Panel(f"provider {b['provider']} · not financial advice", title=title)]
    p = b.get("portfolio")
    if p:
        t = p["analysis"]["totals"]
        parts.append(
            Panel(
                f"net liq [bold]{_f(t['net_liquidation_usd'], ',.0f')}[/bold] $ · P&L {_f(t['pnl_usd'], '+,.0f')} $ · "
                f"Δ {_f(t['delta_usd'], '+,.0f')} $ · Γ {_f(t['gamma_usd_per_1pct'], '+,.0f')} $/1% · "
                f"Θ {_f(t['theta_usd_per_day'], '+,.0f')} $/day · vega {_f(t['vega_usd_per_pt'], '+,.0f')} $/pt",
                title="portfolio",
            )
        )
    syms = Table(
        "symbol",
        "close",
        "1d %",
        "trend",
        "IV30",
        "IV rank",
        "RV20",
        "call wall",
        "put wall",
        "top flow",
        title="symbols",
    )
    for s in b["symbols"]:
        tech, der = s.get("technicals") or {}, s.get("derived") or {}
        flow = (s.get("flow") or {}).get("top_strikes") or []
        top = (
            f"{flow[0]['option_type']} {flow[0]['strike']:g} {flow[0]['delta_oi']:+,.0f}"
            if flow
            else "—"
        )
        syms.add_row(
            s["symbol"],
            _f(tech.get("close"), ",.2f"),
            _f(tech.get("return_1d_pct"), "+.1f"),
            tech.get("trend") or "—",
            _f(der.get("iv30") and der["iv30"] * 100, ".1f"),
            _f(der.get("iv_rank_pct"), ".0f"),
            _f(der.get("rv20") and der["rv20"] * 100, ".1f"),
            _f(der.get("call_wall"), "g"),
            _f(der.get("put_wall"), "g"),
            top,
        )
    parts.append(syms)
    health = Table(
        "job",
        "state",
        "last",
        title=f"health — {d.failing_checks} failing checks, {d.stale_watermarks} stale watermarks",
    )
    for j in d.jobs:
        style = _STATE.get(j["state"], "")
        health.add_row(j["job_name"], f"[{style}]{j['state']}[/{style}]", j["last_status"] or "—")
    parts.append(health)
    return Group(*parts)
