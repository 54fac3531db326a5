"""Prompt templates shipped as package data."""
from __future__ import annotations

from importlib import resources


def load(name: str) -> str:
    """The text of prompts/NAME."""
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
