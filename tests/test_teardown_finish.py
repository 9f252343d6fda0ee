"""A teardown stopped while GKE deletes the cluster, finished with the command it
prints; signals at the teardown's question; what ``--delete-cluster`` keeps.

Each runs ``python -m kfwizard`` against the demo's emulators, as a user does.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kfwizard.session import Session, SessionStore

ROOT = Path(__file__).resolve().parents[1]
ANSWERS = ROOT / "examples" / "demo.yaml"
DELETING = "[delete-cluster] deleting cluster"
SLOW = "1.5"
"""A demo speed at which GKE's delete lasts about 12 s: the finishing command starts
while GKE still deletes."""
FAST = "0"


def _env(speed: str) -> dict[str, str]:
    """This test's environment (its own kfwizard home), read when the test runs."""
    return {**os.environ, "KFWIZARD_DEMO_SPEED": speed}


def _kfwizard(*args: str) -> list[str]:
    return [sys.executable, "-m", "kfwizard", *args]


def _run(*args: str, speed: str = FAST) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _kfwizard(*args), env=_env(speed), cwd=ROOT, capture_output=True, text=True, timeout=180
    )


def _session(name: str) -> Session:
    (found,) = [s for s in SessionStore().list() if s.name == name]
    return found


def _installed(answers: Path = ANSWERS) -> Session:
    done = _run("--demo", "run", "--answers", str(answers), "--yes")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return _session(answers.stem)


def _stopped_while_gke_deletes(*flags: str) -> tuple[str, str]:
    """A ``teardown --delete-cluster`` given SIGTERM once GKE is deleting the cluster:
    its stdout and stderr."""
    command = _kfwizard("teardown", "--session", "demo", "--delete-cluster", *flags)
    process = subprocess.Popen(
        command, env=_env(SLOW), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        seen = []
        for line in process.stdout:
            seen.append(line)
            if DELETING in line:
                break
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert process.returncode == 130, "".join(seen) + out + err
    return "".join(seen) + out, err


def _printed_command(out: str) -> list[str]:
    found = re.search(r'finish the teardown with "kfwizard ([^"]+)"', out)
    assert found is not None, out[-2000:]
    return found.group(1).split()


def _deletes(session: Session) -> int:
    """How many times the session's log shows a delete being asked of GKE."""
    from kfwizard import paths

    log = (paths.session_log_dir(session.id) / "kfwizard.log").read_text()
    return log.count("deleting cluster kubeflow-testing in")


def test_the_printed_command_finishes_a_teardown_stopped_while_gke_deletes() -> None:
    """It printed `teardown --session ID` without --delete-cluster; that command dialled
    the dying cluster's API and failed at uninstall (which had finished), after a
    preview that listed 14 Deployments and their volumes to delete, and "Kept: the
    cluster"."""
    _installed()
    out, _ = _stopped_while_gke_deletes("--yes")
    session = _session("demo")
    # The stop says GKE carries on, as a stopped create does.
    assert re.search(
        r"\[delete-cluster\] interrupted in .*: Stopped at your request\. GKE goes on deleting "
        r"cluster kubeflow-testing: a delete cannot be stopped halfway\.",
        out,
    ), out[-2000:]
    finish = f"kfwizard teardown --session {session.id} --delete-cluster --yes"
    assert out.rstrip().endswith(f'finish the teardown with "{finish}"'), out[-1000:]
    assert session.steps["delete-cluster"].action == f'finish the teardown with "{finish}"'
    assert "kfwizard run" not in (session.steps["delete-cluster"].action or "")

    again = _run(*_printed_command(out), speed=SLOW)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    said = again.stdout
    preview = said[: said.index("==> ")]
    assert "Deployment" not in preview and "Data in these volumes" not in preview, preview
    assert "Kept" not in preview, preview
    assert "GKE is deleting the cluster kubeflow-testing" in preview, preview
    assert "[find-cluster] GKE is deleting cluster kubeflow-testing" in said, said
    assert "its API is still at" not in said
    assert "[uninstall] deleted" not in said and "Deleted 41 objects" not in said
    assert "[delete-cluster] cluster kubeflow-testing is being deleted already" in said
    assert said.rstrip().endswith("teardown complete."), said[-1000:]
    session = _session("demo")
    assert session.status == "removed"
    assert session.inventory["cluster"].get("deleted") is True
    assert _deletes(session) == 1  # followed, never asked again


def test_a_teardown_without_the_flag_follows_the_delete_a_stopped_one_asked_for() -> None:
    """The same command without --delete-cluster (as it used to be printed): the
    cluster is being deleted whatever it says, so it follows that delete to its end and
    records the cluster as deleted, instead of dialling its API."""
    _installed()
    _stopped_while_gke_deletes("--yes")
    again = _run("teardown", "--session", "demo", "--yes", speed=SLOW)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    said = again.stdout
    assert "following that delete to its end" in said, said
    assert "[find-cluster] Cluster kubeflow-testing deleted." in said, said
    assert "its API is still at" not in said and "FAILED" not in said
    session = _session("demo")
    assert session.status == "removed"
    assert session.inventory["cluster"].get("deleted") is True
    assert _deletes(session) == 1


def _at_the_question(argv: list[str], sig: signal.Signals) -> tuple[int, str]:
    """Run in a pseudo-terminal; at the teardown's question, send ``sig``."""
    from tests.terminal import run_in_a_terminal, send

    question = b"Type 'yes' to continue: "
    return run_in_a_terminal(argv, _env(FAST), question, send(sig), settle=0.3)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and terminals")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_kill_or_hang_up_at_the_teardown_question_deletes_nothing(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """Ctrl+C there said "Nothing was deleted." and exited 130; SIGTERM and SIGHUP
    killed the process ("Terminated", 143 / 129) with nothing said."""
    answers = tmp_path / "t1.yaml"
    answers.write_text("name: t1\ncluster: {name: kf1, location: us-central1-a}\n")
    done = _run("--demo", "run", "--answers", str(answers), "--until", "cluster")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    code, shown = _at_the_question(_kfwizard("teardown", "--session", "t1"), sig)
    assert code == 130, shown[-2000:]
    assert "Traceback" not in shown
    if sig == signal.SIGTERM:  # (after a hang-up, nothing reaches the closed terminal)
        assert "Nothing was deleted." in shown, shown[-1000:]
    session = _session("t1")
    assert session.status != "removed"
    assert not any(step in session.steps for step in ("delete-cluster", "uninstall"))


def test_delete_cluster_says_why_a_kubeconfig_contexts_cluster_is_kept(tmp_path: Path) -> None:
    """It said nothing, showed `gcloud container clusters delete CLUSTER
    --project=PROJECT_ID`, and the step read "nothing to do: no cluster left"."""
    _installed()
    context = "gke_kfwizard-demo_us-central1-a_kubeflow-testing"  # the demo's context
    answers = tmp_path / "kc.yaml"
    answers.write_text(
        "name: kc\nproject: kfwizard-demo\n"
        f"cluster: {{source: kubeconfig, context: {context}}}\n"
        "deployment: {mode: kfp-standalone, version: '2.17.0', env: platform-agnostic}\n"
    )
    _installed(answers)

    done = _run("teardown", "--session", "kc", "--delete-cluster", "--yes")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    said = done.stdout
    kept = (
        f"Kept: the cluster of kubeconfig context {context}. kfwizard does not delete a "
        "cluster it reached through a kubeconfig"
    )
    preview = said[: said.index("==> ")]
    assert kept in preview, preview
    assert f"[delete-cluster] {kept}" in said, said
    assert "CLUSTER" not in said and "PROJECT_ID" not in said
    assert "gcloud container clusters delete" not in said
    assert re.search(
        r"\[delete-cluster\] skipped in .* \(kept: kfwizard does not delete a kubeconfig "
        r"context's cluster\)",
        said,
    ), said


def test_an_adopted_cluster_kept_is_not_called_nothing_to_delete(tmp_path: Path) -> None:
    """ "Kept cluster kubeflow-testing…" was followed by "skipped (nothing to do: no
    cluster left to delete)"."""
    _installed()
    answers = tmp_path / "adopt.yaml"
    answers.write_text(
        ANSWERS.read_text()
        .replace("source: create", "source: existing")
        .replace("name: demo", "name: adopt")
    )
    _installed(answers)

    done = _run("teardown", "--session", "adopt", "--delete-cluster", "--yes")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    said = done.stdout
    assert "[delete-cluster] Kept cluster kubeflow-testing" in said, said
    assert re.search(
        r"\[delete-cluster\] skipped in .* \(kept: not this session's; --confirm-name "
        r"kubeflow-testing deletes it\)",
        said,
    ), said
    assert "no cluster left to delete" not in said
    assert "clusters delete CLUSTER" not in said
