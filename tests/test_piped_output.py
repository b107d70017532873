"""Output for people and pipes: progress lines and full-width tables when not on a terminal."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from options_helper.cli.progress import LineProgress

OH = [sys.executable, "-m", "options_helper"]


def _piped(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """The CLI with stdout and stderr both pipes, as under `make demo > log 2>&1` or CI."""
    return subprocess.run(
        [*OH, "--data-dir", str(data_dir), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_piped_run_prints_plain_progress_lines_on_stderr(data_dir):
    done = _piped(
        data_dir, "ingest", "candles", "-s", "AAPL,MSFT,NVDA,SPY", "--start", "2026-11-02"
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "candles 1/4 (25%) AAPL",
        "candles 2/4 (50%) MSFT",
        "candles 3/4 (75%) NVDA",
        "candles 4/4 (100%) SPY",
    ]
    assert "\r" not in done.stderr and "\x1b" not in done.stderr
    assert done.stdout.startswith("ingest_candles: success")


def test_json_stays_quiet_on_stderr_when_piped(data_dir):
    done = _piped(data_dir, "--json", "ingest", "candles", "-s", "AAPL", "--start", "2026-11-02")
    assert done.returncode == 0 and done.stderr == ""


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _lines(buf: io.StringIO) -> list[str]:
    return buf.getvalue().splitlines()


def test_progress_lines_come_every_ten_percent_not_per_item():
    buf, clock = io.StringIO(), _Clock()
    p = LineProgress(Console(file=buf, width=200), clock=clock)
    p.start(500, "option bars")
    for i in range(500):
        p.advance(1, f"SYM{i}")
    assert _lines(buf) == [
        f"option bars {n}/500 ({n // 5}%) SYM{n - 1}" for n in range(50, 501, 50)
    ]


def test_a_slow_phase_prints_a_line_every_few_seconds():
    buf, clock = io.StringIO(), _Clock()
    p = LineProgress(Console(file=buf, width=200), clock=clock, every_s=5)
    p.start(1000, "demo sessions")
    for _ in range(6):
        clock.now += 3
        p.advance(1, "day")
    # 0.1% each: only the clock says when (after 6 s, then after 12 s... every 2nd advance).
    assert _lines(buf) == [
        "demo sessions 2/1000 (0%) day",
        "demo sessions 4/1000 (0%) day",
        "demo sessions 6/1000 (1%) day",
    ]


def test_piped_tables_are_whole_not_cut_at_80_columns(tmp_path):
    data_dir = tmp_path / ("a-data-folder-with-a-name-long-enough-to-overflow-eighty-columns" * 2)
    done = _piped(data_dir, "config", "show")
    assert done.returncode == 0, done.stderr
    assert f"{data_dir / 'warehouse.duckdb'} " in done.stdout
    assert "OPTIONS_HELPER_RISK_FREE_RATE" in done.stdout and "…" not in done.stdout
    widths = {len(line) for line in done.stdout.splitlines()[1:]}
    assert len(widths) == 1 and widths.pop() > 200  # one table, as wide as its cells

    done = _piped(data_dir, "checks", "list")
    assert "…" not in done.stdout
    assert "volume ≥ 0 and finite prices." in done.stdout  # a description on one line
