"""``db health``: latest run per job, failures by fingerprint, watermark freshness, failing checks.

Read-only. Freshness is measured in XNYS sessions, so weekends and holidays never look stale.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from options_helper.domain import calendar
from options_helper.warehouse import Warehouse
from options_helper.warehouse.ledger import query_rows
from options_helper.warehouse.migrate import require_schema

# Jobs expected to run every session (extended as jobs land).
EXPECTED_JOBS = (
    "ingest_candles",
    "ingest_options_bars",
    "snapshot_options",
    "compute_flow",
    "compute_derived",
    "build_briefing",
    "build_dashboard",
    "run_checks",
)
FAIL_ON = ("failures", "stale", "checks")


@dataclass
class JobHealth:
    job_name: str
    state: str  # ok | failing | stale | never run | running
    last_run_id: str | None = None
    last_status: str | None = None
    last_started_at: datetime | None = None
    last_success_at: datetime | None = None
    sessions_since_success: int | None = None
    runs: int = 0


@dataclass
class FailureGroup:
    fingerprint: str
    job_name: str
    error_type: str | None
    runs: int
    first_seen: datetime
    last_seen: datetime
    sample_message: str | None


@dataclass
class AssetFailureGroup:
    asset_key: str
    error_type: str | None
    events: int
    partitions: list[str]
    last_seen: datetime
    sample_message: str | None


@dataclass
class WatermarkHealth:
    asset_key: str
    scope_key: str
    watermark: date
    sessions_behind: int
    fresh: bool


@dataclass
class HealthReport:
    as_of: date
    window_days: int
    max_lag_sessions: int
    jobs: list[JobHealth] = field(default_factory=list)
    failures: list[FailureGroup] = field(default_factory=list)
    asset_failures: list[AssetFailureGroup] = field(default_factory=list)
    watermarks: list[WatermarkHealth] = field(default_factory=list)
    failed_checks: list[dict[str, Any]] = field(default_factory=list)
    running: list[dict[str, Any]] = field(default_factory=list)
    abandoned_now: list[str] = field(default_factory=list)

    @property
    def has_failures(self) -> bool:
        return any(j.state == "failing" for j in self.jobs)

    @property
    def has_stale(self) -> bool:
        return any(j.state in ("stale", "never run") for j in self.jobs) or any(
            not w.fresh for w in self.watermarks
        )

    @property
    def has_failing_checks(self) -> bool:
        return any(c["severity"] == "error" for c in self.failed_checks)

    def tripped(self, fail_on: list[str]) -> list[str]:
        flags = {
            "failures": self.has_failures,
            "stale": self.has_stale,
            "checks": self.has_failing_checks,
        }
        return [f for f in fail_on if flags[f]]

    def asdict(self) -> dict[str, Any]:
        out = asdict(self)
        out["summary"] = {
            "failures": self.has_failures,
            "stale": self.has_stale,
            "checks": self.has_failing_checks,
        }
        return out


def _session_of(ts: datetime) -> date:
    """The latest session completed at ``ts`` (naive UTC)."""
    return calendar.latest_completed_session(ts.replace(tzinfo=UTC))


def collect_health(
    warehouse: Warehouse,
    *,
    now: datetime | None = None,
    window_days: int = 7,
    max_lag_sessions: int = 1,
) -> HealthReport:
    """Build the health report from ``meta.*`` (one read-only connection)."""
    require_schema(warehouse)
    now = now or datetime.now(UTC).replace(tzinfo=None)
    as_of = _session_of(now)
    since = now - timedelta(days=window_days)
    report = HealthReport(as_of, window_days, max_lag_sessions)
    with warehouse.reader() as conn:
        jobs = query_rows(
            conn,
            """
            SELECT job_name, arg_max(run_id, started_at), arg_max(status, started_at),
                   max(started_at), max(started_at) FILTER (WHERE status = 'success'), count(*)
            FROM meta.ingestion_runs GROUP BY job_name
            """,
        )
        failures = query_rows(
            conn,
            """
            SELECT error_fingerprint, job_name, arg_max(error_type, started_at), count(*),
                   min(started_at), max(started_at), arg_max(error_message, started_at)
            FROM meta.ingestion_runs
            WHERE status IN ('failed', 'partial', 'abandoned') AND started_at >= ?
            GROUP BY error_fingerprint, job_name ORDER BY count(*) DESC, max(started_at) DESC
            """,
            [since],
        )
        asset_failures = query_rows(
            conn,
            """
            SELECT asset_key, error_type, count(*), list(DISTINCT partition_key ORDER BY partition_key)[:20],
                   max(recorded_at), arg_max(error_message, recorded_at)
            FROM meta.ingestion_run_assets
            WHERE status = 'failed' AND recorded_at >= ?
            GROUP BY asset_key, error_type ORDER BY count(*) DESC
            """,
            [since],
        )
        marks = query_rows(
            conn, "SELECT asset_key, scope_key, watermark FROM meta.asset_watermarks ORDER BY 1, 2"
        )
        checks = query_rows(
            conn,
            """
            SELECT asset_key, partition_key, check_name, arg_max(severity, checked_at),
                   arg_max(status, checked_at) AS status, arg_max(message, checked_at),
                   max(checked_at)
            FROM meta.asset_checks GROUP BY asset_key, partition_key, check_name
            HAVING status IN ('fail', 'error') ORDER BY 1, 2, 3
            """,
        )
        running = query_rows(
            conn,
            "SELECT run_id, job_name, started_at, heartbeat_at, pid, host "
            "FROM meta.ingestion_runs WHERE status = 'running' ORDER BY started_at",
        )
    report.jobs = _job_health(jobs, as_of, max_lag_sessions)
    report.failures = [FailureGroup(*row) for row in failures]
    report.asset_failures = [AssetFailureGroup(*row) for row in asset_failures]
    report.watermarks = [
        WatermarkHealth(
            a, s, w, lag := calendar.sessions_distance(w, as_of), lag <= max_lag_sessions
        )
        for a, s, w in marks
    ]
    report.failed_checks = [
        dict(
            zip(
                (
                    "asset_key",
                    "partition_key",
                    "check_name",
                    "severity",
                    "status",
                    "message",
                    "checked_at",
                ),
                row,
                strict=True,
            )
        )
        for row in checks
    ]
    report.running = [
        dict(
            zip(
                ("run_id", "job_name", "started_at", "heartbeat_at", "pid", "host"),
                row,
                strict=True,
            )
        )
        for row in running
    ]
    return report


def _job_health(rows: list[tuple], as_of: date, max_lag: int) -> list[JobHealth]:
    seen = {r[0]: r for r in rows}
    out = []
    for name in sorted({*EXPECTED_JOBS, *seen}):
        if name not in seen:
            out.append(JobHealth(name, "never run"))
            continue
        _, run_id, status, last_started, last_success, runs = seen[name]
        lag = calendar.sessions_distance(_session_of(last_success), as_of) if last_success else None
        if status == "running":
            state = "running"
        elif status != "success":
            state = "failing"
        elif name in EXPECTED_JOBS and (lag is None or lag > max_lag):
            state = "stale"
        else:
            state = "ok"
        out.append(JobHealth(name, state, run_id, status, last_started, last_success, lag, runs))
    return out
