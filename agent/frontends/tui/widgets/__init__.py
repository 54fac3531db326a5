"""Widgets of the pith terminal UI."""
