"""Reusable key checks parametrised by table, key columns and partition column.

They serve the core tables (duplicate candles, duplicate option bars) and the tables other jobs
add later (``options_flow``, ``derived_metrics``). Each asks its question of every partition of
a run at once (:data:`KEYS_SQL` joins the partition keys in). A table that does not exist yet is
a ``skip`` with the message "table not created yet", and a table lacking the expected columns is
an ``error`` naming them, so a schema drift is visible instead of a confusing SQL error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from options_helper.observability.checks.base import (
    BatchFn,
    BatchInput,
    CheckFn,
    Outcome,
    one_partition,
)
from options_helper.warehouse.failures import raise_if_interrupt

TABLE_NOT_CREATED = "table not created yet"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def quote_ident(name: str) -> str:
    """A validated, double-quoted SQL identifier (``schema.table`` allowed)."""
    parts = name.split(".")
    if not 1 <= len(parts) <= 2 or not all(_IDENT.match(p) for p in parts):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return ".".join(f'"{p}"' for p in parts)


def _split(table: str) -> tuple[str, str]:
    schema, _, name = table.rpartition(".")
    return schema or "main", name


def table_exists(conn: Any, table: str) -> bool:
    """Whether ``table`` (optionally ``schema.table``) exists in the warehouse."""
    schema, name = _split(table)
    row = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(row and row[0])


def column_types(conn: Any, table: str) -> dict[str, str]:
    """Column name -> DuckDB type name (``DATE``, ``BIGINT``...) of ``table``."""
    schema, name = _split(table)
    rows = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ?",
        [schema, name],
    ).fetchall()
    return dict(rows)


def missing_columns(conn: Any, table: str, columns: Sequence[str]) -> list[str]:
    """The names in ``columns`` that ``table`` lacks."""
    present = column_types(conn, table)
    return [c for c in columns if c not in present]


# The partition keys of a batch as a relation (parameter ``$keys``): join it to a table on its
# partition column.
KEYS_SQL = "(SELECT unnest($keys::VARCHAR[]) AS _key)"


def fetch_one(conn: Any, sql: str, params: Sequence[Any] = ()) -> tuple:
    """The first row of a query (a tuple of Nones when there is none)."""
    cur = conn.execute(sql, list(params))
    row = cur.fetchone()
    if row is None:
        return tuple(None for _ in cur.description or ())
    return row


def _validated(table: str, keys: Sequence[str], partition_column: str) -> tuple[str, list[str]]:
    if not keys:
        raise ValueError("a key check needs at least one key column")
    quote_ident(table)
    for c in (*keys, partition_column):
        quote_ident(c)
    return table, list(keys)


def _precondition(conn: Any, table: str, columns: Sequence[str]) -> Outcome | None:
    if not table_exists(conn, table):
        return Outcome("skip", TABLE_NOT_CREATED, {"table": table})
    missing = missing_columns(conn, table, columns)
    if missing:
        return Outcome(
            "error",
            f"{table} lacks the column(s) {missing} this check expects; "
            "align the check's keys with the table's migration",
            {"table": table, "missing_columns": missing},
        )
    return None


def _same_for_all(batch: BatchInput, outcome: Outcome) -> dict[str, Outcome]:
    return {key: outcome for key in batch.partition_keys}


def null_keys_batch(table: str, keys: Sequence[str], partition_column: str) -> BatchFn:
    """A batch check failing for each partition where a row has a NULL in a key column.

    Args:
        table: the table (``schema.table`` allowed).
        keys: the key columns that must never be NULL.
        partition_column: the column whose value is the partition key (a symbol).
    """
    table, keys = _validated(table, keys, partition_column)
    t, part = quote_ident(table), quote_ident(partition_column)
    any_null = " OR ".join(f"t.{quote_ident(k)} IS NULL" for k in keys)
    per_key = ", ".join(f"count(*) FILTER (WHERE t.{quote_ident(k)} IS NULL)" for k in keys)
    sql = (
        f"SELECT p._key, count(*), count(*) FILTER (WHERE {any_null}), {per_key} "
        f"FROM {KEYS_SQL} p JOIN {t} t ON t.{part} = p._key GROUP BY p._key"
    )

    def batch_fn(batch: BatchInput) -> dict[str, Outcome]:
        blocked = _precondition(batch.conn, table, [*keys, partition_column])
        if blocked:
            return _same_for_all(batch, blocked)
        found = {
            key: counts
            for key, *counts in batch.conn.execute(
                sql, {"keys": list(batch.partition_keys)}
            ).fetchall()
        }
        out = {}
        for key in batch.partition_keys:
            if key not in found:
                out[key] = Outcome("skip", f"no rows in {table} for {key}", {"rows": 0})
                continue
            rows, bad, *nulls = found[key]
            metrics = {
                "rows": rows,
                "null_key_rows": bad,
                "nulls_by_column": dict(zip(keys, nulls, strict=True)),
            }
            if bad:
                out[key] = Outcome(
                    "fail", f"{bad} of {rows} rows of {table} for {key} have a NULL key", metrics
                )
            else:
                out[key] = Outcome("pass", f"no NULL keys among {rows} rows of {table}", metrics)
        return out

    return batch_fn


# Types a per-partition bitmap can count distinct values of (by their offset from the minimum).
_DENSE_TYPES = {"DATE", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT"}
_MAX_BITMAP_BITS = 1 << 27  # 16 MiB over all the partitions of a batch


class _DuplicateKeys:
    """SQL of one duplicate-key check; see :func:`duplicate_keys_batch`."""

    def __init__(self, table: str, keys: list[str], partition_column: str):
        self.table = table
        t, part = quote_ident(table), quote_ident(partition_column)
        rows = f"{KEYS_SQL} p JOIN {t} t ON t.{part} = p._key"
        cols = [f"_c{i}" for i in range(len(keys))]
        picked = ", ".join(f"t.{quote_ident(k)} AS {c}" for k, c in zip(keys, cols, strict=True))
        self.rows_sql = f"SELECT p._key, count(*) FROM {rows} GROUP BY p._key"
        # The first duplicate of a partition is its smallest key, as ORDER BY keys LIMIT 1 is.
        self.dup_sql = f"""
            SELECT _key, {", ".join(cols)}, n,
                   count(*) OVER (PARTITION BY _key), sum(n - 1) OVER (PARTITION BY _key)
            FROM (SELECT p._key, {picked}, count(*) AS n FROM {rows}
                  GROUP BY ALL HAVING count(*) > 1)
            QUALIFY row_number() OVER (PARTITION BY _key ORDER BY {", ".join(cols)}) = 1
        """
        # Keys (partition column, x): grouping every key of a large table is slow, but a
        # partition holds a duplicate exactly when it has fewer distinct x than rows with an x
        # (or two rows without), which a bitmap of x per partition counts in one pass.
        others = [k for k in keys if k != partition_column]
        self.dense = others[0] if len(keys) == 2 and len(others) == 1 else None
        if self.dense:
            x = quote_ident(self.dense)
            self.span_sql = f"SELECT min({x}), max({x}) FROM {t}"
            self.bitmap_sql = (
                f"SELECT p._key, count(*), count(t.{x}), "
                f"bit_count(bitstring_agg(t.{x} - $lo, 0, $span)) FROM {rows} GROUP BY p._key"
            )

    def _suspects(self, conn: Any, keys: list[str]) -> tuple[dict[str, int], list[str]] | None:
        """(rows by partition, partitions holding a duplicate) from bitmaps; None when the keys
        do not suit a bitmap (the exact query then decides alone)."""
        if not self.dense or column_types(conn, self.table)[self.dense] not in _DENSE_TYPES:
            return None
        try:
            lo, hi = fetch_one(conn, self.span_sql)
            if lo is None:
                return None
            span = (hi - lo).days if isinstance(lo, date) else hi - lo
            if (span + 1) * len(keys) > _MAX_BITMAP_BITS:
                return None
            got = conn.execute(self.bitmap_sql, {"keys": keys, "lo": lo, "span": span}).fetchall()
        except Exception as exc:  # an accelerator only: e.g. an infinite date has no offset
            raise_if_interrupt(exc)
            return None
        rows = {key: n for key, n, _with_x, _distinct in got}
        suspects = [key for key, n, with_x, distinct in got if with_x > distinct or n - with_x > 1]
        return rows, suspects

    def find(self, conn: Any, keys: list[str]) -> tuple[dict[str, int], dict[str, tuple]]:
        """(rows by partition, first duplicate key by partition holding one)."""
        found = self._suspects(conn, keys)
        if found is None:
            rows, suspects = dict(conn.execute(self.rows_sql, {"keys": keys}).fetchall()), keys
        else:
            rows, suspects = found
        dups = {}
        if suspects:
            dups = {r[0]: r[1:] for r in conn.execute(self.dup_sql, {"keys": suspects}).fetchall()}
        return rows, dups


def duplicate_keys_batch(table: str, keys: Sequence[str], partition_column: str) -> BatchFn:
    """A batch check failing for each partition where two stored rows share the same key.

    Args:
        table: the table (``schema.table`` allowed).
        keys: the columns that together identify a row.
        partition_column: the column whose value is the partition key (a symbol).
    """
    table, keys = _validated(table, keys, partition_column)
    sql = _DuplicateKeys(table, keys, partition_column)
    label = f"({', '.join(keys)})"

    def batch_fn(batch: BatchInput) -> dict[str, Outcome]:
        blocked = _precondition(batch.conn, table, [*keys, partition_column])
        if blocked:
            return _same_for_all(batch, blocked)
        rows_by_key, dups = sql.find(batch.conn, list(batch.partition_keys))
        out = {}
        for key in batch.partition_keys:
            rows = rows_by_key.get(key)
            if not rows:
                out[key] = Outcome("skip", f"no rows in {table} for {key}", {"rows": 0})
                continue
            if key not in dups:
                metrics = {"rows": rows, "duplicate_keys": 0, "extra_rows": 0}
                out[key] = Outcome(
                    "pass", f"every {label} key of {table} is unique ({rows} rows)", metrics
                )
                continue
            *first, n, dup_keys, extra = dups[key]
            metrics = {
                "rows": rows,
                "duplicate_keys": int(dup_keys),
                "extra_rows": int(extra),
                "first_duplicate": dict(zip(keys, first, strict=True)),
                "first_duplicate_copies": int(n),
            }
            out[key] = Outcome(
                "fail",
                f"{dup_keys} {label} key(s) of {table} for {key} are stored more "
                f"than once ({extra} extra rows)",
                metrics,
            )
        return out

    return batch_fn


def null_keys_check(table: str, keys: Sequence[str], partition_column: str) -> CheckFn:
    """A check failing when any row of the partition has a NULL in a key column.

    The one-partition form of :func:`null_keys_batch` (same arguments).
    """
    return one_partition(null_keys_batch(table, keys, partition_column))


def duplicate_keys_check(table: str, keys: Sequence[str], partition_column: str) -> CheckFn:
    """A check failing when two stored rows of the partition share the same key.

    The one-partition form of :func:`duplicate_keys_batch` (same arguments).
    """
    return one_partition(duplicate_keys_batch(table, keys, partition_column))
