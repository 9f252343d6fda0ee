"""kfwizard in a pseudo-terminal, as a person at a terminal runs it.

The tests of its questions (the create and teardown questions, the hidden password)
wait for a prompt, then play the user's part there: type an answer, press Ctrl+D, send
a signal. One loop for all of them, so each test says only what the user does.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]

Act = Callable[[int, "subprocess.Popen[bytes]"], None]
"""What the user does at the prompt: given the terminal's master side and the process."""


def run_in_a_terminal(
    argv: list[str],
    env: dict[str, str],
    at: bytes,
    act: Act,
    *,
    stdout: IO[Any] | None = None,
    stderr: IO[Any] | None = None,
    settle: float = 0.0,
    new_session: bool = False,
    after: Callable[[int, int], None] | None = None,
) -> tuple[int, str]:
    """Run ``argv`` with the terminal as stdin (and as stdout and stderr unless given);
    once it has shown ``at``, wait ``settle`` seconds (it is waiting in the question by
    then, not still printing it) and call ``act``. ``after(master, slave)`` runs once
    the process has ended, with the terminal still open (to read its echo setting or
    what was left typed). Returns the exit code and what the terminal showed."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        argv,
        stdin=slave,
        stdout=stdout or slave,
        stderr=stderr or slave,
        env=env,
        cwd=ROOT,
        start_new_session=new_session,
    )
    if after is None:
        os.close(slave)
    shown = bytearray()
    acted = False
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                shown += chunk
            if not acted and at in shown:
                if settle:
                    time.sleep(settle)
                act(master, proc)
                acted = True
            if proc.poll() is not None and not ready:
                break
        code = proc.wait(timeout=30)
        if after is not None:
            after(master, slave)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
        if after is not None:
            os.close(slave)
    return code, shown.decode(errors="replace").replace("\r\n", "\n")


def press(key: bytes) -> Act:
    """The user types ``key`` (``b"\\x04"`` is Ctrl+D, ``b"no\\n"`` an answer)."""

    def typed(master: int, _proc: subprocess.Popen[bytes]) -> None:
        os.write(master, key)

    return typed


def send(sig: int) -> Act:
    """The process gets ``sig`` (the terminal's Ctrl+C is SIGINT)."""

    def signalled(_master: int, proc: subprocess.Popen[bytes]) -> None:
        proc.send_signal(sig)

    return signalled
