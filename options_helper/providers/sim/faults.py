"""Fault injection for the simulated provider, configured by ``OPTIONS_HELPER_SIM_FAULTS``.

Format: comma-separated ``kind:target`` pairs, e.g. ``not_found:ZZZZ,timeout:0.1``.
- ``kind``: not_found | rate_limited | timeout | network | entitlement | bad_payload;
- ``target``: a symbol (that symbol fails with that error on every data method) or a
  probability in (0, 1] (every call fails with that probability). The draw is a stable hash of
  (seed, kind, symbol, method, date arguments): a run is reproducible, and repeating the
  identical call fails the same way. A target that parses as a number is a probability.
Pairs are checked in order; the first that fires raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from options_helper.config import SETTINGS_BY_NAME
from options_helper.providers.errors import ERROR_CLASSES, ProviderError
from options_helper.providers.sim.seeds import stable_uniform

FAULTS_ENV = SETTINGS_BY_NAME["sim_faults"].env
FAULT_KINDS = ("not_found", "rate_limited", "timeout", "network", "entitlement", "bad_payload")
_SYMBOL_RE = re.compile(r"^[A-Z0-9.]{1,6}$")
_FORMAT_HINT = (
    f"expected comma-separated kind:target pairs with kind in {{{', '.join(FAULT_KINDS)}}} "
    "and target a symbol or a probability in (0, 1], e.g. not_found:ZZZZ,timeout:0.1"
)


class SimFaultSpecError(ValueError):
    """A malformed ``OPTIONS_HELPER_SIM_FAULTS`` specification."""


@dataclass(frozen=True, slots=True)
class FaultRule:
    kind: str
    symbol: str | None = None
    probability: float | None = None


def _parse_pair(pair: str) -> FaultRule:
    def bad(why: str) -> SimFaultSpecError:
        return SimFaultSpecError(f"bad sim fault spec {pair!r} ({why}); {_FORMAT_HINT}")

    kind, sep, target = (x.strip() for x in pair.partition(":"))
    if not sep or not kind or not target:
        raise bad("missing kind or target")
    if kind not in FAULT_KINDS:
        raise bad(f"unknown kind {kind!r}")
    try:
        probability = float(target)
    except ValueError:
        symbol = target.upper()
        if not _SYMBOL_RE.match(symbol):
            raise bad(f"{target!r} is neither a symbol nor a probability") from None
        return FaultRule(kind, symbol=symbol)
    if not 0.0 < probability <= 1.0:
        raise bad(f"probability {target} is not in (0, 1]")
    return FaultRule(kind, probability=probability)


def parse_faults(spec: str | None) -> tuple[FaultRule, ...]:
    """Parse a fault specification; empty or None means no faults."""
    if spec is None or not spec.strip():
        return ()
    return tuple(_parse_pair(p) for p in spec.split(","))


_MESSAGES = {
    "not_found": "sim: symbol {symbol} not found",
    "rate_limited": "sim: rate limit exceeded (HTTP 429) fetching {symbol}; retry later",
    "timeout": "sim: request for {symbol} timed out after 30s",
    "network": "sim: connection reset by peer while fetching {symbol}",
    "entitlement": "sim: subscription does not include option data for {symbol} (HTTP 403)",
    "bad_payload": "sim: malformed response for {symbol}: field 'bid' missing in 3 rows",
}


def fault_error(kind: str, symbol: str) -> ProviderError:
    """The typed error a fault of ``kind`` raises for ``symbol``."""
    cls = ERROR_CLASSES[kind]
    return cls(_MESSAGES[kind].format(symbol=symbol), symbol=symbol, provider="sim")


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """The parsed rules plus the seed their probability draws derive from."""

    seed: int
    rules: tuple[FaultRule, ...] = ()

    def check(self, symbol: str, method: str, *args: object) -> None:
        """Raise the first fault that fires for this call, if any."""
        for rule in self.rules:
            if rule.symbol is not None:
                fired = rule.symbol == symbol
            else:
                u = stable_uniform(self.seed, rule.kind, symbol, method, *args)
                fired = u < (rule.probability or 0.0)
            if fired:
                raise fault_error(rule.kind, symbol)
