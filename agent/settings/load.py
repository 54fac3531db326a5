"""One settings path for every entry point: flags > project config (within trust) > user config > defaults.

Nothing heavy is imported here, so a bad setting or a missing API key is reported in a fraction of a second."""
from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from agent.settings.config import Settings

LISTS = ("allow", "deny", "pass_env")
APPROVE_ORDER = ("auto", "ask", "never")  # looser to stricter
SANDBOX_ORDER = ("off", "workspace-write", "read-only")
# Provider -> the environment variables litellm accepts for its key (any one is enough).
PROVIDER_KEYS: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",), "anthropic": ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"), "mistral": ("MISTRAL_API_KEY",), "groq": ("GROQ_API_KEY",),
    "deepseek": ("DEEPSEEK_API_KEY",), "openrouter": ("OPENROUTER_API_KEY",), "xai": ("XAI_API_KEY",),
    "together_ai": ("TOGETHERAI_API_KEY",), "cohere": ("COHERE_API_KEY",), "cerebras": ("CEREBRAS_API_KEY",),
    "deepinfra": ("DEEPINFRA_API_KEY",), "perplexity": ("PERPLEXITYAI_API_KEY",), "fireworks_ai": ("FIREWORKS_AI_API_KEY",),
}
KEYLESS = {"ollama", "ollama_chat", "hosted_vllm", "lm_studio", "llamafile", "scripted"}
BARE_PREFIXES = (("gpt-", "openai"), ("o1", "openai"), ("o3", "openai"), ("o4-", "openai"), ("chatgpt-", "openai"),
                 ("claude-", "anthropic"))


class SettingsError(Exception):
    """A setting that cannot be used; the message names where it came from."""


@dataclass
class Resolved:
    """The settings to run with, the notices to show once, and which layer set each value."""

    settings: Settings
    notices: list[str] = field(default_factory=list)
    origins: dict[str, str] = field(default_factory=dict)  # key -> flag | project | user | default


def provider_of(model: str) -> str | None:
    """The provider a model string names (`anthropic/...`, `scripted:PATH`, `gpt-4o`), or None when unsure."""
    if model.startswith("scripted:"):
        return "scripted"
    if "/" in model:
        return model.split("/", 1)[0].lower()
    for prefix, provider in BARE_PREFIXES:
        if model.startswith(prefix):
            return provider
    return None


def sandbox_rank(value: Any) -> int:
    """How strict a sandbox value is (old booleans: true = workspace-write, false = off)."""
    if isinstance(value, bool):
        return 1 if value else 0
    return SANDBOX_ORDER.index(value) if value in SANDBOX_ORDER else 1


def sandbox_value(rank: int) -> Any:
    """A sandbox rank in the type Settings uses (a bool in older builds, a mode string now)."""
    return rank > 0 if isinstance(Settings().sandbox, bool) else SANDBOX_ORDER[rank]


def _tighter(key: str, new: Any, old: Any) -> bool:
    """Whether a project value is at least as strict as the value it would replace."""
    if key == "approve":
        return APPROVE_ORDER.index(new) >= APPROVE_ORDER.index(old) if old in APPROVE_ORDER else False
    if key == "sandbox":
        return sandbox_rank(new) >= sandbox_rank(old)
    if key == "max_cost":
        return old is None or new <= old
    return True


def _screen(project: dict[str, Any], below: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The project settings an untrusted repository may use, and what was ignored (and why)."""
    kept, ignored = {}, []
    for key, value in project.items():
        if key in ("api_base", "allow", "pass_env"):
            ignored.append(key)
        elif key in ("model", "compact_model") and provider_of(value) != provider_of(below["model"]):
            ignored.append(f"{key} = {value!r} (another provider than {below['model']})")
        elif key in ("approve", "sandbox", "max_cost") and not _tighter(key, value, below.get(key)):
            ignored.append(f"{key} = {json.dumps(value)} (looser than {json.dumps(below.get(key))})")
        else:
            kept[key] = value
    return kept, ignored


def _merge(layers: list[tuple[str, dict[str, Any]]]) -> tuple[dict[str, Any], dict[str, str]]:
    """Values by precedence (later layers win; lists add up) and the layer each came from."""
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for name, layer in layers:
        for key, value in layer.items():
            if key in LISTS:
                values[key] = list(values.get(key, [])) + list(value)
                origins.setdefault(key, name)
            else:
                values[key], origins[key] = value, name
    return values, origins


def _api_base_notice(values: dict[str, Any], origins: dict[str, str], layers: list[tuple[str, dict]]) -> str:
    """Drop an api_base set for another provider's model than the one in use; the notice, or ''."""
    base_from, model_from = origins.get("api_base"), origins.get("model")
    if not values.get("api_base") or base_from in ("flag", model_from):
        return ""
    model_there = Settings().model
    for name, layer in layers:  # the model in effect at the api_base's own layer
        model_there = layer.get("model", model_there)
        if name == base_from:
            break
    if provider_of(model_there) == provider_of(values["model"]):
        return ""
    dropped = values.pop("api_base")
    origins.pop("api_base", None)
    return (f"api_base {dropped} from the {base_from} config is for {model_there}, not used with {values['model']} "
            "(give --api-base to send this model there)")


def resolve_settings(root: Path, flags: dict[str, Any], explicit: set[str], *, user_file: Path | None = None,
                     trust_file: Path | None = None) -> Resolved:
    """The settings for a run in `root`: explicit flags > project (within trust) > user > flag defaults."""
    from agent.settings import trust
    from agent.settings.files import ConfigError, load_layers

    try:
        user, project, sources = load_layers(root, user_file)
    except ConfigError as exc:
        raise SettingsError(str(exc)) from None
    names = {f.name for f in fields(Settings)}
    defaults = {k: v for k, v in flags.items() if k in names and k not in explicit and v is not None}
    given = {k: v for k, v in flags.items() if k in names and k in explicit and v is not None}
    notices = []
    file_model = project.get("model")  # what the file says, for the api_base notice even when a flag beats it
    project = {k: v for k, v in project.items() if k in LISTS or k not in given}  # a flag beats it anyway
    state = trust.status(root, trust_file) if project else trust.TRUSTED
    if state != trust.TRUSTED:
        below, _ = _merge([("default", Settings().snapshot()), ("default", defaults), ("user", user)])
        project, ignored = _screen(project, below)
        if ignored:
            why = "changed since you trusted it" if state == trust.CHANGED else "not trusted"
            notices.append(f"{root}: this repository's pith config ({', '.join(sources)}) is {why}: ignored "
                           f"{'; '.join(ignored)}. Review it, then run `pith trust` to apply it")
    layers = [("default", defaults), ("user", user), ("project", project), ("flag", given)]
    values, origins = _merge(layers)
    values.setdefault("model", Settings().model)
    named = [(n, {**layer, "model": file_model} if n == "project" and file_model else layer) for n, layer in layers]
    notice = _api_base_notice(values, origins, named)
    notices += [notice] if notice else []
    settings = Settings()
    for key, value in values.items():
        setattr(settings, key, sandbox_value(sandbox_rank(value)) if key == "sandbox" else value)
    check_settings(settings, origins)
    return Resolved(settings=settings, notices=notices, origins=origins)


def check_settings(settings: Settings, origins: dict[str, str] | None = None) -> None:
    """Values every entry point needs right; raises SettingsError naming the culprit."""
    where = origins or {}

    def bad(key: str, why: str) -> SettingsError:
        source = {"flag": "--" + key.replace("_", "-"), "user": "the user config",
                  "project": "the project config"}.get(where.get(key, ""), key)
        return SettingsError(f"{key} {why} (from {source}, got {getattr(settings, key)!r})")

    if settings.approve not in APPROVE_ORDER:
        raise bad("approve", "must be ask, auto or never")
    if settings.tool_protocol not in ("native", "text", "auto"):
        raise bad("tool_protocol", "must be native, text or auto")
    if not isinstance(settings.model, str) or not settings.model.strip():
        raise bad("model", "must name a model, e.g. anthropic/claude-sonnet-4-5")
    if settings.max_steps < 1:
        raise bad("max_steps", "must be at least 1")
    if settings.context_budget is not None:
        from agent.context.manager import budget_problem

        problem = budget_problem(settings.context_budget, None)  # its size is checked when the session is built
        if problem:
            raise bad("context_budget", problem.split(" (got")[0])


def missing_key(settings: Settings) -> str:
    """Why the model cannot be called for want of an API key ('' when fine or unknown here; litellm checks later)."""
    provider = provider_of(settings.model)
    if provider is None or provider in KEYLESS or settings.api_base or provider not in PROVIDER_KEYS:
        return ""
    names = PROVIDER_KEYS[provider]
    if any(os.environ.get(name, "").strip() for name in names):
        return ""
    return f"no API key for {settings.model}: set {names[0]} in the environment"


def find_root(start: Path) -> tuple[Path, str | None]:
    """(workspace root, git HEAD or None): the git top level when inside a repository."""
    try:
        both = subprocess.run(["git", "rev-parse", "--show-toplevel", "HEAD"], cwd=start, capture_output=True, text=True,
                              timeout=10)
        lines = both.stdout.split("\n")
        if both.returncode == 0 and len(lines) >= 2:  # one process in the common case (a repo with commits)
            return Path(lines[0]), lines[1].strip()
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=start, capture_output=True, text=True, timeout=10)
        if top.returncode == 0:
            root = Path(top.stdout.strip())
            head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
            return root, head.stdout.strip() if head.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired):
        pass
    return start.resolve(), None


def switched(settings: Settings, name: str, root: Path, flags: dict[str, Any], explicit: set[str]) -> Settings:
    """The settings after `/model NAME`: an api_base stays only with a model of its own provider."""
    same = provider_of(name) == provider_of(settings.model)
    if not flags:
        return with_model(settings, name)
    flags, explicit = {**flags, "model": name}, set(explicit) | {"model"}
    if not same:
        flags.pop("api_base", None)
        explicit.discard("api_base")
    fresh = resolve_settings(root, flags, explicit).settings
    return replace(settings, model=name, api_base=fresh.api_base)


def with_model(settings: Settings, name: str) -> Settings:
    """The settings for another model (a compaction model, /model): the api_base stays only with its provider."""
    same = provider_of(name) == provider_of(settings.model)
    return replace(settings, model=name, api_base=settings.api_base if same else None)
