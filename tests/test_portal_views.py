"""Portal views rendered by Streamlit's AppTest over a real warehouse (no browser).

The browser-level checks (theme, font, URL state, reads while another process ingests) are in
test_portal_browser.py.
"""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from options_helper.config import load_config
from options_helper.jobs.context import JobContext
from options_helper.jobs.demo import run_demo
from options_helper.portal import data as portal_data
from tests.lock_holder import write_lock_held

END = date(2026, 11, 20)
VIEWS = (
    "health",
    "portfolio",
    "symbol_explorer",
    "flow",
    "derived_history",
    "briefings",
    "gaps",
)
TITLES = {
    "health": "Pipeline health",
    "portfolio": "Portfolio",
    "symbol_explorer": "Symbol explorer",
    "flow": "Open-interest flow",
    "derived_history": "Derived history",
    "briefings": "Daily briefings",
    "gaps": "Gaps & backfill",
}


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    """Two simulated sessions of the demo pipeline (watchlist, portfolio, every product)."""
    d = tmp_path_factory.mktemp("portal") / "data"
    ctx = JobContext.from_config(load_config({"data_dir": d}))
    report = run_demo(ctx, sessions=2, end=END)
    assert report.status == "success"
    return d


@pytest.fixture(autouse=True)
def _fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def _view(name: str, monkeypatch, data_dir: Path, **params: str) -> AppTest:
    monkeypatch.setenv("OPTIONS_HELPER_DATA_DIR", str(data_dir))
    at = AppTest.from_string(
        f"from options_helper.portal.views import {name}\n{name}.render()\n", default_timeout=60
    )
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [x.value for x in (*at.info, *at.warning, *at.success)]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("name", VIEWS)
def test_every_view_renders_real_data_labelled_simulated(name, demo_dir, monkeypatch):
    at = _view(name, monkeypatch, demo_dir)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == TITLES[name]
    assert any("SIMULATED DATA" in w.value for w in at.warning)
    assert "not financial advice" in _texts(at)
    # Something real is shown, not only a "nothing yet" note.
    shown = len(at.metric) + len(at.dataframe) + len(at.get("vega_lite_chart"))
    shown += len(at.markdown) if name == "briefings" else 0
    assert shown > 0, _texts(at)


def test_health_view_counts_what_the_ledger_holds(demo_dir, monkeypatch):
    at = _view("health", monkeypatch, demo_dir, days="30")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Jobs failing"] == "0"
    jobs = at.dataframe[0].value
    assert {"ingest_candles", "snapshot_options", "compute_flow", "run_daily"} <= set(
        jobs["job_name"]
    )
    assert set(jobs["state"]) == {"ok"}
    assert at.query_params["days"] == ["30"] or at.query_params["days"] == "30"


def test_selection_comes_from_and_goes_to_the_url(demo_dir, monkeypatch):
    at = _view("symbol_explorer", monkeypatch, demo_dir, symbol="MSFT", as_of=str(END))
    assert at.selectbox(key="url_symbol").value == "MSFT"
    assert any(m.label.startswith("MSFT close 2026-11-20") for m in at.metric)
    at.selectbox(key="url_symbol").select("NVDA").run()
    assert not at.exception
    assert any(m.label.startswith("NVDA close") for m in at.metric)
    assert "NVDA" in str(at.query_params["symbol"])


def test_briefing_view_shows_the_markdown_written_by_run_daily(demo_dir, monkeypatch):
    at = _view("briefings", monkeypatch, demo_dir, day=str(END))
    text = (demo_dir / "reports" / "briefing" / f"{END}.md").read_text()
    first_heading = next(line for line in text.splitlines() if line.startswith("#"))
    assert any(first_heading.lstrip("# ").strip() in m.value for m in at.markdown)


@pytest.mark.parametrize("name", VIEWS)
def test_without_a_warehouse_every_view_says_what_to_do(name, tmp_path, monkeypatch):
    at = _view(name, monkeypatch, tmp_path / "nothing-here")
    assert not at.exception, [e.value for e in at.exception]
    notes = "\n".join(i.value for i in at.info)
    expected = {
        "portfolio": "portfolio.json: file not found — create it with `options-helper portfolio init`",
        "briefings": "No briefings yet",
    }.get(name, "no warehouse at")
    assert expected in notes, notes


def test_busy_warehouse_shows_the_last_answer_with_a_note(demo_dir, monkeypatch):
    """A writer in another process holds the lock: the view keeps its last answer and says the
    warehouse is busy instead of failing."""
    monkeypatch.setattr(portal_data, "TTL_S", 0)  # every run asks the warehouse
    monkeypatch.setattr(portal_data, "LOCK_WAIT_S", 0.2)
    at = _view("health", monkeypatch, demo_dir)
    assert not at.exception and not any("busy" in i.value for i in at.info)
    with write_lock_held(demo_dir / "warehouse.duckdb"):
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert any("Warehouse busy" in i.value for i in at.info)
        assert at.dataframe, "the last good answer is still shown"
        # A fresh portal process has nothing to fall back on: it says busy, no error, and
        # since it cannot tell where the data came from, it warns it may be simulated.
        st.cache_data.clear()
        st.cache_resource.clear()
        other = _view("gaps", monkeypatch, demo_dir)
        assert not other.exception
        assert any("busy" in i.value.lower() for i in other.info)
        assert any("possibly SIMULATED DATA" in w.value for w in other.warning)


def test_portal_code_never_opens_a_writer():
    """The portal only reads: no writer connection, no job that records a run."""
    root = Path(portal_data.__file__).parent
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if re.search(
            r"\.writer\(|RunLogger|ctx\.run\(|ensure_warehouse|reap_abandoned", p.read_text()
        )
    ]
    assert offenders == []


WAREHOUSE_VIEWS = ("health", "symbol_explorer", "flow", "derived_history", "gaps")


@pytest.mark.parametrize("name", WAREHOUSE_VIEWS)
def test_an_outdated_warehouse_says_to_run_db_init(name, demo_dir, tmp_path, monkeypatch):
    """A warehouse built by an older version (a migration still pending): one line, no error."""
    import duckdb

    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    with duckdb.connect(str(data / "warehouse.duckdb")) as conn:
        conn.execute("DELETE FROM meta.schema_migrations WHERE version >= 3")
    at = _view(name, monkeypatch, data)
    assert not at.exception, [e.value for e in at.exception]
    notes = [i.value for i in at.info]
    assert any("run `options-helper db init`" in n for n in notes), notes


def test_a_file_that_is_not_a_warehouse_is_said_in_one_line(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (data / "warehouse.duckdb").write_bytes(b"not a database" * 1000)
    at = _view("health", monkeypatch, data)
    assert not at.exception, [e.value for e in at.exception]
    assert any("not a DuckDB database file" in i.value for i in at.info), at.info


def test_a_symbol_with_snapshots_but_no_candles_still_shows_its_chain(
    demo_dir, tmp_path, monkeypatch
):
    import duckdb

    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    with duckdb.connect(str(data / "warehouse.duckdb")) as conn:
        conn.execute("DELETE FROM candles_daily WHERE symbol = 'MSFT'")
    at = _view("symbol_explorer", monkeypatch, data, symbol="MSFT")
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="url_symbol").value == "MSFT"
    assert any(s.value.startswith("Chain on ") for s in at.subheader)
    st.cache_data.clear()
    flow = _view("flow", monkeypatch, data, symbol="MSFT", as_of=str(END), window="1")
    assert not flow.exception
    assert any(m.label == "Net ΔOI calls" for m in flow.metric)


def test_an_unknown_link_value_is_said_and_replaced(demo_dir, monkeypatch):
    at = _view("symbol_explorer", monkeypatch, demo_dir, symbol="NOPE")
    assert not at.exception
    # Plain text (st.text), not a Markdown caption: the value is the link's, not ours.
    assert any("symbol=NOPE from the link is not available" in t.value for t in at.text)


def test_a_run_opened_from_the_health_page_shows_its_steps_partitions_and_checks(
    demo_dir, monkeypatch
):
    import duckdb

    with duckdb.connect(str(demo_dir / "warehouse.duckdb"), read_only=True) as conn:
        (daily,) = conn.execute(
            "SELECT run_id FROM meta.ingestion_runs WHERE job_name = 'run_daily' "
            "ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
        (candles,) = conn.execute(
            "SELECT run_id FROM meta.ingestion_runs WHERE job_name = 'ingest_candles' "
            "AND parent_run_id = ?",
            [daily],
        ).fetchone()
    at = _view("health", monkeypatch, demo_dir, days="30", run=daily)
    assert not at.exception, [e.value for e in at.exception]
    assert any(s.value == f"Run {daily}" for s in at.subheader)
    steps = next(  # the child-run table: the runs table also has parent_run_id
        d.value for d in at.dataframe if "run_id" in d.value and "parent_run_id" not in d.value
    )
    assert "ingest_candles" in set(steps["job_name"]) and len(steps) == 8
    st.cache_data.clear()
    at = _view("health", monkeypatch, demo_dir, days="30", run=candles)
    written = next(d.value for d in at.dataframe if "bytes_written" in d.value)
    assert set(written["asset_key"]) == {"candles_daily"} and (written["rows_written"] > 0).all()
    results = next(  # this run's results; the page-wide table has checked_at
        d.value for d in at.dataframe if "check_name" in d.value and "checked_at" not in d.value
    )
    assert len(results) > 0 and set(results["asset_key"]) == {"candles_daily"}


# -- the portal is inert to its URL and its files ----------------------------------------------

EVIL = "evil.example.com"
# A backtick closes the note's code span, then an image and a link to another host.
HOSTILE = (
    f"x` ![b](http://{EVIL}/p.png) [Re-authenticate](http://{EVIL}/login) `"
    + "-" * 80  # a long value is cut
)
# view -> the parameters it reads from the URL
LINK_PARAMS = {
    "health": ("days", "run"),
    "portfolio": ("horizon",),
    "symbol_explorer": ("symbol",),
    "flow": ("symbol", "window", "group"),
    "derived_history": ("symbol", "panel"),
    "briefings": ("day",),
    "gaps": ("lookback",),
}


def _markdown_sources(at: AppTest) -> list[str]:
    """Every string Streamlit renders as Markdown (body, captions, notes, titles)."""
    parts = [m.value for m in (*at.markdown, *at.caption, *at.title, *at.subheader)]
    parts += [x.value for x in (*at.info, *at.warning, *at.success, *at.error)]
    return [str(p) for p in parts]


@pytest.mark.parametrize("name", VIEWS)
def test_a_hostile_link_value_is_echoed_as_plain_text(name, demo_dir, monkeypatch):
    at = _view(name, monkeypatch, demo_dir, **dict.fromkeys(LINK_PARAMS[name], HOSTILE))
    assert not at.exception, [e.value for e in at.exception]
    leaked = [s for s in _markdown_sources(at) if EVIL in s]
    assert leaked == [], leaked
    notes = [t.value for t in at.text if "from the link is not available" in t.value]
    assert notes, [t.value for t in at.text]
    for note in notes:
        assert "x` ![b](http://" in note and "…" in note and len(note) < 200, note


def test_briefings_render_no_remote_image_or_link_and_list_only_sessions(tmp_path, monkeypatch):
    folder = tmp_path / "data" / "reports" / "briefing"
    folder.mkdir(parents=True)
    (folder / f"{END}.md").write_text(
        "# Briefing\n\n"
        f"![chart](http://{EVIL}/p.png) and [Re-authenticate](http://{EVIL}/login), "
        f"<http://{EVIL}/a>, https://{EVIL}/b, www.{EVIL}, ops@{EVIL}, "
        f'<img src="http://{EVIL}/i.png">, [ref][1], $\\href{{http://{EVIL}}}{{x}}$\n\n'
        f"[1]: http://{EVIL}/ref\n\n| symbol | close |\n| --- | --- |\n| AAPL | 1.00 |\n",
        encoding="utf-8",
    )
    (folder / "notes.md").write_text("not a session", encoding="utf-8")
    (folder / "2026-11-21.md").write_text("a Saturday", encoding="utf-8")
    at = _view("briefings", monkeypatch, tmp_path / "data")
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="url_day").options == [str(END)]
    (body,) = [m.value for m in at.markdown if "Briefing" in m.value]
    # No link or image syntax survives: brackets, angle brackets and `$` are escaped; bare
    # links (`://`, `www.`, `@`, linked after parsing) are broken by a word joiner. The browser
    # test checks the rendered page makes no request and links nowhere.
    assert re.search(r"(?<!\\)[\[\]<$]", body) is None, body
    assert "://" not in body and "www." not in body, body
    assert re.search("@(?!\u2060)", body) is None, body
    assert "chart (remote image not loaded)" in body and "| AAPL | 1.00 |" in body
    st.cache_data.clear()
    odd = _view("briefings", monkeypatch, tmp_path / "data", day="notes")
    assert "notes" not in str(odd.query_params["day"])


def _ledger_with_many_runs(demo_dir: Path, tmp_path: Path, runs: int) -> tuple[Path, str]:
    """A copy of the demo warehouse plus ``runs`` cron runs over the last 6.5 days, the oldest
    of them failed (its id is returned)."""
    import duckdb

    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    with duckdb.connect(str(data / "warehouse.duckdb")) as conn:
        conn.execute(
            f"""
            INSERT INTO meta.ingestion_runs (run_id, job_name, triggered_by, status, started_at,
                ended_at, duration_ms, pid, host, error_type, error_message)
            SELECT 'bulk-' || i, 'ingest_candles', 'cron',
                   CASE WHEN i = 0 THEN 'failed' ELSE 'success' END,
                   now()::TIMESTAMP - INTERVAL (({runs} - i) * (561600 // {runs})) SECOND,
                   now()::TIMESTAMP, 1000, 1, 'test',
                   CASE WHEN i = 0 THEN 'timeout' END, CASE WHEN i = 0 THEN 'timed out' END
            FROM range({runs}) t(i)
            """
        )
        total = conn.execute(
            "SELECT count(*) FROM meta.ingestion_runs "
            "WHERE started_at >= now()::TIMESTAMP - INTERVAL 7 DAY"
        ).fetchone()[0]
    return data, int(total)


def test_health_says_newest_n_of_m_runs_and_opens_any_run_by_id(demo_dir, tmp_path, monkeypatch):
    data, total = _ledger_with_many_runs(demo_dir, tmp_path, 1200)
    at = _view("health", monkeypatch, data, days="7", run="bulk-0")
    assert not at.exception, [e.value for e in at.exception]
    labels = [e.label for e in at.expander]
    assert f"newest 500 of {total:,} runs in the window" in labels, labels
    assert any(f"{total:,} runs in the window, counted per" in c.value for c in at.caption)
    # The six-day-old failed run opens from its id, beyond the newest 500.
    assert any(s.value == "Run bulk-0" for s in at.subheader), [s.value for s in at.subheader]
    assert at.selectbox(key="url_run").value == "bulk-0"
    assert not [t.value for t in at.text if "not available" in t.value]
    st.cache_data.clear()
    gone = _view("health", monkeypatch, data, days="7", run="no-such-run")
    assert not gone.exception
    notes = [t.value for t in gone.text]
    assert any("run=no-such-run from the link is not available; showing none" in n for n in notes)


def test_health_lists_every_run_when_all_fit(demo_dir, monkeypatch):
    at = _view("health", monkeypatch, demo_dir, days="30")
    labels = [e.label for e in at.expander if "runs in the window" in e.label]
    assert len(labels) == 1 and not labels[0].startswith("newest"), labels
