"""`kfwizard run` refused by its flags or a lock: nothing announces a session that then
does not exist or does not run. Flags a command would ignore, or could not honour, are
refused up front (exit 2, naming the flag), before anything is created."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kfwizard import paths
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


def refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2, captured
    assert "session" not in captured.out.lower()
    assert SessionStore().list() == []
    return captured.err


@pytest.mark.parametrize("until", ["project", "cluster", "mode", "install"])
def test_port_forward_with_until_before_verify_is_refused(
    until: str, answers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The forward needs the UI that Verify checks; the run used to stop at ``until``
    and then fail "Service kubeflow/ml-pipeline-ui does not exist", exit 1."""
    argv = ["--demo", "run", "--answers", str(answers), "--speed", "0", "--until", until]
    err = refused([*argv, "--port-forward"], capsys)
    assert err.startswith("kfwizard: --port-forward: ")
    assert f"--until {until}" in err


def test_manifests_without_demo_is_refused(
    answers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its help says "with --demo"; without it the flag was silently ignored (as
    ``--fault`` is not: it is refused). A real install names its manifests in the
    answers file."""
    err = refused(["--manifests", str(tmp_path), "run", "--answers", str(answers)], capsys)
    assert err.startswith("kfwizard: --manifests: only works with --demo")
    assert "deployment.manifests" in err


def test_manifests_with_the_wizards_demo_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The wizard's demo installs its built-in manifests; the flag was dropped there."""
    err = refused(["--demo", "--manifests", str(tmp_path)], capsys)
    assert err.startswith("kfwizard: --manifests: only works with `run --demo`")


def test_speed_without_demo_is_refused(answers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The demo's pace: a real run ignored it without a word."""
    err = refused(["run", "--answers", str(answers), "--speed", "0", "--until", "project"], capsys)
    assert err.startswith("kfwizard: --speed: only works with --demo")
    assert "leave out --speed" in err


def test_speed_on_a_real_session_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """``run --session`` goes by the session's kind: a demo session takes ``--speed``
    without ``--demo``, a real one ignored it without a word."""
    store = SessionStore()
    session = Session.new(name="real", selections={"project": "my-project"})
    store.save(session)
    code = main(["run", "--session", "real", "--speed", "0", "--until", "project"])
    captured = capsys.readouterr()
    assert code == 2, captured
    assert captured.err.startswith("kfwizard: --speed: only works on a demo session")
    assert f"session {session.id} (real) is a real session" in captured.err
    assert "Resuming" not in captured.out
    assert store.load(session.id).steps == {}


@pytest.mark.parametrize("where", ["before run", "after run"])
def test_manifests_on_a_demo_session_needs_no_demo_flag(
    where: str, answers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``run --session`` resumes a demo session in the demo without ``--demo``, and now
    takes ``--manifests`` the same way: it was refused "only works with --demo" (and,
    after ``run``, not known at all)."""
    demo = ["--demo", "run", "--answers", str(answers), "--speed", "0", "--until", "project"]
    assert main(demo) == 0
    (session,) = SessionStore().list()
    own = tmp_path / "my-manifests"
    own.mkdir()
    flag = ["--manifests", str(own)]
    resume = ["run", "--session", session.id, "--speed", "0", "--until", "project"]
    capsys.readouterr()
    code = main([*flag, *resume] if where == "before run" else [*resume, *flag])
    captured = capsys.readouterr()
    assert code == 0, captured
    assert f"Resuming session {session.id}" in captured.out
    assert SessionStore().load(session.id).selections["deployment"]["manifests"] == str(own)


def test_manifests_on_a_real_session_is_refused(
    answers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It replaces the demo's built-in manifests; a real session names its own in its
    answers file, which the refusal names."""
    store = SessionStore()
    session = Session.new(name="real", selections={"project": "my-project"})
    session.origin = {"answers_path": str(answers.resolve())}
    store.save(session)
    code = main(["run", "--session", "real", "--manifests", str(tmp_path), "--until", "project"])
    captured = capsys.readouterr()
    assert code == 2, captured
    assert captured.err.startswith("kfwizard: --manifests: only works on a demo session")
    assert f"session {session.id} (real) is a real session" in captured.err
    assert f"set deployment.manifests in {answers.resolve()}" in captured.err
    assert "Resuming" not in captured.out
    assert store.load(session.id).steps == {}


@pytest.mark.parametrize("edited", [False, True], ids=["new session", "edited answers"])
def test_a_choice_the_demo_cannot_install_names_the_answers_file(
    edited: bool, answers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Refused before the emulators start (it came after them), and the next action
    names the file and the field to edit there: the file is where the choice was made."""
    argv = ["--demo", "run", "--answers", str(answers), "--speed", "0", "--until", "project"]
    if edited:  # a demo session carried on from the same file, after an edit
        assert main(argv) == 0
        shutil.rmtree(paths.demo_state_dir())
    answers.write_text(ANSWERS.replace('"2.17.0"', '"1.8.5"'))
    before = [(s.id, s.selections) for s in SessionStore().list()]
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("kfwizard: deployment.version: the demo's built-in manifests are"), err
    assert f"Next: edit deployment.version in {answers}: choose version 2.17.0" in err, err
    assert not paths.demo_state_dir().exists(), "the emulators started"
    assert [(s.id, s.selections) for s in SessionStore().list()] == before


@pytest.mark.parametrize("command", [["sessions"], ["teardown", "--session", "any"]])
def test_fault_with_sessions_or_teardown_is_refused(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """They ignored it without a word (exit 0): a teardown rehearses nothing."""
    err = refused(["--demo", "--fault", "image-pull", *command], capsys)
    assert f"--fault: rehearses a failure in the demo's install; {command[0]} does not take" in err
