"""The simulated provider: shapes, realism rules, consistency between methods, fault injection."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from options_helper.domain import calendar
from options_helper.domain.osi import format_osi
from options_helper.providers.base import (
    CANDLE_COLUMNS,
    CHAIN_COLUMNS,
    CONTRACT_COLUMNS,
    OPTION_BAR_COLUMNS,
    MarketDataProvider,
)
from options_helper.providers.errors import (
    BadPayloadError,
    EntitlementError,
    NetworkError,
    NotFoundError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitedError,
)
from options_helper.providers.sim import (
    FAULTS_ENV,
    SIM_RATE,
    SimDateError,
    SimFaultSpecError,
    SimProvider,
)
from options_helper.providers.sim.chain import full_chain
from options_helper.providers.sim.listing import expiry_strikes, expiry_table
from options_helper.providers.sim.surface import surface_state

AS_OF = date(2025, 3, 3)


@pytest.fixture(scope="module")
def sim() -> SimProvider:
    return SimProvider(seed=7, faults="")


def _full_chain(sim: SimProvider, symbol: str, as_of: date) -> pd.DataFrame:
    return pd.concat(
        [sim.get_chain(symbol, e, as_of) for e in sim.list_expiries(symbol, as_of)],
        ignore_index=True,
    )


def _assert_dates(series: pd.Series) -> None:
    assert series.map(type).eq(date).all()


def test_sim_provider_satisfies_the_protocol(sim):
    assert isinstance(sim, MarketDataProvider)
    assert (sim.name, sim.simulated, sim.supports_history) == ("sim", True, True)


_FINGERPRINT = """
import hashlib
from datetime import date
import pandas as pd
from options_helper.providers.sim import SimProvider
p = SimProvider(seed=11, faults="")
d = date(2024, 6, 3)
frames = [p.get_chain("NVDA", e, d) for e in p.list_expiries("NVDA", d)[:4]]
frames.append(p.get_candles("NVDA", date(2024, 5, 1), d))
print(hashlib.sha256(b"".join(f.to_csv().encode() for f in frames)).hexdigest())
"""


def test_the_market_is_the_same_in_another_process_with_another_hash_seed():
    digests = {
        subprocess.run(
            [sys.executable, "-c", _FINGERPRINT],
            env={"PYTHONHASHSEED": hash_seed, "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for hash_seed in ("1", "2")
    }
    assert len(digests) == 1 and len(digests.pop().strip()) == 64


def test_latest_session_is_the_latest_completed_xnys_session(sim):
    assert sim.latest_session(datetime(2025, 4, 19, 12, tzinfo=UTC)) == date(2025, 4, 17)
    assert sim.latest_session(datetime(2025, 3, 3, 21, 30, tzinfo=UTC)) == date(2025, 3, 3)


def test_candles_have_the_contract_columns_and_consistent_ohlc(sim):
    c = sim.get_candles("AAPL", date(2015, 1, 1), date(2024, 12, 31))
    assert tuple(c.columns) == CANDLE_COLUMNS
    assert len(c) == len(calendar.sessions_between(date(2015, 1, 1), date(2024, 12, 31)))
    _assert_dates(c["session"])
    assert c["session"].is_monotonic_increasing
    assert (c["symbol"] == "AAPL").all()
    for col in ("open", "high", "low", "close"):
        assert c[col].dtype == np.float64
        assert np.allclose(c[col], c[col].round(2), atol=1e-9, rtol=0)
    assert c["volume"].dtype == np.int64 and (c["volume"] > 0).all()
    assert (c["low"] <= c[["open", "close"]].min(axis=1)).all()
    assert (c["high"] >= c[["open", "close"]].max(axis=1)).all()
    assert (c["low"] > 0).all()
    rel_range = ((c["high"] - c["low"]) / c["close"]).median()
    assert 0.003 < rel_range < 0.08


def test_candles_clip_to_the_calendar_and_empty_ranges_are_empty(sim):
    c = sim.get_candles("KO", date(1999, 6, 1), date(2000, 1, 10))
    assert c["session"].iloc[0] == date(2000, 1, 3)
    empty = sim.get_candles("KO", date(2025, 3, 8), date(2025, 3, 9))  # a weekend
    assert tuple(empty.columns) == CANDLE_COLUMNS and empty.empty
    assert empty["volume"].dtype == np.int64 and empty["close"].dtype == np.float64


def test_any_symbol_works_with_its_own_price_level(sim):
    closes = {s: sim.get_spot(s, AS_OF) for s in ("AAPL", "BRK.B", "X", "Q1")}
    assert all(0.5 < v < 5000 for v in closes.values())
    assert len(set(closes.values())) == 4


def test_spot_is_the_session_close(sim):
    c = sim.get_candles("MSFT", AS_OF, AS_OF)
    assert sim.get_spot("MSFT", AS_OF) == c["close"].iloc[0]


def test_non_session_dates_raise_a_value_error_naming_the_date(sim):
    saturday = date(2025, 3, 8)
    for call in (
        lambda: sim.get_spot("AAPL", saturday),
        lambda: sim.list_expiries("AAPL", saturday),
        lambda: sim.get_chain("AAPL", date(2025, 3, 14), saturday),
    ):
        with pytest.raises(SimDateError, match="2025-03-08 is not") as exc:
            call()
        assert isinstance(exc.value, ValueError)


def test_invalid_symbols_are_not_found(sim):
    with pytest.raises(NotFoundError, match="not found"):
        sim.get_candles("NOT A SYMBOL", AS_OF, AS_OF)


def test_expiries_are_realistic(sim):
    ex = sim.list_expiries("AAPL", AS_OF)
    assert ex == sorted(ex) and all(calendar.is_session(e) for e in ex)
    assert date(2025, 3, 7) in ex and date(2025, 3, 14) in ex  # weeklies
    assert date(2025, 3, 21) in ex and date(2025, 5, 16) in ex  # third-Friday monthlies
    assert date(2025, 12, 19) in ex  # quarterly ~9.5 months out
    assert date(2026, 1, 16) in ex and date(2027, 1, 15) in ex  # January LEAPS
    assert max(ex) <= date(2027, 9, 1)
    weeklies = [e for e in ex if e <= date(2025, 4, 15) and not 15 <= e.day <= 21]
    assert 4 <= len(weeklies) <= 6
    far = [e for e in ex if e > date(2026, 3, 31)]
    assert far and all(e.month == 1 for e in far)


def test_holiday_friday_expiry_moves_to_thursday(sim):
    ex = sim.list_expiries("AAPL", date(2025, 4, 1))
    assert date(2025, 4, 17) in ex and date(2025, 4, 18) not in ex


def test_expiry_is_listed_on_its_own_session_and_new_ones_appear(sim):
    assert date(2025, 3, 7) in sim.list_expiries("AAPL", date(2025, 3, 7))
    assert date(2025, 3, 7) not in sim.list_expiries("AAPL", date(2025, 3, 10))
    before, after = (set(sim.list_expiries("AAPL", d)) for d in (AS_OF, date(2025, 4, 1)))
    assert after - before
    assert all(e in after for e in before if e >= date(2025, 4, 1))


def test_chain_has_the_contract_columns_and_sane_quotes(sim):
    ch = sim.get_chain("AAPL", date(2025, 4, 17), AS_OF)
    assert tuple(ch.columns) == CHAIN_COLUMNS
    assert (ch["underlying"] == "AAPL").all() and (ch["expiry"] == date(2025, 4, 17)).all()
    _assert_dates(ch["expiry"])
    assert set(ch["option_type"]) == {"call", "put"}
    for col in ("strike", "bid", "ask", "last", "provider_iv"):
        assert ch[col].dtype == np.float64
    assert ch["volume"].dtype == np.int64 and ch["open_interest"].dtype == np.int64
    assert ch["provider_iv"].isna().all()
    assert (ch["bid"] >= 0).all() and (ch["bid"] < ch["ask"]).all()
    assert ch["contract_symbol"].is_unique
    row = ch.iloc[0]
    assert row["contract_symbol"] == format_osi(
        "AAPL", row["expiry"], row["option_type"], row["strike"]
    )
    assert np.allclose(ch["strike"] * 2, (ch["strike"] * 2).round())
    traded = ch["volume"] > 0
    assert ch.loc[traded, "last"].between(ch.loc[traded, "bid"], ch.loc[traded, "ask"]).all()
    assert _full_chain(sim, "AAPL", AS_OF).shape[0] >= 1000


def test_chain_of_an_unlisted_expiry_is_not_found(sim):
    with pytest.raises(NotFoundError, match="no AAPL options expiring 2028-01-21"):
        sim.get_chain("AAPL", date(2028, 1, 21), AS_OF)


def test_strike_grid_step_follows_the_price_level(sim):
    table = expiry_table()
    steps = {25.0: 0.5, 100.0: 1.0, 250.0: 2.5, 1000.0: 5.0}
    row = int(table.listed_on(calendar.session_index(AS_OF))[-6])
    first = calendar.session_at(int(table.listed_idx[row]))  # one session: one band
    seen = set()
    for symbol in ("AAPL", "X", "KO", "QQQ", "MSFT"):
        strikes = set(sim.get_chain(symbol, table.expiry[row].item(), first)["strike"])
        spot = sim.get_spot(symbol, first)
        step = next(v for edge, v in steps.items() if spot < edge)
        # The near tier spans at least 5% below and 5%/1.5 above the spot.
        lo, hi = spot * np.exp(-0.05), spot * np.exp(0.05 / 1.5)
        grid = {k * step for k in range(int(np.ceil(lo / step)), int(hi / step) + 1)}
        assert grid and grid <= strikes, (symbol, spot, sorted(strikes))
        assert {k for k in strikes if lo <= k <= hi} == grid
        seen.add(step)
    assert len(seen) >= 3


def test_strikes_are_added_as_spot_moves_and_never_removed(sim):
    table = expiry_table()
    row = table.row_of(date(2025, 12, 19))
    sessions = calendar.sessions_between(calendar.session_at(int(table.listed_idx[row])), AS_OF)
    grew = False
    previous: set[float] = set()
    for d in sessions[::5]:
        strikes = set(sim.get_chain("X", date(2025, 12, 19), d)["strike"])
        assert previous <= strikes
        grew |= bool(previous) and strikes > previous
        previous = strikes
    assert grew


def test_bars_are_consistent_with_the_chain(sim):
    ch = _full_chain(sim, "AAPL", AS_OF)
    bars = sim.get_option_bars(ch["contract_symbol"].tolist(), AS_OF, AS_OF)
    assert tuple(bars.columns) == OPTION_BAR_COLUMNS
    _assert_dates(bars["session"])
    assert bars["volume"].dtype == np.int64 and bars["trade_count"].dtype == np.int64
    traded = ch[ch["volume"] > 0]
    assert set(bars["contract_symbol"]) == set(traded["contract_symbol"])
    m = bars.merge(traded, on="contract_symbol", suffixes=("", "_chain"))
    assert (m["close"] == m["last"]).all() and (m["volume"] == m["volume_chain"]).all()
    assert (m["low"] <= m[["open", "close"]].min(axis=1)).all()
    assert (m["high"] >= m[["open", "close"]].max(axis=1)).all()
    assert m["vwap"].between(m["low"], m["high"]).all()
    assert ((m["trade_count"] >= 1) & (m["trade_count"] <= m["volume"])).all()


def test_bars_cover_traded_sessions_between_listing_and_expiry(sim):
    expiry = date(2025, 3, 14)
    listing = expiry_strikes(7, "KO", expiry_table().row_of(expiry))
    first = calendar.session_at(int(listing.first_idx.min()))
    atm = np.abs(listing.strike - sim.get_spot("KO", first)) + 1e6 * ~listing.is_call
    symbol = listing.contract_symbol[int(np.argmin(atm))]
    bars = sim.get_option_bars([symbol], date(2024, 1, 1), date(2025, 12, 31))
    sessions = calendar.sessions_between(first, expiry)
    volumes = []
    for d in sessions:
        ch = sim.get_chain("KO", expiry, d)
        volumes.append(int(ch.loc[ch["contract_symbol"] == symbol, "volume"].iloc[0]))
    expected = [d for d, v in zip(sessions, volumes, strict=True) if v > 0]
    assert len(expected) >= 3 and bars["session"].tolist() == expected
    assert bars["volume"].tolist() == [v for v in volumes if v > 0]


def test_bars_skip_unknown_contracts_and_fail_only_when_none_is_known(sim):
    known = sim.get_chain("AAPL", date(2025, 3, 21), AS_OF)["contract_symbol"].iloc[10]
    bars = sim.get_option_bars([known, "AAPL250321C99999000", "garbage"], AS_OF, AS_OF)
    assert set(bars["contract_symbol"]) <= {known}
    with pytest.raises(NotFoundError, match="none of the 2 requested contracts"):
        sim.get_option_bars(["AAPL250322C00100000", "garbage"], AS_OF, AS_OF)


def _contracts(sim: SimProvider, symbols: tuple[str, ...], as_of: date) -> list[str]:
    return [
        c
        for s in symbols
        for c in sim.list_contracts(s, as_of, date(2027, 12, 31), as_of)["contract_symbol"]
    ]


def test_bars_are_sorted_by_contract_then_session_across_roots_and_expiries(sim):
    # Roots that are prefixes of one another, or contain digits and dots, in one request.
    contracts = _contracts(sim, ("A", "A1", "AA", "AAPL", "BRK.B"), AS_OF)
    rng = np.random.default_rng(3)
    picked = list(rng.choice(contracts, 1500, replace=False))
    bars = sim.get_option_bars(picked, date(2025, 2, 10), AS_OF)
    assert len(bars) > 1000 and bars.index.equals(pd.RangeIndex(len(bars)))
    assert len({s[:-15] for s in bars["contract_symbol"]}) == 5
    keys = list(zip(bars["contract_symbol"], bars["session"], strict=True))
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert set(bars["contract_symbol"]) <= set(picked)
    # The same bars as asking for each contract on its own.
    some = sorted(set(bars["contract_symbol"]))[::60]
    one_by_one = pd.concat(
        [sim.get_option_bars([c], date(2025, 2, 10), AS_OF) for c in some], ignore_index=True
    )
    subset = bars[bars["contract_symbol"].isin(some)].reset_index(drop=True)
    pd.testing.assert_frame_equal(subset, one_by_one, check_dtype=False, check_exact=True)


def test_bars_of_one_session_are_the_slice_of_a_wider_range(sim):
    contracts = _contracts(sim, ("KO",), date(2025, 2, 3))
    wide = sim.get_option_bars(contracts, date(2025, 1, 2), AS_OF)
    for d in (date(2025, 2, 3), date(2025, 2, 14), AS_OF):
        one = sim.get_option_bars(contracts, d, d)
        expected = wide[wide["session"] == d].reset_index(drop=True)
        assert len(one) > 20
        pd.testing.assert_frame_equal(one, expected, check_dtype=False, check_exact=True)
    inner = sim.get_option_bars(contracts, date(2025, 2, 4), date(2025, 2, 20))
    in_range = wide["session"].between(date(2025, 2, 4), date(2025, 2, 20))
    expected = wide[in_range].reset_index(drop=True)
    pd.testing.assert_frame_equal(inner, expected, check_dtype=False, check_exact=True)


def test_bars_accept_any_osi_spelling_and_ignore_duplicates(sim):
    contracts = _contracts(sim, ("AAPL", "BRK.B"), AS_OF)
    bars = sim.get_option_bars(contracts, AS_OF, AS_OF)
    traded = sorted(set(bars["contract_symbol"]))[::5]
    expected = bars[bars["contract_symbol"].isin(traded)].reset_index(drop=True)
    respelled = [
        v
        for c in traded
        for v in (c.lower(), f"{c[:-15]:<6}{c[-15:]}", f" {c} ", c, f"{c[:-15]} {c[-15:]}")
    ]
    got = sim.get_option_bars(respelled, AS_OF, AS_OF)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_exact=True)


def test_list_contracts_status_and_listing_dates(sim):
    lc = sim.list_contracts("AAPL", date(2025, 1, 1), date(2025, 6, 30), AS_OF)
    assert tuple(lc.columns) == CONTRACT_COLUMNS
    _assert_dates(lc["expiry"])
    assert ((lc["status"] == "active") == (lc["expiry"] >= AS_OF)).all()
    assert {"active", "expired"} == set(lc["status"])
    assert lc["contract_symbol"].is_unique
    chain_symbols = set(sim.get_chain("AAPL", date(2025, 4, 17), AS_OF)["contract_symbol"])
    assert chain_symbols <= set(lc["contract_symbol"])
    earlier = sim.list_contracts("AAPL", date(2025, 1, 1), date(2025, 6, 30), date(2025, 1, 2))
    assert set(earlier["contract_symbol"]) < set(lc["contract_symbol"])
    assert not (earlier["expiry"] > date(2025, 4, 30)).all()


_KIND_CLASSES = {
    "not_found": NotFoundError,
    "rate_limited": RateLimitedError,
    "timeout": ProviderTimeoutError,
    "network": NetworkError,
    "entitlement": EntitlementError,
    "bad_payload": BadPayloadError,
}


@pytest.mark.parametrize("kind", sorted(_KIND_CLASSES))
def test_symbol_fault_fails_every_data_method_for_that_symbol(kind):
    sim = SimProvider(faults=f"{kind}:ZZZZ")
    contract = SimProvider(faults="").get_chain("ZZZZ", date(2025, 3, 21), AS_OF)
    calls = [
        lambda: sim.get_candles("ZZZZ", AS_OF, AS_OF),
        lambda: sim.get_spot("ZZZZ", AS_OF),
        lambda: sim.list_expiries("ZZZZ", AS_OF),
        lambda: sim.get_chain("ZZZZ", date(2025, 3, 21), AS_OF),
        lambda: sim.list_contracts("ZZZZ", AS_OF, date(2025, 6, 1), AS_OF),
        lambda: sim.get_option_bars(contract["contract_symbol"].tolist()[:3], AS_OF, AS_OF),
    ]
    for call in calls:
        with pytest.raises(_KIND_CLASSES[kind]) as exc:
            call()
        err = exc.value
        assert (err.symbol, err.provider, err.error_type) == ("ZZZZ", "sim", kind)
        assert str(err).startswith("sim: ") and "ZZZZ" in str(err)
    assert sim.get_spot("AAPL", AS_OF) > 0


def test_not_found_fault_message_is_realistic():
    with pytest.raises(NotFoundError, match=r"^sim: symbol ZZZZ not found$"):
        SimProvider(faults="not_found:ZZZZ").get_spot("ZZZZ", AS_OF)


def test_probability_faults_fire_at_about_that_rate_and_reproducibly():
    sessions = calendar.sessions_between(date(2024, 1, 1), date(2024, 12, 31))

    def outcomes(sim: SimProvider) -> list[str]:
        out = []
        for d in sessions:
            try:
                sim.get_spot("AAPL", d)
                out.append("ok")
            except ProviderError as exc:
                out.append(exc.error_type)
        return out

    first = outcomes(SimProvider(faults="timeout:0.2,rate_limited:0.1"))
    assert first == outcomes(SimProvider(faults="timeout:0.2,rate_limited:0.1"))
    assert 0.12 < first.count("timeout") / len(first) < 0.28
    assert 0.03 < first.count("rate_limited") / len(first) < 0.16
    assert outcomes(SimProvider(seed=8, faults="timeout:0.2,rate_limited:0.1")) != first
    with pytest.raises(ProviderTimeoutError):
        SimProvider(faults="timeout:1").get_candles("AAPL", AS_OF, AS_OF)


def test_faults_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv(FAULTS_ENV, "entitlement:QQQ")
    with pytest.raises(EntitlementError):
        SimProvider().list_expiries("QQQ", AS_OF)
    assert SimProvider(faults="").list_expiries("QQQ", AS_OF)


@pytest.mark.parametrize(
    "spec",
    [
        "timeout",
        "timeout:",
        ":ZZZZ",
        "explode:ZZZZ",
        "timeout:1.5",
        "timeout:0",
        "timeout:-0.1",
        "timeout:AB$C",
        "not_found:ZZZZ,,timeout:0.1",
    ],
)
def test_malformed_fault_specs_are_rejected_with_one_line(spec, monkeypatch):
    with pytest.raises(SimFaultSpecError) as exc:
        SimProvider(faults=spec)
    message = str(exc.value)
    assert "\n" not in message and "kind:target" in message and "not_found:ZZZZ" in message
    assert isinstance(exc.value, ValueError)
    monkeypatch.setenv(FAULTS_ENV, spec)
    with pytest.raises(SimFaultSpecError):
        SimProvider()


# -- a market that looks like the market ---------------------------------------------------------

ISSUE_SESSION = date(2026, 11, 20)  # AAPL 60C 0-DTE was bid 0.00, ask 3,976.90 at spot 247


def _atm_spread(chain: pd.DataFrame, spot: float) -> float:
    row = chain.iloc[(chain["strike"] - spot).abs().argsort()[:1]]
    return float((row["ask"] - row["bid"]).iloc[0])


def test_zero_dte_deep_itm_quotes_stay_near_intrinsic(sim):
    chain = sim.get_chain("AAPL", ISSUE_SESSION, ISSUE_SESSION)
    spot = sim.get_spot("AAPL", ISSUE_SESSION)
    calls, puts = chain[chain["option_type"] == "call"], chain[chain["option_type"] == "put"]
    assert (calls["ask"] <= spot).all() and (puts["ask"] <= puts["strike"]).all()
    itm = calls[calls["strike"] < spot - 20]
    assert len(itm) > 5
    assert (itm["bid"] >= spot - itm["strike"] - 0.10).all()
    assert (itm["ask"] - itm["bid"] <= 2.0).all()


def test_index_etfs_carry_the_steepest_put_skew_and_more_put_than_call_open_interest():
    t_years = 30 / 365

    def skew(symbol: str, seed: int) -> float:
        """IV one ATM standard deviation below the forward minus one above, over ATM IV."""
        surface = surface_state(seed, symbol, calendar.session_index(ISSUE_SESSION))
        sd = np.sqrt(surface.atm_total_variance(t_years))
        iv = surface.implied_vol(np.array([-sd, 0.0, sd]), t_years)
        return float((iv[0] - iv[2]) / iv[1])

    names = ["AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "KO", "X", "BRK.B"]
    names += [f"S{i}" for i in range(30)]
    for seed in (7, 11):
        flattest_index = min(skew(s, seed) for s in ("SPY", "QQQ", "IWM"))
        assert flattest_index > max(skew(s, seed) for s in names)
    idx = calendar.session_index(ISSUE_SESSION)
    for symbol in ("SPY", "QQQ", "IWM"):
        chain = full_chain(7, symbol, idx, SIM_RATE)
        oi = chain.groupby("option_type")["open_interest"].sum()
        assert oi["put"] / oi["call"] > 1.0


def test_index_etfs_quote_in_pennies_and_liquid_atm_spreads_are_a_few_cents(sim):
    expiry = date(2026, 12, 18)  # 28 DTE monthly
    spy = sim.get_chain("SPY", expiry, ISSUE_SESSION)
    above_3 = pd.concat([spy["bid"][spy["bid"] >= 3.0], spy["ask"][spy["ask"] >= 3.0]])
    assert (np.rint(above_3 * 100) % 5 != 0).any()
    for symbol, widest in (("SPY", 0.05), ("QQQ", 0.05), ("AAPL", 0.10), ("MSFT", 0.10)):
        chain = sim.get_chain(symbol, expiry, ISSUE_SESSION)
        spot = sim.get_spot(symbol, ISSUE_SESSION)
        for side in ("call", "put"):
            spread = _atm_spread(chain[chain["option_type"] == side], spot)
            assert spread <= widest + 1e-9, (symbol, side, spread)


def test_a_short_demo_fails_no_check_on_the_simulators_own_data(cli):
    # TSLA's deep-ITM 1-DTE quotes read as IVs of 5-7 on these sessions before the fix.
    for symbol in ("AAPL", "SPY", "TSLA"):
        assert cli("watchlist", "add", "default", symbol).exit_code == 0
    r = cli("demo", "--sessions", "2", "--end", "2026-11-19")
    assert r.exit_code == 0, r.output
    _, health = cli.json("db", "health")
    assert health["failed_checks"] == [], health["failed_checks"]
