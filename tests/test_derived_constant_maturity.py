"""Constant-maturity skew and term slope, and gamma-weighted walls, on hand-computed chains.

The front-expiry metrics (risk_reversal_25d, term_slope, call_wall) are kept; these sit next to
them under names that say what they are (arithmetic in the comments).
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from tests.test_derived import _atm, _chain, _nan, _opt, _vol_chain

DATA_DATE = date(2024, 3, 4)
E3, E7, E21, E35, E63, E119 = (DATA_DATE + timedelta(days=n) for n in (3, 7, 21, 35, 63, 119))


def _wings(expiry: date, call_iv: float, put_iv: float) -> list[dict]:
    # Two strikes per side straddling ±0.25 delta at one IV: the 25Δ IV is that IV.
    return [
        _opt(expiry, 105, "call", iv=call_iv, delta=0.20),
        _opt(expiry, 103, "call", iv=call_iv, delta=0.30),
        _opt(expiry, 97, "put", iv=put_iv, delta=-0.30),
        _opt(expiry, 95, "put", iv=put_iv, delta=-0.20),
    ]


def test_rr25_30d_interpolates_each_wing_in_total_variance():
    from options_helper.domain.derived_vol import risk_reversal_25d_constant_maturity

    chain = _chain(*_wings(E3, 0.90, 0.10), *_wings(E21, 0.28, 0.33), *_wings(E35, 0.24, 0.31))
    # call: w21 = 0.28²·21 = 1.6464, w35 = 0.24²·35 = 2.016; w30 = 1.6464 + 0.3696·9/14 = 1.884
    # put:  w21 = 0.33²·21 = 2.2869, w35 = 0.31²·35 = 3.3635; w30 = 2.2869 + 1.0766·9/14 = 2.979
    # iv30 = sqrt(w30 / 30) (days cancel the 365); E3 (< 7 DTE) takes no part.
    expected = math.sqrt(1.884 / 30) - math.sqrt(2.979 / 30)
    assert risk_reversal_25d_constant_maturity(chain) == pytest.approx(expected)


def test_rr25_30d_does_not_jump_when_the_front_expiry_rolls():
    from options_helper.domain.derived_vol import (
        risk_reversal_25d,
        risk_reversal_25d_constant_maturity,
    )

    # The front (7 DTE) expiry carries a steep skew; 30 days is bracketed by E21 and E35.
    with_front = _chain(*_wings(E7, 0.20, 0.60), *_wings(E21, 0.28, 0.33), *_wings(E35, 0.24, 0.31))
    after_roll = with_front[with_front["expiry"] != E7]
    assert risk_reversal_25d(with_front, E7) == pytest.approx(-0.40)
    assert risk_reversal_25d_constant_maturity(with_front) == pytest.approx(
        risk_reversal_25d_constant_maturity(after_roll)
    )


def test_rr25_30d_extrapolates_flat_like_iv30_and_is_nan_without_wings():
    from options_helper.domain.derived_vol import risk_reversal_25d_constant_maturity

    far = _chain(*_wings(E35, 0.24, 0.31), *_wings(E63, 0.22, 0.27))
    assert risk_reversal_25d_constant_maturity(far) == pytest.approx(0.24 - 0.31)  # flat from E35
    assert _nan(risk_reversal_25d_constant_maturity(_vol_chain().iloc[:0]))
    # Deltas only on E7 in _vol_chain: its wings are used flat for 30 days.
    assert risk_reversal_25d_constant_maturity(_vol_chain()) == pytest.approx(0.2733333333 - 0.355)


def test_term_slope_30_90_is_constant_maturity_90_minus_iv30():
    from options_helper.domain.derived_vol import term_slope_constant_maturity

    extra = [_opt(E119, 100, "call", iv=0.30), _opt(E119, 100, "put", iv=0.30)]
    atm = _atm(pd.concat([_vol_chain(), _chain(*extra)], ignore_index=True))
    # iv90: w63 = 0.28²·63 = 4.9392, w119 = 0.30²·119 = 10.71; w90 = 4.9392 + 5.7708·27/56
    iv90 = math.sqrt((4.9392 + 5.7708 * 27 / 56) / 90)
    iv30 = math.sqrt(2.08125 / 30)  # as in test_iv30_interpolates_total_variance...
    assert term_slope_constant_maturity(atm) == pytest.approx(iv90 - iv30)


def test_term_slope_30_90_is_nan_when_no_expiry_reaches_90_days():
    from options_helper.domain.derived_vol import term_slope_constant_maturity

    assert _nan(term_slope_constant_maturity(_atm(_vol_chain())))  # last expiry is 63 DTE


def _gamma_chain() -> pd.DataFrame:
    return _chain(
        _opt(E35, 120, "call", oi=1000, gamma=0.001),  # gamma·OI 1.0: the OI wall
        _opt(E35, 100, "call", oi=300, gamma=0.05),  # 15.0: the gamma wall
        _opt(E7, 100, "call", oi=100, gamma=0.04),  # +4.0 at 100 (summed over expiries)
        _opt(E35, 90, "put", oi=800, gamma=0.002),  # 1.6
        _opt(E35, 95, "put", oi=200, gamma=0.03),  # 6.0: the put gamma wall
        _opt(E35, 80, "put", oi=5000, gamma=np.nan),  # no IV, no gamma: the OI wall only
    )


def test_gamma_walls_weight_open_interest_by_gamma_and_differ_from_oi_walls():
    from options_helper.domain.derived_chain import (
        call_wall,
        call_wall_gamma,
        put_wall,
        put_wall_gamma,
    )

    chain = _gamma_chain()
    assert (call_wall(chain), put_wall(chain)) == (120.0, 80.0)
    assert (call_wall_gamma(chain), put_wall_gamma(chain)) == (100.0, 95.0)


def test_gamma_wall_ties_go_to_the_lower_strike_and_no_gamma_is_nan():
    from options_helper.domain.derived_chain import call_wall_gamma, put_wall_gamma

    tie = _chain(
        _opt(E35, 110, "call", oi=10, gamma=0.1), _opt(E35, 105, "call", oi=20, gamma=0.05)
    )
    assert call_wall_gamma(tie) == 105.0
    assert _nan(put_wall_gamma(tie))
    assert _nan(call_wall_gamma(_chain(_opt(E35, 110, "call", oi=10))))


def test_derived_metrics_carry_the_new_keys():
    from options_helper.domain.derived import DERIVED_KEYS, derived_metrics
    from tests.test_derived import SPOT, _candles

    m = derived_metrics(
        _gamma_chain(), spot=SPOT, data_date=DATA_DATE, candles=_candles(),
        iv_history=pd.Series([]), rate=0.0,
    )  # fmt: skip
    assert {"rr25_30d", "term_slope_30_90", "call_wall_gamma", "put_wall_gamma"} <= set(
        DERIVED_KEYS
    )
    assert (m["call_wall_gamma"], m["put_wall_gamma"]) == (100.0, 95.0)
