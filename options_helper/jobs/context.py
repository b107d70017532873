"""What every job needs: configuration, provider, warehouse, progress sink."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from options_helper.config import Config
from options_helper.domain import calendar
from options_helper.errors import BadInputError
from options_helper.jobs.progress import NullProgress, Progress
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

    @classmethod
    def from_config(cls, config: Config, progress: Progress | None = None) -> JobContext:
        return cls(
            config=config,
            provider=make_provider(config.provider, sim_seed=config.sim_seed),
            warehouse=Warehouse(config.db_path),
            progress=progress or NullProgress(),
        )

    def ensure_warehouse(self) -> Warehouse:
        """The warehouse, created and migrated if needed (writers call this first)."""
        ensure_schema(self.warehouse)
        return self.warehouse

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


def require_in_calendar(d: date, flag: str) -> None:
    """Dates outside the supported session range are bad input, not an internal error."""
    if not (calendar.CALENDAR_START <= d <= calendar.CALENDAR_END):
        raise BadInputError(
            f"{flag} {d} is outside the supported range "
            f"{calendar.CALENDAR_START} .. {calendar.CALENDAR_END}"
        )
