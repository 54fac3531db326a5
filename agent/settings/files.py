"""Config files: `[tool.pith]` in the project's pyproject.toml, `.pith.toml` at the repo root, and the user's
`~/.config/pith/config.toml`. Flags beat project settings, which beat user settings; what a project may set
before the user trusts it is decided in agent.settings.load."""
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
    for key, value in data.items():
        why = _bad_value(key, value)
        if why:
            raise ConfigError(f"{path}: {key} {why} (got {value!r})")
    return data


TYPES: dict[str, tuple[type, ...]] = {
    "model": (str,), "api_base": (str,), "approve": (str,), "compact_model": (str,), "syntax_gate": (str,),
    "tool_protocol": (str,), "max_steps": (int,), "keep_turns": (int,), "context_budget": (int, str),
    "context_window": (int,), "max_cost": (int, float), "timeout": (int, float), "command_timeout": (int, float),
    "stream": (bool,), "plan": (bool,), "sandbox": (bool, str),
}
CHOICES = {"approve": ("ask", "auto", "never"), "tool_protocol": ("native", "text", "auto"),
           "sandbox": (True, False, "workspace-write", "read-only", "off")}


def _bad_value(key: str, value: Any) -> str:
    """Why a config value cannot be used, or ''."""
    types = TYPES.get(key)
    if types is None:
        return ""
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        return "must be " + " or ".join("a number" if t in (int, float) else f"a {t.__name__}" for t in types)
    if key == "context_budget" and isinstance(value, str) and value.strip().lower() != "full":
        return 'must be a number of tokens or "full"'
    if key in CHOICES and value not in CHOICES[key]:
        return "must be one of " + ", ".join(str(c).lower() for c in CHOICES[key])
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value <= 0 and key != "keep_turns":
        return "must be more than 0"
    return ""


def load_layers(root: Path, user_file: Path | None = None) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """(user settings, project settings, the project files that set something)."""
    return (_read(user_file or user_config_path()), *project_layer(root))


def project_layer(root: Path) -> tuple[dict[str, Any], list[str]]:
    """The repository's settings (.pith.toml beats pyproject's [tool.pith]) and the files that set them."""
    project: dict[str, Any] = {}
    sources = []
    for name, table in (("pyproject.toml", ("tool", "pith")), (".pith.toml", ())):
        layer = _read(root / name, table)
        if layer:
            sources.append(name if not table else f"{name} [tool.pith]")
        for key, value in layer.items():
            project[key] = project.get(key, []) + value if key in ("allow", "deny", "pass_env") else value
    return project, sources


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
