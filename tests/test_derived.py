"""Derived metrics pinned on small hand-computed chains (arithmetic in the comments)."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from options_helper.domain.derived import DERIVED_KEYS, derived_metrics, realized_vols
from options_helper.domain.derived_chain import (
    call_wall,
    gex_by_strike,
    max_pain,
    max_pain_expiry,
    net_gex_usd_per_1pct,
    put_call_oi_ratio,
    put_call_volume_ratio,
    put_wall,
    zero_gamma_spot,
)
from options_helper.domain.derived_vol import (
    atm_by_expiry,
    atm_iv_near,
    constant_maturity_iv,
    expected_move_iv_usd,
    expected_move_straddle_usd,
    iv_percentile_pct,
    iv_rank_pct,
    realized_vol_close_to_close,
    realized_vol_parkinson,
    risk_reversal_25d,
    term_slope,
)

DATA_DATE = date(2024, 3, 4)
E0, E3, E7, E21, E35, E63 = (DATA_DATE + timedelta(days=n) for n in (0, 3, 7, 21, 35, 63))
SPOT = 100.0


def _opt(expiry: date, strike: float, option_type: str, **kw) -> dict:
    dte = (expiry - DATA_DATE).days
    return {
        "expiry": expiry,
        "dte": dte,
        "t_years": kw.get("t_years", dte / 365.0),
        "strike": float(strike),
        "option_type": option_type,
        "open_interest": kw.get("oi", 0.0),
        "volume": kw.get("volume", 0.0),
        "iv": kw.get("iv", np.nan),
        "mid": kw.get("mid", np.nan),
        "delta": kw.get("delta", np.nan),
        "gamma": kw.get("gamma", np.nan),
        "spot": SPOT,
    }


def _chain(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def _nan(x) -> bool:
    return isinstance(x, float) and math.isnan(x)


# --- ratios, walls, max pain -------------------------------------------------------------------


def test_put_call_ratios():
    chain = _chain(
        _opt(E7, 100, "call", oi=100, volume=50),
        _opt(E21, 105, "call", oi=300, volume=30),
        _opt(E7, 95, "put", oi=200, volume=20),
        _opt(E21, 90, "put", oi=400, volume=20),
    )
    assert put_call_oi_ratio(chain) == pytest.approx(1.5)  # (200 + 400) / (100 + 300)
    assert put_call_volume_ratio(chain) == pytest.approx(0.5)  # (20 + 20) / (50 + 30)
    puts_only = chain[chain["option_type"] == "put"]
    assert _nan(put_call_oi_ratio(puts_only))
    unknown = chain.assign(open_interest=np.nan)
    assert _nan(put_call_oi_ratio(unknown))


def test_walls_sum_open_interest_across_expiries():
    chain = _chain(
        _opt(E7, 100, "call", oi=100),
        _opt(E7, 105, "call", oi=300),
        _opt(E7, 110, "call", oi=250),
        _opt(E21, 110, "call", oi=100),
        _opt(E7, 95, "put", oi=400),
        _opt(E7, 90, "put", oi=300),
    )
    assert call_wall(chain) == 110.0  # 250 + 100 = 350 > 300 at 105
    assert call_wall(chain, expiry=E7) == 105.0  # 300 > 250 within E7
    assert put_wall(chain) == 95.0


def test_wall_ties_go_to_the_lower_strike_and_no_open_interest_is_nan():
    chain = _chain(_opt(E7, 105, "call", oi=50), _opt(E7, 100, "call", oi=50))
    assert call_wall(chain) == 100.0
    assert _nan(put_wall(chain))
    assert _nan(call_wall(chain.assign(open_interest=0.0)))


def _max_pain_chain() -> pd.DataFrame:
    return _chain(
        _opt(E0, 120, "call", oi=10_000),  # settled today: must not drive the default
        _opt(E7, 90, "call", oi=1000),
        _opt(E7, 100, "call", oi=200),
        _opt(E7, 100, "put", oi=300),
        _opt(E7, 110, "put", oi=100),
    )


def test_max_pain_minimises_holder_payout_and_need_not_be_atm():
    # payout(P) = 1000·(P-90)+ + 200·(P-100)+ + 300·(100-P)+ + 100·(110-P)+
    # P=90:  0 + 0 + 300·10 + 100·20         =  5,000
    # P=100: 1000·10 + 0 + 0 + 100·10        = 11,000
    # P=110: 1000·20 + 200·10 + 0 + 0        = 22,000
    chain = _max_pain_chain()
    assert max_pain_expiry(chain) == E7  # nearest with DTE ≥ 1: the 0-DTE expiry is skipped
    assert max_pain(chain) == 90.0  # spot is 100


def test_max_pain_for_a_given_expiry():
    # E0 has one strike (120) with call OI only: payout(120) = 0.
    assert max_pain(_max_pain_chain(), expiry=E0) == 120.0
    assert _nan(max_pain(_max_pain_chain(), expiry=E63))


# --- gamma exposure ---------------------------------------------------------------------------


def test_gex_counts_calls_positive_and_puts_negative():
    chain = _chain(
        _opt(E7, 100, "call", oi=100, gamma=0.05),
        _opt(E21, 100, "put", oi=40, gamma=0.05),
        _opt(E7, 105, "call", oi=10, gamma=0.02),
        _opt(E7, 110, "call", oi=999, gamma=np.nan),  # no IV: left out
    )
    by_strike = gex_by_strike(chain, spot=SPOT).set_index("strike")
    # gamma × OI × 100 × spot² × 0.01 = gamma × OI × 10,000 at spot 100
    assert by_strike.loc[100.0, "call_gex_usd_per_1pct"] == pytest.approx(50_000.0)  # .05·100
    assert by_strike.loc[100.0, "put_gex_usd_per_1pct"] == pytest.approx(-20_000.0)  # .05·40
    assert by_strike.loc[100.0, "net_gex_usd_per_1pct"] == pytest.approx(30_000.0)
    assert by_strike.loc[105.0, "net_gex_usd_per_1pct"] == pytest.approx(2_000.0)  # .02·10
    assert list(by_strike.index) == [100.0, 105.0]
    assert net_gex_usd_per_1pct(chain, spot=SPOT) == pytest.approx(32_000.0)
    assert _nan(net_gex_usd_per_1pct(chain.iloc[3:], spot=SPOT))


def _balanced_chain(iv: float = 0.2, t_years: float = 0.25) -> pd.DataFrame:
    return _chain(
        _opt(E63, 110, "call", oi=100, iv=iv, t_years=t_years),
        _opt(E63, 90, "put", oi=100, iv=iv, t_years=t_years),
    )


def test_zero_gamma_is_where_call_and_put_gamma_balance():
    # Same OI, vol and t: call(110) gamma = put(90) gamma when φ(d1) match, i.e.
    # d1(110) = -d1(90): ln(S/110) + σ²t/2 = -(ln(S/90) + σ²t/2)
    # => S = sqrt(110·90)·exp(-σ²t/2) = 99.4987·exp(-0.005) = 99.00249...
    expected = math.sqrt(9900.0) * math.exp(-(0.2**2) * 0.25 / 2)
    assert zero_gamma_spot(_balanced_chain(), spot=SPOT, rate=0.0) == pytest.approx(
        expected, abs=1e-6
    )


def test_zero_gamma_is_nan_without_a_crossing_in_range():
    calls_only = _balanced_chain().iloc[:1]
    assert _nan(zero_gamma_spot(calls_only, spot=SPOT, rate=0.0))
    # The crossing at ~99 lies outside spot 130 ± 20% = [104, 156].
    assert _nan(zero_gamma_spot(_balanced_chain(), spot=130.0, rate=0.0))
    assert _nan(zero_gamma_spot(_balanced_chain(iv=np.nan), spot=SPOT, rate=0.0))


# --- ATM IV, IV30, expected moves, skew, term structure ---------------------------------------


def _vol_chain() -> pd.DataFrame:
    rows = [
        _opt(E0, 100, "call", iv=0.90, mid=0.5, oi=10),
        _opt(E0, 100, "put", iv=0.90, mid=0.5, oi=10),
        _opt(E3, 100, "call", iv=0.60, mid=1.0),
        _opt(E3, 100, "put", iv=0.60, mid=1.0),
        _opt(E7, 95, "call", iv=0.27, delta=0.20, mid=0.4),
        _opt(E7, 97.5, "call", iv=0.28, delta=0.35, mid=1.0),
        _opt(E7, 100, "call", iv=0.30, delta=0.50, mid=2.10),
        _opt(E7, 100, "put", iv=0.32, delta=-0.50, mid=1.90),
        _opt(E7, 97.5, "put", iv=0.34, delta=-0.30, mid=1.0),
        _opt(E7, 95, "put", iv=0.37, delta=-0.20, mid=0.5),
        _opt(E21, 100, "call", iv=0.30),
        _opt(E21, 100, "put", iv=0.30),
        _opt(E35, 100, "call", iv=0.25),
        _opt(E35, 100, "put", iv=0.25),
        _opt(E63, 100, "call", iv=0.28),
        _opt(E63, 100, "put", iv=0.28),
    ]
    return _chain(*rows)


def _atm(chain: pd.DataFrame, rate: float = 0.0) -> pd.DataFrame:
    return atm_by_expiry(chain, spot=SPOT, rate=rate)


def test_atm_iv_skips_0_and_3_dte_expiries():
    atm = _atm(_vol_chain())
    assert list(atm["dte"]) == [0, 3, 7, 21, 35, 63]
    assert atm_iv_near(atm) == pytest.approx(0.31)  # E7 at K=100: (0.30 + 0.32) / 2


def test_atm_strike_is_nearest_the_forward_not_spot():
    one_year = DATA_DATE + timedelta(days=365)
    chain = _chain(
        *(_opt(one_year, k, "call", iv=k / 1000) for k in (100, 105, 110)),
    )
    # forward = 100 · e^{0.05 · 1} = 105.13 -> 105, though 100 is nearer to spot.
    atm = _atm(chain, rate=0.05)
    assert atm.loc[0, "forward"] == pytest.approx(100 * math.exp(0.05))
    assert atm.loc[0, "atm_strike"] == 105.0
    assert atm.loc[0, "atm_iv"] == pytest.approx(0.105)  # only the call exists: its IV


def test_atm_iv_is_nan_when_the_atm_strike_has_no_iv():
    chain = _chain(_opt(E7, 100, "call", iv=np.nan), _opt(E7, 105, "call", iv=0.3))
    assert _nan(atm_iv_near(_atm(chain)))  # not substituted by the 105 strike


def test_iv30_interpolates_total_variance_between_bracketing_expiries():
    # w = iv²·t: w21 = 0.09·21/365, w35 = 0.0625·35/365
    # w30 = w21 + (w35 - w21)·(30 - 21)/(35 - 21) = (1.89 + 0.2975·9/14)/365 = 2.08125/365
    # iv30 = sqrt(w30 / (30/365)) = sqrt(2.08125/30) = 0.2633913...
    assert constant_maturity_iv(_atm(_vol_chain())) == pytest.approx(math.sqrt(2.08125 / 30))


def test_iv30_extrapolates_flat_and_ignores_expiries_under_7_dte():
    chain = _vol_chain()
    far = chain[chain["expiry"].isin([E3, E35, E63])]
    assert constant_maturity_iv(_atm(far)) == pytest.approx(0.25)  # E3 ignored, flat from E35
    near = chain[chain["expiry"].isin([E7, E21])]
    assert constant_maturity_iv(_atm(near)) == pytest.approx(0.30)  # flat from E21
    assert _nan(constant_maturity_iv(_atm(chain[chain["expiry"] == E3])))


def test_expected_moves():
    atm = _atm(_vol_chain())
    assert expected_move_straddle_usd(atm) == pytest.approx(4.00)  # E7: 2.10 + 1.90
    # 100 · 0.2 · sqrt(30/365) = 20 · 0.286691 = 5.73382
    assert expected_move_iv_usd(100.0, 0.2) == pytest.approx(5.733821790809959)
    assert _nan(expected_move_iv_usd(100.0, float("nan")))


def test_risk_reversal_interpolates_iv_in_delta():
    # call 25Δ between 0.20 (0.27) and 0.35 (0.28): 0.27 + (0.05/0.15)·0.01 = 0.273333
    # put -25Δ between -0.30 (0.34) and -0.20 (0.37): 0.34 + (0.05/0.10)·0.03 = 0.355
    assert risk_reversal_25d(_vol_chain(), E7) == pytest.approx(0.2733333333 - 0.355)
    assert _nan(risk_reversal_25d(_vol_chain(), E21))  # no deltas there


def test_term_slope_is_first_60_dte_minus_first_7_dte():
    assert term_slope(_atm(_vol_chain())) == pytest.approx(0.28 - 0.31)  # E63 - E7


# --- realised vol, IV rank and percentile ------------------------------------------------------


def test_close_to_close_vol_on_a_tiny_series():
    closes = pd.Series([100.0, 100 * math.exp(0.01), 100.0, 100 * math.exp(0.01)])
    # log returns +.01, -.01, +.01; mean .01/3; deviations .02/3, -.04/3, .02/3
    # sample var = (2·(.02/3)² + (.04/3)²)/2 = (4/3)·1e-4; × 252 -> vol = .01·sqrt(336)
    rv = realized_vol_close_to_close(closes, 3)
    assert rv.iloc[:3].isna().all()
    assert rv.iloc[3] == pytest.approx(0.01 * math.sqrt(336))


def test_parkinson_on_constant_range_bars():
    high = pd.Series([100 * math.exp(0.01)] * 20)
    low = pd.Series([100 * math.exp(-0.01)] * 20)
    # ln(H/L) = .02 every day: sqrt(.0004 / (4 ln 2) · 252) = .02·sqrt(63 / ln 2) = 0.190672
    rv = realized_vol_parkinson(high, low, 20)
    assert rv.iloc[-1] == pytest.approx(0.02 * math.sqrt(63 / math.log(2)))
    assert rv.iloc[:-1].isna().all()


def test_iv_rank_and_percentile_differ():
    history = pd.Series([0.10] + [0.20] * 18 + [0.40])
    # rank: (0.30 - 0.10) / (0.40 - 0.10) = 66.67; percentile: 19 of 20 below 0.30 = 95
    assert iv_rank_pct(0.30, history) == pytest.approx(200 / 3)
    assert iv_percentile_pct(0.30, history) == pytest.approx(95.0)


def test_iv_rank_and_percentile_windows():
    history = pd.Series([0.05] + [0.10] * 10 + [0.20] * 249)  # 260 past sessions
    # rank: the last 251 past values + today; 0.05 and eight 0.10s are older.
    # (0.15 - 0.10) / (0.20 - 0.10) = 50 (66.7 if 0.05 were counted)
    assert iv_rank_pct(0.15, history) == pytest.approx(50.0)
    # percentile: the last 252 past values hold three 0.10s below 0.15: 3/252 = 1.19%
    assert iv_percentile_pct(0.15, history) == pytest.approx(100 * 3 / 252)


def test_iv_rank_needs_twenty_points_and_a_range():
    assert _nan(iv_rank_pct(0.2, pd.Series([0.1] * 19)))
    assert _nan(iv_percentile_pct(0.2, pd.Series([0.1] * 18 + [np.nan, np.nan, 0.3])))
    assert _nan(iv_rank_pct(0.1, pd.Series([0.1] * 30)))  # max == min
    assert iv_percentile_pct(0.1, pd.Series([0.1] * 30)) == 0.0  # none strictly below
    assert _nan(iv_rank_pct(float("nan"), pd.Series([0.1] * 30)))


# --- derived_metrics -------------------------------------------------------------------------


def _candles(n: int = 61, last: date = DATA_DATE) -> pd.DataFrame:
    closes = [100 * math.exp(0.01 * (i % 2)) for i in range(n)]
    sessions = pd.bdate_range(end=last, periods=n).date
    return pd.DataFrame(
        {
            "session": sessions,
            "open": closes,
            "high": [c * math.exp(0.01) for c in closes],
            "low": [c * math.exp(-0.01) for c in closes],
            "close": closes,
        }
    )


def test_realized_vols_from_candles():
    rv = realized_vols(_candles(), DATA_DATE)
    # alternating ±.01 log returns: mean 0, sample var = n·1e-4/(n-1)
    assert rv["rv20"] == pytest.approx(0.01 * math.sqrt(20 / 19 * 252))
    assert rv["rv60"] == pytest.approx(0.01 * math.sqrt(60 / 59 * 252))
    assert rv["rv20_parkinson"] == pytest.approx(0.02 * math.sqrt(63 / math.log(2)))
    assert _nan(realized_vols(_candles(40), DATA_DATE)["rv60"])  # 39 returns < 60


def test_realized_vols_ignore_later_bars_and_refuse_stale_history():
    later = _candles(80, last=DATA_DATE + timedelta(days=7))
    stale = _candles(last=DATA_DATE - timedelta(days=1))
    assert _nan(realized_vols(stale, DATA_DATE)["rv20"])
    cut = realized_vols(later, DATA_DATE)  # bars after the data date are not looked at
    assert cut == realized_vols(
        later[pd.to_datetime(later["session"]).dt.date <= DATA_DATE], DATA_DATE
    )


def test_derived_metrics_composes_the_parts():
    chain = pd.concat([_vol_chain(), _max_pain_chain()], ignore_index=True)
    history = pd.Series(np.linspace(0.20, 0.30, 40))
    m = derived_metrics(
        chain, spot=SPOT, data_date=DATA_DATE, candles=_candles(), iv_history=history, rate=0.0
    )
    assert list(m) == DERIVED_KEYS
    iv30 = math.sqrt(2.08125 / 30)
    rv20 = 0.01 * math.sqrt(20 / 19 * 252)
    assert m["data_date"] == DATA_DATE and m["spot"] == SPOT
    assert m["atm_iv"] == pytest.approx(0.31) and m["atm_iv_expiry"] == E7
    assert m["iv30"] == pytest.approx(iv30)
    assert m["expected_move_straddle_usd"] == pytest.approx(4.0)
    assert m["expected_move_iv30_usd"] == pytest.approx(SPOT * iv30 * math.sqrt(30 / 365))
    assert m["risk_reversal_25d"] == pytest.approx(0.2733333333 - 0.355)
    # The nearest expiry with DTE ≥ 1 is E3, which has no open interest: NaN, not E7's answer.
    assert m["max_pain_expiry"] == E3 and _nan(m["max_pain"])
    assert m["call_wall"] == 120.0  # the 10,000 OI 0-DTE call
    assert m["iv_rv_ratio"] == pytest.approx(iv30 / rv20)
    assert m["iv_rank_pct"] == pytest.approx(100 * (iv30 - 0.20) / 0.10)
    assert m["iv_percentile_pct"] == pytest.approx(100 * (history < iv30).mean())
    assert m["term_slope"] == pytest.approx(-0.03)
    assert _nan(m["net_gex_usd_per_1pct"])  # no gamma in this chain
    assert all(type(v) in (float, date) for v in m.values())


def test_derived_metrics_of_an_empty_chain_are_nan():
    empty = _vol_chain().iloc[:0]
    m = derived_metrics(
        empty, spot=SPOT, data_date=DATA_DATE, candles=_candles(), iv_history=pd.Series([]),
        rate=0.04,
    )  # fmt: skip
    assert m["atm_iv_expiry"] is None and m["max_pain_expiry"] is None
    numeric = [k for k in DERIVED_KEYS if k not in ("data_date", "spot") and "expiry" not in k]
    realised = {"rv20", "rv60", "rv20_parkinson"}
    assert all(_nan(m[k]) for k in numeric if k not in realised)
    assert all(m[k] > 0 for k in realised)
