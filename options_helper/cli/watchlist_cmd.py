"""`watchlist add | remove | list`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from options_helper.cli.render import emit
from options_helper.cli.state import state
from options_helper.domain.portfolio import Watchlists
from options_helper.jobs.portfolio_admin import (
    add_to_watchlist,
    load_watchlists,
    remove_from_watchlist,
)
from options_helper.jobs.symbols import parse_symbols

app = typer.Typer(no_args_is_help=True)


def _table(wl: Watchlists) -> Table:
    t = Table("watchlist", "symbols", title="watchlists")
    for name, syms in sorted(wl.lists.items()):
        t.add_row(name, " ".join(syms) or "(empty)")
    return t


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Watchlist name ('default' is used by jobs).")],
    symbols: Annotated[list[str], typer.Argument(help="Symbols to add.")],
) -> None:
    """Add symbols to a watchlist (created if absent)."""
    st = state(ctx)
    wl = add_to_watchlist(st.config().watchlists_path, name, parse_symbols(symbols, "SYMBOLS"))
    emit(st, wl, human=_table(wl))


@app.command("remove")
def remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Watchlist name.")],
    symbols: Annotated[
        list[str] | None, typer.Argument(help="Symbols (none: drop the list).")
    ] = None,
) -> None:
    """Remove symbols from a watchlist, or the whole watchlist."""
    st = state(ctx)
    wl = remove_from_watchlist(
        st.config().watchlists_path, name, parse_symbols(symbols or [], "SYMBOLS")
    )
    emit(st, wl, human=_table(wl))


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """Show all watchlists."""
    st = state(ctx)
    wl = load_watchlists(st.config().watchlists_path)
    emit(st, wl, human=_table(wl))
