"""Flow: ΔOI, notionals, classes, gaps, aggregation and window netting on hand-built snapshots."""

from __future__ import annotations

import itertools
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from options_helper.domain.flow import (
    FLOW_CLASSES,
    FLOW_COLUMNS,
    GROUP_KEYS,
    SUM_COLUMNS,
    aggregate_flow,
    contract_flow,
    dte_bucket,
    net_window,
)

D0, D1, D2, D3 = date(2024, 3, 4), date(2024, 3, 5), date(2024, 3, 6), date(2024, 3, 7)
APR = date(2024, 4, 19)  # 45 days after D1
MAY = date(2024, 5, 17)
SPOT = 101.0


def _row(symbol, *, oi, volume, expiry=APR, strike=100.0, option_type="call", **kw) -> dict:
    bid, ask, last = kw.get("bid", 1.9), kw.get("ask", 2.1), kw.get("last", 1.5)
    quoted = bid > 0 and ask > 0
    return {
        "contract_symbol": symbol,
        "underlying": "XYZ",
        "expiry": expiry,
        "strike": strike,
        "option_type": option_type,
        "bid": bid,
        "ask": ask,
        "last": last,
        "volume": volume,
        "open_interest": oi,
        "mid": (bid + ask) / 2 if quoted else np.nan,
        "delta": kw.get("delta", 0.5),
        "spot": kw.get("spot", SPOT),
    }


def _snap(*rows: dict, data_date: date = D1) -> pd.DataFrame:
    df = pd.DataFrame(list(rows))
    df["data_date"] = data_date
    df["dte"] = [(e - data_date).days for e in df["expiry"]]
    return df


def _one(flow: pd.DataFrame, symbol: str) -> pd.Series:
    return flow.set_index("contract_symbol").loc[symbol]


def _flow(prev_rows, today_rows, **kw) -> pd.DataFrame:
    return contract_flow(
        _snap(*today_rows), _snap(*prev_rows, data_date=D0), session=D1, previous_session=D0, **kw
    )


def test_delta_oi_and_notionals_follow_the_definitions():
    flow = _flow(
        [_row("A", oi=200, volume=80)],
        [_row("A", oi=260, volume=30, bid=2.0, ask=2.2, delta=0.5)],
    )
    a = _one(flow, "A")
    assert list(flow.columns) == FLOW_COLUMNS
    assert a["dte"] == 45  # 2024-03-05 -> 2024-04-19
    assert a["mark"] == pytest.approx(2.1)  # (2.0 + 2.2) / 2
    assert (a["oi_prev"], a["oi"], a["delta_oi"]) == (200, 260, 60)
    assert (a["volume"], a["volume_prev"]) == (30, 80)
    assert a["delta_oi_notional_usd"] == pytest.approx(12_600.0)  # 60 × 2.1 × 100
    # Aligned volume: yesterday's 80 produced this ΔOI; 80 × 2.1 × 100.
    assert a["volume_notional_usd"] == pytest.approx(16_800.0)
    assert a["delta_notional_usd"] == pytest.approx(303_000.0)  # 60 × 0.5 × 101 × 100
    assert a["flow_class"] == "building"  # 60 ≥ max(10, 20)
    assert not a["gap"] and a["session"] == D1 and a["prev_session"] == D0


def test_mark_falls_back_to_last_when_a_side_is_unquoted():
    flow = _flow(
        [_row("B", oi=100, volume=40, option_type="put")],
        [_row("B", oi=85, volume=5, option_type="put", bid=0.0, ask=1.0, last=0.8, delta=-0.3)],
    )
    b = _one(flow, "B")
    assert b["mark"] == 0.8
    assert b["delta_oi"] == -15
    assert b["delta_oi_notional_usd"] == pytest.approx(-1_200.0)  # -15 × 0.8 × 100
    assert b["volume_notional_usd"] == pytest.approx(3_200.0)  # 40 × 0.8 × 100
    assert b["delta_notional_usd"] == pytest.approx(45_450.0)  # -15 × -0.3 × 101 × 100
    assert b["flow_class"] == "unwinding"  # -15 ≤ -max(10, 10)


@pytest.mark.parametrize(
    ("oi_prev", "oi", "volume_prev", "expected"),
    [
        (300, 330, 0, "building"),  # +30 ≥ max(10, 30)
        (300, 329, 0, "quiet"),  # +29 < 30 and no volume
        (300, 270, 0, "unwinding"),  # -30 ≤ -30
        (20, 30, 0, "building"),  # +10 ≥ max(10, 2)
        (20, 10, 0, "unwinding"),  # -10 ≤ -10
        (20, 29, 0, "quiet"),  # +9 < 10
        (200, 205, 100, "churn"),  # +5 < 20, volume 100 ≥ max(50, 100)
        (200, 205, 99, "quiet"),  # 99 < 100
        (10, 10, 50, "churn"),  # 50 ≥ max(50, 5)
        (10, 10, 49, "quiet"),
        (200, 260, 1000, "building"),  # a large ΔOI wins over volume
        (200, np.nan, 1000, "unknown"),  # no OI today
        (np.nan, 200, 1000, "unknown"),  # no OI yesterday
        (200, 205, np.nan, "unknown"),  # churn or quiet cannot be told
    ],
)
def test_classes_at_their_thresholds(oi_prev, oi, volume_prev, expected):
    flow = _flow([_row("C", oi=oi_prev, volume=volume_prev)], [_row("C", oi=oi, volume=0)])
    assert _one(flow, "C")["flow_class"] == expected


def test_churn_uses_the_volume_of_the_session_that_produced_the_delta_oi():
    flow = _flow(
        [_row("HOT_TODAY", oi=200, volume=0), _row("HOT_YESTERDAY", oi=200, volume=150)],
        [_row("HOT_TODAY", oi=200, volume=5000), _row("HOT_YESTERDAY", oi=200, volume=0)],
    )
    assert _one(flow, "HOT_TODAY")["flow_class"] == "quiet"
    assert _one(flow, "HOT_TODAY")["volume_notional_usd"] == 0.0
    assert _one(flow, "HOT_YESTERDAY")["flow_class"] == "churn"  # 150 ≥ max(50, 100)


def test_unknown_oi_leaves_delta_oi_and_notionals_nan():
    u = _one(_flow([_row("U", oi=100, volume=10)], [_row("U", oi=np.nan, volume=10)]), "U")
    assert u["flow_class"] == "unknown"
    assert np.isnan(u["delta_oi"]) and np.isnan(u["delta_oi_notional_usd"])
    assert np.isnan(u["delta_notional_usd"])


def test_opened_contract_counts_zero_prior_open_interest():
    flow = _flow(
        [_row("OLD", oi=50, volume=0)], [_row("OLD", oi=50, volume=0), _row("NEW", oi=0, volume=25)]
    )
    new = _one(flow, "NEW")
    assert new["flow_class"] == "opened"
    assert (new["oi_prev"], new["volume_prev"], new["delta_oi"]) == (0, 0, 0)
    assert new["volume"] == 25


def test_closed_contract_is_valued_from_its_last_snapshot():
    flow = _flow(
        [_row("GONE", oi=40, volume=7, expiry=MAY, bid=3.0, ask=3.2, delta=0.4)],
        [_row("STAY", oi=5, volume=0)],
    )
    gone = _one(flow, "GONE")
    assert gone["flow_class"] == "closed"
    assert (gone["oi_prev"], gone["oi"], gone["delta_oi"]) == (40, 0, -40)
    assert gone["delta_oi_notional_usd"] == pytest.approx(-12_400.0)  # -40 × 3.1 × 100
    assert gone["volume_notional_usd"] == pytest.approx(2_170.0)  # 7 × 3.1 × 100
    assert gone["delta_notional_usd"] == pytest.approx(-161_600.0)  # -40 × 0.4 × 101 × 100
    assert gone["dte"] == 73  # 2024-03-05 -> 2024-05-17


def test_expired_contracts_are_dropped_not_closed():
    prev = [
        _row("EXPIRED", oi=10, volume=0, expiry=D0),
        _row("EXPIRES_TODAY", oi=10, volume=0, expiry=D1),
        _row("STAY", oi=5, volume=0),
    ]
    today = [_row("STAY", oi=5, volume=0)]
    assert set(_flow(prev, today)["contract_symbol"]) == {"STAY"}
    strict = _flow(prev, today, today_expired_ok=False)
    assert set(strict["contract_symbol"]) == {"STAY", "EXPIRES_TODAY"}
    assert _one(strict, "EXPIRES_TODAY")["flow_class"] == "closed"


def test_contract_expiring_today_and_still_listed_is_kept():
    flow = _flow([_row("Z", oi=10, volume=0, expiry=D1)], [_row("Z", oi=30, volume=0, expiry=D1)])
    assert _one(flow, "Z")["flow_class"] == "building"
    assert _one(flow, "Z")["dte"] == 0


def test_missing_previous_session_is_a_gap_never_bridged():
    today = _snap(_row("A", oi=260, volume=30), _row("B", oi=5, volume=0))
    flow = contract_flow(today, None, session=D1, previous_session=D0)
    assert flow["gap"].all()
    assert (flow["flow_class"] == "unknown").all()
    assert flow[["oi_prev", "volume_prev", "delta_oi", "delta_oi_notional_usd"]].isna().all().all()
    assert flow["volume_notional_usd"].isna().all()
    assert list(flow["oi"]) == [260, 5]
    assert (flow["prev_session"] == D0).all()


def test_duplicate_contracts_are_refused():
    today = _snap(_row("A", oi=1, volume=0), _row("A", oi=2, volume=0))
    with pytest.raises(ValueError, match="duplicate"):
        contract_flow(today, None, session=D1, previous_session=D0)


@pytest.mark.parametrize(
    ("dte", "bucket"),
    [(0, "0-7"), (7, "0-7"), (8, "8-30"), (30, "8-30"), (31, "31-90"), (90, "31-90"), (91, "90+")],
)
def test_dte_bucket_edges(dte, bucket):
    assert dte_bucket(pd.Series([dte]))[0] == bucket


def test_first_stored_session_is_unknown_but_not_a_gap():
    today = _snap(_row("A", oi=260, volume=30))
    flow = contract_flow(today, None, session=D1, previous_session=D0, first_session=True)
    assert not flow["gap"].any()
    assert (flow["flow_class"] == "unknown").all()
    assert flow[["oi_prev", "delta_oi", "delta_oi_notional_usd"]].isna().all().all()


def test_contract_missing_from_a_snapshot_but_listed_then_is_unknown_not_closed_or_opened():
    held = _row("HOLE", oi=3000, volume=10, bid=2.9, ask=3.1)
    # Absent today but listed today (a later snapshot or option_contracts has it).
    closed_side = _one(_flow([held], [_row("A", oi=5, volume=0)], listed_today={"HOLE"}), "HOLE")
    assert closed_side["flow_class"] == "unknown"
    assert np.isnan(closed_side["oi"]) and np.isnan(closed_side["delta_oi"])
    assert closed_side["oi_prev"] == 3000
    assert np.isnan(closed_side["delta_oi_notional_usd"])  # not -3000 × 3 × 100 = -$0.9M
    # Absent from the previous snapshot but listed then.
    opened_side = _one(_flow([_row("A", oi=5, volume=0)], [held], listed_prev={"HOLE"}), "HOLE")
    assert opened_side["flow_class"] == "unknown"
    assert np.isnan(opened_side["oi_prev"]) and np.isnan(opened_side["delta_oi_notional_usd"])
    assert opened_side["oi"] == 3000
    # Without the evidence they stay closed and opened.
    assert _one(_flow([held], [_row("A", oi=5, volume=0)]), "HOLE")["flow_class"] == "closed"
    assert _one(_flow([_row("A", oi=5, volume=0)], [held]), "HOLE")["flow_class"] == "opened"


def test_aggregate_counts_rows_without_a_delta():
    rows = _rows(
        [
            {"contract_symbol": "c1", "strike": 100.0, "delta": 0.5, "delta_oi": 10,
             "delta_notional_usd": 50_000.0},
            {"contract_symbol": "c2", "strike": 100.0, "delta": np.nan, "delta_oi": 20,
             "delta_notional_usd": np.nan},
        ]
    )  # fmt: skip
    out = aggregate_flow(rows, "strike").iloc[0]
    assert out["delta_notional_usd"] == 50_000.0  # a partial sum ...
    assert (out["n_no_delta"], out["n_contracts"]) == (1, 2)  # ... and how partial


def _rows(records: list[dict]) -> pd.DataFrame:
    """Flow rows with defaults for the columns a test does not care about."""
    base = dict.fromkeys(FLOW_COLUMNS, np.nan) | {
        "underlying": "XYZ",
        "option_type": "call",
        "flow_class": "quiet",
        "gap": False,
        "session": D1,
        "prev_session": D0,
    }
    return pd.DataFrame([base | r for r in records])[FLOW_COLUMNS]


def _agg_rows() -> pd.DataFrame:
    return _rows(
        [
            {"contract_symbol": "c1", "expiry": APR, "strike": 100.0, "dte": 7, "delta_oi": 10,
             "delta_oi_notional_usd": 1000.0, "volume_prev": 5, "flow_class": "building"},
            {"contract_symbol": "c2", "expiry": MAY, "strike": 100.0, "dte": 8, "delta_oi": -30,
             "delta_oi_notional_usd": -6000.0, "volume_prev": 1, "flow_class": "unwinding"},
            {"contract_symbol": "p1", "expiry": APR, "strike": 100.0, "dte": 7, "delta_oi": 2,
             "delta_oi_notional_usd": 300.0, "option_type": "put", "flow_class": "churn"},
            {"contract_symbol": "c3", "expiry": APR, "strike": 110.0, "dte": 90, "delta_oi": 4,
             "delta_oi_notional_usd": 2000.0},
            {"contract_symbol": "c4", "expiry": MAY, "strike": 110.0, "dte": 91, "delta_oi": np.nan,
             "delta_oi_notional_usd": np.nan, "flow_class": "unknown"},
        ]
    )  # fmt: skip


def test_aggregate_by_strike_sums_and_splits_calls_from_puts():
    out = aggregate_flow(_agg_rows(), "strike")
    # Sorted by |ΔOI notional|: call 100 (1000 - 6000 = -5000), call 110 (2000), put 100 (300).
    assert list(zip(out["strike"], out["option_type"], strict=True)) == [
        (100.0, "call"),
        (110.0, "call"),
        (100.0, "put"),
    ]
    call_100 = out.iloc[0]
    assert call_100["delta_oi"] == -20  # 10 - 30
    assert call_100["delta_oi_notional_usd"] == -5000.0
    assert call_100["volume_prev"] == 6  # 5 + 1
    assert (call_100["n_contracts"], call_100["n_building"], call_100["n_unwinding"]) == (2, 1, 1)
    call_110 = out.iloc[1]
    assert call_110["delta_oi"] == 4  # the unknown contract adds nothing known
    assert (call_110["n_contracts"], call_110["n_unknown"], call_110["n_quiet"]) == (2, 1, 1)
    assert out.iloc[2]["n_churn"] == 1


def test_aggregate_by_expiry_and_expiry_strike_and_contract():
    by_expiry = aggregate_flow(_agg_rows(), "expiry").set_index(["expiry", "option_type"])
    assert by_expiry.loc[(APR, "call"), "delta_oi"] == 14  # 10 + 4
    assert by_expiry.loc[(MAY, "call"), "delta_oi"] == -30  # -30 + NaN
    by_pair = aggregate_flow(_agg_rows(), "expiry-strike")
    assert len(by_pair) == 5
    assert by_pair.iloc[0][["expiry", "strike", "delta_oi"]].tolist() == [MAY, 100.0, -30]
    by_contract = aggregate_flow(_agg_rows(), "contract")
    assert list(by_contract["contract_symbol"]) == ["c2", "c3", "c1", "p1", "c4"]
    assert np.isnan(by_contract.iloc[-1]["delta_oi"])  # all-NaN group stays NaN, not 0


def test_aggregate_by_dte_bucket_uses_inclusive_upper_edges():
    out = aggregate_flow(_agg_rows(), "dte-bucket").set_index(["dte_bucket", "option_type"])
    assert out.loc[("0-7", "call"), "delta_oi"] == 10  # dte 7
    assert out.loc[("0-7", "put"), "delta_oi"] == 2
    assert out.loc[("8-30", "call"), "delta_oi"] == -30  # dte 8
    assert out.loc[("31-90", "call"), "delta_oi"] == 4  # dte 90
    assert np.isnan(out.loc[("90+", "call"), "delta_oi"])  # dte 91, unknown ΔOI
    assert out.loc[("90+", "call"), "n_contracts"] == 1


def test_aggregate_refuses_an_unknown_grouping():
    with pytest.raises(ValueError, match="unknown group-by"):
        aggregate_flow(_agg_rows(), "month")


_finite = st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 2))
_record = st.fixed_dictionaries(
    {
        "strike": st.sampled_from([90.0, 95.0, 100.0]),
        "expiry": st.sampled_from([APR, MAY]),
        "dte": st.integers(0, 200),
        "option_type": st.sampled_from(["call", "put"]),
        "flow_class": st.sampled_from(FLOW_CLASSES),
        "gap": st.booleans(),
        **{name: st.one_of(st.just(np.nan), _finite) for name in SUM_COLUMNS},
    }
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_record, min_size=1, max_size=25), st.sampled_from(sorted(GROUP_KEYS)))
def test_aggregation_preserves_totals(records, by):
    rows = _rows([r | {"contract_symbol": f"s{i}"} for i, r in enumerate(records)])
    out = aggregate_flow(rows, by)
    for name in SUM_COLUMNS:
        assert np.nansum(out[name]) == pytest.approx(np.nansum(rows[name]), rel=1e-9, abs=1e-6)
        assert out[name].isna().sum() <= rows[name].isna().sum()
    assert out["n_contracts"].sum() == len(rows)
    for cls in FLOW_CLASSES:
        assert out[f"n_{cls}"].sum() == (rows["flow_class"] == cls).sum()
    assert out["gap"].any() == rows["gap"].any()
    order = out["delta_oi_notional_usd"].abs().dropna().to_numpy()
    assert (np.diff(order) <= 0).all()


def _chain_flows(oi_by_day: dict[date, dict[str, tuple[float, float]]]) -> list[pd.DataFrame]:
    """contract_flow for consecutive days; oi_by_day[day][symbol] = (open interest, volume)."""
    days = sorted(oi_by_day)
    snaps = {
        d: _snap(*(_row(s, oi=oi, volume=v) for s, (oi, v) in oi_by_day[d].items()), data_date=d)
        for d in days
    }
    return [
        contract_flow(snaps[d], snaps[p], session=d, previous_session=p)
        for p, d in itertools.pairwise(days)
    ]


WINDOW = {
    D0: {"X": (100, 20), "Y": (200, 40)},
    D1: {"X": (105, 30), "Y": (200, 40)},
    D2: {"X": (109, 10), "Y": (200, 40), "Z": (0, 3)},
    D3: {"X": (112, 0), "Y": (200, 0), "Z": (20, 0)},
}


def test_window_nets_sessions_and_reclassifies():
    flows = _chain_flows(WINDOW)
    assert set(flows[0]["flow_class"]) == {"quiet"}  # +5 < 10 and volume < churn thresholds
    net = net_window(list(reversed(flows))).set_index("contract_symbol")  # order-insensitive
    x = net.loc["X"]
    assert (x["oi_prev"], x["oi"], x["delta_oi"]) == (100, 112, 12)  # 5 + 4 + 3
    assert x["flow_class"] == "building"  # 12 ≥ max(10, 10)
    assert x["delta_oi_notional_usd"] == pytest.approx(2_400.0)  # 12 × 2.0 × 100
    assert x["volume_prev"] == 60  # 20 + 30 + 10
    assert x["n_sessions"] == 3
    y = net.loc["Y"]
    assert y["delta_oi"] == 0 and y["volume_prev"] == 120
    assert y["flow_class"] == "churn"  # 120 ≥ max(50, 100); each day alone was quiet
    z = net.loc["Z"]
    assert z["flow_class"] == "opened" and z["oi_prev"] == 0 and z["delta_oi"] == 20
    assert z["n_sessions"] == 2
    assert (net["prev_session"] == D0).all() and (net["session"] == D3).all()
    assert not net["gap"].any()


def test_window_with_a_gap_session_is_unknown():
    flows = _chain_flows(WINDOW)
    gap = contract_flow(
        _snap(_row("X", oi=109, volume=10), _row("Y", oi=200, volume=40), data_date=D2),
        None,
        session=D2,
        previous_session=D1,
    )
    net = net_window([flows[0], gap, flows[2]]).set_index("contract_symbol")
    assert net.loc[["X", "Y"], "gap"].all()
    assert (net.loc[["X", "Y"], "flow_class"] == "unknown").all()
    assert net.loc[["X", "Y"], "delta_oi"].isna().all()


def test_window_with_a_missing_session_is_a_gap():
    flows = _chain_flows(WINDOW)
    net = net_window([flows[0], flows[2]])  # D2's flow is missing: D1 -> D3 is not a chain
    assert net["gap"].all()
    assert (net["flow_class"] == "unknown").all()
    assert net["delta_oi"].isna().all()


def test_window_of_nothing_is_empty():
    assert net_window([]).empty
