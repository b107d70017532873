"""Portfolio and watchlist file administration (validated, atomic, never half-written)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from options_helper.domain.portfolio import Portfolio, Position, Watchlists, normalize_symbol
from options_helper.errors import BadInputError
from options_helper.files.jsonfiles import describe_validation_error, load_model, save_model

PORTFOLIO_HINT = "create it with `options-helper portfolio init` (or run `options-helper demo`)"


def init_portfolio(path: Path, *, cash: float = 0.0, force: bool = False) -> Portfolio:
    """Create an empty portfolio file; refuses to overwrite unless ``force``."""
    if path.exists() and not force:
        raise BadInputError(f"{path} already exists", hint="pass --force to replace it")
    try:
        portfolio = Portfolio(cash=cash)
    except ValidationError as exc:
        raise BadInputError(f"invalid portfolio: {describe_validation_error(exc)}") from exc
    save_model(path, portfolio)
    return portfolio


def load_portfolio(path: Path) -> Portfolio:
    return load_model(path, Portfolio)


def build_position(raw: dict) -> Position:
    """Validate a position from user input; one-line BadInputError naming the field."""
    try:
        return Position.model_validate(raw)
    except ValidationError as exc:
        raise BadInputError(f"invalid position: {describe_validation_error(exc)}") from exc


def add_position(path: Path, position: Position) -> Portfolio:
    portfolio = load_model(path, Portfolio)
    try:
        updated = portfolio.with_position(position)
    except ValueError as exc:
        raise BadInputError(str(exc), hint="choose another --id") from exc
    save_model(path, updated)
    return updated


def remove_position(path: Path, position_id: str) -> Portfolio:
    portfolio = load_model(path, Portfolio, missing_ok=False, missing_hint=PORTFOLIO_HINT)
    try:
        updated = portfolio.without_position(position_id)
    except KeyError:
        ids = ", ".join(p.id for p in portfolio.positions) or "none"
        raise BadInputError(f"no position with id {position_id!r} (ids: {ids})") from None
    save_model(path, updated)
    return updated


def next_position_id(portfolio: Portfolio, symbol: str) -> str:
    taken = {p.id for p in portfolio.positions}
    n = 1
    while f"{symbol.lower()}-{n}" in taken:
        n += 1
    return f"{symbol.lower()}-{n}"


def load_watchlists(path: Path) -> Watchlists:
    return load_model(path, Watchlists)


def add_to_watchlist(path: Path, name: str, symbols: list[str]) -> Watchlists:
    if not name.strip():
        raise BadInputError("a watchlist needs a name", hint="e.g. `watchlist add tech AAPL`")
    wl = load_model(path, Watchlists)
    lists = dict(wl.lists)
    lists[name] = sorted({*lists.get(name, []), *(normalize_symbol(s) for s in symbols)})
    updated = Watchlists(lists=lists)
    save_model(path, updated)
    return updated


def remove_from_watchlist(path: Path, name: str, symbols: list[str] | None) -> Watchlists:
    """Remove symbols from a list, or the whole list when ``symbols`` is empty."""
    wl = load_model(path, Watchlists)
    if name not in wl.lists:
        raise BadInputError(
            f"unknown watchlist {name!r}", hint="see `options-helper watchlist list`"
        )
    lists = dict(wl.lists)
    if symbols:
        drop = {normalize_symbol(s) for s in symbols}
        lists[name] = [s for s in lists[name] if s not in drop]
    else:
        del lists[name]
    updated = Watchlists(lists=lists)
    save_model(path, updated)
    return updated
