"""Modal screens of the pith terminal UI: approval, help, sessions."""
