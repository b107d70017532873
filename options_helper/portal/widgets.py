"""Shared page furniture: provenance banner, busy and problem notes, filter panel, URL state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVar

import streamlit as st

from options_helper.portal.data import Read, read

T = TypeVar("T")

DISCLAIMER = "Research tool, not financial advice."
SIMULATED = "**SIMULATED DATA** — produced by the built-in `sim` provider, not market prices."


def header(title: str, caption: str, *, needs_warehouse: bool = True) -> None:
    """Page title, the data's provenance (simulated data is always labelled) and the
    disclaimer, once per view. With ``needs_warehouse``, a missing, unreadable or outdated
    warehouse is said in one line and the page stops there."""
    st.title(title)
    prov = read("provenance")
    if prov.ok and prov.value.simulated:
        st.warning(SIMULATED, icon=":material/science:")
    elif prov.ok and not prov.value.empty:
        st.caption(f"Data from: {', '.join(prov.value.providers)}")
    elif not prov.ok and prov.busy:
        # Provenance unknown for now: never show possibly simulated data unlabelled.
        st.warning(
            "**Provenance not yet known** (warehouse busy): treat what is shown as possibly "
            "SIMULATED DATA.",
            icon=":material/science:",
        )
    st.caption(f"{caption} · {DISCLAIMER}")
    if needs_warehouse:
        schema = read("schema")
        if not schema.ok and not schema.busy:
            st.info(schema.problem or "The warehouse cannot be read.", icon=":material/info:")
            st.stop()


def usable(r: Read, what: str) -> bool:
    """Say why ``r`` has nothing to show (or that it is a stale answer); True if it has."""
    if r.busy and r.ok:
        when = f" from {r.fetched_at:%H:%M:%S}" if r.fetched_at else ""
        st.info(
            f"Warehouse busy (a job is writing): showing the last {what}{when}.",
            icon=":material/hourglass_top:",
        )
    if r.ok:
        return True
    st.info(r.problem or f"No {what} yet.", icon=":material/info:")
    return False


def layout() -> tuple[Any, Any]:
    """Filters in a bordered left column (not the sidebar), the view on the right."""
    left, main = st.columns([1, 3.4], gap="medium")
    return left.container(border=True), main


# -- selections kept in the URL (bookmarkable views) ------------------------------------------


def url_choice(
    label: str,
    options: Sequence[T],
    param: str,
    default: T | None = None,
    format_func: Any = str,
) -> T:
    """A selectbox whose value lives in query parameter ``param``."""
    values = list(options)
    labels = [str(v) for v in values]
    wanted = st.query_params.get(param)
    if wanted in labels:
        index = labels.index(wanted)
    elif default is not None and str(default) in labels:
        index = labels.index(str(default))
    else:
        index = 0
    choice = st.selectbox(label, values, index=index, key=f"url_{param}", format_func=format_func)
    if wanted is not None and wanted not in labels:  # once: the URL is corrected below
        link_note(
            f"{param}={plain(wanted)} from the link is not available; showing "
            f"{plain(format_func(choice)) or 'none'}."
        )
    st.query_params[param] = str(choice)
    return choice


ECHO_MAX_CHARS = 60


def plain(value: object, max_chars: int = ECHO_MAX_CHARS) -> str:
    """``value`` as one short line of inert text: control characters shown escaped, cut at
    ``max_chars`` (a URL's value is the visitor's, not ours)."""
    text = "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in str(value)
    )
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def link_note(text: str) -> None:
    """A note that may hold values from the URL: plain text, never Markdown or HTML (a backtick
    or bracket in a link must not become a code span, a link or an image)."""
    st.text(text)


def url_date(label: str, param: str, default: date, lo: date, hi: date) -> date:
    """A date input whose value lives in query parameter ``param`` (ISO date)."""
    value = default
    raw = st.query_params.get(param)
    if raw:
        try:
            value = min(max(date.fromisoformat(raw), lo), hi)
        except ValueError:
            value = default
    chosen = st.date_input(label, value=value, min_value=lo, max_value=hi, key=f"url_{param}")
    st.query_params[param] = chosen.isoformat()
    return chosen


def symbol_choice(param: str = "symbol") -> str | None:
    """The symbol selector shared by the research pages (None when nothing is stored)."""
    symbols = read("symbols")
    if not symbols.ok or not symbols.value:
        st.info(symbols.problem or "No symbols stored yet.", icon=":material/info:")
        return None
    return url_choice("Symbol", symbols.value, param)


def symbol_and_session(date_label: str) -> tuple[str, date] | None:
    """The symbol selector, then a session among that symbol's stored ones (latest by
    default; both kept in the URL). None when there is nothing to choose from."""
    symbol = symbol_choice()
    if symbol is None:
        return None
    sessions = read("sessions", symbol)
    if not usable(sessions, f"sessions of {symbol}") or not sessions.value:
        return None
    first, last = sessions.value[0], sessions.value[-1]
    return symbol, url_date(date_label, "as_of", last, first, last)


def frame(df: Any, **kwargs: Any) -> None:
    st.dataframe(df, hide_index=True, width="stretch", **kwargs)
