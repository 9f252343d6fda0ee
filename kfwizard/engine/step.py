"""What a step is, and the context it runs in.

A step is idempotent: ``check()`` says whether its work is already done (so a resumed
run skips it, the way pyinfra skips satisfied operations) and ``apply()`` does the work.
Both get a :class:`StepContext`, the step's only door to the outside: logging, progress,
cancellation, the session, and shared clients.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from kfwizard.engine.errors import Cancelled
from kfwizard.engine.events import Event, StepDetail, StepOutput, StepProgress
from kfwizard.engine.redact import redact, redact_lines

if TYPE_CHECKING:
    from kfwizard.session import Session


class Step(Protocol):
    """One idempotent unit of work."""

    # Read-only members, so steps may declare them as plain class attributes.
    @property
    def id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def eta_seconds(self) -> float | None: ...

    def commands(self, session: Session) -> list[str]:
        """The shell commands a person would type to do the same by hand."""
        ...

    def check(self, ctx: StepContext) -> bool:
        """True when the work is already done; must not change anything."""
        ...

    def apply(self, ctx: StepContext) -> None:
        """Do the work; raise :class:`StepFailed` with a cause and a next action."""
        ...


SETTLED_NOTE = "nothing to do: already in place"
"""The log's note for a step whose ``check`` found its work done before it ran."""


class BaseStep:
    """Convenience base: fixed id/title, no commands, never already done.

    A step may set ``TARGET_OUTPUTS``: the keys of its outputs that name what the later
    steps work on (the cluster's endpoint, the manifests' hashes). When a run changes
    one of them, the runner sends the later steps outside that run back to pending.
    """

    id = "step"
    title = "Step"
    eta_seconds: float | None = None
    settled_note = SETTLED_NOTE
    """What the log says when ``check`` finds the step's work already done before it
    ran (a teardown step says "already deleted", not "already in place")."""

    def commands(self, session: Session) -> list[str]:
        return []

    def check(self, ctx: StepContext) -> bool:
        return False

    def apply(self, ctx: StepContext) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class OutputBatcher:
    """Collects log lines and hands them on per ~1,000 lines or ~100 ms.

    Each batch is one event, one session-log write and, in the wizard, one message that
    wakes the event loop from another thread: a flood of output costs the UI per batch,
    so big batches keep it responsive (100,000 lines are 100 messages, not 1,000).
    """

    def __init__(
        self,
        flush: Callable[[tuple[str, ...]], None],
        max_lines: int = 1000,
        max_age: float = 0.1,
    ):
        self._flush = flush
        self._lines: list[str] = []
        self._first_at = 0.0
        self._max_lines = max_lines
        self._max_age = max_age
        self._lock = threading.Lock()

    def add(self, lines: list[str]) -> None:
        with self._lock:
            if not self._lines:
                self._first_at = time.monotonic()
            self._lines.extend(lines)
            due = (
                len(self._lines) >= self._max_lines
                or time.monotonic() - self._first_at >= self._max_age
            )
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            lines, self._lines = self._lines, []
        if lines:
            self._flush(tuple(lines))


class StepContext:
    """Everything a step may use. Built by the runner, one per step run."""

    def __init__(
        self,
        *,
        step_id: str,
        session: Session,
        emit: Callable[[Event], None],
        cancel: threading.Event,
        save: Callable[[], None],
        resources: dict[str, Any],
        log_sink: Callable[[str, tuple[str, ...]], None] | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.step_id = step_id
        self.session = session
        self.cancel = cancel
        self.resources = resources
        """Shared, lazily built clients (keyed by name) that live for the whole run."""
        self.options = options or {}
        """Run options: demo, yes, skip_preflight, timeouts, speed, env."""
        self._emit = emit
        self._save = save
        self._log_sink = log_sink
        self._batcher = OutputBatcher(self._send_lines)

    # -- output ------------------------------------------------------------------
    def _send_lines(self, lines: tuple[str, ...]) -> None:
        if self._log_sink is not None:
            self._log_sink(self.step_id, lines)
        self._emit(StepOutput(self.step_id, lines))

    def log(self, *lines: str) -> None:
        """Log lines (secrets masked); they reach the UI in batches and the log file.

        This is the one place step output is redacted: the UI and the session log file
        get these lines as they are, so each line is checked once.
        """
        split = [line for text in lines for line in str(text).splitlines() or [""]]
        self._batcher.add(redact_lines(split))

    def flush(self) -> None:
        self._batcher.flush()

    def progress(self, done: int, total: int, message: str = "") -> None:
        self._batcher.flush()
        self._emit(StepProgress(self.step_id, done, total, redact(message)))

    def detail(self, key: str, value: Any) -> None:
        self._emit(StepDetail(self.step_id, key, value))

    # -- cancellation and time ------------------------------------------------------
    def check_cancel(self) -> None:
        if self.cancel.is_set():
            raise Cancelled()

    def sleep(self, seconds: float) -> None:
        """Wait, but wake at once (raising :class:`Cancelled`) when the user cancels."""
        self._batcher.flush()
        if self.cancel.wait(max(0.0, seconds)):
            raise Cancelled()

    # -- session -------------------------------------------------------------------
    @property
    def selections(self) -> dict[str, Any]:
        return self.session.selections

    @property
    def outputs(self) -> dict[str, Any]:
        """This step's own facts in the session (created on first use)."""
        return self.session.outputs.setdefault(self.step_id, {})

    def output_of(self, step_id: str) -> dict[str, Any]:
        return self.session.outputs.get(step_id, {})

    def save(self) -> None:
        """Persist the session now (atomically); use after recording something created."""
        self._save()

    def resource(self, name: str, factory: Callable[[], Any]) -> Any:
        """A shared client, built once per run by ``factory``."""
        if name not in self.resources:
            self.resources[name] = factory()
        return self.resources[name]
