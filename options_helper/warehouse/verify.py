"""Is the warehouse file intact? Cheap checks on every open, a full scan on demand.

Cheap checks (milliseconds; every writer and health check runs them before using the file):
the file starts with DuckDB's header, its size is a whole number of blocks and holds every
block in use, and every table the applied migrations create has exactly their columns and
types. The full scan (`db check`) reads every column of every table, which makes DuckDB verify
the checksum of every data block it touches.

DuckDB's single-file layout (storage_info.hpp, single_file_block_manager.cpp): a 4 KiB main
header (checksum, then the magic ``DUCK`` at byte 8), two 4 KiB database headers (checksum,
iteration, meta block, free list, block count, block allocation size, ...; the one with the
higher iteration is current), then blocks of ``block_alloc_size`` bytes. Blocks are written
whole and a checkpoint truncates the file only at a block boundary; the header's block count
may exceed the file's blocks (trailing free blocks are cut off), so "blocks in use" comes from
DuckDB's own free-list accounting (``PRAGMA database_size``), not from the header.
"""

from __future__ import annotations

import functools
import hashlib
import json
import struct
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb

from options_helper.errors import StorageCorruptError
from options_helper.warehouse.connection import NOT_DUCKDB, Warehouse, describe

HEADER_BYTES = 4096
BLOCKS_START = 3 * HEADER_BYTES
_MAGIC = b"DUCK"
_MAGIC_OFFSET = 8
_DEFAULT_BLOCK_ALLOC_SIZE = 262_144  # what DuckDB assumes when the header says 0
SCHEMA_MANIFEST = "schema.json"  # in warehouse/migrations: see expected_columns

_COLUMNS_SQL = """
SELECT schema_name || '.' || table_name, column_name, data_type
FROM duckdb_columns()
WHERE database_name = current_database()
ORDER BY schema_name, table_name, column_index
"""

# {"schema.table": ((column, type), ...)}
Columns = dict[str, tuple[tuple[str, str], ...]]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the warehouse.

    Attributes:
        kind: ``corrupt`` (the file is damaged), ``drift`` (the schema is not the
            migrations') or ``unreadable`` (DuckDB refused the file for another reason).
        detail: what is wrong, in a few words.
        table: the table concerned, when there is one.
    """

    kind: str
    detail: str
    table: str | None = None


@dataclass(frozen=True, slots=True)
class TableScan:
    """The result of reading one table in full: ``status`` is ok or damaged."""

    table: str
    status: str
    rows: int | None = None
    detail: str | None = None


def file_problems(path: Path) -> list[Problem]:
    """Header and size checks on the raw file, before DuckDB opens it (reads 12 KiB)."""
    size = path.stat().st_size
    if size == 0:
        return [Problem("corrupt", "the file is empty (0 bytes)")]
    with path.open("rb") as f:
        head = f.read(BLOCKS_START)
    if head[_MAGIC_OFFSET : _MAGIC_OFFSET + len(_MAGIC)] != _MAGIC:
        return [Problem("corrupt", NOT_DUCKDB)]
    if size < BLOCKS_START:
        return [Problem("corrupt", f"truncated inside its headers ({size:,} bytes)")]
    block_bytes = _current_block_alloc_size(head)
    if (size - BLOCKS_START) % block_bytes:
        return [
            Problem(
                "corrupt",
                f"truncated: {size:,} bytes is not a whole number of {block_bytes:,}-byte blocks",
            )
        ]
    return []


def _current_block_alloc_size(head: bytes) -> int:
    # Each database header: checksum, iteration, meta_block, free_list, block_count,
    # block_alloc_size (little-endian 8-byte fields).
    headers = [struct.unpack_from("<6Q", head, off) for off in (HEADER_BYTES, 2 * HEADER_BYTES)]
    current = max(headers, key=lambda h: h[1])
    return current[5] or _DEFAULT_BLOCK_ALLOC_SIZE


def block_problems(conn: duckdb.DuckDBPyConnection, path: Path) -> list[Problem]:
    """Every block DuckDB counts as in use must lie inside the file."""
    row = conn.execute(
        "SELECT block_size, used_blocks FROM pragma_database_size() "
        "WHERE database_name = current_database()"
    ).fetchone()
    if row is None or not row[0]:
        return []
    block_bytes, used = int(row[0]), int(row[1])
    in_file = max(path.stat().st_size - BLOCKS_START, 0) // block_bytes
    if used > in_file:
        return [Problem("corrupt", f"truncated: {used} blocks in use, the file holds {in_file}")]
    return []


@functools.lru_cache(maxsize=4)
def expected_columns(scripts: tuple[str, ...]) -> Columns:
    """The tables and columns that running ``scripts`` on an empty database creates.

    The answer for every shipped migration is shipped too (``migrations/schema.json``, keyed by
    the scripts' sha256, kept current by a test): reading it costs well under a millisecond,
    building it 15-20 ms, which every job start would pay. Any other set of scripts (a
    warehouse with pending migrations, a stale file) is built in an in-memory DuckDB, so the
    expectation is always the migrations themselves.
    """
    shipped = _shipped_manifest()
    if shipped.get("scripts_sha256") == scripts_key(scripts):
        return {t: tuple((c, d) for c, d in cols) for t, cols in shipped["columns"].items()}
    return build_expected_columns(scripts)


def build_expected_columns(scripts: tuple[str, ...]) -> Columns:
    with duckdb.connect(":memory:") as conn:
        for sql in scripts:
            conn.execute(sql)
        return _columns(conn)


def scripts_key(scripts: tuple[str, ...]) -> str:
    return hashlib.sha256("\0".join(scripts).encode()).hexdigest()


def schema_manifest(scripts: tuple[str, ...]) -> str:
    """The text of ``migrations/schema.json`` for ``scripts`` (all shipped migrations): one
    ``[column, type]`` pair a line, in table order, so a new migration reads as a diff."""
    tables = [
        f"  {json.dumps(table)}: [\n"
        + ",\n".join(f"   {json.dumps(list(col))}" for col in cols)
        + "\n  ]"
        for table, cols in build_expected_columns(scripts).items()
    ]
    return (
        f'{{\n "scripts_sha256": "{scripts_key(scripts)}",\n "columns": {{\n'
        + ",\n".join(tables)
        + "\n }\n}\n"
    )


@functools.cache
def _shipped_manifest() -> dict:
    entry = resources.files("options_helper.warehouse.migrations").joinpath(SCHEMA_MANIFEST)
    try:
        return json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _columns(conn: duckdb.DuckDBPyConnection) -> Columns:
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in conn.execute(_COLUMNS_SQL).fetchall():
        out.setdefault(table, []).append((column, data_type))
    return {table: tuple(cols) for table, cols in out.items()}


def schema_problems(conn: duckdb.DuckDBPyConnection, expected: Columns) -> list[Problem]:
    """Tables or columns of the migrations that are missing, retyped, extra or reordered.

    Tables the migrations do not create are the user's business and are not reported.
    """
    actual = _columns(conn)
    problems = []
    for table, want in expected.items():
        have = actual.get(table)
        if have is None:
            problems.append(Problem("drift", f"table {table} is missing", table))
            continue
        problems.extend(Problem("drift", d, table) for d in _column_drift(table, want, have))
    return problems


def _column_drift(
    table: str, want: tuple[tuple[str, str], ...], have: tuple[tuple[str, str], ...]
) -> list[str]:
    have_types = dict(have)
    want_types = dict(want)
    out = [f"column {table}.{c} is missing" for c in want_types if c not in have_types]
    out += [
        f"column {table}.{c} is {have_types[c]}, expected {t}"
        for c, t in want_types.items()
        if c in have_types and have_types[c] != t
    ]
    out += [
        f"column {table}.{c} is not in the migrations" for c in have_types if c not in want_types
    ]
    if not out and [c for c, _ in have] != [c for c, _ in want]:
        # Writers insert by position, so the order is part of the schema.
        out.append(f"columns of {table} are out of order")
    return out


def scan_tables(warehouse: Warehouse) -> list[TableScan] | None:
    """Read every column of every row of every table, read-only; a table that fails is
    damaged. None when DuckDB cannot open the file at all."""
    try:
        with warehouse.reader() as conn:
            tables = conn.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() "
                "WHERE database_name = current_database() ORDER BY schema_name, table_name"
            ).fetchall()
            return [_scan(conn, schema, table) for schema, table in tables]
    except (duckdb.Error, StorageCorruptError):
        return None


def _scan(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> TableScan:
    name = f"{schema}.{table}"
    # hash() needs every value, so every block of every column is read (and checksummed).
    sql = f"SELECT count(*), bit_xor(hash(COLUMNS(*))) FROM {_quote(schema)}.{_quote(table)}"
    try:
        row = conn.execute(sql).fetchone()
    except duckdb.Error as exc:
        return TableScan(name, "damaged", detail=describe(exc))
    return TableScan(name, "ok", rows=int(row[0]) if row else 0)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
