"""Warehouse administration: initialise, report schema status, verify integrity."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from options_helper.config import Config
from options_helper.errors import OptionsHelperError, StorageCorruptError, WarehouseMissingError
from options_helper.warehouse import Warehouse
from options_helper.warehouse.migrate import SchemaStatus, migrate, schema_status
from options_helper.warehouse.verify import TableScan, scan_tables


@dataclass
class InitReport:
    path: str
    applied: list[str]
    version: int

    def asdict(self) -> dict:
        return {"path": self.path, "applied": self.applied, "version": self.version}

    def asstr(self) -> str:
        if not self.applied:
            return f"warehouse {self.path} is up to date (schema version {self.version})"
        return (
            f"warehouse {self.path}: applied {', '.join(self.applied)} "
            f"(schema version {self.version})"
        )


def init_warehouse(config: Config) -> InitReport:
    """Create the warehouse file if needed and apply pending migrations."""
    wh = Warehouse.for_config(config)
    applied = migrate(wh)
    status = schema_status(wh)
    return InitReport(
        str(wh.path), [f"{m.version:03d}_{m.name}" for m in applied], status.current_version
    )


def warehouse_status(config: Config) -> SchemaStatus:
    """Schema status and the cheap integrity checks of the configured warehouse (read-only;
    damage is reported in the status, not raised)."""
    return schema_status(Warehouse.for_config(config))


@dataclass
class CheckReport:
    """`db check`: the cheap checks, then every table read in full.

    Attributes:
        status: schema status with the cheap checks' problems.
        tables: one scan per table; None when DuckDB could not open the file at all.
    """

    path: str
    status: SchemaStatus
    tables: list[TableScan] | None
    elapsed_ms: int

    @property
    def damaged_tables(self) -> list[TableScan]:
        return [t for t in self.tables or [] if t.status != "ok"]

    def error(self) -> OptionsHelperError | None:
        """What is damaged and how to recover, as one error; None when the file is intact."""
        damaged = self.damaged_tables
        if not damaged:
            return self.status.error()
        names = ", ".join(t.table for t in damaged[:3])
        if len(damaged) > 3:
            names += f" and {len(damaged) - 3} more"
        cheap = [p.detail for p in self.status.problems if p.kind == "corrupt"]
        unreadable = f"{len(damaged)} of {len(self.tables or [])} tables unreadable ({names})"
        return StorageCorruptError(self.path, "; ".join([*cheap, unreadable]))

    def summary(self) -> str:
        """One line: what is damaged and what to do, or that the file is intact."""
        error = self.error()
        if error is not None:
            return error.one_line()
        rows = sum(t.rows or 0 for t in self.tables or [])
        return (
            f"warehouse {self.path} is intact: {len(self.tables or [])} tables read in full "
            f"({rows:,} rows) in {self.elapsed_ms} ms"
        )

    def asdict(self) -> dict[str, Any]:
        error = self.error()
        return {
            "path": self.path,
            "ok": error is None,
            "problems": [asdict(p) for p in self.status.problems],
            "tables": None if self.tables is None else [asdict(t) for t in self.tables],
            "elapsed_ms": self.elapsed_ms,
            "summary": self.summary(),
            "error": error.asdict() if error else None,
        }


def check_warehouse(config: Config) -> CheckReport:
    """Run the cheap checks, then read every table in full. Read-only; never raises for
    damage (the report says what is damaged)."""
    wh = Warehouse.for_config(config)
    if not wh.exists:
        raise WarehouseMissingError(wh.path)
    started = time.monotonic()
    status = schema_status(wh)
    tables = scan_tables(wh)
    elapsed_ms = round((time.monotonic() - started) * 1000)
    return CheckReport(str(wh.path), status, tables, elapsed_ms)
