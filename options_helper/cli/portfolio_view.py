"""Rich rendering of `portfolio analyze` (no fetching)."""

from __future__ import annotations

import math

from rich.console import Group
from rich.table import Table

from options_helper.jobs.portfolio_analysis import PortfolioReport

# Marks that are not a two-sided market quote are marked in the table (legend below it).
_MARK_SUFFIX = {"last": "*", "intrinsic": "^"}


def _n(x, fmt: str = ",.2f") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return format(x, fmt)


def portfolio_view(r: PortfolioReport) -> Group:
    a = r.analysis
    label = " — SIMULATED data" if r.simulated else ""
    legs = Table(
        "position",
        "leg",
        "qty",
        "mark",
        "P&L $",
        "DTE",
        "IV",
        "Δ $",
        "Γ $/1%",
        "Θ $/d",
        "V $/pt",
        title=f"portfolio as of {a.as_of}{label}",
    )
    for p in a.positions:
        for leg in p.legs:
            name = (
                "stock"
                if leg.kind == "stock"
                else f"{leg.kind[0].upper()}{leg.strike:g} {leg.expiry:%y-%m-%d}"
            )
            if leg.status != "ok":
                legs.add_row(
                    p.position_id, name, f"{leg.quantity:+d}", f"[red]missing: {leg.reason}[/red]"
                )
                continue
            legs.add_row(
                p.position_id if leg.leg_index == 0 else "",
                name,
                f"{leg.quantity:+d}",
                _n(leg.mark) + _MARK_SUFFIX.get(leg.mark_source or "", ""),
                _n(leg.pnl_usd, "+,.0f"),
                _n(leg.dte, ".0f") if leg.kind != "stock" else "",
                _n(leg.iv, ".1%") if leg.kind != "stock" else "",
                _n(leg.delta_usd, "+,.0f"),
                _n(leg.gamma_usd_per_1pct, "+,.0f"),
                _n(leg.theta_usd_per_day, "+,.0f"),
                _n(leg.vega_usd_per_pt, "+,.0f"),
            )
    t = a.totals
    totals = Table(
        "cash $",
        "market value $",
        "net liq $",
        "P&L $",
        "Δ $",
        "Γ $/1%",
        "Θ $/day",
        "V $/pt",
        title="totals" + ("" if t.complete else " (incomplete: missing legs excluded)"),
    )
    totals.add_row(
        _n(t.cash_usd, ",.0f"),
        _n(t.market_value_usd, ",.0f"),
        _n(t.net_liquidation_usd, ",.0f"),
        _n(t.pnl_usd, "+,.0f"),
        _n(t.delta_usd, "+,.0f"),
        _n(t.gamma_usd_per_1pct, "+,.0f"),
        _n(t.theta_usd_per_day, "+,.0f"),
        _n(t.vega_usd_per_pt, "+,.0f"),
    )
    parts: list = [legs, totals]
    s = r.stress
    for days, g in s.groupby("days", sort=True):
        vols = sorted(g["vol_shock_pts"].unique())
        m = Table(
            "spot shock",
            *[f"vol {v:+g} pts" for v in vols],
            title=f"stress P&L $ (full revaluation), +{days} days",
        )
        for spot, row in g.groupby("spot_shock_pct", sort=True):
            by_vol = dict(zip(row["vol_shock_pts"], row["pnl_usd"], strict=True))
            m.add_row(f"{spot:+g}%", *[_n(by_vol.get(v), "+,.0f") for v in vols])
        parts.append(m)
    excluded = s.attrs.get("excluded_legs", [])
    if excluded:
        parts.append(
            f"[yellow]not stressed: {', '.join(e['position_id'] + ' (' + e['reason'] + ')' for e in excluded)}[/yellow]"
        )
    parts += [f"[yellow]{w}[/yellow]" for w in a.warnings]
    parts.append(
        "Marks are market mids (* = last trade, ^ = intrinsic value: no two-sided quote and "
        "the last trade below intrinsic). Not financial advice."
    )
    return Group(*parts)
