"""Warehouse administration: initialise and report schema status."""

from __future__ import annotations

from dataclasses import dataclass

from options_helper.config import Config
from options_helper.warehouse import Warehouse
from options_helper.warehouse.migrate import SchemaStatus, migrate, schema_status


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
    """Schema status of the configured warehouse (read-only)."""
    return schema_status(Warehouse.for_config(config))
