"""Headless runs: the same engine as the wizard, printing plain log lines.

``kfwizard run --answers FILE`` carries on the session started from that file (so running
it again resumes and does nothing new, and an edited file changes the choices there, as
going back in the wizard does) or starts one; ``--new`` always starts one, and
``--session ID`` resumes. Ctrl+C, SIGTERM or SIGHUP (the terminal closed) stop at the
next safe point and leave the session ``interrupted``.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import io
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TextIO, cast

from kfwizard.engine.errors import BadInput, KfwizardError, Refused
from kfwizard.engine.events import (
    Event,
    PlanFinished,
    StepFinished,
    StepOutput,
    StepProgress,
    StepStarted,
)
from kfwizard.engine.phases import PHASES
from kfwizard.engine.redact import redact
from kfwizard.session import Session, SessionStore
from kfwizard.wording import duration, plural


class HeadlessPrinter:
    """Turns engine events into plain, prefixed log lines (`[cluster] ...`).

    Output lines come redacted from ``StepContext.log``; failure causes and actions are
    redacted by the runner and once more here, because they are the texts most likely to
    quote a server's message and they are few, so the second look costs nothing.
    Structured details (a cost estimate, the rollout table) feed the wizard's panels and
    are not printed: each step logs what they say in words as well.
    """

    PROGRESS_EVERY = 0.5

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self._last_progress: dict[str, tuple[float, str]] = {}
        """When each step's last progress line was printed, and what it said: a poll
        that found nothing new is not printed again."""
        self._last_output: dict[str, str] = {}
        """Each step's last log line: progress that only repeats it is not printed."""
        self._lock = threading.Lock()

    def _print(self, text: str) -> None:
        with self._lock:
            self.stream.write(text + "\n")
            self.stream.flush()

    def __call__(self, event: Event) -> None:
        if isinstance(event, StepStarted):
            began = getattr(self.stream, "mark", None)
            if began is not None:  # a question in this step is about its lines only
                began()
            self._print(f"==> [{event.step_id}] {event.title}")
            for command in event.commands:
                self._print(f"[{event.step_id}] $ {command}")
        elif isinstance(event, StepOutput):
            for line in event.lines:
                self._print(f"[{event.step_id}] {line}")
            if event.lines:
                self._last_output[event.step_id] = event.lines[-1]
        elif isinstance(event, StepProgress):
            now = time.monotonic()
            last, last_text = self._last_progress.get(event.step_id, (0.0, ""))
            if event.done >= event.total or now - last >= self.PROGRESS_EVERY:
                text = event.counted()
                if text == last_text or self._said_already(event):
                    return
                self._last_progress[event.step_id] = (now, text)
                self._print(f"[{event.step_id}] {text}".rstrip())
        elif isinstance(event, StepFinished):
            if event.state == "failed":
                # A failed step ends the plan: the cause and the next action follow at
                # once, in the plan's last lines, and are not printed here a second time.
                self._print(f"[{event.step_id}] FAILED in {duration(event.elapsed)}")
            elif event.state == "interrupted":
                said = f": {redact(event.cause)}" if event.cause else ""
                self._print(f"[{event.step_id}] interrupted in {duration(event.elapsed)}{said}")
            else:
                note = f" ({event.note})" if event.note else ""
                self._print(f"[{event.step_id}] {event.state} in {duration(event.elapsed)}{note}")
        elif isinstance(event, PlanFinished):
            if event.state == "done":
                self._print("==> done")
            elif event.state == "interrupted":
                self._print(
                    f"==> interrupted at {event.failed_step}; {event.action or ''}".rstrip()
                )
            else:
                self._print(f"==> failed at {event.failed_step}: {redact(event.cause or '')}")
                if event.action:
                    self._print(f"==> next: {redact(event.action)}")

    def _said_already(self, event: StepProgress) -> bool:
        """The step's last log line says what this progress says (a GKE operation's
        status is logged, then reported as progress with the same words)."""
        message = (event.message or "").strip()
        return bool(message) and message in self._last_output.get(event.step_id, "")


class ReaderSafeOutput(io.TextIOBase):
    """The run's output, which a reader that stops reading cannot break.

    ``kfwizard run ... | head -1`` closes the pipe after one line; each later write
    then raised BrokenPipeError: the runner logged a traceback per event, and the
    closing summary's print ended the run in a traceback and exit 1 instead of the
    run's own exit code. As well-behaved command-line tools do, the output is dropped
    from then on (the session's log file keeps the full record) and stdout is pointed
    at /dev/null, so that Python's flush at exit does not fail on it too.
    """

    KEPT_LINES = 60

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._stream = stream
        self.reader_gone = False
        """The reader closed its end: nothing more is written."""
        self._since_mark: list[str] = []
        """What was written since :meth:`mark` (its last ``KEPT_LINES`` lines): what a
        question asked now is about, shown again at the terminal when this output goes
        to a file (see :func:`terminal_input`)."""

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        with suppress(OSError, ValueError, AttributeError):
            return bool(self._stream.isatty())
        return False

    def mark(self) -> None:
        """A new topic begins (a step starts): what came before is not what it asks."""
        self._since_mark.clear()

    def since_mark(self) -> str:
        return "".join(self._since_mark)

    def write(self, text: str) -> int:
        self._since_mark.append(text)
        if len(self._since_mark) > 4 * self.KEPT_LINES:
            lines = "".join(self._since_mark).splitlines(keepends=True)
            self._since_mark = lines[-self.KEPT_LINES :]
        if not self.reader_gone:
            try:
                self._stream.write(text)
            except BrokenPipeError:
                self._stop()
        return len(text)

    def flush(self) -> None:
        if not self.reader_gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._stop()

    def _stop(self) -> None:
        self.reader_gone = True
        with suppress(OSError, ValueError, io.UnsupportedOperation):
            fd = self._stream.fileno()
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(null, fd)
            finally:
                os.close(null)


def reader_safe(stream: TextIO | None) -> TextIO:
    """``stream`` (default stdout) wrapped in a :class:`ReaderSafeOutput`."""
    return cast(TextIO, ReaderSafeOutput(stream or sys.stdout))


HANGUP_REASON = "Stopped because the terminal was closed (SIGHUP)."
"""The interrupted step's cause after a hang-up (the wizard says the same of its window)."""


@contextmanager
def _stop_signals_handled_by(handler: Callable[[int, Any], None]) -> Iterator[None]:
    """Ctrl+C, SIGTERM and SIGHUP (not on Windows) go to ``handler`` while inside; the
    handlers before are put back after."""
    signals = [signal.SIGINT, signal.SIGTERM]
    if hasattr(signal, "SIGHUP"):
        signals.append(signal.SIGHUP)
    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextmanager
def cancel_on_signals(
    cancel: threading.Event,
    options: dict[str, Any] | None = None,
    stopping: str = "Stopping at the next safe point (press Ctrl+C again to abort at once)",
) -> Iterator[None]:
    """First Ctrl+C/SIGTERM asks the run to stop at a safe point; a second one aborts.

    SIGHUP (the terminal closed, or ``kill -HUP``) stops at a safe point too, as in the
    wizard; by default it killed the run mid-step. It never aborts: the kernel and the
    shell may each send one for the same closed terminal. ``options``: the runner's, to
    record the hang-up as the stopped step's cause.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    terminal_fds = _terminal_fds()  # asked now: a hung-up terminal no longer says it is one

    def stop(signum: int, frame: object) -> None:
        hung_up = signum == getattr(signal, "SIGHUP", None)
        if hung_up:
            _leave_terminal(terminal_fds)
        if cancel.is_set():
            if hung_up:
                return
            raise KeyboardInterrupt
        if hung_up and options is not None:
            options["stop_reason"] = HANGUP_REASON
        cancel.set()
        _tell(f"\n{'The terminal hung up (SIGHUP). ' if hung_up else ''}{stopping}...")

    with _stop_signals_handled_by(stop):
        yield


def _terminal_fds() -> list[int]:
    """Which of stdout and stderr go to a terminal."""
    found = []
    for fd in (1, 2):
        with suppress(OSError):
            if os.isatty(fd):
                found.append(fd)
    return found


def _leave_terminal(fds: list[int]) -> None:
    """Point the outputs that went to the (now closed) terminal at /dev/null.

    Every write to a hung-up terminal fails (EIO): the line is lost anyway, and each
    failure would be logged as an error in the session's log, burying the run's own
    record there. Output redirected to a file or a pipe is left as it is.
    """
    if not fds:
        return
    with suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            for fd in fds:
                os.dup2(null, fd)
        finally:
            os.close(null)


def _tell(text: str) -> None:
    """A line for the user on stderr; one that cannot be written is dropped, never
    raised into the run the signal handler interrupted."""
    with suppress(OSError, ValueError):
        print(text, file=sys.stderr, flush=True)


def answers_hash(selections: dict[str, Any]) -> str:
    text = json.dumps(selections, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def find_session_for_answers(
    store: SessionStore, path: Path, *, demo: bool | None = None
) -> Session | None:
    """The newest session started from this answers file (``demo``: of that kind only).

    Whatever the file says now: a user who edits it after a failure (as its "next:"
    advice may ask, "use env platform-agnostic") carries on in the same session, with
    the cluster it created, as going back in the wizard would. A torn-down session is
    carried on too, as ``run --session`` does: a new one beside it would not know the
    cluster it created and kept, refuse it as someone else's, and share its name.
    ``--new`` starts over.
    """
    resolved = str(path.resolve())
    for session in store.list():
        if session.origin.get("answers_path") != resolved:
            continue
        if demo is None or session.demo == demo:
            return session
    return None


def changed_choices(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted names of the selections that differ (``deployment.env``)."""
    changed: list[str] = []
    for key in sorted(set(old) | set(new), key=str):
        before, after = old.get(key), new.get(key)
        if isinstance(before, Mapping) and isinstance(after, Mapping):
            changed += changed_choices(before, after, f"{prefix}{key}.")
        elif before != after:
            changed.append(f"{prefix}{key}")
    return changed


def _normalise_until(until: str | None) -> str | None:
    if until is None:
        return None
    from kfwizard.engine.phases import normalise_phase

    try:
        return normalise_phase(until)
    except ValueError as exc:
        raise BadInput("--until", str(exc), until) from None


def run_headless(
    *,
    answers: Path | None,
    session_id: str | None,
    until: str | None = None,
    demo: bool = False,
    faults: list[str] | None = None,
    yes: bool = False,
    new: bool = False,
    port_forward: bool = False,
    speed: float | None = None,
    manifests: str | None = None,
    stream: TextIO | None = None,
    env: dict[str, str] | None = None,
) -> int:
    out = reader_safe(stream)
    until_phase = _normalise_until(until)
    store = SessionStore(report=lambda problem: _tell(f"note: {problem.message()}"))

    if answers is not None:
        session, said = _session_for_answers(
            store,
            answers,
            demo=demo,
            new=new,
            manifests=manifests,
            faults=faults or [],
            until=until_phase,
        )
    else:
        assert session_id is not None
        session, said = _session_to_resume(
            store, session_id, demo=demo, faults=faults or [], until=until_phase
        )
    # A demo session stays one and a real one stays real: the runs below go by the
    # session's kind, never by the flag, and the flag never changes the session.
    demo = session.demo
    _check_faults(faults or [], demo=demo)
    _check_speed(speed, session, resumed=answers is None)
    _check_manifests(manifests, session)

    run_env = dict(env if env is not None else os.environ)
    # A session open elsewhere, or demo emulators another process holds, is refused
    # before the session is announced.
    with store.lock(session.id):
        demo_handle = None
        try:
            if demo:
                from kfwizard.demo import apply_demo_defaults, start_demo

                # A choice the demo's manifests cannot install is refused before the
                # emulators start (an answers file's is refused earlier still).
                apply_demo_defaults(session.selections, manifests=manifests)
                demo_handle = start_demo(faults=faults or [], manifests=manifests, speed=speed)
                run_env.update(demo_handle.env)
            _check_secret_inputs(session, until_phase, run_env)  # after the demo's refusals
            for line in said:
                print(line, file=out)
            store.save(session)
            code = _run_session(session, store, until_phase, run_env, out, yes=yes)
            if code == 0 and port_forward:
                code = _port_forward(session, run_env, out)
            return code
        finally:
            if demo_handle is not None:
                demo_handle.stop()


def _check_faults(faults: list[str], *, demo: bool) -> None:
    """Refuse ``--fault`` without the demo, or with a name the emulators do not know,
    before the session is announced: a refused run must not say "New session"."""
    if not faults:
        return
    if not demo:
        raise BadInput("--fault", "only works with --demo (faults are rehearsed on the emulators)")
    from kfwizard.demo import check_faults

    check_faults(faults)


def _check_speed(speed: float | None, session: Session, *, resumed: bool) -> None:
    """Refuse ``--speed`` on a real run (it sets the pace of the demo's emulators, and
    was ignored there without a word), before the session is announced."""
    if speed is None or session.demo:
        return
    if not resumed:
        raise BadInput(
            "--speed",
            "only works with --demo (it sets the pace of the demo's emulators; a real run "
            "goes at Google Cloud's)",
            action="leave out --speed, or add --demo to rehearse on the emulators",
        )
    raise BadInput(
        "--speed",
        f"only works on a demo session (it sets the pace of the demo's emulators): "
        f"{_named(session)} is a real session (on Google Cloud), which goes at Google "
        "Cloud's pace",
        action="leave out --speed to carry it on",
    )


def _check_manifests(manifests: str | None, session: Session) -> None:
    """Refuse ``--manifests`` for a real session resumed with ``run --session`` (a real
    ``run --answers`` has it refused on the command line): it replaces the demo's
    built-in manifests, and a real session installs the manifests it chose."""
    if not manifests or session.demo:
        return
    started_from = session.origin.get("answers_path")
    how = (
        f"set deployment.manifests in {started_from}, then `kfwizard run --answers "
        f"{started_from}` (it carries on this session)"
        if started_from
        else "start from an answers file that names them (deployment.manifests)"
    )
    raise BadInput(
        "--manifests",
        f"only works on a demo session (it replaces the demo's built-in manifests): "
        f"{_named(session)} is a real session (on Google Cloud)",
        action=f"leave out --manifests to carry it on; to install other manifests, {how}",
    )


def _named(session: Session) -> str:
    """``session ID (NAME)``, or ``session ID`` when it has no name of its own."""
    name = session.display_name()
    return f"session {session.id}{f' ({name})' if name != session.id else ''}"


def _session_for_answers(
    store: SessionStore,
    answers: Path,
    *,
    demo: bool,
    new: bool,
    manifests: str | None,
    faults: list[str] | None = None,
    until: str | None = None,
) -> tuple[Session, list[str]]:
    """The session this answers file carries on (or a new one), and the lines that say
    which; printed only once the run is sure to start. In the demo a file without a
    project gets the demo's, as the wizard's demo fills it in.

    Only a session of the run's kind is carried on (``--demo`` a demo one, without it a
    real one); one of the other kind alone is refused (see ``_refuse_other_kind``)."""
    from kfwizard.answers import load_answers
    from kfwizard.demo import DEMO_PROJECT

    existing = None if new else find_session_for_answers(store, answers, demo=demo)
    if existing is None and not new:
        other = find_session_for_answers(store, answers)
        if other is not None:
            _refuse_other_kind(other, demo=demo, faults=faults or [], answers=answers)
    selections = load_answers(answers, project=DEMO_PROJECT if demo else None)
    if demo:
        _check_demo_answers(selections, manifests, answers)
    digest = answers_hash(selections)
    if existing is not None and existing.origin.get("answers_hash") == digest:
        same = f"Resuming session {existing.id} (same answers as {answers})."
        return existing, [same, *_torn_down_notes(existing, answers, until)]
    if existing is not None:
        session = existing
        compared = selections
        if session.demo:  # the demo's own defaults were added to the session's
            from kfwizard.demo import apply_demo_defaults

            compared = copy.deepcopy(selections)
            apply_demo_defaults(compared, manifests=manifests)
        changed = changed_choices(session.selections, compared)
        said = (
            f"Resuming session {session.id} with the changed answers in {answers} "
            f"({', '.join(changed) or 'formatting only'}); --new starts a separate session."
        )
        session.selections = selections
        session.name = str(selections.get("name") or session.name)
        notes = _torn_down_notes(session, answers, until)  # on the choices the run will use
        session.origin = {**session.origin, "answers_hash": digest}
        return session, [said, *notes]
    session = Session.new(name=str(selections.get("name") or ""), selections=selections, demo=demo)
    session.origin = {"answers_path": str(answers.resolve()), "answers_hash": digest}
    return session, [f"New session {session.id}."]


def _check_demo_answers(
    selections: Mapping[str, Any], manifests: str | None, answers: Path
) -> None:
    """Refuse an answers file whose choice the demo's built-in manifests cannot install
    (``kfwizard.demo.check_demo_choices``) before anything starts, the next action
    naming the file and the field to edit: the file is where the choice was made."""
    from kfwizard.demo import apply_demo_defaults

    try:
        apply_demo_defaults(copy.deepcopy(dict(selections)), manifests=manifests)
    except BadInput as refused:
        raise BadInput(
            refused.field,
            refused.rule,
            action=f"edit {refused.field} in {answers}: {refused.action}; then run the "
            "same command again",
        ) from None


def _session_to_resume(
    store: SessionStore,
    session_id: str,
    *,
    demo: bool = False,
    faults: list[str] | None = None,
    until: str | None = None,
) -> tuple[Session, list[str]]:
    """The session ``run --session`` resumes, and the lines that say so. A demo session
    resumes in the demo without ``--demo``; a real one is refused ``--demo``."""
    session = store.load(session_id)
    if not session.demo and (demo or faults):
        _refuse_other_kind(session, demo=demo, faults=faults or [], answers=None)
    name = session.display_name()
    said = [f"Resuming session {session.id}{f' ({name})' if name != session.id else ''}."]
    return session, said + _torn_down_notes(session, None, until)


def _refuse_other_kind(
    session: Session, *, demo: bool, faults: list[str], answers: Path | None
) -> None:
    """Refuse to run a real session in the demo, or a demo session for real (exit 2).

    The demo would point the real session at the emulators for good: its next teardown
    would "succeed" there and leave the real install running and billed. And a demo
    session carried on by a run without ``--demo`` (the README's "for a real install
    drop --demo") would rehearse again while the user believes it installs for real.
    """
    named = _named(session)
    if session.demo:
        raise BadInput(
            "--demo",
            f"is missing: {named}, from {answers}, is a demo session (on the built-in "
            "emulators); a run without --demo is a real one",
            action=f"add --demo to carry on the demo session, or add --new to start a real "
            f"session from {answers}",
        )
    flag = "--demo" if demo else "--fault"
    rehearse = (
        f"add --new to rehearse {answers} in a separate demo session"
        if answers is not None
        else "rehearse in a separate demo session: kfwizard --demo run --answers FILE"
    )
    why = (
        "a demo run would point it at the emulators for good, and its teardown would then "
        "leave the real install in place"
        if demo
        else "faults are rehearsed on the demo's emulators only"
    )
    raise BadInput(
        flag,
        f"cannot be used on {named}: it is a real session (on Google Cloud); {why}",
        action=f"leave out {flag}{' and --fault' if demo and faults else ''} to carry it "
        f"on, or {rehearse}",
    )


def _torn_down_notes(session: Session, answers: Path | None, until: str | None = None) -> list[str]:
    """What resuming a torn-down session does, said before it runs; refused (exit 2)
    when the cluster it would install into was an adopted one that its teardown
    deleted: kfwizard creates only clusters it is asked to create, so the run could
    only fail at the cluster step, after saying it installs again. A run that stops
    before the Install step (``--until``) installs nothing, and says so."""
    from kfwizard.engine.phases import PHASE_TITLES, phase_index
    from kfwizard.engine.steps.teardown import teardown_unfinished

    removed = session.status == "removed"
    if not removed and not teardown_unfinished(session):
        return []
    if until is not None and phase_index(until) < phase_index("install"):
        reaches_cluster = phase_index(until) >= phase_index("cluster")
        if not reaches_cluster or not _adopted_cluster_deleted(session):
            made = " (a deleted cluster it created is created again)" if reaches_cluster else ""
            return [
                f"It was torn down; this run stops after {PHASE_TITLES[until]}{made} and "
                "installs nothing yet."
            ]
    deleted = _adopted_cluster_deleted(session)
    if deleted:
        started_from = session.origin.get("answers_path")
        if answers is not None or started_from:
            again = (
                "run the same command again"
                if answers is not None
                else f"`kfwizard run --answers {started_from}` (it carries on this session)"
            )
            action = (
                f"in {answers or started_from}, name another existing cluster (cluster.name), "
                f"or set cluster.source: create to have one created, then {again}"
            )
        else:
            action = (
                f"choose another cluster, or one to create, on the Cluster step of "
                f"`kfwizard resume {session.id}`, or start from an answers file that names "
                "one (kfwizard run --answers FILE)"
            )
        raise Refused(
            f"Session {session.id} was torn down with its cluster {deleted}, an existing "
            "cluster it did not create: kfwizard does not create an existing cluster again, "
            "so this run cannot install the session again.",
            action,
        )
    if removed:
        return [
            "It was torn down: this run installs it again (a deleted cluster it created is "
            "created again)."
        ]
    return [
        "Its teardown did not finish: this run installs it again; "
        f'"kfwizard teardown --session {session.id}" finishes the teardown instead.'
    ]


def _adopted_cluster_deleted(session: Session) -> str | None:
    """The name of the adopted cluster that a teardown deleted, when the session's
    choices still point at it (source ``existing``, the same name and location)."""
    cluster = session.inventory.get("cluster") or {}
    chosen = session.selections.get("cluster") or {}
    if not cluster.get("deleted") or cluster.get("created_by_session"):
        return None
    if (chosen.get("source") or "create") == "create":
        return None
    same = chosen.get("name") == cluster.get("name") and (
        chosen.get("location") == cluster.get("location")
    )
    return str(cluster.get("name")) if same else None


def _check_secret_inputs(session: Session, until: str | None, env: Mapping[str, str]) -> None:
    """kfp-gcp's Cloud SQL password is asked when the apply step needs it; with no
    terminal to ask at and no variable holding it, the run is refused before anything
    starts (it would otherwise create the cluster, then fail at the apply). A run whose
    apply is done already (a resumed verify) needs no password and is not refused."""
    from kfwizard.engine.phases import phase_index
    from kfwizard.manifests.secret_inputs import CLOUDSQL_PASSWORD_ENV

    mode = (session.selections.get("deployment") or {}).get("mode")
    if mode != "kfp-gcp" or CLOUDSQL_PASSWORD_ENV in env or sys.stdin.isatty():
        return
    applied = session.steps.get("apply")
    if applied is not None and applied.state in ("done", "skipped"):
        return  # re-verifying an install asks for nothing (a new cluster resets "apply")
    if until is not None and phase_index(until) < phase_index("install"):
        return
    raise BadInput(
        CLOUDSQL_PASSWORD_ENV,
        "kfp-gcp needs the Cloud SQL password, which kfwizard writes only into Secret "
        "kubeflow/mysql-secret; with no terminal to ask at, it is read from this variable",
        action=f"set {CLOUDSQL_PASSWORD_ENV} (or run at a terminal), then run again",
    )


class _PromptStopped(Exception):
    """Ctrl+C (or SIGTERM) while a question waits at the terminal."""


def _stoppable(ask: Callable[..., Any], cancel: threading.Event, unanswered: Any) -> Any:
    """``ask`` with Ctrl+C and SIGTERM ending the question: the run is asked to stop
    (``cancel``) and the question returns ``unanswered``, so the step stops at once
    (it checks for a stop after a question without an answer). Outside a question the
    first signal still waits for a safe point."""

    def asked(*args: Any) -> Any:
        if cancel.is_set():  # Ctrl+C came as the question did: no question, the stop
            return unanswered
        if threading.current_thread() is not threading.main_thread():
            return ask(*args)

        def stop_question(signum: int, frame: object) -> None:
            cancel.set()
            raise _PromptStopped

        previous = {
            sig: signal.signal(sig, stop_question) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            return ask(*args)
        except _PromptStopped:
            _tell("\nStopped at your request.")
            return unanswered
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    return asked


def ask_secret_at_terminal(item: Any) -> str | None:
    """The value typed at the terminal without echo; None at Ctrl+D (not given), and
    when the terminal cannot hide what is typed (it is never asked with the echo on)."""
    import termios

    try:
        return terminal_secret(f"{item.prompt} (not shown, never saved): ")
    except (EOFError, termios.error):
        return None


def terminal_secret(prompt: str) -> str:
    """A line typed at the terminal (stdin) without echo: ``getpass`` whose wait a
    signal handler can always end, as :func:`terminal_input` is for ``input()``.

    ``getpass`` blocks in one read, so a Ctrl+C that landed between the prompt and the
    read (or that another thread took) stayed pending until Enter. Here the line is
    waited for in short ``select`` rounds. The echo is restored however the question
    ends; what was typed and not read (a password half typed when Ctrl+C came) is
    discarded with it, so nothing typed reaches the shell's prompt either. End of input
    (Ctrl+D on an empty line) raises ``EOFError``; the prompt's line is closed, since
    neither Enter nor Ctrl+D is echoed."""
    import select
    import termios

    fd = sys.stdin.fileno()
    shown_on = _prompt_stream()
    before = termios.tcgetattr(fd)
    hidden = copy.deepcopy(before)
    hidden[3] &= ~termios.ECHO
    typed = bytearray()
    try:
        termios.tcsetattr(fd, termios.TCSAFLUSH, hidden)
        shown_on.write(prompt)
        shown_on.flush()
        while not typed.endswith(b"\n"):
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            if not chunk and not typed:
                raise EOFError
            if not chunk:  # Ctrl+D after some text: that text is the line
                break
            typed += chunk
    except EOFError:
        _close_prompt_line(shown_on)
        raise
    finally:
        termios.tcsetattr(fd, termios.TCSAFLUSH, before)
    _close_prompt_line(shown_on)
    return typed.removesuffix(b"\n").decode(sys.stdin.encoding or "utf-8")


_answering_terminal: TextIO | None = None
"""The terminal stdin reads from, opened to show questions on when neither stderr nor
stdout is a terminal (``> run.log 2>&1`` at a terminal)."""


def _prompt_stream() -> TextIO:
    """Where a question is shown: the terminal, when stdout (the run's log lines) goes
    to a file; stderr, as ``getpass`` does, unless only stdout is the terminal; and
    when both go to files, the terminal the answer is typed at."""
    global _answering_terminal
    for stream in (sys.stderr, sys.stdout):
        if _isatty(stream):
            return stream
    if _answering_terminal is None and _isatty(sys.stdin):
        with suppress(OSError, ValueError):
            # O_NOCTTY: showing a question never makes this terminal the process's own.
            fd = os.open(os.ttyname(sys.stdin.fileno()), os.O_WRONLY | os.O_NOCTTY)
            _answering_terminal = open(fd, "w", encoding="utf-8")  # noqa: SIM115 - kept open
    return _answering_terminal or sys.stderr


def _isatty(stream: object) -> bool:
    with suppress(OSError, ValueError, AttributeError):
        return bool(stream.isatty())  # type: ignore[attr-defined]
    return False


def _close_prompt_line(stream: TextIO) -> None:
    with suppress(OSError, ValueError):
        stream.write("\n")
        stream.flush()


def _run_session(
    session: Session,
    store: SessionStore,
    until: str | None,
    env: dict[str, str],
    out: TextIO,
    *,
    yes: bool,
) -> int:
    from kfwizard.engine.options import run_options
    from kfwizard.engine.plan import build_plan
    from kfwizard.engine.runner import Runner

    plan = build_plan(session.selections, until=until)
    cancel = threading.Event()
    printer = HeadlessPrinter(out)
    options = run_options(env, demo=session.demo, skip_checks=session.selections.get("skip_checks"))
    # "yes" and "confirm"
    options.update(create_consent(yes=yes, demo=session.demo, env=env, out=out))
    if sys.stdin.isatty():
        options["ask_secret"] = ask_secret_at_terminal
    # A question at the terminal is stopped by Ctrl+C at once: the safe-point stop waits
    # for the step, and the step waits for the answer, so nothing happened until Enter.
    if "confirm" in options:
        options["confirm"] = _stoppable(options["confirm"], cancel, False)
    if "ask_secret" in options:
        options["ask_secret"] = _stoppable(options["ask_secret"], cancel, None)
    runner = Runner(session, store, plan, emit=printer, cancel=cancel, options=options)
    with cancel_on_signals(cancel, runner.options):
        result = runner.run()
    if result.state == "done":
        # Up to the last phase is the whole plan: "done up to verify" read as if
        # something were left.
        done = "complete" if until in (None, PHASES[-1]) else f"done up to {until}"
        print(f"Session {session.id}: {done}.", file=out)
    elif result.state == "failed":
        print(_stopped_line(session, result.failed_step, result.action), file=out)
    return result.exit_code


def _stopped_line(session: Session, step: str | None, action: str | None) -> str:
    """The run's last line after a failure: how to carry on. When the step asked for
    ``--yes`` (a cluster to create, no terminal to ask on), both commands carry it: the
    same command without it is refused the same way again."""
    answers = session.origin.get("answers_path")
    resume = f"`kfwizard run --session {session.id} --yes`"
    if action and "--yes" in action:
        how = f"run the same command again with --yes, or {resume}" if answers else resume
        return f"Session {session.id} stopped at '{step}': {how}."
    how = (
        f"fix it (in {answers}, if it is a choice there) and run the same command again"
        if answers
        else "fix it and resume"
    )
    return (
        f"Session {session.id} stopped at '{step}': {how}, or "
        f"`kfwizard run --session {session.id}`."
    )


def create_consent(
    *,
    yes: bool,
    demo: bool,
    env: Mapping[str, str],
    ask: Callable[[str], str] | None = None,
    out: TextIO | None = None,
) -> dict[str, Any]:
    """The run options that say whether the cluster step may create a GKE cluster.

    ``--yes`` says so up front, and the demo and the emulators bill nothing. Otherwise
    the step asks on the terminal once it knows the cluster is missing (after printing
    its cost estimate); with no terminal it refuses, naming ``--yes``. ``out``: the
    run's output, which records the question and the answer (see :func:`terminal_input`).
    """
    from kfwizard.gcp.runtime import emulated

    if yes or demo or emulated(env):
        return {"yes": True}
    if ask is None:
        if not sys.stdin.isatty():
            return {"yes": False}
        ask = functools.partial(terminal_input, out=out)
    reply_to = ask

    def confirm(question: str) -> bool:
        return _ask_yes(reply_to, f"{question} Type 'yes' to continue: ")

    return {"yes": False, "confirm": confirm}


def terminal_input(prompt: str, out: TextIO | None = None) -> str:
    """A line typed at the terminal: ``input()`` whose wait a signal handler can always
    end, asked where the person is.

    ``input()`` blocks in one read: a Ctrl+C that lands between the prompt and the read
    leaves its Python handler pending until a line comes, so the question ignored it.
    Waiting in short ``select`` rounds runs pending handlers between them. End of input
    raises ``EOFError``, as ``input()`` does.

    The question is shown at the terminal (:func:`_prompt_stream`). ``out`` is the run's
    output: when it goes elsewhere (``> run.log``), the run sat silently waiting on a
    question only the file held; the terminal is now shown what the output said since
    the step began (the cost estimate, the teardown's list: what the question is about),
    then the question, and the output records the question and the answer."""
    import select

    shown_on = _prompt_stream()
    elsewhere = out is not None and not _isatty(out)
    about = getattr(out, "since_mark", None) if elsewhere else None
    shown_on.write((about() if about is not None else "") + prompt)
    shown_on.flush()
    answer = "(no answer: stopped)"
    try:
        while True:
            ready, _, _ = select.select([sys.stdin], [], [], 0.2)
            if ready:
                line = sys.stdin.readline()
                if not line:
                    answer = "(no answer: end of input)"
                    _close_prompt_line(shown_on)  # neither Enter nor Ctrl+D ended the line
                    raise EOFError
                answer = line.rstrip("\n")
                return answer
    finally:
        if elsewhere and out is not None:
            with suppress(OSError, ValueError):
                out.write(f"{prompt}{answer}\n")
                out.flush()


def _ask_yes(ask: Callable[[str], str], prompt: str) -> bool:
    """Ask, and agree only to "yes". End of input (Ctrl+D, a closed stdin) is a no:
    it used to fail the step as an unexpected EOFError, or, at the teardown's
    question, end in a traceback."""
    try:
        return ask(prompt).strip().lower() == "yes"
    except EOFError:
        return False


def _port_forward(session: Session, env: dict[str, str], out: TextIO) -> int:
    from kfwizard.kube.client import clients_for_session
    from kfwizard.kube.portforward import UiPortForward

    clients = clients_for_session(session, env)
    stop = threading.Event()
    with (
        cancel_on_signals(stop, stopping="Closing the port-forward"),
        UiPortForward.for_session(session, clients) as forward,
    ):
        print(
            f"{forward.line()}  (Ctrl+C stops the forward)",
            file=out,
            flush=True,
        )
        stop.wait()
    return 0


def teardown_headless(
    session_id: str,
    *,
    delete_cluster: bool,
    confirm_name: str | None,
    yes: bool,
    stream: TextIO | None = None,
    env: dict[str, str] | None = None,
    ask: Callable[[str], str] | None = None,
) -> int:
    """Remove what the session created, driven by its inventory; safe to run twice."""
    from kfwizard.engine.options import run_options
    from kfwizard.engine.runner import Runner
    from kfwizard.engine.steps.teardown import (
        build_teardown_plan,
        finish_command,
        kubeconfig_context,
    )
    from kfwizard.kube.teardown import teardown_preview

    out = reader_safe(stream)
    store = SessionStore()
    session = store.load(session_id)
    run_env = dict(env if env is not None else os.environ)
    demo_handle = None
    try:
        if session.demo:
            from kfwizard.demo import start_demo

            demo_handle = start_demo(faults=[])
            run_env.update(demo_handle.env)
        with store.lock(session.id):
            # Built first: a cluster it may not delete is refused before the preview
            # asks for a yes, not after the objects are gone.
            plan = build_teardown_plan(
                session, delete_cluster=delete_cluster, confirm_name=confirm_name
            )
            preview = teardown_preview(
                session, delete_cluster=delete_cluster, confirm_name=confirm_name
            )
            preview["kubeconfig_context"] = kubeconfig_context(session)
            _print_preview(
                preview,
                delete_cluster,
                out,
                demo=session.demo,
                removed=session.status == "removed",
                **_halfway(session),
            )
            if not yes:
                if ask is None and not sys.stdin.isatty():
                    raise BadInput(
                        "--yes",
                        "is required to tear down without a terminal to confirm on",
                        action="read the list above, then add --yes and run again",
                    )
                try:
                    with _signals_end_the_question():
                        agreed = _ask_yes(
                            ask or functools.partial(terminal_input, out=out),
                            _teardown_question(session),
                        )
                except (_QuestionStopped, KeyboardInterrupt):  # Ctrl+C, a kill, a hang-up
                    print(f"\n{_nothing_deleted(session)}", file=out)
                    return 130
                if not agreed:
                    print(_nothing_deleted(session), file=out)
                    return 0
            cancel = threading.Event()
            finish = 'finish the teardown with "{}"'.format(
                finish_command(
                    session, delete_cluster=delete_cluster, confirm_name=confirm_name, yes=yes
                )
            )
            runner = Runner(
                session,
                store,
                plan,
                emit=_finished_with(HeadlessPrinter(out), finish),
                cancel=cancel,
                options=run_options(run_env, demo=session.demo, yes=yes),
            )
            with cancel_on_signals(cancel, runner.options):
                result = runner.run()
            if result.state == "interrupted" and result.failed_step:
                # The step's record named `run` (the engine's stop): a run installs again.
                session.step(result.failed_step).action = finish
                store.save(session)
            if result.state == "done":
                session.status = "removed"
                store.save(session)
                print(f"Session {session.id}: teardown complete.", file=out)
            return result.exit_code
    except KfwizardError:
        raise
    finally:
        if demo_handle is not None:
            demo_handle.stop()


class _QuestionStopped(Exception):
    """Ctrl+C, SIGTERM or SIGHUP while the teardown's question waits for an answer."""


@contextmanager
def _signals_end_the_question() -> Iterator[None]:
    """SIGTERM and SIGHUP end the teardown's question as Ctrl+C does: nothing deleted,
    exit 130. By default they killed the process ("Terminated", 143) with nothing said;
    after SIGHUP the closed terminal's outputs are let go (see :func:`_leave_terminal`)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    terminal_fds = _terminal_fds()

    def stop(signum: int, frame: object) -> None:
        if signum == getattr(signal, "SIGHUP", None):
            _leave_terminal(terminal_fds)
        raise _QuestionStopped

    with _stop_signals_handled_by(stop):
        yield


def _finished_with(emit: Callable[[Event], None], finish: str) -> Callable[[Event], None]:
    """``emit``, with a stopped teardown's last line naming the command that finishes
    it with the flags this one was given: the engine's says "teardown --session ID
    (with the same --delete-cluster choice)", and that command, as printed, kept the
    cluster the stopped one was deleting."""

    def emitted(event: Event) -> None:
        if isinstance(event, PlanFinished) and event.state == "interrupted":
            event = dataclasses.replace(event, action=finish)
        emit(event)

    return emitted


def _teardown_question(session: Session) -> str:
    """The question after the preview. Once a stopped teardown deleted the objects, or
    GKE is deleting the cluster, "Delete all of this?" asked about what the preview says
    is gone: the question is whether to finish the teardown."""
    halfway = _halfway(session)
    if halfway["uninstalled"] or halfway["deleting"]:
        return "Finish the teardown? Type 'yes' to continue: "
    return "Delete all of this? Type 'yes' to continue: "


def _nothing_deleted(session: Session) -> str:
    """The answer to a no: after a stopped teardown, "Nothing was deleted" denied what
    it did, and a cluster GKE is deleting goes all the same."""
    halfway = _halfway(session)
    if halfway["deleting"]:
        return "Nothing more was deleted; GKE goes on deleting the cluster."
    return "Nothing more was deleted." if halfway["uninstalled"] else "Nothing was deleted."


def _halfway(session: Session) -> dict[str, bool]:
    """What a stopped teardown of ``session`` did already, for the preview: removed its
    objects (``uninstalled``), asked GKE to delete its cluster (``deleting``)."""
    from kfwizard.engine.steps.teardown import delete_requested, uninstalled_halfway

    return {"uninstalled": uninstalled_halfway(session), "deleting": delete_requested(session)}


def _print_preview(
    preview: dict[str, Any],
    delete_cluster: bool,
    out: TextIO,
    demo: bool = False,
    removed: bool = False,
    uninstalled: bool = False,
    deleting: bool = False,
) -> None:
    """What a teardown deletes and what it keeps; a kept cluster is named with what it
    costs (in the demo, nothing: its clusters are the emulator's). ``removed``: torn
    down already, so what the inventory lists is gone, not "will be deleted". An
    adopted cluster goes only when its name was confirmed (``will_delete``).

    A teardown that stopped halfway did some of it: ``uninstalled``, its objects are
    deleted; ``deleting``, GKE is deleting the cluster, which this run follows to the
    end (``find-cluster`` or ``delete-cluster``), whatever ``delete_cluster`` says."""
    billed = "on the emulators, nothing is billed" if demo else "billed while it runs"
    objects = sorted((preview.get("objects_by_kind") or {}).items())
    info = preview.get("cluster_info") or {}
    cluster = preview.get("cluster")
    if objects and (removed or uninstalled or deleting):
        checked = "" if info.get("deleted") or deleting else "; this run checks that none came back"
        if removed:
            done = "Torn down already: the Kubernetes objects this session applied were deleted"
        elif uninstalled:
            done = (
                "The teardown that stopped deleted the Kubernetes objects this session "
                "applied already"
            )
        else:
            done = "The Kubernetes objects this session applied go with the cluster"
        print(f"{done}{checked}.", file=out)
        objects = []
    elif objects:
        print("Teardown will delete:", file=out)
    else:  # stopped before anything was applied (say, while the cluster was created)
        print("No Kubernetes objects to delete: this session applied none.", file=out)
    for kind, count in objects:
        print(f"  {count:>4} {kind}", file=out)
    pvcs = [] if removed or uninstalled or deleting else preview.get("pvcs") or []
    if pvcs:
        print("Data in these volumes will be lost:", file=out)
        for pvc in pvcs:
            print(
                f"  {pvc.get('namespace')}/{pvc.get('name')} {pvc.get('size', '')}".rstrip(),
                file=out,
            )
    if cluster and info.get("deleted"):
        print(f"The cluster {cluster} was deleted by an earlier teardown.", file=out)
    elif cluster and deleting:
        print(
            f"GKE is deleting the cluster {cluster}, as the teardown that stopped asked; "
            "this run follows that delete to its end.",
            file=out,
        )
    elif delete_cluster and info.get("will_delete"):
        lead = "And the cluster" if objects else "Teardown will delete the cluster"
        print(f"{lead} {cluster}.", file=out)
    elif cluster:
        flags = "--delete-cluster"
        if not info.get("created_by_session"):
            flags += f" --confirm-name {info.get('name')}"
        print(f"Kept: the cluster {cluster}, {billed}; {flags} deletes it too.", file=out)
    earlier = preview.get("earlier_clusters") or []
    if delete_cluster and earlier:
        print("And the clusters this session created before it chose another:", file=out)
        for text in earlier:
            print(f"  {text}", file=out)
    elif earlier:
        print(
            f"Not deleted without --delete-cluster: {plural(len(earlier), 'earlier cluster')} this "
            f"session created ({billed}): " + "; ".join(earlier),
            file=out,
        )
    for text in preview.get("left_in_place") or []:
        if not any(text in line for line in earlier):  # an earlier cluster's own line says it
            print(text, file=out)
    context = preview.get("kubeconfig_context")
    if delete_cluster and context:
        from kfwizard.engine.steps.teardown import kubeconfig_kept

        print(kubeconfig_kept(str(context)), file=out)
