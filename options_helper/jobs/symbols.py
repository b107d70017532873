"""Which symbols a job runs on: --symbol and/or --watchlist, else portfolio underlyings +
the 'default' watchlist."""

from __future__ import annotations

from options_helper.config import Config
from options_helper.domain.portfolio import Portfolio, Watchlists, normalize_symbol
from options_helper.errors import BadInputError
from options_helper.files.jsonfiles import load_model

DEFAULT_WATCHLIST = "default"
SYMBOL_HINT = "pass a ticker like AAPL or BRK.B (several: repeat the flag or separate by commas)"


def parse_symbols(raw: list[str], flag: str = "--symbol") -> list[str]:
    """Normalise user symbols (comma-separated values allowed), keeping order, no duplicates.

    Values were given but name no symbol ('', ',,', blanks): BadInputError naming ``flag``,
    never an empty selection that a job would run over as if it were a success.
    """
    out: list[str] = []
    for item in raw:
        for part in item.split(","):
            if not part.strip():
                continue
            try:
                sym = normalize_symbol(part)
            except ValueError as exc:
                raise BadInputError(str(exc), hint=SYMBOL_HINT) from exc
            if sym not in out:
                out.append(sym)
    if raw and not out:
        given = " ".join(repr(r) for r in raw)
        raise BadInputError(f"{flag} {given} names no symbol", hint=SYMBOL_HINT)
    return out


def select_symbols(
    config: Config, symbols: list[str] | None = None, watchlist: str | None = None
) -> list[str]:
    """Resolve the job's symbols: --symbol values, then the --watchlist's (both may be given),
    else the portfolio's underlyings + the 'default' watchlist. BadInputError when a symbol
    is invalid, the watchlist is unknown, or the selection is empty."""
    selected = parse_symbols(symbols) if symbols is not None else []
    if watchlist is not None:
        lists = load_model(config.watchlists_path, Watchlists).lists
        if watchlist not in lists:
            known = ", ".join(sorted(lists)) or "none"
            raise BadInputError(
                f"unknown watchlist {watchlist!r} (known: {known})",
                hint=f"create it with `options-helper watchlist add {watchlist} SYMBOL`",
            )
        selected += [s for s in lists[watchlist] if s not in selected]
        if not selected:
            raise BadInputError(
                f"watchlist {watchlist!r} is empty",
                hint=f"add symbols with `options-helper watchlist add {watchlist} SYMBOL`",
            )
    if selected:
        return selected
    lists = load_model(config.watchlists_path, Watchlists).lists
    portfolio = load_model(config.portfolio_path, Portfolio)
    selected = sorted({*portfolio.underlyings(), *lists.get(DEFAULT_WATCHLIST, [])})
    if not selected:
        raise BadInputError(
            "no symbols selected",
            hint="pass --symbol AAPL, --watchlist NAME, or add symbols to the 'default' watchlist",
        )
    return selected
