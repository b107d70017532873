"""Files the tool writes get the mode the umask gives (0666 & ~umask), like the warehouse."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from options_helper.files.atomic import atomic_file, write_text_atomic

SESSION = "2026-11-20"


@pytest.fixture
def umask() -> Iterator[Callable[[int], int]]:
    old = os.umask(0o022)
    try:
        yield os.umask
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(
    ("mask", "expected"), [(0o022, 0o644), (0o077, 0o600)], ids=["umask022", "umask077"]
)
def test_written_files_follow_the_umask_like_the_warehouse(cli, data_dir, umask, mask, expected):
    umask(mask)
    assert cli("watchlist", "add", "default", "AAPL").exit_code == 0
    assert cli("portfolio", "init", "--cash", "1000").exit_code == 0
    r = cli("run", "daily", "--as-of", SESSION)
    assert r.exit_code == 0, r.output
    written = {
        "watchlists": data_dir / "watchlists.json",
        "portfolio": data_dir / "portfolio.json",
        "snapshot": data_dir / "snapshots" / "AAPL" / f"{SESSION}.parquet",
        "briefing": data_dir / "reports" / "briefing" / f"{SESSION}.md",
        "briefing json": data_dir / "reports" / "briefing" / f"{SESSION}.json",
        "warehouse": data_dir / "warehouse.duckdb",
    }
    assert {k: oct(_mode(p)) for k, p in written.items()} == {k: oct(expected) for k in written}
    assert not [p for p in data_dir.rglob("*.tmp")]


def test_a_replaced_file_keeps_its_permission_bits(tmp_path, umask):
    path = tmp_path / "portfolio.json"
    write_text_atomic(path, "{}")
    assert _mode(path) == 0o644
    path.chmod(0o640)
    write_text_atomic(path, '{"cash": 1}')
    assert _mode(path) == 0o640 and path.read_text() == '{"cash": 1}'


def test_a_failed_write_leaves_no_temp_file_and_the_old_content(tmp_path, umask):
    path = tmp_path / "briefing.md"
    write_text_atomic(path, "old")
    with pytest.raises(RuntimeError), atomic_file(path) as fh:
        fh.write(b"half")
        raise RuntimeError("disk went away")
    assert path.read_text() == "old" and sorted(tmp_path.iterdir()) == [path]
