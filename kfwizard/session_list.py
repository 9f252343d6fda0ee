"""`kfwizard sessions` without the engine: the session files read as plain JSON.

The listing must answer within ``python -c pass`` + 50 ms, and importing
:mod:`kfwizard.session` (dataclasses, tempfile, datetime, the engine's errors) alone costs
about half of that. This module reads the files with :mod:`json` and builds the rows
itself, and writes nothing but the tidying of stale temp files the store does too. A file
it cannot vouch for (damaged, unreadable, an odd shape) goes to
:class:`kfwizard.session.SessionStore`, which sets it aside and says why, as always.

The rules the two share (the schema version, a newer file, the current step, stale temp
files) live here, so the quick path and the store cannot drift apart.
"""

from __future__ import annotations

import errno
import json
import os
import time
from fnmatch import fnmatchcase

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs a few ms at start-up; annotations only
    from pathlib import Path
    from typing import Any

SCHEMA_VERSION = 1
"""The session file format this kfwizard writes (and the newest it reads)."""

NEWER_NOTE = "written by a newer kfwizard; upgrade to resume"
"""The ``note`` of a newer session's row in ``kfwizard sessions --json``."""

STALE_TEMP_SECONDS = 300.0
_FINISHED = ("done", "skipped")
_MAPPINGS = ("selections", "inventory", "outputs", "origin")


def process_alive(lock_path: str | Path) -> bool:
    """Whether a kfwizard process holds the session's lock: runs the session now.

    A run killed outright (a closed terminal, SIGKILL, a crash) leaves its session
    "running" with no process behind it. The lock says so, the pid in the lock file
    does not: the kernel drops a lock when its holder dies, while the pid lives on in
    the file and may be another process's by now (pid 1 always is, in a container).
    The lock is probed with a shared, non-blocking ``flock``, let go at once: it is
    granted only when nobody holds the session (:class:`kfwizard.session.SessionLock`
    takes it exclusively, and waits out such a probe). Where locks cannot be probed (a
    file system without them, a lock file this user may not open) the pid decides.
    """
    import fcntl

    try:
        fd = os.open(lock_path, os.O_RDONLY)
    except FileNotFoundError:  # never locked: nothing runs it
        return False
    except OSError:
        return _pid_alive(lock_path)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:  # held: a kfwizard runs the session
        return True
    except OSError:
        return _pid_alive(lock_path)
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _pid_alive(lock_path: str | Path) -> bool:
    """Whether the process whose pid the lock file holds is alive (when the lock
    itself cannot be probed)."""
    try:
        with open(lock_path, encoding="utf-8") as handle:
            pid = int(handle.read().strip())
    except (OSError, ValueError):
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process has that pid now: it is alive
        return True
    return True


def shown_status(status: str, lock_path: str | Path) -> str:
    """A session's status as listed: "running" only while a process runs it; one whose
    process is gone is "interrupted", as the next resume records it."""
    if status == "running" and not process_alive(lock_path):
        return "interrupted"
    return status


def before_verify(status: str, verified: bool) -> str:
    """A "done" session is "in progress" for people until its Verify step is done: the
    run finished (``run --until cluster``, or quitting between steps), the install did
    not. The picker and the ``sessions`` table show this; ``--json`` keeps "done"."""
    return "in progress" if status == "done" and not verified else status


def stamp(iso: str) -> str:
    """``2026-11-29 18:49 UTC`` for a saved time (kfwizard saves UTC,
    ``2026-11-29T18:49:47+00:00``); any other text is shown as it is."""
    if len(iso) >= 16 and iso[10:11] == "T" and iso.endswith(("+00:00", "Z")):
        return f"{iso[:10]} {iso[11:16]} UTC"
    return iso


def newer_reason(version: int) -> str:
    return f"written by a newer kfwizard (schema {version}, this one reads {SCHEMA_VERSION})"


def newer_message(file_name: str, version: int) -> str:
    """Why a newer session is listed but not resumed; its file is never moved, so the
    newer kfwizard still finds it."""
    return (
        f"Session file {file_name} was {newer_reason(version)}; upgrade kfwizard to "
        "resume it. The file was left in place."
    )


class FolderUnreadable(Exception):
    """The sessions folder exists but cannot be listed; the message names it and why."""


def folder_unreadable_message(folder: str | Path, exc: OSError) -> str:
    """Why no session is listed: the folder is there but cannot be read. Not "No
    sessions yet": sessions may well be in it."""
    reason = exc.strerror or str(exc)
    return (
        f"Cannot read the sessions folder {folder} ({reason}), so its sessions cannot "
        "be listed or resumed. Give it back to your user (a `sudo kfwizard` run leaves it "
        "to root) or make it readable, or point KFWIZARD_HOME elsewhere."
        if exc.errno in (errno.EACCES, errno.EPERM)
        else f"Cannot read the sessions folder {folder} ({reason}), so its sessions "
        "cannot be listed or resumed. Make it a readable folder, or point KFWIZARD_HOME "
        "elsewhere."
    )


def unreadable_message(path: str | Path, exc: OSError) -> str:
    """Why a session file is skipped: it cannot be opened or read. It is left where it
    is (nothing says it is damaged), and the other sessions are listed as usual."""
    name = os.path.basename(path)
    folder = os.path.dirname(path)
    reason = exc.strerror or str(exc)
    fix = (
        " A file written by `sudo kfwizard` belongs to root: resume that session with "
        "sudo, or give the file back to your user (sudo chown)."
        if exc.errno in (errno.EACCES, errno.EPERM)
        else ""
    )
    return (
        f"Cannot read session file {name} in {folder} ({reason}); it was skipped and "
        f"left where it is.{fix}"
    )


def current_step(states: dict[str, Any]) -> str | None:
    """The first step that is not finished, or the last one touched (step id -> state)."""
    for step_id, state in states.items():
        if state not in _FINISHED:
            return step_id
    return next(reversed(states), None) if states else None


def listed_step(
    steps: dict[str, Any], status: object, journal: object, *, mode_changed: bool = False
) -> str:
    """The Step column of the session picker and of ``kfwizard sessions``: the step
    Resume opens (``steps``: step id -> record, saved dict or state), or "Teardown" when
    the latest run was one (``status`` and ``journal`` as saved). A torn-down session
    still resumes at Verify, but "Verify · removed" would read as a verification that
    went away, and "Install" as installed. One function, so the two lists agree.
    ``mode_changed``: Deployment mode's choices changed since the manifests were
    prepared, so Resume opens it (:func:`resume_phase_after_changes`)."""
    from kfwizard.engine.phases import PHASE_TITLES, resume_phase_after_changes, teardown_was_last

    if teardown_was_last(status, journal):
        return "Teardown"
    return PHASE_TITLES[resume_phase_after_changes(steps, mode_changed)]


def verified(steps: dict[str, Any], status: object, journal: object) -> bool:
    """Whether the session's Verify step is done and no teardown came after it: what
    :func:`before_verify` needs, by the step bar's rule (a teardown undoes Verify)."""
    from kfwizard.engine.phases import phase_states, teardown_was_last

    return not teardown_was_last(status, journal) and phase_states(steps)["verify"] == "done"


def remove_stale_temp_files(folder: str | Path, older_than: float = STALE_TEMP_SECONDS) -> None:
    """Temp files left by a process killed mid-save are never read; tidy them up."""
    cutoff = time.time() - older_than
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if fnmatchcase(entry.name, ".*.json.*.tmp"):
            try:
                if entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
            except OSError:
                pass


def schema_version(data: object) -> int | None:
    """The file's schema version when it is a JSON object with an integer one."""
    if not isinstance(data, dict):
        return None
    version = data.get("schema_version")
    return version if isinstance(version, int) else None


def usable(data: object) -> bool:
    """True when :meth:`kfwizard.session.Session.from_json` surely reads ``data``.

    Stricter than the store where that is simpler; a file refused here is only handed
    to the store, which has the last word.
    """
    if not isinstance(data, dict) or "id" not in data:
        return False
    version = schema_version(data)
    if version is None or version > SCHEMA_VERSION:
        return False
    steps = data.get("steps")
    if steps and not (isinstance(steps, dict) and all(isinstance(r, dict) for r in steps.values())):
        return False
    if any(data.get(key) and not isinstance(data[key], dict) for key in _MAPPINGS):
        return False
    journal = data.get("journal")
    return not journal or isinstance(journal, list)


def _mode_changed(data: dict[str, Any], selections: Any) -> bool:
    from kfwizard.engine.selection import mode_choices_changed

    outputs = data.get("outputs")
    if not isinstance(outputs, dict) or not isinstance(selections, dict):
        return False
    return mode_choices_changed(selections, outputs)


def row_for(data: dict[str, Any], *, for_people: bool = False) -> dict[str, Any]:
    """One ``kfwizard sessions`` row from a session file's JSON (as :class:`Session`
    would show it: the same defaults for missing fields). ``for_people``: the status as
    the table and the picker say it (:func:`before_verify`); ``--json`` keeps it saved."""
    steps = data.get("steps") or {}
    status = str(data.get("status") or "new")
    journal = data.get("journal")
    if for_people:
        status = before_verify(status, verified(steps, status, journal))
    session_id = str(data["id"])
    selections = data.get("selections") or {}
    return {
        "id": session_id,
        "name": str(data.get("name") or "") or selections.get("name") or session_id,
        "step": listed_step(
            steps, data.get("status"), journal, mode_changed=_mode_changed(data, selections)
        ),
        "status": status,
        "updated": str(data.get("updated_at") or _now_iso()),
        "demo": bool(data.get("demo", False)),
    }


def newer_row(file_stem: str, data: dict[str, Any]) -> dict[str, Any]:
    """A newer kfwizard's session: its fields may mean something else, so only the
    basics are shown, and the id is the file's (what ``run --session`` takes)."""
    name = data.get("name")
    updated = data.get("updated_at")
    return {
        "id": file_stem,
        "name": name if isinstance(name, str) and name else file_stem,
        "step": "-",
        "status": "newer",
        "updated": updated if isinstance(updated, str) else "",
        "demo": data.get("demo") is True,
        "note": NEWER_NOTE,
    }


def _now_iso() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def list_sessions(
    folder: Path, *, for_people: bool = False
) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows of ``kfwizard sessions`` (newest first) and the notes to print with them
    (``for_people``: statuses as the table says them, see :func:`row_for`).

    A damaged file is judged by the session store, which moves it to ``set-aside/`` and
    explains (that note is in the list); a newer kfwizard's file is listed and left alone,
    and so is one that cannot be read (another user's, a folder): a note names it. A
    sessions folder that is there but cannot be read raises :class:`FolderUnreadable`.
    """
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:  # nothing saved yet
        return [], []
    except OSError as exc:  # there, but not ours to read (`sudo kfwizard`), or a file
        raise FolderUnreadable(folder_unreadable_message(folder, exc)) from None
    remove_stale_temp_files(folder)
    found: list[tuple[str, dict[str, Any]]] = []
    notes: list[str] = []
    damaged: list[str] = []
    for name in names:
        if not fnmatchcase(name, "*.json"):
            continue
        path = os.path.join(folder, name)
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except OSError as exc:  # not ours to read, or not a file: skipped, not moved
            notes.append(unreadable_message(path, exc))
            continue
        except ValueError:  # not JSON (or not UTF-8): the store sets it aside
            damaged.append(name)
            continue
        version = schema_version(data)
        if version is not None and version > SCHEMA_VERSION:
            found.append((name, newer_row(name[: -len(".json")], data)))
            notes.append(newer_message(name, version))
        elif usable(data):
            found.append((name, row_for(data, for_people=for_people)))
        else:
            damaged.append(name)
    if damaged:
        found += _judged_by_the_store(folder, damaged, notes, for_people)
        found.sort(key=lambda item: item[0])
    found.sort(key=lambda item: item[1]["updated"], reverse=True)
    rows = [row for _, row in found]
    for row in rows:
        row["status"] = shown_status(row["status"], os.path.join(folder, f"{row['id']}.lock"))
    return rows, notes


def _judged_by_the_store(
    folder: Path, names: list[str], notes: list[str], for_people: bool
) -> list[tuple[str, dict[str, Any]]]:
    """Hand the files this module could not vouch for to the store: it sets unusable
    ones aside (adding its note) and reads any it can."""
    from kfwizard.session import SessionStore

    store = SessionStore(folder)
    found = []
    for name in names:
        session = store.read_file(folder / name)
        if session is not None:
            found.append((name, row_for(session.to_json(), for_people=for_people)))
    notes.extend(problem.message() for problem in store.unreadable)
    notes.extend(problem.message() for problem in store.set_aside)
    return found
