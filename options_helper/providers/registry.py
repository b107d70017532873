"""Build the configured provider; real vendors need their extras."""

from __future__ import annotations

from options_helper.errors import BadInputError
from options_helper.providers.base import MarketDataProvider


def make_provider(name: str, *, sim_seed: int = 7) -> MarketDataProvider:
    """The provider called ``name`` (sim | yahoo | alpaca)."""
    if name == "sim":
        from options_helper.providers.sim import SimProvider
        from options_helper.providers.sim.faults import SimFaultSpecError

        try:
            return SimProvider(seed=sim_seed)
        except SimFaultSpecError as exc:
            raise BadInputError(str(exc), hint="fix OPTIONS_HELPER_SIM_FAULTS") from exc
    if name in ("yahoo", "alpaca"):
        raise BadInputError(
            f"provider {name!r} is not available in this version yet",
            hint="use --provider sim (the default)",
        )
    raise BadInputError(f"unknown provider {name!r}", hint="use one of: sim, yahoo, alpaca")
