"""Which session a headless run carries on, and what it refuses before it starts.

Real runs go to the loopback emulators standing in for Google Cloud (as after
``eval "$(kfwizard emulator ...)"``); ``--demo`` runs start the built-in ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from kfwizard.cli import main
from kfwizard.emulator.stack import EmulatorStack
from kfwizard.session import SessionStore
from tests.conftest import FIXTURES, emulators_as_google

PROJECT = "kfw-headless-project"


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[EmulatorStack]:
    """The emulators as real GCP, with one cluster someone else made (``existing1``)."""
    with emulators_as_google(monkeypatch, tmp_path, PROJECT, "2.17.0") as emulators:
        yield emulators


def _answers(tmp_path: Path, name: str, source: str, cluster: str) -> Path:
    data = {
        "name": name,
        "project": PROJECT,
        "cluster": {"source": source, "name": cluster, "location": "us-central1-a"},
        "deployment": {"version": "2.17.0", "manifests": str(FIXTURES / "kfp" / "2.17.0")},
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _cluster_names(stack: EmulatorStack) -> set[str]:
    with stack.lock:
        return {r.message.name for r in stack.gke.clusters.values()}


def test_demo_and_fault_are_refused_on_a_real_session_which_stays_real(
    cloud: EmulatorStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--demo`` on a real session turned it into a demo one for good: its teardown
    then "succeeded" on the emulators and left the real install running."""
    answers = _answers(tmp_path, "real", source="existing", cluster="existing1")
    assert main(["run", "--answers", str(answers), "--until", "project"]) == 0
    (before,) = SessionStore().list()
    capsys.readouterr()

    for argv, flag in (
        (["--demo", "run", "--session", "real"], "--demo"),
        (["run", "--demo", "--answers", str(answers)], "--demo"),
        (["run", "--session", "real", "--fault", "cpu-quota"], "--fault"),
    ):
        assert main([*argv, "--until", "project"]) == 2, argv
        captured = capsys.readouterr()
        assert f"{flag}: cannot be used on session {before.id} (real): it is a real" in (
            captured.err
        ), captured.err
        assert f"leave out {flag}" in captured.err
        assert "Resuming" not in captured.out and "New session" not in captured.out

    after = SessionStore().load(before.id)
    assert after.demo is False
    assert after.selections == before.selections  # no demo project or manifests
    assert [s.id for s in SessionStore().list()] == [before.id]


def test_a_demo_session_is_not_carried_on_by_a_run_without_demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ "For a real install drop --demo": the same file then carried on the demo
    session, in the demo, while the user believed it installed for real."""
    answers = tmp_path / "t1.yaml"
    answers.write_text("name: t1\ncluster: {name: kf1, location: us-central1-a}\n")
    code = main(["--demo", "run", "--answers", str(answers), "--until", "project"])
    assert code == 0, capsys.readouterr().out
    capsys.readouterr()

    assert main(["run", "--answers", str(answers), "--until", "project"]) == 2
    err = capsys.readouterr().err
    assert "--demo: is missing:" in err and "is a demo session" in err, err
    assert "add --demo to carry on the demo session, or add --new" in err
    (session,) = SessionStore().list()
    assert session.demo is True


def test_the_same_answers_file_carries_on_its_torn_down_session(
    cloud: EmulatorStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After a teardown that kept the cluster, the file started a second session of
    the same name, which refused the kept cluster as someone else's."""
    answers = _answers(tmp_path, "t1", source="create", cluster="kf1")
    run = ["run", "--answers", str(answers), "--until", "cluster", "--yes"]
    assert main(run) == 0, capsys.readouterr().out
    (session,) = SessionStore().list()
    assert main(["teardown", "--session", session.id, "--yes"]) == 0
    assert SessionStore().load(session.id).status == "removed"
    capsys.readouterr()

    code = main(run)
    out = capsys.readouterr().out
    assert code == 0, out[-3000:]
    assert out.startswith(f"Resuming session {session.id} (same answers as {answers}).\n")
    assert "It was torn down; this run stops after Cluster" in out  # --until cluster
    assert "did not create it" not in out
    assert [s.id for s in SessionStore().list()] == [session.id]
    assert SessionStore().load(session.id).status == "done"


def test_a_torn_down_session_without_its_adopted_cluster_is_refused_up_front(
    cloud: EmulatorStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It said "this run installs it again (a deleted cluster is created again)" and
    then failed, exit 1: an existing cluster is never created again."""
    answers = _answers(tmp_path, "t3", source="existing", cluster="existing1")
    assert main(["run", "--answers", str(answers), "--until", "cluster"]) == 0
    (session,) = SessionStore().list()
    teardown = ["teardown", "--session", session.id, "--delete-cluster"]
    assert main([*teardown, "--confirm-name", "existing1", "--yes"]) == 0
    assert "existing1" not in _cluster_names(cloud)
    capsys.readouterr()

    for argv, next_action in (
        (["run", "--answers", str(answers)], f"in {answers}, name another existing cluster"),
        (["run", "--session", session.id], f"`kfwizard run --answers {answers.resolve()}`"),
    ):
        assert main(argv) == 2, argv
        captured = capsys.readouterr()
        assert (
            f"Session {session.id} was torn down with its cluster existing1, an existing "
            "cluster it did not create" in captured.err
        ), captured.err
        assert next_action in captured.err and "cluster.source: create" in captured.err
        assert "installs it again" not in captured.out
        assert "==> [" not in captured.out  # nothing ran

    # Choosing a cluster to create in the file carries the session on.
    answers.write_text(answers.read_text().replace("existing", "create"))
    code = main(["run", "--answers", str(answers), "--until", "cluster", "--yes"])
    out = capsys.readouterr().out
    assert code == 0, out[-3000:]
    assert f"Resuming session {session.id} with the changed answers" in out
