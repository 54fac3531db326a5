"""Headless runs: human text or JSONL events on stdout, a result object last, exit codes that mean something."""
from __future__ import annotations

import asyncio
import json
import signal
import sys
from typing import TextIO

from agent.core.events import Event, SessionFinished, TurnStatus
from agent.core.ops import Interrupt, Shutdown, SubmitTurn
from agent.frontends.render import TextRenderer
from agent.log.redact import Redactor
from agent.core.session import Session

EXIT_CODES = {
    "finished": 0, "answered": 0, "not_completed": 1, "usage_error": 2, "limit_reached": 3,
    "model_error": 4, "interrupted": 130, "log_error": 1,
}


def exit_code(status: str) -> int:
    """The process exit code for a final status (never 0 for a failure)."""
    return EXIT_CODES.get(status, 1)


class JsonRenderer:
    """One JSON object per line; deltas are skipped unless asked for."""

    def __init__(self, out: TextIO, deltas: bool = False) -> None:
        self.out = out
        self.deltas = deltas
        self.redactor = Redactor.from_env()

    def handle(self, event: Event) -> None:
        """Write the event as a JSON line."""
        if not event.durable and not self.deltas:
            return
        record = self.redactor.value(event.to_dict())  # secrets masked in strings; keys and numbers as they are
        self.out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self.out.flush()


def result_line(result: SessionFinished) -> str:
    """The `--json` result line: the finished event's fields, secrets masked like every other line."""
    record = {"type": "result", **{k: v for k, v in result.to_dict().items() if k != "type"}}
    return json.dumps(Redactor.from_env().value(record))


async def run_headless(session: Session, task: str, json_mode: bool = False, out: TextIO | None = None,
                       resumed: bool = False) -> SessionFinished:
    """Run one task to its end and return the result object."""
    out = out or sys.stdout
    renderer = JsonRenderer(out) if json_mode else TextRenderer(out, color=out.isatty())
    result: list[SessionFinished] = []

    async def pump() -> None:
        async for event in session.events():
            renderer.handle(event)
            if isinstance(event, SessionFinished):
                result.append(event)

    consumer = asyncio.ensure_future(pump())
    loop = asyncio.get_running_loop()
    interrupted = False

    def on_sigint() -> None:
        nonlocal interrupted
        interrupted = True
        session.submit(Interrupt())

    try:
        loop.add_signal_handler(signal.SIGINT, on_sigint)
        loop.add_signal_handler(signal.SIGTERM, on_sigint)
    except (NotImplementedError, RuntimeError):
        pass
    session.start(resumed=resumed)
    session.submit(SubmitTurn(task))
    await asyncio.sleep(0)
    status = await session.wait_turn()
    session.submit(Shutdown(status=TurnStatus.INTERRUPTED if interrupted and not session.log_error else None))
    await consumer
    return result[-1] if result else session.result(status)
