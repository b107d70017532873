"""Every data-quality check, by asset; the single source for runners, the CLI and the docs.

Every registered check is batched: one call answers it for all the partitions of a run.
"""

from __future__ import annotations

from typing import Any

from options_helper.errors import BadInputError
from options_helper.observability.checks import candles, options_bars, session_dates, snapshots
from options_helper.observability.checks.base import Check
from options_helper.observability.checks.generic import duplicate_keys_batch, null_keys_batch

# Asset keys of DESIGN.md (the same in CLI and Dagster); some have no checks yet.
ASSET_KEYS = (
    "candles_daily",
    "option_contracts",
    "options_bars",
    "options_snapshot_file",
    "options_flow",
    "derived_metrics",
    "briefing_markdown",
)

# Tables created by later migrations. The keys are what a row is identified by; they must match
# those migrations (a mismatch shows as an `error` naming the missing columns, not a crash).
FLOW_TABLE, FLOW_PARTITION = "options_flow", "symbol"
FLOW_KEYS = ("symbol", "session", "contract_symbol")
DERIVED_TABLE, DERIVED_PARTITION = "derived_metrics", "symbol"
DERIVED_KEYS = ("symbol", "session")

# Where each asset's partitions are listed: (table, SQL expression giving the partition key).
PARTITION_SOURCES: dict[str, tuple[str, str]] = {
    "candles_daily": ("candles_daily", "symbol"),
    "options_bars": ("options_bars", "underlying"),
    "options_snapshot_file": (
        "options_snapshots",
        "symbol || '|' || strftime(data_date, '%Y-%m-%d')",
    ),
    "options_flow": (FLOW_TABLE, FLOW_PARTITION),
    "derived_metrics": (DERIVED_TABLE, DERIVED_PARTITION),
}

_C, _B, _S = "candles_daily", "options_bars", "options_snapshot_file"

_CANDLE_FUTURE, _CANDLE_NON_SESSION = session_dates.table_dates_batches(
    "candles_daily", "session", "symbol", "candles"
)
_BAR_FUTURE, _BAR_NON_SESSION = session_dates.table_dates_batches(
    "options_bars", "session", "underlying", "option bars"
)
_FUTURE = "after the latest completed XNYS session (the clock's, not as_of)"
_NON_SESSION = "a weekend, an exchange holiday or a day outside the calendar's range"

CHECKS: tuple[Check, ...] = (
    Check.batched(
        "candles_ohlc_consistent",
        _C,
        "error",
        "Every candle has low ≤ min(open, close), high ≥ max(open, close), low > 0, "
        "volume ≥ 0 and finite prices.",
        candles.ohlc_batch,
    ),
    Check.batched(
        "candles_no_duplicate_sessions",
        _C,
        "error",
        "No (symbol, session) is stored more than once.",
        candles.duplicate_sessions_batch,
    ),
    Check.batched(
        "candles_future_dated",
        _C,
        "error",
        f"No candle is dated {_FUTURE}.",
        _CANDLE_FUTURE,
    ),
    Check.batched(
        "candles_non_session_dated",
        _C,
        "error",
        f"No candle is dated on {_NON_SESSION}.",
        _CANDLE_NON_SESSION,
    ),
    Check.batched(
        "candles_missing_sessions",
        _C,
        "warn",
        f"No XNYS session is missing among the last {candles.MISSING_WINDOW_SESSIONS} ending at "
        "as_of (from the first stored session on; weekends and holidays are not gaps).",
        candles.missing_sessions_batch,
    ),
    Check.batched(
        "candles_stale",
        _C,
        "warn",
        "The last stored session is the last session on or before as_of.",
        candles.stale_batch,
    ),
    Check.batched(
        "candles_extreme_return",
        _C,
        "warn",
        f"No close-to-close |return| above {candles.EXTREME_ABS_RETURN:.0%} in the last "
        f"{candles.RETURN_WINDOW_SESSIONS} sessions ending at as_of.",
        candles.extreme_return_batch,
    ),
    Check.batched(
        "options_bars_no_duplicates",
        _B,
        "error",
        "No (contract_symbol, session) bar is stored more than once.",
        options_bars.no_duplicates_batch,
    ),
    Check.batched(
        "options_bars_nonnegative_prices",
        _B,
        "error",
        "No bar has a negative or non-finite open/high/low/close, or a negative volume.",
        options_bars.nonnegative_prices_batch,
    ),
    Check.batched(
        "options_bars_after_expiry",
        _B,
        "error",
        "No bar is dated after its contract's expiry (option_contracts, else the OSI symbol).",
        options_bars.after_expiry_batch,
    ),
    Check.batched(
        "options_bars_future_dated",
        _B,
        "error",
        f"No bar is dated {_FUTURE}.",
        _BAR_FUTURE,
    ),
    Check.batched(
        "options_bars_non_session_dated",
        _B,
        "error",
        f"No bar is dated on {_NON_SESSION}.",
        _BAR_NON_SESSION,
    ),
    Check.batched(
        "snapshot_contract_symbols_consistent",
        _S,
        "error",
        "Every contract symbol is valid OSI and its root, expiry, strike and type match the "
        "underlying, expiry, strike and option_type columns.",
        snapshots.contract_symbols_batch,
    ),
    Check.batched(
        "snapshot_null_iv_ratio",
        _S,
        "warn",
        "At most 10% of two-sided quotes (bid > 0, ask ≥ bid) with DTE ≥ 1 have a null IV.",
        snapshots.null_iv_ratio_batch,
    ),
    Check.batched(
        "snapshot_crossed_quotes",
        _S,
        "error",
        "At most 1% of two-sided quotes are crossed (bid > ask > 0).",
        snapshots.crossed_quotes_batch,
    ),
    Check.batched(
        "snapshot_iv_range",
        _S,
        "warn",
        f"Every non-null IV lies within [{snapshots.IV_MIN}, {snapshots.IV_MAX:g}].",
        snapshots.iv_range_batch,
    ),
    Check.batched(
        "snapshot_expected_expiries",
        _S,
        "warn",
        "Every standard monthly expiry (third Friday, the session before when a holiday) in the "
        f"{snapshots.EXPIRY_HORIZON_DAYS} calendar days after the data date is in the chain.",
        snapshots.expected_expiries_batch,
    ),
    Check.batched(
        "snapshot_future_dated",
        _S,
        "error",
        f"The snapshot's data date is not {_FUTURE}.",
        session_dates.snapshot_future_batch,
    ),
    Check.batched(
        "snapshot_non_session_dated",
        _S,
        "error",
        f"The snapshot's data date is not {_NON_SESSION}.",
        session_dates.snapshot_non_session_batch,
    ),
    Check.batched(
        "options_flow_null_keys",
        "options_flow",
        "error",
        f"No row has a NULL in {', '.join(FLOW_KEYS)} (skipped until the table exists).",
        null_keys_batch(FLOW_TABLE, FLOW_KEYS, FLOW_PARTITION),
    ),
    Check.batched(
        "options_flow_no_duplicates",
        "options_flow",
        "error",
        f"No ({', '.join(FLOW_KEYS)}) is stored more than once (skipped until the table exists).",
        duplicate_keys_batch(FLOW_TABLE, FLOW_KEYS, FLOW_PARTITION),
    ),
    Check.batched(
        "derived_metrics_null_keys",
        "derived_metrics",
        "error",
        f"No row has a NULL in {', '.join(DERIVED_KEYS)} (skipped until the table exists).",
        null_keys_batch(DERIVED_TABLE, DERIVED_KEYS, DERIVED_PARTITION),
    ),
    Check.batched(
        "derived_metrics_no_duplicates",
        "derived_metrics",
        "error",
        f"No ({', '.join(DERIVED_KEYS)}) is stored more than once (skipped until the table "
        "exists).",
        duplicate_keys_batch(DERIVED_TABLE, DERIVED_KEYS, DERIVED_PARTITION),
    ),
)

# Checks that run on a batch before it is written (not over the warehouse); listed for the
# catalogue because their results land in meta.asset_checks too.
BATCH_CHECKS: tuple[dict[str, str], ...] = (
    {
        "name": candles.BATCH_CHECK_NAME,
        "asset_key": _C,
        "severity": "error",
        "description": "A candle batch about to be upserted holds each (symbol, session) once; "
        "run before the write, the batch is then deduplicated keeping the last row.",
    },
)


def require_asset(asset_key: str) -> str:
    """``asset_key`` if it is a known asset, else a one-line BadInputError."""
    if asset_key not in ASSET_KEYS:
        raise BadInputError(
            f"unknown asset {asset_key!r}",
            hint=f"use one of: {', '.join(ASSET_KEYS)}",
        )
    return asset_key


def checks_for(asset_key: str) -> list[Check]:
    """The registered checks of one asset (empty for a known asset without checks)."""
    require_asset(asset_key)
    return [c for c in CHECKS if c.asset_key == asset_key]


def check_named(name: str) -> Check:
    for c in CHECKS:
        if c.name == name:
            return c
    raise BadInputError(
        f"unknown check {name!r}", hint="`options-helper checks list` shows every check"
    )


def catalogue() -> list[dict[str, Any]]:
    """One dict per check: name, asset_key, severity, description, kind (stored | batch)."""
    rows = [
        {
            "name": c.name,
            "asset_key": c.asset_key,
            "severity": c.severity,
            "description": c.description,
            "kind": "stored",
        }
        for c in CHECKS
    ]
    rows += [{**b, "kind": "batch"} for b in BATCH_CHECKS]
    return rows
