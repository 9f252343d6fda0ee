"""`kfwizard run` refused by its flags or a lock: nothing announces a session that then
does not exist or does not run."""

from __future__ import annotations

from pathlib import Path

import pytest

from kfwizard.cli import main
from kfwizard.session import Session, SessionStore

ANSWERS = """\
project: my-project
cluster: {source: create, name: kubeflow-testing, location: us-central1-a}
deployment: {mode: kfp-standalone, version: "2.17.0", env: platform-agnostic}
"""


@pytest.fixture
def answers(tmp_path: Path) -> Path:
    path = tmp_path / "a.yaml"
    path.write_text(ANSWERS)
    return path


@pytest.mark.parametrize(
    ("argv", "rule"),
    [
        (["--demo", "--fault", "bogus", "run"], "--fault: unknown fault"),
        (["run", "--demo", "--fault", "bogus"], "--fault: unknown fault"),
        (["run", "--fault", "cpu-quota"], "--fault: only works with --demo"),
    ],
)
def test_a_refused_fault_starts_no_session(
    argv: list[str], rule: str, answers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--answers", str(answers)]) == 2
    captured = capsys.readouterr()
    assert rule in captured.err
    assert "session" not in captured.out.lower()
    assert SessionStore().list() == []


def test_a_session_open_elsewhere_is_not_announced_as_resumed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = SessionStore()
    session = Session.new(name="busy")
    store.save(session)
    with store.lock(session.id):  # as another kfwizard process would hold it
        code = main(["run", "--session", "busy"])
    captured = capsys.readouterr()
    assert code != 0 and "open in another kfwizard process" in captured.err
    assert "Resuming" not in captured.out
