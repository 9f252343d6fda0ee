"""Failures of kube operations, phrased for a newcomer.

:class:`KubeFailure` is a :class:`~kfwizard.engine.errors.StepFailed`, so a step can let
it through unchanged and the runner records its cause and next action; callers outside
the engine catch it like any exception.
"""

from __future__ import annotations

from kfwizard.engine.errors import StepFailed


class KubeFailure(StepFailed):
    """A kube operation could not finish: one-sentence cause, next action, evidence."""


class WaitTimeout(KubeFailure):
    """A wait ran out of time; ``state`` holds what was last seen, for diagnosis."""

    def __init__(
        self,
        cause: str,
        action: str | None = None,
        details: tuple[str, ...] = (),
        state: object = None,
    ) -> None:
        super().__init__(cause, action, details)
        self.state = state


class RetriesExhausted(KubeFailure):
    """A call kept failing with errors worth retrying; ``last`` is the final error."""

    def __init__(self, cause: str, action: str | None, last: BaseException) -> None:
        super().__init__(cause, action)
        self.last = last
