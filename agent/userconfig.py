"""Config files: `[tool.pith]` in the project's pyproject.toml, `.pith.toml` at the repo root, and the user's
`~/.config/pith/config.toml`. Project settings override user settings; command-line flags override both."""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

KNOWN = {"model", "api_base", "approve", "allow", "deny", "max_steps", "max_cost", "timeout", "context_budget",
         "keep_turns", "compact_model", "syntax_gate", "command_timeout", "sandbox", "pass_env", "tool_protocol",
         "stream", "plan", "context_window"}


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file and the problem."""


def user_config_path() -> Path:
    """The user's config file."""
    import platformdirs

    return Path(platformdirs.user_config_dir("pith", appauthor=False)) / "config.toml"


def _read(path: Path, table: tuple[str, ...] = ()) -> dict[str, Any]:
    """The pith table of one TOML file ({} when absent)."""
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    for key in table:
        data = data.get(key, {})
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: [{'.'.join(table)}] must be a table")
    unknown = set(data) - KNOWN
    if unknown:
        raise ConfigError(f"{path}: unknown pith setting(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(KNOWN))}")
    for key in ("allow", "deny", "pass_env"):
        if key in data and not (isinstance(data[key], list) and all(isinstance(x, str) for x in data[key])):
            raise ConfigError(f"{path}: {key} must be a list of strings, e.g. {key} = [\"run:pytest*\"]")
    return data


def load_config(root: Path, user_file: Path | None = None) -> dict[str, Any]:
    """Merged settings: user, then pyproject [tool.pith], then .pith.toml; allow/deny lists are concatenated."""
    merged: dict[str, Any] = {}
    layers = [_read(user_file or user_config_path()), _read(root / "pyproject.toml", ("tool", "pith")),
              _read(root / ".pith.toml")]
    for layer in layers:
        for key, value in layer.items():
            if key in ("allow", "deny", "pass_env"):
                merged[key] = merged.get(key, []) + value
            else:
                merged[key] = value
    return merged
