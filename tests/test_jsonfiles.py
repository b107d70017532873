"""The JSON file writers never write a file the loaders would refuse."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from options_helper.domain.portfolio import Leg, Portfolio, Position, Watchlists
from options_helper.errors import BadInputError
from options_helper.files.jsonfiles import load_model, save_model

ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cash=ANY_FLOAT, price=ANY_FLOAT, strike=ANY_FLOAT, quantity=st.integers(-5, 5))
def test_a_saved_portfolio_always_loads_back_or_is_never_written(
    tmp_path: Path, cash: float, price: float, strike: float, quantity: int
):
    """Models built without validation (``model_construct``, like ``model_copy(update=...)``)
    can hold anything: the writer either writes a file that loads back to the same document,
    or refuses and leaves the previous file as it was."""
    path = tmp_path / "portfolio.json"
    save_model(path, Portfolio(cash=1.0))
    before = path.read_bytes()
    leg = Leg.model_construct(
        kind="call",
        quantity=quantity,
        entry_price=price,
        strike=strike,
        expiry=date(2026, 12, 18),
        multiplier=100,
    )
    position = Position.model_construct(id="p", symbol="AAPL", legs=[leg], opened_on=None, note="")
    doc = Portfolio.model_construct(
        cash=cash, base_currency="USD", risk_profile=Portfolio().risk_profile, positions=[position]
    )
    try:
        save_model(path, doc)
    except BadInputError as exc:
        assert exc.message.startswith(f"refusing to write {path}: invalid portfolio: ")
        assert path.read_bytes() == before
        assert (
            not math.isfinite(cash)
            or not math.isfinite(price)
            or not math.isfinite(strike)
            or (quantity == 0 or price < 0 or strike <= 0)
        )
        return
    assert load_model(path, Portfolio) == doc


def test_a_nan_cash_is_refused_before_anything_is_written(tmp_path: Path):
    path = tmp_path / "portfolio.json"
    with pytest.raises(BadInputError, match=r"cash: Input should be a valid number"):
        save_model(path, Portfolio.model_construct(cash=math.nan, positions=[]))
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_watchlists_round_trip(tmp_path: Path):
    path = tmp_path / "watchlists.json"
    save_model(path, Watchlists(lists={"tech": ["msft", "aapl"]}))
    assert load_model(path, Watchlists).lists == {"tech": ["AAPL", "MSFT"]}
