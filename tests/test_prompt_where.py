"""Questions asked where the person is: ``kfwizard run --answers F > run.log`` at a
terminal used to sit silently waiting, its cost estimate and "Type 'yes'" only in the
file; ``teardown > td.log`` the same with its list of what goes.

The question and what it is about are shown at the terminal, and the file still records
what was asked and the answer. Each run is ``python -m kfwizard`` in a pseudo-terminal
with stdout (and in one, stderr too) redirected to a file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kfwizard.session import SessionStore
from tests.terminal import ROOT, press, run_in_a_terminal
from tests.test_headless_terminal import CREATE_PROMPT, _answers, _kfwizard
from tests.test_headless_terminal import google as google  # the fixture

if sys.platform == "win32":  # pragma: no cover
    pytest.skip("needs a POSIX pseudo-terminal", allow_module_level=True)


TEARDOWN_PROMPT = b"Delete all of this? Type 'yes' to continue: "


def _logged_in_a_terminal(
    argv: list[str],
    env: dict[str, str],
    log: Path,
    answer_at: bytes,
    answer: bytes,
    *,
    stderr_too: bool = False,
) -> tuple[int, str, str]:
    """Run at a pseudo-terminal with stdout (and with ``stderr_too``, stderr) sent to
    ``log``; at ``answer_at``, type ``answer``. Returns the exit code, what the terminal
    showed and what the file holds."""
    with log.open("wb") as into:
        code, shown = run_in_a_terminal(
            argv,
            env,
            answer_at,
            press(answer),
            stdout=into,
            stderr=into if stderr_too else None,
            new_session=True,  # not the test runner's terminal: this one only
        )
    return code, shown, log.read_text()


def test_the_create_question_is_asked_at_the_terminal_when_output_goes_to_a_file(
    google: dict[str, str], tmp_path: Path
) -> None:
    argv = _kfwizard("run", "--answers", str(_answers(tmp_path)), "--until", "cluster")
    code, shown, logged = _logged_in_a_terminal(
        argv, google, tmp_path / "run.log", CREATE_PROMPT, b"no\n"
    )
    assert code == 2, shown[-3000:] + logged[-3000:]
    # What the question is about (the step's size and cost lines), then the question.
    estimate = shown.index("[cluster] estimated cost: $0.39/hour")
    assert estimate < shown.index("Create GKE cluster newc in us-central1-a (3 x n1-standard-2")
    assert "[credentials]" not in shown  # the earlier steps are not the question's
    # The file records what was asked and the answer, where it was asked.
    question = (
        "Create GKE cluster newc in us-central1-a (3 x n1-standard-2, about $0.39/hour)? It is "
        "billed until deleted. Type 'yes' to continue: no\n"
    )
    assert question in logged
    assert logged.index("[cluster] estimated cost:") < logged.index(question)
    assert logged.index(question) < logged.index("==> failed at cluster")
    (session,) = SessionStore().list()
    assert session.steps["cluster"].state == "failed"


def test_with_stdout_and_stderr_in_a_file_the_question_goes_to_the_terminal(
    google: dict[str, str], tmp_path: Path
) -> None:
    """``> run.log 2>&1``: the terminal the answer is typed at is still there."""
    argv = _kfwizard("run", "--answers", str(_answers(tmp_path)), "--until", "cluster")
    code, shown, logged = _logged_in_a_terminal(
        argv, google, tmp_path / "run.log", CREATE_PROMPT, b"\x04", stderr_too=True
    )
    assert code == 2, shown[-3000:] + logged[-3000:]
    assert "[cluster] estimated cost:" in shown and "Type 'yes' to continue: " in shown
    assert "Type 'yes' to continue: (no answer: end of input)\n" in logged
    assert "Traceback" not in logged


def test_the_teardown_list_and_question_are_shown_at_the_terminal(tmp_path: Path) -> None:
    answers = tmp_path / "t1.yaml"
    answers.write_text("name: t1\ncluster: {name: kf1, location: us-central1-a}\n")
    env = {**os.environ, "KFWIZARD_DEMO_SPEED": "0"}
    run = _kfwizard("--demo", "run", "--answers", str(answers), "--until", "cluster")
    done = subprocess.run(run, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    teardown = _kfwizard("teardown", "--session", "t1", "--delete-cluster")
    code, shown, logged = _logged_in_a_terminal(
        teardown, env, tmp_path / "td.log", TEARDOWN_PROMPT, b"no\n"
    )
    assert code == 0, shown[-3000:] + logged[-3000:]
    said = "Teardown will delete the cluster"
    assert said in shown and shown.index(said) < shown.index(TEARDOWN_PROMPT.decode())
    assert said in logged
    assert f"{TEARDOWN_PROMPT.decode()}no\nNothing was deleted." in logged
    (session,) = SessionStore().list()
    assert session.status != "removed"
