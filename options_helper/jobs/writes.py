"""Shared handling of a failed warehouse write: the partitions in it become failed results."""

from __future__ import annotations

from options_helper.errors import OptionsHelperError
from options_helper.jobs.report import AssetResult


def storage_failure(results: list[AssetResult], exc: Exception) -> list[AssetResult]:
    """Mark every result of a failed write transaction as failed (nothing of it was kept)."""
    error_type = exc.error_type if isinstance(exc, OptionsHelperError) else "internal"
    for r in results:
        r.status = "failed"
        r.rows = 0
        r.error_type = error_type
        r.error_message = f"write failed: {exc}"
    return results
