"""Progress reporting seam: jobs call it, the CLI renders it (Rich), tests ignore it."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, total: int, description: str) -> None: ...

    def advance(self, step: int = 1, detail: str = "") -> None: ...


class NullProgress:
    def start(self, total: int, description: str) -> None:
        pass

    def advance(self, step: int = 1, detail: str = "") -> None:
        pass
