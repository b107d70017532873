"""A damaged warehouse is found by `db status` / `db check` / `db health`, and writers refuse it.

Each test damages a copy of one real warehouse (`ingest candles` into a fresh data dir) the
way it happens in the field: a file cut short, a file overwritten, a column dropped or retyped
by hand, a block whose bytes changed.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from options_helper.cli.main import app

REMEDY = "restore it from a backup"
BLOCKS_START = 3 * 4096  # DuckDB's file: a main header and two database headers, then blocks


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real warehouse: schema, two symbols of candles, a run in the ledger, check results."""
    data = tmp_path_factory.mktemp("built")
    unset = {k: None for k in os.environ if k.startswith("OPTIONS_HELPER_")}
    r = CliRunner().invoke(
        app, ["--data-dir", str(data), "ingest", "candles", "-s", "AAPL,MSFT"], env=unset
    )
    assert r.exit_code == 0, r.output
    return data / "warehouse.duckdb"


@pytest.fixture
def wh(built: Path, data_dir: Path) -> Path:
    """A fresh copy of the built warehouse in this test's data dir."""
    path = data_dir / "warehouse.duckdb"
    shutil.copyfile(built, path)
    return path


def truncate_to_a_third(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 3)


def truncate_at_a_block_boundary(path: Path) -> None:
    block = _block_size(path)
    blocks = (path.stat().st_size - BLOCKS_START) // block
    os.truncate(path, BLOCKS_START + blocks // 3 * block)


def overwrite_with_garbage(path: Path) -> None:
    path.write_bytes(os.urandom(path.stat().st_size))


def alter(path: Path, sql: str) -> None:
    with duckdb.connect(str(path)) as conn:
        conn.execute(sql)


def flip_bytes_in_a_candles_block(path: Path) -> None:
    """Change bytes inside a data block of candles_daily, leaving the file's size and headers."""
    with duckdb.connect(str(path), read_only=True) as conn:
        block_id, offset = conn.execute(
            "SELECT block_id, block_offset FROM pragma_storage_info('candles_daily') "
            "WHERE persistent AND block_id >= 0 ORDER BY block_id LIMIT 1"
        ).fetchone()
    block = _block_size(path)
    with path.open("r+b") as f:
        f.seek(BLOCKS_START + block_id * block + 8 + offset + 16)
        f.write(b"\xa5" * 64)


def _block_size(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute("SELECT block_size FROM pragma_database_size()").fetchone()[0]


def one_line_error(r) -> str:
    """The command failed with exactly one line on stderr and no traceback."""
    assert r.exit_code != 0
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.output and "internal error" not in r.stderr
    return lines[0]


# -- db status ----------------------------------------------------------------------------------


def test_status_says_a_truncated_warehouse_is_damaged_and_how_to_recover(cli, wh):
    truncate_to_a_third(wh)
    before = wh.read_bytes()
    r = cli("db", "status")
    line = one_line_error(r)
    assert r.exit_code == 1
    assert "is damaged: truncated" in line and REMEDY in line and "db init" in line
    assert wh.read_bytes() == before


def test_status_catches_a_truncation_on_a_block_boundary(cli, wh):
    truncate_at_a_block_boundary(wh)
    line = one_line_error(cli("db", "status"))
    assert "is damaged: truncated" in line


def test_status_json_reports_the_damage(cli, wh):
    truncate_to_a_third(wh)
    r = cli("--json", "db", "status")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["up_to_date"] is False
    assert doc["error"]["error_type"] == "storage_corrupt"
    assert [p["kind"] for p in doc["problems"]] == ["corrupt"]


def test_status_says_a_file_that_is_not_duckdb_is_damaged(cli, wh):
    overwrite_with_garbage(wh)
    line = one_line_error(cli("db", "status"))
    assert "not a DuckDB database file" in line and REMEDY in line


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("ALTER TABLE candles_daily DROP COLUMN volume", "candles_daily.volume is missing"),
        (
            "ALTER TABLE candles_daily ALTER COLUMN volume TYPE DOUBLE",
            "candles_daily.volume is DOUBLE, expected BIGINT",
        ),
        ("ALTER TABLE meta.asset_checks ADD COLUMN note VARCHAR", "not in the migrations"),
        ("DROP TABLE options_flow", "table main.options_flow is missing"),
    ],
)
def test_status_reports_schema_drift(cli, wh, sql, expected):
    alter(wh, sql)
    r = cli("db", "status")
    line = one_line_error(r)
    assert r.exit_code == 2
    assert "does not match its migrations" in line and expected in line
    assert "restore it from a backup" in line


# -- db health ----------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", [truncate_to_a_third, overwrite_with_garbage])
def test_health_fail_on_does_not_pass_a_damaged_warehouse(cli, wh, damage):
    damage(wh)
    before = wh.read_bytes()
    line = one_line_error(cli("db", "health", "--fail-on", "failures"))
    assert "is damaged" in line
    assert wh.read_bytes() == before  # not even the abandoned-run sweep wrote


# -- writers refuse -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "damage",
    [
        truncate_to_a_third,
        truncate_at_a_block_boundary,
        overwrite_with_garbage,
        lambda p: alter(p, "ALTER TABLE candles_daily DROP COLUMN volume"),
    ],
    ids=["truncated", "truncated-on-a-block", "garbage", "dropped-column"],
)
def test_ingest_refuses_a_damaged_warehouse_and_writes_nothing(cli, wh, damage):
    damage(wh)
    before = wh.read_bytes()
    line = one_line_error(cli("ingest", "candles", "-s", "AAPL,QQQ"))
    assert "is damaged" in line or "does not match its migrations" in line
    assert wh.read_bytes() == before
    assert not Path(f"{wh}.wal").exists()


def test_db_init_refuses_a_truncated_warehouse_and_writes_nothing(cli, wh):
    truncate_to_a_third(wh)
    before = wh.read_bytes()
    assert "is damaged" in one_line_error(cli("db", "init"))
    assert wh.read_bytes() == before


# -- db check -----------------------------------------------------------------------------------


def test_check_reads_every_table_of_an_intact_warehouse(cli, wh):
    code, doc = cli.json("db", "check")
    assert code == 0 and doc["ok"] is True
    tables = {t["table"]: t for t in doc["tables"]}
    assert {"main.candles_daily", "meta.ingestion_runs", "meta.schema_migrations"} <= set(tables)
    assert all(t["status"] == "ok" for t in tables.values())
    assert tables["main.candles_daily"]["rows"] > 0
    assert "is intact" in doc["summary"]


def test_check_names_the_damaged_tables_and_says_how_to_recover(cli, wh):
    truncate_to_a_third(wh)
    before = wh.read_bytes()
    r = cli("--json", "db", "check")
    line = one_line_error(r)
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and doc["summary"] == line.removeprefix("error: ")
    status = {t["table"]: t["status"] for t in doc["tables"]}
    damaged = sorted(t for t, s in status.items() if s == "damaged")
    assert damaged and "ok" in status.values()
    assert f"{len(damaged)} of {len(status)} tables unreadable" in line
    assert damaged[0] in line and REMEDY in line
    assert wh.read_bytes() == before


def test_check_finds_a_block_that_fails_its_checksum_when_status_cannot(cli, wh):
    flip_bytes_in_a_candles_block(wh)
    assert cli("db", "status").exit_code == 0  # size and schema are intact: the cheap checks pass
    r = cli("--json", "db", "check")
    line = one_line_error(r)
    tables = {t["table"]: t for t in json.loads(r.stdout)["tables"]}
    assert tables["main.candles_daily"]["status"] == "damaged"
    assert "fails its checksum" in tables["main.candles_daily"]["detail"]
    assert "main.candles_daily" in line and REMEDY in line


def test_check_of_a_file_duckdb_cannot_open_is_one_line(cli, wh):
    overwrite_with_garbage(wh)
    r = cli("db", "check")
    assert "not a DuckDB database file" in one_line_error(r)


def test_check_without_a_warehouse_says_so(cli, data_dir):
    r = cli("db", "check")
    assert r.exit_code == 2 and "no warehouse at" in one_line_error(r)
    assert not (data_dir / "warehouse.duckdb").exists()
