"""XNYS trading sessions (pure: exchange_calendars computes rules, no I/O, no clock).

exchange_calendars' default range ends one year after today; LEAPS expire up to ~3 years out,
so the calendar is built once over a fixed wide range instead.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import numpy as np

CALENDAR_START = date(2000, 1, 3)
CALENDAR_END = date(2045, 12, 29)


class CalendarRangeError(ValueError):
    """A date outside the supported session range."""


@lru_cache(maxsize=1)
def _sessions() -> np.ndarray:
    import warnings

    import exchange_calendars as xcals

    with warnings.catch_warnings():
        # exchange_calendars trips pandas deprecation warnings that are not ours to act on.
        warnings.simplefilter("ignore")
        cal = xcals.get_calendar(
            "XNYS", start=CALENDAR_START.isoformat(), end=CALENDAR_END.isoformat()
        )
    return cal.sessions.values.astype("datetime64[D]")


def all_sessions() -> np.ndarray:
    """Every XNYS session in the supported range as sorted ``datetime64[D]``."""
    return _sessions()


@lru_cache(maxsize=1)
def _weekday_closures() -> np.ndarray:
    s = _sessions()
    days = np.arange(np.datetime64(CALENDAR_START), np.datetime64(CALENDAR_END) + 1)
    weekdays = days[np.is_busday(days)]
    return weekdays[~np.isin(weekdays, s)]


def weekday_closures() -> np.ndarray:
    """Weekdays in the supported range that are not sessions (holidays, special closures),
    sorted ``datetime64[D]``: with the weekends, every day that is not a session."""
    return _weekday_closures()


def _d64(d: date) -> np.datetime64:
    if isinstance(d, datetime):
        d = d.date()
    if not (CALENDAR_START <= d <= CALENDAR_END):
        raise CalendarRangeError(
            f"date {d} is outside the supported calendar range {CALENDAR_START}..{CALENDAR_END}"
        )
    return np.datetime64(d, "D")


def _to_date(x: np.datetime64) -> date:
    return x.astype("datetime64[D]").item()


def is_session(d: date) -> bool:
    s = _sessions()
    x = _d64(d)
    i = int(np.searchsorted(s, x))
    return i < len(s) and s[i] == x


def session_index(d: date) -> int:
    """Index of session ``d`` in :func:`all_sessions`; raises if ``d`` is not a session."""
    s = _sessions()
    x = _d64(d)
    i = int(np.searchsorted(s, x))
    if i >= len(s) or s[i] != x:
        raise CalendarRangeError(f"{d} is not an XNYS session")
    return i


def session_at(index: int) -> date:
    return _to_date(_sessions()[index])


def previous_session(d: date) -> date:
    """The last session strictly before ``d``."""
    s = _sessions()
    i = int(np.searchsorted(s, _d64(d), side="left")) - 1
    if i < 0:
        raise CalendarRangeError(f"no session before {d}")
    return _to_date(s[i])


def next_session(d: date) -> date:
    """The first session strictly after ``d``."""
    s = _sessions()
    i = int(np.searchsorted(s, _d64(d), side="right"))
    if i >= len(s):
        raise CalendarRangeError(f"no session after {d}")
    return _to_date(s[i])


def session_on_or_before(d: date) -> date:
    return d if is_session(d) else previous_session(d)


def sessions_between(start: date, end: date) -> list[date]:
    """Sessions in the closed interval [start, end]."""
    return [_to_date(x) for x in sessions_between_d64(start, end)]


def sessions_between_d64(start: date, end: date) -> np.ndarray:
    s = _sessions()
    lo = int(np.searchsorted(s, _d64(start), side="left"))
    hi = int(np.searchsorted(s, _d64(end), side="right"))
    return s[lo:hi]


def sessions_ending(end: date, count: int) -> list[date]:
    """The ``count`` sessions ending at the last session on or before ``end``."""
    s = _sessions()
    hi = int(np.searchsorted(s, _d64(end), side="right"))
    lo = max(0, hi - count)
    return [_to_date(x) for x in s[lo:hi]]


def sessions_distance(start: date, end: date) -> int:
    """Number of sessions in (start, end]; 0 when end <= start."""
    if end <= start:
        return 0
    return len(sessions_between_d64(start + timedelta(days=1), end))


def latest_completed_session(now: datetime) -> date:
    """The latest session whose regular close (16:00 New York) is at or before ``now``.

    Args:
        now: an aware datetime (any zone); naive values are taken as UTC.
    """
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    if now.tzinfo is None:
        from datetime import UTC

        now = now.replace(tzinfo=UTC)
    local = now.astimezone(ny)
    today = local.date()
    # Early-close days (13:00) are treated like full days: data is final by 16:00 either way.
    if is_session(today) and local.hour >= 16:
        return today
    return previous_session(today)
