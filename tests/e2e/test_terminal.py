"""The wizard in a real terminal: a pseudo-terminal of 80x24, the real Textual driver.

Every other UI test drives the app headless (``run_test``). This one starts
``kfwizard --demo`` as a user does, waits for its first screen, presses ctrl+q, and
checks the process exits 0 having saved the session and the demo's emulators.
"""

from __future__ import annotations

import os
import re
import select
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

if sys.platform == "win32":  # pragma: no cover
    pytest.skip("needs a POSIX pseudo-terminal", allow_module_level=True)

import fcntl
import termios

ESCAPES = re.compile(
    rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|.)"
)
"""CSI, OSC, DCS and two-byte escape sequences: what is left is the drawn text."""


def _drain(master: int, output: bytearray, until: Callable[[], bool], timeout: float) -> None:
    """Read what the app writes (it blocks when nobody reads) until ``until()``."""
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            text = ESCAPES.sub(b"", bytes(output)).decode(errors="replace")
            raise AssertionError(f"timed out; the terminal showed: {text[-2000:]!r}")
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the app closed the terminal
                return
            output.extend(chunk)


def _text(output: bytearray) -> str:
    return ESCAPES.sub(b"", bytes(output)).decode(errors="replace")


def _take_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _start_demo(speed: str) -> tuple[subprocess.Popen[bytes], int]:
    """``kfwizard --demo`` on a new 80x24 pseudo-terminal; the process and the master."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = dict(os.environ, TERM="xterm-256color", KFWIZARD_DEMO_SPEED=speed)
    process = subprocess.Popen(
        [sys.executable, "-m", "kfwizard", "--demo"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,  # a session of its own, whose terminal this one is,
        preexec_fn=_take_terminal,  # as in a new window: closing it sends SIGHUP
    )
    os.close(slave)
    return process, master


def test_the_demo_starts_in_a_terminal_and_quits_with_ctrl_q(kfwizard_home: Path) -> None:
    from kfwizard import paths

    process, master = _start_demo(speed="0")
    output = bytearray()
    try:
        # The screen arrives in several writes: wait for its first and last lines.
        drawn = ("Demo", "Step 1 of 5", "Project ID", "Check project")
        _drain(master, output, lambda: all(t in _text(output) for t in drawn), timeout=60)
        assert "Traceback" not in _text(output)
        os.write(master, b"\x11")  # ctrl+q: nothing runs, so it quits at once
        _drain(master, output, lambda: process.poll() is not None, timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        os.close(master)
    assert process.returncode == 0, _text(output)[-2000:]
    assert "Traceback" not in _text(output)
    assert len(list(paths.sessions_dir().glob("*.json"))) == 1  # the new session, saved
    assert (paths.data_dir() / "demo-emulator" / "emulators.json").exists()


@pytest.mark.parametrize("how", ["kill", "closed window"])
def test_stopped_mid_step_it_stops_at_a_safe_point_and_exits_130(
    kfwizard_home: Path, how: str
) -> None:
    """``kill`` (SIGTERM) or a closed terminal window (SIGHUP, and no terminal left to
    restore) during a run: like Ctrl+Q answered "Stop and quit", not a process killed in
    the middle of a step, nor one left behind holding the session."""
    import signal

    from kfwizard import paths
    from kfwizard.session import DEAD_RUN_CAUSE, SessionStore

    process, master = _start_demo(speed="1")  # the Project step takes a few seconds
    output = bytearray()
    try:
        _drain(master, output, lambda: "Check project" in _text(output), timeout=60)
        os.write(master, b"\x0e")  # ctrl+n: run the Project step
        _drain(master, output, lambda: "Running" in _text(output), timeout=30)
        if how == "kill":
            process.send_signal(signal.SIGTERM)
            _drain(master, output, lambda: process.poll() is not None, timeout=40)
        else:
            os.close(master)
            master = -1
            process.wait(timeout=40)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        if master >= 0:
            os.close(master)
    assert process.returncode == 130, _text(output)[-2000:]
    (session,) = SessionStore(paths.sessions_dir()).list()
    assert session.status == "interrupted"
    stopped = [rec for rec in session.steps.values() if rec.state == "interrupted"]
    assert stopped and all(rec.cause != DEAD_RUN_CAUSE for rec in stopped)
    said = "terminal window was closed" if how == "closed window" else "SIGTERM"
    assert any(said in (rec.cause or "") for rec in stopped), [r.cause for r in stopped]
    assert not [rec for rec in session.steps.values() if rec.state == "running"]
    assert (paths.data_dir() / "demo-emulator" / "emulators.json").exists()
