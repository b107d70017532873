"""Portfolio marks, P&L, Greeks and stress: hand-checkable cases on small synthetic snapshots."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from options_helper.domain.portfolio import Leg, Portfolio, Position
from options_helper.domain.portfolio_risk import analyze_portfolio
from options_helper.domain.portfolio_stress import (
    parse_shock_values,
    stress_grid,
    stress_grid_by_symbol,
)
from options_helper.domain.pricing import bsm_greeks, bsm_price

AS_OF = date(2026, 1, 2)
EXPIRY = date(2026, 3, 20)
DTE = (EXPIRY - AS_OF).days
T = DTE / 365.0
RATE = 0.04
SPOT = 200.0
IV = 0.30


def model(strike: float, kind: str = "call", *, spot: float = SPOT, t: float = T, iv: float = IV):
    return float(bsm_price(spot, strike, t, iv, RATE, 0.0, kind == "call"))


def greeks(strike: float, kind: str = "call"):
    return bsm_greeks(SPOT, strike, T, IV, RATE, 0.0, kind == "call")


def quote(strike, kind="call", *, expiry=EXPIRY, iv=IV, mid="model", last=math.nan):
    t = max((expiry - AS_OF).days, 0) / 365.0
    if mid == "model":
        mid = model(strike, kind, t=t, iv=iv) if t > 0 else max(SPOT - strike, 0.0)
    return {
        "contract_symbol": f"X{expiry:%y%m%d}{kind[0].upper()}{int(strike * 1000):08d}",
        "expiry": expiry,
        "strike": float(strike),
        "option_type": kind,
        "bid": math.nan,
        "ask": math.nan,
        "last": last,
        "mid": mid,
        "mark": mid,
        "iv": iv,
        "t_years": t,
        "spot": SPOT,
        "data_date": AS_OF,
    }


def snap(*quotes: dict) -> pd.DataFrame:
    return pd.DataFrame(list(quotes))


def call(strike, qty, entry, expiry=EXPIRY):
    return Leg(kind="call", strike=strike, expiry=expiry, quantity=qty, entry_price=entry)


def put(strike, qty, entry, expiry=EXPIRY):
    return Leg(kind="put", strike=strike, expiry=expiry, quantity=qty, entry_price=entry)


def stock(qty, entry):
    return Leg(kind="stock", quantity=qty, entry_price=entry)


def book(*positions: tuple[str, str, list[Leg]], cash: float = 0.0) -> Portfolio:
    return Portfolio(
        cash=cash, positions=[Position(id=i, symbol=s, legs=legs) for i, s, legs in positions]
    )


def analyze(portfolio, snapshots, spots=None):
    spots = {s: SPOT for s in portfolio.underlyings()} if spots is None else spots
    return analyze_portfolio(portfolio, snapshots, spots, as_of=AS_OF, rate=RATE)


def grid(analysis, spot=(0,), vol=(0,), days=(0,)):
    return stress_grid(
        analysis, spot_shocks_pct=list(spot), vol_shocks_pts=list(vol), days=list(days)
    )


# --- marks, P&L and Greeks -------------------------------------------------------------------


def test_long_call_delta_shares_is_delta_times_100_times_quantity():
    a = analyze(book(("c", "AAPL", [call(200, 2, 5.0)])), {"AAPL": snap(quote(200))})
    leg = a.positions[0].legs[0]
    g = greeks(200)
    assert leg.status == "ok" and leg.dte == DTE and leg.mark_source == "mid"
    assert leg.delta == pytest.approx(float(g.delta), rel=1e-12)
    assert leg.delta_shares == pytest.approx(float(g.delta) * 100 * 2, rel=1e-12)
    assert leg.delta_usd == pytest.approx(float(g.delta) * 200 * SPOT, rel=1e-12)
    assert leg.gamma_usd_per_1pct == pytest.approx(float(g.gamma) * 200 * SPOT**2 * 0.01)
    assert leg.theta_usd_per_day == pytest.approx(float(g.theta_per_day) * 200)
    assert leg.vega_usd_per_pt == pytest.approx(float(g.vega_per_pt) * 200)
    assert leg.theta_usd_per_day < 0 < leg.vega_usd_per_pt
    assert a.totals.delta_shares_by_symbol == {"AAPL": pytest.approx(leg.delta_shares)}


def test_short_put_gains_when_its_mark_falls_below_entry():
    a = analyze(
        book(("p", "AAPL", [put(190, -1, 5.0)])), {"AAPL": snap(quote(190, "put", mid=3.0))}
    )
    leg = a.positions[0].legs[0]
    assert leg.pnl_usd == pytest.approx(200.0)  # (3 - 5) x -1 x 100
    assert leg.market_value_usd == pytest.approx(-300.0)
    assert leg.delta_shares > 0  # short put is long delta
    assert leg.gamma_shares < 0 and leg.vega_usd_per_pt < 0 and leg.theta_usd_per_day > 0


def test_covered_call_totals_combine_stock_and_short_call():
    p = book(("cc", "AAPL", [stock(100, 180.0), call(210, -1, 2.5)]), cash=10_000.0)
    a = analyze(p, {"AAPL": snap(quote(210, mid=1.7))})
    pos, t = a.positions[0], a.totals
    stock_leg = pos.legs[0]
    assert stock_leg.mark == SPOT and stock_leg.mark_source == "spot"
    assert stock_leg.delta_shares == 100 and stock_leg.gamma_shares == 0
    assert pos.market_value_usd == pytest.approx(100 * 200 - 170)
    assert pos.pnl_usd == pytest.approx(2000 + 80)  # stock +20/share, call sold 2.5 now 1.7
    assert pos.delta_shares == pytest.approx(100 - 100 * float(greeks(210).delta))
    assert t.market_value_usd == pytest.approx(19_830.0)
    assert t.net_liquidation_usd == pytest.approx(29_830.0)
    assert t.cost_basis_usd == pytest.approx(18_000 - 250)
    assert t.pnl_usd == pytest.approx(t.market_value_usd - t.cost_basis_usd)
    assert t.complete and t.greeks_complete


def test_vertical_spread_nets_its_legs():
    p = book(("v", "AAPL", [call(200, 1, 9.0), call(210, -1, 5.0)]))
    a = analyze(p, {"AAPL": snap(quote(200, mid=10.0), quote(210, mid=5.5))})
    pos = a.positions[0]
    assert pos.pnl_usd == pytest.approx((10.0 - 9.0) * 100 - (5.5 - 5.0) * 100)
    assert pos.market_value_usd == pytest.approx(450.0)
    expected_delta = 100 * (float(greeks(200).delta) - float(greeks(210).delta))
    assert pos.delta_shares == pytest.approx(expected_delta)
    assert 0 < pos.delta_shares < 100
    assert pos.min_dte == DTE and pos.status == "ok"


def test_missing_contract_is_reported_flagged_and_excluded_from_totals():
    p = book(
        ("v", "AAPL", [call(200, 1, 9.0), call(215, -1, 4.0)]),
        ("n", "MSFT", [call(400, 1, 9.0)]),
        ("s", "AAPL", [stock(10, 150.0)]),
    )
    a = analyze(p, {"AAPL": snap(quote(200, mid=10.0), quote(210))})
    spread, msft, shares = a.positions
    missing = spread.legs[1]
    assert missing.status == "missing" and "not in the AAPL snapshot" in missing.reason
    assert math.isnan(missing.mark) and math.isnan(missing.delta_shares)
    assert spread.status == "incomplete"
    assert msft.status == "incomplete" and msft.legs[0].reason == "no snapshot for MSFT"
    assert shares.status == "ok"
    assert a.totals.market_value_usd == pytest.approx(10.0 * 100 + 10 * SPOT)
    assert a.totals.pnl_usd == pytest.approx(100.0 + 500.0)
    assert not a.totals.complete and a.totals.n_missing_legs == 2 and a.totals.n_legs == 4
    assert set(a.totals.delta_shares_by_symbol) == {"AAPL"}
    excluded = grid(a).attrs["excluded_legs"]
    assert {(e["position_id"], e["leg_index"]) for e in excluded} == {("v", 1), ("n", 0)}


def test_mark_is_market_mid_not_model_price():
    mid = model(200) + 1.25
    a = analyze(book(("c", "AAPL", [call(200, 1, 5.0)])), {"AAPL": snap(quote(200, mid=mid))})
    leg = a.positions[0].legs[0]
    assert leg.mark == mid != pytest.approx(model(200))
    assert leg.pnl_usd == pytest.approx((mid - 5.0) * 100)


def test_missing_mid_falls_back_to_last_with_a_flag():
    q = quote(200, mid=math.nan, last=4.2)
    a = analyze(book(("c", "AAPL", [call(200, 1, 5.0)])), {"AAPL": snap(q)})
    leg = a.positions[0].legs[0]
    assert leg.mark == 4.2 and leg.mark_source == "last" and "mark_from_last" in leg.flags
    assert leg.pnl_usd == pytest.approx(-80.0)


def test_stale_last_below_intrinsic_is_marked_at_intrinsic_with_a_flag():
    # Expiry day, no two-sided quote: a 60 call at spot 200 is worth 140, whatever it last traded.
    q = quote(60, expiry=AS_OF, iv=math.nan, mid=math.nan, last=122.85)
    a = analyze(book(("c", "AAPL", [call(60, 1, 100.0, expiry=AS_OF)])), {"AAPL": snap(q)})
    leg = a.positions[0].legs[0]
    assert leg.mark == 140.0 and leg.mark_source == "intrinsic"
    assert "mark_at_intrinsic" in leg.flags and "mark_from_last" not in leg.flags
    assert leg.market_value_usd == pytest.approx(14_000.0)
    # The mark now agrees with the value stress revalues from (intrinsic at t = 0).
    assert leg.mark == model(60, t=0.0)


def test_stale_put_last_below_intrinsic_is_floored_but_a_last_above_is_kept():
    stale = quote(260, "put", mid=math.nan, last=50.0)
    rich = quote(150, "call", mid=math.nan, last=55.0)
    legs = [put(260, -1, 50.0), call(150, 1, 50.0)]
    a = analyze(book(("p", "AAPL", legs)), {"AAPL": snap(stale, rich)})
    floored, kept = a.positions[0].legs
    assert floored.mark == 60.0 and floored.mark_source == "intrinsic"
    assert floored.pnl_usd == pytest.approx(-1_000.0)
    assert kept.mark == 55.0 and kept.mark_source == "last" and "mark_from_last" in kept.flags


def test_contract_without_mid_or_last_is_missing():
    q = quote(200, mid=math.nan, last=math.nan)
    a = analyze(book(("c", "AAPL", [call(200, 1, 5.0)])), {"AAPL": snap(q)})
    leg = a.positions[0].legs[0]
    assert leg.status == "missing" and "no mid or last" in leg.reason


def test_strike_matches_within_tolerance_and_option_type_must_agree():
    s = snap(quote(200.0000004), quote(200, "put"))
    a = analyze(book(("c", "AAPL", [call(200, 1, 5.0)])), {"AAPL": s})
    assert a.positions[0].legs[0].status == "ok"
    assert a.positions[0].legs[0].contract_symbol.endswith("C00200000")


def test_leg_without_iv_keeps_its_mark_but_has_nan_greeks_and_no_stress():
    q = quote(200, iv=math.nan, mid=6.0)
    a = analyze(book(("c", "AAPL", [call(200, 1, 5.0), call(210, -1, 3.0)])), {"AAPL": snap(q)})
    leg = a.positions[0].legs[0]
    assert leg.status == "ok" and "no_iv" in leg.flags and not leg.stress_eligible
    assert math.isnan(leg.delta) and a.totals.market_value_usd == pytest.approx(600.0)
    assert not a.totals.greeks_complete and a.totals.n_legs_without_greeks == 1
    reasons = [e["reason"] for e in grid(a).attrs["excluded_legs"]]
    assert "no implied vol in the snapshot" in reasons


def test_expiring_today_values_at_payoff_without_iv():
    q = quote(190, expiry=AS_OF, iv=math.nan, mid=10.1)
    a = analyze(book(("c", "AAPL", [call(190, 1, 8.0, expiry=AS_OF)])), {"AAPL": snap(q)})
    leg = a.positions[0].legs[0]
    assert leg.dte == 0 and "expiring_today" in leg.flags and leg.stress_eligible
    assert leg.delta_shares == 100 and leg.gamma == 0
    assert grid(a, spot=[5]).pnl_usd.iloc[0] == pytest.approx(10.0 * 100)


def test_analysis_asdict_is_strict_json():
    p = book(("c", "AAPL", [call(200, 1, 5.0), call(215, 1, 1.0)]), ("s", "MSFT", [stock(5, 1)]))
    d = analyze(p, {"AAPL": snap(quote(200))}, {"AAPL": SPOT}).asdict()
    text = json.dumps(d, allow_nan=False)
    leg = d["positions"][0]["legs"][0]
    assert d["as_of"] == "2026-01-02" and leg["expiry"] == "2026-03-20"
    assert leg["dte"] == DTE and isinstance(leg["dte"], int)
    assert d["positions"][0]["legs"][1]["mark"] is None
    assert '"reason": "no spot price for MSFT"' in text


# --- stress -----------------------------------------------------------------------------------


def _mixed():
    p = book(
        ("cc", "AAPL", [stock(100, 180.0), call(210, -1, 2.5)]),
        ("v", "AAPL", [call(200, 1, 9.0), call(210, -1, 5.0)]),
        ("p", "MSFT", [put(190, -2, 5.0)]),
    )
    snaps = {
        "AAPL": snap(quote(200, mid=10.0), quote(210, mid=5.5)),
        "MSFT": snap(quote(190, "put", mid=3.0, iv=0.45)),
    }
    return analyze(p, snaps)


def test_zero_scenario_pnl_is_exactly_zero():
    g = grid(_mixed(), spot=[-10, 0, 7], vol=[-3, 0, 2], days=[0, 5])
    zero = g[(g.spot_shock_pct == 0) & (g.vol_shock_pts == 0) & (g.days == 0)]
    assert zero.pnl_usd.tolist() == [0.0]


def test_spot_shock_of_one_means_one_percent_on_stock():
    a = analyze(book(("s", "AAPL", [stock(100, 150.0)])), {})
    assert grid(a, spot=[1]).pnl_usd.tolist() == [200.0]  # 100 x $200 x 1%, not x 100%


def test_spot_shock_of_one_means_one_percent_on_an_option():
    a = analyze(book(("c", "AAPL", [call(200, 1, 5.0)])), {"AAPL": snap(quote(200))})
    by_symbol = stress_grid_by_symbol(a, spot_shocks_pct=[1], vol_shocks_pts=[], days=[])
    assert by_symbol.spot.tolist() == [pytest.approx(202.0)]
    expected = (model(200, spot=202.0) - model(200)) * 100
    assert by_symbol.pnl_usd.iloc[0] == pytest.approx(expected, rel=1e-12)


def test_large_shock_is_full_revaluation_not_delta_gamma():
    a = analyze(book(("c", "AAPL", [call(200, 1, 5.0)])), {"AAPL": snap(quote(200, mid=9.0))})
    pnl = grid(a, spot=[-30]).pnl_usd.iloc[0]
    exact = (model(200, spot=140.0) - model(200)) * 100
    g = greeks(200)
    approx = (float(g.delta) * -60 + 0.5 * float(g.gamma) * 60**2) * 100
    assert pnl == pytest.approx(exact, rel=1e-12)
    assert abs(pnl - approx) > 100.0


def test_advancing_days_lowers_a_long_option_value():
    a = analyze(book(("c", "AAPL", [call(200, 1, 5.0)])), {"AAPL": snap(quote(200))})
    pnl = grid(a, days=[10]).pnl_usd.iloc[0]
    assert pnl == pytest.approx((model(200, t=T - 10 / 365) - model(200)) * 100, rel=1e-12)
    assert pnl < 0


def test_vol_shock_raises_a_long_option_value():
    a = analyze(book(("p", "AAPL", [put(190, 2, 5.0)])), {"AAPL": snap(quote(190, "put"))})
    pnl = grid(a, vol=[5]).pnl_usd.iloc[0]
    expected = (model(190, "put", iv=0.35) - model(190, "put")) * 200
    assert pnl == pytest.approx(expected, rel=1e-12)
    assert pnl > 0


def test_legs_past_expiry_are_worth_intrinsic():
    soon = AS_OF + timedelta(days=5)
    p = book(("c", "AAPL", [call(200, 1, 3.0, expiry=soon), put(200, 1, 3.0, expiry=soon)]))
    a = analyze(p, {"AAPL": snap(quote(200, expiry=soon), quote(200, "put", expiry=soon))})
    pnl = grid(a, spot=[10], vol=[20], days=[10]).pnl_usd.iloc[0]
    t = 5 / 365
    base = model(200, t=t) + model(200, "put", t=t)
    assert pnl == pytest.approx((20.0 + 0.0 - base) * 100, rel=1e-12)


def test_vol_shock_is_floored_and_stays_finite():
    a = analyze(book(("c", "AAPL", [call(250, 1, 1.0)])), {"AAPL": snap(quote(250))})
    pnl = grid(a, vol=[-100]).pnl_usd.iloc[0]
    assert math.isfinite(pnl) and pnl == pytest.approx(-model(250) * 100, rel=1e-6)


def test_grid_is_the_cartesian_product_and_symbols_sum_to_the_total():
    a = _mixed()
    total = grid(a, spot=[-5, 0, 5], vol=[0, 3], days=[0, 7])
    assert len(total) == 12 and list(total.columns[:3]) == [
        "spot_shock_pct",
        "vol_shock_pts",
        "days",
    ]
    assert total.iloc[1][["spot_shock_pct", "vol_shock_pts", "days"]].tolist() == [-5, 0, 7]
    by_symbol = stress_grid_by_symbol(
        a, spot_shocks_pct=[-5, 0, 5], vol_shocks_pts=[0, 3], days=[0, 7]
    )
    assert len(by_symbol) == 24 and set(by_symbol.symbol) == {"AAPL", "MSFT"}
    summed = by_symbol.groupby(
        ["spot_shock_pct", "vol_shock_pts", "days"], sort=False
    ).pnl_usd.sum()
    np.testing.assert_allclose(summed.to_numpy(), total.pnl_usd.to_numpy(), rtol=1e-12)
    # The covered call's stock dominates AAPL: down 5% loses money there.
    aapl_down = by_symbol[(by_symbol.symbol == "AAPL") & (by_symbol.spot_shock_pct == -5)]
    assert (aapl_down.pnl_usd < 0).all()


def test_grid_rejects_impossible_shocks():
    a = _mixed()
    with pytest.raises(ValueError, match="greater than -100"):
        grid(a, spot=[-100])
    with pytest.raises(ValueError, match="whole calendar days"):
        grid(a, days=[-1])
    with pytest.raises(ValueError, match="whole calendar days"):
        grid(a, days=[1.5])


def test_empty_portfolio_stresses_to_zero():
    a = analyze(Portfolio(cash=1000.0), {})
    assert a.totals.net_liquidation_usd == 1000.0
    assert grid(a, spot=[-10, 10]).pnl_usd.tolist() == [0.0, 0.0]


# --- shock flags -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("specs", "expected"),
    [
        (["-10:10:5"], [-10, -5, 0, 5, 10]),
        (["1,2.5", "-3"], [-3, 1, 2.5]),
        (["10:0:-5"], [0, 5, 10]),
        (["0:10:4"], [0, 4, 8]),
        (["5", "5,0:5:5"], [0, 5]),
        (["+2", "-0"], [0, 2]),
    ],
)
def test_parse_shock_values_reads_lists_and_ranges(specs, expected):
    assert parse_shock_values(specs) == expected


def test_parse_shock_values_includes_a_fractional_stop():
    values = parse_shock_values(["0:1:0.1"])
    assert len(values) == 11 and values[-1] == 1.0 and values[3] == 0.3


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        ([], "no shock values"),
        ([""], "empty value"),
        (["1,,2"], "empty value"),
        (["5%"], "not a number"),
        (["abc"], "not a number"),
        (["1:2"], "START:STOP:STEP"),
        (["0:10:0"], "must not be 0"),
        (["0:10:-1"], "moves away"),
        (["0:100000:0.01"], "at most"),
        (["nan"], "not a number"),
    ],
)
def test_parse_shock_values_rejects_bad_specs(specs, message):
    with pytest.raises(ValueError, match=message):
        parse_shock_values(specs)
