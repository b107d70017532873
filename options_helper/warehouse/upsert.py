"""Arrow batches as SQL views for one statement or a few, and idempotent replace-by-key."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pyarrow as pa


@contextmanager
def registered(conn: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> Iterator[str]:
    """``table`` visible to SQL on ``conn`` as view ``name`` inside the block, and only there.

    After a failed statement the transaction is aborted and ``unregister`` itself raises; the
    error that caused it is the one to surface (the caller's rollback drops the view anyway).
    """
    conn.register(name, table)
    try:
        yield name
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            conn.unregister(name)
        raise
    conn.unregister(name)


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
    with registered(conn, view, batch):
        match = " AND ".join(f"t.{k} = i.{k}" for k in keys)
        conn.execute(f"DELETE FROM {target} t USING {view} i WHERE {match}")
        conn.execute(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {view}")
    return batch.num_rows
