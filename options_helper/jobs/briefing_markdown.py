"""Render the briefing data as Markdown. Pure and deterministic: no clock, stable order."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from options_helper.domain.derived_vol import IV_RANK_LOOKBACK_SESSIONS

DISCLAIMER = "Not financial advice. For research only."


def _f(x: Any, fmt: str = ",.2f", none: str = "n/a") -> str:
    """``x`` formatted; fixed-point values round half up on their shortest decimal form, so a
    half-cent mark 5.475 (stored as 5.47499…) prints 5.48, not 5.47."""
    if x is None:
        return none
    try:
        if isinstance(x, float) and math.isfinite(x) and fmt.endswith("f"):
            with localcontext(rounding=ROUND_HALF_UP):
                return format(Decimal(repr(float(x))), fmt)
        return format(x, fmt)
    except (TypeError, ValueError):
        return str(x)


def _pct(x: Any, digits: int = 1) -> str:
    return "n/a" if x is None else f"{x * 100:.{digits}f}%"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def render_markdown(data: dict[str, Any]) -> str:
    lines = [f"# Daily options briefing — {data['data_date']}", ""]
    if data["simulated"]:
        lines += [
            "> **SIMULATED DATA.** Every price, chain and flow below comes from the embedded "
            "simulated market (`sim` provider), not from a real exchange.",
            "",
        ]
    lines += [f"Data date: {data['data_date']} · provider: `{data['provider']}` · {DISCLAIMER}", ""]
    lines += _portfolio(data.get("portfolio"))
    for sym in data["symbols"]:
        lines += _symbol(sym)
    lines += _health(data["health"])
    return "\n".join(lines).rstrip() + "\n"


def _portfolio(p: dict[str, Any] | None) -> list[str]:
    if not p:
        return ["## Portfolio", "", "No positions.", ""]
    a = p["analysis"]
    t = a["totals"]
    lines = ["## Portfolio", ""]
    rows = []
    for pos in a["positions"]:
        for leg in pos["legs"]:
            what = (
                "stock"
                if leg["kind"] == "stock"
                else f"{leg['kind']} {_f(leg['strike'], 'g')} {leg['expiry']}"
            )
            if leg["status"] != "ok":
                rows.append(
                    [
                        pos["position_id"],
                        what,
                        f"{leg['quantity']:+d}",
                        "missing",
                        "",
                        "",
                        "",
                        leg["reason"] or "",
                    ]
                )
                continue
            rows.append(
                [
                    pos["position_id"],
                    what,
                    f"{leg['quantity']:+d}",
                    _f(leg["mark"]),
                    _f(leg["pnl_usd"], "+,.0f"),
                    _f(leg["dte"], ".0f") if leg["kind"] != "stock" else "",
                    _f(leg["delta_usd"], "+,.0f"),
                    "",
                ]
            )
    lines += _table(["position", "leg", "qty", "mark", "P&L $", "DTE", "Δ $", "note"], rows)
    lines += [
        "",
        f"Net liquidation {_f(t['net_liquidation_usd'], ',.0f')} USD (cash {_f(t['cash_usd'], ',.0f')}), "
        f"P&L {_f(t['pnl_usd'], '+,.0f')} USD.",
        f"Greeks: Δ {_f(t['delta_usd'], '+,.0f')} $, Γ {_f(t['gamma_usd_per_1pct'], '+,.0f')} $ per 1%, "
        f"Θ {_f(t['theta_usd_per_day'], '+,.0f')} $/day, vega {_f(t['vega_usd_per_pt'], '+,.0f')} $/vol pt"
        + ("" if t["complete"] else " (incomplete: some legs have no mark)")
        + ".",
        "",
    ]
    stress = {(s["spot_shock_pct"], s["vol_shock_pts"]): s["pnl_usd"] for s in p["stress"]}
    spots = sorted({k[0] for k in stress})
    vols = sorted({k[1] for k in stress})
    lines += ["Stress (full revaluation, P&L USD):", ""]
    lines += _table(
        ["spot \\ vol", *[f"{v:+g} pts" for v in vols]],
        [[f"{s:+g}%", *[_f(stress.get((s, v)), "+,.0f") for v in vols]] for s in spots],
    )
    return [*lines, ""]


def _symbol(s: dict[str, Any]) -> list[str]:
    lines = [f"## {s['symbol']}", ""]
    tech, d = s.get("technicals"), s.get("derived")
    if tech:
        lines.append(
            f"**Price** {_f(tech['close'])} · 1d {_f(tech['return_1d_pct'], '+.1f')}% · "
            f"5d {_f(tech['return_5d_pct'], '+.1f')}% · 20d {_f(tech['return_20d_pct'], '+.1f')}% · "
            f"trend {tech['trend'] or 'n/a'} · RSI14 {_f(tech['rsi14'], '.0f')}"
        )
    if d:
        lines += [
            f"**Vol regime** ATM IV {_pct(d['atm_iv'])} ({d['atm_iv_expiry'] or 'n/a'}) · IV30 {_pct(d['iv30'])} · "
            f"RV20 {_pct(d['rv20'])} · RV60 {_pct(d['rv60'])} · IV/RV {_f(d['iv_rv_ratio'])} · "
            f"IV rank {_f(d['iv_rank_pct'], '.0f')} · IV pctile {_f(d['iv_percentile_pct'], '.0f')}"
            f"{_iv_rank_window(s.get('iv_rank_sessions'))} · "
            f"term slope {_f(d['term_slope'], '+.3f')} · 25Δ RR {_f(d['risk_reversal_25d'], '+.3f')}",
            f"**Chain** call wall {_f(d['call_wall'], 'g')} · put wall {_f(d['put_wall'], 'g')} · "
            f"max pain {_f(d['max_pain'], 'g')} ({d['max_pain_expiry'] or 'n/a'}) · "
            f"gamma flip {_f(d['zero_gamma_spot'])} · net GEX {_f(d['net_gex_usd_per_1pct'], '+,.0f')} $/1% · "
            f"expected move ±{_f(d['expected_move_straddle_usd'])} (ATM straddle to "
            f"{d['atm_iv_expiry'] or 'n/a'}: mean absolute move) / "
            f"±{_f(d['expected_move_iv30_usd'])} (IV30: 1σ over 30 days)",
        ]
    else:
        lines.append("_No derived metrics for this session._")
    flow = s.get("flow")
    if flow:
        zones = "; ".join(
            f"{z['option_type']} {_f(z['strike'], 'g')}: ΔOI {_f(z['delta_oi'], '+,.0f')} "
            f"({_f(z['delta_oi_notional_usd'], '+,.0f')} $)"
            for z in flow["top_strikes"]
        )
        gap = " (previous session missing: classes unknown)" if flow["gap"] else ""
        lines.append(f"**Top flow zones** {zones}{gap}")
    ch = s.get("changes")
    if ch:
        lines.append(
            f"**Since {ch['since']}** spot {_f(ch['spot'], '+,.2f')} · IV30 {_f(None if ch['iv30'] is None else ch['iv30'] * 100, '+.1f')} pts · "
            f"call wall {_f(ch['call_wall'], '+g')} · put wall {_f(ch['put_wall'], '+g')} · "
            f"{_max_pain_change(ch, d)}"
        )
    body = [x if x.startswith("_") else f"- {x}" for x in lines[2:]]
    return [lines[0], lines[1], *body, ""]


def _iv_rank_window(sessions: int | None) -> str:
    """The observation count behind IV rank/percentile when it is short of a full year."""
    if sessions is None or sessions >= IV_RANK_LOOKBACK_SESSIONS:
        return ""
    return f" ({sessions} of {IV_RANK_LOOKBACK_SESSIONS} sessions)"


def _max_pain_change(ch: dict[str, Any], d: dict[str, Any] | None) -> str:
    """A change within one expiry; across a roll, both values with their expiries."""
    if ch.get("max_pain_same_expiry", True):
        return f"max pain {_f(ch['max_pain'], '+g')}"
    now = f"{_f(d and d['max_pain'], 'g')} ({(d and d['max_pain_expiry']) or 'n/a'})"
    before = f"{_f(ch['max_pain_prev'], 'g')} ({ch['max_pain_expiry_prev'] or 'n/a'})"
    return f"max pain {now} vs {before}, different expiries"


def _health(h: dict[str, Any]) -> list[str]:
    lines = ["## Data health", ""]
    if not (h["failed_runs"] or h["failing_checks"] or h["stale_assets"]):
        return [
            *lines,
            "All runs for this session succeeded, no failing checks, nothing stale.",
            "",
        ]
    for r in h["failed_runs"]:
        lines.append(
            f"- run `{r['job_name']}`: {r['status']}"
            + (f" ({r['error_type']})" if r["error_type"] else "")
        )
    for c in h["failing_checks"]:
        lines.append(
            f"- check `{c['check_name']}` on {c['partition_key']}: {c['status']} ({c['severity']})"
        )
    for s in h["stale_assets"]:
        lines.append(
            f"- stale: {s['asset_key']} {s['scope']} at {s['watermark']} ({s['sessions_behind']} sessions behind)"
        )
    return [*lines, ""]
