"""The demo's summary reports what is stored, not rows written summed over runs."""

from __future__ import annotations

import duckdb

END = "2026-11-20"

TABLES = {
    "candles_daily": "SELECT count(*) FROM candles_daily",
    "option_contracts": "SELECT count(*) FROM option_contracts",
    "options_bars": "SELECT count(*) FROM options_bars",
    "options_snapshot_file": "SELECT sum(rows) FROM options_snapshots",
    "options_flow": "SELECT count(*) FROM options_flow",
    "derived_metrics": "SELECT count(*) FROM derived_metrics",
}


def _stored(data_dir) -> dict[str, int]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as conn:
        return {k: conn.execute(sql).fetchone()[0] for k, sql in TABLES.items()}


def test_demo_twice_over_the_same_sessions_reports_the_stored_counts(cli, data_dir):
    cli("watchlist", "add", "default", "AAPL")
    for _ in range(2):
        r = cli("demo", "--sessions", "2", "--end", END)
        assert r.exit_code == 0, r.output
        stored = _stored(data_dir)
        for asset in ("candles_daily", "option_contracts", "options_bars", "options_flow"):
            assert f"    {asset}: {stored[asset]:,} rows\n" in r.stdout, r.stdout
        rows = stored["options_snapshot_file"]
        assert f"options_snapshot_file: 2 files, {rows:,} rows" in r.stdout
        assert "briefing_markdown: 2 briefings" in r.stdout

    code, doc = cli.json("demo", "--sessions", "2", "--end", END)
    assert code == 0 and doc["stored"]["rows"] == _stored(data_dir)
    # Contracts are re-listed every session: rows written add up, rows stored don't.
    written = sum(
        a["rows"]
        for day in doc["days"]
        for job in day["jobs"]
        for a in job["assets"]
        if a["asset_key"] == "option_contracts"
    )
    assert written > doc["stored"]["rows"]["option_contracts"] > 0
