"""JSON for reports and the ledger: dates, decimals, numpy scalars, paths, pydantic models.

Ledger JSON (args_json, extra_json, metrics_json) goes through :func:`ledger_json`, which also
redacts secrets and caps the size, so credentials never reach ``meta.*``, logs or the portal.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

REDACTED = "***"
# Env vars holding provider credentials; their values are scrubbed wherever they appear.
CREDENTIAL_ENV_VARS = (
    "ALPACA_API_KEY_ID",
    "ALPACA_API_SECRET_KEY",
    "APCA_API_KEY_ID",
    "APCA_API_SECRET_KEY",
    "ALPACA_KEY",
    "ALPACA_SECRET",
    "OPTIONS_HELPER_API_KEY",
)
# Names that hold credentials. A bare "*key*" rule would hide our own identifiers
# (asset_key, partition_key, cache_key...), so keys are matched by their credential forms.
_SECRET_NAME = re.compile(
    r"(secret|token|passw(or)?d|passphrase|credential|authorization|cookie|"
    r"api[_\-]?key|access[_\-]?key|private[_\-]?key|signing[_\-]?key|key[_\-]?id|^key$)",
    re.IGNORECASE,
)
MAX_LEDGER_JSON_BYTES = 16_384


def to_jsonable(obj: Any) -> Any:
    """Convert ``obj`` recursively into plain JSON types (NaN/inf become null)."""
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    if isinstance(obj, Decimal):
        return float(obj)
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in obj]
    if hasattr(obj, "model_dump"):
        return to_jsonable(obj.model_dump(mode="json"))
    if hasattr(obj, "asdict") and callable(obj.asdict):
        return to_jsonable(obj.asdict())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable(dataclasses.asdict(obj))
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalar
        return to_jsonable(obj.item())
    if hasattr(obj, "isoformat"):  # pandas Timestamp
        return obj.isoformat()
    return str(obj)


def dumps(obj: Any, *, indent: int | None = 2) -> str:
    return json.dumps(to_jsonable(obj), indent=indent, sort_keys=False)


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """Current values of the credential env vars (long enough to be worth scrubbing)."""
    env = os.environ if environ is None else environ
    return [v for k in CREDENTIAL_ENV_VARS if len(v := env.get(k, "")) >= 4]


def redact_text(text: str, secrets: list[str] | None = None) -> str:
    """``text`` with every credential value replaced."""
    for s in secret_values() if secrets is None else secrets:
        text = text.replace(s, REDACTED)
    return text


def redact(obj: Any, secrets: list[str] | None = None) -> Any:
    """A JSON-able copy of ``obj`` with secret-named keys and credential values replaced."""
    secrets = secret_values() if secrets is None else secrets
    plain = to_jsonable(obj)

    def walk(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: REDACTED if is_secret_name(k) else walk(v) for k, v in x.items()}
        if isinstance(x, list):
            return [walk(v) for v in x]
        if isinstance(x, str):
            return redact_text(x, secrets)
        return x

    return walk(plain)


def ledger_json(
    obj: Any, *, max_bytes: int = MAX_LEDGER_JSON_BYTES, secrets: list[str] | None = None
) -> str | None:
    """Compact, redacted JSON for the ledger, capped at ``max_bytes``.

    Pass ``secrets`` (from :func:`secret_values`) when encoding many documents in a row.
    """
    if obj is None:
        return None
    text = json.dumps(redact(obj, secrets), separators=(",", ":"), sort_keys=True)
    if len(text.encode()) <= max_bytes:
        return text
    return json.dumps(
        {"truncated": True, "original_bytes": len(text.encode()), "head": text[: max_bytes // 2]}
    )
