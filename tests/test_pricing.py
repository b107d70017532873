"""BSM pricing, Greeks and implied vol, checked against vollib (Jäckel's Let's Be Rational).

vollib's units match ours: theta is per calendar day (annual / 365), vega and rho are per
1 point (0.01) of vol and rate. Its argument orders differ between functions:
price and Greeks take (flag, S, K, t, r, sigma, q); implied_volatility takes
(price, S, K, t, r, q, flag).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from vollib.black_scholes_merton import black_scholes_merton as vollib_price
from vollib.black_scholes_merton.greeks import analytical as vollib_greeks
from vollib.black_scholes_merton.implied_volatility import implied_volatility as vollib_iv

from options_helper.domain.pricing import (
    IV_VOL_MAX,
    IV_VOL_MIN,
    bsm_gamma,
    bsm_greeks,
    bsm_price,
    implied_vol,
)

N_ORACLE_CASES = 4000
REL_TOL = 1e-12
IV_ABS_TOL = 1e-8
MATERIAL_VEGA_PER_VOL = 1e-3
ONE_HOUR_YEARS = 1.0 / 365.0 / 24.0

VOLLIB_FUNCTIONS = {
    "price": vollib_price,
    "delta": vollib_greeks.delta,
    "gamma": vollib_greeks.gamma,
    "theta_per_day": vollib_greeks.theta,
    "vega_per_pt": vollib_greeks.vega,
    "rho_per_pt": vollib_greeks.rho,
}


def _random_options(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    spot = rng.uniform(10.0, 500.0, n)
    t_years = np.exp(rng.uniform(np.log(1.0 / 365.0), np.log(3.0), n))
    vol = rng.uniform(0.05, 1.5, n)
    strike = spot * np.exp(rng.normal(0.0, 1.0, n) * vol * np.sqrt(t_years))
    return {
        "spot": spot,
        "strike": strike,
        "t_years": t_years,
        "vol": vol,
        "rate": rng.uniform(-0.01, 0.08, n),
        "div_yield": rng.uniform(0.0, 0.05, n),
        "is_call": rng.random(n) < 0.5,
    }


def _vollib_args(o: dict[str, np.ndarray], i: int) -> tuple:
    """(flag, S, K, t, r, sigma, q) for vollib's price and Greeks."""
    flag = "c" if o["is_call"][i] else "p"
    return (
        flag,
        o["spot"][i],
        o["strike"][i],
        o["t_years"][i],
        o["rate"][i],
        o["vol"][i],
        o["div_yield"][i],
    )


@pytest.fixture(scope="module")
def options() -> dict[str, np.ndarray]:
    return _random_options(N_ORACLE_CASES, seed=20261125)


@pytest.fixture(scope="module")
def greeks(options):
    return bsm_greeks(**options)


@pytest.fixture(scope="module")
def vollib_values(options) -> dict[str, np.ndarray]:
    return {
        name: np.array([fn(*_vollib_args(options, i)) for i in range(N_ORACLE_CASES)])
        for name, fn in VOLLIB_FUNCTIONS.items()
    }


def _no_vol(o: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {name: values for name, values in o.items() if name != "vol"}


def _material(greeks) -> np.ndarray:
    return greeks.vega_per_pt * 100.0 > MATERIAL_VEGA_PER_VOL


# Natural size of each quantity: price-like Greeks scale with spot, gamma with 1 / spot.
@pytest.mark.parametrize(
    ("name", "scale"),
    [
        ("price", "spot"),
        ("delta", "one"),
        ("gamma", "inverse_spot"),
        ("theta_per_day", "spot"),
        ("vega_per_pt", "spot"),
        ("rho_per_pt", "spot"),
    ],
)
def test_price_and_greeks_match_vollib(options, greeks, vollib_values, name, scale):
    size = {"spot": options["spot"], "one": 1.0, "inverse_spot": 1.0 / options["spot"]}[scale]
    ours = getattr(greeks, name)
    theirs = vollib_values[name]
    assert np.all(np.abs(ours - theirs) <= REL_TOL * (size + np.abs(theirs)))


def test_greek_units_match_hull_textbook_example():
    g = bsm_greeks(49.0, 50.0, 0.3846, 0.2, 0.05, 0.0, True)
    assert float(g.delta) == pytest.approx(0.522, abs=1e-3)
    assert float(g.gamma) == pytest.approx(0.066, abs=1e-3)
    assert float(g.theta_per_day) * 365.0 == pytest.approx(-4.31, abs=1e-2)
    assert float(g.vega_per_pt) == pytest.approx(0.121, abs=1e-3)
    assert float(g.rho_per_pt) == pytest.approx(0.0891, abs=1e-4)


def test_bsm_price_equals_greeks_price(options, greeks):
    assert np.array_equal(bsm_price(**options), greeks.price)


def test_put_call_parity(options):
    o = {**options, "is_call": True}
    call = bsm_greeks(**o)
    put = bsm_greeks(**{**o, "is_call": False})
    df_q = np.exp(-o["div_yield"] * o["t_years"])
    forward_value = o["spot"] * df_q - o["strike"] * np.exp(-o["rate"] * o["t_years"])
    assert np.max(np.abs(call.price - put.price - forward_value)) <= 1e-10
    assert np.max(np.abs(call.delta - put.delta - df_q)) <= 1e-12
    assert np.max(np.abs(call.gamma - put.gamma)) <= 1e-15
    assert np.max(np.abs(call.vega_per_pt - put.vega_per_pt)) <= 1e-15


def test_implied_vol_round_trips_where_vega_is_material(options, greeks):
    vol = implied_vol(greeks.price, **_no_vol(options))
    material = _material(greeks)
    assert material.mean() > 0.9
    assert np.max(np.abs(vol[material] - options["vol"][material])) <= IV_ABS_TOL


def test_implied_vol_matches_vollib(options, greeks):
    material = np.flatnonzero(_material(greeks))
    ours = implied_vol(greeks.price, **_no_vol(options))[material]
    theirs = np.array(
        [
            vollib_iv(
                greeks.price[i],
                options["spot"][i],
                options["strike"][i],
                options["t_years"][i],
                options["rate"][i],
                options["div_yield"][i],
                "c" if options["is_call"][i] else "p",
            )
            for i in material
        ]
    )
    assert np.max(np.abs(ours - theirs)) <= IV_ABS_TOL


def test_implied_vol_never_guesses_when_iterations_run_out(options, greeks):
    vol = implied_vol(greeks.price, **_no_vol(options), max_iter=1)
    material = _material(greeks)
    assert np.isnan(vol[material]).any()
    solved = material & np.isfinite(vol)
    assert np.max(np.abs(vol[solved] - options["vol"][solved]), initial=0.0) <= IV_ABS_TOL


@pytest.mark.parametrize("t_years", [0.0, -0.01])
@pytest.mark.parametrize(
    ("spot", "is_call", "price", "delta"),
    [
        (110.0, True, 10.0, 1.0),
        (90.0, True, 0.0, 0.0),
        (100.0, True, 0.0, 0.0),
        (90.0, False, 10.0, -1.0),
        (110.0, False, 0.0, 0.0),
        (100.0, False, 0.0, 0.0),
    ],
)
def test_at_expiry_price_is_intrinsic_and_greeks_are_the_payoffs(
    t_years, spot, is_call, price, delta
):
    g = bsm_greeks(spot, 100.0, t_years, 0.3, 0.05, 0.02, is_call)
    assert g.price == pytest.approx(price, abs=1e-12)
    assert g.delta == delta
    assert g.gamma == g.theta_per_day == g.vega_per_pt == g.rho_per_pt == 0.0


def test_one_hour_before_expiry_prices_converge_to_payoff():
    spot = np.array([80.0, 100.0, 120.0])
    call = bsm_greeks(spot, 100.0, ONE_HOUR_YEARS, 0.3, 0.05, 0.0, True)
    atm_time_value = 100.0 * 0.3 * np.sqrt(ONE_HOUR_YEARS) / np.sqrt(2.0 * np.pi)
    assert call.price[0] == pytest.approx(0.0, abs=1e-12)
    assert call.price[1] == pytest.approx(atm_time_value, rel=1e-2)
    assert call.price[2] == pytest.approx(20.0 + 100.0 * (1 - np.exp(-0.05 * ONE_HOUR_YEARS)))
    np.testing.assert_allclose(call.delta, [0.0, 0.5, 1.0], atol=1e-2)
    vol = implied_vol(call.price, spot, 100.0, ONE_HOUR_YEARS, 0.05, 0.0, True)
    assert np.isnan(vol[[0, 2]]).all()
    assert vol[1] == pytest.approx(0.3, abs=IV_ABS_TOL)


def test_zero_vol_gives_discounted_forward_intrinsic_and_its_greeks():
    t, rate, div_yield = 0.5, 0.05, 0.02
    g = bsm_greeks([120.0, 80.0], 100.0, t, 0.0, rate, div_yield, [True, False])
    df_q, df_r = np.exp(-div_yield * t), np.exp(-rate * t)
    np.testing.assert_allclose(g.price, [120.0 * df_q - 100.0 * df_r, 100.0 * df_r - 80.0 * df_q])
    np.testing.assert_allclose(g.delta, [df_q, -df_q])
    np.testing.assert_allclose(g.rho_per_pt, np.array([0.5, -0.5]) * df_r)
    assert np.all(g.gamma == 0.0) and np.all(g.vega_per_pt == 0.0)
    assert float(bsm_price(80.0, 100.0, t, -0.1, rate, div_yield, True)) == 0.0


def test_deep_in_and_out_of_the_money_limits():
    g = bsm_greeks(100.0, [10.0, 1000.0], 0.25, 0.2, 0.03, 0.0, True)
    assert g.price[0] == pytest.approx(100.0 - 10.0 * np.exp(-0.03 * 0.25), rel=1e-14)
    assert g.price[1] == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(g.delta, [1.0, 0.0], atol=1e-15)
    put = bsm_greeks(100.0, 1000.0, 0.25, 0.2, 0.03, 0.0, False)
    assert put.delta == pytest.approx(-1.0)
    assert np.isnan(implied_vol(g.price[0], 100.0, 10.0, 0.25, 0.03, 0.0, True))


# Rate 4%, dividend yield 1%, half a year: the forward is 100 e^{0.015}.
ATM_FORWARD_STRIKE = 100.0 * np.exp(0.03 * 0.5)


def _atm_forward_call_price(vol: float) -> float:
    return float(bsm_price(100.0, ATM_FORWARD_STRIKE, 0.5, vol, 0.04, 0.01, True))


@pytest.mark.parametrize(
    ("price", "spot", "strike", "t_years", "is_call"),
    [
        pytest.param(0.0, 100.0, 105.0, 0.5, True, id="zero-price"),
        pytest.param(-1.0, 100.0, 105.0, 0.5, True, id="negative-price"),
        pytest.param(np.nan, 100.0, 105.0, 0.5, True, id="nan-price"),
        pytest.param(5.0, np.inf, 105.0, 0.5, True, id="infinite-spot"),
        pytest.param(5.0, 100.0, 0.0, 0.5, True, id="zero-strike"),
        pytest.param(5.0, 100.0, 105.0, 0.0, True, id="expiry-day"),
        pytest.param(5.0, 100.0, 105.0, -0.1, True, id="expired"),
        pytest.param(14.0, 120.0, 105.0, 0.5, True, id="call-below-forward-intrinsic"),
        pytest.param(3.0, 100.0, 105.0, 0.5, False, id="put-below-forward-intrinsic"),
        pytest.param(100.0 * np.exp(-0.005), 100.0, 105.0, 0.5, True, id="call-at-upper-bound"),
        pytest.param(101.0, 100.0, 105.0, 0.5, True, id="call-above-upper-bound"),
        pytest.param(106.0, 100.0, 105.0, 0.5, False, id="put-above-upper-bound"),
        pytest.param(
            _atm_forward_call_price(12.0), 100.0, ATM_FORWARD_STRIKE, 0.5, True, id="vol-above-10"
        ),
        pytest.param(
            _atm_forward_call_price(5e-5), 100.0, ATM_FORWARD_STRIKE, 0.5, True, id="vol-below-1e-4"
        ),
    ],
)
def test_implied_vol_is_nan_where_the_price_does_not_determine_it(
    price, spot, strike, t_years, is_call
):
    assert np.isnan(implied_vol(price, spot, strike, t_years, 0.04, 0.01, is_call))


@pytest.mark.parametrize("vol", [12.0, 5e-5])
def test_out_of_range_vols_are_still_valid_prices(vol):
    price = _atm_forward_call_price(vol)
    assert 0.0 < price < 100.0 * np.exp(-0.005)


def test_implied_vol_is_nan_for_a_zero_bid_in_a_chain():
    bid = np.array([0.0, 1.2, 2.5])
    vol = implied_vol(bid, 100.0, [130.0, 110.0, 100.0], 0.25, 0.04, 0.0, True)
    assert np.isnan(vol[0])
    assert np.isfinite(vol[1:]).all()


def test_implied_vol_is_nan_where_time_value_is_within_rounding_of_the_price():
    forward_intrinsic = 100.0 - 50.0 * np.exp(-0.04 * 0.05)
    price = forward_intrinsic + np.array([1e-13, 1e-7])
    vol = implied_vol(price, 100.0, 50.0, 0.05, 0.04, 0.0, True)
    assert np.isnan(vol[0])
    assert bsm_price(100.0, 50.0, 0.05, vol[1], 0.04, 0.0, True) == pytest.approx(
        price[1], abs=1e-12
    )


@pytest.mark.parametrize("vol", [2e-3, 0.01, 4.0, 9.0])
def test_implied_vol_recovers_vols_near_the_ends_of_its_range(vol):
    assert IV_VOL_MIN < vol < IV_VOL_MAX
    price = bsm_price(100.0, 100.0, 0.25, vol, 0.0, 0.0, False)
    assert implied_vol(price, 100.0, 100.0, 0.25, 0.0, 0.0, False) == pytest.approx(vol, abs=1e-10)


def test_scalar_inputs_give_0d_results():
    g = bsm_greeks(100.0, 100.0, 0.5, 0.2)
    assert all(np.ndim(value) == 0 for value in g)
    assert np.ndim(bsm_price(100.0, 100.0, 0.5, 0.2)) == 0
    vol = implied_vol(float(g.price), 100.0, 100.0, 0.5)
    assert np.ndim(vol) == 0
    assert float(vol) == pytest.approx(0.2, abs=IV_ABS_TOL)
    assert np.ndim(implied_vol(0.0, 100.0, 100.0, 0.5)) == 0


def test_one_element_and_broadcast_inputs_keep_their_shape():
    g = bsm_greeks([100.0], 100.0, 0.5, 0.2)
    assert all(np.shape(value) == (1,) for value in g)
    assert implied_vol(g.price, 100.0, 100.0, 0.5).shape == (1,)
    strike = np.array([[90.0], [100.0], [110.0]])
    vol = np.array([0.1, 0.2, 0.3, 0.4])
    grid = bsm_greeks(100.0, strike, 0.5, vol, 0.03, 0.0, [True, False, True, False])
    assert all(np.shape(value) == (3, 4) for value in grid)
    iv = implied_vol(grid.price, 100.0, strike, 0.5, 0.03, 0.0, [True, False, True, False])
    np.testing.assert_allclose(iv, np.broadcast_to(vol, (3, 4)), atol=IV_ABS_TOL)


def test_nan_inputs_give_nan_outputs():
    g = bsm_greeks(100.0, 100.0, [0.5, np.nan, 0.5], [0.2, 0.2, np.nan])
    for value in g:
        assert np.isfinite(value[0]) and np.isnan(value[1:]).all()


@settings(max_examples=300, deadline=None)
@given(
    spot=st.floats(1.0, 2000.0),
    log_moneyness=st.floats(-1.5, 1.5),
    t_years=st.floats(ONE_HOUR_YEARS, 5.0),
    vol=st.floats(0.01, 5.0),
    rate=st.floats(-0.02, 0.12),
    div_yield=st.floats(0.0, 0.1),
    is_call=st.booleans(),
)
def test_implied_vol_inverts_price_where_vega_is_material(
    spot, log_moneyness, t_years, vol, rate, div_yield, is_call
):
    strike = spot * np.exp(log_moneyness)
    g = bsm_greeks(spot, strike, t_years, vol, rate, div_yield, is_call)
    assume(g.vega_per_pt * 100.0 > MATERIAL_VEGA_PER_VOL)
    solved = implied_vol(g.price, spot, strike, t_years, rate, div_yield, is_call)
    assert abs(float(solved) - vol) <= IV_ABS_TOL


def test_bsm_gamma_equals_the_gamma_of_bsm_greeks_everywhere(options, greeks):
    args = {name: value for name, value in options.items() if name != "is_call"}
    np.testing.assert_allclose(bsm_gamma(**args), greeks.gamma, rtol=1e-12, atol=0)


def test_bsm_gamma_at_expiry_zero_vol_and_nan():
    out = bsm_gamma([100, 100, np.nan, 100], 100, [0.0, 0.5, 0.5, 0.5], [0.2, 0.0, 0.2, np.nan])
    assert out[0] == 0 and out[1] == 0 and np.isnan(out[2]) and np.isnan(out[3])
