"""Briefings: the daily Markdown briefings `run daily` writes, newest first."""

from __future__ import annotations

import streamlit as st

from options_helper.portal.data import read
from options_helper.portal.inert import inert_markdown
from options_helper.portal.widgets import header, layout, url_choice, usable


def render() -> None:
    header(
        "Daily briefings",
        "What `options-helper briefing` wrote for each session",
        needs_warehouse=False,
    )
    filters, main = layout()
    days = read("briefings")
    with filters:
        if not usable(days, "briefings") or not days.value:
            st.info(
                "No briefings yet: `options-helper briefing` or `run daily` writes them.",
                icon=":material/info:",
            )
            return
        day = url_choice("Session", days.value, "day")
        st.caption(f"{len(days.value)} briefings stored under reports/briefing/.")
    with main:
        text = read("briefing_text", day)
        if usable(text, f"briefing of {day}"):
            with st.container(border=True):
                # The file is rendered, but nothing in it can load or link anything remote.
                st.markdown(inert_markdown(text.value))
