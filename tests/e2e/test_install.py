"""Issue acceptance for the Deployment mode and Install steps, headless, against the
emulators, with KFP's real manifests."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from kfwizard.cli import main
from kfwizard.emulator.stack import EmulatorStack
from kfwizard.session import SessionStore

CRITICAL = (
    "mysql",
    "metadata-grpc-deployment",
    "ml-pipeline",
    "ml-pipeline-ui",
    "workflow-controller",
    "ml-pipeline-persistenceagent",
    "ml-pipeline-scheduledworkflow",
)


def _available(stack: EmulatorStack, name: str) -> bool:
    deployment = stack.cluster("kubeflow-testing").store.get(
        "apps/v1", "Deployment", "kubeflow", name
    )
    if deployment is None:
        return False
    conditions = {
        c["type"]: c["status"] for c in deployment.get("status", {}).get("conditions", [])
    }
    return conditions.get("Available") == "True"


@pytest.mark.parametrize(
    ("version", "env"),
    [("2.17.0", "platform-agnostic"), ("1.8.5", "platform-agnostic"), ("1.8.5", "dev")],
)
def test_rendered_fixtures_install_until_every_critical_deployment_is_available(
    stack: EmulatorStack,
    write_answers: Callable[..., Path],
    fixtures_dir: Path,
    version: str,
    env: str,
) -> None:
    answers = write_answers(version=version, env=env, manifests=str(fixtures_dir / "kfp" / version))
    assert main(["run", "--answers", str(answers), "--until", "install"]) == 0
    store_name = "seaweedfs" if version.startswith("2.17") else "minio"
    for name in (*CRITICAL, store_name):
        assert _available(stack, name), name
    session = SessionStore().list()[0]
    kinds = {ref["kind"] for ref in session.inventory["objects"]}
    assert {"Namespace", "CustomResourceDefinition", "Deployment", "Service"} <= kinds


@pytest.mark.skipif(
    shutil.which("kubectl") is None and shutil.which("kustomize") is None,
    reason="neither kubectl nor kustomize is installed to render a kustomize tree",
)
def test_kustomize_tree_is_rendered_by_the_wizard(
    stack: EmulatorStack,
    write_answers: Callable[..., Path],
    fixtures_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tree = fixtures_dir / "kfp-kustomize" / "1.8.5"
    answers = write_answers(version="1.8.5", manifests=str(tree))
    assert main(["run", "--answers", str(answers), "--until", "install"]) == 0
    assert "kustomize" in capsys.readouterr().out
    assert _available(stack, "ml-pipeline")


def test_1_6_0_is_refused_before_touching_the_cluster(
    stack: EmulatorStack,
    write_answers: Callable[..., Path],
    fixtures_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every GKE cluster runs Kubernetes 1.22 or later, which 1.6.0's CRDs cannot run
    on: refused when the answers file is read, before a session, an API or a cluster."""
    answers = write_answers(version="1.6.0", manifests=str(fixtures_dir / "kfp" / "1.6.0"))
    assert main(["run", "--answers", str(answers), "--until", "install"]) == 2
    out = capsys.readouterr()
    text = out.out + out.err
    assert "1.22" in text and "1.6.0" in text
    assert not [c for c in stack.gke.clusters.values() if c.name == "kubeflow-testing"]
    assert SessionStore().list() == []


def test_too_small_node_pool_names_the_shortfall_then_resumes_after_a_fix(
    stack: EmulatorStack,
    write_answers: Callable[..., Path],
    fixtures_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from kfwizard.emulator.kube import NodeSpec

    stack.faults.update(small_nodepool=True)
    answers = write_answers(manifests=str(fixtures_dir / "kfp" / "2.17.0"))
    answers.write_text(
        answers.read_text() + "skip_checks: {capacity: rehearsing an undersized pool}\n"
    )
    code = main(["run", "--answers", str(answers), "--until", "install"])
    out = capsys.readouterr().out
    assert code == 1, out[-3000:]
    failure = next(line for line in out.splitlines() if "==> failed at" in line)
    assert "cpu" in failure.lower() or "memory" in failure.lower(), failure
    assert "resize" in out or "machine type" in out
    # The user resizes the node pool; the same session resumes and finishes.
    stack.faults.update(small_nodepool=False)
    stack.cluster("kubeflow-testing").set_nodes(NodeSpec.for_machine("n1-standard-2", 3))
    session = SessionStore().list()[0]
    assert main(["run", "--session", session.id, "--until", "install"]) == 0
    assert _available(stack, "ml-pipeline")


def test_full_kubeflow_platform_installs_tier_by_tier(
    stack: EmulatorStack,
    write_answers: Callable[..., Path],
    fixtures_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    answers = write_answers(
        mode="kubeflow",
        version="26.03",
        env="gke",
        manifests=str(fixtures_dir / "kubeflow" / "26.03"),
        cluster={"machine_type": "e2-standard-8", "nodes": 4},
    )
    code = main(["run", "--answers", str(answers), "--until", "install"])
    out = capsys.readouterr().out
    assert code == 0, out[-4000:]
    cluster = stack.cluster("kubeflow-testing")
    for kind in ("Deployment", "StatefulSet", "DaemonSet"):
        for item in cluster.store.list("apps/v1", kind):
            status = item.get("status", {})
            ready = status.get("readyReplicas", status.get("numberReady", 0))
            want = item.get("spec", {}).get("replicas", status.get("desiredNumberScheduled", 1))
            assert ready >= (want if want is not None else 1), f"{kind} {item['metadata']['name']}"
