"""SIGINT and SIGTERM end a run the same way: ``failed/interrupted``, exit 130 or 143.

Two facts shape this module:
- DuckDB handles SIGINT itself while a query runs and turns it into
  ``RuntimeError('Query interrupted')``; Python's own handler never sees it. The warehouse layer
  turns that error back into :func:`interrupt` (see ``warehouse/failures.py``), so a Ctrl-C inside
  a query is an interrupt, never a failed partition or an ``error`` check row.
- Python runs a signal's handler only between bytecodes of the main thread, so a SIGTERM that
  arrives during a long query would wait for the query to end. :func:`install` therefore also
  watches the signal wakeup fd from a thread, which cancels running queries at once
  (``register_canceller``); the handler raises :class:`Terminated` when the main thread resumes.

Only the CLI installs handlers (a library user keeps Python's defaults).
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from collections.abc import Callable

from options_helper.errors import Terminated

EXIT_CODES = {"SIGINT": 130, "SIGTERM": 143}

_state: dict[str, str | None] = {"received": None}
_raised = threading.Event()  # an interrupt exception is already on its way up
_cancellers: dict[int, Callable[[], None]] = {}
_lock = threading.Lock()


def received() -> str | None:
    """The first stop signal this process received ("SIGINT" / "SIGTERM"), if any."""
    return _state["received"]


def note(signal_name: str) -> None:
    if _state["received"] is None:
        _state["received"] = signal_name


def interrupt() -> KeyboardInterrupt:
    """The exception that stands for the signal received (SIGINT when none was noted: DuckDB
    consumed a Ctrl-C)."""
    note("SIGINT")
    _raised.set()
    return Terminated("SIGTERM") if received() == "SIGTERM" else KeyboardInterrupt()


def exit_code(exc: BaseException) -> int:
    """130 for Ctrl-C, 143 for SIGTERM (128 + the signal number, as shells report them)."""
    if isinstance(exc, Terminated) or received() == "SIGTERM":
        return EXIT_CODES["SIGTERM"]
    return EXIT_CODES["SIGINT"]


def register_canceller(key: int, cancel: Callable[[], None]) -> None:
    """``cancel`` stops work in flight (e.g. a DuckDB connection's ``interrupt``) on SIGTERM."""
    with _lock:
        _cancellers[key] = cancel


def unregister_canceller(key: int) -> None:
    with _lock:
        _cancellers.pop(key, None)


def cancel_all() -> None:
    with _lock:
        cancels = list(_cancellers.values())
    for cancel in cancels:
        with contextlib.suppress(Exception):  # a connection closing meanwhile
            cancel()


def _on_sigterm(signum: int, frame: object) -> None:
    note("SIGTERM")
    if not _raised.is_set():  # the watcher's cancel may already have raised it from a query
        _raised.set()
        raise Terminated("SIGTERM")


def _on_sigint(signum: int, frame: object) -> None:
    note("SIGINT")
    _raised.set()
    raise KeyboardInterrupt


def _watch(reader: socket.socket) -> None:
    while True:
        try:
            data = reader.recv(64)
        except OSError:
            return
        if not data:
            return
        if signal.SIGTERM in data:
            note("SIGTERM")
            cancel_all()


def install() -> None:
    """Route SIGINT and SIGTERM to :func:`interrupt` semantics (main thread only; a no-op
    elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        return
    signal.signal(signal.SIGINT, _on_sigint)
    signal.signal(signal.SIGTERM, _on_sigterm)
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    try:
        signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    except ValueError:  # not the main thread of the main interpreter
        reader.close()
        writer.close()
        return
    threading.Thread(target=_watch, args=(reader,), name="signal-watch", daemon=True).start()
    _keep.extend((reader, writer))


_keep: list[socket.socket] = []  # the wakeup socket pair lives as long as the process


def reset_for_tests() -> None:
    _state["received"] = None
    _raised.clear()


__all__ = [
    "EXIT_CODES",
    "cancel_all",
    "exit_code",
    "install",
    "interrupt",
    "note",
    "received",
    "register_canceller",
    "reset_for_tests",
    "unregister_canceller",
]
