"""Stable fingerprints that group the same failure across runs, symbols and machines."""

from __future__ import annotations

import hashlib
import re

_PATTERNS = (
    (re.compile(r"(?:[A-Za-z]:)?(?:[\\/][\w.\-]+)+[\\/]?"), "<path>"),  # file paths
    (re.compile(r"\bline \d+\b"), "line <n>"),
    (re.compile(r"\b[0-9a-f]{8,}\b|\b[0-9a-f-]{36}\b", re.IGNORECASE), "<id>"),  # run ids, uuids
    (re.compile(r"'[^']*'|\"[^\"]*\""), "<q>"),  # quoted values (symbols, dates, names)
    (re.compile(r"\b[A-Z]{1,6}\d{6}[CP]\d{8}\b"), "<osi>"),  # option contract symbols
    (re.compile(r"[-+]?\d+(?:[.:,/-]\d+)*"), "<n>"),  # numbers, dates, times
    (re.compile(r"\s+"), " "),
)


def normalize_message(message: str, tokens: tuple[str, ...] = ()) -> str:
    """``message`` without paths, line numbers, ids, quoted values, numbers, and ``tokens``
    (the symbols or partitions the failure is about)."""
    text = message
    for token in sorted(tokens, key=len, reverse=True):
        if token:
            text = re.sub(rf"(?<![\w.]){re.escape(token)}(?![\w])", "<key>", text)
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text.strip()


def fingerprint(
    job_name: str, error_type: str | None, message: str | None, tokens: tuple[str, ...] = ()
) -> str:
    """12-hex-digit fingerprint of (job, error type, normalised message)."""
    basis = f"{job_name}|{error_type or ''}|{normalize_message(message or '', tokens)}"
    return hashlib.sha1(basis.encode()).hexdigest()[:12]
