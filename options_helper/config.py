"""One registry of settings: name, default, env var, help. Drives CLI flags, `config show`, docs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from options_helper.errors import BadInputError

PROVIDERS = ("sim", "yahoo", "alpaca")


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    env: str
    default: Any
    help: str
    kind: type = str


SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", "OPTIONS_HELPER_DATA_DIR", "./data", "Data root folder.", Path),
    Setting(
        "db",
        "OPTIONS_HELPER_DB",
        None,
        "Warehouse file (default <data-dir>/warehouse.duckdb).",
        Path,
    ),
    Setting(
        "portfolio",
        "OPTIONS_HELPER_PORTFOLIO",
        None,
        "Portfolio JSON (default <data-dir>/portfolio.json).",
        Path,
    ),
    Setting(
        "provider", "OPTIONS_HELPER_PROVIDER", "sim", "Market data provider: sim|yahoo|alpaca."
    ),
    Setting("sim_seed", "OPTIONS_HELPER_SIM_SEED", 7, "Seed of the simulated market.", int),
    Setting(
        "lock_wait_s",
        "OPTIONS_HELPER_LOCK_WAIT_S",
        30.0,
        "Seconds to wait for another process's warehouse lock before 'warehouse busy'.",
        float,
    ),
    Setting(
        "risk_free_rate",
        "OPTIONS_HELPER_RISK_FREE_RATE",
        0.04,
        "Continuously compounded annual rate used for IV and Greeks (0.04 = 4%).",
        float,
    ),
)

SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True, slots=True)
class Config:
    data_dir: Path
    db_path: Path
    portfolio_path: Path
    provider: str
    sim_seed: int
    risk_free_rate: float
    lock_wait_s: float = 30.0

    @property
    def watchlists_path(self) -> Path:
        return self.data_dir / "watchlists.json"

    @property
    def snapshots_dir(self) -> Path:
        return self.data_dir / "snapshots"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    def asdict(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}


def _coerce(setting: Setting, raw: Any) -> Any:
    if raw is None:
        return None
    try:
        return setting.kind(raw)
    except (TypeError, ValueError) as exc:
        raise BadInputError(
            f"setting {setting.name} ({setting.env}) has invalid value {raw!r}",
            hint=f"expected {setting.kind.__name__}",
        ) from exc


def resolve_value(name: str, override: Any = None, environ: Mapping[str, str] | None = None) -> Any:
    """Flag value if given, else the env var, else the default."""
    setting = SETTINGS_BY_NAME[name]
    env = os.environ if environ is None else environ
    if override is not None:
        return _coerce(setting, override)
    if env.get(setting.env):
        return _coerce(setting, env[setting.env])
    return _coerce(setting, setting.default)


def resolve_sources(
    overrides: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Where each setting's value came from: flag | env | default."""
    env = os.environ if environ is None else environ
    out = {}
    for s in SETTINGS:
        if overrides.get(s.name) is not None:
            out[s.name] = "flag"
        elif env.get(s.env):
            out[s.name] = "env"
        else:
            out[s.name] = "default"
    return out


def load_config(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Config:
    """Build the effective configuration (flag > env > default)."""
    o = dict(overrides or {})
    values = {s.name: resolve_value(s.name, o.get(s.name), environ) for s in SETTINGS}
    data_dir = Path(values["data_dir"]).expanduser()
    provider = str(values["provider"]).lower()
    if provider not in PROVIDERS:
        raise BadInputError(
            f"unknown provider {provider!r}", hint=f"use one of: {', '.join(PROVIDERS)}"
        )
    return Config(
        data_dir=data_dir,
        db_path=Path(values["db"]).expanduser() if values["db"] else data_dir / "warehouse.duckdb",
        portfolio_path=(
            Path(values["portfolio"]).expanduser()
            if values["portfolio"]
            else data_dir / "portfolio.json"
        ),
        provider=provider,
        sim_seed=int(values["sim_seed"]),
        risk_free_rate=float(values["risk_free_rate"]),
        lock_wait_s=float(values["lock_wait_s"]),
    )
