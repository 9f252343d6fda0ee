"""A session that installed on one cluster and then moved to another: what Verify
tells to run to remove everything, and what a teardown says it leaves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kfwizard.cli import main
from kfwizard.emulator.stack import EmulatorStack
from kfwizard.session import SessionStore


def test_teardown_says_the_install_on_the_earlier_cluster_is_left_in_place(
    stack: EmulatorStack,
    write_answers: Callable[..., Path],
    fixtures_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    manifests = str(fixtures_dir / "kfp" / "2.17.0")
    assert main(["run", "--answers", str(write_answers(manifests=manifests))]) == 0
    session_id = SessionStore().list()[0].id
    first = capsys.readouterr().out
    # A plain teardown keeps the cluster this session created: "everything" needs the flag.
    assert (
        "next: Remove everything later, cluster kubeflow-testing included, with: "
        f"kfwizard teardown --session {session_id} --delete-cluster"
    ) in first

    answers = write_answers(manifests=manifests, cluster={"name": "kf2"})
    assert main(["run", "--answers", str(answers)]) == 0
    assert [s.id for s in SessionStore().list()] == [session_id]
    assert "clusters kf2, kubeflow-testing included" in capsys.readouterr().out

    assert main(["teardown", "--session", session_id, "--yes"]) == 0
    out = capsys.readouterr().out
    preview, _, result = out.partition("==> ")
    said = (
        "Left in place: the kfp-standalone 2.17.0 install this session put on cluster "
        "kubeflow-testing earlier, with the data in "
    )
    assert said in preview and "mysql-pv-claim" in preview.split(said)[1]
    assert "--delete-cluster removes it, by deleting kubeflow-testing." in preview
    [line] = [ln for ln in result.splitlines() if said in ln]
    assert line.startswith("[uninstall] ")
    assert "this teardown removes only the install on kf2, the cluster in use now" in line
    # It is still there: the teardown did not reach it.
    earlier = stack.cluster("kubeflow-testing")
    assert earlier.store.get("v1", "PersistentVolumeClaim", "kubeflow", "mysql-pv-claim")

    # Deleting the clusters removes it with them, and says so before and during.
    assert main(["teardown", "--session", session_id, "--delete-cluster", "--yes"]) == 0
    out = capsys.readouterr().out
    gone = (
        "The kfp-standalone 2.17.0 install this session put on cluster kubeflow-testing "
        "earlier goes with that cluster, which this teardown deletes."
    )
    assert out.count(gone) == 2, out[-3000:]
    assert "Left in place" not in out
