"""The portal's entry: page config and navigation over the views in ``portal/views``."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from options_helper.portal.views import (
    briefings,
    derived_history,
    flow,
    gaps,
    health,
    portfolio,
    symbol_explorer,
)

PAGES = (
    (health.render, "Health", "health", ":material/monitor_heart:"),
    (portfolio.render, "Portfolio", "portfolio", ":material/account_balance_wallet:"),
    (symbol_explorer.render, "Symbol Explorer", "symbol", ":material/query_stats:"),
    (flow.render, "Flow", "flow", ":material/swap_vert:"),
    (derived_history.render, "Derived History", "derived", ":material/timeline:"),
    (briefings.render, "Briefings", "briefings", ":material/description:"),
    (gaps.render, "Gaps & Backfill", "gaps", ":material/event_busy:"),
)

# The tab's icon ships with the package: a ":material/...:" page_icon makes the browser fetch
# it from fonts.gstatic.com on every load, and the portal never calls out. Streamlit inlines
# an SVG file as a data: URL. (The navigation's material icons come from Streamlit's bundled
# font, served by the portal itself.)
FAVICON = Path(__file__).parent / "static" / "favicon.svg"


def main() -> None:
    st.set_page_config(page_title="options-helper", page_icon=str(FAVICON), layout="wide")
    pages = [
        st.Page(fn, title=title, url_path=path, icon=icon, default=(path == "health"))
        for fn, title, path, icon in PAGES
    ]
    st.navigation(pages, position="top").run()
