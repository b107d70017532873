"""The only package that imports duckdb: connections, migrations and stores."""

from options_helper.warehouse.connection import (
    Warehouse,
    WarehouseBusyError,
    WarehouseMissingError,
)

__all__ = ["Warehouse", "WarehouseBusyError", "WarehouseMissingError"]
