"""Headless runs as a terminal or a pipe sees them: the prompts, Ctrl+D at a prompt,
no terminal to ask on, a reader that stops reading, and the closing lines.

Each runs ``python -m kfwizard`` as a user does. A real (not emulated) Google Cloud is
the emulators reached as ``127.1`` (still 127.0.0.1, but not a loopback address by
kfwizard's test of one), so the cluster step asks before creating, as it would on GCP.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from kfwizard import paths
from kfwizard.emulator.stack import EmulatorStack
from kfwizard.session import SessionStore
from tests.conftest import FIXTURES
from tests.terminal import ROOT, press, run_in_a_terminal, send
from tests.test_cloudsql_password import kfp_gcp_answers

if sys.platform == "win32":  # pragma: no cover
    pytest.skip("needs a POSIX pseudo-terminal", allow_module_level=True)

import termios

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
    """Run in a pseudo-terminal; at ``answer_at``, press ``key`` (Ctrl+D unless told;
    Ctrl+C is the terminal's SIGINT). Returns the exit code and what the terminal showed."""
    act = send(signal.SIGINT) if key == b"\x03" else press(key)
    return run_in_a_terminal(argv, env, answer_at, act)


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


# -- the hidden prompt (kfp-gcp's Cloud SQL password) ------------------------------------

PASSWORD_PROMPT = "Cloud SQL password for user root (not shown, never saved): "

WITH_ANOTHER_THREAD = """\
import runpy, threading, time
threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
runpy.run_module("kfwizard", run_name="__main__", alter_sys=True)
"""
"""``python -m kfwizard`` with one more (idle) thread, which can take a signal meant for
the process while the main thread waits at the prompt."""


@pytest.fixture
def cloud_sql(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    """A kfp-gcp run that asks for the Cloud SQL password at the apply step: the
    emulators, with a cluster someone else made (``existing1``) to install on."""
    if not (FIXTURES / "kfp" / "1.8.5").is_dir():
        pytest.skip("shared KFP fixtures not found")
    project = "kfw-terminal-sql"
    answers = kfp_gcp_answers(tmp_path, project)
    with EmulatorStack(
        speed=0.0,
        project=project,
        clusters=["existing1"],
        kubeconfig_path=tmp_path / "emulator-kubeconfig",
    ) as stack:
        env = {**os.environ, **stack.env(), "NO_GCE_CHECK": "true"}
        env.pop("KFWIZARD_CLOUDSQL_PASSWORD", None)
        yield env, answers


@dataclass
class HiddenPromptRun:
    code: int
    shown: str
    """Everything the terminal showed."""
    echo: bool
    """The terminal's echo once the run ended."""
    left_typed: bytes
    """What the shell would read next: what was typed and not read, then a newline."""


def _at_the_hidden_prompt(
    env: dict[str, str],
    answers: Path,
    act: Callable[[int, subprocess.Popen[bytes]], None],
    at: str = PASSWORD_PROMPT,
) -> HiddenPromptRun:
    """``run --answers`` (in a pseudo-terminal) up to the hidden prompt (or what ``at``
    says), where ``act(master, process)`` plays the user's part."""
    argv = [sys.executable, "-c", WITH_ANOTHER_THREAD, "run", "--answers", str(answers)]
    left: dict[str, Any] = {}

    def terminal_after(master: int, slave: int) -> None:
        left["echo"] = bool(termios.tcgetattr(slave)[3] & termios.ECHO)
        os.write(master, b"\n")
        left["typed"] = os.read(slave, 4096)

    code, shown = run_in_a_terminal(
        [*argv, "--until", "install"],
        env,
        at.encode(),
        act,
        settle=0.3 if at == PASSWORD_PROMPT else 0.0,  # waiting for the answer by now
        after=terminal_after,
    )
    return HiddenPromptRun(code, shown, left["echo"], left["typed"])


def test_ctrl_c_at_the_hidden_prompt_stops_the_run(
    cloud_sql: tuple[dict[str, str], Path],
) -> None:
    """``getpass`` waited in one read: a Ctrl+C that came between the prompt and the
    read, or that another thread of the process took, was handled only after Enter.
    Here the signal goes to the other thread, which makes that certain. Half a password
    was typed: it is not shown, not left for the shell, and the echo is back on."""
    if not Path("/proc/self/task").is_dir():
        pytest.skip("needs /proc to find the process's threads")

    def ctrl_c(master: int, proc: subprocess.Popen[bytes]) -> None:
        os.write(master, b"hunter2")
        time.sleep(0.2)
        tasks = {int(task) for task in os.listdir(f"/proc/{proc.pid}/task")} - {proc.pid}
        os.kill(min(tasks), signal.SIGINT)  # a thread's id: that thread takes it

    run = _at_the_hidden_prompt(*cloud_sql, ctrl_c)
    assert run.code == 130, run.shown[-3000:]
    assert f"{PASSWORD_PROMPT}\nStopped at your request." in run.shown, run.shown[-2000:]
    assert "Traceback" not in run.shown and "hunter2" not in run.shown
    assert run.echo and run.left_typed == b"\n"
    (session,) = SessionStore().list()
    assert session.steps["apply"].state == "interrupted"


def test_ctrl_d_at_the_hidden_prompt_is_not_given(
    cloud_sql: tuple[dict[str, str], Path],
) -> None:
    """Not given: the step fails, naming both ways to give it. The prompt's line is
    closed first (the failure was printed on it), and the echo is back on."""
    run = _at_the_hidden_prompt(*cloud_sql, lambda master, proc: os.write(master, b"\x04"))
    assert run.code == 1, run.shown[-3000:]
    lines = run.shown.splitlines()
    at = lines.index(PASSWORD_PROMPT)
    assert lines[at + 1].startswith("[apply] FAILED in "), lines[at:]
    assert "is needed for Secret kubeflow/mysql-secret" in run.shown
    assert run.echo and "Traceback" not in run.shown


def test_ctrl_c_as_the_hidden_prompt_comes_asks_nothing(
    cloud_sql: tuple[dict[str, str], Path],
) -> None:
    """A Ctrl+C pressed as the apply step starts, before its question: the run said it
    was stopping, then asked for the password anyway and waited for Enter."""
    run = _at_the_hidden_prompt(
        *cloud_sql, lambda master, proc: proc.send_signal(signal.SIGINT), at="==> [apply]"
    )
    assert run.code == 130, run.shown[-3000:]
    assert "Traceback" not in run.shown
    (session,) = SessionStore().list()
    assert session.steps["apply"].state == "interrupted"
