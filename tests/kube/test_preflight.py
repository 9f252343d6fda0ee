"""Preflight: named checks, every failure with its fix at once, skips recorded, and a
refusal (exit 2) before anything is touched."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from kfwizard.engine.events import StepDetail
from kfwizard.engine.steps.install import PreflightStep
from kfwizard.kube.preflight import CHECK_NAMES, resize_fix, upgrade_fix
from kfwizard.session import SessionStore
from tests.kube.conftest import (
    connect_through_gke,
    emulator,
    new_session,
    run,
    write_kubeconfig,
)


def _states(session: Any) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in session.outputs["preflight"]["checks"]}


def test_all_checks_pass_on_a_healthy_cluster(
    emu: Any, kubeconfig: Path, store: SessionStore
) -> None:
    session = new_session(store, kubeconfig, "2.17.0")
    result, events = run(session, store, [PreflightStep()])
    assert result.state == "done", result.cause
    checks = _states(session)
    assert list(checks) == list(CHECK_NAMES)
    assert all(c["state"] == "pass" for c in checks.values()), checks
    assert "Default StorageClass: standard-rwo" in checks["default-storageclass"]["message"]
    details = [e for e in events if isinstance(e, StepDetail) and e.key == "preflight"]
    assert details and details[-1].value == session.outputs["preflight"]["checks"]


def test_a_check_can_be_skipped_by_name_with_a_reason(
    emu: Any, kubeconfig: Path, store: SessionStore
) -> None:
    session = new_session(store, kubeconfig, "2.17.0")
    result, _ = run(
        session,
        store,
        [PreflightStep()],
        options={"skip_checks": {"capacity": "the autoscaler adds nodes"}},
    )
    assert result.state == "done"
    capacity = _states(session)["capacity"]
    assert capacity["state"] == "skipped"
    assert "the autoscaler adds nodes" in capacity["message"]
    assert session.outputs["preflight"]["skipped"] == {"capacity": "the autoscaler adds nodes"}


def test_every_failure_is_listed_with_its_fix(
    faults: Any, tmp_path: Path, store: SessionStore, fixtures_root: Path
) -> None:
    faults.update(no_default_storageclass=True)
    server = emulator(faults, machine="e2-small", count=1)
    server.start()
    try:
        session = new_session(store, write_kubeconfig(server, tmp_path), "2.17.0")
        result, _ = run(session, store, [PreflightStep()])
        applied = server.store.peek(("", "namespaces"), "", "kubeflow")
    finally:
        server.stop()
    assert result.state == "failed" and result.exit_code == 1
    assert "2 preflight checks failed (default-storageclass, capacity)" in result.cause
    assert "Short by" in result.cause
    action = result.action or ""
    assert "kubectl patch storageclass standard-rwo" in action
    assert "gcloud container clusters resize" in action
    assert "1 node with" in result.cause  # not "1 nodes"
    assert re.search(r"the install requests \d+m CPU and [\d.]+(Gi|Mi) memory;", result.cause)
    # Plain text for the terminal: no markdown backticks, no CLUSTER placeholder.
    assert "`" not in result.cause + action and "CLUSTER" not in action
    # A kubeconfig context's name is not a GKE cluster's: no gcloud command names it.
    assert "add nodes to your cluster" in action and "kubeflow-testing" not in action
    assert applied is None  # preflight never writes


def test_a_gke_cluster_is_named_in_the_fixes(
    faults: Any, tmp_path: Path, store: SessionStore, fixtures_root: Path
) -> None:
    """Connected through GKE (endpoint and CA from the cluster step), the fixes are the
    gcloud commands for the session's own cluster, not "your cluster"."""
    import os

    server = emulator(faults, machine="e2-small", count=1)
    server.start()
    try:
        session = new_session(store, write_kubeconfig(server, tmp_path), "2.17.0")
        connect_through_gke(session, server, "kfp-small", "europe-west4-b")
        result, _ = run(session, store, [PreflightStep()], options={"env": dict(os.environ)})
    finally:
        server.stop()
    assert result.state == "failed", result.cause
    action = result.action or ""
    assert (
        'add nodes with "gcloud container clusters resize kfp-small --node-pool default-pool '
        "--num-nodes "
    ) in action
    assert '--zone europe-west4-b"' in action and "your cluster" not in action
    # The cluster exists: a larger machine type is a node pool to add, not an answers edit.
    assert "choose a larger machine type" not in action
    assert (
        'add a node pool of e2-standard-2 with "gcloud container node-pools create kfp-pool '
        '--cluster kfp-small --machine-type e2-standard-2 --num-nodes 3 --zone europe-west4-b"'
    ) in action


def test_the_resize_fix_names_the_cluster_when_known_and_says_your_cluster_otherwise() -> None:
    known = resize_fix(
        {"name": "kubeflow-testing", "location": "us-central1-a"}, "pool-1", 4, "e2-standard-4"
    )
    assert known == (
        'add nodes with "gcloud container clusters resize kubeflow-testing --node-pool pool-1 '
        '--num-nodes 4 --zone us-central1-a", or add a node pool of e2-standard-4 with '
        '"gcloud container node-pools create kfp-pool --cluster kubeflow-testing '
        '--machine-type e2-standard-4 --num-nodes 3 --zone us-central1-a"'
    )
    regional = resize_fix({"name": "kfp", "location": "europe-west4"}, "default-pool", 1)
    assert "--num-nodes 1 --region europe-west4" in regional
    unknown = resize_fix({}, "default-pool", 1)
    assert "your cluster" in unknown and "1 node " in unknown and "`" not in unknown
    assert "gcloud container clusters upgrade kfp --master --region europe-west4" in (
        upgrade_fix({"name": "kfp", "location": "europe-west4"})
    )
    assert upgrade_fix({}) == "upgrade your cluster to a newer Kubernetes version"


def test_kfp_1_6_0_on_kubernetes_1_33_is_refused_before_anything_is_touched(
    emu: Any, kubeconfig: Path, store: SessionStore
) -> None:
    session = new_session(store, kubeconfig, "1.6.0")
    emu.stats.reset()
    result, _ = run(session, store, [PreflightStep()])
    assert result.state == "failed" and result.exit_code == 2
    assert "1.22" in result.cause and "v1beta1" in result.cause
    assert "1.8.5" in (result.action or "")
    assert not any(verb in ("apply", "create", "delete", "patch") for verb, _ in emu.stats)


def test_proxy_agent_blocked_by_pod_security_is_a_warning(
    emu: Any, kubeconfig: Path, store: SessionStore
) -> None:
    session = new_session(store, kubeconfig, "2.17.0", "dev")
    result, _ = run(session, store, [PreflightStep()])
    assert result.state == "done"
    psa = _states(session)["psa"]
    assert psa["state"] == "warn"
    assert "proxy-agent uses host networking" in psa["message"]
    assert "pod-security.kubernetes.io/enforce=privileged" in psa["fix"]


def test_a_passed_preflight_is_not_judged_again_on_resume(
    emu: Any, kubeconfig: Path, store: SessionStore
) -> None:
    session = new_session(store, kubeconfig, "2.17.0")
    run(session, store, [PreflightStep()])
    emu.stats.reset()
    result, _ = run(session, store, [PreflightStep()])
    assert result.state == "done"
    assert session.steps["preflight"].state == "done"
    assert not any(verb == "list" for verb, _ in emu.stats)


def test_a_set_without_its_namespace_fails_before_anything_is_applied(
    emu: Any, kubeconfig: Path, store: SessionStore, tmp_path: Path
) -> None:
    """The env file alone (without cluster-scoped-resources.yaml, which creates the
    kubeflow Namespace) used to apply its PriorityClass, then fail a minute later."""
    session = new_session(store, kubeconfig, "2.17.0")
    manifests = session.outputs["manifests"]
    env_file = Path(manifests["rendered_dir"]) / manifests["files"][1]
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / env_file.name).write_bytes(env_file.read_bytes())
    manifests.update(rendered_dir=str(alone), files=[env_file.name])
    store.save(session)
    result, _ = run(session, store, [PreflightStep()])
    check = _states(session)["namespaces"]
    assert result.state == "failed", check
    assert check["state"] == "fail"
    assert "1 namespace kubeflow, which they do not create" in check["message"]
    assert "kubectl create namespace kubeflow" in check["fix"]
