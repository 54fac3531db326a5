"""Trusted repositories: the user's list, keyed by the resolved path and a hash of the repo's pith config."""
from __future__ import annotations

import hashlib
import json
import os
import time
import tomllib
from pathlib import Path
from typing import Any

TRUSTED, CHANGED, UNTRUSTED = "trusted", "changed", "untrusted"


def store_path() -> Path:
    """Where trust decisions live: next to the user's config file."""
    from agent.settings.files import user_config_path

    return user_config_path().parent / "trusted.json"


def config_hash(root: Path) -> str:
    """A hash of what the repository can set: .pith.toml's bytes and pyproject's [tool.pith] table."""
    digest = hashlib.sha256()
    pith = root / ".pith.toml"
    digest.update(b".pith.toml\0" + (pith.read_bytes() if pith.is_file() else b"<none>"))
    table: Any = "<none>"
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            table = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("pith", "<none>")
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, AttributeError):
            table = "<unreadable>"
    digest.update(b"\0[tool.pith]\0" + json.dumps(table, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _load(path: Path) -> dict[str, dict[str, Any]]:
    """The stored decisions ({} when none or unreadable: nothing is trusted then)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}


def _save(path: Path, data: dict[str, dict[str, Any]]) -> None:
    """Write the decisions atomically (a crash never leaves half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def key(root: Path) -> str:
    """The store key: the fully resolved path."""
    return str(Path(root).resolve())


def status(root: Path, store: Path | None = None) -> str:
    """TRUSTED, CHANGED (trusted, but its config changed since) or UNTRUSTED.

    A checkout made by `pith batch` names its source in PITH_TRUST_AS (the user's environment, which a repository
    cannot set): it shares the source's trust when its config is exactly the one the user trusted there."""
    data = _load(store or store_path())
    entry = data.get(key(root))
    if entry is None and os.environ.get("PITH_TRUST_AS"):
        source = data.get(key(Path(os.environ["PITH_TRUST_AS"])))
        return TRUSTED if source is not None and source.get("hash") == config_hash(root) else UNTRUSTED
    if entry is None:
        return UNTRUSTED
    return TRUSTED if entry.get("hash") == config_hash(root) else CHANGED


def trust(root: Path, store: Path | None = None) -> str:
    """Trust the repository's current config; returns its hash."""
    path = store or store_path()
    data = _load(path)
    digest = config_hash(root)
    data[key(root)] = {"hash": digest, "trusted_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    _save(path, data)
    return digest


def revoke(root: Path, store: Path | None = None) -> bool:
    """Forget a repository; False when it was not trusted."""
    path = store or store_path()
    data = _load(path)
    if data.pop(key(root), None) is None:
        return False
    _save(path, data)
    return True


def trusted_list(store: Path | None = None) -> list[tuple[str, str, str]]:
    """(path, status, trusted_at) of every trusted repository, sorted by path."""
    rows = []
    for path, entry in sorted(_load(store or store_path()).items()):
        root = Path(path)
        state = "missing" if not root.is_dir() else TRUSTED if entry.get("hash") == config_hash(root) else CHANGED
        rows.append((path, state, str(entry.get("trusted_at", ""))))
    return rows
