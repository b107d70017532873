"""Derived History: volatility and positioning metrics of one symbol over time."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from options_helper.portal.data import read
from options_helper.portal.widgets import frame, header, layout, symbol_choice, url_choice, usable

PANELS = {
    "volatility": (["atm_iv", "iv30", "rv20", "rv60", "rv20_parkinson"], "annualised", "%"),
    "iv rank / percentile": (["iv_rank_pct", "iv_percentile_pct"], "percent of 252 sessions", ""),
    "positioning": (["put_call_oi_ratio", "put_call_volume_ratio"], "ratio", ""),
    "skew and term": (
        ["risk_reversal_25d", "rr25_30d", "term_slope", "term_slope_30_90"],
        "vol points",
        "",
    ),
    "expected move": (["expected_move_straddle_usd", "expected_move_iv30_usd"], "$", ""),
    "dealer gamma": (["net_gex_usd_per_1pct"], "$ per 1% move", ""),
}


def render() -> None:
    header("Derived history", "Daily volatility and positioning metrics (docs/metrics.md)")
    filters, main = layout()
    with filters:
        symbol = symbol_choice()
        if symbol is None:
            return
        panel = url_choice("Metrics", list(PANELS), "panel", default="volatility")
    with main:
        derived = read("derived", symbol)
        if not usable(derived, f"derived metrics of {symbol}"):
            return
        df = derived.value
        if df.empty:
            st.info(
                f"No derived metrics for {symbol} yet: run "
                f"`options-helper derived update --symbol {symbol}`.",
                icon=":material/info:",
            )
            return
        _latest(df.iloc[-1])
        columns, unit, fmt = PANELS[panel]
        long = df.melt(id_vars=["session"], value_vars=columns, var_name="metric").dropna()
        long["session"] = pd.to_datetime(long["session"])
        st.subheader(panel.capitalize())
        st.altair_chart(
            alt.Chart(long)
            .mark_line(point=True)
            .encode(
                x=alt.X("session:T", title=None),
                y=alt.Y(
                    "value:Q",
                    title=unit,
                    scale=alt.Scale(zero=False),
                    axis=alt.Axis(format=fmt) if fmt else alt.Axis(),
                ),
                color="metric:N",
                tooltip=["session:T", "metric", alt.Tooltip("value:Q", format=",.4f")],
            )
            .properties(height=320),
            width="stretch",
        )
        with st.expander(f"{len(df)} sessions"):
            frame(df.drop(columns=["computed_at"]))


def _latest(row: pd.Series) -> None:
    c = st.columns(4)
    c[0].metric(f"IV30 ({row['session']})", _pct(row["iv30"]), border=True)
    c[1].metric("RV20", _pct(row["rv20"]), border=True)
    c[2].metric("IV rank", _num(row["iv_rank_pct"], "{:.0f}"), border=True)
    c[3].metric("Put/call OI", _num(row["put_call_oi_ratio"], "{:.2f}"), border=True)


def _pct(x) -> str:
    return "—" if pd.isna(x) else f"{x:.1%}"


def _num(x, fmt: str) -> str:
    return "—" if pd.isna(x) else fmt.format(x)
