"""Another process holding a warehouse's write lock, for the busy-path tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def write_lock_held(path: Path, seconds: float | None = None) -> Iterator[subprocess.Popen]:
    """Inside the block another process holds ``path``'s write lock: until the block ends, or,
    with ``seconds``, for that long from the block's start (the block's end then waits for it to
    let go)."""
    hold = f"time.sleep({seconds})" if seconds else "sys.stdin.read()"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys, time\nc = duckdb.connect({str(path)!r})\n"
            f"print('locked', flush=True)\n{hold}\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "locked"
        yield proc
    finally:
        try:
            proc.communicate("", timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
