"""Symbol Explorer: price history, the chain as of a session (IV smile, open interest), GEX."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from options_helper.portal.data import read
from options_helper.portal.widgets import frame, header, layout, symbol_and_session, usable


def render() -> None:
    header("Symbol explorer", "Candles, the option chain and dealer gamma for one symbol")
    filters, main = layout()
    with filters:
        chosen = symbol_and_session("As of")
    if chosen is None:
        return
    symbol, as_of = chosen
    with main:
        candles = read("candles", symbol)
        if usable(candles, f"candles of {symbol}"):
            df = candles.value
            shown = df[pd.to_datetime(df["session"]).dt.date <= as_of]
            if shown.empty:
                st.info(f"No candles of {symbol} on or before {as_of}.", icon=":material/info:")
            else:
                _price(symbol, shown, as_of)
        snap = read("snapshot", symbol, as_of)
        if not usable(snap, f"snapshot of {symbol}"):
            return
        if snap.value is None or snap.value[1].empty:
            st.info(
                f"No option chain of {symbol} on or before {as_of}: snapshot one with "
                f"`options-helper snapshot-options --symbol {symbol}`.",
                icon=":material/info:",
            )
            return
        snap_date, chain = snap.value
        _chain(symbol, snap_date, chain)
        gex = read("gex", symbol, snap_date)
        if usable(gex, "gamma exposure") and not gex.value.empty:
            _gex(gex.value, float(chain["spot"].iloc[0]))


def _price(symbol: str, df: pd.DataFrame, as_of: date) -> None:
    df = df.assign(session=pd.to_datetime(df["session"]))
    last = df.iloc[-1]  # df holds sessions up to as_of
    prev = df[df["session"].dt.date < last["session"].date()]
    change = None if prev.empty else last["close"] / prev.iloc[-1]["close"] - 1
    c1, c2, c3 = st.columns(3)
    c1.metric(
        f"{symbol} close {last['session']:%Y-%m-%d}",
        f"{last['close']:.2f}",
        None if change is None else f"{change:+.2%}",
        border=True,
    )
    c2.metric("Range", f"{last['low']:.2f} – {last['high']:.2f}", border=True)
    c3.metric("Volume", f"{int(last['volume']):,}", border=True)
    base = alt.Chart(df.tail(260)).encode(x=alt.X("session:T", title=None))
    rule = base.mark_rule(opacity=0.6).encode(
        y=alt.Y("low:Q", title="price", scale=alt.Scale(zero=False)), y2="high:Q"
    )
    close = base.mark_line().encode(
        y="close:Q", tooltip=["session:T", "open", "high", "low", "close"]
    )
    marker = (
        alt.Chart(pd.DataFrame({"session": [pd.Timestamp(as_of)]}))
        .mark_rule(strokeDash=[4, 4], color="#f59e0b")
        .encode(x="session:T")
    )
    st.altair_chart((rule + close + marker).properties(height=260), width="stretch")


def _chain(symbol: str, snap_date: date, chain: pd.DataFrame) -> None:
    st.subheader(f"Chain on {snap_date}")
    expiries = sorted(chain["expiry"].unique())
    near = [e for e in expiries if (e - snap_date).days >= 1][:4] or expiries[:4]
    spot = float(chain["spot"].iloc[0])
    # The out-of-the-money side of each strike: the liquid quotes a smile is read from.
    otm = ((chain["option_type"] == "call") & (chain["strike"] >= spot)) | (
        (chain["option_type"] == "put") & (chain["strike"] <= spot)
    )
    smile = chain[chain["expiry"].isin(near) & chain["iv"].notna() & otm].copy()
    smile["moneyness"] = smile["strike"] / spot
    smile["expiry"] = smile["expiry"].astype(str)
    left, right = st.columns(2)
    with left:
        st.caption("Implied volatility by strike, out-of-the-money side (nearest expiries)")
        st.altair_chart(
            alt.Chart(smile)
            .mark_line(point=False)
            .encode(
                x=alt.X("strike:Q", scale=alt.Scale(zero=False)),
                y=alt.Y("iv:Q", title="IV", axis=alt.Axis(format="%"), scale=alt.Scale(zero=False)),
                color="expiry:N",
                strokeDash="option_type:N",
                tooltip=["expiry", "strike", "option_type", alt.Tooltip("iv:Q", format=".1%")],
            )
            .properties(height=280),
            width="stretch",
        )
    with right:
        st.caption("Open interest by strike (all expiries)")
        oi = chain.groupby(["strike", "option_type"], as_index=False)["open_interest"].sum()
        window = oi[(oi["strike"] > spot * 0.8) & (oi["strike"] < spot * 1.2)]
        st.altair_chart(
            alt.Chart(window)
            .mark_bar()
            .encode(
                x=alt.X("strike:Q", scale=alt.Scale(zero=False)),
                y=alt.Y("open_interest:Q", title="open interest"),
                color="option_type:N",
                tooltip=["strike", "option_type", "open_interest"],
            )
            .properties(height=280),
            width="stretch",
        )
    with st.expander(f"{len(chain):,} contracts"):
        frame(
            chain[
                [
                    "contract_symbol",
                    "expiry",
                    "strike",
                    "option_type",
                    "bid",
                    "ask",
                    "mark",
                    "volume",
                    "open_interest",
                    "iv",
                    "delta",
                    "gamma",
                    "theta_per_day",
                    "vega_per_pt",
                ]
            ]
        )


def _gex(gex: pd.DataFrame, spot: float) -> None:
    st.subheader("Dealer gamma exposure by strike ($ per 1% move)")
    window = gex[(gex["strike"] > spot * 0.8) & (gex["strike"] < spot * 1.2)]
    bars = (
        alt.Chart(window)
        .mark_bar()
        .encode(
            x=alt.X("strike:Q", scale=alt.Scale(zero=False)),
            y=alt.Y("net_gex_usd_per_1pct:Q", title="net GEX ($/1%)"),
            color=alt.condition(
                alt.datum.net_gex_usd_per_1pct > 0, alt.value("#34d399"), alt.value("#f43f5e")
            ),
            tooltip=[
                "strike",
                "call_gex_usd_per_1pct",
                "put_gex_usd_per_1pct",
                "net_gex_usd_per_1pct",
            ],
        )
    )
    spot_rule = (
        alt.Chart(pd.DataFrame({"strike": [spot]})).mark_rule(color="#f59e0b").encode(x="strike:Q")
    )
    st.altair_chart((bars + spot_rule).properties(height=240), width="stretch")
