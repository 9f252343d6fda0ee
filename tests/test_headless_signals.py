"""A hang-up (SIGHUP) stops a headless run or teardown like SIGTERM does.

By default SIGHUP killed ``kfwizard run`` in the middle of a step (exit 129, no
"interrupted" line, the step left "running"). Now it stops at the next safe point,
exit 130, the session ``interrupted`` with the hang-up as the cause, and resumable;
with the terminal really gone (its writes fail), the session is saved all the same.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kfwizard import paths
from kfwizard.headless import HANGUP_REASON
from kfwizard.session import Session, SessionStore

if sys.platform == "win32":  # pragma: no cover
    pytest.skip("no SIGHUP on Windows", allow_module_level=True)

import fcntl
import termios

ROOT = Path(__file__).resolve().parents[1]
ANSWERS = ROOT / "examples" / "demo.yaml"
CREATING = "[cluster] creating cluster"
"""A line printed as the cluster step starts a create that lasts seconds at speed 0.5."""
DELETING = "[delete-cluster] deleting cluster"


def _kfwizard(*args: str) -> list[str]:
    return [sys.executable, "-m", "kfwizard", *args]


def _wait_for_line(process: subprocess.Popen[str], text: str) -> str:
    """What the process printed up to (and with) the first line containing ``text``."""
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if text in line:
            return "".join(seen)
    raise AssertionError(f"never printed {text!r}: {''.join(seen)[-3000:]}")


def _stop_when_printed(
    command: list[str],
    text: str,
    *signals: signal.Signals,
    env: dict[str, str] | None = None,
    meanwhile: Callable[[str], None] | None = None,
) -> tuple[str, str, int | None]:
    """Run ``command`` until it prints ``text``, let ``meanwhile`` look at what it
    printed, send ``signals``, and return its stdout, stderr and exit code (it is killed
    if it outlives the test)."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env
    )
    try:
        said = _wait_for_line(process, text)
        if meanwhile is not None:
            meanwhile(said)
        for sig in signals:
            process.send_signal(sig)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    return said + out, err, process.returncode


def _run_to_the_end(*args: str) -> None:
    done = subprocess.run(_kfwizard(*args), capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def _only_session() -> Session:
    (session,) = SessionStore().list()
    return session


def _assert_stopped_by_the_hangup(session: Session) -> None:
    assert session.status == "interrupted", session.status
    states = {step: rec.state for step, rec in session.steps.items()}
    assert "running" not in states.values(), states
    stopped = [rec for rec in session.steps.values() if rec.state == "interrupted"]
    assert len(stopped) == 1, states
    assert (stopped[0].cause or "").startswith(HANGUP_REASON), stopped[0].cause


def test_kill_hup_stops_a_run_at_a_safe_point_and_it_resumes() -> None:
    """Twice, as a closed terminal can deliver it (the kernel, then the shell): the
    second is the same hang-up, not a second Ctrl+C that aborts."""
    command = _kfwizard("run", "--demo", "--answers", str(ANSWERS), "--speed", "0.5")
    out, err, code = _stop_when_printed(command, CREATING, signal.SIGHUP, signal.SIGHUP)
    assert code == 130, err[-3000:]
    assert "The terminal hung up (SIGHUP). Stopping at the next safe point" in err
    assert "Traceback" not in err
    assert re.search(r"\[cluster\] interrupted in .*: Stopped because the terminal was", out)
    assert "==> interrupted at cluster" in out
    session = _only_session()
    _assert_stopped_by_the_hangup(session)

    _run_to_the_end("run", "--session", session.id, "--speed", "0")
    assert _only_session().status == "done"


def test_kill_hup_stops_a_teardown_at_a_safe_point() -> None:
    _run_to_the_end("run", "--demo", "--answers", str(ANSWERS), "--speed", "0")
    session_id = _only_session().id
    command = _kfwizard("teardown", "--session", session_id, "--delete-cluster", "--yes")
    slow = {**os.environ, "KFWIZARD_DEMO_SPEED": "1"}  # a delete that lasts seconds
    out, err, code = _stop_when_printed(command, DELETING, signal.SIGHUP, env=slow)
    assert code == 130, err[-3000:]
    assert "==> interrupted at delete-cluster" in out
    assert 'finish the teardown with "kfwizard teardown --session' in out  # not `run`
    _assert_stopped_by_the_hangup(_only_session())


def _take_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _read_until(master: int, text: str, timeout: float = 120) -> str:
    """What the run wrote to its terminal, until ``text`` appears."""
    output = bytearray()
    deadline = time.monotonic() + timeout
    while text.encode() not in output:
        assert time.monotonic() < deadline, f"never printed {text!r}: {output[-3000:]!r}"
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            output.extend(os.read(master, 65536))
    return output.decode(errors="replace")


def test_a_run_whose_terminal_is_closed_saves_the_stop_and_exits_130() -> None:
    """The run's terminal window is closed: SIGHUP, and every later write to it would
    fail. The stop is saved all the same, and the session's log keeps the run's record,
    not one error per line that could not be printed."""
    master, slave = os.openpty()
    process = subprocess.Popen(
        _kfwizard("run", "--demo", "--answers", str(ANSWERS), "--speed", "0.5"),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=ROOT,
        start_new_session=True,  # a session of its own, whose terminal this one is,
        preexec_fn=_take_terminal,  # as in a new window: closing it sends SIGHUP
    )
    os.close(slave)
    try:
        _read_until(master, CREATING)
    finally:
        os.close(master)  # the window closes
    try:
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert process.returncode == 130
    session = _only_session()
    _assert_stopped_by_the_hangup(session)
    log = (paths.session_log_dir(session.id) / "kfwizard.log").read_text()
    assert "Stopped because the terminal was closed (SIGHUP)" in log
    assert "Input/output error" not in log and "listener error" not in log


def test_ctrl_c_closes_a_headless_port_forward_and_says_so() -> None:
    """``run --port-forward`` keeps the UI forward open until Ctrl+C; the stop says it
    closes the forward (it said "stopping at the next safe point", as a step does)."""
    import urllib.request

    command = _kfwizard(
        "run", "--demo", "--answers", str(ANSWERS), "--speed", "0", "--port-forward"
    )

    def the_ui_answers(said: str) -> None:
        url = re.search(r"http://127\.0\.0\.1:\d+", said.splitlines()[-1])
        assert url is not None, said[-2000:]
        with urllib.request.urlopen(url.group(0), timeout=10) as page:
            assert page.status == 200

    _, err, code = _stop_when_printed(
        command,
        "Kubeflow Pipelines UI: http://127.0.0.1:",
        signal.SIGINT,
        meanwhile=the_ui_answers,
    )
    assert "Closing the port-forward..." in err, err[-2000:]
    assert "safe point" not in err
    assert code in (0, 130), (code, err[-2000:])
