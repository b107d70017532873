"""Typer CLI: thin commands that parse flags, call one job and render its report."""
