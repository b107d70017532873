"""Portfolio stress by full BSM revaluation over a spot × vol × days grid, and shock parsing (pure).

Units are in the names: ``spot_shock_pct`` is percent of spot (1 = +1%), ``vol_shock_pts`` is
vol points (1 = +0.01 of annualised vol), ``days`` is calendar days. Each scenario reprices
every eligible leg with ``bsm_price``; no Greeks approximation. P&L is measured against the
model price at current inputs (not the market mark), so the zero scenario is exactly 0.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from options_helper.domain.chain import DAYS_PER_YEAR
from options_helper.domain.portfolio_risk import VOL_FLOOR, LegRisk, PortfolioAnalysis
from options_helper.domain.pricing import bsm_price

GRID_COLUMNS = ["spot_shock_pct", "vol_shock_pts", "days"]
MAX_SHOCK_VALUES = 1001
# Bound on scenario cells x legs priced per bsm_price call, to keep peak memory small.
_CHUNK_ELEMENTS = 200_000
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def stress_grid(
    analysis: PortfolioAnalysis,
    *,
    spot_shocks_pct: list[float],
    vol_shocks_pts: list[float],
    days: list[int],
) -> pd.DataFrame:
    """Portfolio P&L (USD) for every (spot_shock_pct, vol_shock_pts, days) scenario.

    Args:
        spot_shocks_pct: percent moves of every underlying's spot together (5 = +5%, > -100).
        vol_shocks_pts: vol points added to every leg's IV (2 = +0.02); the shocked vol is
            floored at VOL_FLOOR.
        days: calendar days to advance (>= 0); t_years falls by days/365, and a leg whose
            time runs out is worth its intrinsic value. Each leg's rate and dividend
            yield (its snapshot's) are unchanged.
        An empty list means no shock on that axis ([0]).

    Returns:
        One row per scenario of the cartesian product, in input order (spot slowest), with
        columns spot_shock_pct, vol_shock_pts, days, pnl_usd. ``attrs['excluded_legs']`` lists
        the legs not revalued (missing, or no IV) as dicts with position_id, leg_index, reason.
    """
    grid, _, pnl, excluded = _run(analysis, spot_shocks_pct, vol_shocks_pts, days)
    grid["pnl_usd"] = pnl.sum(axis=-1).reshape(-1)
    grid.attrs["excluded_legs"] = excluded
    return grid


def stress_grid_by_symbol(
    analysis: PortfolioAnalysis,
    *,
    spot_shocks_pct: list[float],
    vol_shocks_pts: list[float],
    days: list[int],
) -> pd.DataFrame:
    """The stress grid per underlying (long format); same scenarios and units as stress_grid.

    Returns:
        One row per (scenario, symbol) with columns spot_shock_pct, vol_shock_pts, days,
        symbol, spot (the shocked spot) and pnl_usd; ``attrs['excluded_legs']`` as in
        stress_grid.
    """
    grid, symbols, pnl, excluded = _run(analysis, spot_shocks_pct, vol_shocks_pts, days)
    _, n_vol, n_days, n_sym = pnl.shape
    spot_by_symbol = {u.symbol: u.spot for u in analysis.underlyings}
    base_spot = np.array([spot_by_symbol[s] for s in symbols], dtype=float)
    spot_pct = grid["spot_shock_pct"].to_numpy()[:: n_vol * n_days]
    shocked_spot = base_spot[None, :] + base_spot[None, :] * (spot_pct[:, None] / 100.0)
    out = grid.loc[grid.index.repeat(n_sym)].reset_index(drop=True)
    out["symbol"] = np.tile(np.array(symbols, dtype=object), len(grid))
    out["spot"] = np.repeat(shocked_spot, n_vol * n_days, axis=0).reshape(-1)
    out["pnl_usd"] = pnl.reshape(-1)
    out.attrs["excluded_legs"] = excluded
    return out


def _run(
    analysis: PortfolioAnalysis,
    spot_shocks_pct: list[float],
    vol_shocks_pts: list[float],
    days: list[int],
) -> tuple[pd.DataFrame, list[str], NDArray[np.float64], list[dict[str, object]]]:
    spot_pct, vol_pts, days_arr = _axes(spot_shocks_pct, vol_shocks_pts, days)
    legs = list(analysis.legs())
    eligible = [leg for leg in legs if leg.stress_eligible]
    symbols = sorted({leg.symbol for leg in eligible})
    pnl = _revalue(eligible, symbols, spot_pct, vol_pts, days_arr)
    excluded = [
        {"position_id": leg.position_id, "leg_index": leg.leg_index, "reason": _why(leg)}
        for leg in legs
        if not leg.stress_eligible
    ]
    return _scenario_frame(spot_pct, vol_pts, days_arr), symbols, pnl, excluded


def _why(leg: LegRisk) -> str:
    return leg.reason or "no implied vol in the snapshot"


def _axes(
    spot_shocks_pct: list[float], vol_shocks_pts: list[float], days: list[int]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    spot_pct = _axis("spot_shocks_pct", spot_shocks_pct)
    vol_pts = _axis("vol_shocks_pts", vol_shocks_pts)
    days_arr = _axis("days", days)
    if (spot_pct <= -100).any():
        raise ValueError("spot_shocks_pct must be greater than -100 (a spot cannot reach zero)")
    if (days_arr < 0).any() or (days_arr != np.round(days_arr)).any():
        raise ValueError("days must be whole calendar days >= 0")
    return spot_pct, vol_pts, days_arr


def _axis(name: str, values: list[float] | list[int]) -> NDArray[np.float64]:
    arr = np.array(list(dict.fromkeys(float(v) for v in values)) or [0.0], dtype=float)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite numbers")
    return arr


def _scenario_frame(
    spot_pct: NDArray[np.float64], vol_pts: NDArray[np.float64], days: NDArray[np.float64]
) -> pd.DataFrame:
    s, v, d = np.meshgrid(spot_pct, vol_pts, days, indexing="ij")
    return pd.DataFrame(
        {"spot_shock_pct": s.ravel(), "vol_shock_pts": v.ravel(), "days": d.ravel().astype(int)}
    )


def _revalue(
    legs: list[LegRisk],
    symbols: list[str],
    spot_pct: NDArray[np.float64],
    vol_pts: NDArray[np.float64],
    days: NDArray[np.float64],
) -> NDArray[np.float64]:
    """P&L array shaped (spot, vol, days, symbol): scenario value minus model value now.

    Each leg keeps the rate and dividend yield it was valued with (its snapshot's).
    """
    n_s, n_v, n_d = len(spot_pct), len(vol_pts), len(days)
    spot = np.array([leg.spot for leg in legs], dtype=float)
    units = np.array([leg.quantity * leg.multiplier for leg in legs], dtype=float)
    stock = np.array([leg.kind == "stock" for leg in legs], dtype=bool)
    is_call = np.array([leg.kind == "call" for leg in legs], dtype=bool)
    strike = np.array([leg.strike or np.nan for leg in legs], dtype=float)
    t_years = np.where(stock, 0.0, np.array([leg.t_years for leg in legs], dtype=float))
    iv = np.array([leg.iv for leg in legs], dtype=float)
    carry = np.array([(leg.rate, leg.div_yield) for leg in legs], dtype=float).reshape(-1, 2)
    # Legs at or past expiry are intrinsic whatever the vol; 0-DTE snapshots carry NaN IV.
    vol = np.where(t_years > 0, np.maximum(iv, VOL_FLOOR), 0.0)
    leg_symbols = np.array([leg.symbol for leg in legs], dtype=object)
    onehot = (leg_symbols[:, None] == np.array(symbols, dtype=object)[None, :]).astype(float)

    spot_shift = spot[None, :] * (spot_pct[:, None] / 100.0)  # (S, L)
    # Stock is linear: P&L = quantity x spot x shock, exact (200 x 1% x 100 shares = 200.0).
    stock_pnl = (spot_shift[:, stock] * units[stock]) @ onehot[stock]  # (S, U)
    pnl = np.broadcast_to(stock_pnl[:, None, None, :], (n_s, n_v, n_d, len(symbols))).copy()
    opt = ~stock
    if opt.any():
        shocked = (
            (spot + spot_shift)[:, None, None, opt],
            np.maximum(vol[opt] + vol_pts[:, None] / 100.0, VOL_FLOOR)[None, :, None, :],
            np.maximum(t_years[opt] - days[:, None] / DAYS_PER_YEAR, 0.0)[None, None, :, :],
        )
        base = (spot[opt], np.maximum(vol[opt], VOL_FLOOR), t_years[opt])
        for rows in _chunks(n_s, n_v * n_d * int(opt.sum())):
            per_share = _option_pnl(
                shocked, base, rows, strike[opt], is_call[opt], carry[opt], (n_v, n_d)
            )
            pnl[rows] += (per_share * units[opt]) @ onehot[opt]
    return pnl


def _chunks(n_rows: int, row_size: int) -> list[slice]:
    step = max(1, _CHUNK_ELEMENTS // max(row_size, 1))
    return [slice(i, min(i + step, n_rows)) for i in range(0, n_rows, step)]


def _option_pnl(
    shocked: tuple[NDArray[np.float64], ...],
    base: tuple[NDArray[np.float64], ...],
    rows: slice,
    strike: NDArray[np.float64],
    is_call: NDArray[np.bool_],
    carry: NDArray[np.float64],
    vd: tuple[int, int],
) -> NDArray[np.float64]:
    """Per-share scenario minus base price; both priced on identically shaped arrays.

    Pricing the base on the scenario's own array shape makes the zero-shock cell bit-for-bit
    equal to the base (same inputs, same element position, same code path), so its P&L is 0.
    """
    s_spot, s_vol, s_t = shocked
    shape = (rows.stop - rows.start, *vd, strike.size)

    def full(a: NDArray) -> NDArray:
        return np.ascontiguousarray(np.broadcast_to(a, shape))

    k, call = full(strike), full(is_call)
    r, q = full(carry[:, 0]), full(carry[:, 1])
    scenario = bsm_price(full(s_spot[rows]), k, full(s_t), full(s_vol), r, q, call)
    now = bsm_price(full(base[0]), k, full(base[2]), full(base[1]), r, q, call)
    return scenario - now


def parse_shock_values(specs: list[str]) -> list[float]:
    """Parse repeatable shock flags into sorted unique values.

    Each spec is a comma-separated list of numbers and ``START:STOP:STEP`` ranges (inclusive
    of STOP when the step lands on it), e.g. ``["-10:10:5", "1,2.5"]`` -> [-10, -5, 0, 1, 2.5,
    5, 10]. Raises ValueError naming the bad spec.
    """
    values: list[float] = []
    for spec in specs:
        for item in str(spec).split(","):
            values.extend(_parse_item(spec, item.strip()))
    if not values:
        raise ValueError("no shock values given")
    return sorted({0.0 if v == 0 else v for v in values})


def _parse_item(spec: str, item: str) -> list[float]:
    if not item:
        raise ValueError(f"bad shock spec {spec!r}: empty value")
    parts = item.split(":")
    if len(parts) == 1:
        return [_number(spec, item)]
    if len(parts) != 3:
        raise ValueError(f"bad shock range {item!r} in {spec!r}: expected START:STOP:STEP")
    start, stop, step = (_number(spec, p.strip()) for p in parts)
    if step == 0:
        raise ValueError(f"bad shock range {item!r}: STEP must not be 0")
    if (stop - start) * step < 0:
        raise ValueError(f"bad shock range {item!r}: STEP {step:g} moves away from STOP")
    # A tolerance so 0:1:0.1 includes 1 despite binary rounding.
    n = math.floor((stop - start) / step + 1e-9) + 1
    if n > MAX_SHOCK_VALUES:
        raise ValueError(f"bad shock range {item!r}: {n} values (at most {MAX_SHOCK_VALUES})")
    return [round(start + i * step, 10) for i in range(n)]


def _number(spec: str, text: str) -> float:
    if not _NUMBER.match(text):
        raise ValueError(
            f"bad shock spec {spec!r}: {text!r} is not a number or START:STOP:STEP range"
        )
    return float(text)
