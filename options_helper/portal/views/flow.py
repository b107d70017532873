"""Flow: open-interest flow for one symbol over a window, grouped by expiry, strike or type."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from options_helper.domain import calendar
from options_helper.portal.data import read
from options_helper.portal.widgets import (
    frame,
    header,
    layout,
    symbol_and_session,
    url_choice,
    usable,
)

GROUPS = {"expiry": "expiry", "strike": "strike", "type": "option_type", "class": "flow_class"}


def render() -> None:
    header(
        "Open-interest flow",
        "Day-over-day OI change per contract, in contracts and $ notional; gaps never bridged",
    )
    filters, main = layout()
    with filters:
        chosen = symbol_and_session("Session")
        if chosen is None:
            return
        symbol, end = chosen
        window = url_choice("Window (sessions)", [1, 5, 10, 20], "window", default=5)
        group = url_choice("Group by", list(GROUPS), "group", default="expiry")
    end = calendar.session_on_or_before(end)  # a weekend or holiday picks the session before
    start = calendar.sessions_ending(end, window)[0]
    with main:
        flow = read("flow", symbol, start, end)
        if not usable(flow, f"flow of {symbol}"):
            return
        df = flow.value
        if df.empty:
            st.info(
                f"No flow stored for {symbol} between {start} and {end}. Compute it with "
                f"`options-helper flow --symbol {symbol} --as-of {end}`.",
                icon=":material/info:",
            )
            return
        _summary(df, start, end)
        _grouped(df, GROUPS[group])
        _by_session(df)
        with st.expander(f"{len(df):,} contract rows"):
            frame(df.drop(columns=["computed_at"]))


def _summary(df: pd.DataFrame, start, end) -> None:
    calls, puts = df[df["option_type"] == "call"], df[df["option_type"] == "put"]
    gaps = int(df["gap"].sum())
    c = st.columns(4)
    c[0].metric("Net ΔOI calls", f"{int(calls['delta_oi'].sum()):+,}", border=True)
    c[1].metric("Net ΔOI puts", f"{int(puts['delta_oi'].sum()):+,}", border=True)
    notional = df["delta_oi_notional_usd"].sum() / 1e6
    sign = "-" if notional < 0 else "+"
    c[2].metric("ΔOI notional", f"{sign}${abs(notional):,.1f}M", border=True)
    c[3].metric("Rows over a data gap", f"{gaps:,}", border=True)
    st.caption(
        f"Sessions {start} .. {end}. Over a missing session ΔOI is unknown (never bridged); "
        "a symbol's first stored session has no previous snapshot to compare."
    )


def _grouped(df: pd.DataFrame, key: str) -> None:
    agg = (
        df.groupby([key, "option_type"], as_index=False)[["delta_oi", "delta_oi_notional_usd"]]
        .sum()
        .rename(columns={"delta_oi_notional_usd": "notional_usd"})
    )
    if key == "expiry":
        agg["expiry"] = agg["expiry"].astype(str)
    x_type = "Q" if key == "strike" else "N"
    st.subheader(f"Net ΔOI notional by {key}")
    st.altair_chart(
        alt.Chart(agg)
        .mark_bar()
        .encode(
            x=alt.X(f"{key}:{x_type}", title=key),
            y=alt.Y("notional_usd:Q", title="ΔOI notional ($)"),
            color="option_type:N",
            xOffset="option_type:N" if x_type == "N" else alt.Undefined,
            tooltip=[key, "option_type", "delta_oi", alt.Tooltip("notional_usd:Q", format=",.0f")],
        )
        .properties(height=300),
        width="stretch",
    )


def _by_session(df: pd.DataFrame) -> None:
    if df["session"].nunique() < 2:
        return
    daily = df.groupby(["session", "option_type"], as_index=False)["delta_oi_notional_usd"].sum()
    daily["session"] = daily["session"].astype(str)  # sessions, not calendar time: no weekends
    st.subheader("By session")
    st.altair_chart(
        alt.Chart(daily)
        .mark_bar()
        .encode(
            x=alt.X("session:O", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("delta_oi_notional_usd:Q", title="ΔOI notional ($)"),
            color="option_type:N",
            xOffset="option_type:N",
        )
        .properties(height=220),
        width="stretch",
    )
