"""Locate the ripgrep binary shipped by the `ripgrep` wheel (it may not be on PATH)."""
from __future__ import annotations

import os
import shutil
import sys
from functools import lru_cache
from pathlib import Path

from tools.base import ToolError


@lru_cache(maxsize=1)
def rg_path() -> str:
    """Path of `rg`: next to this interpreter first, then PATH."""
    here = Path(sys.executable).parent / ("rg.exe" if os.name == "nt" else "rg")
    if here.is_file():
        return str(here)
    found = shutil.which("rg")
    if found:
        return found
    raise ToolError("ripgrep (rg) not found: reinstall pith-agent (it ships the `ripgrep` wheel)")
