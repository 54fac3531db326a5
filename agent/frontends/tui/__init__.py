"""The textual terminal UI: built only on the core's events and ops."""
