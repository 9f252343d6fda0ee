"""Headless runs as a terminal or a pipe sees them: the prompts, Ctrl+D at a prompt,
no terminal to ask on, a reader that stops reading, and the closing lines.

Each runs ``python -m kfwizard`` as a user does. A real (not emulated) Google Cloud is
the emulators reached as ``127.1`` (still 127.0.0.1, but not a loopback address by
kfwizard's test of one), so the cluster step asks before creating, as it would on GCP.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from kfwizard import paths
from kfwizard.emulator.stack import EmulatorStack
from kfwizard.session import SessionStore
from tests.conftest import FIXTURES

if sys.platform == "win32":  # pragma: no cover
    pytest.skip("needs a POSIX pseudo-terminal", allow_module_level=True)

import pty

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "kfw-terminal-project"
CREATE_PROMPT = b"Type 'yes' to continue: "


@pytest.fixture
def google(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a real run: the emulators, not recognised as emulators."""
    if not (FIXTURES / "kfp" / "2.17.0").is_dir():
        pytest.skip("shared KFP fixtures not found")
    with EmulatorStack(
        speed=0.0, project=PROJECT, kubeconfig_path=tmp_path / "emulator-kubeconfig"
    ) as stack:
        env = {**os.environ, **stack.env()}
        for api in ("CONTAINER", "SERVICEUSAGE"):
            key = f"CLOUDSDK_API_ENDPOINT_OVERRIDES_{api}"
            env[key] = env[key].replace("//127.0.0.1:", "//127.1:")
        yield env


def _answers(tmp_path: Path) -> Path:
    path = tmp_path / "newc.yaml"
    data = {
        "name": "newc",
        "project": PROJECT,
        "cluster": {"source": "create", "name": "newc", "location": "us-central1-a"},
        "deployment": {"version": "2.17.0", "manifests": str(FIXTURES / "kfp" / "2.17.0")},
    }
    path.write_text(yaml.safe_dump(data))
    return path


def _kfwizard(*args: str) -> list[str]:
    return [sys.executable, "-m", "kfwizard", *args]


def _in_a_terminal(
    argv: list[str], env: dict[str, str], answer_at: bytes, key: bytes = b"\x04"
) -> tuple[int, str]:
    """Run in a pseudo-terminal; at ``answer_at``, press ``key`` (Ctrl+D unless told).
    Returns the exit code and everything the terminal showed."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT)
    os.close(slave)
    shown = bytearray()
    answered = False
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
            if not answered and answer_at in shown:
                if key == b"\x03":  # the terminal's Ctrl+C: SIGINT to the process
                    proc.send_signal(signal.SIGINT)
                else:
                    os.write(master, key)
                answered = True
            if proc.poll() is not None and not ready:
                break
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return code, shown.decode(errors="replace").replace("\r\n", "\n")


def test_ctrl_d_at_the_create_prompt_is_a_no(google: dict[str, str], tmp_path: Path) -> None:
    """It failed the step as "Unexpected error ...: EOFError", exit 1."""
    argv = _kfwizard("run", "--answers", str(_answers(tmp_path)), "--until", "cluster")
    code, shown = _in_a_terminal(argv, google, CREATE_PROMPT)
    assert code == 2, shown[-3000:]
    assert "EOFError" not in shown and "Traceback" not in shown
    assert "was not confirmed: a cluster is billed until it is deleted" in shown
    (session,) = SessionStore().list()
    assert session.steps["cluster"].state == "failed"  # resumable, nothing created


def test_ctrl_c_at_the_create_prompt_stops_the_run(google: dict[str, str], tmp_path: Path) -> None:
    """Ctrl+C at "Type 'yes' to continue" did nothing until Enter: the safe-point stop
    waits for the step, and the step waited for the answer. It stops now, resumable."""
    argv = _kfwizard("run", "--answers", str(_answers(tmp_path)), "--until", "cluster")
    code, shown = _in_a_terminal(argv, google, CREATE_PROMPT, key=b"\x03")
    assert code == 130, shown[-3000:]
    assert "Traceback" not in shown
    (session,) = SessionStore().list()
    assert session.steps["cluster"].state == "interrupted"


def test_the_create_prompt_follows_the_cost_estimate(
    google: dict[str, str], tmp_path: Path
) -> None:
    """The README promises "a terminal prompt that follows the cost estimate"; the
    node pool and cost lines were printed after the answer."""
    argv = _kfwizard("run", "--answers", str(_answers(tmp_path)), "--until", "cluster")
    _, shown = _in_a_terminal(argv, google, CREATE_PROMPT)
    assert shown.index("[cluster] estimated cost:") < shown.index("Type 'yes' to continue")


def test_ctrl_d_at_the_teardown_prompt_deletes_nothing(tmp_path: Path) -> None:
    """It ended in a raw EOFError traceback."""
    answers = tmp_path / "t1.yaml"
    answers.write_text("name: t1\ncluster: {name: kf1, location: us-central1-a}\n")
    env = {**os.environ, "KFWIZARD_DEMO_SPEED": "0"}
    run = _kfwizard("--demo", "run", "--answers", str(answers), "--until", "cluster")
    done = subprocess.run(run, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    teardown = _kfwizard("teardown", "--session", "t1")
    code, shown = _in_a_terminal(teardown, env, b"Delete all of this? Type 'yes' to continue: ")
    assert code == 0, shown[-3000:]
    assert "Traceback" not in shown and "EOFError" not in shown
    assert shown.rstrip().endswith("Nothing was deleted."), shown[-1000:]
    (session,) = SessionStore().list()
    assert session.status != "removed"


def test_ctrl_c_at_the_teardown_prompt_deletes_nothing(tmp_path: Path) -> None:
    answers = _demo_answers(tmp_path)
    env = {**os.environ, "KFWIZARD_DEMO_SPEED": "0"}
    run = _kfwizard("--demo", "run", "--answers", str(answers), "--until", "cluster")
    done = subprocess.run(run, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    teardown = _kfwizard("teardown", "--session", "t1")
    prompt = b"Delete all of this? Type 'yes' to continue: "
    code, shown = _in_a_terminal(teardown, env, prompt, key=b"\x03")
    assert code == 130, shown[-3000:]
    assert "Traceback" not in shown and "KeyboardInterrupt" not in shown, shown[-2000:]
    assert "Nothing was deleted." in shown
    (session,) = SessionStore().list()
    assert session.status != "removed"


def test_without_a_terminal_every_next_step_names_yes(
    google: dict[str, str], tmp_path: Path
) -> None:
    """The step said to use --yes; the closing line then offered two commands that
    are refused the same way. And the cause and next action were printed twice, as
    "[cluster] FAILED: ..." and "==> failed at cluster: ..."."""
    argv = _kfwizard("run", "--answers", str(_answers(tmp_path)), "--until", "cluster")
    done = subprocess.run(
        argv, env=google, cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    assert done.returncode == 2, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    (session,) = SessionStore().list()
    assert lines[-4].startswith("[cluster] FAILED in "), lines[-4]  # a time: load moves it
    assert lines[-3:] == [
        "==> failed at cluster: Creating GKE cluster newc in us-central1-a (3 x n1-standard-2, "
        "about $0.39/hour) was not confirmed: a cluster is billed until it is deleted.",
        "==> next: run again with --yes to create it, or from a terminal and answer yes",
        f"Session {session.id} stopped at 'cluster': run the same command again with --yes, "
        f"or `kfwizard run --session {session.id} --yes`.",
    ]
    assert done.stdout.count("was not confirmed") == 1


def _demo_answers(tmp_path: Path) -> Path:
    answers = tmp_path / "t1.yaml"
    answers.write_text("name: t1\ncluster: {name: kf1, location: us-central1-a}\n")
    return answers


def test_a_reader_that_stops_reading_does_not_change_the_exit_code(tmp_path: Path) -> None:
    """``| head -1``: a BrokenPipeError traceback after the run, exit 1; the rest of
    the run goes on, and into its log file."""
    argv = _kfwizard("--demo", "run", "--answers", str(_demo_answers(tmp_path)))
    env = {**os.environ, "KFWIZARD_DEMO_SPEED": "0"}
    proc = subprocess.Popen(
        [*argv, "--until", "cluster"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # as `head -1` does
    err = proc.stderr.read().decode(errors="replace")
    code = proc.wait(timeout=120)
    assert first.startswith(b"New session "), first
    assert code == 0, err[-3000:]
    assert "Traceback" not in err and "BrokenPipe" not in err, err[-3000:]
    (session,) = SessionStore().list()
    assert session.status == "done"
    text = (paths.log_dir() / session.id / "kfwizard.log").read_text()
    assert "[connect]" in text and "listener error" not in text


def test_until_verify_is_the_whole_plan(tmp_path: Path) -> None:
    """It ended "done up to verify.", as if something were left."""
    argv = _kfwizard("--demo", "run", "--answers", str(_demo_answers(tmp_path)))
    env = {**os.environ, "KFWIZARD_DEMO_SPEED": "0"}
    done = subprocess.run(
        [*argv, "--until", "verify"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (session,) = SessionStore().list()
    assert done.stdout.splitlines()[-1] == f"Session {session.id}: complete."
