"""Portfolio: positions marked from the latest snapshots, Greeks in shares and dollars, and the
full-revaluation stress grid (the same computation as `portfolio analyze`)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from options_helper.portal.data import read
from options_helper.portal.widgets import frame, header, layout, url_choice, usable


def render() -> None:
    header(
        "Portfolio",
        "Marks from the latest snapshot of each underlying; Greeks and stress",
        needs_warehouse=False,  # the portfolio file comes first: its own note says what to do
    )
    filters, main = layout()
    report = read("portfolio")
    with main:
        if not usable(report, "portfolio analysis"):
            return
        r = report.value
        a = r.analysis
        t = a.totals
    with filters:
        st.caption(f"Valued as of {a.as_of}; rate {a.rate:.2%}.")
        days = sorted(int(d) for d in r.stress["days"].unique()) or [0]
        day = url_choice("Stress horizon (days)", days, "horizon", default=days[0])
    with main:
        for w in a.warnings:
            st.warning(w, icon=":material/warning:")
        c = st.columns(5)
        c[0].metric("Net liquidation", _usd(t.net_liquidation_usd), border=True)
        c[1].metric("P&L", _usd(t.pnl_usd), border=True)
        c[2].metric("Delta", _usd(t.delta_usd), border=True)
        c[3].metric("Theta / day", _usd(t.theta_usd_per_day), border=True)
        c[4].metric("Vega / vol pt", _usd(t.vega_usd_per_pt), border=True)
        if not t.complete:
            st.caption(
                f"{t.n_missing_legs} of {t.n_legs} legs could not be marked: totals are partial."
            )

        st.subheader("By underlying")
        frame(
            pd.DataFrame([u.asdict() for u in a.underlyings]),
            column_config={
                **{c: st.column_config.NumberColumn(format="dollar") for c in _DOLLARS},
                "spot": st.column_config.NumberColumn(format="%.2f"),
                "delta_shares": st.column_config.NumberColumn(format="%.1f"),
                "gamma_shares": st.column_config.NumberColumn(format="%.2f"),
            },
        )
        st.subheader("Legs")
        frame(a.legs_frame())
        _stress(r.stress, day)


def _stress(stress: pd.DataFrame, day: int) -> None:
    if stress.empty:
        return
    st.subheader(f"Stress: P&L change by spot and vol shock ({day} days forward)")
    grid = stress[stress["days"] == day]
    value = "pnl_usd"
    heat = (
        alt.Chart(grid)
        .mark_rect()
        .encode(
            x=alt.X("spot_shock_pct:O", title="spot shock (%)"),
            y=alt.Y("vol_shock_pts:O", title="vol shock (pts)", sort="descending"),
            color=alt.Color(f"{value}:Q", scale=alt.Scale(scheme="redyellowgreen", domainMid=0)),
            tooltip=["spot_shock_pct", "vol_shock_pts", alt.Tooltip(f"{value}:Q", format=",.0f")],
        )
    )
    text = heat.mark_text(fontSize=11).encode(
        text=alt.Text(f"{value}:Q", format=",.0f"), color=alt.value("#0f172b")
    )
    st.altair_chart((heat + text).properties(height=220), width="stretch")


_DOLLARS = (
    "market_value_usd",
    "cost_basis_usd",
    "pnl_usd",
    "delta_usd",
    "gamma_usd_per_1pct",
    "theta_usd_per_day",
    "vega_usd_per_pt",
)


def _usd(x: float) -> str:
    if pd.isna(x):
        return "—"
    return f"-${-x:,.0f}" if x < 0 else f"${x:,.0f}"
