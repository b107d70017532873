"""OCC/OSI option symbols: ``AAPL  240119C00150000`` or compact ``AAPL240119C00150000``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_OSI_RE = re.compile(r"^(?P<root>[A-Z0-9.]{1,6})\s*(?P<yymmdd>\d{6})(?P<cp>[CP])(?P<strike>\d{8})$")


class OsiError(ValueError):
    """A string that is not an OSI option symbol."""


@dataclass(frozen=True, slots=True)
class OptionSymbol:
    root: str
    expiry: date
    option_type: str  # "call" | "put"
    strike: float

    def compact(self) -> str:
        return format_osi(self.root, self.expiry, self.option_type, self.strike)


def format_osi(root: str, expiry: date, option_type: str, strike: float) -> str:
    """Compact OSI symbol (no padding), as Alpaca and Yahoo print it.

    Strike is encoded in thousandths of a dollar, 8 digits.
    """
    cp = "C" if option_type.lower().startswith("c") else "P"
    milli = round(strike * 1000)
    if milli < 0 or milli >= 10**8:
        raise OsiError(f"strike {strike} cannot be encoded in an OSI symbol")
    return f"{root.upper()}{expiry:%y%m%d}{cp}{milli:08d}"


def parse_osi(symbol: str) -> OptionSymbol:
    m = _OSI_RE.match(symbol.strip().upper())
    if not m:
        raise OsiError(f"not an OSI option symbol: {symbol!r}")
    yymmdd = m["yymmdd"]
    try:
        expiry = date(2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:]))
    except ValueError as exc:
        raise OsiError(f"bad expiry in OSI symbol {symbol!r}") from exc
    return OptionSymbol(
        root=m["root"],
        expiry=expiry,
        option_type="call" if m["cp"] == "C" else "put",
        strike=int(m["strike"]) / 1000.0,
    )
