"""Simulated network latency around any provider (``OPTIONS_HELPER_SIM_LATENCY_MS``).

Makes long runs observable offline: progress bars, the portal while ingestion writes,
interrupting a run mid-way.
"""

from __future__ import annotations

import time
from typing import Any

from options_helper.config import SETTINGS_BY_NAME

LATENCY_ENV = SETTINGS_BY_NAME["sim_latency_ms"].env
_DATA_METHODS = {
    "get_candles",
    "get_spot",
    "list_expiries",
    "get_chain",
    "list_contracts",
    "get_option_bars",
}


class LatencyProvider:
    """Delegates to ``inner``, sleeping ``latency_ms`` before every data call."""

    def __init__(self, inner: Any, latency_ms: float):
        self._inner = inner
        self._latency_s = latency_ms / 1000.0
        self.name = inner.name
        self.simulated = inner.simulated
        self.supports_history = inner.supports_history

    def __getattr__(self, item: str) -> Any:
        attr = getattr(self._inner, item)
        if item not in _DATA_METHODS:
            return attr

        def slow(*args: Any, **kwargs: Any) -> Any:
            time.sleep(self._latency_s)
            return attr(*args, **kwargs)

        return slow
