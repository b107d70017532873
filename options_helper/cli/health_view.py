"""Rich rendering of the health and gaps reports (no fetching here)."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table

from options_helper.observability.gaps import GapsReport
from options_helper.observability.health import HealthReport

_STATE_STYLE = {
    "ok": "green",
    "running": "cyan",
    "stale": "yellow",
    "never run": "yellow",
    "failing": "red",
}


def _ts(x) -> str:
    return x.strftime("%Y-%m-%d %H:%M") if x else "—"


def health_view(r: HealthReport) -> Group:
    parts = []
    jobs = Table(
        "job",
        "state",
        "last run",
        "status",
        "last success",
        "sessions since",
        "runs",
        title=f"jobs (as of session {r.as_of})",
    )
    for j in r.jobs:
        style = _STATE_STYLE.get(j.state, "")
        jobs.add_row(
            j.job_name,
            f"[{style}]{j.state}[/{style}]",
            _ts(j.last_started_at),
            j.last_status or "—",
            _ts(j.last_success_at),
            "—" if j.sessions_since_success is None else str(j.sessions_since_success),
            str(j.runs),
        )
    parts.append(jobs)
    if r.abandoned_now:
        parts.append(f"[yellow]marked abandoned now:[/yellow] {', '.join(r.abandoned_now)}")
    if r.running:
        parts.append(f"running: {', '.join(x['job_name'] + ' ' + x['run_id'] for x in r.running)}")
    if r.failures:
        t = Table(
            "fingerprint",
            "job",
            "error",
            "runs",
            "last seen",
            "message",
            title=f"failed runs, last {r.window_days} days",
        )
        for f in r.failures:
            t.add_row(
                f.fingerprint or "—",
                f.job_name,
                f.error_type or "—",
                str(f.runs),
                _ts(f.last_seen),
                (f.sample_message or "")[:90],
            )
        parts.append(t)
    if r.asset_failures:
        t = Table("asset", "error", "events", "partitions", "message", title="failed partitions")
        for f in r.asset_failures:
            t.add_row(
                f.asset_key,
                f.error_type or "—",
                str(f.events),
                " ".join(f.partitions[:6]),
                (f.sample_message or "")[:70],
            )
        parts.append(t)
    stale = [w for w in r.watermarks if not w.fresh]
    fresh = len(r.watermarks) - len(stale)
    wm = Table(
        "asset",
        "scope",
        "watermark",
        "sessions behind",
        title=f"watermarks: {fresh} fresh, {len(stale)} stale (> {r.max_lag_sessions} session behind)",
    )
    for w in stale[:40] or r.watermarks[:10]:
        style = "green" if w.fresh else "yellow"
        wm.add_row(
            w.asset_key, w.scope_key, str(w.watermark), f"[{style}]{w.sessions_behind}[/{style}]"
        )
    parts.append(wm)
    if r.failed_checks:
        t = Table(
            "asset",
            "partition",
            "check",
            "severity",
            "status",
            "message",
            title="failing checks (latest result)",
        )
        for c in r.failed_checks[:40]:
            style = "red" if c["severity"] == "error" else "yellow"
            t.add_row(
                c["asset_key"],
                c["partition_key"],
                c["check_name"],
                f"[{style}]{c['severity']}[/{style}]",
                c["status"],
                (c["message"] or "")[:70],
            )
        parts.append(t)
    else:
        parts.append("[green]no failing checks[/green]")
    return Group(*parts)


def gaps_view(r: GapsReport) -> Group | str:
    if not r.gaps and not r.orphans:
        return f"no gaps: {len(r.checked)} asset/symbol series complete through {r.as_of}"
    parts: list[Table] = []
    if r.gaps:
        t = Table(
            "asset",
            "symbol",
            "from",
            "to",
            "sessions",
            "backfill",
            title=f"missing sessions through {r.as_of}",
        )
        for g in r.gaps:
            t.add_row(g.asset_key, g.symbol, str(g.start), str(g.end), str(g.sessions), g.command)
        parts.append(t)
    if r.orphans:
        t = Table(
            "asset",
            "symbol",
            "from",
            "to",
            "sessions",
            "why",
            "remove with",
            title="derived rows whose source snapshot is gone (restore the snapshot first to "
            "recompute instead)",
        )
        for o in r.orphans:
            t.add_row(
                o.asset_key,
                o.symbol,
                str(o.start),
                str(o.end),
                str(o.sessions),
                o.reason,
                o.command,
            )
        parts.append(t)
    return Group(*parts)
