"""One registry of settings: name, default, env var, help. Drives CLI flags, `config show`, docs.

Every ``OPTIONS_HELPER_*`` variable the package reads is a :class:`Setting` here; its reader
takes the variable's name and default from :data:`SETTINGS_BY_NAME` (tests/test_docs_drift.py
fails on one that is not, and on a docs/cli.md settings table that differs from this registry).
The one ``OPTIONS_HELPER_*`` name outside it, ``OPTIONS_HELPER_API_KEY``, is read by nothing: it
is listed in ``jsonutil.CREDENTIAL_ENV_VARS`` only so that its value is redacted wherever it
appears. Credentials stay out of the registry because `config show` prints every setting's value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from options_helper.errors import BadInputError

# Names the provider setting accepts; only AVAILABLE_PROVIDERS are built by
# providers.registry.make_provider (the others are refused there with a clear message).
PROVIDERS = ("sim", "yahoo", "alpaca")
AVAILABLE_PROVIDERS = ("sim",)
TRIGGERS = ("cli", "cron", "dagster", "demo")
# Variables named like settings that are deliberately not settings (see the module docstring).
NOT_SETTINGS = ("OPTIONS_HELPER_API_KEY",)


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting.

    ``flag`` is the command line that sets it (None: environment only); ``shown_default`` is how
    help and docs show a default that is computed (None: the default itself); ``in_config``
    says whether :func:`load_config` resolves it for every command. The others are read by one
    component (portal, simulator, Dagster, run ledger) through :func:`env_value`, which keeps a
    bad value there from failing commands that never use it.
    """

    name: str
    env: str
    default: Any
    help: str
    kind: type = str
    flag: str | None = None
    shown_default: str | None = None
    in_config: bool = True

    @property
    def default_text(self) -> str:
        return self.shown_default if self.shown_default is not None else str(self.default)

    @property
    def cli_help(self) -> str:
        """The flag's help text: the setting's help, its env var and its default."""
        return f"{self.help} (env {self.env}; default {self.default_text})."


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "data_dir", "OPTIONS_HELPER_DATA_DIR", "./data", "Data root folder", Path, "--data-dir"
    ),
    Setting(
        "db",
        "OPTIONS_HELPER_DB",
        None,
        "Warehouse file",
        Path,
        "--db",
        "<data-dir>/warehouse.duckdb",
    ),
    Setting(
        "portfolio",
        "OPTIONS_HELPER_PORTFOLIO",
        None,
        "Portfolio JSON",
        Path,
        "--portfolio",
        "<data-dir>/portfolio.json",
    ),
    Setting(
        "provider",
        "OPTIONS_HELPER_PROVIDER",
        "sim",
        f"Market data provider: {', '.join(AVAILABLE_PROVIDERS)}",
        flag="--provider",
    ),
    Setting(
        "sim_seed",
        "OPTIONS_HELPER_SIM_SEED",
        7,
        "Seed of the simulated market",
        int,
        "demo --seed",
    ),
    Setting(
        "risk_free_rate",
        "OPTIONS_HELPER_RISK_FREE_RATE",
        0.04,
        "Continuously compounded annual rate used for IV and Greeks (0.04 = 4%)",
        float,
    ),
    Setting(
        "lock_wait_s",
        "OPTIONS_HELPER_LOCK_WAIT_S",
        30.0,
        "Seconds to wait for another process's warehouse lock before 'warehouse busy'",
        float,
        shown_default="30",
    ),
    Setting(
        "triggered_by",
        "OPTIONS_HELPER_TRIGGERED_BY",
        "cli",
        f"Recorded on runs: {', '.join(TRIGGERS)}",
        flag="--triggered-by",
        in_config=False,
    ),
    Setting(
        "portal_ttl_s",
        "OPTIONS_HELPER_PORTAL_TTL_S",
        30.0,
        "Seconds the portal reuses a query result (0 = no cache)",
        float,
        shown_default="30",
        in_config=False,
    ),
    Setting(
        "sim_faults",
        "OPTIONS_HELPER_SIM_FAULTS",
        None,
        "Simulator fault injection: kind:target pairs, e.g. not_found:ZZZZ,timeout:0.1",
        shown_default="none",
        in_config=False,
    ),
    Setting(
        "sim_latency_ms",
        "OPTIONS_HELPER_SIM_LATENCY_MS",
        0.0,
        "Milliseconds slept before every provider call (makes long runs observable offline)",
        float,
        shown_default="0",
        in_config=False,
    ),
    Setting(
        "dagster_start",
        "OPTIONS_HELPER_DAGSTER_START",
        "2025-01-02",
        "First session of the Dagster partitions (YYYY-MM-DD)",
        in_config=False,
    ),
)

SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}


def env_value(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The raw value of setting ``name``'s env var (None when unset or blank)."""
    env = os.environ if environ is None else environ
    raw = env.get(SETTINGS_BY_NAME[name].env, "").strip()
    return raw or None


def settings_markdown() -> str:
    """The settings table of docs/cli.md."""
    lines = ["| setting | flag | env var | default | meaning |", "| --- | --- | --- | --- | --- |"]
    for s in SETTINGS:
        flag = f"`{s.flag}`" if s.flag else "—"
        lines.append(f"| {s.name} | {flag} | `{s.env}` | `{s.default_text}` | {s.help} |")
    return "\n".join(lines)


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
    values = {
        s.name: resolve_value(s.name, o.get(s.name), environ) for s in SETTINGS if s.in_config
    }
    data_dir = Path(values["data_dir"]).expanduser()
    provider = str(values["provider"]).lower()
    if provider not in PROVIDERS:
        raise BadInputError(
            f"unknown provider {provider!r}",
            hint=f"use one of: {', '.join(AVAILABLE_PROVIDERS)}",
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
