"""What the runner tells its listener (the wizard, or the headless printer).

Events are frozen dataclasses so they can cross threads safely. Output lines come in
batches (``StepOutput.lines``) because one message per line would swamp a UI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PlanStarted:
    session_id: str
    steps: tuple[tuple[str, str, str], ...]
    """(step id, title, phase) in order."""


@dataclass(frozen=True)
class StepStarted:
    step_id: str
    title: str
    phase: str
    commands: tuple[str, ...] = ()
    eta_seconds: float | None = None


@dataclass(frozen=True)
class StepOutput:
    step_id: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class StepProgress:
    step_id: str
    done: int
    total: int
    message: str = ""

    def counted(self) -> str:
        """The message led by its count (``7/9 Creating node pools``), unless it
        already says it (``3/14 ready``, ``applied 1/41 …``)."""
        count = f"{self.done}/{self.total}"
        if not self.total or count in self.message:
            return self.message
        return f"{count} {self.message}".strip()


@dataclass(frozen=True)
class StepDetail:
    """Structured data for a UI (a table of Deployments, a cost estimate, ...)."""

    step_id: str
    key: str
    value: Any


@dataclass(frozen=True)
class StepFinished:
    step_id: str
    state: str
    elapsed: float
    cause: str | None = None
    action: str | None = None
    note: str | None = None
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlanFinished:
    state: str
    """done, failed or interrupted."""
    exit_code: int
    failed_step: str | None = None
    cause: str | None = None
    action: str | None = None


Event = (
    PlanStarted | StepStarted | StepOutput | StepProgress | StepDetail | StepFinished | PlanFinished
)
