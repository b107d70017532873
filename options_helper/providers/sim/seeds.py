"""Stable hashing and seeded generators: every random draw derives from explicit keys.

Python's ``hash()`` is salted per process, so blake2b is used instead; no global RNG state.
"""

from __future__ import annotations

import hashlib

import numpy as np

_MASK64 = (1 << 64) - 1


def stable_hash(*parts: object) -> int:
    """64-bit hash of ``parts`` (by their ``str``), identical across processes and platforms."""
    payload = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(payload, digest_size=8).digest(), "little")


def stable_uniform(*parts: object) -> float:
    """A uniform number in [0, 1) derived from ``parts``."""
    return stable_hash(*parts) / float(1 << 64)


def rng_for(seed: int, *parts: object) -> np.random.Generator:
    """A generator keyed by the seed and ``parts`` (e.g. symbol, expiry, purpose)."""
    return np.random.default_rng([int(seed) & _MASK64, stable_hash(*parts)])
