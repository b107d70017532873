"""Data-quality checks: functions over one asset partition, recorded in ``meta.asset_checks``.

See docs/checks.md for the catalogue, thresholds and when checks run.
"""

from options_helper.observability.checks.base import (
    Check,
    CheckInput,
    CheckResult,
    CheckStatus,
    Outcome,
    Severity,
)
from options_helper.observability.checks.candles import (
    check_candle_batch_duplicates,
    dedupe_candle_batch,
    dedupe_keys,
)
from options_helper.observability.checks.generic import duplicate_keys_check, null_keys_check
from options_helper.observability.checks.registry import (
    ASSET_KEYS,
    CHECKS,
    catalogue,
    check_named,
    checks_for,
)
from options_helper.observability.checks.runner import (
    latest_results,
    partitions_for,
    persist_results,
    run_checks,
    run_one,
)
from options_helper.observability.checks.snapshots import (
    parse_snapshot_partition,
    snapshot_partition,
)

__all__ = [
    "ASSET_KEYS",
    "CHECKS",
    "Check",
    "CheckInput",
    "CheckResult",
    "CheckStatus",
    "Outcome",
    "Severity",
    "catalogue",
    "check_candle_batch_duplicates",
    "check_named",
    "checks_for",
    "dedupe_candle_batch",
    "dedupe_keys",
    "duplicate_keys_check",
    "latest_results",
    "null_keys_check",
    "parse_snapshot_partition",
    "partitions_for",
    "persist_results",
    "run_checks",
    "run_one",
    "snapshot_partition",
]
