"""Day-over-day open-interest flow per contract, aggregation and window netting (pure).

Open interest is published with a one-session lag: the snapshot of session S carries the OCC
count at the close of the session before S. So the ΔOI between the snapshots of ``session`` and
``previous_session`` was produced by trading on ``previous_session``, whose volume is in the
*previous* snapshot. That aligned volume (``volume_prev``) drives ``churn`` and
``volume_notional_usd``; the snapshot's own volume is kept as ``volume``. See docs/metrics.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

CONTRACT_MULTIPLIER = 100

# building / unwinding: |ΔOI| >= max(BUILD_MIN_CONTRACTS, BUILD_MIN_FRACTION * prior OI).
BUILD_MIN_CONTRACTS = 10
BUILD_MIN_FRACTION = 0.10
# churn: aligned volume >= max(CHURN_MIN_VOLUME, CHURN_MIN_FRACTION * prior OI) without such ΔOI.
CHURN_MIN_VOLUME = 50
CHURN_MIN_FRACTION = 0.50

FLOW_CLASSES = ("building", "unwinding", "churn", "opened", "closed", "quiet", "unknown")

# Upper DTE edge (inclusive) of each bucket; the last bucket is open-ended.
DTE_BUCKETS = (("0-7", 7), ("8-30", 30), ("31-90", 90), ("90+", None))

GROUP_KEYS = {
    "contract": ["contract_symbol", "expiry", "strike"],
    "strike": ["strike"],
    "expiry": ["expiry"],
    "expiry-strike": ["expiry", "strike"],
    "dte-bucket": ["dte_bucket"],
}

FLOW_COLUMNS = [
    "contract_symbol",
    "underlying",
    "expiry",
    "strike",
    "option_type",
    "dte",
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
    "flow_class",
    "gap",
    "session",
    "prev_session",
]

SUM_COLUMNS = [
    "oi_prev",
    "oi",
    "delta_oi",
    "volume",
    "volume_prev",
    "volume_notional_usd",
    "delta_oi_notional_usd",
    "delta_notional_usd",
]

_CONTRACT_FIELDS = ["underlying", "expiry", "strike", "option_type"]


def _mark(df: pd.DataFrame) -> pd.Series:
    """mid when both sides are quoted (the snapshot leaves mid NaN otherwise), else last."""
    return df["mid"].astype(float).where(df["mid"].notna(), df["last"].astype(float))


def _side(df: pd.DataFrame) -> pd.DataFrame:
    if df["contract_symbol"].duplicated().any():
        raise ValueError("snapshot has duplicate contract_symbol rows")
    out = df.reindex(columns=["contract_symbol", *_CONTRACT_FIELDS]).copy()
    out["mark"] = _mark(df).to_numpy()
    out["delta"] = df["delta"].astype(float).to_numpy()
    out["spot"] = df["spot"].astype(float).to_numpy()
    out["oi"] = df["open_interest"].astype(float).to_numpy()
    out["volume"] = df["volume"].astype(float).to_numpy()
    return out.set_index("contract_symbol")


def _dte_days(expiry: pd.Series, session: date) -> pd.Series:
    return (pd.to_datetime(expiry) - pd.Timestamp(session)).dt.days.astype("Int64")


def _times(qty: pd.Series, price: pd.Series) -> pd.Series:
    """qty × price × 100; exactly 0 where qty is 0, even when the contract has no price."""
    return (qty * price * CONTRACT_MULTIPLIER).mask(qty == 0, 0.0)


def classify_flow(delta_oi: pd.Series, oi_prev: pd.Series, volume_prev: pd.Series) -> pd.Series:
    """building / unwinding / churn / quiet, or unknown where an input is missing.

    Args:
        delta_oi: ΔOI in contracts.
        oi_prev: prior open interest (the base of the relative thresholds).
        volume_prev: the volume of the session that produced the ΔOI.
    """
    build_min = np.maximum(BUILD_MIN_CONTRACTS, BUILD_MIN_FRACTION * oi_prev)
    churn_min = np.maximum(CHURN_MIN_VOLUME, CHURN_MIN_FRACTION * oi_prev)
    oi_known = delta_oi.notna() & oi_prev.notna()
    building = oi_known & (delta_oi >= build_min)
    unwinding = oi_known & (delta_oi <= -build_min)
    moved = building | unwinding
    churn = oi_known & ~moved & (volume_prev >= churn_min)
    quiet = oi_known & ~moved & (volume_prev < churn_min)
    label = np.select(
        [building, unwinding, churn, quiet],
        ["building", "unwinding", "churn", "quiet"],
        default="unknown",
    )
    return pd.Series(label, index=delta_oi.index, dtype=object)


def contract_flow(
    today: pd.DataFrame,
    previous: pd.DataFrame | None,
    *,
    session: date,
    previous_session: date,
    today_expired_ok: bool = True,
    first_session: bool = False,
    listed_today: Iterable[str] = (),
    listed_prev: Iterable[str] = (),
) -> pd.DataFrame:
    """Per-contract flow between the snapshots of ``previous_session`` and ``session``.

    One row per contract present today or yesterday, except contracts that are absent today
    because they expired. The absent side of an ``opened`` / ``closed`` contract counts as zero
    open interest and zero volume (not listed then). With ``previous`` None every row is
    ``unknown`` with ΔOI NaN, never bridged; it is a ``gap`` unless ``first_session``.

    Args:
        today: snapshot of ``session`` (snapshot columns, see docs/pricing.md).
        previous: snapshot of the XNYS session just before ``session``, or None if missing.
        today_expired_ok: a contract expiring on ``session`` that is missing from today's
            snapshot counts as expired (dropped), not ``closed``; providers often drop
            contracts on their expiration day.
        first_session: ``session`` is the symbol's first stored snapshot, so no previous one
            is expected: its rows are ``unknown`` but not a data gap.
        listed_today: contracts other evidence shows listed on ``session`` (a later snapshot,
            ``option_contracts``): absent from today's snapshot they are ``unknown``, not
            ``closed`` (a hole in the snapshot, not a delisting).
        listed_prev: likewise for ``previous_session``: absent from the previous snapshot
            they are ``unknown``, not ``opened``.

    Returns:
        FLOW_COLUMNS, values for ``closed`` rows (mark, delta, spot) from their last snapshot.
    """
    cur = _side(today)
    prev = _side(previous) if previous is not None else cur.iloc[:0]
    symbols = cur.index.union(prev.index, sort=False)
    in_today = symbols.isin(cur.index)
    in_prev = symbols.isin(prev.index)
    c = cur.reindex(symbols)
    p = prev.reindex(symbols)
    out = pd.DataFrame(index=symbols)
    # A closed contract is described by its last snapshot.
    for name in [*_CONTRACT_FIELDS, "mark", "delta", "spot"]:
        out[name] = c[name].where(in_today, p[name])
    if previous is None:
        out["oi"] = c["oi"]
        out["volume"] = c["volume"]
        out["oi_prev"] = np.nan
        out["volume_prev"] = np.nan
        out["delta_oi"] = np.nan
    else:
        # The absent side was not listed then: zero open interest and zero volume.
        out["oi"] = c["oi"].where(in_today, 0.0)
        out["volume"] = c["volume"].where(in_today, 0.0)
        out["oi_prev"] = p["oi"].where(in_prev, 0.0)
        out["volume_prev"] = p["volume"].where(in_prev, 0.0)
        out["delta_oi"] = out["oi"] - out["oi_prev"]
    out = out.rename_axis("contract_symbol").reset_index()
    out["expiry"] = pd.to_datetime(out["expiry"]).dt.date
    out["dte"] = _dte_days(out["expiry"], session)
    dte = out["dte"].to_numpy(dtype=float, na_value=np.nan)
    expired = (dte <= 0) if today_expired_ok else (dte < 0)
    flow_class = classify_flow(out["delta_oi"], out["oi_prev"], out["volume_prev"])
    if previous is not None:
        # A contract missing from one snapshot but listed then is a hole in the data: ΔOI
        # against an assumed zero would book its whole open interest as opened or closed.
        # Its missing side is unknown, not zero.
        prev_hole = ~in_prev & symbols.isin(list(listed_prev))
        today_hole = ~in_today & symbols.isin(list(listed_today))
        flow_class = flow_class.mask(~in_prev, "opened").mask(~in_today, "closed")
        flow_class = flow_class.mask(prev_hole | today_hole, "unknown")
        for name in ("oi_prev", "volume_prev"):
            out[name] = out[name].mask(prev_hole)
        for name in ("oi", "volume"):
            out[name] = out[name].mask(today_hole)
        out["delta_oi"] = out["delta_oi"].mask(prev_hole | today_hole)
    out["flow_class"] = flow_class
    out["volume_notional_usd"] = _times(out["volume_prev"], out["mark"])
    out["delta_oi_notional_usd"] = _times(out["delta_oi"], out["mark"])
    out["delta_notional_usd"] = _times(out["delta_oi"], out["delta"] * out["spot"])
    out["gap"] = previous is None and not first_session
    out["session"] = session
    out["prev_session"] = previous_session
    return out.loc[in_today | ~expired, FLOW_COLUMNS].reset_index(drop=True)


def dte_bucket(dte: pd.Series) -> pd.Series:
    """'0-7', '8-30', '31-90' or '90+' (edges inclusive on the upper side); NaN stays NaN."""
    d = pd.to_numeric(dte, errors="coerce").astype(float)
    conditions = [d <= upper for _, upper in DTE_BUCKETS[:-1]] + [d.notna()]
    labels = [label for label, _ in DTE_BUCKETS]
    out = np.select(conditions, labels, default="")
    return pd.Series(out, index=dte.index, dtype=object).replace("", np.nan)


def aggregate_flow(rows: pd.DataFrame, by: str) -> pd.DataFrame:
    """Sum flow rows by ``by`` and option type, largest |ΔOI notional| first.

    Args:
        rows: contract_flow (or net_window) output.
        by: contract | strike | expiry | expiry-strike | dte-bucket.

    Returns:
        The group keys, ``option_type`` (one row per call / put group), SUM_COLUMNS summed
        over known values (NaN when none is known), ``n_contracts``, one ``n_<class>`` count
        per flow class, ``n_no_delta`` (rows without a delta, missing from the
        delta-notional sum), and ``gap`` (any row a gap).
    """
    if by not in GROUP_KEYS:
        raise ValueError(f"unknown group-by {by!r}; expected one of {', '.join(GROUP_KEYS)}")
    df = rows.copy()
    if by == "dte-bucket":
        df["dte_bucket"] = dte_bucket(df["dte"])
    keys = [*GROUP_KEYS[by], "option_type"]
    for cls in FLOW_CLASSES:
        df[f"n_{cls}"] = (df["flow_class"] == cls).astype(int)
    df["n_contracts"] = 1
    # Rows without a delta drop out of the delta-notional sum: the count makes a partial sum
    # visible.
    df["n_no_delta"] = df["delta"].isna().astype(int)
    counts = ["n_contracts", *(f"n_{cls}" for cls in FLOW_CLASSES), "n_no_delta"]
    grouped = df.groupby(keys, dropna=False, sort=True)
    out = grouped[SUM_COLUMNS].sum(min_count=1)
    out[counts] = grouped[counts].sum()
    out["gap"] = grouped["gap"].any()
    out = out.reset_index()
    order = (
        out["delta_oi_notional_usd"]
        .abs()
        .sort_values(ascending=False, na_position="last", kind="stable")
    )
    return out.loc[order.index].reset_index(drop=True)


def net_window(rows_by_session: list[pd.DataFrame]) -> pd.DataFrame:
    """Net N consecutive sessions of contract_flow rows per contract.

    ΔOI, volumes and notionals are summed (NaN if any session's value is NaN); ``oi_prev`` is
    the first, ``oi``/``mark``/``delta``/``spot``/``dte`` the last observation; the class is
    recomputed on the netted values (``opened`` if the contract's first row was, ``closed`` if
    its last row was). A contract is a gap if any of its sessions was, or if the frames are not
    a chain (a frame's ``prev_session`` is not the previous frame's ``session``); gap rows are
    ``unknown`` with NaN sums.

    Returns:
        FLOW_COLUMNS plus ``n_sessions``; ``prev_session`` is the window's start (exclusive)
        and ``session`` its end.
    """
    frames = [f for f in rows_by_session if len(f)]
    if not frames:
        return pd.DataFrame(columns=[*FLOW_COLUMNS, "n_sessions"])
    frames.sort(key=lambda f: f["session"].iloc[0])
    sessions = [f["session"].iloc[0] for f in frames]
    prevs = [f["prev_session"].iloc[0] for f in frames]
    broken = any(p != s for p, s in zip(prevs[1:], sessions[:-1], strict=True))
    df = pd.concat(frames, ignore_index=True)
    first = df.drop_duplicates("contract_symbol", keep="first").set_index("contract_symbol")
    last = df.drop_duplicates("contract_symbol", keep="last").set_index("contract_symbol")
    by_contract = df.groupby("contract_symbol", sort=False)
    out = last[["underlying", "expiry", "strike", "option_type", "dte", "spot", "mark", "delta"]]
    out = out.copy()
    out["oi_prev"] = first["oi_prev"]
    out["oi"] = last["oi"]
    sums = [c for c in SUM_COLUMNS if c not in ("oi_prev", "oi")]
    any_nan = df[sums].isna().groupby(df["contract_symbol"], sort=False).any()
    gap = by_contract["gap"].any().reindex(out.index) | broken
    for name in sums:
        total = by_contract[name].sum(min_count=1).reindex(out.index)
        out[name] = total.mask(any_nan[name].reindex(out.index) | gap)
    flow_class = classify_flow(out["delta_oi"], out["oi_prev"], out["volume_prev"])
    flow_class = flow_class.mask(first["flow_class"] == "opened", "opened")
    flow_class = flow_class.mask(last["flow_class"] == "closed", "closed")
    out["flow_class"] = flow_class.mask(gap, "unknown")
    out["gap"] = gap
    out["session"] = sessions[-1]
    out["prev_session"] = prevs[0]
    out["n_sessions"] = by_contract.size().reindex(out.index)
    return out.reset_index()[[*FLOW_COLUMNS, "n_sessions"]]
