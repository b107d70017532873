"""Portfolio models (pydantic v2): cash, risk profile, positions of one or more legs.

Quantities are signed: positive = long, negative = short. Option quantities are contracts
(multiplier 100 shares unless stated); stock quantities are shares (multiplier 1, the only
value a stock leg accepts). ``entry_price`` is per share (the option premium as quoted, or the
stock price).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SYMBOL_RE = re.compile(r"^[A-Z][A-Z0-9.]{0,9}$")

LegKind = Literal["call", "put", "stock"]
OPTION_MULTIPLIER = 100  # shares per listed US equity option contract


def normalize_symbol(raw: str) -> str:
    """Upper-case and validate a ticker; raises ValueError with a readable message."""
    sym = raw.strip().upper()
    if not SYMBOL_RE.match(sym):
        raise ValueError(f"invalid symbol {raw!r} (letters, digits and '.', up to 10 characters)")
    return sym


class _Model(BaseModel):
    # NaN and ±inf are never amounts: rejected here they can never be written either (pydantic
    # would serialise them as null, a file the next load refuses).
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Leg(_Model):
    kind: LegKind
    quantity: int = Field(description="signed: + long, - short; contracts or shares")
    entry_price: float = Field(ge=0, description="per share")
    strike: float | None = Field(default=None, gt=0)
    expiry: date | None = None
    multiplier: int = Field(default=OPTION_MULTIPLIER, gt=0, description="shares per unit")

    @model_validator(mode="before")
    @classmethod
    def _stock_multiplier_default(cls, data: Any) -> Any:
        # The field's default is the option contract's; a stock leg's unit is one share.
        if isinstance(data, dict) and data.get("kind") == "stock" and "multiplier" not in data:
            return {**data, "multiplier": 1}
        return data

    @field_validator("quantity")
    @classmethod
    def _nonzero(cls, v: int) -> int:
        if v == 0:
            raise ValueError("quantity must be non-zero (+ long, - short)")
        return v

    @model_validator(mode="after")
    def _option_fields(self) -> Leg:
        if self.kind == "stock":
            if self.strike is not None or self.expiry is not None:
                raise ValueError("a stock leg has no strike or expiry")
            if self.multiplier != 1:
                # Never silently ignored: quantity x entry_price would be off by that factor.
                raise ValueError(
                    f"a stock leg's quantity is in shares, so its multiplier must be 1, got "
                    f"{self.multiplier} (remove the field: earlier versions wrote 100 there "
                    "by default)"
                )
        elif self.strike is None or self.expiry is None:
            raise ValueError(f"a {self.kind} leg needs strike and expiry")
        return self

    @property
    def shares_per_unit(self) -> int:
        return 1 if self.kind == "stock" else self.multiplier


class Position(_Model):
    id: str = Field(min_length=1, max_length=64)
    symbol: str
    legs: list[Leg] = Field(min_length=1)
    opened_on: date | None = None
    note: str = ""

    @field_validator("symbol")
    @classmethod
    def _symbol(cls, v: str) -> str:
        return normalize_symbol(v)

    @property
    def is_multi_leg(self) -> bool:
        return len(self.legs) > 1


class RiskProfile(_Model):
    max_position_pct: float = Field(default=10.0, gt=0, le=100, description="% of equity")
    max_portfolio_delta_pct: float = Field(default=50.0, gt=0, description="% of equity")
    min_dte_warning: int = Field(default=7, ge=0, description="warn below this many DTE")


class Portfolio(_Model):
    cash: float = 0.0
    base_currency: Literal["USD"] = "USD"
    risk_profile: RiskProfile = RiskProfile()
    positions: list[Position] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> Portfolio:
        seen: set[str] = set()
        for p in self.positions:
            if p.id in seen:
                raise ValueError(f"duplicate position id {p.id!r}")
            seen.add(p.id)
        return self

    def underlyings(self) -> list[str]:
        return sorted({p.symbol for p in self.positions})

    def with_position(self, position: Position) -> Portfolio:
        if any(p.id == position.id for p in self.positions):
            raise ValueError(f"position id {position.id!r} already exists")
        return self.model_copy(update={"positions": [*self.positions, position]})

    def without_position(self, position_id: str) -> Portfolio:
        if not any(p.id == position_id for p in self.positions):
            raise KeyError(position_id)
        return self.model_copy(
            update={"positions": [p for p in self.positions if p.id != position_id]}
        )


class Watchlists(_Model):
    lists: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("lists")
    @classmethod
    def _symbols(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        return {name: sorted({normalize_symbol(s) for s in syms}) for name, syms in v.items()}
