"""The documented Dagster module: `dagster dev -m apps.dagster.defs` from the repo root.

Re-exports the packaged definitions (the `dagster` extra must be installed).
"""

from options_helper.orchestration.definitions import defs

__all__ = ["defs"]
