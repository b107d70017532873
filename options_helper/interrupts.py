"""SIGINT and SIGTERM end a run the same way: ``failed/interrupted``, exit 130 or 143.

Three facts shape this module:
- Python runs a signal's handler only between bytecodes of the main thread. While DuckDB runs a
  query the main thread is inside DuckDB, which polls for signals only between its tasks: a
  Ctrl-C can wait seconds, and a SIGTERM until the query ends.
- So :func:`install` also watches the signal wakeup fd from a thread, which cancels the queries
  in flight at once (``register_canceller``: the warehouse registers each connection's
  ``interrupt``). DuckDB then raises its own interrupt error, which the warehouse layer turns
  back into :func:`interrupt` (``warehouse/failures.py``): a signal inside a query is an
  interrupt, never a failed partition or an ``error`` check row.
- A handler that raises while the main thread holds a connection can land anywhere, e.g. in
  ``contextlib``'s ``__exit__`` before the connection's ``finally`` runs, leaking it. So while
  the main thread has a connection open the handler only records the signal (the watcher has
  cancelled the query); the interrupt goes up from inside the warehouse's context manager, from
  the translated query error or when the connection closes (:func:`raise_pending`).
- The handler and that translation can both see one signal; whichever comes second within
  :data:`DEDUP_S` does nothing, so one exception goes up. A second Ctrl-C later than that is the
  user insisting, and raises again.

Only the CLI installs handlers (:func:`install`); a library user keeps Python's defaults, and
tests use :func:`handling`, which restores what was there.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator

from options_helper.errors import Terminated

EXIT_CODES = {"SIGINT": 130, "SIGTERM": 143}
DEDUP_S = 1.0

_state: dict[str, str | float | None] = {"received": None, "raised_at": None}
# Connections the main thread has open (handlers run in the main thread), and whether a signal
# arrived meanwhile and waits for them to close.
_main = {"open": 0, "pending": False}
_cancellers: dict[int, Callable[[], None]] = {}
_lock = threading.Lock()
_WATCHED = {int(signal.SIGINT): "SIGINT", int(signal.SIGTERM): "SIGTERM"}


def received() -> str | None:
    """The first stop signal this process received ("SIGINT" / "SIGTERM"), if any."""
    value = _state["received"]
    return value if isinstance(value, str) else None


def note(signal_name: str) -> None:
    if _state["received"] is None:
        _state["received"] = signal_name


def interrupt() -> KeyboardInterrupt:
    """The exception that stands for the signal received (SIGINT when none was noted: DuckDB
    saw a Ctrl-C first)."""
    note("SIGINT")
    _state["raised_at"] = time.monotonic()
    _main["pending"] = False
    return Terminated("SIGTERM") if received() == "SIGTERM" else KeyboardInterrupt()


def exit_code(exc: BaseException) -> int:
    """130 for Ctrl-C, 143 for SIGTERM (128 + the signal number, as shells report them)."""
    if isinstance(exc, Terminated) or received() == "SIGTERM":
        return EXIT_CODES["SIGTERM"]
    return EXIT_CODES["SIGINT"]


def _on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def register_canceller(key: int, cancel: Callable[[], None]) -> None:
    """``cancel`` stops work in flight (a DuckDB connection's ``interrupt``) on a signal; call
    on opening the connection."""
    with _lock:
        _cancellers[key] = cancel
    if _on_main_thread():
        _main["open"] += 1


def unregister_canceller(key: int) -> None:
    """Call once the connection is closed."""
    with _lock:
        known = _cancellers.pop(key, None) is not None
    if known and _on_main_thread():
        _main["open"] -= 1


def raise_pending() -> None:
    """Raise the interrupt a signal left pending while the main thread held a connection, once
    it holds none."""
    if _on_main_thread() and _main["pending"] and not _main["open"]:
        _main["pending"] = False
        if not _just_raised():
            raise interrupt()


def cancel_all() -> None:
    with _lock:
        cancels = list(_cancellers.values())
    for cancel in cancels:
        with contextlib.suppress(Exception):  # a connection closing meanwhile
            cancel()


def _just_raised() -> bool:
    at = _state["raised_at"]
    return isinstance(at, float) and time.monotonic() - at < DEDUP_S


def _on_signal(signum: int, frame: object) -> None:
    name = _WATCHED.get(signum, "SIGINT")
    note(name)
    if _main["open"]:  # raised from the warehouse's context manager (see the module doc)
        _main["pending"] = True
        return
    if _just_raised():  # the same signal already went up from inside a query
        return
    exc = interrupt()
    raise exc


def _watch(reader: socket.socket) -> None:
    while True:
        try:
            data = reader.recv(64)
        except OSError:
            return
        if not data:
            return
        names = [_WATCHED[b] for b in data if b in _WATCHED]
        if names:
            note(names[0])
            cancel_all()


@contextlib.contextmanager
def handling() -> Iterator[None]:
    """Our handlers and the query-cancelling watcher for the duration; the previous handlers
    and wakeup fd afterwards (main thread only; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    old_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    for s in previous:
        signal.signal(s, _on_signal)
    watcher = threading.Thread(target=_watch, args=(reader,), name="signal-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(old_fd)
        for s, handler in previous.items():
            signal.signal(s, handler)
        writer.close()  # the watcher's recv returns b"" and it ends
        with contextlib.suppress(OSError):
            reader.shutdown(socket.SHUT_RDWR)
        reader.close()
        _state.update(received=None, raised_at=None)
        _main["pending"] = False


def install() -> None:
    """:func:`handling` for the rest of the process (the CLI's entry point)."""
    _installed.enter_context(handling())


_installed = contextlib.ExitStack()
