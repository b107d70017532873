"""Every command's --help reads like a command line: no Python types as metavars."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from options_helper.cli.main import app
from options_helper.cli.metavars import natural_metavar
from tests.cli_tree import walk

# What Typer shows for a bare Python annotation: <bool>, <str>, <list[str]>, <int>, <a|b>...
PYTHON_TYPE = re.compile(
    r"<(?:list\[[^\]]*\]|bool|str|int|float|path|datetime|uuid|file|\w+ range|[\w.-]+(?:\|[\w.-]+)+)>"
)
COMMANDS = [path for path, _ in walk()]


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "(root)")
def test_help_shows_no_python_type_metavars(path):
    r = CliRunner().invoke(app, [*path, "--help"], terminal_width=200)
    assert r.exit_code == 0, r.output
    assert PYTHON_TYPE.findall(r.output) == [], r.output
    flags = [line for line in r.output.splitlines() if "--help " in line]
    assert flags and re.search(r"--help\s+Show this message", flags[0]), r.output


def test_the_command_line_help_names_values_naturally():
    done = subprocess.run(
        [sys.executable, "-m", "options_helper", "ingest", "candles", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        check=True,
    )
    out = re.sub(r"\s+", " ", done.stdout)
    assert "--symbol -s SYMBOL " in out and "--watchlist -w NAME " in out
    assert "--start DATE " in out and "--help Show this message" in out
    assert not PYTHON_TYPE.search(done.stdout)


@pytest.mark.parametrize(
    ("shown", "natural"),
    [
        ("<bool>", None),
        ("<str>", "TEXT"),
        ("<list[str]>", "TEXT"),
        ("<int>", "INTEGER"),
        ("<float>", "FLOAT"),
        ("<path>", "PATH"),
        ("<a|b>", "[a|b]"),
        ("<str>...", "TEXT..."),
        ("SYMBOL", "SYMBOL"),
        (None, None),
    ],
)
def test_natural_metavar(shown, natural):
    assert natural_metavar(shown) == natural
