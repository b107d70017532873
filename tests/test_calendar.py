from datetime import UTC, date, datetime

import pytest

from options_helper.domain import calendar


def test_weekends_and_holidays_are_not_sessions():
    assert calendar.is_session(date(2025, 11, 26))
    assert not calendar.is_session(date(2025, 11, 27))  # Thanksgiving
    assert not calendar.is_session(date(2025, 11, 29))  # Saturday
    assert not calendar.is_session(date(2025, 4, 18))  # Good Friday


def test_previous_and_next_session_skip_holidays():
    assert calendar.previous_session(date(2025, 11, 28)) == date(2025, 11, 26)
    assert calendar.next_session(date(2025, 11, 26)) == date(2025, 11, 28)
    assert calendar.previous_session(date(2025, 4, 21)) == date(2025, 4, 17)


def test_sessions_between_is_inclusive():
    days = calendar.sessions_between(date(2025, 12, 22), date(2025, 12, 26))
    assert days == [date(2025, 12, 22), date(2025, 12, 23), date(2025, 12, 24), date(2025, 12, 26)]


def test_calendar_reaches_long_dated_leaps():
    # exchange_calendars defaults end a year ahead; LEAPS need more.
    assert calendar.is_session(date(2029, 1, 19))
    assert calendar.sessions_distance(date(2026, 1, 2), date(2029, 1, 19)) > 700


def test_latest_completed_session_respects_the_close():
    before_close = datetime(2025, 11, 26, 20, 59, tzinfo=UTC)  # 15:59 New York
    after_close = datetime(2025, 11, 26, 21, 1, tzinfo=UTC)
    assert calendar.latest_completed_session(before_close) == date(2025, 11, 25)
    assert calendar.latest_completed_session(after_close) == date(2025, 11, 26)
    assert calendar.latest_completed_session(datetime(2025, 11, 29, 12, tzinfo=UTC)) == date(
        2025, 11, 28
    )


def test_out_of_range_dates_raise_a_clear_error():
    with pytest.raises(calendar.CalendarRangeError, match="outside the supported"):
        calendar.is_session(date(1990, 1, 2))
