"""`portfolio init | add | remove | list`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from options_helper.cli.params import parse_date
from options_helper.cli.portfolio_view import portfolio_view
from options_helper.cli.render import emit
from options_helper.cli.state import state
from options_helper.domain.portfolio import Portfolio
from options_helper.errors import BadInputError
from options_helper.jobs.portfolio_admin import (
    add_position,
    build_position,
    init_portfolio,
    load_portfolio,
    next_position_id,
    remove_position,
)
from options_helper.jobs.portfolio_analysis import (
    DEFAULT_DAYS,
    DEFAULT_SPOT_SHOCKS_PCT,
    DEFAULT_VOL_SHOCKS_PTS,
    analyze_configured_portfolio,
)

app = typer.Typer(no_args_is_help=True)


def _parse_leg(spec: str) -> dict:
    """``call:STRIKE:EXPIRY:QTY:PRICE``, ``put:...`` or ``stock:QTY:PRICE``."""
    parts = [p.strip() for p in spec.split(":")]
    kind = parts[0].lower()
    try:
        if kind == "stock" and len(parts) == 3:
            return {"kind": "stock", "quantity": int(parts[1]), "entry_price": float(parts[2])}
        if kind in ("call", "put") and len(parts) == 5:
            return {
                "kind": kind,
                "strike": float(parts[1]),
                "expiry": parse_date(parts[2], "--leg"),
                "quantity": int(parts[3]),
                "entry_price": float(parts[4]),
            }
    except ValueError:
        pass
    raise BadInputError(
        f"bad --leg {spec!r}",
        hint="use call:STRIKE:YYYY-MM-DD:QTY:PRICE, put:..., or stock:QTY:PRICE (QTY<0 = short)",
    )


def _table(p: Portfolio) -> Table:
    t = Table(
        "id",
        "symbol",
        "leg",
        "qty",
        "strike",
        "expiry",
        "entry",
        title=f"portfolio — cash {p.cash:,.2f}",
    )
    for pos in p.positions:
        for i, leg in enumerate(pos.legs):
            t.add_row(
                pos.id if i == 0 else "",
                pos.symbol if i == 0 else "",
                leg.kind,
                f"{leg.quantity:+d}",
                f"{leg.strike:g}" if leg.strike else "",
                str(leg.expiry or ""),
                f"{leg.entry_price:,.2f}",
            )
    return t


@app.command("init")
def init(
    ctx: typer.Context,
    cash: Annotated[float, typer.Option(help="Starting cash in USD.")] = 0.0,
    force: Annotated[bool, typer.Option(help="Replace an existing portfolio file.")] = False,
) -> None:
    """Create an empty portfolio file."""
    st = state(ctx)
    cfg = st.config()
    p = init_portfolio(cfg.portfolio_path, cash=cash, force=force)
    emit(st, p, human=f"created {cfg.portfolio_path} (cash {p.cash:,.2f})")


@app.command("add")
def add(
    ctx: typer.Context,
    symbol: Annotated[
        str, typer.Option("--symbol", "-s", metavar="SYMBOL", help="Underlying symbol.")
    ],
    kind: Annotated[
        str | None, typer.Option("--type", help="call | put | stock (single leg).")
    ] = None,
    strike: Annotated[float | None, typer.Option(help="Strike (options).")] = None,
    expiry: Annotated[
        str | None, typer.Option(metavar="DATE", help="Expiry YYYY-MM-DD (options).")
    ] = None,
    qty: Annotated[
        int | None, typer.Option(help="Signed quantity: contracts or shares; <0 = short.")
    ] = None,
    price: Annotated[float | None, typer.Option(help="Entry price per share.")] = None,
    leg: Annotated[
        list[str] | None,
        typer.Option(
            help="Leg spec for multi-leg positions (repeatable): call:STRIKE:EXPIRY:QTY:PRICE."
        ),
    ] = None,
    position_id: Annotated[
        str | None, typer.Option("--id", help="Position id (default SYMBOL-N).")
    ] = None,
    note: Annotated[str, typer.Option(help="Free-text note.")] = "",
) -> None:
    """Add a position with one leg (--type ...) or several (--leg ... repeated)."""
    st = state(ctx)
    cfg = st.config()
    legs = [_parse_leg(s) for s in leg or []]
    if kind is not None:
        legs.append(
            {
                "kind": kind.lower(),
                "strike": strike,
                "expiry": parse_date(expiry, "--expiry"),
                "quantity": qty,
                "entry_price": price,
            }
        )
    if not legs:
        raise BadInputError(
            "no legs given", hint="pass --type/--strike/--expiry/--qty/--price or --leg"
        )
    current = load_portfolio(cfg.portfolio_path)
    pid = position_id or next_position_id(current, symbol.strip().upper())
    position = build_position({"id": pid, "symbol": symbol, "legs": legs, "note": note})
    updated = add_position(cfg.portfolio_path, position)
    emit(st, updated, human=_table(updated))


@app.command("remove")
def remove(
    ctx: typer.Context, position_id: Annotated[str, typer.Argument(help="Position id.")]
) -> None:
    """Remove a position by id."""
    st = state(ctx)
    updated = remove_position(st.config().portfolio_path, position_id)
    emit(st, updated, human=_table(updated))


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """Show the positions."""
    st = state(ctx)
    p = load_portfolio(st.config().portfolio_path)
    emit(st, p, human=_table(p))


@app.command("analyze")
def analyze(
    ctx: typer.Context,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="DATE", help="Valuation date (default: latest snapshot)."),
    ] = None,
    spot_shock_pct: Annotated[
        list[str] | None,
        typer.Option(
            help="Spot shock in % (5 = +5%); repeatable, lists 1,2 or ranges -10:10:5 "
            f"(default {','.join(DEFAULT_SPOT_SHOCKS_PCT)})."
        ),
    ] = None,
    vol_shock_pts: Annotated[
        list[str] | None,
        typer.Option(
            help="Vol shock in points (5 = +0.05); as above "
            f"(default {','.join(DEFAULT_VOL_SHOCKS_PTS)})."
        ),
    ] = None,
    days: Annotated[
        list[str] | None,
        typer.Option(help=f"Calendar days forward; as above (default {','.join(DEFAULT_DAYS)})."),
    ] = None,
) -> None:
    """Mark each leg from the latest snapshot (market mid), P&L, Greeks, stress grid.

    A snapshot older than --as-of is used with a warning: its marks are from its own date.
    """
    st = state(ctx)
    cfg = st.config()
    job = st.job_context(cfg)
    report = analyze_configured_portfolio(
        cfg,
        as_of=parse_date(as_of, "--as-of"),
        latest_session=job.latest_session(),
        spot_shocks_pct=spot_shock_pct,
        vol_shocks_pts=vol_shock_pts,
        days=days,
    )
    emit(st, report, human=portfolio_view(report))
