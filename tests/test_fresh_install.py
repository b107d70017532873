"""A fresh install from the wheel, without extras, in a new venv, used from outside the checkout:
the CLI must work with exactly the dependencies pyproject declares (no hidden `click`, no
package data left behind), and a missing extra is one line that names it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _run(cmd: list[str], cwd: Path, **kw) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPTIONS_HELPER_", "VIRTUAL_"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False, **kw
    )


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the fresh venv's bin dir, a working dir outside the checkout)."""
    base = tmp_path_factory.mktemp("fresh")
    built = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(base / "dist"),
            str(ROOT),
        ],
        cwd=base,
    )
    assert built.returncode == 0, built.stderr
    wheel = next((base / "dist").glob("options_helper-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), names
    venv = base / "venv"
    made = _run([sys.executable, "-m", "venv", str(venv)], cwd=base)
    assert made.returncode == 0, made.stderr
    installed = _run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], cwd=base
    )
    assert installed.returncode == 0, installed.stderr
    work = base / "elsewhere"
    work.mkdir()
    return venv / "bin", work


def test_the_bare_wheel_does_not_bring_click_and_the_cli_does_not_need_it(fresh):
    bin_dir, work = fresh
    probe = _run([str(bin_dir / "python"), "-c", "import click"], cwd=work)
    if probe.returncode == 0:
        pytest.skip("a declared dependency brings click in this resolution; nothing to prove")
    helped = _run([str(bin_dir / "options-helper"), "--help"], cwd=work)
    assert helped.returncode == 0, helped.stderr
    assert "ingest" in helped.stdout


def test_a_fresh_install_initialises_and_ingests_outside_the_checkout(fresh):
    bin_dir, work = fresh
    cli = str(bin_dir / "options-helper")
    init = _run([cli, "--data-dir", "d", "db", "init"], cwd=work)
    assert init.returncode == 0, init.stderr
    ingest = _run([cli, "--data-dir", "d", "ingest", "candles", "-s", "AAPL"], cwd=work)
    assert ingest.returncode == 0, ingest.stderr
    assert "success" in ingest.stdout
    assert (work / "d" / "warehouse.duckdb").exists()
    assert "Traceback" not in init.stderr + ingest.stderr


def test_ui_without_the_ui_extra_is_one_line_naming_it(fresh):
    bin_dir, work = fresh
    ui = _run([str(bin_dir / "options-helper"), "--data-dir", "d", "ui"], cwd=work)
    assert ui.returncode == 2
    lines = [line for line in ui.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, ui.stderr
    assert "pip install 'options-helper[ui]'" in lines[0]
    assert "Traceback" not in ui.stderr
