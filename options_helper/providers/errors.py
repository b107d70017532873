"""Typed provider errors; the classes and the taxonomy live in :mod:`options_helper.errors`."""

from __future__ import annotations

from options_helper.errors import (
    ERROR_TYPES,
    BadPayloadError,
    EntitlementError,
    NetworkError,
    NotFoundError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitedError,
)
from options_helper.errors import PROVIDER_ERROR_CLASSES as ERROR_CLASSES

__all__ = [
    "ERROR_CLASSES",
    "ERROR_TYPES",
    "BadPayloadError",
    "EntitlementError",
    "NetworkError",
    "NotFoundError",
    "ProviderError",
    "ProviderTimeoutError",
    "RateLimitedError",
]
