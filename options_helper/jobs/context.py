"""What every job needs: configuration, provider, warehouse, progress sink."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from options_helper.config import SETTINGS_BY_NAME, TRIGGERS, Config, env_value
from options_helper.domain import calendar
from options_helper.errors import BadInputError
from options_helper.jobs.progress import NullProgress, Progress
from options_helper.jobs.report import JobReport
from options_helper.observability.reaper import reap_abandoned
from options_helper.observability.run_logger import NullRunLogger, RunLogger
from options_helper.providers.base import MarketDataProvider
from options_helper.providers.registry import make_provider
from options_helper.warehouse import Warehouse
from options_helper.warehouse.migrate import ensure_schema


@dataclass
class JobContext:
    config: Config
    provider: MarketDataProvider
    warehouse: Warehouse
    progress: Progress = field(default_factory=NullProgress)
    triggered_by: str = "cli"
    parent_run_id: str | None = None
    # Benchmarks switch these off to measure the job alone; everything else keeps them on.
    ledger: bool = True
    post_checks: bool = True
    _reaped: bool = field(default=False, repr=False)

    @classmethod
    def from_config(
        cls,
        config: Config,
        progress: Progress | None = None,
        *,
        triggered_by: str | None = None,
        parent_run_id: str | None = None,
    ) -> JobContext:
        return cls(
            config=config,
            provider=make_provider(config.provider, sim_seed=config.sim_seed),
            warehouse=Warehouse.for_config(config),
            progress=progress or NullProgress(),
            triggered_by=resolve_trigger(triggered_by),
            parent_run_id=parent_run_id,
        )

    def ensure_warehouse(self) -> Warehouse:
        """The warehouse, created and migrated if needed, with dead runs marked abandoned."""
        ensure_schema(self.warehouse)
        if not self._reaped:
            reap_abandoned(self.warehouse)
            self._reaped = True
        return self.warehouse

    @contextmanager
    def run(self, report: JobReport) -> Iterator[RunLogger | NullRunLogger]:
        """Run ``report``'s job under a RunLogger; assets added to the report are recorded."""
        self.ensure_warehouse()
        if not self.ledger:
            yield NullRunLogger()
            return
        logger = RunLogger(
            self.warehouse,
            report.job_name,
            provider=report.provider,
            triggered_by=self.triggered_by,
            parent_run_id=self.parent_run_id,
            args=report.params,
        )
        plain = self.warehouse
        with logger:
            report.run_id = logger.run_id
            report.sink = logger
            # Every data write of the job waits for the run's ledger row (no untraced data).
            self.warehouse = replace(plain, before_write=logger.wait_for_row)
            try:
                yield logger
            finally:
                self.warehouse = plain
                report.sink = None

    def latest_session(self) -> date:
        return self.provider.latest_session(datetime.now(UTC))

    def resolve_data_date(self, as_of: date | None) -> date:
        """The data date to use: ``as_of`` validated, or the latest completed session."""
        latest = self.latest_session()
        if as_of is None:
            return latest
        if as_of > latest:
            raise BadInputError(
                f"{as_of} is after the latest completed session {latest}",
                hint="data for a session exists only after its close",
            )
        require_in_calendar(as_of, "--as-of")
        if not calendar.is_session(as_of):
            raise BadInputError(
                f"{as_of} is not an XNYS trading session",
                hint=f"use a session, e.g. {calendar.session_on_or_before(as_of)}",
            )
        if as_of != latest and not self.provider.supports_history:
            raise BadInputError(
                f"provider {self.provider.name!r} serves only the latest session ({latest})",
                hint="drop --as-of, or use --provider sim for historical sessions",
            )
        return as_of


def resolve_trigger(value: str | None) -> str:
    """--triggered-by, else OPTIONS_HELPER_TRIGGERED_BY, else "cli"."""
    trigger = value or env_value("triggered_by") or SETTINGS_BY_NAME["triggered_by"].default
    if trigger not in TRIGGERS:
        raise BadInputError(
            f"unknown trigger {trigger!r}", hint=f"use one of: {', '.join(TRIGGERS)}"
        )
    return trigger


def require_in_calendar(d: date, flag: str) -> None:
    """Dates outside the supported session range are bad input, not an internal error."""
    if not (calendar.CALENDAR_START <= d <= calendar.CALENDAR_END):
        raise BadInputError(
            f"{flag} {d} is outside the supported range "
            f"{calendar.CALENDAR_START} .. {calendar.CALENDAR_END}"
        )
