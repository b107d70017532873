"""Invariants of the simulated market, checked on random symbols and sessions."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from options_helper.domain import calendar
from options_helper.domain.pricing import bsm_price, implied_vol
from options_helper.providers.sim import SIM_RATE, SimProvider, clear_caches
from options_helper.providers.sim.chain import full_chain
from options_helper.providers.sim.listing import expiry_table
from options_helper.providers.sim.surface import surface_state, year_fraction
from options_helper.providers.sim.underlying import symbol_params

SEED = 7
# A few symbols keep the caches warm across examples; any symbol would do.
SYMBOLS = st.sampled_from(["AAPL", "X", "KO", "BRK.B", "QQQ"])
ANY_SYMBOL = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.", min_size=1, max_size=6)
_LO = calendar.session_index(date(2001, 1, 2))
_HI = calendar.session_index(date(2040, 12, 31))
SESSIONS = st.integers(_LO, _HI)
PROPERTY = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _sim() -> SimProvider:
    return SimProvider(seed=SEED, faults="")


def _chain(symbol: str, idx: int, theoretical: bool = False) -> pd.DataFrame:
    return full_chain(SEED, symbol, idx, SIM_RATE, include_theoretical=theoretical)


def _provider_chain(sim: SimProvider, symbol: str, d: date) -> pd.DataFrame:
    frames = [sim.get_chain(symbol, e, d) for e in sim.list_expiries(symbol, d)]
    return pd.concat(frames, ignore_index=True)


@PROPERTY
@given(
    symbol=SYMBOLS,
    idx=SESSIONS,
    others=st.lists(st.tuples(ANY_SYMBOL, SESSIONS), max_size=3),
    pad=st.tuples(st.integers(0, 300), st.integers(0, 300)),
)
def test_same_session_gives_identical_frames_whatever_was_fetched_before(symbol, idx, others, pad):
    d = calendar.session_at(idx)
    a = _sim()
    for other, j in others:
        a.get_candles(other, calendar.session_at(j - 5), calendar.session_at(j))
        a.get_chain(
            other, a.list_expiries(other, calendar.session_at(j))[0], calendar.session_at(j)
        )
    a.get_chain(symbol, a.list_expiries(symbol, d)[-1], calendar.session_at(idx + 1))
    chain_a = _provider_chain(a, symbol, d)
    wide = a.get_candles(
        symbol, calendar.session_at(max(idx - pad[0], 0)), calendar.session_at(idx + pad[1])
    )
    clear_caches()
    b = _sim()
    chain_b = _provider_chain(b, symbol, d)
    narrow = b.get_candles(symbol, d, d)
    assert_frame_equal(chain_a, chain_b)
    assert_frame_equal(wide[wide["session"] == d].reset_index(drop=True), narrow)


@settings(max_examples=25, deadline=None)
@given(symbol=ANY_SYMBOL, idx=SESSIONS, n=st.integers(1, 250))
def test_candles_of_any_symbol_have_consistent_ohlc(symbol, idx, n):
    c = _sim().get_candles(symbol, calendar.session_at(idx - n), calendar.session_at(idx))
    assert len(c) == n + 1
    assert (c["low"] <= c[["open", "close"]].min(axis=1)).all()
    assert (c["high"] >= c[["open", "close"]].max(axis=1)).all()
    assert (c["low"] > 0).all() and (c["volume"] > 0).all()


@PROPERTY
@given(symbol=SYMBOLS, idx=SESSIONS)
def test_open_interest_is_a_stock_moved_by_at_most_the_volume(symbol, idx):
    prev, cur = _chain(symbol, idx - 1), _chain(symbol, idx)
    assert (cur["open_interest"] >= 0).all() and (cur["volume"] >= 0).all()
    m = cur.merge(prev, on="contract_symbol", how="left", suffixes=("", "_prev"), indicator=True)
    both = m[m["_merge"] == "both"]
    # chain(t) shows OI at t-1's close, chain(t-1) at t-2's: the change is bounded by t-1's volume.
    assert (abs(both["open_interest"] - both["open_interest_prev"]) <= both["volume_prev"]).all()
    new = m[m["_merge"] == "left_only"]
    assert (new["open_interest"] == 0).all()


@PROPERTY
@given(symbol=SYMBOLS, idx=SESSIONS)
def test_quotes_are_ordered_on_tick_and_bracket_the_theoretical_mid(symbol, idx):
    ch = _chain(symbol, idx, theoretical=True)
    assert (ch["bid"] >= 0).all() and (ch["bid"] < ch["ask"]).all()
    assert (ch["bid"] <= ch["theo_mid"] + 1e-9).all() and (ch["theo_mid"] <= ch["ask"]).all()
    tick_from_3 = symbol_params(SEED, symbol).tick_from_3_cents  # 1 for SPY/QQQ/IWM, else 5
    for side in ("bid", "ask"):
        cents = np.rint(ch[side] * 100)
        assert np.allclose(cents, ch[side] * 100, atol=1e-6)
        assert (cents[ch[side] >= 3.0] % tick_from_3 == 0).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**31),
    symbol=st.sampled_from(["AAPL", "SPY", "NVDA", "TSLA", "KO", "X", "ZZZZ"]),
    idx=SESSIONS,
)
def test_quotes_stay_within_no_arbitrage_bounds_at_every_expiry(seed, symbol, idx):
    ch = full_chain(seed, symbol, idx, SIM_RATE, include_theoretical=True)
    spot, strike = ch["spot"], ch["strike"]
    call = ch["option_type"] == "call"
    # Calls are worth at most the stock, puts at most the strike.
    assert (ch.loc[call, "ask"] <= spot[call] + 1e-9).all()
    assert (ch.loc[~call, "ask"] <= strike[~call] + 1e-9).all()
    # The bid is at least the European lower bound (discounted intrinsic) less a tick (at the
    # ask's price level), or two where the time value is below a tick (deep ITM near expiry:
    # keeping the mid at or below the model price can cost the bid one more tick).
    tick = np.where(ch["ask"] < 3.0, 0.01, symbol_params(seed, symbol).tick_from_3_cents / 100)
    discounted_k = strike * np.exp(-SIM_RATE * ch["t_years"])
    lower = np.maximum(np.where(call, spot - discounted_k, discounted_k - spot), 0.0)
    assert (ch["bid"] >= lower - 2 * tick - 1e-9).all()
    # The quoted mid never reads as an absurd vol.
    mid = (ch["bid"] + ch["ask"]) / 2
    two_sided = ch["bid"] > 0
    iv = implied_vol(
        mid[two_sided],
        spot[two_sided],
        strike[two_sided],
        ch["t_years"][two_sided],
        SIM_RATE,
        0.0,
        call[two_sided],
    )
    assert np.nanmax(iv, initial=0.0) <= 4.0 + 1e-6


@PROPERTY
@given(symbol=SYMBOLS, idx=SESSIONS)
def test_no_calendar_arbitrage_at_fixed_forward_moneyness(symbol, idx):
    table = expiry_table()
    rows = table.listed_on(idx)
    t = np.sort(year_fraction(table.expiry[rows], calendar.all_sessions()[idx]))
    k = np.linspace(-1.5, 1.0, 101)
    surface = surface_state(SEED, symbol, idx)
    w = surface.total_variance(k[None, :], t[:, None])
    assert (np.diff(w, axis=0) >= -1e-14).all()
    # Undiscounted call prices per unit forward, C e^{rT} / F at K = F e^k, rise with T.
    iv = np.sqrt(w / t[:, None])
    fwd = 100.0 * np.exp(SIM_RATE * t)[:, None]
    calls = bsm_price(100.0, fwd * np.exp(k), t[:, None], iv, SIM_RATE, 0.0, True)
    assert (np.diff(calls * np.exp(SIM_RATE * t)[:, None] / fwd, axis=0) >= -1e-12).all()
    # ... and that surface is the one the chain is priced with.
    ch = _chain(symbol, idx, theoretical=True)
    k_chain = np.log(ch["strike"] / ch["forward"])
    assert np.allclose(ch["iv"], surface.implied_vol(k_chain, ch["t_years"]), rtol=1e-12)


@PROPERTY
@given(symbol=SYMBOLS, idx=SESSIONS)
def test_no_butterfly_arbitrage_call_prices_convex_and_decreasing_in_strike(symbol, idx):
    ch = _chain(symbol, idx, theoretical=True)
    for _, g in ch[ch["option_type"] == "call"].groupby("expiry"):
        g = g.sort_values("strike")
        slopes = np.diff(g["theo_mid"].to_numpy()) / np.diff(g["strike"].to_numpy())
        discount = np.exp(-SIM_RATE * g["t_years"].iloc[0])
        assert (slopes <= 1e-9).all() and (slopes >= -discount - 1e-9).all()
        assert (np.diff(slopes) >= -1e-9).all()


@PROPERTY
@given(symbol=SYMBOLS, idx=SESSIONS)
def test_put_call_parity_of_quoted_mids_within_the_half_spreads(symbol, idx):
    ch = _chain(symbol, idx, theoretical=True)
    ch["mid"] = (ch["bid"] + ch["ask"]) / 2
    ch["half"] = (ch["ask"] - ch["bid"]) / 2
    calls = ch[ch["option_type"] == "call"].set_index(["expiry", "strike"])
    puts = ch[ch["option_type"] == "put"].set_index(["expiry", "strike"])
    j = calls.merge(puts, left_index=True, right_index=True, suffixes=("_c", "_p"))
    assert len(j) == len(calls)
    strike = j.index.get_level_values("strike").to_numpy()
    parity = j["spot_c"] - strike * np.exp(-SIM_RATE * j["t_years_c"])
    gap = (j["mid_c"] - j["mid_p"] - parity).abs()
    assert (gap <= j["half_c"] + j["half_p"] + 1e-9).all()
