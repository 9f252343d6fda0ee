"""Resumable sessions: what the user chose, what each step did, what was created.

A session is one JSON file under ``paths.sessions_dir()``. It is written atomically
(temp file, fsync, ``os.replace``) with mode 0600, so a crash or a full disk never leaves
a half-written file behind: the previous version stays in place. One process at a time
may write a session (an advisory lock on a sibling ``.lock`` file). A file that cannot be
read is moved to ``set-aside/`` and reported; it never stops the program. A file written
by a newer kfwizard is left where it is (the newer kfwizard still needs it): listed,
never resumed. ``kfwizard sessions`` reads the files without this module
(:mod:`kfwizard.session_list`, which also holds the rules both share).

Nothing secret should be stored here, and nothing checks the file for it: selections
hold names and choices (the answers loader refuses password and token keys,
``answers.SECRET_KEYS``; the kfp-gcp password is asked at run time and kept only in the
cluster), and the runner redacts failure causes and actions
(:func:`kfwizard.engine.redact.redact`) before they are recorded here.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kfwizard import paths, session_list
from kfwizard.session_list import SCHEMA_VERSION as SCHEMA_VERSION  # re-exported

DEAD_RUN_CAUSE = (
    "The kfwizard process running this step ended unexpectedly (a closed terminal, a kill "
    "or a crash)."
)
"""Why a step left "running" by a process that is gone is interrupted."""

STEP_STATES = ("pending", "running", "done", "failed", "skipped", "interrupted")
SESSION_STATUSES = ("new", "running", "done", "failed", "interrupted", "removed")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def new_session_id() -> str:
    """A short id that sorts by creation time: ``20261128-1432-ab12``."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M")
    return f"{stamp}-{os.urandom(2).hex()}"  # not `secrets`: 10 ms to import for 4 hex


class SessionError(Exception):
    """A session could not be read, written or locked; the message says why."""

    exit_code = 1


class SessionNotFound(SessionError):
    pass


class SessionLocked(SessionError):
    pass


class SessionWriteError(SessionError):
    pass


@dataclass
class StepRecord:
    """The last known state of one step."""

    state: str = "pending"
    started_at: str | None = None
    finished_at: str | None = None
    cause: str | None = None
    action: str | None = None
    attempts: int = 0
    note: str | None = None


@dataclass
class Session:
    """Everything a resume needs, and nothing secret."""

    id: str
    name: str = ""
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)
    schema_version: int = SCHEMA_VERSION
    status: str = "new"
    demo: bool = False
    selections: dict[str, Any] = field(default_factory=dict)
    """The answers-file shape: name, project, services, cluster, deployment."""
    steps: dict[str, StepRecord] = field(default_factory=dict)
    """Step id -> last state; the order comes from the plan."""
    journal: list[dict[str, Any]] = field(default_factory=list)
    """Every transition, oldest first: at, step, state, cause."""
    inventory: dict[str, Any] = field(default_factory=dict)
    """What this session created (cluster, services, objects), for teardown."""
    outputs: dict[str, Any] = field(default_factory=dict)
    """Facts steps learned (cluster endpoint, installed version, verify evidence)."""
    origin: dict[str, Any] = field(default_factory=dict)
    """Where the selections came from (answers file path and hash), to find it again."""

    JOURNAL_LIMIT = 2000

    @classmethod
    def new(
        cls, name: str = "", selections: dict[str, Any] | None = None, demo: bool = False
    ) -> Session:
        return cls(id=new_session_id(), name=name, selections=dict(selections or {}), demo=demo)

    # -- steps and journal --------------------------------------------------------
    def step(self, step_id: str) -> StepRecord:
        return self.steps.setdefault(step_id, StepRecord())

    def record(self, step_id: str, state: str, cause: str | None = None, **extra: Any) -> None:
        if state not in STEP_STATES:
            raise ValueError(f"unknown step state {state!r}")
        rec = self.step(step_id)
        at = now_iso()
        rec.state = state
        if state == "running":
            rec.started_at = at
            rec.finished_at = None
            rec.cause = rec.action = rec.note = None
            rec.attempts += 1
        else:
            rec.finished_at = at
            rec.cause = cause
            rec.action = extra.get("action")
            rec.note = extra.get("note")
        entry: dict[str, Any] = {"at": at, "step": step_id, "state": state}
        if cause:
            entry["cause"] = cause
        self.journal.append(entry)
        if len(self.journal) > self.JOURNAL_LIMIT:
            del self.journal[: len(self.journal) - self.JOURNAL_LIMIT]

    def start_over(self, step_id: str, note: str) -> None:
        """Send a step back to pending, as if it never ran: no cause, no next action,
        no attempts. For a step whose earlier runs were against something the session
        no longer uses (another cluster): the failure panel's "attempt N" counts tries
        at the same thing, and the first try on the new one is not a retry."""
        self.record(step_id, "pending", note=note)
        self.step(step_id).attempts = 0

    def settle_dead_runs(self) -> list[str]:
        """Mark the steps left "running" as interrupted; return their ids.

        Call it holding the session's lock: then no process runs this session, and a
        step still "running" belonged to one that ended without saving (a closed
        terminal, a kill, a crash). The runner does it before a run, the wizard when it
        opens the session, so the screen shows the stop instead of a step that seems to
        run.
        """
        dead = [step_id for step_id, rec in self.steps.items() if rec.state == "running"]
        for step_id in dead:
            self.record(step_id, "interrupted", DEAD_RUN_CAUSE)
        if dead and self.status == "running":
            self.status = "interrupted"
        return dead

    def current_step(self) -> str | None:
        """The first step that is not finished, or the last one touched."""
        return session_list.current_step({k: rec.state for k, rec in self.steps.items()})

    def mode_changed(self) -> bool:
        """Deployment mode's choices changed since the manifests were prepared
        (:func:`kfwizard.engine.selection.mode_choices_changed`)."""
        from kfwizard.engine.selection import mode_choices_changed

        return mode_choices_changed(self.selections, self.outputs)

    def phase(self) -> str:
        """The wizard screen this session is at: where Resume opens it, the step the
        picker and ``kfwizard sessions`` name (one rule:
        :func:`kfwizard.engine.phases.resume_phase_after_changes`)."""
        from kfwizard.engine.phases import resume_phase_after_changes

        return resume_phase_after_changes(self.steps, self.mode_changed())

    # -- inventory ----------------------------------------------------------------
    def inventory_objects(self) -> list[dict[str, str]]:
        return self.inventory.setdefault("objects", [])

    def inventory_pvcs(self) -> list[dict[str, str]]:
        """The PersistentVolumeClaims this session applied: their data goes with a teardown."""
        return [
            {"namespace": o.get("namespace") or "default", "name": o.get("name", "")}
            for o in self.inventory.get("objects") or []
            if o.get("kind") == "PersistentVolumeClaim"
        ]

    def add_objects(self, refs: list[dict[str, str]]) -> None:
        """Add object references (apiVersion, kind, namespace, name) once each."""
        objects = self.inventory_objects()
        seen = {_ref_key(o) for o in objects}
        for ref in refs:
            key = _ref_key(ref)
            if key not in seen:
                objects.append(dict(ref))
                seen.add(key)

    def remove_objects(self, refs: list[dict[str, str]]) -> None:
        """Forget object references (gone from the cluster, or no longer kfwizard's)."""
        drop = {_ref_key(r) for r in refs}
        self.inventory["objects"] = [o for o in self.inventory_objects() if _ref_key(o) not in drop]

    # -- (de)serialisation --------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["schema_version"] = SCHEMA_VERSION
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Session:
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        version = data.get("schema_version")
        if not isinstance(version, int):
            raise ValueError("schema_version is missing")
        if version > SCHEMA_VERSION:
            raise FutureVersion(version)
        raw_steps = data.get("steps") or {}
        if not isinstance(raw_steps, dict):  # .items() would raise AttributeError
            raise ValueError("steps is not a mapping")
        steps = {
            str(k): StepRecord(
                **{f: v for f, v in dict(rec).items() if f in StepRecord.__dataclass_fields__}
            )
            for k, rec in raw_steps.items()
        }
        session = cls(
            id=str(data["id"]),
            name=str(data.get("name") or ""),
            created_at=str(data.get("created_at") or now_iso()),
            updated_at=str(data.get("updated_at") or now_iso()),
            status=str(data.get("status") or "new"),
            demo=bool(data.get("demo", False)),
            selections=dict(data.get("selections") or {}),
            steps=steps,
            journal=list(data.get("journal") or []),
            inventory=dict(data.get("inventory") or {}),
            outputs=dict(data.get("outputs") or {}),
            origin=dict(data.get("origin") or {}),
        )
        return session

    def copy(self) -> Session:
        return copy.deepcopy(self)

    def display_name(self) -> str:
        return self.name or self.selections.get("name") or self.id


def _ref_key(ref: dict[str, str]) -> tuple[str, str, str, str]:
    return (
        ref.get("apiVersion", ""),
        ref.get("kind", ""),
        ref.get("namespace") or "",
        ref.get("name", ""),
    )


class FutureVersion(ValueError):
    def __init__(self, version: int) -> None:
        super().__init__(session_list.newer_reason(version))
        self.version = version


@dataclass(frozen=True)
class NewerSession:
    """A session file written by a newer kfwizard: left in place, never resumed here."""

    path: Path
    version: int

    def message(self) -> str:
        return session_list.newer_message(self.path.name, self.version)


@dataclass(frozen=True)
class SetAside:
    """A session file that could not be used, and where it was moved."""

    original: Path
    moved_to: Path
    reason: str
    left: str = ""
    """What the session may have left running (its cluster), as a sentence; or ""."""
    name: str = ""
    """The session's name, when the damaged file still says it; or ""."""

    def message(self) -> str:
        where = (
            f"it was moved to {self.moved_to} and nothing else was changed."
            if self.moved_to != self.original
            else "it could not be moved aside, so it was skipped where it is."
        )
        said = f"Session file {self.original.name} could not be used ({self.reason}); {where}"
        if self.name:
            said += f" It held session {self.name!r}."
        return f"{said} {self.left}" if self.left else said


@dataclass(frozen=True)
class Unreadable:
    """A session file, or the sessions folder (``folder``), that cannot be read: skipped
    and left where it is. Nothing says it is damaged: another user's file (a
    ``sudo kfwizard`` run) is whole, and that user still needs it."""

    path: Path
    error: OSError
    folder: bool = False

    def message(self) -> str:
        if self.folder:
            return session_list.folder_unreadable_message(self.path, self.error)
        return session_list.unreadable_message(self.path, self.error)


Problem = SetAside | Unreadable
"""A session file (or folder) the store skipped, which the user must be told about."""

_SAVED_NAME = re.compile(r'^\{\n  "id": "[^"]*",\n  "name": "((?:[^"\\]|\\.)+)"')
"""The name at the start of a session file as :meth:`SessionStore.save` writes it."""
_CREATED_CLUSTER = re.compile(r'\{[^{}]*"created_by_session"\s*:\s*true[^{}]*\}')
_LOG_CREATING = re.compile(r"\] creating cluster (\S+) in (\S+) \(")
_LOG_DELETING = re.compile(r"\] (?:deleting cluster|cluster) (\S+)(?: in \S+$| is being deleted)")


def clusters_left(session_id: str, text: str) -> list[tuple[str, str, str]]:
    """(project, location, name) of each cluster the session created and did not
    delete, as far as its damaged file (``text``, maybe cut short) or its log says; the
    project is "" where neither names it.

    Once its file is set aside no session knows these clusters: a new session refuses
    the name as not its own, and nothing offers to delete them. The inventory's cluster
    records are flat objects, so one that survived the damage still parses on its own.
    """
    found: dict[tuple[str, str], str] = {}
    for match in _CREATED_CLUSTER.finditer(text):
        with contextlib.suppress(ValueError):
            record = json.loads(match.group())
            if record.get("name") and not record.get("deleted"):
                key = (str(record.get("location") or ""), str(record["name"]))
                found[key] = str(record.get("project") or "")
    if found:
        return [(project, location, name) for (location, name), project in found.items()]
    log = paths.session_log_dir(session_id) / "kfwizard.log"  # SessionLog.FILE_NAME
    try:
        log_text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    for line in log_text.splitlines():
        if created := _LOG_CREATING.search(line):
            name, location = created.groups()
            found[(location, name)] = ""
        elif deleting := _LOG_DELETING.search(line):
            found = {key: "" for key in found if key[1] != deleting.group(1)}
    selected = re.search(r'"project"\s*:\s*"([^"]+)"', text)
    left = []
    for location, name in found:
        operation = re.search(rf"projects/([^/\s]+)/locations/{re.escape(location)}/", log_text)
        project = operation or selected
        left.append((project.group(1) if project else "", location, name))
    return left


def _left_running(session_id: str, text: str) -> str:
    """The sentence :class:`SetAside` adds about clusters the session may have left."""
    clusters = clusters_left(session_id, text)
    if not clusters:
        return ""
    named = ", ".join(
        f"{name} ({location}{', project ' + project if project else ''})"
        for project, location, name in clusters
    )
    one = len(clusters) == 1
    said = (
        f"{'Its cluster' if one else 'Its clusters'} {named} may still exist, and a new "
        f"session refuses {'that name' if one else 'those names'} as not its own:"
    )
    from kfwizard.demo import DEMO_PROJECT

    if re.search(r'"demo"\s*:\s*true', text) or {c[0] for c in clusters} == {DEMO_PROJECT}:
        return f"{said} choose another cluster name for the demo."
    commands = "; ".join(
        f"gcloud container clusters delete {name} --location={location}"
        + (f" --project={project}" if project else "")
        for project, location, name in clusters
    )
    return (
        f"{said} delete {'it' if one else 'them'} if no longer needed ({commands}), "
        "or choose another cluster name."
    )


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_text(path: Path, text: str, mode: int = 0o600) -> None:
    """Write ``text`` to ``path`` so that readers see the old or the new file, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


class SessionLock:
    """An advisory, process-wide lock on one session (``fcntl.flock``).

    The lock file holds the owner's pid, so the error can say who has it. The kernel
    releases the lock when the owner dies, so a killed process never blocks a resume.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:  # a read-only or full sessions folder
            raise self._cannot_lock(exc) from exc
        try:
            self._take(fd)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):  # e.g. no locks on NFS
                os.close(fd)
                raise self._cannot_lock(exc) from exc
            owner = ""
            with contextlib.suppress(OSError, ValueError):
                owner = os.pread(fd, 32, 0).decode().strip()
            os.close(fd)
            who = f" (pid {owner})" if owner else ""
            raise SessionLocked(
                f"Session {self.path.stem} is open in another kfwizard process{who}. "
                "Close that one first, or wait for it to finish."
            ) from None
        # The pid only lets a second process name the owner; the lock holds without it,
        # so a full disk is left for the session save to report (it says what is kept).
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    PROBE_WAIT = 0.25
    """Seconds a busy lock is tried again before the session is called taken."""

    def _take(self, fd: int) -> None:
        """``flock`` the file exclusively, trying again for a moment while it is busy.

        ``kfwizard sessions`` and the session list probe the lock to tell a running
        session from a dead one (:func:`kfwizard.session_list.process_alive`), holding
        it shared for microseconds: a kfwizard starting on the session then must not be
        turned away as if another one ran it. A real holder keeps it far longer.
        """
        import fcntl

        deadline = time.monotonic() + self.PROBE_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                    raise
            time.sleep(0.01)

    def _cannot_lock(self, exc: OSError) -> SessionWriteError:
        reason = exc.strerror or str(exc)
        return SessionWriteError(
            f"Cannot lock session {self.path.stem} in {self.path.parent} ({reason}). "
            "Nothing was changed; free some space or make the folder writable (or point "
            "KFWIZARD_HOME elsewhere), then run again."
        )

    def release(self) -> None:
        if self._fd is not None:
            import fcntl

            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> SessionLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class SessionStore:
    """Reads, writes, lists and deletes sessions in one folder.

    A file it skips is kept in ``set_aside`` (moved aside: it cannot be used),
    ``unreadable`` (left in place: not ours to read, or not a file) or ``newer``, for
    the caller to show. ``report``, when given, is called with each set-aside or
    unreadable file as it is found, once per store: a command that lists sessions in
    passing (a run finding the session for its answers file) tells the user then, and
    a file set aside is never set aside without a word.
    """

    def __init__(
        self, folder: Path | None = None, *, report: Callable[[Problem], None] | None = None
    ) -> None:
        self.folder = folder or paths.sessions_dir()
        self.set_aside: list[SetAside] = []
        self.newer: list[NewerSession] = []
        self.unreadable: list[Unreadable] = []
        self.report = report
        self._reported: set[Path] = set()

    def skipped(self) -> bool:
        """Whether a file was skipped (set aside, unreadable or newer) that the user
        has not been shown yet: the wizard opens on the session list to show it."""
        return bool(self.set_aside or self.unreadable or self.newer)

    def path_for(self, session_id: str) -> Path:
        if not session_id or "/" in session_id or session_id.startswith("."):
            raise SessionNotFound(f"{session_id!r} is not a session id")
        return self.folder / f"{session_id}.json"

    def lock(self, session_id: str) -> SessionLock:
        return SessionLock(self.folder / f"{session_id}.lock")

    def save(self, session: Session) -> None:
        session.updated_at = now_iso()
        text = json.dumps(session.to_json(), indent=2, sort_keys=False) + "\n"
        try:
            atomic_write_text(self.path_for(session.id), text)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise SessionWriteError(
                f"Could not save session {session.id} to {self.folder} ({reason}). "
                "The previous copy is intact; free some space or fix the folder's permissions, "
                "then resume."
            ) from exc

    def _found(self, path: Path) -> bool:
        """Whether ``path`` is there; a folder that cannot be searched is a SessionError
        naming it (``Path.exists`` raises PermissionError there)."""
        try:
            path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return False
        except OSError as exc:
            raise SessionError(session_list.folder_unreadable_message(self.folder, exc)) from None
        return True

    def load(self, session_id: str) -> Session:
        path = self.path_for(session_id)
        if not self._found(path):
            raise SessionNotFound(
                f"No session {session_id!r} in {self.folder}. `kfwizard sessions` lists them."
            )
        session, problem = self._read(path, report=False)  # the error says it
        if session is None:
            assert problem is not None
            raise SessionError(problem.message())
        return session

    def resolve(self, ref: str) -> str:
        """The id of the session ``ref`` names: its id, its name or the start of its id.

        People remember the name they gave ("first-kfp", or "team/kfp": a name is any
        text the answers file and the Project screen accept) or copy part of an id, and
        ``kfwizard sessions`` shows both. An exact id wins; a name or prefix that fits
        several sessions is refused with their ids, rather than picking one. Files that
        cannot be read are skipped, and named when nothing matched.
        """
        if not ref:
            raise SessionNotFound(
                "is empty: give a session's id, its name or the start of its id "
                "(`kfwizard sessions` lists them)"
            )
        with contextlib.suppress(SessionNotFound):  # a name need not be an id
            if self._found(self.path_for(ref)):
                return ref
        sessions = self.list()
        for matches, what in (
            ([s for s in sessions if s.display_name() == ref], "are named"),
            ([s for s in sessions if s.id.startswith(ref)], "have ids starting"),
        ):
            if len(matches) == 1:
                return matches[0].id
            if matches:
                ids = ", ".join(s.id for s in matches)
                raise SessionNotFound(f"Several sessions {what} {ref!r}: {ids}. Give the full id.")
        folder = [u for u in self.unreadable if u.folder]
        if folder:
            raise SessionError(folder[0].message())
        for aside in self.set_aside:
            if ref in (aside.name, aside.original.stem):
                raise SessionNotFound(
                    f"Session {ref!r} cannot be used: its file {aside.original.name} was "
                    f"damaged and set aside ({aside.moved_to})."
                )
        skipped = ""
        if self.unreadable:
            files = ", ".join(
                f"{u.path.name} ({u.error.strerror or u.error})" for u in self.unreadable
            )
            skipped = f" Skipped, as they cannot be read: {files}."
        raise SessionNotFound(
            f"No session {ref!r} (an id, a name or the start of an id) in {self.folder}. "
            f"`kfwizard sessions` lists them.{skipped}"
        )

    def read_file(self, path: Path) -> Session | None:
        """One session file, or None: an unusable file is set aside (``set_aside``), one
        that cannot be read is left in place (``unreadable``), a newer kfwizard's is left
        in place (``newer``)."""
        return self._read(path)[0]

    def _read(
        self, path: Path, *, report: bool = True
    ) -> tuple[Session | None, Problem | NewerSession | None]:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:  # not ours (`sudo kfwizard`), or not a file: not damaged
            return None, self._problem(Unreadable(path, exc), report)
        except ValueError:  # UnicodeDecodeError
            return None, self._move_aside(path, "not UTF-8 text", "", report)
        try:
            return Session.from_json(json.loads(text)), None
        except FutureVersion as exc:
            newer = NewerSession(path, exc.version)
            self.newer.append(newer)
            return None, newer
        except (ValueError, KeyError, TypeError) as exc:
            reason = (
                "not valid JSON" if isinstance(exc, json.JSONDecodeError) else f"unreadable: {exc}"
            )
            return None, self._move_aside(path, reason, text, report)

    def _problem(self, problem: Problem, report: bool = True) -> Problem:
        """Keep ``problem`` for the caller, and report it once (see the class) unless
        the caller says it itself (``report`` false)."""
        if isinstance(problem, SetAside):
            self.set_aside.append(problem)
        elif not any(u.path == problem.path for u in self.unreadable):
            self.unreadable.append(problem)
        key = problem.original if isinstance(problem, SetAside) else problem.path
        if report and self.report is not None and key not in self._reported:
            self._reported.add(key)
            self.report(problem)
        return problem

    def _move_aside(self, path: Path, reason: str, text: str, report: bool) -> SetAside:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.folder / "set-aside" / f"{path.stem}.{stamp}.json"
        try:
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            for again in range(2, 100):  # never over a copy set aside this second
                if not target.exists():
                    break
                target = target.with_name(f"{path.stem}.{stamp}-{again}.json")
            os.replace(path, target)
        except OSError:
            target = path  # could not move; still report, never fatal
        named = _SAVED_NAME.search(text)
        problem = SetAside(
            path,
            target,
            reason,
            left=_left_running(path.stem, text),
            name=json.loads(f'"{named.group(1)}"') if named else "",
        )
        self._problem(problem, report)
        return problem

    def list(self) -> list[Session]:
        """Every readable session, newest first; unusable ones are set aside, unreadable
        and newer ones skipped (and named in ``unreadable`` and ``newer``). A folder
        that is there but cannot be read lists nothing, and is named in ``unreadable``."""
        try:
            names = sorted(os.listdir(self.folder))
        except FileNotFoundError:
            return []
        except OSError as exc:
            self._problem(Unreadable(self.folder, exc, folder=True))
            return []
        session_list.remove_stale_temp_files(self.folder)
        found: list[Session] = []
        for name in names:
            if name.endswith(".json") and not name.startswith("."):
                session = self.read_file(self.folder / name)
                if session is not None:
                    found.append(session)
        found.sort(key=lambda s: s.updated_at, reverse=True)
        return found

    def delete(self, session_id: str) -> None:
        with self.lock(session_id):
            with contextlib.suppress(FileNotFoundError):
                self.path_for(session_id).unlink()
        with contextlib.suppress(FileNotFoundError):
            (self.folder / f"{session_id}.lock").unlink()

    def exists(self, session_id: str) -> bool:
        return self.path_for(session_id).exists()


@contextlib.contextmanager
def locked_session(store: SessionStore, session_id: str) -> Iterator[Session]:
    """Hold the session's lock while the caller works on it; saves are the caller's."""
    with store.lock(session_id):
        yield store.load(session_id)
