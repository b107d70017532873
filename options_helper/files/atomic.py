"""Atomic file writes: a temp file in the target folder, fsync, then rename over the target.

The temp file is created with mode 0666 and the process umask applied by the kernel, like any
file an ordinary program (and DuckDB, for the warehouse) creates: 0644 under the usual umask
022, 0600 under 077. ``tempfile.mkstemp`` would force 0600 whatever the umask. A file that is
replaced keeps its permission bits (a portfolio someone chmod-ed stays as they set it).
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def _create_temp(path: Path) -> tuple[int, Path]:
    """An exclusive new temp file beside ``path`` (mode 0666 less the umask)."""
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, _CREATE, 0o666), tmp
        except FileExistsError:
            continue


@contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A binary file that replaces ``path`` only once the block completes: readers see the old
    content or the new, never part of it; on error the temp file is removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            with suppress(FileNotFoundError):
                os.fchmod(fh.fileno(), stat.S_IMODE(path.stat().st_mode))
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> int:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns bytes written."""
    data = text.encode("utf-8")
    with atomic_file(path) as fh:
        fh.write(data)
    return len(data)
