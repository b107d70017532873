"""Checks of ``options_bars`` (partition = underlying symbol).

Each check runs its queries once for all the underlyings of a run (``*_batch``); the
``options_bars_*`` functions are the same checks on one underlying.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from options_helper.domain.osi import OsiError, parse_osi
from options_helper.observability.checks.base import BatchInput, Outcome, one_partition
from options_helper.observability.checks.generic import KEYS_SQL, duplicate_keys_batch

ASSET = "options_bars"

# The bars of the batch's underlyings, with the underlying as `_key`.
_BARS = f"{KEYS_SQL} p JOIN options_bars b ON b.underlying = p._key"


def _no_rows(underlying: str) -> Outcome:
    return Outcome("skip", f"no option bars stored for {underlying}", {"rows": 0})


no_duplicates_batch = duplicate_keys_batch(
    "options_bars", ("contract_symbol", "session"), "underlying"
)


def nonnegative_prices_batch(batch: BatchInput) -> dict[str, Outcome]:
    """No bar has a negative (or non-finite) open, high, low or close, or a negative volume."""
    rows = batch.conn.execute(
        f"""
        WITH b AS (
            SELECT p._key, b.contract_symbol, b.session,
                   least(b.open, b.high, b.low, b.close) < 0 OR b.volume < 0 AS negative,
                   NOT (isfinite(b.open) AND isfinite(b.high) AND isfinite(b.low)
                        AND isfinite(b.close)) AS non_finite
            FROM {_BARS}
        )
        SELECT _key, count(*), count(*) FILTER (WHERE negative),
               count(*) FILTER (WHERE non_finite),
               min({{'contract_symbol': contract_symbol, 'session': session}})
                   FILTER (WHERE negative OR non_finite)
        FROM b GROUP BY _key
        """,
        {"keys": list(batch.partition_keys)},
    ).fetchall()
    found = {r[0]: r[1:] for r in rows}
    out = {}
    for underlying in batch.partition_keys:
        if underlying not in found:
            out[underlying] = _no_rows(underlying)
            continue
        n, negative, non_finite, first = found[underlying]
        metrics = {
            "rows": n,
            "negative_rows": negative,
            "non_finite_rows": non_finite,
            "first_bad": first,
        }
        if negative or non_finite:
            parts = [
                f"{negative} with a negative price or volume" if negative else "",
                f"{non_finite} with a non-finite price" if non_finite else "",
            ]
            out[underlying] = Outcome(
                "fail",
                f"{' and '.join(p for p in parts if p)} among {n} bars "
                f"(first {first['contract_symbol']} on {first['session']})",
                metrics,
            )
        else:
            out[underlying] = Outcome(
                "pass", f"all {n} bars have non-negative prices and volume", metrics
            )
    return out


def after_expiry_batch(batch: BatchInput) -> dict[str, Outcome]:
    """No bar is dated after its contract's expiry (from option_contracts, else the OSI symbol)."""
    conn = batch.conn
    # Per underlying: bars, contracts, the late bars of contracts with a known expiry (and the
    # first such contract), and the contracts option_contracts does not know.
    summary = {
        key: rest
        for key, *rest in conn.execute(
            f"""
            WITH b AS (SELECT p._key, b.contract_symbol, b.session FROM {_BARS}),
            c AS (
                SELECT contract_symbol, max(expiry) AS expiry FROM option_contracts
                WHERE contract_symbol IN (SELECT contract_symbol FROM b) GROUP BY contract_symbol
            ),
            k AS (
                SELECT b._key, b.contract_symbol, any_value(c.expiry) AS expiry, count(*) AS n,
                       max(b.session) AS last_session,
                       count(*) FILTER (WHERE b.session > c.expiry) AS late,
                       min(b.session) FILTER (WHERE b.session > c.expiry) AS first_late
                FROM b LEFT JOIN c USING (contract_symbol) GROUP BY b._key, b.contract_symbol
            )
            SELECT _key, sum(n), count(*), sum(late), count(*) FILTER (WHERE late > 0),
                   arg_min({{'contract_symbol': contract_symbol, 'session': first_late,
                             'expiry': expiry}}, contract_symbol) FILTER (WHERE late > 0),
                   list({{'contract_symbol': contract_symbol, 'last_session': last_session}})
                       FILTER (WHERE expiry IS NULL)
            FROM k GROUP BY _key
            """,
            {"keys": list(batch.partition_keys)},
        ).fetchall()
    }
    from_symbol: dict[tuple[str, str], date] = {}  # (underlying, contract) -> parsed expiry
    unresolved = dict.fromkeys(summary, 0)
    for key, (*_counts, unknown) in summary.items():
        for contract in unknown or []:
            try:
                parsed = parse_osi(contract["contract_symbol"]).expiry
            except OsiError:
                unresolved[key] += 1
                continue
            if contract["last_session"] > parsed:
                from_symbol[(key, contract["contract_symbol"])] = parsed
    # contract -> (late bars, first late session, expiry), by underlying
    late_by_symbol: dict[str, dict[str, tuple[int, Any, Any]]] = {k: {} for k in summary}
    if from_symbol:
        # Contracts missing from option_contracts: count their late bars against the parsed expiry.
        (keys, names), expiries = zip(*from_symbol, strict=True), list(from_symbol.values())
        for key, symbol, late, first_late in conn.execute(
            """
            SELECT p.underlying, b.contract_symbol, count(*), min(b.session)
            FROM options_bars b
            JOIN (SELECT unnest(?::VARCHAR[]) AS underlying,
                         unnest(?::VARCHAR[]) AS contract_symbol,
                         unnest(?::DATE[]) AS expiry) p
              ON b.underlying = p.underlying AND b.contract_symbol = p.contract_symbol
            WHERE b.session > p.expiry
            GROUP BY p.underlying, b.contract_symbol
            """,
            [list(keys), list(names), expiries],
        ).fetchall():
            late_by_symbol[key][symbol] = (late, first_late, from_symbol[(key, symbol)])
    out = {}
    for key in batch.partition_keys:
        if key not in summary:
            out[key] = _no_rows(key)
            continue
        out[key] = _after_expiry_outcome(*summary[key], late_by_symbol[key], unresolved[key])
    return out


def _after_expiry_outcome(
    rows: int,
    contracts: int,
    late_rows: int,
    late_contracts: int,
    first_late: dict[str, Any] | None,
    unknown: list[dict[str, Any]] | None,
    late_by_symbol: dict[str, tuple[int, Any, Any]],
    unresolved: int,
) -> Outcome:
    bad_rows = late_rows + sum(v[0] for v in late_by_symbol.values())
    bad_contracts = late_contracts + len(late_by_symbol)
    metrics = {
        "rows": rows,
        "contracts": contracts,
        "bad_rows": bad_rows,
        "contracts_after_expiry": bad_contracts,
        "expiry_from_symbol": len(unknown or []) - unresolved,
        "unresolved_contracts": unresolved,
    }
    firsts = [(s, session, expiry) for s, (_n, session, expiry) in late_by_symbol.items()]
    if first_late is not None:
        firsts.append((first_late["contract_symbol"], first_late["session"], first_late["expiry"]))
    if firsts:
        first, session, expiry = min(firsts, key=lambda f: f[0])
        metrics["first_bad"] = {"contract_symbol": first, "session": session, "expiry": expiry}
        return Outcome(
            "fail",
            f"{bad_rows} bar(s) of {bad_contracts} contract(s) are dated after expiry "
            f"(e.g. {first} on {session}, expired {expiry})",
            metrics,
        )
    note = f"; {unresolved} contract(s) have no known expiry" if unresolved else ""
    return Outcome("pass", f"no bar after expiry among {rows} bars{note}", metrics)


# The same checks on one underlying (CheckInput -> Outcome).
options_bars_no_duplicates = one_partition(no_duplicates_batch)
options_bars_nonnegative_prices = one_partition(nonnegative_prices_batch)
options_bars_after_expiry = one_partition(after_expiry_batch)
