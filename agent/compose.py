"""Assembling a Session from settings: the model, the tools, the context and the log."""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from agent import __version__
from agent.backends.base import Model, ModelError
from agent.settings.config import Settings
from agent.context.instructions import project_instructions
from agent.context.manager import ContextManager, budget_problem
from agent.core.approval import Policy
from agent.core.events import Notice
from agent.core.host import ModelFactory
from agent.log.writer import SessionLog, new_session_id
from agent.core.registry import default_tools
from agent.core.session import Session
from agent.settings.load import missing_key, with_model
from prompts import load


class UsageError(Exception):
    """A mistake in how pith was invoked; the message tells the user what to do."""


def make_model(settings: Settings, on_retry: Any = None) -> Model:
    """The backend for a model string (`scripted:PATH` or anything litellm understands), in its tool protocol."""
    protocol = getattr(settings, "tool_protocol", "auto") or "auto"
    if protocol not in ("native", "text", "auto"):
        raise UsageError(f"tool protocol must be native, text or auto (got {protocol!r})")
    model: Model
    if settings.model.startswith("scripted:"):
        from agent.backends.scripted import ScriptedModel

        path = Path(settings.model.split(":", 1)[1]).expanduser()
        if not path.is_file():
            raise UsageError(f"scripted model file not found: {path}")
        try:
            model = ScriptedModel.from_file(path)
        except ModelError as exc:
            raise UsageError(str(exc)) from None
        protocol = "text" if protocol == "text" else "native"  # recorded turns carry native calls already
    else:
        from agent.backends.litellm_backend import LiteLLMModel

        check_model(settings)
        retries = int(os.environ.get("PITH_RETRIES", "4"))
        backoff = float(os.environ.get("PITH_BACKOFF", "1.0"))
        model = LiteLLMModel(settings.model, api_base=settings.api_base, on_retry=on_retry, retries=retries,
                             backoff_base=backoff, stream=getattr(settings, "stream", True))
    if protocol == "text":
        from agent.backends.textproto import TextProtocolModel

        return TextProtocolModel(model)
    if protocol == "auto":
        from agent.backends.autoproto import AutoProtocolModel

        return AutoProtocolModel(model)
    return model


def load_backend(settings: Settings) -> None:
    """Import litellm now (~4 s) unless the model is scripted: headless runs do it before the clock starts."""
    if settings.model.startswith("scripted:"):
        return
    from agent.backends.litellm_backend import load_litellm

    load_litellm()


def warm_up(settings: Settings) -> None:
    """Import litellm in a background thread, so the first request need not wait for it (the TUI stays usable)."""

    def load() -> None:
        """The import itself; a failure surfaces later, on the first request, with a clear message."""
        try:
            load_backend(settings)
        except Exception:
            pass

    import threading

    threading.Thread(target=load, name="pith-warm-up", daemon=True).start()


def check_model(settings: Settings) -> None:
    """Fail early, in plain words, on an unknown model string or a missing API key."""
    from agent.backends.litellm_backend import load_litellm
    from agent.settings.load import KEYLESS, PROVIDER_KEYS, missing_key, provider_of

    problem = missing_key(settings)
    if problem:
        raise UsageError(problem)
    provider = provider_of(settings.model)
    if provider in PROVIDER_KEYS or provider in KEYLESS:
        return  # known without loading litellm; only unknown providers need its check
    litellm = load_litellm()
    try:
        _, provider, _, _ = litellm.get_llm_provider(settings.model, api_base=settings.api_base)
    except Exception:
        raise UsageError(
            f"unknown model {settings.model!r}: use provider/model, e.g. anthropic/claude-sonnet-4-5, "
            "openai/gpt-4o, or openai/NAME with --api-base for a local OpenAI-compatible server"
        ) from None
    if settings.api_base or provider in ("ollama", "ollama_chat", "hosted_vllm", "lm_studio", "llamafile"):
        return
    empty = {k: os.environ.pop(k) for k in list(os.environ) if k.endswith("_API_KEY") and not os.environ[k].strip()}
    try:
        env = litellm.validate_environment(model=settings.model)
    except Exception:
        return
    finally:
        os.environ.update(empty)
    missing = env.get("missing_keys") or []
    if missing:
        raise UsageError(f"no API key for {settings.model}: set {', '.join(missing)} in the environment")


def session_header(settings: Settings, root: Path, head: str | None, task: str) -> dict[str, Any]:
    """The first line of a session log."""
    return {
        "pith_version": __version__, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "model": settings.model,
        "root": str(root), "git_head": head, "task": task, "settings": settings.snapshot(),
    }


def model_factory(settings: Settings) -> ModelFactory:
    """Models for other names (a compaction model, a model switch), on the same settings; the key checked first."""

    def make(name: str) -> tuple[Model, Settings]:
        """(the model for `name`, the settings it runs with); raises UsageError with a clear message."""
        other = with_model(settings, name)  # api_base stays only with its provider
        problem = missing_key(other)
        if problem:
            raise UsageError(problem)
        return make_model(other), other

    return make


def build_session(
    settings: Settings, root: Path, head: str | None, session_dir: Path | None, task: str,
    model: Model | None = None, session_id: str | None = None,
    factory: ModelFactory | None = None, notices: list[str] | None = None, policy: Policy | None = None,
) -> Session:
    """A ready Session; the log is created when `session_dir` is given; `factory` builds models for other names
    (default: `model_factory(settings)`); `notices` (from resolving the settings) open its event stream as warnings."""
    sid = session_id or new_session_id()
    model = model or make_model(settings)
    system = load("system.md").format(root=root)
    context = ContextManager(root=root, system_prompt=system, instructions=project_instructions(root, Path(os.getcwd())))
    tools = default_tools()
    problem = budget_problem(settings.context_budget, context.fixed_tokens([t.schema() for t in tools.values()]))
    if problem:
        raise UsageError(f"context_budget {problem}")
    log = SessionLog.create(session_dir, sid, session_header(settings, root, head, task)) if session_dir else None
    session = Session(session_id=sid, settings=settings, model=model, root=root, tools=tools, context=context,
                      log=log, policy=policy, model_factory=factory or model_factory(settings))
    for hook in ("on_retry", "on_notice"):
        if hasattr(model, hook) and getattr(model, hook) is None:
            setattr(model, hook, lambda text: session.emit(Notice(text=text, level="warning")))
    for text in notices or ():
        session.emit(Notice(text=text, level="warning"))
    return session
