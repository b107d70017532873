"""options-helper: local-first research tool for US equity options."""

__version__ = "0.1.0"
