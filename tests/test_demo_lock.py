"""One process at a time runs the demo emulators on a KFWIZARD_HOME's demo state.

Each demo process loads that state when its emulators start and saves over it as they
run, so a second one would drop the first one's clusters (a finished session then
lost its cluster). The second is refused at once, exit 1, naming the first one's pid;
a first one killed outright blocks nothing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kfwizard import paths
from kfwizard.demo import DemoBusy, start_demo
from kfwizard.session import Session, SessionStore

HOLDER = """
import sys
from kfwizard.demo import start_demo
handle = start_demo(speed=0)
handle.stack.add_cluster("alpha-cluster")
handle.stack.save_state()
print("ready", flush=True)
sys.stdin.read()  # until the test closes stdin
handle.stop()
"""
"""A demo process that holds the emulators (with a cluster of its own) until told."""


@pytest.fixture
def holder() -> Iterator[subprocess.Popen[str]]:
    """Another process whose demo emulators run on this test's demo state."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def _kfwizard(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kfwizard", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _demo_session() -> str:
    session = Session.new(name="earlier-demo", demo=True)
    SessionStore().save(session)
    return session.id


def _saved_clusters() -> list[str]:
    data = json.loads((paths.demo_state_dir() / "emulators.json").read_text())
    return [c["cluster"]["name"] for c in data["gke"]["clusters"]]


@pytest.mark.parametrize("command", ["run", "teardown", "bundle"])  # wizard: needs a terminal
def test_a_second_demo_process_is_refused_naming_the_first(
    holder: subprocess.Popen[str], tmp_path: Path, command: str
) -> None:
    answers = tmp_path / "beta.yaml"
    answers.write_text(
        "project: my-project-123\ncluster:\n  name: beta-cluster\n  location: us-central1-b\n"
    )
    argv = {
        "run": ["--demo", "run", "--answers", str(answers), "--yes", "--until", "cluster"],
        "teardown": ["teardown", "--session", _demo_session(), "--yes"],
        "bundle": ["bundle", "--session", _demo_session(), "--output", str(tmp_path)],
    }[command]
    done = _kfwizard(*argv)
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert f"Another kfwizard process (pid {holder.pid}) is using" in done.stderr
    assert str(paths.demo_state_dir()) in done.stderr
    assert "KFWIZARD_HOME to another folder" in done.stderr
    assert "\x1b" not in done.stdout
    assert "Traceback" not in done.stderr
    assert "New session" not in done.stdout and "Resuming" not in done.stdout
    holder.communicate("", timeout=30)  # the first one stops and saves what it has
    assert holder.returncode == 0
    assert _saved_clusters() == ["alpha-cluster"]


def test_a_demo_killed_outright_blocks_only_while_it_lives(
    holder: subprocess.Popen[str],
) -> None:
    with pytest.raises(DemoBusy, match=f"pid {holder.pid}"):
        start_demo(speed=0)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)
    assert paths.demo_lock_path().read_text() == str(holder.pid)  # its lock file stays
    handle = start_demo(speed=0)
    try:
        assert "alpha-cluster" in {r.name for r in handle.stack.gke.clusters.values()}
    finally:
        handle.stop()


def test_the_same_process_cannot_start_the_demo_twice_until_it_stops_it() -> None:
    first = start_demo(speed=0)
    try:
        with pytest.raises(DemoBusy, match=f"pid {os.getpid()}") as refused:
            start_demo(speed=0)
        assert refused.value.exit_code == 1
    finally:
        first.stop()
    start_demo(speed=0).stop()  # released with the first


def test_a_demo_state_that_cannot_be_locked_is_refused_with_the_reason() -> None:
    paths.demo_lock_path().mkdir(parents=True)  # a folder where the lock file goes
    with pytest.raises(DemoBusy, match="Cannot lock the demo emulators' state") as refused:
        start_demo(speed=0)
    assert "Is a directory" in refused.value.cause
    assert refused.value.exit_code == 1
