"""The `crisis` command line: one module per noun. Prints, parses, owns the transaction."""

from crisis.cli.app import app, main

__all__ = ["app", "main"]
