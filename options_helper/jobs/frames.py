"""Turn provider frames into typed Arrow columns, rejecting malformed payloads.

Conversion is vectorised in Arrow (no per-row Python): a provider frame becomes an Arrow table
once, then each column is cast to its warehouse type; a failed cast or a missing value where
one is required is a :class:`BadPayloadError` for that symbol.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from options_helper.providers.errors import BadPayloadError


def frame_to_arrow(
    df: pd.DataFrame, columns: Sequence[str], what: str, symbol: str, skip: Sequence[str] = ()
) -> pa.Table:
    """The provider columns of ``df`` as an Arrow table (missing columns are a bad payload;
    ``skip`` names required columns the caller does not use)."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise BadPayloadError(f"{what} payload lacks columns {missing}", symbol=symbol)
    try:
        # Column by column: pyarrow's from_pandas adds ~1 ms of metadata work per frame.
        return pa.table(
            {c: pa.array(df[c].to_numpy(), from_pandas=True) for c in columns if c not in skip}
        )
    except (pa.ArrowException, ValueError, TypeError) as exc:
        raise BadPayloadError(
            f"{what} payload has mixed or unreadable values", symbol=symbol
        ) from exc


def _cast(col: pa.ChunkedArray, type_: pa.DataType, what: str, symbol: str, name: str):
    try:
        is_text = pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
        if is_text and pa.types.is_date(type_):
            return pc.cast(pc.strptime(col, format="%Y-%m-%d", unit="s"), pa.date32())
        if pa.types.is_timestamp(col.type) and pa.types.is_date(type_):
            return pc.cast(col, type_)
        if pa.types.is_integer(type_) and pa.types.is_floating(col.type):
            return pc.cast(pc.round(col), type_)
        return pc.cast(col, type_)
    except (pa.ArrowException, ValueError, TypeError) as exc:
        raise BadPayloadError(
            f"{what} payload has unreadable values in column {name!r}", symbol=symbol
        ) from exc


def typed_column(
    table: pa.Table,
    name: str,
    type_: pa.DataType,
    what: str,
    symbol: str,
    *,
    nullable: bool = False,
) -> pa.ChunkedArray:
    """Column ``name`` cast to ``type_``; NaN counts as missing for floats."""
    col = _cast(table[name], type_, what, symbol, name)
    if pa.types.is_floating(type_):
        col = pc.if_else(pc.is_nan(col), pa.scalar(None, type_), col)
    if col.null_count and not nullable:
        raise BadPayloadError(
            f"{what} payload has missing values in column {name!r}", symbol=symbol
        )
    return col


def constant(value: object, n: int, type_: pa.DataType) -> pa.Array:
    """``value`` repeated ``n`` times; strings are dictionary-encoded (pa.repeat of a string
    copies it n times and is ~20x slower)."""
    if pa.types.is_string(type_):
        return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([value]))
    return pa.repeat(pa.scalar(value, type_), n)


def check_range(sessions: pa.ChunkedArray, start: date, end: date, what: str, symbol: str) -> None:
    if len(sessions) == 0:
        return
    lo, hi = (v.as_py() for v in pc.min_max(sessions).values())
    if lo < start or hi > end:
        raise BadPayloadError(
            f"{what} payload has dates {lo} .. {hi} outside the requested {start} .. {end}",
            symbol=symbol,
        )


def now_naive_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
