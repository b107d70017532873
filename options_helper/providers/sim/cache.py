"""A least-recently-used cache bounded by bytes rather than entries.

Series books differ in size by two orders of magnitude (a weekly lives 30 sessions, a LEAPS
~600), so a count-bounded ``lru_cache`` is either wasteful or thrashes when many symbols are
processed session by session. Values are immutable; the computation runs outside the lock.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

import numpy as np

T = TypeVar("T")


def nbytes_of(obj: object) -> int:
    """Bytes held by the numpy arrays among ``obj``'s attributes (approximate)."""
    fields = getattr(obj, "__dict__", {})
    return sum(v.nbytes for v in fields.values() if isinstance(v, np.ndarray))


class BudgetCache(Generic[T]):
    """Memoises ``fn`` on positional args, evicting least recently used beyond the budget."""

    def __init__(self, fn: Callable[..., T], budget_bytes: int, size_of: Callable[[T], int]):
        functools.update_wrapper(self, fn)
        self._fn = fn
        self._budget = budget_bytes
        self._size_of = size_of
        self._store: OrderedDict[Hashable, tuple[T, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._total = 0

    def __call__(self, *args: Hashable) -> T:
        with self._lock:
            hit = self._store.get(args)
            if hit is not None:
                self._store.move_to_end(args)
                return hit[0]
        value = self._fn(*args)
        size = self._size_of(value)
        with self._lock:
            if args not in self._store:
                self._store[args] = (value, size)
                self._total += size
                while self._total > self._budget and len(self._store) > 1:
                    _, (_, dropped) = self._store.popitem(last=False)
                    self._total -= dropped
        return value

    def cache_clear(self) -> None:
        with self._lock:
            self._store.clear()
            self._total = 0


def byte_budget_cache(
    budget_bytes: int, size_of: Callable[[Any], int] = nbytes_of
) -> Callable[[Callable[..., T]], BudgetCache[T]]:
    """Decorator form of :class:`BudgetCache`."""

    def decorate(fn: Callable[..., T]) -> BudgetCache[T]:
        return BudgetCache(fn, budget_bytes, size_of)

    return decorate
