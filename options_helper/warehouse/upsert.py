"""Idempotent replace-by-key of a registered Arrow batch (delete matching keys, insert)."""

from __future__ import annotations

import duckdb
import pyarrow as pa


def replace_by_key(
    conn: duckdb.DuckDBPyConnection,
    target: str,
    batch: pa.Table,
    keys: tuple[str, ...],
    columns: str,
) -> int:
    """Replace the rows of ``target`` whose ``keys`` appear in ``batch``; returns rows written.

    Runs inside the caller's transaction, so readers see all of the batch or none of it.
    """
    if batch.num_rows == 0:
        return 0
    view = f"_incoming_{target}"
    conn.register(view, batch)
    try:
        match = " AND ".join(f"t.{k} = i.{k}" for k in keys)
        conn.execute(f"DELETE FROM {target} t USING {view} i WHERE {match}")
        conn.execute(f"INSERT INTO {target} SELECT {columns} FROM {view}")
    finally:
        conn.unregister(view)
    return batch.num_rows
