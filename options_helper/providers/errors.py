"""Typed provider errors. ``error_type`` values are the DESIGN.md taxonomy."""

from __future__ import annotations

ERROR_TYPES = (
    "not_found",
    "rate_limited",
    "timeout",
    "network",
    "entitlement",
    "bad_payload",
    "bad_input",
    "storage_busy",
    "interrupted",
    "internal",
)


class ProviderError(Exception):
    """A failure fetching from a provider.

    Attributes:
        error_type: one of :data:`ERROR_TYPES`.
        retryable: whether retrying later can succeed.
        symbol: the symbol being fetched, when known.
    """

    error_type = "internal"
    retryable = False

    def __init__(self, message: str, *, symbol: str | None = None, provider: str | None = None):
        super().__init__(message)
        self.symbol = symbol
        self.provider = provider


class NotFoundError(ProviderError):
    error_type = "not_found"


class RateLimitedError(ProviderError):
    error_type = "rate_limited"
    retryable = True


class ProviderTimeoutError(ProviderError):
    error_type = "timeout"
    retryable = True


class NetworkError(ProviderError):
    error_type = "network"
    retryable = True


class EntitlementError(ProviderError):
    error_type = "entitlement"


class BadPayloadError(ProviderError):
    error_type = "bad_payload"


ERROR_CLASSES: dict[str, type[ProviderError]] = {
    cls.error_type: cls
    for cls in (
        NotFoundError,
        RateLimitedError,
        ProviderTimeoutError,
        NetworkError,
        EntitlementError,
        BadPayloadError,
    )
}
