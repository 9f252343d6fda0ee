"""Issue acceptance for the Project and Cluster steps, headless, against the emulators."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from kfwizard.cli import main
from kfwizard.emulator.stack import EmulatorStack
from kfwizard.session import SessionStore
from tests.e2e.conftest import port_taken


def _clusters(stack: EmulatorStack) -> list[tuple[str, str]]:
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import container_v1

    client = container_v1.ClusterManagerClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=stack.gke_url),
    )
    found = client.list_clusters(parent=f"projects/{stack.project}/locations/-").clusters
    return [(c.name, c.status.name) for c in found]


def test_until_cluster_creates_connects_and_is_idempotent(
    stack: EmulatorStack,
    write_answers: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    answers = write_answers()
    assert main(["run", "--answers", str(answers), "--until", "cluster"]) == 0
    out = capsys.readouterr().out
    assert "enabling 2 APIs" in out or "enabled" in out
    assert _clusters(stack) == [("kubeflow-testing", "RUNNING")]
    session = SessionStore().list()[0]
    assert session.inventory["cluster"]["created_by_session"] is True
    assert session.steps["connect"].state == "done" and "manifests" not in session.steps

    # The context is written like `gcloud container clusters get-credentials` does.
    kubeconfig = Path(os.environ["KUBECONFIG"])
    config = yaml.safe_load(kubeconfig.read_text())
    context = "gke_kfw-e2e-project_us-central1-a_kubeflow-testing"
    assert config["current-context"] == context
    user = next(u for u in config["users"] if u["name"] == context)["user"]
    assert user["exec"]["command"] == "gke-gcloud-auth-plugin"
    assert oct(kubeconfig.stat().st_mode & 0o777) == "0o600"

    # kubectl reaches the cluster through it, with the emulator's token in place of the plugin.
    if shutil.which("kubectl"):
        for entry in config["users"]:
            if entry["name"] == context:
                entry["user"] = {"token": stack.cluster("kubeflow-testing").token}
        patched = tmp_path / "kubeconfig-with-token"
        patched.write_text(yaml.safe_dump(config))
        nodes = subprocess.run(
            [
                "kubectl",
                "--kubeconfig",
                str(patched),
                "--cache-dir",
                str(tmp_path / "kc"),
                "get",
                "nodes",
                "-o",
                "name",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert nodes.returncode == 0, nodes.stderr
        assert len(nodes.stdout.split()) == 3

    # Running it again does nothing new.
    assert main(["run", "--answers", str(answers), "--until", "cluster"]) == 0
    again = capsys.readouterr().out
    assert "Resuming session" in again and "creating cluster" not in again
    assert _clusters(stack) == [("kubeflow-testing", "RUNNING")]
    assert len(SessionStore().list()) == 1


@pytest.mark.skipif(
    shutil.which("gcloud") is None, reason="gcloud is not installed on this machine"
)
def test_gcloud_lists_the_cluster_the_wizard_created(
    stack: EmulatorStack,
    write_answers: Callable[..., Path],
    tmp_path: Path,
) -> None:
    assert main(["run", "--answers", str(write_answers()), "--until", "cluster"]) == 0
    env = dict(
        os.environ,
        CLOUDSDK_CONFIG=str(tmp_path / "gcloud"),
        CLOUDSDK_CORE_DISABLE_PROMPTS="1",
        CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK="1",
    )
    listed = subprocess.run(
        ["gcloud", "container", "clusters", "list", "--format=value(name,status)"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == ["kubeflow-testing", "RUNNING"]


@pytest.mark.parametrize(
    ("fault", "words"),
    [("zone_stockout", "does not have enough resources"), ("cpu_quota_exceeded", "quota")],
)
def test_cluster_create_faults_are_explained(
    stack: EmulatorStack,
    write_answers: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    fault: str,
    words: str,
) -> None:
    stack.faults.update(**{fault: True})
    assert main(["run", "--answers", str(write_answers()), "--until", "cluster"]) == 1
    out = capsys.readouterr().out
    assert "==> failed at cluster:" in out and words in out.lower()
    assert "==> next:" in out
    session = SessionStore().list()[0]
    assert session.status == "failed" and session.steps["cluster"].state == "failed"
    # The fault lifts; resuming finishes with one cluster.
    stack.faults.update(**{fault: False})
    assert main(["run", "--session", session.id, "--until", "cluster"]) == 0
    assert [name for name, _ in _clusters(stack)] == ["kubeflow-testing"]


def test_bad_answers_exit_2_naming_the_field(
    stack: EmulatorStack,
    write_answers: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    answers = write_answers(cluster={"name": "Bad_Name"})
    assert main(["run", "--answers", str(answers)]) == 2
    assert "cluster.name" in capsys.readouterr().err
    assert SessionStore().list() == []  # refused before a session or a cluster was made


def test_a_demo_session_resumes_after_the_demo_emulators_restart(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every `--demo` run starts the emulators afresh. The cluster's API comes back on its
    port when that is free; here another program holds it, so it comes back on a new one:
    the resume reads the endpoint again (bug 6) and finishes."""
    answers = Path(__file__).resolve().parents[2] / "examples" / "demo.yaml"
    first = ["run", "--demo", "--answers", str(answers), "--speed", "0", "--until", "mode"]
    assert main(first) == 0
    out = capsys.readouterr().out
    found = re.search(r"New session (\S+)\.", out)
    assert found, out
    session_id = found.group(1)
    old = SessionStore().load(session_id).outputs["cluster"]["endpoint"]

    with port_taken(old):
        assert main(["run", "--session", session_id, "--speed", "0"]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert f"its endpoint changed from {old} to " in out
    assert "creating cluster" not in out and "Kubernetes API answers" in out
    session = SessionStore().load(session_id)
    new = session.outputs["cluster"]["endpoint"]
    assert new != old and session.outputs["connect"]["endpoint"] == new
    assert session.steps["verify"].state == "done"


def test_answers_edited_after_a_failure_carry_on_in_the_same_session(
    stack: EmulatorStack,
    write_answers: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The failure says "use env platform-agnostic"; the user edits the answers file and
    runs the same command. The session that created the cluster carries on with it (a new
    session would refuse that cluster as someone else's)."""
    from tests.kube.conftest import FIXTURES

    local = str(FIXTURES / "kfp" / "2.17.0")
    answers = write_answers(env="dev", manifests=local)
    assert main(["run", "--answers", str(answers), "--until", "mode"]) == 2  # refused
    out = capsys.readouterr().out
    assert "next: use env platform-agnostic" in out
    session_id = re.search(r"New session (\S+)\.", out).group(1)  # type: ignore[union-attr]

    assert write_answers(env="platform-agnostic", manifests=local) == answers
    assert main(["run", "--answers", str(answers), "--until", "mode"]) == 0
    out = capsys.readouterr().out
    assert (
        f"Resuming session {session_id} with the changed answers in {answers} (deployment.env)"
        in out
    )
    assert "creating cluster" not in out
    session = SessionStore().load(session_id)
    assert session.selections["deployment"]["env"] == "platform-agnostic"
    assert session.steps["manifests"].state == "done"
    assert _clusters(stack) == [("kubeflow-testing", "RUNNING")]

    # Unchanged, it resumes as before; --new starts a separate session.
    assert main(["run", "--answers", str(answers), "--until", "mode"]) == 0
    assert f"Resuming session {session_id} (same answers as" in capsys.readouterr().out
    assert main(["run", "--answers", str(answers), "--until", "project", "--new"]) == 0
    assert "New session" in capsys.readouterr().out
