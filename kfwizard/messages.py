"""Textual messages that carry the engine's events into the UI.

The engine knows nothing of Textual: it emits frozen dataclasses from
``kfwizard.engine.events``. The bridge wraps each one in :class:`EngineEvent` and posts
it from the worker thread (``post_message`` is thread-safe), so no widget is ever
touched off the event loop.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message

from kfwizard.engine.events import Event, StepProgress


class EngineEvent(Message):
    """One engine event (PlanStarted, StepOutput, StepFinished, ...) for the screen."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event
        """The engine dataclass, unchanged."""

    def can_replace(self, message: Message) -> bool:
        """A newer progress report for the same step makes an older queued one stale.

        Only progress is replaceable: log lines and state changes must all arrive.
        """
        if not isinstance(message, EngineEvent):
            return False
        mine, theirs = self.event, message.event
        return (
            isinstance(mine, StepProgress)
            and isinstance(theirs, StepProgress)
            and mine.step_id == theirs.step_id
        )


class RunFinished(Message):
    """The bridge's run ended (done, failed or interrupted), with the runner's result."""

    def __init__(self, phase: str, result: Any) -> None:
        super().__init__()
        self.phase = phase
        """The phase the run went up to (``--until``)."""
        self.result = result
        """A ``kfwizard.engine.runner.RunResult``."""
