"""Facts about this process recorded on every run: host, pid, app version, git sha."""

from __future__ import annotations

import os
import socket
import subprocess
from functools import lru_cache
from pathlib import Path

from options_helper import __version__


@lru_cache(maxsize=1)
def git_sha() -> str | None:
    """The checkout's commit when running from a git work tree, else None."""
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=2,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def host() -> str:
    return socket.gethostname()


def pid() -> int:
    return os.getpid()


def app_version() -> str:
    return __version__


def process_alive(pid_: int) -> bool:
    """Whether a process with this pid exists on this host."""
    try:
        os.kill(pid_, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
