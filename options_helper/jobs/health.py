"""Read-side reports over the control plane: health and gaps (used by CLI and portal)."""

from __future__ import annotations

from datetime import UTC, datetime

from options_helper.config import Config
from options_helper.domain import calendar
from options_helper.errors import BadInputError
from options_helper.observability.gaps import GAPS_ASSET_KEYS, GapsReport, find_gaps
from options_helper.observability.health import FAIL_ON, HealthReport, collect_health
from options_helper.observability.reaper import reap_abandoned
from options_helper.warehouse import Warehouse
from options_helper.warehouse.migrate import require_schema


def parse_fail_on(raw: str | None) -> list[str]:
    items = [x.strip() for x in (raw or "").split(",") if x.strip()]
    bad = [x for x in items if x not in FAIL_ON]
    if bad:
        raise BadInputError(f"unknown --fail-on value(s) {bad}", hint=f"use {','.join(FAIL_ON)}")
    return items


def health_report(
    config: Config, *, window_days: int = 7, max_lag_sessions: int = 1
) -> HealthReport:
    """Mark dead runs abandoned (best effort), then collect health read-only."""
    if window_days < 1 or max_lag_sessions < 0:
        raise BadInputError("--days must be >= 1 and --max-lag-sessions >= 0")
    wh = Warehouse.for_config(config)
    require_schema(wh)
    reaped = reap_abandoned(wh)
    report = collect_health(wh, window_days=window_days, max_lag_sessions=max_lag_sessions)
    report.abandoned_now = reaped
    return report


def gaps_report(
    config: Config,
    *,
    assets: list[str] | None = None,
    symbols: list[str] | None = None,
    lookback_sessions: int | None = None,
) -> GapsReport:
    unknown = sorted(set(assets or []) - set(GAPS_ASSET_KEYS))
    if unknown:
        raise BadInputError(f"unknown asset(s) {unknown}", hint=f"use {', '.join(GAPS_ASSET_KEYS)}")
    as_of = calendar.latest_completed_session(datetime.now(UTC))
    wh = Warehouse.for_config(config)
    require_schema(wh)
    return find_gaps(
        wh,
        data_dir=config.data_dir,
        as_of=as_of,
        assets=assets,
        symbols=symbols,
        lookback_sessions=lookback_sessions,
        db_path=config.db_path,
    )
