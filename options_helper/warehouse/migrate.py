"""Apply numbered SQL migrations in order, each with its ledger record in one transaction.

Listing pending migrations never writes (and never creates the file). A warehouse whose
schema is newer than this code, or whose applied migration text was changed, is refused.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources

import duckdb

from options_helper.errors import SchemaMismatchError
from options_helper.warehouse.connection import Warehouse

_NAME_RE = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")

_LEDGER_DDL = """
CREATE SCHEMA IF NOT EXISTS meta;
CREATE TABLE IF NOT EXISTS meta.schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       VARCHAR NOT NULL,
    checksum   VARCHAR NOT NULL,
    applied_at TIMESTAMP NOT NULL
);
"""


# The warehouse's schema is not this code's: newer, edited, or drifted.
SchemaError = SchemaMismatchError


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


@dataclass(slots=True)
class SchemaStatus:
    path: str
    exists: bool
    current_version: int = 0
    code_version: int = 0
    applied: list[dict] = field(default_factory=list)
    pending: list[dict] = field(default_factory=list)
    mismatched: list[int] = field(default_factory=list)

    @property
    def too_new(self) -> bool:
        return self.current_version > self.code_version

    def asdict(self) -> dict:
        return {
            "path": self.path,
            "exists": self.exists,
            "current_version": self.current_version,
            "code_version": self.code_version,
            "applied": self.applied,
            "pending": self.pending,
            "mismatched": self.mismatched,
            "up_to_date": self.exists and not self.pending and not self.too_new,
        }


def available_migrations() -> list[Migration]:
    """Migrations shipped with this package, ordered by version."""
    out = []
    for entry in resources.files("options_helper.warehouse.migrations").iterdir():
        m = _NAME_RE.match(entry.name)
        if m:
            out.append(Migration(int(m[1]), m[2], entry.read_text(encoding="utf-8")))
    out.sort(key=lambda m: m.version)
    return out


def _applied(conn: duckdb.DuckDBPyConnection) -> list[tuple[int, str, str, datetime]]:
    has = conn.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'meta' AND table_name = 'schema_migrations'"
    ).fetchone()
    if not has or not has[0]:
        return []
    return conn.execute(
        "SELECT version, name, checksum, applied_at FROM meta.schema_migrations ORDER BY version"
    ).fetchall()


def _status_from(
    path: str, applied: list[tuple[int, str, str, datetime]], code: list[Migration]
) -> SchemaStatus:
    known = {m.version: m for m in code}
    applied_versions = {row[0] for row in applied}
    return SchemaStatus(
        path=path,
        exists=True,
        current_version=max(applied_versions, default=0),
        code_version=max(known, default=0),
        applied=[
            {"version": v, "name": n, "applied_at": a.isoformat(sep=" ", timespec="seconds")}
            for v, n, _c, a in applied
        ],
        pending=[
            {"version": m.version, "name": m.name}
            for m in code
            if m.version not in applied_versions
        ],
        mismatched=[v for v, _n, c, _a in applied if v in known and known[v].checksum != c],
    )


def schema_status(warehouse: Warehouse) -> SchemaStatus:
    """Applied and pending migrations. Read-only; a missing file is reported, not created."""
    code = available_migrations()
    if not warehouse.exists:
        return SchemaStatus(
            path=str(warehouse.path),
            exists=False,
            code_version=max((m.version for m in code), default=0),
            pending=[{"version": m.version, "name": m.name} for m in code],
        )
    with warehouse.reader() as conn:
        return _status_from(str(warehouse.path), _applied(conn), code)


def require_current_schema(warehouse: Warehouse) -> None:
    """For readers that use every table (the portal): the warehouse exists, is a DuckDB file,
    and has every shipped migration applied. Never writes; raises one-line errors."""
    try:
        status = schema_status(warehouse)
    except duckdb.Error as exc:  # a lock is WarehouseBusyError by now, not a duckdb.Error
        raise SchemaError(
            f"cannot read {warehouse.path} as a DuckDB warehouse ({_first_line(exc)})",
            hint="point --db / --data-dir at an options-helper warehouse",
        ) from exc
    if not status.exists:
        from options_helper.warehouse.connection import WarehouseMissingError

        raise WarehouseMissingError(warehouse.path)
    _refuse_if_incompatible(status)
    if status.pending:
        raise SchemaError(
            f"warehouse {status.path} is at schema version {status.current_version}; this "
            f"options-helper needs {status.code_version}",
            hint="run `options-helper db init` to apply the pending migrations",
        )


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _refuse_if_incompatible(status: SchemaStatus) -> None:
    if status.too_new:
        raise SchemaError(
            f"warehouse {status.path} has schema version {status.current_version}, newer than "
            f"this options-helper understands ({status.code_version})",
            hint="upgrade options-helper, or point --db at another warehouse",
        )
    if status.mismatched:
        raise SchemaError(
            f"warehouse {status.path}: applied migration(s) {status.mismatched} differ from the "
            "shipped files",
            hint="the warehouse was built by a different build; rebuild it or restore the files",
        )


def migrate(warehouse: Warehouse) -> list[Migration]:
    """Apply pending migrations (creating the file if needed); returns those applied."""
    code = available_migrations()
    applied_now: list[Migration] = []
    with warehouse.writer() as conn:
        conn.execute(_LEDGER_DDL)
    for m in code:
        with warehouse.writer() as conn:
            status = _status_from(str(warehouse.path), _applied(conn), code)
            _refuse_if_incompatible(status)
            if m.version in {row["version"] for row in status.applied}:
                continue
            conn.execute(m.sql)
            conn.execute(
                "INSERT INTO meta.schema_migrations VALUES (?, ?, ?, ?)",
                [m.version, m.name, m.checksum, datetime.now(UTC).replace(tzinfo=None)],
            )
            applied_now.append(m)
    return applied_now


_READY: set[str] = set()


def ensure_schema(warehouse: Warehouse) -> None:
    """Migrate once per process per warehouse path; refuse incompatible warehouses."""
    key = str(warehouse.path.resolve())
    if key in _READY:
        return
    if warehouse.exists:
        status = schema_status(warehouse)
        _refuse_if_incompatible(status)
        if not status.pending:
            _READY.add(key)
            return
    migrate(warehouse)
    _READY.add(key)


def require_schema(warehouse: Warehouse) -> None:
    """For read paths: the warehouse must exist and be compatible (never writes)."""
    status = schema_status(warehouse)
    if not status.exists:
        from options_helper.warehouse.connection import WarehouseMissingError

        raise WarehouseMissingError(warehouse.path)
    _refuse_if_incompatible(status)
