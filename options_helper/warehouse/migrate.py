"""Apply numbered SQL migrations in order, each with its ledger record in one transaction.

Listing pending migrations never writes (and never creates the file). A warehouse whose
schema is newer than this code, whose applied migration text was changed, whose tables no
longer match the migrations (drift), or whose file is damaged (see :mod:`.verify`) is refused.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import duckdb

from options_helper.errors import (
    OptionsHelperError,
    SchemaMismatchError,
    StorageCorruptError,
    WarehouseMissingError,
)
from options_helper.warehouse import verify
from options_helper.warehouse.connection import Warehouse, describe
from options_helper.warehouse.verify import Problem

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
    # What the cheap integrity checks found: a damaged file, or tables drifted from the
    # migrations. Empty for a missing file.
    problems: list[Problem] = field(default_factory=list)

    @property
    def too_new(self) -> bool:
        return self.current_version > self.code_version

    def error(self) -> OptionsHelperError | None:
        """Why this warehouse must not be used as it is (one line), or None.

        Damage comes first: a damaged file's versions and schema are not to be trusted.
        """
        corrupt = [p.detail for p in self.problems if p.kind == "corrupt"]
        if corrupt:
            return StorageCorruptError(self.path, _summary(corrupt))
        unreadable = [p.detail for p in self.problems if p.kind == "unreadable"]
        if unreadable:
            return SchemaError(
                f"cannot read {self.path} as a DuckDB warehouse ({_summary(unreadable)})",
                hint="point --db / --data-dir at an options-helper warehouse",
            )
        if self.too_new:
            return SchemaError(
                f"warehouse {self.path} has schema version {self.current_version}, newer than "
                f"this options-helper understands ({self.code_version})",
                hint="upgrade options-helper, or point --db at another warehouse",
            )
        if self.mismatched:
            return SchemaError(
                f"warehouse {self.path}: applied migration(s) {self.mismatched} differ from "
                "the shipped files",
                hint="the warehouse was built by a different build; rebuild it or restore the files",
            )
        drift = [p.detail for p in self.problems if p.kind == "drift"]
        if drift:
            return SchemaError(
                f"warehouse {self.path} does not match its migrations: {_summary(drift)}",
                hint=(
                    "its tables were changed outside options-helper: restore it from a backup, "
                    "or move it aside and rebuild it (`options-helper db init`, then re-ingest)"
                ),
            )
        return None

    def asdict(self) -> dict:
        error = self.error()
        return {
            "path": self.path,
            "exists": self.exists,
            "current_version": self.current_version,
            "code_version": self.code_version,
            "applied": self.applied,
            "pending": self.pending,
            "mismatched": self.mismatched,
            "problems": [asdict(p) for p in self.problems],
            "up_to_date": self.exists and not self.pending and error is None,
            "error": error.asdict() if error else None,
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
    """Applied and pending migrations, and what the cheap integrity checks found.

    Read-only: a missing file is reported, not created; a damaged or drifted one is reported
    in ``problems``, not raised (see :meth:`SchemaStatus.error`).
    """
    code = available_migrations()
    if not warehouse.exists:
        return SchemaStatus(
            path=str(warehouse.path),
            exists=False,
            code_version=max((m.version for m in code), default=0),
            pending=[{"version": m.version, "name": m.name} for m in code],
        )
    damage = verify.file_problems(warehouse.path)
    if damage:
        return _unreadable(warehouse, code, damage)
    try:
        with warehouse.reader() as conn:
            status = _status_from(str(warehouse.path), _applied(conn), code)
            status.problems = [
                *verify.block_problems(conn, warehouse.path),
                *_drift(conn, status, code),
            ]
    except StorageCorruptError as exc:
        return _unreadable(warehouse, code, [Problem("corrupt", exc.detail)])
    except duckdb.Error as exc:  # a lock is WarehouseBusyError by now, not a duckdb.Error
        # Not damage as far as we can tell (permissions, a DuckDB too old for the file, ...).
        return _unreadable(warehouse, code, [Problem("unreadable", describe(exc))])
    return status


def _unreadable(warehouse: Warehouse, code: list[Migration], damage: list[Problem]) -> SchemaStatus:
    return SchemaStatus(
        path=str(warehouse.path),
        exists=True,
        code_version=max((m.version for m in code), default=0),
        problems=damage,
    )


def _drift(conn: duckdb.DuckDBPyConnection, status: SchemaStatus, code: list[Migration]):
    """Differences between the tables and what the applied migrations create.

    Nothing is expected of a file with no migration applied (it is about to be initialised),
    and a newer or edited warehouse is refused for that reason instead.
    """
    if not status.applied or status.too_new or status.mismatched:
        return []
    applied = {row["version"] for row in status.applied}
    return verify.schema_problems(conn, verify.expected_columns(_scripts(code, applied)))


def _scripts(code: list[Migration], versions: set[int]) -> tuple[str, ...]:
    """The DDL that builds a warehouse at ``versions``: the ledger, then those migrations."""
    return (_LEDGER_DDL, *(m.sql for m in code if m.version in versions))


def _summary(details: list[str], shown: int = 3) -> str:
    text = "; ".join(details[:shown])
    return text + (f" (and {len(details) - shown} more)" if len(details) > shown else "")


def require_current_schema(warehouse: Warehouse) -> None:
    """For readers that use every table (the portal): the warehouse exists, is intact and
    has every shipped migration applied. Never writes; raises one-line errors."""
    status = require_schema(warehouse)
    if status.pending:
        raise SchemaError(
            f"warehouse {status.path} is at schema version {status.current_version}; this "
            f"options-helper needs {status.code_version}",
            hint="run `options-helper db init` to apply the pending migrations",
        )


def _refuse_if_incompatible(status: SchemaStatus) -> None:
    error = status.error()
    if error is not None:
        raise error


def migrate(warehouse: Warehouse) -> list[Migration]:
    """Apply pending migrations (creating the file if needed); returns those applied.

    An existing warehouse that fails the cheap integrity checks is refused before anything
    is written to it.
    """
    if warehouse.exists:
        _refuse_if_incompatible(schema_status(warehouse))
    return _apply_pending(warehouse)


def _apply_pending(warehouse: Warehouse) -> list[Migration]:
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
    """For writers, once per process per warehouse path: refuse a damaged, drifted or
    incompatible warehouse (before writing anything), then apply pending migrations."""
    key = str(warehouse.path.resolve())
    if key in _READY:
        return
    if warehouse.exists:
        status = schema_status(warehouse)
        _refuse_if_incompatible(status)
        if not status.pending:
            _READY.add(key)
            return
    _apply_pending(warehouse)
    _READY.add(key)


def require_schema(warehouse: Warehouse) -> SchemaStatus:
    """For read paths: the warehouse must exist, be intact and be compatible (never writes)."""
    status = schema_status(warehouse)
    if not status.exists:
        raise WarehouseMissingError(warehouse.path)
    _refuse_if_incompatible(status)
    return status


if __name__ == "__main__":
    # Regenerate migrations/schema.json after adding a migration (tests say when it is stale).
    shipped = available_migrations()
    target = resources.files("options_helper.warehouse.migrations").joinpath(verify.SCHEMA_MANIFEST)
    text = verify.schema_manifest(_scripts(shipped, {m.version for m in shipped}))
    Path(str(target)).write_text(text, encoding="utf-8")
    print(f"wrote {target}")
