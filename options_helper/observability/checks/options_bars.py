"""Checks of ``options_bars`` (partition = underlying symbol)."""

from __future__ import annotations

from options_helper.domain.osi import OsiError, parse_osi
from options_helper.observability.checks.base import CheckInput, Outcome
from options_helper.observability.checks.generic import duplicate_keys_check, fetch_one

ASSET = "options_bars"


def _no_rows(underlying: str) -> Outcome:
    return Outcome("skip", f"no option bars stored for {underlying}", {"rows": 0})


options_bars_no_duplicates = duplicate_keys_check(
    "options_bars", ("contract_symbol", "session"), "underlying"
)


def options_bars_nonnegative_prices(inp: CheckInput) -> Outcome:
    """No bar has a negative (or non-finite) open, high, low or close, or a negative volume."""
    rows, negative, non_finite, first = fetch_one(
        inp.conn,
        """
        WITH b AS (
            SELECT contract_symbol, session,
                   least(open, high, low, close) < 0 OR volume < 0 AS negative,
                   NOT (isfinite(open) AND isfinite(high) AND isfinite(low) AND isfinite(close))
                       AS non_finite
            FROM options_bars WHERE underlying = ?
        )
        SELECT count(*), count(*) FILTER (WHERE negative), count(*) FILTER (WHERE non_finite),
               min({'contract_symbol': contract_symbol, 'session': session})
                   FILTER (WHERE negative OR non_finite)
        FROM b
        """,
        [inp.partition_key],
    )
    if not rows:
        return _no_rows(inp.partition_key)
    metrics = {
        "rows": rows,
        "negative_rows": negative,
        "non_finite_rows": non_finite,
        "first_bad": first,
    }
    if negative or non_finite:
        parts = [
            f"{negative} with a negative price or volume" if negative else "",
            f"{non_finite} with a non-finite price" if non_finite else "",
        ]
        return Outcome(
            "fail",
            f"{' and '.join(p for p in parts if p)} among {rows} bars "
            f"(first {first['contract_symbol']} on {first['session']})",
            metrics,
        )
    return Outcome("pass", f"all {rows} bars have non-negative prices and volume", metrics)


def options_bars_after_expiry(inp: CheckInput) -> Outcome:
    """No bar is dated after its contract's expiry (from option_contracts, else the OSI symbol)."""
    per_contract = inp.conn.execute(
        """
        WITH b AS (SELECT contract_symbol, session FROM options_bars WHERE underlying = ?),
        c AS (
            SELECT contract_symbol, max(expiry) AS expiry FROM option_contracts
            WHERE contract_symbol IN (SELECT contract_symbol FROM b) GROUP BY contract_symbol
        )
        SELECT b.contract_symbol, any_value(c.expiry), count(*), max(b.session),
               count(*) FILTER (WHERE b.session > c.expiry),
               min(b.session) FILTER (WHERE b.session > c.expiry)
        FROM b LEFT JOIN c USING (contract_symbol) GROUP BY b.contract_symbol
        ORDER BY b.contract_symbol
        """,
        [inp.partition_key],
    ).fetchall()
    if not per_contract:
        return _no_rows(inp.partition_key)
    rows = sum(r[2] for r in per_contract)
    bad: dict[str, tuple[int, object, object]] = {}  # contract -> (bars, first session, expiry)
    from_symbol: dict[str, object] = {}
    unresolved = 0
    for symbol, expiry, _n, last_session, after, first_after in per_contract:
        if expiry is not None:
            if after:
                bad[symbol] = (after, first_after, expiry)
            continue
        try:
            parsed = parse_osi(symbol).expiry
        except OsiError:
            unresolved += 1
            continue
        if last_session > parsed:
            from_symbol[symbol] = parsed
    if from_symbol:
        # Contracts missing from option_contracts: count their late bars against the parsed expiry.
        names, expiries = list(from_symbol), list(from_symbol.values())
        for symbol, after, first_after in inp.conn.execute(
            """
            SELECT b.contract_symbol, count(*), min(b.session)
            FROM options_bars b
            JOIN (SELECT unnest(?::VARCHAR[]) AS contract_symbol,
                         unnest(?::DATE[]) AS expiry) p USING (contract_symbol)
            WHERE b.underlying = ? AND b.session > p.expiry
            GROUP BY b.contract_symbol
            """,
            [names, expiries, inp.partition_key],
        ).fetchall():
            bad[symbol] = (after, first_after, from_symbol[symbol])
    bad_rows = sum(v[0] for v in bad.values())
    metrics = {
        "rows": rows,
        "contracts": len(per_contract),
        "bad_rows": bad_rows,
        "contracts_after_expiry": len(bad),
        "expiry_from_symbol": sum(1 for r in per_contract if r[1] is None) - unresolved,
        "unresolved_contracts": unresolved,
    }
    if bad:
        first = min(bad)
        _n, session, expiry = bad[first]
        metrics["first_bad"] = {"contract_symbol": first, "session": session, "expiry": expiry}
        return Outcome(
            "fail",
            f"{bad_rows} bar(s) of {len(bad)} contract(s) are dated after expiry "
            f"(e.g. {first} on {session}, expired {expiry})",
            metrics,
        )
    note = f"; {unresolved} contract(s) have no known expiry" if unresolved else ""
    return Outcome("pass", f"no bar after expiry among {rows} bars{note}", metrics)
