"""The set-based flow (DuckDB SQL) equals the pandas reference ``contract_flow`` row for row."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from options_helper.config import load_config
from options_helper.domain import calendar
from options_helper.domain.flow import FLOW_COLUMNS, contract_flow, net_window
from options_helper.errors import BadPayloadError
from options_helper.jobs import compute_flow as compute_flow_module
from options_helper.jobs.compute_flow import compute_flow
from options_helper.jobs.context import JobContext
from options_helper.jobs.snapshot_options import snapshot_options
from options_helper.warehouse.flow_sql import FlowPair, compute_flow_sql
from options_helper.warehouse.options import upsert_contracts
from options_helper.warehouse.research import read_flow
from options_helper.warehouse.snapshots import (
    load_snapshot,
    upsert_snapshot_index,
    write_snapshot_file,
)

FLOATS = [
    "strike",
    "spot",
    "mark",
    "delta",
    "oi_prev",
    "oi",
    "delta_oi",
    "volume",
    "volume_prev",
    "volume_notional_usd",
    "delta_oi_notional_usd",
    "delta_notional_usd",
]
DATES = ["expiry", "session", "prev_session"]

# Sim sessions (Wed..Fri); the simulator can backfill them.
S1, S2, S3 = date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)
FULL = ["AAPL", "SPY", "TSLA"]
HOLEY = "MSFT"  # no snapshot for S2

# Hand-made sessions (Mon, Tue) and expiries.
FRI, D0, D1, D2 = date(2024, 3, 1), date(2024, 3, 4), date(2024, 3, 5), date(2024, 3, 6)
MAY = date(2024, 5, 17)


def _context(data_dir: Path) -> JobContext:
    return JobContext.from_config(load_config({"data_dir": data_dir}))


def _as_date(x) -> date | None:
    return None if pd.isna(x) else pd.Timestamp(x).date()


def assert_same_rows(got: pd.DataFrame, want: pd.DataFrame, keys=("session", "contract_symbol")):
    """Exact for strings, ints, bools and dates; floats to 1e-12 relative (NaN equals NaN)."""
    got = got.sort_values(list(keys)).reset_index(drop=True)
    want = want.sort_values(list(keys)).reset_index(drop=True)
    assert len(got) == len(want)
    for col in want.columns:
        a, b = got[col], want[col]
        if col in FLOATS:
            ok = np.isclose(
                a.to_numpy(float), b.to_numpy(float), rtol=1e-12, atol=0, equal_nan=True
            )
            assert ok.all(), f"{col}: {a[~ok].head().tolist()} != {b[~ok].head().tolist()}"
        elif col in DATES:
            assert [_as_date(x) for x in a] == [_as_date(x) for x in b], col
        elif col in ("dte", "n_sessions"):
            na = -(10**9)
            assert np.array_equal(
                a.astype("Int64").to_numpy(na_value=na), b.astype("Int64").to_numpy(na_value=na)
            ), col
        else:
            assert a.tolist() == b.tolist(), col


def _symbols(snapshot: pd.DataFrame | None) -> set[str]:
    return set() if snapshot is None else set(snapshot["contract_symbol"])


def reference(data_dir: Path, symbol: str, session: date) -> pd.DataFrame:
    """contract_flow on the stored snapshots, with the evidence the job gathers: the first
    stored session, the neighbouring snapshots and option_contracts."""
    prev_session = calendar.previous_session(session)
    before_session = calendar.previous_session(prev_session)
    after_session = calendar.next_session(session)
    with _context(data_dir).warehouse.reader() as conn:
        today = load_snapshot(conn, data_dir, symbol, session)
        previous = load_snapshot(conn, data_dir, symbol, prev_session)
        before = load_snapshot(conn, data_dir, symbol, before_session)
        after = load_snapshot(conn, data_dir, symbol, after_session)
        (first,) = conn.execute(
            "SELECT min(data_date) FROM options_snapshots WHERE symbol = ?", [symbol]
        ).fetchone()
        contracts = conn.execute(
            "SELECT contract_symbol, status, first_seen, last_seen FROM option_contracts "
            "WHERE underlying = ?",
            [symbol],
        ).df()
    assert today is not None
    first_seen = pd.to_datetime(contracts["first_seen"]).dt.date
    last_seen = pd.to_datetime(contracts["last_seen"]).dt.date
    listed_prev = _symbols(before) | set(contracts["contract_symbol"][first_seen <= prev_session])
    active = (contracts["status"] == "active") & (last_seen >= session)
    listed_today = _symbols(after) | set(contracts["contract_symbol"][active])
    return contract_flow(
        today,
        previous,
        session=session,
        previous_session=prev_session,
        first_session=first == session,
        listed_today=listed_today,
        listed_prev=listed_prev,
    )


def stored(data_dir: Path, symbol: str, start: date, end: date) -> pd.DataFrame:
    with _context(data_dir).warehouse.reader() as conn:
        rows = read_flow(conn, symbol, start, end)
    return rows.drop(columns=["symbol", "computed_at"])


def _table_columns() -> list[str]:
    return [c for c in FLOW_COLUMNS if c != "underlying"]


# --- simulated market --------------------------------------------------------------------


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("flow_sql") / "data"
    ctx = _context(d)
    for session in (S1, S2, S3):
        todo = FULL + ([HOLEY] if session != S2 else [])
        assert snapshot_options(ctx, todo, as_of=session).status == "success"
    return d


@pytest.fixture(scope="module")
def sim_window(sim_dir):
    return compute_flow(_context(sim_dir), [*FULL, HOLEY], as_of=S3, window=3)


slow = pytest.mark.slow


@slow
def test_stored_rows_equal_the_pandas_reference_for_every_symbol_and_session(sim_dir, sim_window):
    for symbol in FULL:
        want = pd.concat([reference(sim_dir, symbol, s) for s in (S1, S2, S3)])
        assert_same_rows(stored(sim_dir, symbol, S1, S3), want[_table_columns()])
    classes = set(stored(sim_dir, "AAPL", S2, S3)["flow_class"])
    assert {"building", "unwinding", "quiet"} <= classes


@slow
def test_report_counts_rows_and_names_gap_sessions(sim_dir, sim_window):
    by_symbol = {a.partition_key: a for a in sim_window.assets}
    assert list(by_symbol) == [*FULL, HOLEY]
    for symbol in FULL:
        a = by_symbol[symbol]
        assert a.status == "success" and (a.min_event, a.max_event) == (S1, S3)
        assert a.rows == len(stored(sim_dir, symbol, S1, S3)) > 0
        # S1 is the first stored snapshot: no earlier one to compare, but not a data gap.
        assert a.extra["gap_sessions"] == []
        assert a.extra["first_sessions"] == [str(S1)]


@slow
def test_symbol_missing_a_window_session_fails_not_found_and_writes_nothing(sim_dir, sim_window):
    a = next(a for a in sim_window.assets if a.partition_key == HOLEY)
    assert (a.status, a.error_type) == ("failed", "not_found")
    assert a.error_message == (
        f"no snapshot of {HOLEY} for {S2}; run "
        f"`options-helper snapshot-options --symbol {HOLEY} --as-of {S2}`"
    )
    assert HOLEY not in sim_window.payload
    assert sim_window.status == "partial"


@slow
def test_session_after_a_missing_snapshot_is_a_gap_equal_to_the_reference(sim_dir):
    report = compute_flow(_context(sim_dir), [HOLEY], as_of=S3)
    assert report.assets[0].extra["gap_sessions"] == [str(S3)]
    rows = stored(sim_dir, HOLEY, S3, S3)
    assert rows["gap"].all() and set(rows["flow_class"]) == {"unknown"}
    assert_same_rows(rows, reference(sim_dir, HOLEY, S3)[_table_columns()])


@slow
def test_payload_is_the_reference_netted_over_the_window(sim_dir, sim_window):
    for symbol in FULL:
        frames = [reference(sim_dir, symbol, s) for s in (S1, S2, S3)]
        got, want = sim_window.payload[symbol], net_window(frames)
        assert list(got.columns) == list(want.columns)
        assert got.dtypes.to_dict() == want.dtypes.to_dict()
        assert_same_rows(got, want, keys=("contract_symbol",))


@slow
def test_single_session_payload_has_the_reference_dtypes(sim_dir):
    report = compute_flow(_context(sim_dir), ["SPY"], as_of=S3)
    got, want = report.payload["SPY"], reference(sim_dir, "SPY", S3)
    assert list(got.columns) == FLOW_COLUMNS
    assert got.dtypes.to_dict() == want.dtypes.to_dict()
    assert_same_rows(got, want)


@slow
def test_chunked_passes_store_the_same_rows(sim_dir, sim_window, monkeypatch):
    before = {s: stored(sim_dir, s, S1, S3) for s in FULL}
    # One pair per pass: each previous snapshot is read in another pass than its today.
    monkeypatch.setattr(compute_flow_module, "CHUNK_PAIRS", 1)
    report = compute_flow(_context(sim_dir), FULL, as_of=S3, window=3)
    assert report.status == "success"
    for symbol in FULL:
        assert_same_rows(stored(sim_dir, symbol, S1, S3), before[symbol])


# --- hand-made snapshots -----------------------------------------------------------------


def _row(symbol, *, oi, volume, expiry=MAY, bid=1.9, ask=2.1, last=1.5, delta=0.5):
    quoted = bid > 0 and ask > 0
    return {
        "contract_symbol": symbol,
        "underlying": "XYZ",
        "expiry": expiry,
        "strike": 100.0,
        "option_type": "call",
        "bid": bid,
        "ask": ask,
        "last": last,
        "volume": float(volume),
        "open_interest": float(oi),
        "mid": (bid + ask) / 2 if quoted else np.nan,
        "delta": delta,
        "spot": 101.0,
    }


def _write(data_dir: Path, symbol: str, session: date, rows: list[dict], *, nan_as_null: bool):
    """Write a snapshot file and its index row; floats keep NaN unless ``nan_as_null``."""
    df = pd.DataFrame(rows)
    columns = {}
    for col in df.columns:
        if df[col].dtype.kind == "f":
            columns[col] = pa.array(df[col].to_numpy(), from_pandas=nan_as_null)
        elif col == "expiry":
            columns[col] = pa.array(list(df[col]), pa.date32())
        else:
            columns[col] = pa.array(df[col].tolist())
    written = write_snapshot_file(data_dir, symbol, session, pa.table(columns))
    index = pa.table(
        {
            "symbol": [symbol],
            "data_date": pa.array([session], pa.date32()),
            "path": [written.rel_path],
            "rows": [written.rows],
            "bytes": [written.bytes],
            "expiries": pa.array([1], pa.int32()),
            "spot": [101.0],
            "provider": ["sim"],
            "simulated": [True],
            "written_at": pa.array([datetime(2024, 3, 5, 21)], pa.timestamp("us")),
        }
    )
    with _context(data_dir).warehouse.writer() as conn:
        upsert_snapshot_index(conn, index)


PREV = [
    _row("BUILD", oi=100, volume=5),
    _row("UNWIND", oi=200, volume=5),
    _row("CHURN", oi=100, volume=60),
    _row("QUIET", oi=100, volume=10),
    _row("EDGE_BUILD", oi=200, volume=0),
    _row("EDGE_CHURN", oi=200, volume=100),
    _row("OI_UNKNOWN", oi=100, volume=10),
    _row("VOL_UNKNOWN", oi=100, volume=np.nan),
    _row("BUILD_VOL_UNKNOWN", oi=100, volume=np.nan),
    _row("NO_MARK_FLAT", oi=100, volume=0, bid=0, ask=0, last=np.nan, delta=np.nan),
    _row("LAST_MARK", oi=100, volume=30, bid=0, ask=2.0, last=1.25),
    _row("CLOSED", oi=80, volume=7, bid=3.0, ask=3.2, delta=0.7),
    _row("EXPIRED", oi=50, volume=9, expiry=D0),
    _row("EXPIRES_TODAY_ABSENT", oi=50, volume=9, expiry=D1),
    _row("EXPIRES_TODAY_LISTED", oi=50, volume=9, expiry=D1),
]
TODAY = [
    _row("BUILD", oi=120, volume=1),
    _row("UNWIND", oi=170, volume=1),
    _row("CHURN", oi=105, volume=1),
    _row("QUIET", oi=105, volume=1),
    _row("EDGE_BUILD", oi=220, volume=1),
    _row("EDGE_CHURN", oi=200, volume=1),
    _row("OI_UNKNOWN", oi=np.nan, volume=1),
    _row("VOL_UNKNOWN", oi=101, volume=1),
    _row("BUILD_VOL_UNKNOWN", oi=150, volume=1),
    _row("NO_MARK_FLAT", oi=100, volume=0, bid=0, ask=0, last=np.nan, delta=np.nan),
    _row("LAST_MARK", oi=103, volume=1, bid=0, ask=2.0, last=1.25),
    _row("OPENED", oi=40, volume=45),
    _row("EXPIRES_TODAY_LISTED", oi=50, volume=2, expiry=D1),
]
EXPECTED_CLASSES = {
    "BUILD": "building",
    "UNWIND": "unwinding",
    "CHURN": "churn",
    "QUIET": "quiet",
    "EDGE_BUILD": "building",
    "EDGE_CHURN": "churn",
    "OI_UNKNOWN": "unknown",
    "VOL_UNKNOWN": "unknown",
    "BUILD_VOL_UNKNOWN": "building",
    "NO_MARK_FLAT": "quiet",
    "LAST_MARK": "quiet",
    "CLOSED": "closed",
    "OPENED": "opened",
    "EXPIRES_TODAY_LISTED": "quiet",
}


@pytest.fixture
def hand_dir(data_dir: Path) -> Path:
    _context(data_dir).ensure_warehouse()
    # NaN stored as NULL on one side and as a real NaN on the other: both mean "missing".
    _write(data_dir, "XYZ", D0, PREV, nan_as_null=True)
    _write(data_dir, "XYZ", D1, TODAY, nan_as_null=False)
    # GAPY has history (Friday) but no snapshot for D0: D1 is over a real gap.
    _write(data_dir, "GAPY", FRI, PREV, nan_as_null=False)
    _write(data_dir, "GAPY", D1, TODAY, nan_as_null=False)
    return data_dir


def test_each_class_and_edge_case_equals_the_reference(hand_dir):
    report = compute_flow(_context(hand_dir), ["XYZ"], as_of=D1)
    assert report.status == "success"
    rows = stored(hand_dir, "XYZ", D1, D1)
    assert_same_rows(rows, reference(hand_dir, "XYZ", D1)[_table_columns()])
    assert dict(zip(rows["contract_symbol"], rows["flow_class"], strict=True)) == EXPECTED_CLASSES
    by = rows.set_index("contract_symbol")
    assert by.loc["OPENED", ["oi_prev", "volume_prev", "delta_oi"]].tolist() == [0.0, 0.0, 40.0]
    closed = by.loc["CLOSED"]
    assert (closed["oi"], closed["volume"], closed["delta_oi"]) == (0.0, 0.0, -80.0)
    assert (closed["mark"], closed["delta"]) == (pytest.approx(3.1), 0.7)
    assert by.loc["LAST_MARK", "mark"] == 1.25
    assert by.loc["EXPIRES_TODAY_LISTED", "dte"] == 0
    assert np.isnan(by.loc["OI_UNKNOWN", ["oi", "delta_oi", "delta_oi_notional_usd"]]).all()
    flat = by.loc["NO_MARK_FLAT"]
    assert np.isnan(flat["mark"]) and np.isnan(flat["delta"])
    assert flat[
        ["volume_notional_usd", "delta_oi_notional_usd", "delta_notional_usd"]
    ].tolist() == [
        0.0,
        0.0,
        0.0,
    ]


def test_missing_previous_snapshot_makes_every_row_a_gap(hand_dir):
    report = compute_flow(_context(hand_dir), ["GAPY"], as_of=D1)
    assert report.assets[0].extra["gap_sessions"] == [str(D1)]
    rows = stored(hand_dir, "GAPY", D1, D1)
    assert len(rows) == len(TODAY) and rows["gap"].all()
    assert set(rows["flow_class"]) == {"unknown"}
    assert rows[["oi_prev", "volume_prev", "delta_oi", "delta_oi_notional_usd"]].isna().all().all()
    assert_same_rows(rows, reference(hand_dir, "GAPY", D1)[_table_columns()])


def test_first_stored_session_is_unknown_but_not_a_gap(hand_dir):
    _write(hand_dir, "NEWY", D1, TODAY, nan_as_null=False)
    report = compute_flow(_context(hand_dir), ["NEWY"], as_of=D1)
    a = report.assets[0]
    assert (a.extra["gap_sessions"], a.extra["first_sessions"]) == ([], [str(D1)])
    rows = stored(hand_dir, "NEWY", D1, D1)
    assert not rows["gap"].any() and set(rows["flow_class"]) == {"unknown"}
    assert rows["delta_oi"].isna().all()
    assert_same_rows(rows, reference(hand_dir, "NEWY", D1)[_table_columns()])


def test_contract_absent_from_one_snapshot_is_unknown_not_closed_then_opened(hand_dir):
    held = _row("HOLE", oi=3000, volume=10, bid=2.9, ask=3.1)
    _write(hand_dir, "HOL", D0, [held, _row("A", oi=5, volume=0)], nan_as_null=False)
    _write(hand_dir, "HOL", D1, [_row("A", oi=5, volume=0)], nan_as_null=False)
    _write(hand_dir, "HOL", D2, [held, _row("A", oi=5, volume=0)], nan_as_null=False)
    assert compute_flow(_context(hand_dir), ["HOL"], as_of=D2, window=2).status == "success"
    rows = stored(hand_dir, "HOL", D1, D2)
    hole = rows[rows["contract_symbol"] == "HOLE"]
    assert hole["flow_class"].tolist() == ["unknown", "unknown"]
    # Not -3000 then +3000 contracts at $3.00: ∓$0.9M of notional that never traded.
    assert hole["delta_oi_notional_usd"].isna().all()
    for session in (D1, D2):
        want = reference(hand_dir, "HOL", session)
        got = rows[[_as_date(x) == session for x in rows["session"]]]
        assert_same_rows(got, want[_table_columns()])


def test_contract_still_active_in_option_contracts_is_unknown_not_closed(hand_dir):
    _write(hand_dir, "ACT", D0, [_row("LISTED", oi=300, volume=1)], nan_as_null=False)
    _write(hand_dir, "ACT", D1, [_row("A", oi=5, volume=0)], nan_as_null=False)
    contracts = pa.table(
        {
            "contract_symbol": ["LISTED"],
            "underlying": ["ACT"],
            "expiry": pa.array([MAY], pa.date32()),
            "strike": [100.0],
            "option_type": ["call"],
            "status": ["active"],
            "first_seen": pa.array([D0], pa.date32()),
            "last_seen": pa.array([D1], pa.date32()),
            "provider": ["sim"],
        }
    )
    with _context(hand_dir).warehouse.writer() as conn:
        upsert_contracts(conn, contracts)
    compute_flow(_context(hand_dir), ["ACT"], as_of=D1)
    rows = stored(hand_dir, "ACT", D1, D1).set_index("contract_symbol")
    assert rows.loc["LISTED", "flow_class"] == "unknown"
    assert rows.loc["A", "flow_class"] == "opened"  # option_contracts does not know it
    assert_same_rows(rows.reset_index(), reference(hand_dir, "ACT", D1)[_table_columns()])


def test_contract_expiring_today_and_absent_is_closed_when_not_expired_ok(hand_dir):
    pairs = [
        FlowPair(
            "XYZ", D1, D0, "snapshots/XYZ/2024-03-05.parquet", "snapshots/XYZ/2024-03-04.parquet"
        )
    ]
    with _context(hand_dir).warehouse.writer() as conn:
        n = compute_flow_sql(conn, hand_dir, pairs, datetime(2024, 3, 5), today_expired_ok=False)
    with _context(hand_dir).warehouse.reader() as conn:
        today = load_snapshot(conn, hand_dir, "XYZ", D1)
        previous = load_snapshot(conn, hand_dir, "XYZ", D0)
    want = contract_flow(today, previous, session=D1, previous_session=D0, today_expired_ok=False)
    rows = stored(hand_dir, "XYZ", D1, D1)
    assert n == len(rows) == len(want)
    assert_same_rows(rows, want[_table_columns()])
    assert rows.set_index("contract_symbol").loc["EXPIRES_TODAY_ABSENT", "flow_class"] == "closed"
    assert "EXPIRED" not in set(rows["contract_symbol"])


def test_rerun_replaces_rows_and_unknown_symbol_fails_not_found(hand_dir):
    ctx = _context(hand_dir)
    compute_flow(ctx, ["XYZ"], as_of=D1)
    report = compute_flow(ctx, ["XYZ", "NOPE"], as_of=D1)
    assert [a.status for a in report.assets] == ["success", "failed"]
    assert report.assets[1].error_type == "not_found"
    assert len(stored(hand_dir, "XYZ", D1, D1)) == report.assets[0].rows == len(EXPECTED_CLASSES)
    assert list(report.payload) == ["XYZ"]


def test_duplicate_contracts_in_a_snapshot_are_refused(hand_dir):
    _write(hand_dir, "DUP", D1, [TODAY[0], TODAY[0]], nan_as_null=False)
    pairs = [FlowPair("DUP", D1, D0, "snapshots/DUP/2024-03-05.parquet", None)]
    with (
        pytest.raises(BadPayloadError, match="duplicate contract_symbol"),
        _context(hand_dir).warehouse.writer() as conn,
    ):
        compute_flow_sql(conn, hand_dir, pairs, datetime(2024, 3, 5))
    report = compute_flow(_context(hand_dir), ["DUP"], as_of=D1)
    assert report.status == "failed" and "duplicate" in report.assets[0].error_message
