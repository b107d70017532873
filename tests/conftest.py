from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from options_helper.cli.main import app
from options_helper.config import load_config


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (
        "OPTIONS_HELPER_DATA_DIR",
        "OPTIONS_HELPER_DB",
        "OPTIONS_HELPER_PORTFOLIO",
        "OPTIONS_HELPER_PROVIDER",
        "OPTIONS_HELPER_SIM_FAULTS",
        "OPTIONS_HELPER_SIM_SEED",
        "OPTIONS_HELPER_TRIGGERED_BY",
        "OPTIONS_HELPER_LOCK_WAIT_S",
        "OPTIONS_HELPER_PORTAL_TTL_S",
    ):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture
def config(data_dir: Path):
    return load_config({"data_dir": data_dir})


class Cli:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.runner = CliRunner()

    def __call__(self, *args: str, env: dict[str, str] | None = None):
        return self.runner.invoke(app, ["--data-dir", str(self.data_dir), *args], env=env)

    def json(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict]:
        result = self("--json", *args, env=env)
        return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def cli(data_dir: Path) -> Callable[..., object]:
    return Cli(data_dir)
