"""Typer CLI: thin commands that parse flags, call one job and render its report."""

from options_helper.cli import metavars

metavars.install()
