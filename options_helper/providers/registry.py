"""Build the configured provider: the names in config.AVAILABLE_PROVIDERS, nothing else."""

from __future__ import annotations

import os

from options_helper.config import AVAILABLE_PROVIDERS, PROVIDERS
from options_helper.errors import BadInputError
from options_helper.providers.base import MarketDataProvider
from options_helper.providers.latency import LATENCY_ENV, LatencyProvider


def make_provider(name: str, *, sim_seed: int = 7) -> MarketDataProvider:
    """The provider called ``name`` (one of AVAILABLE_PROVIDERS; the rest of PROVIDERS are refused)."""
    if name == "sim":
        from options_helper.providers.sim import SimProvider
        from options_helper.providers.sim.faults import FAULTS_ENV, SimFaultSpecError

        try:
            provider: MarketDataProvider = SimProvider(seed=sim_seed)
        except SimFaultSpecError as exc:
            raise BadInputError(str(exc), hint=f"fix {FAULTS_ENV}") from exc
        return _with_latency(provider)
    if name in PROVIDERS:
        raise BadInputError(
            f"provider {name!r} is not available in this version yet",
            hint="use --provider sim (the default)",
        )
    raise BadInputError(
        f"unknown provider {name!r}", hint=f"use one of: {', '.join(AVAILABLE_PROVIDERS)}"
    )


def _with_latency(provider: MarketDataProvider) -> MarketDataProvider:
    raw = os.environ.get(LATENCY_ENV, "").strip()
    if not raw:
        return provider
    try:
        latency_ms = float(raw)
    except ValueError:
        raise BadInputError(
            f"{LATENCY_ENV}={raw!r} is not a number", hint="set milliseconds, e.g. 50"
        ) from None
    return LatencyProvider(provider, latency_ms) if latency_ms > 0 else provider
