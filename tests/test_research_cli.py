"""Research commands end to end on a small simulated history (real warehouse in a temp dir)."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.conftest import Cli

END = date(2026, 11, 20)
GOLDEN = Path(__file__).parent / "golden" / f"briefing-{END}.md"
DEMO_ARGS = ("demo", "--end", str(END), "--seed", "7", "--sessions", "3")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("demo") / "data"
    r = Cli(d)(*DEMO_ARGS)
    assert r.exit_code == 0, r.output
    return d


def _q(d: Path, sql: str):
    with duckdb.connect(str(d / "warehouse.duckdb"), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_demo_briefing_is_byte_identical_and_matches_golden(demo_dir, tmp_path):
    first = (demo_dir / "reports" / "briefing" / f"{END}.md").read_bytes()
    again = tmp_path / "again"
    assert Cli(again)(*DEMO_ARGS).exit_code == 0
    assert (again / "reports" / "briefing" / f"{END}.md").read_bytes() == first
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_bytes(first)
    assert first == GOLDEN.read_bytes(), "briefing changed; rerun with UPDATE_GOLDEN=1 if intended"
    text = first.decode()
    assert "SIMULATED DATA" in text and "Not financial advice" in text
    doc = json.loads((demo_dir / "reports" / "briefing" / f"{END}.json").read_text())
    assert doc["simulated"] is True and "generated_at" in doc


def test_run_daily_runs_every_step_in_order(demo_dir):
    rows = _q(
        demo_dir,
        "SELECT job_name FROM meta.ingestion_runs WHERE parent_run_id = "
        "(SELECT arg_max(run_id, started_at) FROM meta.ingestion_runs WHERE job_name = 'run_daily') "
        "ORDER BY started_at",
    )
    assert [r[0] for r in rows] == [
        "ingest_candles",
        "ingest_options_bars",
        "snapshot_options",
        "compute_flow",
        "compute_derived",
        "build_briefing",
        "build_dashboard",
        "run_checks",
    ]
    assert _q(demo_dir, "SELECT DISTINCT triggered_by FROM meta.ingestion_runs") == [("demo",)]
    path, nbytes = _q(
        demo_dir,
        "SELECT file_path, bytes_written FROM meta.ingestion_run_assets "
        f"WHERE asset_key = 'briefing_markdown' AND partition_key = '{END}' LIMIT 1",
    )[0]
    assert (demo_dir / path).stat().st_size == nbytes
    # Date-partitioned assets share one watermark, so older briefings never look stale.
    marks = _q(
        demo_dir,
        "SELECT scope_key, watermark FROM meta.asset_watermarks "
        "WHERE asset_key = 'briefing_markdown'",
    )
    assert marks == [("all", END)]


def test_flow_command_groups_and_persists(demo_dir):
    cli = Cli(demo_dir)
    code, doc = cli.json(
        "flow",
        "-s",
        "AAPL",
        "--as-of",
        str(END),
        "--window",
        "2",
        "--group-by",
        "dte-bucket",
        "--top",
        "3",
    )
    assert code == 0, doc
    rows = doc["flow"]["AAPL"]
    assert len(rows) in (1, 2, 3)
    assert {"dte_bucket", "delta_oi", "delta_oi_notional_usd"} <= set(rows[0])
    stored = _q(
        demo_dir,
        f"SELECT count(*), count(DISTINCT session) FROM options_flow WHERE symbol = 'AAPL' AND session <= '{END}'",
    )
    assert stored[0][0] > 100 and stored[0][1] >= 2
    # Re-running is idempotent per (symbol, session).
    before = _q(demo_dir, "SELECT count(*) FROM options_flow")
    assert cli("flow", "-s", "AAPL", "--as-of", str(END)).exit_code == 0
    assert _q(demo_dir, "SELECT count(*) FROM options_flow") == before
    r = cli("flow", "-s", "AAPL", "--group-by", "moon")
    assert r.exit_code == 2 and "unknown --group-by" in r.stderr


def test_first_demo_session_flow_is_unknown_but_not_a_gap(demo_dir):
    # The first stored snapshot has nothing earlier to compare: unknown, not a data gap.
    first = _q(demo_dir, "SELECT min(session) FROM options_flow WHERE symbol = 'SPY'")[0][0]
    assert _q(
        demo_dir,
        f"SELECT bool_or(gap), max(flow_class) FROM options_flow WHERE symbol = 'SPY' AND session = '{first}'",
    ) == [(False, "unknown")]


def test_derived_update_show_stats(demo_dir):
    cli = Cli(demo_dir)
    code, doc = cli.json("derived", "update", "-s", "MSFT", "--all")
    assert code == 0 and doc["assets"][0]["rows"] == 3
    code, doc = cli.json("derived", "show", "-s", "MSFT", "--sessions", "2")
    assert code == 0 and len(doc["rows"]) == 2 and doc["rows"][-1]["iv30"] > 0
    code, doc = cli.json("derived", "stats", "-s", "MSFT")
    assert code == 0 and "iv30" in doc["stats"][0]["metrics"]


def test_derived_show_has_constant_maturity_skew_and_gamma_walls(demo_dir):
    cli = Cli(demo_dir)
    code, doc = cli.json("derived", "show", "-s", "SPY", "--sessions", "3")
    assert code == 0
    for row in doc["rows"]:
        assert -1 < row["rr25_30d"] < 0  # equity put skew, at a constant 30 days
        assert row["call_wall_gamma"] > 0 and row["put_wall_gamma"] > 0
        assert "term_slope_30_90" in row
    shown = cli("derived", "show", "-s", "SPY", "--sessions", "1").output
    for name in ("rr25_30d", "term_slope_30_90", "call_wall_gamma", "put_wall_gamma"):
        assert name in shown
    walls = _q(
        demo_dir,
        "SELECT count(*), count(*) FILTER (WHERE call_wall <> call_wall_gamma "
        "OR put_wall <> put_wall_gamma) FROM derived_metrics",
    )[0]
    assert walls[0] > 0 and walls[1] > 0  # the gamma walls are not the OI walls renamed


def test_portfolio_analyze_marks_greeks_and_stress_units(demo_dir):
    cli = Cli(demo_dir)
    code, doc = cli.json("portfolio", "analyze", "--spot-shock-pct", "1", "--vol-shock-pts", "0")
    assert code == 0, doc
    stress = doc["stress"]
    assert len(stress) == 1 and stress[0]["spot_shock_pct"] == 1
    # The NVDA covered call holds 100 shares: +1% moves that stock leg by exactly 1% of its value.
    nvda = next(p for p in doc["analysis"]["positions"] if p["position_id"] == "nvda-covered-call")
    stock = next(leg for leg in nvda["legs"] if leg["kind"] == "stock")
    total_delta = doc["analysis"]["totals"]["delta_usd"]
    assert abs(stress[0]["pnl_usd"]) < abs(total_delta) * 0.05  # a 1% move, not 100%
    assert stock["delta_usd"] == pytest.approx(100 * stock["spot"])
    assert all(
        leg["mark_source"] in ("mid", "spot")
        for p in doc["analysis"]["positions"]
        for leg in p["legs"]
    )


def test_position_missing_from_snapshot_is_reported(demo_dir, tmp_path):
    cli = Cli(demo_dir)
    pf = tmp_path / "pf.json"
    cli(
        "--portfolio",
        str(pf),
        "portfolio",
        "add",
        "-s",
        "AAPL",
        "--leg",
        "call:1234.5:2026-12-18:1:1.0",
    )
    code, doc = cli.json("--portfolio", str(pf), "portfolio", "analyze")
    assert code == 0
    leg = doc["analysis"]["positions"][0]["legs"][0]
    assert leg["status"] == "missing" and leg["reason"]
    assert doc["analysis"]["totals"]["complete"] is False


def test_dashboard_renders_and_is_recorded(demo_dir):
    cli = Cli(demo_dir)
    r = cli("dashboard", "--as-of", str(END))
    assert r.exit_code == 0, r.output
    assert "SIMULATED DATA" in r.output
    n = _q(demo_dir, "SELECT count(*) FROM meta.ingestion_runs WHERE job_name = 'build_dashboard'")[
        0
    ][0]
    assert n >= 4
