"""Run checks over asset partitions and record their results in ``meta.asset_checks``.

One read-only connection serves every check of a call; all results are then written in one
transaction. A check with a batch function runs once for all the partitions of the call (one
query per check, not one per partition and check). A check that raises becomes an ``error``
result (for every partition of its batch, or for the one partition that raised): a check bug
never stops the job that wrote the data (opening or writing the warehouse can still fail, with
typed errors).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from options_helper.jsonutil import ledger_json, redact_text, secret_values
from options_helper.observability.checks.base import (
    BatchFn,
    BatchInput,
    Check,
    CheckInput,
    CheckResult,
    Outcome,
)
from options_helper.observability.checks.generic import table_exists
from options_helper.observability.checks.registry import (
    PARTITION_SOURCES,
    checks_for,
    require_asset,
)
from options_helper.warehouse import Warehouse
from options_helper.warehouse.failures import raise_if_interrupt
from options_helper.warehouse.ledger import CHECK_COLUMNS, insert_checks

_STATUSES = ("pass", "fail", "error", "skip")
_MAX_ERROR_CHARS = 500


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _error(check: Check, exc: Exception) -> Outcome:
    # DuckDB errors span lines (a caret under the SQL); the ledger wants one line.
    text = " ".join(str(exc).split())[:_MAX_ERROR_CHARS]
    return Outcome(
        "error",
        f"check {check.name} raised {type(exc).__name__}: {text}",
        {"exception": type(exc).__name__},
    )


def _checked(check: Check, outcome: object) -> Outcome:
    """``outcome`` if it is a valid Outcome, else the ``error`` outcome describing it."""
    if isinstance(outcome, Exception):
        return _error(check, outcome)
    if not isinstance(outcome, Outcome) or outcome.status not in _STATUSES:
        return _error(check, TypeError(f"returned {outcome!r} instead of an Outcome"))
    return outcome


def _result(check: Check, partition_key: str, outcome: Outcome) -> CheckResult:
    return CheckResult(
        asset_key=check.asset_key,
        partition_key=partition_key,
        check_name=check.name,
        severity=check.severity,
        status=outcome.status,
        message=outcome.message,
        metrics=dict(outcome.metrics),
    )


def run_one(check: Check, inp: CheckInput) -> CheckResult:
    """Run one check; an exception or a malformed return becomes an ``error`` result."""
    try:
        outcome: object = check.fn(inp)
    except Exception as exc:
        raise_if_interrupt(exc)  # Ctrl-C inside a query ends the run; it is no check result
        outcome = exc
    return _result(check, inp.partition_key, _checked(check, outcome))


def _run_batch(check: Check, batch_fn: BatchFn, batch: BatchInput) -> list[CheckResult]:
    """Run a batch check; a raising batch is an ``error`` for each of its partitions."""
    try:
        got = batch_fn(batch)
        if not isinstance(got, Mapping):
            raise TypeError(f"returned {type(got).__name__} instead of a mapping of outcomes")
    except Exception as exc:
        raise_if_interrupt(exc)
        failure = _error(check, exc)
        return [_result(check, key, failure) for key in batch.partition_keys]
    missing = TypeError("returned no outcome for this partition")
    return [
        _result(check, key, _checked(check, got.get(key, missing))) for key in batch.partition_keys
    ]


def run_checks(
    warehouse: Warehouse,
    data_dir: Path,
    asset_key: str,
    partitions: Iterable[str],
    *,
    as_of: date,
    run_id: str | None = None,
    checks: Sequence[Check] | None = None,
    persist: bool = True,
    latest_session: date | None = None,
) -> list[CheckResult]:
    """Run every check of ``asset_key`` on each partition and persist the results
    (``persist=False``: the caller persists them, e.g. together with other results).

    Args:
        warehouse: the warehouse to read and to record results in (schema must exist).
        data_dir: the data root snapshot paths are relative to.
        asset_key: an asset key of DESIGN.md (unknown keys are a BadInputError).
        partitions: partition keys (symbols, or ``SYMBOL|YYYY-MM-DD`` for snapshots).
        as_of: the data date staleness and gaps are measured against.
        run_id: the job run the results belong to (None for ad-hoc runs).
        checks: run these instead of the asset's registered checks (e.g. one Dagster check).
        latest_session: the latest completed session: rows dated after it are in the future
            (default ``as_of``; pass it whenever ``as_of`` may be an older session).

    Returns:
        One result per (partition, check), in partition then registry order.
    """
    require_asset(asset_key)
    selected = list(checks) if checks is not None else checks_for(asset_key)
    keys = list(dict.fromkeys(partitions))
    if not selected or not keys:
        return []
    per_check: list[list[CheckResult]] = []
    with warehouse.reader() as conn:
        batch = BatchInput(conn, Path(data_dir), tuple(keys), as_of, latest_session=latest_session)
        for check in selected:
            if check.batch_fn is not None:
                per_check.append(_run_batch(check, check.batch_fn, batch))
                continue
            per_check.append(
                [
                    run_one(check, CheckInput(conn, batch.data_dir, key, as_of, latest_session))
                    for key in keys
                ]
            )
    # Partition then registry order, as callers and the ledger have always seen them.
    results = [r for by_partition in zip(*per_check, strict=True) for r in by_partition]
    if persist:
        persist_results(warehouse, results, run_id)
    return results


def _row(
    result: CheckResult, run_id: str | None, checked_at: datetime, secrets: list[str]
) -> dict[str, Any]:
    return {
        "check_id": result.check_id,
        "asset_key": result.asset_key,
        "partition_key": result.partition_key,
        "check_name": result.check_name,
        "severity": result.severity,
        "status": result.status,
        "checked_at": checked_at,
        "metrics_json": ledger_json(result.metrics, secrets=secrets),
        "message": redact_text(result.message, secrets),
        "run_id": run_id,
    }


def persist_results(
    warehouse: Warehouse, results: Sequence[CheckResult], run_id: str | None
) -> int:
    """Append results computed elsewhere (e.g. a batch check) in one transaction; returns rows."""
    if not results:
        return 0
    checked_at = _now()
    secrets = secret_values()
    rows = [_row(r, run_id, checked_at, secrets) for r in results]
    with warehouse.writer() as conn:
        insert_checks(conn, rows)
    return len(rows)


def partitions_for(warehouse: Warehouse, asset_key: str) -> list[str]:
    """Every partition present for an asset, sorted (empty when its table does not exist)."""
    require_asset(asset_key)
    source = PARTITION_SOURCES.get(asset_key)
    if source is None:
        return []
    table, expr = source
    with warehouse.reader() as conn:
        if not table_exists(conn, table):
            return []
        rows = conn.execute(
            f"SELECT DISTINCT {expr} AS k FROM {table} WHERE k IS NOT NULL ORDER BY k"
        ).fetchall()
    return [r[0] for r in rows]


def latest_results(warehouse: Warehouse, asset_key: str | None = None) -> list[dict[str, Any]]:
    """The most recent result per (asset_key, partition_key, check_name).

    Each dict holds the columns of ``meta.asset_checks`` plus ``metrics`` (the parsed JSON).
    """
    if asset_key is not None:
        require_asset(asset_key)
    with warehouse.reader() as conn:
        cur = conn.execute(
            f"""
            SELECT {", ".join(CHECK_COLUMNS)} FROM meta.asset_checks
            WHERE ?::VARCHAR IS NULL OR asset_key = ?
            QUALIFY row_number() OVER (
                PARTITION BY asset_key, partition_key, check_name
                ORDER BY checked_at DESC, check_id DESC) = 1
            ORDER BY asset_key, partition_key, check_name
            """,
            [asset_key, asset_key],
        )
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    out = []
    for row in rows:
        rec = dict(zip(names, row, strict=True))
        rec["metrics"] = json.loads(rec["metrics_json"]) if rec["metrics_json"] else {}
        out.append(rec)
    return out
