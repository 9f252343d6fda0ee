"""``kfwizard emulator --state-dir`` holds its state folder, with the demo's own lock.

Each process running emulators on a state folder loads it when it starts and saves over
it as it runs. The demo was locked, but the command pointed by hand at the demo folder
(or two commands on one folder) each saved over the other's clusters. The second is now
refused, exit 1, naming the first one's pid, and the first one's state is kept.
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
from kfwizard.emulator import state
from tests.emulator.test_cli import start, stop

ROOT = str(Path(__file__).resolve().parents[2])


def _command(*args: str) -> subprocess.CompletedProcess[str]:
    """``kfwizard emulator`` expected to be refused at once (so not waited on for long:
    one that starts instead runs until stopped, and the timeout ends the test)."""
    return subprocess.run(
        [sys.executable, "-m", "kfwizard", "emulator", "--speed", "0", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": ROOT},
    )


def _saved_clusters(state_dir: Path) -> list[str]:
    data = json.loads((state_dir / state.STATE_FILE).read_text(encoding="utf-8"))
    return sorted(c["cluster"]["name"] for c in data["gke"]["clusters"])


def _refused_naming(done: subprocess.CompletedProcess[str], pid: int, state_dir: Path) -> None:
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert (
        f"kfwizard emulator: error: another kfwizard process (pid {pid}) is running "
        f"emulators on the state in {state_dir}; two at once would overwrite each other's "
        "clusters, so this one started nothing." in done.stderr
    )
    assert "Traceback" not in done.stderr
    assert "export " not in done.stdout, "it started emulators"


@pytest.fixture
def first(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """A ``kfwizard emulator`` holding ``tmp_path/state``, with a cluster of its own."""
    state_dir = tmp_path / "state"
    process, _env = start(
        tmp_path, "--speed", "0", "--cluster", "alpha-cluster", "--state-dir", str(state_dir)
    )
    try:
        yield process, state_dir
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def test_a_second_emulator_command_on_the_same_state_is_refused_naming_the_first(
    first: tuple[subprocess.Popen[str], Path], tmp_path: Path
) -> None:
    process, state_dir = first
    other_spelling = tmp_path / "." / "state"  # the lock lives in the folder itself
    done = _command("--cluster", "beta-cluster", "--state-dir", str(other_spelling))
    _refused_naming(done, process.pid, other_spelling)
    code, _out, err = stop(process, signal.SIGTERM)
    assert code == 0, err
    assert _saved_clusters(state_dir) == ["alpha-cluster"]
    state.hold(state_dir).release()  # released when the first one stopped


def test_the_emulator_command_on_the_demo_folder_is_refused_while_a_demo_runs() -> None:
    demo = start_demo(speed=0)
    try:
        demo.stack.add_cluster("alpha-cluster")
        demo.stack.save_state()
        done = _command("--cluster", "beta-cluster", "--state-dir", str(paths.demo_state_dir()))
        _refused_naming(done, os.getpid(), paths.demo_state_dir())
    finally:
        demo.stop()
    assert _saved_clusters(paths.demo_state_dir()) == ["alpha-cluster"]


def test_a_demo_is_refused_while_the_emulator_command_holds_the_demo_folder(
    tmp_path: Path,
) -> None:
    process, _env = start(tmp_path, "--speed", "0", "--state-dir", str(paths.demo_state_dir()))
    try:
        with pytest.raises(DemoBusy, match=rf"Another kfwizard process \(pid {process.pid}\)"):
            start_demo(speed=0)
    finally:
        code, _out, err = stop(process, signal.SIGTERM)
    assert code == 0, err
    start_demo(speed=0).stop()  # free again once it stopped


def test_the_demo_and_the_command_share_one_lock_file() -> None:
    assert state.lock_path(paths.demo_state_dir()) == paths.demo_lock_path()


def test_a_state_folder_that_cannot_be_locked_is_refused_with_the_reason(
    tmp_path: Path,
) -> None:
    state_dir = tmp_path / "state"
    (state_dir / state.LOCK_FILE).mkdir(parents=True)  # a folder where the lock file goes
    done = _command("--state-dir", str(state_dir))
    assert done.returncode == 1
    assert f"cannot lock the state in {state_dir} (Is a directory)" in done.stderr
    assert "Traceback" not in done.stderr
