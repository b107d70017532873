"""Shared handling of a failed warehouse write: the partitions in it become failed results."""

from __future__ import annotations

from options_helper.errors import OptionsHelperError
from options_helper.jobs.report import AssetResult


def storage_failure(results: list[AssetResult], exc: OptionsHelperError) -> list[AssetResult]:
    """Mark every result of a failed write transaction as failed (nothing of it was kept).

    Only our typed errors (warehouse busy, disk full, ...) become failed partitions; anything
    else is a bug and escapes the job (``--debug`` shows it)."""
    for r in results:
        r.status = "failed"
        r.rows = 0
        r.error_type = exc.error_type
        r.error_message = f"write failed: {exc.one_line()}"
    return results
