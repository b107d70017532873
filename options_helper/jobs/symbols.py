"""Which symbols a job runs on: --symbol, --watchlist, or portfolio underlyings + 'default'."""

from __future__ import annotations

from options_helper.config import Config
from options_helper.domain.portfolio import Portfolio, Watchlists, normalize_symbol
from options_helper.errors import BadInputError
from options_helper.files.jsonfiles import load_model

DEFAULT_WATCHLIST = "default"


def parse_symbols(raw: list[str]) -> list[str]:
    """Normalise user symbols (comma-separated values allowed), keeping order, no duplicates."""
    out: list[str] = []
    for item in raw:
        for part in item.split(","):
            if not part.strip():
                continue
            try:
                sym = normalize_symbol(part)
            except ValueError as exc:
                raise BadInputError(str(exc), hint="pass a ticker like AAPL or BRK.B") from exc
            if sym not in out:
                out.append(sym)
    return out


def select_symbols(
    config: Config, symbols: list[str] | None = None, watchlist: str | None = None
) -> list[str]:
    """Resolve the job's symbols; raises BadInputError when the selection is empty."""
    if symbols:
        return parse_symbols(symbols)
    lists = load_model(config.watchlists_path, Watchlists).lists
    if watchlist:
        if watchlist not in lists:
            known = ", ".join(sorted(lists)) or "none"
            raise BadInputError(
                f"unknown watchlist {watchlist!r} (known: {known})",
                hint=f"create it with `options-helper watchlist add {watchlist} SYMBOL`",
            )
        selected = lists[watchlist]
    else:
        portfolio = load_model(config.portfolio_path, Portfolio)
        selected = sorted({*portfolio.underlyings(), *lists.get(DEFAULT_WATCHLIST, [])})
    if not selected:
        raise BadInputError(
            "no symbols selected",
            hint="pass --symbol AAPL, --watchlist NAME, or add symbols to the 'default' watchlist",
        )
    return selected
