"""The bridge between the synchronous engine and the Textual event loop.

:class:`EngineBridge` is an invisible widget a screen mounts. It runs the engine's
``Runner`` in a thread worker (group ``install``, one at a time). The thread never
touches a widget: every engine event is posted as an :class:`EngineEvent` message,
which bubbles from the bridge to its screen and on to the app. Cancelling sets the
worker's ``cancelled_event``, the very ``threading.Event`` the runner checks between
steps and inside every wait, so a cancel stops the run at the next safe point and the
session is left ``interrupted`` and resumable.

While a run is open, the objects that existed before it are kept out of full garbage
collections (``kfwizard.collector`` says why and for how long).

Engine modules are imported inside the worker, so mounting a screen stays light.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from textual import work
from textual.widget import Widget
from textual.worker import Worker, WorkerState, get_current_worker

from kfwizard.collector import freeze_for_run, thaw_after_run
from kfwizard.messages import EngineEvent, RunFinished

if TYPE_CHECKING:
    from kfwizard.engine.runner import RunResult
    from kfwizard.engine.step import Step
    from kfwizard.session import Session, SessionStore

INSTALL_GROUP = "install"
"""Worker group of engine runs; tests wait on it, pollers use other groups."""


def plan_until(selections: dict[str, Any], phase: str) -> list[Step]:
    """The plan's steps up to and including ``phase`` (imports the steps lazily)."""
    from kfwizard.engine.plan import build_plan

    return build_plan(selections, until=phase)


def failed_result(cause: str, action: str | None, exit_code: int = 1) -> RunResult:
    """A result for a run that could not start (bad input, refused, a broken plan).

    Redacted like the runner's own failures: the error text may quote an answer.
    """
    from kfwizard.engine.redact import redact
    from kfwizard.engine.runner import RunResult

    return RunResult(
        "failed", exit_code, None, redact(cause), None if action is None else redact(action)
    )


def run_plan(
    target: Widget,
    session: Session,
    store: SessionStore,
    plan: Sequence[Step],
    cancel: Any,
    options: dict[str, Any] | None = None,
) -> RunResult:
    """Run ``plan`` synchronously, posting each event to ``target`` as a message.

    This is the whole thread side of the bridge, kept free of workers so tests can call
    it directly. ``post_message`` is thread-safe; nothing else crosses threads.
    """
    from kfwizard.engine.runner import Runner

    def emit(event: Any) -> None:
        target.post_message(EngineEvent(event))

    runner = Runner(session, store, plan, emit=emit, cancel=cancel, options=options or {})
    return runner.run()


class EngineBridge(Widget):
    """Owns the install worker of one screen; posts engine events as messages."""

    DEFAULT_CSS = """
    EngineBridge {
        display: none;
    }
    """

    def __init__(self, session: Session, store: SessionStore, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.session = session
        """The session the runs record into (shared with the app; saved by the runner)."""
        self.store = store
        self.options: dict[str, Any] = {}
        """Run options handed to every step (env, demo); the app fills them in."""
        self.phase: str | None = None
        """The phase of the current or last run."""
        self.plan_factory: Callable[[dict[str, Any], str], list[Step]] = plan_until
        """Builds the steps for a phase (the app's ``plan_for``; a seam for tests)."""
        self._worker: Worker[RunResult] | None = None
        self._frozen = False
        """This bridge holds the collector's freeze (from ``start`` to ``RunFinished``)."""

    @property
    def running(self) -> bool:
        """True while a run is in progress (cancelled runs count until they stop)."""
        return self._worker is not None and self._worker.state in (
            WorkerState.PENDING,
            WorkerState.RUNNING,
        )

    @property
    def cancelling(self) -> bool:
        """True after a cancel was asked for and before the run has stopped."""
        return self.running and self._worker is not None and self._worker.is_cancelled

    def start(self, phase: str, plan: Sequence[Step] | None = None) -> Worker[RunResult]:
        """Run the plan up to ``phase`` (or the given ``plan``) in the install worker."""
        self.phase = phase
        if not self._frozen:
            freeze_for_run()
            self._frozen = True
        self._worker = self._run(phase, list(plan) if plan is not None else None)
        return self._worker

    def on_run_finished(self, message: RunFinished) -> None:
        """The run posts this to the bridge, which lets it bubble on to the screen."""
        self._thaw()

    def on_unmount(self) -> None:
        self._thaw()

    def _thaw(self) -> None:
        if self._frozen:
            self._frozen = False
            thaw_after_run()

    def cancel(self) -> bool:
        """Ask the run to stop at the next safe point; False when nothing is running."""
        if not self.running or self._worker is None:
            return False
        self._worker.cancel()
        return True

    @work(
        thread=True,
        exclusive=True,
        group=INSTALL_GROUP,
        exit_on_error=False,
        description="kfwizard: running installer steps",
    )
    def _run(self, phase: str, plan: list[Step] | None) -> RunResult:
        worker = get_current_worker()
        result: RunResult | None = None
        try:
            result = self._run_in_thread(phase, plan, worker.cancelled_event)
            return result
        finally:
            if result is None:
                result = failed_result(
                    "The installer stopped unexpectedly.",
                    "see the session log, then resume",
                )
            self.post_message(RunFinished(phase, result))

    def _run_in_thread(self, phase: str, plan: list[Step] | None, cancel: Any) -> RunResult:
        from kfwizard.engine.errors import KfwizardError

        try:
            steps = plan if plan is not None else self.plan_factory(self.session.selections, phase)
        except KfwizardError as exc:
            return failed_result(exc.cause, exc.action, exc.exit_code)
        except Exception as exc:  # a plan that cannot be built must not crash the app
            detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
            return failed_result(
                f"Could not prepare the steps for this screen: {detail}",
                "check your selections, then try again",
            )
        return run_plan(self, self.session, self.store, steps, cancel, self.options)
