import time
from datetime import datetime

import duckdb
import pytest

from options_helper.warehouse import Warehouse, WarehouseBusyError
from options_helper.warehouse.connection import RetryPolicy
from options_helper.warehouse.migrate import (
    SchemaError,
    available_migrations,
    ensure_schema,
    migrate,
    schema_status,
)
from tests.lock_holder import write_lock_held


def test_status_never_creates_the_file(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    status = schema_status(wh)
    assert not status.exists
    assert status.pending
    assert not wh.path.exists()


def test_migrate_applies_each_migration_once(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    applied = migrate(wh)
    assert [m.version for m in applied] == [m.version for m in available_migrations()]
    assert migrate(wh) == []
    status = schema_status(wh)
    assert status.asdict()["up_to_date"]
    with duckdb.connect(str(wh.path), read_only=True) as conn:
        tables = {
            r[0]
            for r in conn.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
    assert {"candles_daily", "option_contracts", "options_bars", "options_snapshots"} <= tables


def test_a_warehouse_newer_than_the_code_is_refused(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    migrate(wh)
    with duckdb.connect(str(wh.path)) as conn:
        conn.execute(
            "INSERT INTO meta.schema_migrations VALUES (999, 'future', 'x', ?)", [datetime.now()]
        )
    with pytest.raises(SchemaError, match="newer than this options-helper"):
        ensure_schema(Warehouse(wh.path))


def test_an_edited_applied_migration_is_refused(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    migrate(wh)
    with duckdb.connect(str(wh.path)) as conn:
        conn.execute("UPDATE meta.schema_migrations SET checksum = 'tampered' WHERE version = 1")
    assert schema_status(wh).mismatched == [1]
    with pytest.raises(SchemaError, match="differ from the shipped files"):
        migrate(wh)


def test_writer_rolls_back_on_error(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    migrate(wh)
    with pytest.raises(RuntimeError), wh.writer() as conn:
        conn.execute(
            "INSERT INTO candles_daily VALUES ('AAPL', DATE '2025-01-02', 1, 2, 0.5, 1.5, 10, 'sim', now())"
        )
        raise RuntimeError("boom")
    with wh.reader() as conn:
        assert conn.execute("SELECT count(*) FROM candles_daily").fetchone()[0] == 0


def test_lock_held_by_another_process_gives_busy_after_the_bound(tmp_path):
    path = tmp_path / "w.duckdb"
    migrate(Warehouse(path))
    with write_lock_held(path):
        wh = Warehouse(path, RetryPolicy(max_wait_s=0.5))
        started = time.monotonic()
        with pytest.raises(WarehouseBusyError, match="warehouse busy"), wh.reader():
            pass
        assert time.monotonic() - started >= 0.5
    # Once the holder is gone the same call succeeds.
    with Warehouse(path).reader() as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_a_failed_statement_on_a_registered_batch_surfaces_its_own_error(tmp_path):
    """Cleanup after a failed statement must not replace its error with DuckDB's
    'transaction is aborted'."""
    import pyarrow as pa

    from options_helper.warehouse.upsert import registered

    wh = Warehouse(tmp_path / "w.duckdb")
    with wh.writer() as conn:
        conn.execute("CREATE TABLE t (a INTEGER PRIMARY KEY)")
    with (
        pytest.raises(duckdb.ConstraintException),
        wh.writer() as conn,
        registered(conn, "incoming", pa.table({"a": [1, 1]})),
    ):
        conn.execute("INSERT INTO t SELECT a FROM incoming")


def test_the_shipped_schema_manifest_is_what_the_migrations_build():
    from importlib import resources

    from options_helper.warehouse import verify
    from options_helper.warehouse.migrate import _scripts

    code = available_migrations()
    scripts = _scripts(code, {m.version for m in code})
    shipped = resources.files("options_helper.warehouse.migrations").joinpath("schema.json")
    assert shipped.read_text(encoding="utf-8") == verify.schema_manifest(scripts), (
        "migrations/schema.json is stale: run `python -m options_helper.warehouse.migrate`"
    )
    assert verify.expected_columns(scripts) == verify.build_expected_columns(scripts)


def test_tables_of_a_pending_migration_are_not_drift(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    migrate(wh)
    with duckdb.connect(str(wh.path)) as conn:
        conn.execute("DELETE FROM meta.schema_migrations WHERE version >= 3")
        conn.execute("DROP TABLE options_flow")
    status = schema_status(wh)
    assert [m["version"] for m in status.pending] == [3, 4]
    assert status.problems == [] and status.error() is None
