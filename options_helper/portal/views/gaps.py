"""Gaps & Backfill: expected XNYS sessions missing per asset and symbol, with the command that
backfills each range, and derived rows whose snapshot is gone (the portal never runs a command:
it is read-only)."""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd
import streamlit as st

from options_helper.portal.data import read
from options_helper.portal.widgets import frame, header, layout, url_choice, usable


def render() -> None:
    header("Gaps & backfill", "Missing sessions, calendar-aware; copy a command to backfill")
    filters, main = layout()
    with filters:
        lookback = url_choice(
            "Look back (sessions)", [20, 60, 120, 250, 500], "lookback", default=60
        )
    with main:
        gaps = read("gaps", lookback)
        if not usable(gaps, "gap report"):
            return
        report = gaps.value
        if not report.gaps and not report.orphans:
            st.success(
                f"No gaps in the last {lookback} sessions up to {report.as_of}.",
                icon=":material/check_circle:",
            )
        if report.gaps:
            df = pd.DataFrame([asdict(g) for g in report.gaps])
            st.metric("Missing sessions", int(df["sessions"].sum()), border=True)
            frame(df.drop(columns=["command"]))
            st.subheader("Backfill commands")
            st.code("\n".join(dict.fromkeys(df["command"])), language="bash")
        if report.orphans:
            st.subheader("Derived rows whose source snapshot is gone")
            st.caption(
                "The next `derived update` of the symbol removes them; restore the snapshot "
                "first (its backfill command above) to recompute them instead."
            )
            orphans = pd.DataFrame([asdict(o) for o in report.orphans])
            frame(orphans.drop(columns=["command"]))
            st.code("\n".join(dict.fromkeys(orphans["command"])), language="bash")
        if report.checked:
            with st.expander(f"{len(report.checked)} asset/symbol pairs checked"):
                frame(pd.DataFrame(report.checked))
