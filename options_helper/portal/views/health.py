"""Health: latest run per job, failures grouped by fingerprint, freshness, failed checks."""

from __future__ import annotations

from dataclasses import asdict

import altair as alt
import pandas as pd
import streamlit as st

from options_helper.portal.data import read
from options_helper.portal.widgets import (
    frame,
    header,
    layout,
    link_note,
    plain,
    url_choice,
    usable,
)

STATUS_COLORS = {
    "success": "#34d399",
    "partial": "#f59e0b",
    "failed": "#f43f5e",
    "abandoned": "#a78bfa",
    "running": "#22d3ee",
}


def render() -> None:
    header("Pipeline health", "Runs, failures, freshness and data-quality checks from meta.*")
    filters, main = layout()
    with filters:
        days = url_choice("Window (days)", [1, 3, 7, 14, 30, 90], "days", default=7)
    with main:
        health = read("health", days)
        if not usable(health, "health report"):
            return
        r = health.value
        failing = [j for j in r.jobs if j.state == "failing"]
        stale = [j for j in r.jobs if j.state in ("stale", "never run")]
        behind = [w for w in r.watermarks if not w.fresh]
        bad_checks = [c for c in r.failed_checks if c["severity"] == "error"]
        cols = st.columns(4)
        cols[0].metric("Jobs failing", len(failing), border=True)
        cols[1].metric("Jobs stale / never run", len(stale), border=True)
        cols[2].metric("Watermarks behind", len(behind), border=True)
        cols[3].metric("Failing checks (error)", len(bad_checks), border=True)
        st.caption(f"As of XNYS session {r.as_of}; failures over the last {r.window_days} days.")

        st.subheader("Jobs")
        frame(
            pd.DataFrame([asdict(j) for j in r.jobs]).rename(
                columns={"sessions_since_success": "sessions since success"}
            )
        )
        if r.running:
            st.caption("Running now: " + ", ".join(f"{x['job_name']}" for x in r.running))

        runs = _runs_chart(days)
        if runs is not None:
            with filters:
                run_id = _run_choice(runs)
            if run_id:
                _run_detail(run_id)

        st.subheader("Failures by fingerprint")
        if r.failures:
            frame(pd.DataFrame([asdict(f) for f in r.failures]))
        else:
            st.caption("No failed runs in the window.")
        if r.asset_failures:
            st.subheader("Failed partitions")
            frame(pd.DataFrame([asdict(f) for f in r.asset_failures]))

        st.subheader("Freshness (watermarks)")
        if r.watermarks:
            marks = pd.DataFrame([asdict(w) for w in r.watermarks])
            frame(marks.sort_values(["fresh", "sessions_behind"], ascending=[True, False]))
        else:
            st.caption("No watermarks yet.")

        st.subheader("Data-quality checks")
        _checks(days)


def _runs_chart(days: int) -> pd.DataFrame | None:
    runs = read("runs", days)
    if not usable(runs, "runs") or runs.value.runs.empty:
        return None
    window = runs.value
    df = window.runs.copy()
    df["duration_s"] = df["duration_ms"].fillna(0) / 1000.0
    st.subheader("Runs")
    status_scale = alt.Scale(domain=list(STATUS_COLORS), range=list(STATUS_COLORS.values()))
    if window.complete:
        chart = (
            alt.Chart(df)
            .mark_circle(size=80, opacity=0.85)
            .encode(
                x=alt.X("started_at:T", title="started (UTC)"),
                y=alt.Y("job_name:N", title=None),
                color=alt.Color("status:N", scale=status_scale),
                tooltip=[
                    "job_name",
                    "status",
                    "triggered_by",
                    "started_at",
                    alt.Tooltip("duration_s:Q", format=".1f", title="duration (s)"),
                    "assets",
                    "failed_assets",
                    "rows_written",
                    "error_type",
                    "run_id",
                ],
            )
        )
        listed = f"{window.total:,} runs in the window"
    else:
        # Too many runs to draw one by one: every run of the window, counted per bucket.
        chart = (
            alt.Chart(window.timeline)
            .mark_circle(opacity=0.75)
            .encode(
                x=alt.X("bucket_start:T", title=f"started (UTC, {window.bucket_hours} h buckets)"),
                y=alt.Y("job_name:N", title=None),
                color=alt.Color("status:N", scale=status_scale),
                size=alt.Size("runs:Q", title="runs"),
                order=alt.Order("runs:Q", sort="descending"),  # the rare statuses on top
                tooltip=["job_name", "status", "bucket_start:T", "runs"],
            )
        )
        listed = f"newest {len(df):,} of {window.total:,} runs in the window"
        st.caption(
            f"{window.total:,} runs in the window, counted per {window.bucket_hours} h; "
            f"the newest {len(df):,} are listed below. Open any run by its id (`?run=<id>`)."
        )
    st.altair_chart(chart.properties(height=260), width="stretch")
    with st.expander(listed):
        frame(
            df[
                [
                    "started_at",
                    "job_name",
                    "status",
                    "triggered_by",
                    "duration_s",
                    "assets",
                    "failed_assets",
                    "rows_written",
                    "error_type",
                    "error_message",
                    "run_id",
                    "parent_run_id",
                ]
            ]
        )
    return df


NO_RUN = ""


def _label(run: pd.Series | object) -> str:
    return f"{run.status} · {run.job_name} · {run.started_at:%m-%d %H:%M}"


def _run_choice(runs: pd.DataFrame) -> str:
    """Pick a run to open (kept in the URL as ``run``); failed and partial runs first. A run
    named in the URL opens even when it is not among the listed ones (older, or beyond the
    newest listed), as long as the ledger holds it."""
    order = runs.assign(bad=~runs["status"].isin(["success", "running"]))
    order = order.sort_values(["bad", "started_at"], ascending=[False, False])
    labels = {r.run_id: _label(r) for r in order.itertuples()}
    wanted = st.query_params.get("run")
    if wanted and wanted not in labels:
        found = read("run_detail", wanted)
        if found.ok and not found.value["run"].empty:
            labels = {wanted: _label(found.value["run"].iloc[0]), **labels}
    return url_choice(
        "Open a run",
        [NO_RUN, *labels],
        "run",
        default=NO_RUN,
        format_func=lambda k: labels.get(k, "none"),
    )


def _run_detail(run_id: str) -> None:
    detail = read("run_detail", run_id)
    if not usable(detail, "run detail"):
        return
    d = detail.value
    if d["run"].empty:
        link_note(f"Run {plain(run_id)} is not in the ledger.")
        return
    run = d["run"].iloc[0]
    st.subheader(f"Run {run_id}", anchor=False)
    st.text(
        f"{run['job_name']} · {run['status']} · triggered by {run['triggered_by']} · "
        f"started {run['started_at']:%Y-%m-%d %H:%M:%S} UTC · pid {run['pid']} on {run['host']}"
        + (f" · parent {run['parent_run_id']}" if pd.notna(run["parent_run_id"]) else "")
    )
    if pd.notna(run["error_type"]):
        # The message is a provider's or an exception's text: shown as text, not Markdown.
        st.error(f"{run['error_type']}", icon=":material/error:")
        st.text(str(run["error_message"]))
    if not d["children"].empty:
        st.caption("Steps (child runs)")
        frame(d["children"])
    if not d["assets"].empty:
        st.caption(f"{len(d['assets'])} partitions written or attempted")
        frame(d["assets"])
    if not d["checks"].empty:
        st.caption(f"{len(d['checks'])} check results recorded under this run")
        frame(d["checks"])


def _checks(days: int) -> None:
    checks = read("checks", days)
    if not usable(checks, "check results"):
        return
    df = checks.value
    if df.empty:
        st.caption("No check results in the window.")
        return
    failing = df[df["status"] != "pass"]
    st.caption(
        f"{len(df)} checks (latest result each): {len(df) - len(failing)} pass, "
        f"{len(failing)} not passing."
    )
    frame(failing if not failing.empty else df)
