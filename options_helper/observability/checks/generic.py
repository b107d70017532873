"""Reusable key checks parametrised by table, key columns and partition column.

They serve the core tables (duplicate candles, duplicate option bars) and the tables other jobs
add later (``options_flow``, ``derived_metrics``): a table that does not exist yet is a ``skip``
with the message "table not created yet", and a table lacking the expected columns is an
``error`` naming them, so a schema drift is visible instead of a confusing SQL error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from options_helper.observability.checks.base import CheckInput, Outcome

CheckFn = Callable[[CheckInput], Outcome]
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


def missing_columns(conn: Any, table: str, columns: Sequence[str]) -> list[str]:
    """The names in ``columns`` that ``table`` lacks."""
    schema, name = _split(table)
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ?",
        [schema, name],
    ).fetchall()
    present = {r[0] for r in rows}
    return [c for c in columns if c not in present]


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


def _precondition(inp: CheckInput, table: str, columns: Sequence[str]) -> Outcome | None:
    if not table_exists(inp.conn, table):
        return Outcome("skip", TABLE_NOT_CREATED, {"table": table})
    missing = missing_columns(inp.conn, table, columns)
    if missing:
        return Outcome(
            "error",
            f"{table} lacks the column(s) {missing} this check expects; "
            "align the check's keys with the table's migration",
            {"table": table, "missing_columns": missing},
        )
    return None


def null_keys_check(table: str, keys: Sequence[str], partition_column: str) -> CheckFn:
    """A check failing when any row of the partition has a NULL in a key column.

    Args:
        table: the table (``schema.table`` allowed).
        keys: the key columns that must never be NULL.
        partition_column: the column whose value is the partition key (a symbol).
    """
    table, keys = _validated(table, keys, partition_column)
    t, part = quote_ident(table), quote_ident(partition_column)
    any_null = " OR ".join(f"{quote_ident(k)} IS NULL" for k in keys)
    per_key = ", ".join(f"count(*) FILTER (WHERE {quote_ident(k)} IS NULL)" for k in keys)
    sql = (
        f"SELECT count(*), count(*) FILTER (WHERE {any_null}), {per_key} FROM {t} WHERE {part} = ?"
    )

    def check(inp: CheckInput) -> Outcome:
        blocked = _precondition(inp, table, [*keys, partition_column])
        if blocked:
            return blocked
        rows, bad, *nulls = fetch_one(inp.conn, sql, [inp.partition_key])
        if not rows:
            return Outcome("skip", f"no rows in {table} for {inp.partition_key}", {"rows": 0})
        metrics = {
            "rows": rows,
            "null_key_rows": bad,
            "nulls_by_column": dict(zip(keys, nulls, strict=True)),
        }
        if bad:
            return Outcome(
                "fail",
                f"{bad} of {rows} rows of {table} for {inp.partition_key} have a NULL key",
                metrics,
            )
        return Outcome("pass", f"no NULL keys among {rows} rows of {table}", metrics)

    return check


def duplicate_keys_check(table: str, keys: Sequence[str], partition_column: str) -> CheckFn:
    """A check failing when two stored rows of the partition share the same key.

    Args:
        table: the table (``schema.table`` allowed).
        keys: the columns that together identify a row.
        partition_column: the column whose value is the partition key (a symbol).
    """
    table, keys = _validated(table, keys, partition_column)
    t, part = quote_ident(table), quote_ident(partition_column)
    cols = ", ".join(quote_ident(k) for k in keys)
    rows_sql = f"SELECT count(*) FROM {t} WHERE {part} = ?"
    dup_sql = f"""
        SELECT {cols}, n, count(*) OVER () AS dup_keys, sum(n - 1) OVER () AS extra_rows
        FROM (SELECT {cols}, count(*) AS n FROM {t} WHERE {part} = ? GROUP BY ALL
              HAVING count(*) > 1)
        ORDER BY {cols} LIMIT 1
    """
    label = f"({', '.join(keys)})"

    def check(inp: CheckInput) -> Outcome:
        blocked = _precondition(inp, table, [*keys, partition_column])
        if blocked:
            return blocked
        (rows,) = fetch_one(inp.conn, rows_sql, [inp.partition_key])
        if not rows:
            return Outcome("skip", f"no rows in {table} for {inp.partition_key}", {"rows": 0})
        found = inp.conn.execute(dup_sql, [inp.partition_key]).fetchone()
        if found is None:
            metrics = {"rows": rows, "duplicate_keys": 0, "extra_rows": 0}
            return Outcome("pass", f"every {label} key of {table} is unique ({rows} rows)", metrics)
        *first, n, dup_keys, extra = found
        metrics = {
            "rows": rows,
            "duplicate_keys": int(dup_keys),
            "extra_rows": int(extra),
            "first_duplicate": dict(zip(keys, first, strict=True)),
            "first_duplicate_copies": int(n),
        }
        return Outcome(
            "fail",
            f"{dup_keys} {label} key(s) of {table} for {inp.partition_key} are stored more "
            f"than once ({extra} extra rows)",
            metrics,
        )

    return check
