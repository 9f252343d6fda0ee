"""Sessions survive crashes, corruption, newer versions and a second writer."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kfwizard.session import (
    SCHEMA_VERSION,
    Session,
    SessionError,
    SessionLocked,
    SessionStore,
    SessionWriteError,
)

ROOT = Path(__file__).resolve().parents[2]


def test_round_trip_and_file_mode() -> None:
    store = SessionStore()
    session = Session.new(name="first", selections={"project": "my-project"})
    session.record("cluster", "running")
    session.record("cluster", "failed", "zone has no capacity", action="try us-central1-b")
    session.add_objects([{"apiVersion": "v1", "kind": "Namespace", "name": "kubeflow"}] * 2)
    store.save(session)
    path = store.path_for(session.id)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    loaded = store.load(session.id)
    assert loaded.selections == {"project": "my-project"}
    assert loaded.steps["cluster"].state == "failed"
    assert loaded.steps["cluster"].action == "try us-central1-b"
    assert loaded.inventory["objects"] == [
        {"apiVersion": "v1", "kind": "Namespace", "name": "kubeflow"}
    ]
    assert json.loads(path.read_text())["schema_version"] == SCHEMA_VERSION


def test_corrupt_file_is_set_aside_not_fatal() -> None:
    store = SessionStore()
    good = Session.new(name="good")
    store.save(good)
    bad = store.folder / "20260101-0000-dead.json"
    bad.write_text('{"id": "20260101-0000-dead", "schema_ver')
    listed = store.list()
    assert [s.id for s in listed] == [good.id]
    assert len(store.set_aside) == 1
    problem = store.set_aside[0]
    assert "not valid JSON" in problem.message() and str(problem.moved_to) in problem.message()
    assert not bad.exists() and problem.moved_to.exists()


def test_a_newer_kfwizards_file_is_refused_with_reason_and_left_in_place() -> None:
    """The newer kfwizard still needs it: never moved, not even by a listing."""
    store = SessionStore()
    store.folder.mkdir(parents=True, exist_ok=True)
    future = store.folder / "20990101-0000-beef.json"
    text = json.dumps({"id": "20990101-0000-beef", "schema_version": SCHEMA_VERSION + 1})
    future.write_text(text)
    with pytest.raises(SessionError, match=r"newer kfwizard.*upgrade kfwizard to resume it"):
        store.load("20990101-0000-beef")
    assert store.list() == []
    assert [n.path for n in store.newer] == [future, future]
    assert store.set_aside == [] and future.read_text() == text
    assert not (store.folder / "set-aside").exists()


def test_a_steps_field_of_the_wrong_shape_is_set_aside_not_a_crash() -> None:
    store = SessionStore()
    store.folder.mkdir(parents=True, exist_ok=True)
    odd = store.folder / "20260101-0000-0dd0.json"
    odd.write_text(json.dumps({"id": "x", "schema_version": SCHEMA_VERSION, "steps": [1, 2]}))
    with pytest.raises(SessionError, match="steps is not a mapping"):
        store.load("20260101-0000-0dd0")
    assert store.set_aside[0].moved_to.parent.name == "set-aside"


def test_truncated_file_is_set_aside() -> None:
    store = SessionStore()
    session = Session.new()
    store.save(session)
    path = store.path_for(session.id)
    path.write_bytes(path.read_bytes()[:40])
    assert store.list() == []
    assert "set-aside" in str(store.set_aside[0].moved_to)


def test_read_only_session_file_is_replaced_not_edited() -> None:
    store = SessionStore()
    session = Session.new(name="before")
    store.save(session)
    path = store.path_for(session.id)
    path.chmod(0o400)
    session.name = "after"
    store.save(session)  # atomic replace: the old file is swapped, never written in place
    assert store.load(session.id).name == "after"
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_failed_write_keeps_the_previous_copy(tmp_path: Path) -> None:
    store = SessionStore()
    session = Session.new(name="v1")
    store.save(session)
    session.name = "v2" * 10
    # A file where the temp files go makes every write fail, like a full disk would.
    blocked = SessionStore(store.path_for(session.id))  # a "folder" that is a file
    with pytest.raises(SessionWriteError, match="previous copy is intact"):
        blocked.save(session)
    assert store.load(session.id).name == "v1"


def test_second_writer_gets_a_clear_error() -> None:
    store = SessionStore()
    session = Session.new()
    store.save(session)
    code = (
        "import sys,time; from kfwizard.session import SessionStore; s=SessionStore(); "
        f"l=s.lock('{session.id}'); l.acquire(); print('locked', flush=True); time.sleep(30)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        with pytest.raises(SessionLocked, match=f"pid {proc.pid}"):
            store.lock(session.id).acquire()
    finally:
        proc.kill()
        proc.wait()
    with store.lock(session.id):  # the kernel released it when the holder died
        pass


def test_a_lock_that_cannot_be_created_is_a_session_error_not_a_traceback() -> None:
    """A read-only or full sessions folder (here: a "folder" that is a file) fails the
    lock with a message naming the session, the folder and the reason (bug 7)."""
    store = SessionStore()
    session = Session.new()
    store.save(session)
    blocked = SessionStore(store.path_for(session.id))
    with pytest.raises(SessionWriteError) as exc:
        blocked.lock(session.id).acquire()
    message = str(exc.value)
    assert f"Cannot lock session {session.id} in {blocked.folder}" in message
    assert "(File exists)" in message or "(Not a directory)" in message, message
    assert "then run again" in message


def test_save_killed_midway_never_leaves_an_unreadable_file() -> None:
    store = SessionStore()
    session = Session.new(name="big")
    session.outputs["blob"] = "x" * 2_000_000
    store.save(session)
    code = (
        "from kfwizard.session import SessionStore; s=SessionStore(); x=s.load('%s'); i=0\n"
        "print('go', flush=True)\n"
        "while True:\n    i+=1; x.name=str(i); s.save(x)\n".replace("%s", session.id)
    )
    for delay in (0.05, 0.11, 0.17, 0.23, 0.31):
        proc = subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == "go"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        loaded = store.load(session.id)
        assert loaded.outputs["blob"] == "x" * 2_000_000
    assert store.set_aside == []
    leftovers = [p for p in store.folder.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) <= 5  # killed temp files are harmless and never read


def test_settle_dead_runs_interrupts_what_a_gone_process_left_running() -> None:
    from kfwizard.session import DEAD_RUN_CAUSE

    session = Session.new()
    session.record("credentials", "running")
    session.record("credentials", "done")
    session.record("services", "running")
    session.status = "running"
    assert session.settle_dead_runs() == ["services"]
    assert session.steps["services"].state == "interrupted"
    assert session.steps["services"].cause == DEAD_RUN_CAUSE
    assert session.steps["credentials"].state == "done" and session.status == "interrupted"
    assert session.settle_dead_runs() == []  # nothing left running: nothing changes
