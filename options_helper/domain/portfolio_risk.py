"""Portfolio marks, P&L, DTE and Greeks in share and dollar terms from the latest snapshots (pure).

Marks are market prices (option mid, else last trade, floored at intrinsic value; stock at
spot), never model prices.
Greeks are BSM at (spot, strike, ACT/365 time from ``as_of``, snapshot IV, and the rate and
dividend yield that IV was solved with), so they agree with the stress revaluation in
``portfolio_stress``. A leg that cannot be marked is
reported with ``status='missing'`` and a reason, and excluded from every total.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd

from options_helper.domain.chain import DAYS_PER_YEAR, snapshot_rates
from options_helper.domain.portfolio import Portfolio
from options_helper.domain.portfolio_marks import (
    leg_frame,
    normalise_snapshot,
    quote_symbol,
    resolve_spot,
    snapshot_date,
)
from options_helper.domain.pricing import bsm_greeks

LegStatus = Literal["ok", "missing"]
PositionStatus = Literal["ok", "incomplete"]
MarkSource = Literal["mid", "last", "intrinsic", "spot"]

# Vols are floored here for pricing (the implied-vol solver's lower bound).
VOL_FLOOR = 1e-4
SUM_FIELDS = (
    "market_value_usd",
    "cost_basis_usd",
    "pnl_usd",
    "delta_shares",
    "gamma_shares",
    "delta_usd",
    "gamma_usd_per_1pct",
    "theta_usd_per_day",
    "vega_usd_per_pt",
)


def _jsonable(value: Any) -> Any:
    """Dates as ISO strings, NaN/inf as None, tuples as lists (recursively)."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


class _Record:
    __slots__ = ()

    def asdict(self) -> dict[str, Any]:
        """JSON-able dict: dates as ISO strings, NaN as None."""
        return _jsonable(dataclasses.asdict(self))  # type: ignore[call-overload]


@dataclass(frozen=True, slots=True)
class LegRisk(_Record):
    """One leg: mark, P&L, Greeks per share and per position (shares and USD). NaN = unknown."""

    position_id: str
    leg_index: int
    symbol: str
    kind: str
    quantity: int
    multiplier: int  # shares per unit: the contract multiplier, 1 for stock
    strike: float | None
    expiry: date | None
    contract_symbol: str | None
    status: LegStatus
    reason: str | None
    flags: tuple[str, ...]
    mark_source: MarkSource | None
    entry_price: float
    mark: float
    spot: float
    dte: int | None
    t_years: float
    iv: float
    rate: float  # continuously compounded decimal: the snapshot's, else the default
    div_yield: float  # continuously compounded decimal: the snapshot's, else 0
    cost_basis_usd: float
    market_value_usd: float
    pnl_usd: float
    delta: float
    gamma: float
    theta_per_day: float
    vega_per_pt: float
    delta_shares: float
    gamma_shares: float
    delta_usd: float
    gamma_usd_per_1pct: float
    theta_usd_per_day: float
    vega_usd_per_pt: float
    stress_eligible: bool


@dataclass(frozen=True, slots=True)
class PositionRisk(_Record):
    """Sums over the position's priced legs; ``status='incomplete'`` if any leg is missing."""

    position_id: str
    symbol: str
    note: str
    status: PositionStatus
    greeks_complete: bool
    min_dte: int | None
    legs: list[LegRisk]
    market_value_usd: float
    cost_basis_usd: float
    pnl_usd: float
    delta_shares: float
    gamma_shares: float
    delta_usd: float
    gamma_usd_per_1pct: float
    theta_usd_per_day: float
    vega_usd_per_pt: float


@dataclass(frozen=True, slots=True)
class UnderlyingRisk(_Record):
    """Sums over the priced legs on one underlying, with the inputs used to value them."""

    symbol: str
    spot: float
    rate: float
    div_yield: float
    data_date: date | None
    snapshot_age_days: int | None
    n_legs: int
    n_missing_legs: int
    market_value_usd: float
    cost_basis_usd: float
    pnl_usd: float
    delta_shares: float
    gamma_shares: float
    delta_usd: float
    gamma_usd_per_1pct: float
    theta_usd_per_day: float
    vega_usd_per_pt: float


@dataclass(frozen=True, slots=True)
class PortfolioTotals(_Record):
    """Portfolio totals over priced legs; ``complete`` is False when any leg is missing."""

    cash_usd: float
    market_value_usd: float
    net_liquidation_usd: float
    cost_basis_usd: float
    pnl_usd: float
    delta_shares_by_symbol: dict[str, float]
    delta_usd: float
    gamma_usd_per_1pct: float
    theta_usd_per_day: float
    vega_usd_per_pt: float
    complete: bool
    greeks_complete: bool
    n_legs: int
    n_missing_legs: int
    n_legs_without_greeks: int


@dataclass(frozen=True, slots=True)
class PortfolioAnalysis(_Record):
    """Everything ``analyze_portfolio`` computed; the input of ``stress_grid``.

    ``rate`` is the default rate, used only for underlyings whose snapshot records none; each
    leg and underlying carries the rate it was valued with.
    """

    as_of: date
    rate: float
    positions: list[PositionRisk]
    underlyings: list[UnderlyingRisk]
    totals: PortfolioTotals
    warnings: list[str]

    def legs(self) -> Iterator[LegRisk]:
        for position in self.positions:
            yield from position.legs

    def legs_frame(self) -> pd.DataFrame:
        """One row per leg (LegRisk fields as columns)."""
        fields = [f.name for f in dataclasses.fields(LegRisk)]
        return pd.DataFrame([dataclasses.astuple(leg) for leg in self.legs()], columns=fields)


def analyze_portfolio(
    portfolio: Portfolio,
    snapshots: Mapping[str, pd.DataFrame],
    spots: Mapping[str, float],
    *,
    as_of: date,
    rate: float,
    data_dates: Mapping[str, date] | None = None,
) -> PortfolioAnalysis:
    """Mark every leg from its underlying's latest snapshot and compute P&L and Greeks.

    Args:
        snapshots: symbol -> latest snapshot (``docs/pricing.md`` columns; at least
            ``SNAPSHOT_COLUMNS``). A symbol without one has its option legs reported missing.
        spots: symbol -> spot used for stock marks, Greeks and dollar Greeks; the snapshot's
            ``spot`` column is the fallback.
        as_of: valuation date; DTE and time to expiry count calendar days from it.
        rate: continuously compounded risk-free rate (decimal) for the Greeks of an underlying
            whose snapshot does not record the rate (and dividend yield, then 0) its IV was
            solved with; a snapshot that records them is valued with its own.
        data_dates: symbol -> snapshot data date; defaults to the snapshot's ``data_date``.
            A data date before or after ``as_of`` adds a warning naming the symbol.

    Returns:
        PortfolioAnalysis with per-leg, per-position, per-underlying and portfolio figures.
    """
    if not math.isfinite(rate):
        raise ValueError(f"rate must be a finite decimal, got {rate!r}")
    legs = leg_frame(portfolio, as_of)
    flags: list[list[str]] = [[] for _ in range(len(legs))]
    warnings: list[str] = []
    inputs: dict[str, _Inputs] = {}
    for symbol in portfolio.underlyings():
        raw = snapshots.get(symbol)
        snap = None if raw is None else normalise_snapshot(symbol, raw)
        spot = resolve_spot(spots.get(symbol), raw)
        data_date = (data_dates or {}).get(symbol) or snapshot_date(raw)
        sym_rate, div_yield = (rate, 0.0) if raw is None else snapshot_rates(raw, default_rate=rate)
        inputs[symbol] = _Inputs(spot, sym_rate, div_yield, data_date)
        on_symbol = (legs["symbol"] == symbol).to_numpy()
        legs.loc[on_symbol, "rate"], legs.loc[on_symbol, "div_yield"] = sym_rate, div_yield
        if data_date is not None and data_date > as_of:
            warnings.append(f"{symbol}: snapshot data date {data_date} is after as_of {as_of}")
        elif data_date is not None and data_date < as_of:
            warnings.append(
                f"{symbol}: snapshot data date {data_date} is {(as_of - data_date).days} "
                f"day(s) older than as_of {as_of}: its marks, spot and IV are from {data_date}"
            )
        quote_symbol(legs, flags, symbol, snap, spot)
    _add_values_and_greeks(legs, flags)
    leg_records = [LegRisk(**row) for row in legs[_LEG_FIELDS].to_dict("records")]
    positions = _positions(portfolio, leg_records, legs)
    underlyings = _underlyings(legs, inputs, as_of)
    return PortfolioAnalysis(
        as_of=as_of,
        rate=rate,
        positions=positions,
        underlyings=underlyings,
        totals=_totals(portfolio.cash, legs),
        warnings=warnings,
    )


_LEG_FIELDS = [f.name for f in dataclasses.fields(LegRisk)]


@dataclass(frozen=True, slots=True)
class _Inputs:
    """What one underlying's legs are valued with."""

    spot: float
    rate: float
    div_yield: float
    data_date: date | None


def _add_values_and_greeks(legs: pd.DataFrame, flags: list[list[str]]) -> None:
    """Per-share BSM Greeks (all legs in one call) and their share and dollar scalings."""
    ok = (legs["status"] == "ok").to_numpy()
    stock = (legs["kind"] == "stock").to_numpy()
    dte = pd.to_numeric(legs["dte"]).to_numpy(dtype=float)
    t_years = np.maximum(dte, 0.0) / DAYS_PER_YEAR
    iv = legs["iv"].to_numpy(dtype=float)
    # At or past expiry the value is intrinsic whatever the vol (0-DTE snapshots carry NaN IV).
    vol = np.where(t_years > 0, np.maximum(iv, VOL_FLOOR), 0.0)
    spot = legs["spot"].to_numpy(dtype=float)
    strike = pd.to_numeric(legs["strike"]).to_numpy(dtype=float)
    rate = legs["rate"].to_numpy(dtype=float)
    div_yield = legs["div_yield"].to_numpy(dtype=float)
    g = bsm_greeks(spot, strike, t_years, vol, rate, div_yield, (legs["kind"] == "call").to_numpy())
    per_share = {
        "delta": np.where(stock, 1.0, g.delta),
        "gamma": np.where(stock, 0.0, g.gamma),
        "theta_per_day": np.where(stock, 0.0, g.theta_per_day),
        "vega_per_pt": np.where(stock, 0.0, g.vega_per_pt),
    }
    units = (legs["quantity"] * legs["multiplier"]).to_numpy(dtype=float)
    mark = legs["mark"].to_numpy(dtype=float)
    entry = legs["entry_price"].to_numpy(dtype=float)
    for name, values in per_share.items():
        legs[name] = np.where(ok, values, np.nan)
    legs["t_years"] = np.where(stock, np.nan, t_years)
    legs["cost_basis_usd"] = entry * units
    legs["market_value_usd"] = mark * units
    legs["pnl_usd"] = (mark - entry) * units
    legs["delta_shares"] = legs["delta"] * units
    legs["gamma_shares"] = legs["gamma"] * units
    legs["delta_usd"] = legs["delta_shares"] * spot
    # Change in delta_usd for a 1% move: d(delta_shares * S) ~ gamma_shares * S * (0.01 S).
    legs["gamma_usd_per_1pct"] = legs["gamma_shares"] * spot * spot * 0.01
    legs["theta_usd_per_day"] = legs["theta_per_day"] * units
    legs["vega_usd_per_pt"] = legs["vega_per_pt"] * units
    no_iv = ok & ~stock & (t_years > 0) & ~np.isfinite(iv)
    legs["stress_eligible"] = ok & ~no_iv
    for row in np.flatnonzero(no_iv):
        flags[row].append("no_iv")
    for row in np.flatnonzero(ok & (dte == 0)):
        flags[row].append("expiring_today")
    for row in np.flatnonzero(ok & (dte < 0)):
        flags[row].append("expired")
    legs["flags"] = pd.Series([tuple(f) for f in flags], index=legs.index, dtype=object)


def _sums(frame: pd.DataFrame) -> dict[str, float]:
    """Sums over priced legs; unknown Greeks (NaN) are skipped and flagged by the caller."""
    priced = frame[frame["status"] == "ok"]
    return {name: float(priced[name].sum()) for name in SUM_FIELDS}


def _greeks_complete(frame: pd.DataFrame) -> bool:
    priced = frame[frame["status"] == "ok"]
    return bool(priced["delta"].notna().all())


def _positions(
    portfolio: Portfolio, leg_records: list[LegRisk], legs: pd.DataFrame
) -> list[PositionRisk]:
    out = []
    for pos in portfolio.positions:
        mask = (legs["position_id"] == pos.id).to_numpy()
        frame = legs[mask]
        dtes = [d for d in frame["dte"] if d is not None]
        out.append(
            PositionRisk(
                position_id=pos.id,
                symbol=pos.symbol,
                note=pos.note,
                status="ok" if (frame["status"] == "ok").all() else "incomplete",
                greeks_complete=_greeks_complete(frame),
                min_dte=min(dtes) if dtes else None,
                legs=[leg for leg, keep in zip(leg_records, mask, strict=True) if keep],
                **_sums(frame),
            )
        )
    return out


def _underlyings(
    legs: pd.DataFrame, inputs: dict[str, _Inputs], as_of: date
) -> list[UnderlyingRisk]:
    out = []
    for symbol, used in inputs.items():
        frame = legs[legs["symbol"] == symbol]
        out.append(
            UnderlyingRisk(
                symbol=symbol,
                spot=used.spot,
                rate=used.rate,
                div_yield=used.div_yield,
                data_date=used.data_date,
                snapshot_age_days=(
                    None if used.data_date is None else (as_of - used.data_date).days
                ),
                n_legs=len(frame),
                n_missing_legs=int((frame["status"] == "missing").sum()),
                **_sums(frame),
            )
        )
    return out


def _totals(cash: float, legs: pd.DataFrame) -> PortfolioTotals:
    sums = _sums(legs)
    priced = legs[legs["status"] == "ok"]
    by_symbol = priced.groupby("symbol")["delta_shares"].sum()
    n_missing = int((legs["status"] == "missing").sum())
    return PortfolioTotals(
        cash_usd=cash,
        market_value_usd=sums["market_value_usd"],
        # Short legs have negative market value, so they reduce net liquidation.
        net_liquidation_usd=cash + sums["market_value_usd"],
        cost_basis_usd=sums["cost_basis_usd"],
        pnl_usd=sums["pnl_usd"],
        delta_shares_by_symbol={str(k): float(v) for k, v in by_symbol.items()},
        delta_usd=sums["delta_usd"],
        gamma_usd_per_1pct=sums["gamma_usd_per_1pct"],
        theta_usd_per_day=sums["theta_usd_per_day"],
        vega_usd_per_pt=sums["vega_usd_per_pt"],
        complete=n_missing == 0,
        greeks_complete=_greeks_complete(legs),
        n_legs=len(legs),
        n_missing_legs=n_missing,
        n_legs_without_greeks=int(priced["delta"].isna().sum()),
    )
