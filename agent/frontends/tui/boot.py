"""Building a session off the event loop: litellm's import takes seconds, and quitting must never wait for it."""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any


async def in_daemon_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """Run a slow builder (it imports litellm) in a daemon thread, so quitting never waits for it."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(value: Any, error: BaseException | None) -> None:
        """Resolve the future on the event loop."""
        if not future.done():
            future.set_exception(error) if error else future.set_result(value)

    def work() -> None:
        """Build, then hand the result to the loop."""
        try:
            value, error = fn(*args), None
        except BaseException as exc:  # handed to the awaiting task
            value, error = None, exc
        try:
            loop.call_soon_threadsafe(settle, value, error)
        except RuntimeError:  # the app has already closed its loop
            pass

    threading.Thread(target=work, name="pith-session-builder", daemon=True).start()
    return await future
