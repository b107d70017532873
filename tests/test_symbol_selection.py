"""--symbol / --watchlist: an empty or unknown selection is exit 2 and one line, everywhere."""

from __future__ import annotations

import pytest

from options_helper.jobs.symbols import select_symbols
from tests.cli_tree import leaf_commands


def _taking(option: str) -> list[tuple[str, ...]]:
    return [
        path
        for path, cmd in leaf_commands()
        if any(option in p.opts for p in cmd.params) and path != ("portfolio", "add")
    ]


SYMBOL_COMMANDS = _taking("--symbol")
WATCHLIST_COMMANDS = _taking("--watchlist")


def _one_line_exit_2(r, needle: str) -> None:
    assert r.exit_code == 2, (r.exit_code, r.output)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    assert needle in lines[0]
    assert "Traceback" not in r.output


def test_the_symbol_and_watchlist_commands_are_found():
    assert ("ingest", "candles") in SYMBOL_COMMANDS and ("checks", "run") in SYMBOL_COMMANDS
    assert ("db", "gaps") in SYMBOL_COMMANDS and ("run", "daily") in WATCHLIST_COMMANDS
    assert len(WATCHLIST_COMMANDS) >= 10


@pytest.mark.parametrize("value", ["", ",,", "  ", " , "])
@pytest.mark.parametrize("command", SYMBOL_COMMANDS, ids=" ".join)
def test_a_symbol_flag_naming_no_symbol_is_exit_2(cli, data_dir, command, value):
    cli("watchlist", "add", "default", "AAPL")
    r = cli(*command, "--symbol", value)
    _one_line_exit_2(r, "--symbol")
    assert "names no symbol" in r.stderr
    assert not (data_dir / "warehouse.duckdb").exists()  # nothing ran


@pytest.mark.parametrize("command", WATCHLIST_COMMANDS, ids=" ".join)
def test_an_unknown_watchlist_beside_symbols_is_exit_2_naming_the_known_ones(
    cli, data_dir, command
):
    cli("watchlist", "add", "tech", "MSFT")
    r = cli(*command, "-s", "AAPL", "-w", "typo")
    _one_line_exit_2(r, "unknown watchlist 'typo' (known: tech)")
    assert not (data_dir / "warehouse.duckdb").exists()


def test_an_empty_watchlist_name_is_not_the_default_selection(cli):
    cli("watchlist", "add", "default", "AAPL")
    _one_line_exit_2(cli("ingest", "candles", "-w", ""), "unknown watchlist ''")


def test_symbols_and_a_watchlist_together_select_both(cli, config):
    cli("watchlist", "add", "tech", "MSFT", "AAPL")
    cli("watchlist", "add", "default", "SPY")
    assert select_symbols(config, ["nvda", "aapl"], "tech") == ["NVDA", "AAPL", "MSFT"]
    assert select_symbols(config, None, "tech") == ["AAPL", "MSFT"]
    assert select_symbols(config, ["qqq"]) == ["QQQ"]
    assert select_symbols(config) == ["SPY"]


@pytest.mark.parametrize("args", [("add", "tech", ""), ("add", "tech", ",,"), ("remove", "t", " ")])
def test_watchlist_symbols_naming_no_symbol_are_exit_2_and_change_nothing(cli, data_dir, args):
    cli("watchlist", "add", "t", "AAPL")
    before = (data_dir / "watchlists.json").read_bytes()
    _one_line_exit_2(cli("watchlist", *args), "SYMBOLS")
    assert (data_dir / "watchlists.json").read_bytes() == before


def test_a_watchlist_needs_a_name(cli):
    _one_line_exit_2(cli("watchlist", "add", " ", "AAPL"), "needs a name")
