"""Runs a plan: step after step, recording every transition so any stop is resumable.

The runner saves the session before and after each step. On resume, a step that is done
and whose ``check()`` still holds is not applied again; a failed, interrupted or crashed
one (left ``running`` by a killed process) is run again. A cancel flag is checked between
steps, and steps check it inside every wait through :meth:`StepContext.sleep`.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kfwizard.engine.errors import Cancelled, KfwizardError, StepFailed
from kfwizard.engine.events import (
    Event,
    PlanFinished,
    PlanStarted,
    StepFinished,
    StepOutput,
    StepStarted,
)
from kfwizard.engine.logfile import SessionLog
from kfwizard.engine.phases import (
    phase_index,
    phase_of_step,
    teardown_halfway,
    teardown_was_last,
    wizard_phase,
)
from kfwizard.engine.redact import redact, redact_lines
from kfwizard.engine.step import SETTLED_NOTE, Step, StepContext
from kfwizard.session import Session, SessionStore, SessionWriteError


def resume_action(session_id: str, step_id: str) -> str:
    """How to carry on from a stop at ``step_id``: a stopped teardown is finished by the
    teardown command (``run`` would install everything again)."""
    if wizard_phase(step_id) is None:
        return (
            f'finish the teardown with "kfwizard teardown --session {session_id}" '
            "(with the same --delete-cluster choice)"
        )
    return f'resume with "kfwizard run --session {session_id}"'


def _target_of(step: Step, session: Session) -> tuple[Any, ...]:
    """The outputs that name what later steps build on (``Step.TARGET_OUTPUTS``)."""
    outputs = session.outputs.get(step.id) or {}
    return tuple(outputs.get(key) for key in getattr(step, "TARGET_OUTPUTS", ()))


@dataclass(frozen=True)
class RunResult:
    state: str
    exit_code: int
    failed_step: str | None = None
    cause: str | None = None
    action: str | None = None


class Runner:
    """Drives one plan for one session. Not reusable across sessions."""

    def __init__(
        self,
        session: Session,
        store: SessionStore,
        plan: Sequence[Step],
        emit: Callable[[Event], None] | None = None,
        cancel: threading.Event | None = None,
        resources: dict[str, Any] | None = None,
        options: dict[str, Any] | None = None,
        log: SessionLog | None = None,
    ) -> None:
        self.session = session
        self.store = store
        self.plan = list(plan)
        self.cancel = cancel or threading.Event()
        self.resources = resources if resources is not None else {}
        self.options = options or {}
        self.log = log or SessionLog(session.id)
        self._listener = emit or (lambda event: None)

    # -- plumbing ---------------------------------------------------------------
    def write_log(self, step_id: str, lines: Sequence[str]) -> None:
        """The runner's own lines to the session log, redacted (tracebacks and error
        texts can quote a secret; the log file itself no longer redacts)."""
        self.log.write(step_id, redact_lines(lines))

    def emit(self, event: Event) -> None:
        if isinstance(event, StepFinished):
            self.write_log(
                event.step_id, (f"[{event.state}] {event.cause or event.note or ''}".rstrip(),)
            )
        try:
            self._listener(event)
        except Exception:  # a broken listener must not break the install
            self.write_log("runner", ("listener error:", *traceback.format_exc().splitlines()))

    def save(self) -> None:
        self.store.save(self.session)

    def _finish(self, result: RunResult) -> RunResult:
        self.session.status = result.state
        try:
            self.save()
        except SessionWriteError as exc:
            self.write_log("runner", (str(exc),))
            result = RunResult(
                "failed", 1, result.failed_step, str(exc), "free disk space, then resume"
            )
        self.emit(
            PlanFinished(
                result.state, result.exit_code, result.failed_step, result.cause, result.action
            )
        )
        self.log.close()
        return result

    # -- the loop ---------------------------------------------------------------
    def run(self) -> RunResult:
        session = self.session
        session.settle_dead_runs()  # the runner holds the lock: nobody else runs them
        self._undo_what_a_teardown_removed()
        session.status = "running"
        for step in self.plan:
            session.step(step.id)
        try:
            self.save()
        except SessionWriteError as exc:
            return self._finish(
                RunResult("failed", 1, None, str(exc), "free disk space, then resume")
            )
        self.emit(
            PlanStarted(session.id, tuple((s.id, s.title, phase_of_step(s.id)) for s in self.plan))
        )
        for step in self.plan:
            if self.cancel.is_set():
                reason = self.options.get("stop_reason")
                cause = str(reason) if reason else "stopped before this step started"
                session.record(step.id, "interrupted", cause)
                return self._finish(
                    RunResult(
                        "interrupted",
                        130,
                        step.id,
                        str(reason or "Stopped at your request."),
                        resume_action(session.id, step.id),
                    )
                )
            result = self._run_step(step)
            if result is not None:
                return self._finish(result)
        return self._finish(RunResult("done", 0))

    def _context(self, step: Step) -> StepContext:
        return StepContext(
            step_id=step.id,
            session=self.session,
            emit=self.emit,
            cancel=self.cancel,
            save=self.save,
            resources=self.resources,
            log_sink=self.log.write,
            options=self.options,
        )

    def _run_step(self, step: Step) -> RunResult | None:
        session = self.session
        rec = session.step(step.id)
        ctx = self._context(step)
        started = time.monotonic()
        commands = tuple(_safe_commands(step, session))
        self.emit(
            StepStarted(step.id, step.title, phase_of_step(step.id), commands, step.eta_seconds)
        )
        try:
            was_done = rec.state in ("done", "skipped")
            if self._already_done(step, ctx):
                ctx.flush()
                settled = getattr(step, "settled_note", SETTLED_NOTE)
                note = "already done" if was_done else settled
                if not was_done:
                    session.record(step.id, "skipped", note=note)
                    self.save()
                self.emit(
                    StepFinished(
                        step.id, session.step(step.id).state, time.monotonic() - started, note=note
                    )
                )
                return None
            target = _target_of(step, session)
            session.record(step.id, "running")
            self.save()
            step.apply(ctx)
            ctx.flush()
            session.record(step.id, "done")
            if _target_of(step, session) != target:
                self._later_steps_stale(step)
            self.save()
            self.emit(StepFinished(step.id, "done", time.monotonic() - started))
            return None
        except Cancelled as exc:
            ctx.flush()
            # Who stopped it, when the caller knows better than "at your request" (the
            # wizard on a signal: a closed window, a kill).
            stop_reason = self.options.get("stop_reason")
            said = f"{stop_reason or exc.cause} {exc.aftermath}".strip()
            cause, action = _redacted(said, exc.action)
            session.record(step.id, "interrupted", cause, action=action)
            self.emit(
                StepFinished(step.id, "interrupted", time.monotonic() - started, cause, action)
            )
            return RunResult(
                "interrupted",
                130,
                step.id,
                cause,
                resume_action(session.id, step.id),
            )
        except KfwizardError as exc:
            ctx.flush()
            return self._failed(step, started, exc.cause, exc.action, exc.details, exc.exit_code)
        except SessionWriteError as exc:
            return self._failed(step, started, str(exc), "free disk space, then resume", (), 1)
        except Exception as exc:  # an unexpected error still leaves a resumable session
            ctx.flush()
            self.write_log(step.id, traceback.format_exc().splitlines())
            cause = f"Unexpected error in step '{step.title}': {type(exc).__name__}: {exc}"
            action = f"see the log in {self.log.path}; resume once the cause is fixed"
            return self._failed(step, started, cause, action, (), 1)

    def _undo_what_a_teardown_removed(self) -> None:
        """A wizard run after a teardown (Install again, or any step of the session
        run again): the install and verify records, and the cluster's when the teardown
        deleted it, go back to pending before it starts. Left as they were, a run that
        stopped early (``--until project``) turned the session back into "Verify · done"
        in ``sessions`` and the picker, with nothing installed. A teardown plan (its
        steps are none of the five phases) leaves them: it is the teardown itself."""
        session = self.session
        if any(wizard_phase(s.id) is None for s in self.plan):
            self._fresh_teardown()
            return
        if not teardown_was_last(session.status, session.journal):
            return
        removed = {"install", "verify"}
        if (session.inventory.get("cluster") or {}).get("deleted"):
            removed.add("cluster")
        for step_id, rec in list(session.steps.items()):
            if wizard_phase(step_id) in removed and rec.state != "pending":
                session.start_over(step_id, "to run again: a teardown removed it")

    def _fresh_teardown(self) -> None:
        """A teardown that does not carry on an unfinished one starts its steps afresh:
        the records of an earlier, finished teardown counted on ("stopped · attempt 3"
        after two teardowns that had both finished)."""
        session = self.session
        if teardown_halfway(session.status, session.journal):
            return
        for step in self.plan:
            record = session.steps.get(step.id)
            if record is not None and record.state != "pending":
                session.start_over(step.id, "a new teardown")

    def _later_steps_stale(self, step: Step) -> None:
        """``step`` now points at something else (another cluster, other manifests): the
        later wizard steps this run does not include ran against the old one, so they go
        back to pending, and the wizard and ``sessions`` stop reporting what they did.

        Every outcome goes, not only done: a preflight that failed on the old cluster
        (its cause, its advice to resize that cluster) says nothing about the new one,
        and the Install screen, the step bar and the picker would show it as this
        cluster's failure although nothing has run there yet.
        """
        planned = {s.id for s in self.plan}
        mine = phase_index(phase_of_step(step.id))
        for step_id, rec in self.session.steps.items():
            phase = wizard_phase(step_id)  # teardown steps are none of the five
            if phase is None or step_id in planned or phase_index(phase) <= mine:
                continue
            if rec.state != "pending":
                self.session.start_over(step_id, f"to run again: {step.title} changed")

    def _already_done(self, step: Step, ctx: StepContext) -> bool:
        try:
            return bool(step.check(ctx))
        except (Cancelled, StepFailed):
            raise
        except KfwizardError:
            raise
        except Exception as exc:  # a check that cannot decide means "not done"
            ctx.log(f"check skipped: {type(exc).__name__}: {exc}")
            return False

    def _failed(
        self,
        step: Step,
        started: float,
        cause: str,
        action: str | None,
        details: tuple[str, ...],
        exit_code: int,
    ) -> RunResult:
        """Record and announce a failure. Causes and details often quote what a server
        or a library said (a connection string, a request header), so they are redacted
        here, before the session file, the log and any listener see them."""
        session = self.session
        cause, action = _redacted(cause, action)
        details = tuple(redact_lines(details))
        if details:
            self.log.write(step.id, details)
            self.emit(StepOutput(step.id, details))
        session.record(step.id, "failed", cause, action=action)
        try:
            self.save()
        except SessionWriteError as exc:
            self.write_log("runner", (str(exc),))
        self.emit(
            StepFinished(
                step.id, "failed", time.monotonic() - started, cause, action, details=details
            )
        )
        return RunResult("failed", exit_code, step.id, cause, action)


def _redacted(cause: str, action: str | None) -> tuple[str, str | None]:
    """A failure's cause and next action with secrets masked."""
    return redact(cause), None if action is None else redact(action)


def _safe_commands(step: Step, session: Session) -> list[str]:
    try:
        return list(step.commands(session))
    except Exception:
        return []
