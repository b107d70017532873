"""Which indexed files are still on disk (a file deleted by hand keeps its index row)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def present_files(data_dir: Path, rel_paths: Iterable[str]) -> set[str]:
    """The paths of ``rel_paths`` (relative to ``data_dir``) that are regular files on disk.

    One listing per distinct folder rather than one stat per file: years of snapshots are
    thousands of files in a few dozen folders (one per symbol).
    """
    by_folder: dict[Path, list[str]] = {}
    for rel in rel_paths:
        by_folder.setdefault(Path(rel).parent, []).append(rel)
    present: set[str] = set()
    for folder, rels in by_folder.items():
        try:
            with os.scandir(Path(data_dir) / folder) as entries:
                names = {e.name for e in entries if e.is_file()}
        except (FileNotFoundError, NotADirectoryError):  # the whole folder is gone
            continue
        present.update(rel for rel in rels if Path(rel).name in names)
    return present
