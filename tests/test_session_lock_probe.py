"""Whether a session is running is the lock's to say, not the pid in the lock file: the
kernel drops the lock when its holder dies, while the pid may be another process's by
now (pid 1 always exists)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from kfwizard.cli import main
from kfwizard.session import Session, SessionStore


def test_a_stale_pid_does_not_keep_a_session_running(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The lock file says pid 1, which always exists; nobody holds the lock."""
    store = SessionStore()
    session = Session.new(name="stale")
    session.record("cluster", "running")
    session.status = "running"
    store.save(session)
    lock = store.lock(session.id)
    lock.path.write_text("1")
    assert main(["sessions", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["status"] == "interrupted"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR); "
            "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)",
            str(lock.path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert main(["sessions", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)[0]["status"] == "running"
    finally:
        holder.kill()
        holder.wait()


def test_a_listing_probing_the_lock_does_not_turn_a_starting_run_away() -> None:
    import fcntl

    store = SessionStore()
    session = Session.new()
    store.save(session)
    lock = store.lock(session.id)
    lock.path.write_text("")
    fd = os.open(lock.path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_SH)  # a probe, caught in the act
    threading.Timer(0.05, lambda: (fcntl.flock(fd, fcntl.LOCK_UN), os.close(fd))).start()
    started = time.monotonic()
    with lock:
        assert lock.held
    assert time.monotonic() - started < 1
