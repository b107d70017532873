"""Everything the portal reads, and how.

Each query opens one read-only connection (``Warehouse.reader``), asks, and closes: the portal
never holds a connection, never writes and never calls a provider. Results are cached for
``TTL_S`` (``st.cache_data``); when the warehouse is busy (a job is writing) the page gets the
last good result with ``busy=True`` and says so instead of failing.
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from options_helper.config import SETTINGS_BY_NAME, Config, load_config
from options_helper.domain import calendar
from options_helper.errors import OptionsHelperError
from options_helper.jobs.portfolio_analysis import PortfolioReport, analyze_configured_portfolio
from options_helper.observability.gaps import GapsReport, find_gaps
from options_helper.observability.health import HealthReport, collect_health
from options_helper.warehouse import Warehouse
from options_helper.warehouse.candles import read_candles
from options_helper.warehouse.catalog import (
    Provenance,
    provenance,
    read_gex,
    recent_checks,
    recent_runs,
    run_detail,
    stored_symbols,
    symbol_dates,
)
from options_helper.warehouse.connection import WarehouseBusyError
from options_helper.warehouse.migrate import require_current_schema
from options_helper.warehouse.research import read_derived, read_flow
from options_helper.warehouse.snapshots import latest_snapshot_dates, load_snapshot

# Seconds a query result is reused (OPTIONS_HELPER_PORTAL_TTL_S; 0 = always ask the warehouse).
TTL_ENV = SETTINGS_BY_NAME["portal_ttl_s"].env


def _ttl_s(default: float = SETTINGS_BY_NAME["portal_ttl_s"].default) -> float:
    try:
        return max(float(os.environ.get(TTL_ENV, default)), 0.0)
    except ValueError:  # a typo must not take every page down; the Health page says so
        return default


TTL_S = _ttl_s()
MAX_REMEMBERED = 256  # last good answers kept for the busy fallback (least recently used out)
LOCK_WAIT_S = 2.0
STRESS_DAYS = ("0", "7", "30")  # horizons offered on the Portfolio page


@dataclass(frozen=True)
class Read:
    """A query's answer as a page sees it."""

    value: Any = None
    fetched_at: datetime | None = None
    busy: bool = False  # the warehouse was locked: value is the last good answer (or None)
    problem: str | None = None  # why there is no answer, and what to do (one line)

    @property
    def ok(self) -> bool:
        return self.value is not None


# -- queries: (config, *args) -> picklable value ------------------------------------------


def _wh(cfg: Config) -> Warehouse:
    return Warehouse.for_config(cfg)


def q_schema(cfg: Config) -> bool:
    """The warehouse exists, is readable and fully migrated (else a one-line error)."""
    require_current_schema(_wh(cfg))
    return True


def q_sessions(cfg: Config, symbol: str) -> list[date]:
    """Sessions with candles or a snapshot of ``symbol``, ascending."""
    with _wh(cfg).reader() as conn:
        return symbol_dates(conn, symbol)


def q_provenance(cfg: Config) -> Provenance:
    with _wh(cfg).reader() as conn:
        return provenance(conn)


def q_symbols(cfg: Config) -> list[str]:
    with _wh(cfg).reader() as conn:
        return stored_symbols(conn)


def q_health(cfg: Config, window_days: int) -> HealthReport:
    return collect_health(_wh(cfg), window_days=window_days)


def q_runs(cfg: Config, window_days: int) -> pd.DataFrame:
    since = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=window_days)
    with _wh(cfg).reader() as conn:
        return recent_runs(conn, since)


def q_run_detail(cfg: Config, run_id: str) -> dict[str, pd.DataFrame]:
    with _wh(cfg).reader() as conn:
        return run_detail(conn, run_id)


def q_checks(cfg: Config, window_days: int) -> pd.DataFrame:
    since = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=window_days)
    with _wh(cfg).reader() as conn:
        return recent_checks(conn, since)


def q_gaps(cfg: Config, lookback_sessions: int) -> GapsReport:
    as_of = calendar.latest_completed_session(datetime.now(UTC))
    return find_gaps(
        _wh(cfg),
        data_dir=cfg.data_dir,
        as_of=as_of,
        lookback_sessions=lookback_sessions,
        db_path=cfg.db_path,
    )


def q_candles(cfg: Config, symbol: str) -> pd.DataFrame:
    with _wh(cfg).reader() as conn:
        return read_candles(conn, symbol)


def q_snapshot(cfg: Config, symbol: str, as_of: date) -> tuple[date, pd.DataFrame] | None:
    """The latest snapshot of ``symbol`` on or before ``as_of``."""
    with _wh(cfg).reader() as conn:
        found = latest_snapshot_dates(conn, [symbol], as_of)
        if symbol not in found:
            return None
        snap = load_snapshot(conn, cfg.data_dir, symbol, found[symbol])
    return None if snap is None else (found[symbol], snap)


def q_flow(cfg: Config, symbol: str, start: date, end: date) -> pd.DataFrame:
    with _wh(cfg).reader() as conn:
        return read_flow(conn, symbol, start, end)


def q_derived(cfg: Config, symbol: str) -> pd.DataFrame:
    with _wh(cfg).reader() as conn:
        return read_derived(conn, [symbol])


def q_gex(cfg: Config, symbol: str, session: date) -> pd.DataFrame:
    with _wh(cfg).reader() as conn:
        return read_gex(conn, symbol, session)


def q_portfolio(cfg: Config) -> PortfolioReport:
    latest = calendar.latest_completed_session(datetime.now(UTC))
    return analyze_configured_portfolio(
        cfg, as_of=None, latest_session=latest, days=list(STRESS_DAYS)
    )


def q_briefings(cfg: Config) -> list[str]:
    """Sessions (ISO) with a Markdown briefing, newest first (files, no warehouse). Only files
    named after an XNYS session are listed: the folder may hold anything else."""
    folder = cfg.reports_dir / "briefing"
    days = []
    for p in folder.glob("*.md"):
        try:
            day = date.fromisoformat(p.stem)
        except ValueError:
            continue
        if p.stem == day.isoformat() and calendar.is_session(day) and p.is_file():
            days.append(day)
    return [d.isoformat() for d in sorted(days, reverse=True)]


def q_briefing_text(cfg: Config, day: str) -> str:
    if day not in q_briefings(cfg):  # a session-dated file of the folder, nothing else
        raise FileNotFoundError(2, "no briefing of that session", day)
    return (cfg.reports_dir / "briefing" / f"{day}.md").read_text(encoding="utf-8")


QUERIES: dict[str, Callable[..., Any]] = {
    name[2:]: fn for name, fn in globals().items() if name.startswith("q_") and callable(fn)
}


# -- caching and busy fallback ----------------------------------------------------------------


@st.cache_resource
def config() -> Config:
    """The portal's configuration (environment variables; `options-helper ui` sets them).

    A page waits at most ``LOCK_WAIT_S`` for a writer's lock, then shows its last answer.
    """
    cfg = load_config({})
    return replace(cfg, lock_wait_s=min(cfg.lock_wait_s, LOCK_WAIT_S))


@st.cache_resource
def _memory() -> dict[str, Any]:
    """Process-wide: the last good answer per query (LRU) and when the warehouse was last busy."""
    return {"answers": OrderedDict(), "busy_at": None}


@st.cache_data(ttl=max(TTL_S, 1), show_spinner=False)
def _cached(name: str, args: tuple, _cfg: Config, cfg_key: str) -> tuple[Any, datetime]:
    return QUERIES[name](_cfg, *args), datetime.now()


def read(name: str, *args: Any) -> Read:
    """Run query ``name`` (cached); never raises: a busy warehouse gives the last answer, any
    other failure one line saying what is wrong."""
    cfg = config()
    memory = _memory()
    answers: OrderedDict = memory["answers"]
    key = (name, args)
    busy_at = memory["busy_at"]
    if busy_at is not None and time.monotonic() - busy_at < LOCK_WAIT_S * 2:
        # The warehouse was busy a moment ago: try once, don't make every read wait again.
        cfg = replace(cfg, lock_wait_s=0.0)
    try:
        if TTL_S > 0:
            value, fetched_at = _cached(name, args, cfg, str(cfg.db_path))
        else:
            value, fetched_at = QUERIES[name](cfg, *args), datetime.now()
    except WarehouseBusyError:
        memory["busy_at"] = time.monotonic()
        if key in answers:
            value, fetched_at = answers[key]
            return Read(value, fetched_at, busy=True)
        return Read(busy=True, problem="warehouse busy: a job is writing; retry in a moment")
    except OptionsHelperError as exc:
        return Read(problem=exc.one_line())
    except FileNotFoundError as exc:
        return Read(problem=f"file not found: {exc.filename}")
    except Exception as exc:  # the page stays up and says what failed
        first = (str(exc).strip().splitlines() or [""])[0]
        return Read(problem=f"could not read {name}: {type(exc).__name__}: {first}"[:300])
    memory["busy_at"] = None
    answers[key] = (value, fetched_at)
    answers.move_to_end(key)
    while len(answers) > MAX_REMEMBERED:
        answers.popitem(last=False)
    return Read(value, fetched_at)
