"""How to start the portal: the Streamlit command line, environment and folder (no I/O)."""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

import options_helper
from options_helper.config import SETTINGS_BY_NAME, Config
from options_helper.errors import BadInputError, MissingExtraError
from options_helper.jsonutil import CREDENTIAL_ENV_VARS

# The portal package folder: its Streamlit script, .streamlit/config.toml (theme) and static/
# (font). Found by path so that this layer never imports the portal.
PORTAL_DIR = Path(options_helper.__file__).resolve().parent / "portal"
SCRIPT = PORTAL_DIR / "streamlit_app.py"


@dataclass(frozen=True)
class PortalLaunch:
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    url: str


def portal_launch(
    config: Config, *, port: int = 8501, address: str = "127.0.0.1", open_browser: bool = False
) -> PortalLaunch:
    """The command that serves the portal over ``config``'s warehouse.

    Streamlit runs from the portal folder (so it reads the packaged theme); the configuration is
    passed as absolute paths in OPTIONS_HELPER_* variables, so relative flags keep meaning what
    they meant where the user typed them.
    """
    if importlib.util.find_spec("streamlit") is None:
        raise MissingExtraError("the portal", "ui")
    if not 1 <= port <= 65535:
        raise BadInputError(f"--port {port} is not a TCP port", hint="use 1..65535, e.g. 8501")
    if not port_free(address, port):
        raise BadInputError(
            f"port {port} on {address} is in use (another portal?)",
            hint=f"stop it, or pick another with --port, e.g. --port {port + 1}",
        )
    values = {
        "data_dir": config.data_dir.resolve(),
        "db": config.db_path.resolve(),
        "portfolio": config.portfolio_path.resolve(),
        "provider": config.provider,
        "sim_seed": config.sim_seed,
        "risk_free_rate": config.risk_free_rate,
        "lock_wait_s": config.lock_wait_s,
    }
    # The portal reads files and the warehouse only: provider credentials stay out of it.
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_ENV_VARS}
    env.update({SETTINGS_BY_NAME[name].env: str(value) for name, value in values.items()})
    argv = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(SCRIPT),
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.headless",
        "false" if open_browser else "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    return PortalLaunch(argv, env, PORTAL_DIR, f"http://{address}:{port}")


def port_free(address: str, port: int) -> bool:
    """Whether a server could bind ``address:port`` now."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        # As servers do: a port left in TIME_WAIT by a portal just stopped counts as free.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((address, port))
        except OSError:
            return False
    return True
