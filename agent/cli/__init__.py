"""The `pith` command line (typer): one module per command group."""
