"""`config show`."""

from __future__ import annotations

import typer
from rich.table import Table

from options_helper.cli.render import emit
from options_helper.cli.state import state
from options_helper.config import SETTINGS, env_value, resolve_sources

app = typer.Typer(no_args_is_help=True)


@app.command("show")
def show(ctx: typer.Context) -> None:
    """Effective settings, where each value came from, and the env var that sets it."""
    st = state(ctx)
    cfg = st.config()
    values = cfg.asdict()
    values["db"], values["portfolio"] = values.pop("db_path"), values.pop("portfolio_path")
    overrides = {**st.overrides, "triggered_by": st.triggered_by}
    sources = resolve_sources(overrides)
    for s in SETTINGS:
        if not s.in_config:  # read by one component, which validates it: shown as given
            values[s.name] = overrides.get(s.name) or env_value(s.name) or s.default
    rows = [
        {
            "name": s.name,
            "value": values[s.name],
            "source": sources[s.name],
            "env": s.env,
            "help": s.help,
        }
        for s in SETTINGS
    ]
    table = Table("setting", "value", "source", "env var", title="options-helper configuration")
    for r in rows:
        table.add_row(r["name"], str(r["value"]), r["source"], r["env"])
    emit(st, {"settings": rows}, human=table)
