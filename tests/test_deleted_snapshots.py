"""Snapshot files deleted by hand: `db gaps` sees them, and the next `derived update` removes
the derived rows that lost their source (real warehouse and real files in a temp dir)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from options_helper.domain import calendar
from tests.conftest import Cli

LATEST = calendar.latest_completed_session(datetime.now(UTC))
D1, D2, D3 = calendar.sessions_ending(LATEST, 3)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """AAPL candles, snapshots of the last three sessions and their derived rows."""
    d = tmp_path_factory.mktemp("built") / "data"
    cli = Cli(d)
    assert cli("ingest", "candles", "-s", "AAPL").exit_code == 0
    r = cli("snapshot-options", "-s", "AAPL", "--start", str(D1), "--end", str(D3))
    assert r.exit_code == 0, r.output
    r = cli("derived", "update", "-s", "AAPL", "--start", str(D1), "--end", str(D3))
    assert r.exit_code == 0, r.output
    return d


@pytest.fixture
def data_dir(built, tmp_path) -> Path:
    """A private copy of the built data dir (each test deletes files)."""
    d = tmp_path / "data"
    shutil.copytree(built, d)
    return d


def _q(d: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(d / "warehouse.duckdb"), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


def _delete_file(d: Path, day) -> None:
    (d / "snapshots" / "AAPL" / f"{day}.parquet").unlink()


def _delete_snapshot(d: Path, day) -> None:
    """File and index row, as a hand clean-up of the data dir and the warehouse would."""
    _delete_file(d, day)
    with duckdb.connect(str(d / "warehouse.duckdb")) as conn:
        conn.execute("DELETE FROM options_snapshots WHERE symbol = 'AAPL' AND data_date = ?", [day])


def _derived_sessions(d: Path) -> list:
    rows = _q(d, "SELECT session FROM derived_metrics WHERE symbol = 'AAPL' ORDER BY 1")
    return [r[0] for r in rows]


def test_a_snapshot_file_deleted_while_its_index_row_stays_is_a_gap(data_dir):
    _delete_file(data_dir, D2)
    code, doc = Cli(data_dir).json("db", "gaps", "-s", "AAPL", "-a", "options_snapshot_file")
    assert code == 0
    assert [(g["start"], g["end"], g["sessions"]) for g in doc["gaps"]] == [(str(D2), str(D2), 1)]
    # The data dir is not ./data: the command names it, or pasted it would fill ./data.
    assert doc["gaps"][0]["command"] == (
        f"options-helper --data-dir {data_dir.resolve()} snapshot-options --symbol AAPL "
        f"--as-of {D2}"
    )
    assert doc["checked"][0]["files_missing"] == 1


def test_derived_rows_whose_snapshot_is_gone_are_listed_by_gaps(data_dir):
    _delete_file(data_dir, D2)
    _delete_snapshot(data_dir, D3)
    code, doc = Cli(data_dir).json("db", "gaps", "-s", "AAPL")
    assert code == 0
    orphans = {o["reason"]: o for o in doc["orphans"]}
    assert set(orphans) == {"snapshot file missing", "snapshot index row gone"}
    assert orphans["snapshot file missing"]["start"] == str(D2)
    assert orphans["snapshot index row gone"]["start"] == str(D3)
    assert {o["command"] for o in doc["orphans"]} == {
        f"options-helper --data-dir {data_dir.resolve()} derived update --symbol AAPL"
    }
    r = Cli(data_dir)("db", "gaps", "-s", "AAPL")
    assert "source snapshot is gone" in r.output


def test_derived_update_removes_rows_whose_snapshot_is_gone(data_dir):
    cli = Cli(data_dir)
    assert _derived_sessions(data_dir) == [D1, D2, D3]
    _delete_snapshot(data_dir, D1)
    _delete_file(data_dir, D2)

    code, doc = cli.json("derived", "update", "-s", "AAPL")  # default: the latest snapshot, D3
    assert code == 0, doc
    (asset,) = doc["assets"]
    assert asset["status"] == "success" and asset["rows"] == 1
    assert asset["extra"]["removed_rows"] == 2
    assert asset["extra"]["removed_sessions"] == [str(D1), str(D2)]
    assert _derived_sessions(data_dir) == [D3]
    gex = _q(data_dir, "SELECT DISTINCT session FROM derived_gex_by_strike WHERE symbol = 'AAPL'")
    assert gex == [(D3,)]
    # The removal is an asset event of the run in the ledger.
    (extra,) = _q(
        data_dir,
        "SELECT extra_json FROM meta.ingestion_run_assets WHERE run_id = ?",
        [doc["run_id"]],
    )[0]
    assert json.loads(extra)["removed_rows"] == 2
    code, shown = cli.json("derived", "show", "-s", "AAPL", "--sessions", "5")
    assert code == 0 and [r["session"] for r in shown["rows"]] == [str(D3)]
    code, gaps = cli.json("db", "gaps", "-s", "AAPL")
    assert gaps["orphans"] == []


def test_derived_update_of_a_session_whose_file_is_missing_says_so(data_dir):
    _delete_file(data_dir, D3)
    r = Cli(data_dir)("derived", "update", "-s", "AAPL", "--as-of", str(D3))
    assert r.exit_code == 1
    assert "not_found" in r.output and "missing from the data dir" in r.output
    assert f"--as-of {D3}" in r.output
    assert "removed 1 derived row(s) whose source snapshot is gone" in r.output
    assert _derived_sessions(data_dir) == [D1, D2]


def test_backfill_commands_name_the_warehouse_when_it_is_not_the_default(data_dir, tmp_path):
    elsewhere = tmp_path / "elsewhere" / "wh.duckdb"
    elsewhere.parent.mkdir()
    shutil.copy(data_dir / "warehouse.duckdb", elsewhere)
    _delete_file(data_dir, D2)
    r = Cli(data_dir)("--json", "--db", str(elsewhere), "db", "gaps", "-s", "AAPL")
    doc = json.loads(r.stdout)
    (gap,) = [g for g in doc["gaps"] if g["asset_key"] == "options_snapshot_file"]
    assert gap["command"] == (
        f"options-helper --data-dir {data_dir.resolve()} --db {elsewhere.resolve()} "
        f"snapshot-options --symbol AAPL --as-of {D2}"
    )


def test_gaps_cover_flow_derived_metrics_and_briefings(data_dir):
    cli = Cli(data_dir)
    assert cli("flow", "-s", "AAPL", "--as-of", str(D3), "--window", "2").exit_code == 0
    for day in (D1, D3):
        r = cli("briefing", "-s", "AAPL", "--as-of", str(day))
        assert r.exit_code == 0, r.output
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as conn:
        conn.execute("DELETE FROM options_flow WHERE session = ?", [D3])
        conn.execute("DELETE FROM derived_metrics WHERE session = ?", [D2])
    code, doc = cli.json("db", "gaps", "-s", "AAPL")
    assert code == 0
    prefix = f"options-helper --data-dir {data_dir.resolve()}"
    by_asset = {g["asset_key"]: g for g in doc["gaps"]}
    assert set(by_asset) == {"options_flow", "derived_metrics", "briefing_markdown"}
    flow, derived, briefing = (
        by_asset[a] for a in ("options_flow", "derived_metrics", "briefing_markdown")
    )
    assert (flow["start"], flow["end"]) == (str(D3), str(D3))
    assert flow["command"] == f"{prefix} flow --symbol AAPL --as-of {D3} --window 1"
    assert derived["command"] == (f"{prefix} derived update --symbol AAPL --start {D2} --end {D2}")
    assert (briefing["symbol"], briefing["start"]) == ("*", str(D2))
    assert briefing["command"] == f"{prefix} briefing --as-of {D2}"
