"""pith core: session, loop, context manager, model backends. Never imports textual or typer."""

__version__ = "0.2.0"
